"""Tests the built distributions in dist/ (`make wheel`) the way a user meets them.

1. Versions: the workspace `version` in Cargo.toml, the wheel's and the sdist's file names and
   metadata agree (and, below, `picoring.__version__` in every environment).
2. The wheel's file list: the extension (once), `__init__.py`, the `.pyi` stubs and `py.typed`,
   the dist-info files, and nothing else (no tests, benchmarks, caches, build output); the
   check itself must refuse copies of the wheel with one such fault each. The sdist: the sources needed to build, and no build output or caches.
3. For every CPython >= 3.11 on the machine (pyenv's, found with `pyenv versions` or under
   `$PYENV_ROOT/versions`, and the one running this script): a fresh venv, the wheel installed
   from dist/ (not the source tree), and the pytest suite run from a copy of python/tests in a
   temporary directory, where the source tree's `python/picoring` is not importable; the test
   run first checks that `picoring` comes from the venv; then CPython's own suites with the
   built-ins swapped for picoring's lists (python/compat/run_suites.py).
4. The sdist: `pip install dist/*.tar.gz` in a fresh venv builds the extension from it (Rust
   toolchain needed), then `packaging/smoke.py` checks the classes of the three seed scenarios.

Usage: python packaging/wheel_test.py [--dist DIR] [--subset-after-first EXPR] [--skip-sdist]
Exit status 0 only if everything ran and passed. Under CI=true, an interpreter that was found
but cannot be used is an error; elsewhere it is a warning.
"""

from __future__ import annotations

import argparse
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI") == "true"
MIN_VERSION = (3, 11)
# Test tools for the suite; numpy is optional (its tests skip without it).
TEST_TOOLS = ["pytest", "hypothesis"]
OPTIONAL_TEST_TOOLS = ["numpy"]

# What the wheel may hold: the package and the dist-info maturin writes.
WHEEL_REQUIRED = {
    "picoring/__init__.py",
    "picoring/_picoring.pyi",
    "picoring/py.typed",
}
EXTENSION = re.compile(r"^picoring/_picoring\.abi3\.so$")
WHEEL_ALLOWED = [
    re.compile(r"^picoring/[A-Za-z_][A-Za-z0-9_]*\.pyi?$"),
    re.compile(r"^picoring/py\.typed$"),
    EXTENSION,
    re.compile(r"^picoring-[^/]+\.dist-info/(METADATA|WHEEL|RECORD|entry_points\.txt)$"),
    re.compile(r"^picoring-[^/]+\.dist-info/licenses/LICENSE-(MIT|APACHE)$"),
    re.compile(r"^picoring-[^/]+\.dist-info/sboms/[^/]+\.cyclonedx\.json$"),
]
# Names that never belong in a distribution, wherever they appear in a path.
JUNK_PARTS = {
    "tests",
    "test",
    "bench",
    "benches",
    "fuzz",
    "target",
    "dist",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".git",
}
JUNK_SUFFIXES = (".pyc", ".pyo", ".o", ".a", ".d", ".rlib", ".rmeta", ".whl", ".tar.gz")

SDIST_REQUIRED = [
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "crates/picoring/Cargo.toml",
    "crates/picoring/src/lib.rs",
    "crates/picoring-py/Cargo.toml",
    "crates/picoring-py/src/lib.rs",
    "python/picoring/__init__.py",
    "python/picoring/_picoring.pyi",
    "python/picoring/py.typed",
]
# The library's own tests and benches may travel in the sdist (cargo packages them with the
# crate); build output, caches and the Python tests may not.
SDIST_JUNK_PARTS = JUNK_PARTS - {"tests", "test", "benches"}
SDIST_JUNK_PREFIXES = ("python/tests/", "python/bench/", "python/fuzz/", "bench/", "fuzz/")


def log(message: str) -> None:
    print(f"[wheel-test] {message}", flush=True)


