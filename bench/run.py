"""Runs every benchmark scenario, prints the tables and writes results.{json,md,png}.

    python bench/run.py [--quick] [--python .venv/bin/python] [--upstream-python PATH]
                        [--rust-json target/criterion-ratios.json] [--out-dir bench]
    python bench/run.py --render bench/results.json [--out-dir bench]

`--render` runs nothing: it writes the tables, the chart and the README section again from a
results.json of an earlier run (after a change to how they are laid out).

Each scenario runs in its own subprocess of `--python` (our package) and, when given and
importable, of `--upstream-python` (the picoring 0.6 wheel from PyPI, which imports under the
same name). Progress lines stream while they run. `--quick` uses tiny sizes: it checks that
every script still works, and any failure ends the run with a non-zero status.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = [
    "scenario_extract.py",
    "scenario_list_growth.py",
    "scenario_list_edit.py",
    "scenario_queue.py",
    "scenario_ipc.py",
    "scenario_aio.py",
    "scenario_curves.py",
    "scenario_bytes_methods.py",
]

sys.path.insert(0, str(HERE))
from readme import render_readme  # noqa: E402
from report import render_markdown, write_chart, write_curves_chart  # noqa: E402


def run_scenario(python: str, script: str, impl: str, quick: bool) -> dict:
    """Runs one scenario script; its progress goes to our stderr, its JSON result is returned."""
    cmd = [python, str(HERE / script), "--impl", impl] + (["--quick"] if quick else [])
    print(f"[{impl}] {script}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=HERE, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{script} ({impl}) exited with status {proc.returncode}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{script} ({impl}) printed no result")
    return json.loads(lines[-1])


def command_output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not available"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(python: str, upstream_python: str | None) -> dict:
    probe = "import sys, numpy; print(sys.version.split()[0], numpy.__version__)"
    versions = command_output([python, "-c", probe]).split()
    info = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": versions[0] if versions else "unknown",
        "numpy": versions[1] if len(versions) > 1 else "not installed",
        "rustc": command_output(["rustc", "--version"]),
        # Other work on the machine slows syscall-heavy rows (create + drop) most: say how busy.
        "load_average_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    if upstream_python:
        info["upstream_wheel"] = command_output(
            [upstream_python, "-c", "from importlib.metadata import version; print(version('picoring'))"]
        )
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--upstream-python")
    parser.add_argument("--rust-json", help="output of the compare crate's `ratios --json`")
    parser.add_argument("--curves-json", help="output of the compare crate's `curves` bench (--json)")
    parser.add_argument("--counts-json", help="output of the compare crate's `opcount table --json`")
    parser.add_argument("--out-dir", default=str(HERE))
    parser.add_argument("--render", metavar="RESULTS_JSON", help="re-render an earlier run's results")
    args = parser.parse_args()
    if args.render:
        write_outputs(json.loads(Path(args.render).read_text()), Path(args.out_dir))
        return 0

    # abspath, not resolve(): a venv's python is a symlink that must stay the venv's.
    args.python = os.path.abspath(args.python)
    upstream = os.path.abspath(args.upstream_python) if args.upstream_python else None
    notes: list[str] = []
    if upstream and not Path(upstream).exists():
        notes.append(f"the upstream picoring 0.6 wheel is not installed ({upstream} missing): no upstream column")
        upstream = None

    results: dict = {"machine": machine(args.python, upstream), "quick": args.quick, "scenarios": {}}
    for script in SCENARIOS:
        ours = run_scenario(args.python, script, "ours", args.quick)
        theirs = None
        if upstream:
            try:
                theirs = run_scenario(upstream, script, "upstream", args.quick)
            except RuntimeError as exc:
                if args.quick:
                    raise
                notes.append(f"upstream picoring 0.6: {exc}")
        results["scenarios"][ours["scenario"]] = {"ours": ours, "upstream": theirs}

    if args.rust_json:
        path = Path(args.rust_json)
        if path.exists():
            results["rust"] = json.loads(path.read_text())
        else:
            notes.append(f"no Rust results ({path} missing)")
    for key, given in (("curves", args.curves_json), ("counts", args.counts_json)):
        if given:
            path = Path(given)
            if path.exists():
                results[key] = json.loads(path.read_text())
            else:
                notes.append(f"no {key} results ({path} missing)")
    results["notes"] = notes
    write_outputs(results, Path(args.out_dir))
    return 0


def write_outputs(results: dict, out: Path) -> None:
    """Prints the tables; writes results.{json,md,png}, curves.png and README-bench.md into `out`, and the
    README's benchmark section unless the run was quick."""
    out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(results)
    print("\n" + markdown)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown)
    (out / "README-bench.md").write_text(render_readme(results))
    chart = write_chart(results, out / "results.png")
    curves = write_curves_chart(results, out / "curves.png")
    written = ["results.json", "results.md", "README-bench.md"] + (["results.png"] if chart else []) + (["curves.png"] if curves else [])
    print(f"wrote {', '.join(str(out / name) for name in written)}")
    if not results.get("quick"):
        update_readme(Path(__file__).resolve().parent.parent / "README.md", render_readme(results))


README_START = "<!-- bench:start (written by make bench) -->"
README_END = "<!-- bench:end -->"


def update_readme(readme: Path, section: str) -> None:
    """Replaces the README's benchmark section with this run's, so it never shows other figures."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        print(f"{readme.name} has no benchmark markers: left unchanged")
        return
    body = section.strip()
    # The section's own heading is replaced by the README's.
    if body.startswith("## "):
        body = body.split("\n", 1)[1].lstrip("\n")
    readme.write_text(text[: start + len(README_START)] + "\n" + body + "\n" + text[end:])
    print(f"updated the benchmark section of {readme}")


if __name__ == "__main__":
    sys.exit(main())