def problem(message: str) -> None:
    """Something that could not run: an error under CI=true, a loud warning elsewhere."""
    if CI:
        sys.exit(f"[wheel-test] ERROR: {message} (CI=true: a check that cannot run fails the run)")
    print(f"[wheel-test] WARNING: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str | Path], **kwargs) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def cargo_version() -> str:
    with open(REPO / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["workspace"]["package"]["version"]


def find_dists(dist: Path) -> tuple[Path, Path]:
    wheels = sorted(dist.glob("picoring-*.whl"))
    sdists = sorted(dist.glob("picoring-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        sys.exit(f"expected one wheel and one sdist in {dist} (run `make wheel`), found "
                 f"{[p.name for p in wheels + sdists]}")
    return wheels[0], sdists[0]


def classified_versions(wheel: Path, version: str) -> set[str]:
    """The `Programming Language :: Python :: 3.N` versions the wheel's metadata claims."""
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(f"picoring-{version}.dist-info/METADATA").decode()
    prefix = "Programming Language :: Python :: "
    classifiers = email.parser.Parser().parsestr(text).get_all("Classifier") or []
    return {c[len(prefix) :] for c in classifiers if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)}


def check_wheel(wheel: Path, version: str, quiet: bool = False) -> None:
    """The wheel's name, tags, metadata version and file list."""
    name = wheel.name
    expected_prefix = f"picoring-{version}-cp311-abi3-"
    assert name.startswith(expected_prefix), f"{name}: expected {expected_prefix}*"
    assert re.search(r"-manylinux_2_\d+_x86_64(\.|$)|-manylinux_2_\d+_aarch64(\.|$)", name), (
        f"{name}: not tagged manylinux (maturin's compliance check did not run?)"
    )
    with zipfile.ZipFile(wheel) as zf:
        files = [i.filename for i in zf.infolist() if not i.is_dir()]
        dist_info = f"picoring-{version}.dist-info"
        metadata = email.parser.Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
    assert metadata["Version"] == version, (metadata["Version"], version)
    assert metadata["Requires-Python"] == ">=3.11", metadata["Requires-Python"]
    missing = WHEEL_REQUIRED - set(files)
    assert not missing, f"missing from the wheel: {sorted(missing)}"
    extensions = [f for f in files if f.endswith((".so", ".pyd", ".dylib"))]
    assert len(extensions) == 1 and EXTENSION.match(extensions[0]), (
        f"expected exactly one extension picoring/_picoring.abi3.so, found {extensions}"
    )
    junk = [f for f in files if junk_path(f, JUNK_PARTS)]
    assert not junk, f"junk in the wheel: {junk}"
    unexpected = [f for f in files if not any(p.match(f) for p in WHEEL_ALLOWED)]
    assert not unexpected, f"unexpected files in the wheel: {unexpected}"
    if quiet:
        return
    log(f"wheel file list ok ({len(files)} files):")
    for f in sorted(files):
        log(f"    {f}")


def check_the_checker(wheel: Path, version: str) -> None:
    """`check_wheel` refuses copies of the wheel with one thing wrong each: a file missing, or
    a test, a cache, a benchmark, a second extension or build output added."""
    dist_info = f"picoring-{version}.dist-info"
    broken = {
        "without py.typed": ({"picoring/py.typed"}, {}),
        "without the stubs": ({"picoring/_picoring.pyi"}, {}),
        "without the extension": ({"picoring/_picoring.abi3.so"}, {}),
        "with a test": (set(), {"picoring/tests/test_ring.py": b"def test(): pass\n"}),
        "with a bytecode cache": (set(), {"picoring/__pycache__/__init__.cpython-311.pyc": b"x"}),
        "with a benchmark": (set(), {"bench/run.py": b"print()\n"}),
        "with a second extension": (set(), {"picoring/_picoring.cpython-311-x86_64-linux-gnu.so": b"x"}),
        "with build output": (set(), {"picoring/lib_picoring.rlib": b"x"}),
        "with a stray file": (set(), {"picoring/notes.txt": b"x"}),
        "with another dist-info file": (set(), {f"{dist_info}/direct_url.json": b"{}"}),
    }
    with tempfile.TemporaryDirectory(prefix="picoring-wheel-check-") as tmp, zipfile.ZipFile(wheel) as src:
        for what, (drop, add) in broken.items():
            copy = Path(tmp) / wheel.name
            with zipfile.ZipFile(copy, "w") as dst:
                for name in src.namelist():
                    if name not in drop:
                        dst.writestr(name, src.read(name), zipfile.ZIP_DEFLATED)
                for name, data in add.items():
                    dst.writestr(name, data)
            try:
                check_wheel(copy, version, quiet=True)
            except AssertionError:
                continue
            sys.exit(f"the file-list check accepted a wheel {what}: the check is broken")
    log(f"the file-list check refuses {len(broken)} broken copies of the wheel")


def junk_path(path: str, parts: set[str], prefixes: tuple[str, ...] = ()) -> bool:
    """A path with a junk directory in it, a junk suffix, or under one of `prefixes`."""
    return (
        any(part in parts for part in PurePosixPath(path).parts)
        or path.endswith(JUNK_SUFFIXES)
        or path.startswith(prefixes)
    )


def check_sdist(sdist: Path, version: str) -> None:
    assert sdist.name == f"picoring-{version}.tar.gz", sdist.name
    top = f"picoring-{version}"
    with tarfile.open(sdist) as tf:
        members = [m.name for m in tf.getmembers() if m.isfile()]
        pkg_info = email.parser.Parser().parsestr(tf.extractfile(f"{top}/PKG-INFO").read().decode())
    assert pkg_info["Version"] == version, (pkg_info["Version"], version)
    inside = [m[len(top) + 1 :] for m in members if m.startswith(top + "/")]
    assert len(inside) == len(members), "sdist members outside its top directory"
    missing = [f for f in SDIST_REQUIRED if f not in inside]
    assert not missing, f"missing from the sdist: {missing}"
    junk = [f for f in inside if junk_path(f, SDIST_JUNK_PARTS, SDIST_JUNK_PREFIXES)]
    assert not junk, f"junk in the sdist: {junk}"
    log(f"sdist contents ok ({len(inside)} files, version {version})")


def probe(python: Path) -> tuple[str, tuple[int, int, int], bool] | None:
    """(implementation, version, free-threaded) of an interpreter, or None if it does not run."""
    code = (
        "import sys, sysconfig; print(sys.implementation.name, *sys.version_info[:3], "
        "bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
    )
    try:
        out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    impl, major, minor, micro, free_threaded = out.stdout.split()
    return impl, (int(major), int(minor), int(micro)), free_threaded == "True"


def pyenv_pythons() -> list[Path]:
    """The interpreters pyenv knows (`pyenv versions --bare`), else those under its root."""
    pyenv = shutil.which("pyenv")
    root = os.environ.get("PYENV_ROOT")
    if pyenv is None and root and (Path(root) / "bin" / "pyenv").exists():
        pyenv = str(Path(root) / "bin" / "pyenv")
    if pyenv is None and root is None and (Path.home() / ".pyenv" / "bin" / "pyenv").exists():
        pyenv = str(Path.home() / ".pyenv" / "bin" / "pyenv")
    if pyenv is not None:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip() or root
        names = subprocess.run(
            [pyenv, "versions", "--bare", "--skip-aliases"], capture_output=True, text=True
        ).stdout.split()
        log(f"pyenv ({pyenv}) lists: {' '.join(names) or 'nothing'}")
    elif root:
        names = [p.name for p in sorted(Path(root).glob("versions/3.1[1-9]*"))]
        names += [p.name for p in sorted(Path(root).glob("versions/3.[2-9][0-9]*"))]
        log(f"no pyenv command; {root}/versions has: {' '.join(names) or 'nothing'}")
    else:
        log("no pyenv and no PYENV_ROOT: only the running interpreter")
        return []
    found = []
    for name in names:
        # CPython releases only (pypy3.10-..., miniconda..., system are not "3.N...").
        if not re.match(r"^3\.\d+", name):
            continue
        python = Path(root) / "versions" / name / "bin" / "python3"
        if python.exists():
            found.append(python)
    return found


def interpreters() -> list[tuple[str, Path]]:
    """One CPython per minor version >= 3.11 (the newest of each), GIL builds only."""
    by_minor: dict[tuple[int, int], tuple[tuple[int, int, int], Path]] = {}
    for python in pyenv_pythons() + [Path(sys.executable)]:
        info = probe(python)
        if info is None:
            problem(f"{python} was found but does not run: not tested")
            continue
        impl, version, free_threaded = info
        if impl != "cpython" or version[:2] < MIN_VERSION:
            continue
        if free_threaded:
            log(f"{python} ({'.'.join(map(str, version))}t) is free-threaded: the abi3 wheel "
                "cannot be installed there (see the README's free-threading notes); skipped")
            continue
        best = by_minor.get(version[:2])
        if best is None or version > best[0]:
            by_minor[version[:2]] = (version, python)
    chosen = [(".".join(map(str, v)), p) for v, p in (by_minor[k] for k in sorted(by_minor))]
    if len(chosen) < 2:
        log("only one CPython >= 3.11 on this machine: the wheel is tested with it alone")
    return chosen


def make_venv(python: Path, where: Path, packages: list[str | Path]) -> Path:
    run([python, "-m", "venv", where])
    venv_python = where / "bin" / "python"
    # --no-compile: byte-compiling numpy and hypothesis takes most of the install time (77 s
    # against 29 s measured), and the tests do not need it.
    pip = [venv_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    run(pip + packages)
    for optional in OPTIONAL_TEST_TOOLS:
        try:
            run(pip + [optional])
        except subprocess.CalledProcessError:
            problem(f"{optional} cannot be installed for {python}: its tests skip there")
    return venv_python


def test_wheel_with(label: str, python: Path, wheel: Path, version: str, pytest_args: list[str]) -> float:
    """A fresh venv for `python`, the wheel installed, the suite run from a temporary copy."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="picoring-wheel-") as tmp:
        tmp = Path(tmp)
        venv_python = make_venv(python, tmp / "venv", [wheel, *TEST_TOOLS])
        work = tmp / "work"
        # The README sits two levels above the tests, as in the repository (test_readme.py).
        shutil.copytree(REPO / "python" / "tests", work / "python" / "tests",
                        ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        shutil.copy(REPO / "README.md", work / "README.md")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONPATH", None)
        check = (
            "import sys, pathlib, picoring; "
            "origin = pathlib.Path(picoring.__file__).resolve(); "
            "prefix = pathlib.Path(sys.prefix).resolve(); "
            "assert prefix in origin.parents, f'picoring from {origin}, not the venv {prefix}'; "
            f"assert picoring.__version__ == {version!r}, picoring.__version__; "
            "print('picoring', picoring.__version__, 'from', origin.parent)"
        )
        run([venv_python, "-c", check], cwd=work, env=env)
        result = subprocess.run(
            [str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests",
             *pytest_args],
            cwd=work, env=env,
        )
        if result.returncode == 5:
            sys.exit(f"pytest collected no tests with {label}: the setup is broken")
        if result.returncode != 0:
            sys.exit(f"pytest failed with the wheel on CPython {label} ({python})")
        # CPython's own test suites with the built-ins swapped for picoring's lists.
        shutil.copytree(REPO / "python" / "compat", work / "python" / "compat",
                        ignore=shutil.ignore_patterns("__pycache__"))
        has_tests = subprocess.run([str(venv_python), "-c", "import test.test_array"],
                                   cwd=work, env=env, capture_output=True).returncode == 0
        if not has_tests:
            problem(f"CPython {label} ({python}) has no `test` package: its compat suites did not run")
        elif subprocess.run([str(venv_python), "python/compat/run_suites.py"], cwd=work, env=env).returncode:
            sys.exit(f"CPython's suites with picoring's lists failed on CPython {label} ({python})")
    return time.monotonic() - start


def test_sdist(sdist: Path, version: str) -> float:
    """Builds and installs the sdist in a fresh venv of the running interpreter, then smoke-tests."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="picoring-sdist-") as tmp:
        tmp = Path(tmp)
        # A target directory of its own, empty: the sdist's files carry one fixed old mtime, so
        # in a reused target directory cargo would take the last sdist's build as up to date
        # (its fingerprints compare mtimes, and the paths inside the sdist never change).
        env = dict(os.environ, CARGO_TARGET_DIR=str(tmp / "target"))
        run([sys.executable, "-m", "venv", tmp / "venv"])
        venv_python = tmp / "venv" / "bin" / "python"
        # --no-cache-dir: pip keeps wheels it built from an sdist named like this one, keyed by
        # its path, and would install the wheel of an older sdist at the same path instead of
        # building this one. Not --quiet: the log shows the build ("Building wheel for picoring").
        run([venv_python, "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
             "--no-compile", sdist], env=env)
        shutil.copy(REPO / "packaging" / "smoke.py", tmp / "smoke.py")
        run([venv_python, "smoke.py", "--expect-version", version], cwd=tmp)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description="Tests the wheel and sdist in dist/.")
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument(
        "--subset-after-first",
        metavar="EXPR",
        help="run the full suite on the oldest CPython, and only `pytest -m EXPR` tests on the "
        "others (default: the full suite everywhere)",
    )
    parser.add_argument("--skip-sdist", action="store_true", help="do not build the sdist")
    args = parser.parse_args()

    version = cargo_version()
    wheel, sdist = find_dists(args.dist.resolve())
    log(f"Cargo.toml version {version}; wheel {wheel.name}; sdist {sdist.name}")
    check_wheel(wheel, version)
    check_the_checker(wheel, version)
    check_sdist(sdist, version)

    chosen = interpreters()
    log("CPython interpreters used: " + ", ".join(f"{label} ({p})" for label, p in chosen))
    timings = []
    for i, (label, python) in enumerate(chosen):
        extra = ["-m", args.subset_after_first] if i > 0 and args.subset_after_first else []
        seconds = test_wheel_with(label, python, wheel, version, extra)
        timings.append(f"CPython {label}: {seconds:.0f} s" + (" (subset)" if extra else ""))
        log(f"the wheel passed the suite on CPython {label} in {seconds:.0f} s")
    # The classifiers name the versions tested: every version tested here must be classified
    # (add it to pyproject.toml), and a classified version this machine lacks is pointed out.
    claimed = classified_versions(wheel, version)
    tested = {".".join(label.split(".")[:2]) for label, _ in chosen}
    assert tested <= claimed, f"tested on {sorted(tested - claimed)} but not in the classifiers"
    if claimed - tested:
        print(f"[wheel-test] WARNING: classified but not tested on this machine (no such "
              f"interpreter here): {sorted(claimed - tested)}", file=sys.stderr, flush=True)
    if not args.skip_sdist:
        seconds = test_sdist(sdist, version)
        timings.append(f"sdist build + smoke test: {seconds:.0f} s")
    log("passed: " + "; ".join(timings))


if __name__ == "__main__":
    main()
