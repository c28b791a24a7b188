"""Tables (markdown) and the ratio chart (PNG) for bench/run.py's results."""

from __future__ import annotations

from pathlib import Path

from common import fmt_time

RATIO_NOTE = (
    "Ratios are time ÷ picoring's time in the same table: above 1 is slower than picoring, "
    "below 1 is faster."
)


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.001:
        return f"{value:.1e}×"
    return f"{value:.3g}×" if value < 100 else f"{value:,.0f}×"


def fmt_bytes(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.3g} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n / 1e3:.3g} kB" if n >= 1000 else f"{n} B"


def table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def both_runs(scenario: dict | None, key: str) -> list:
    """`key` ("rows" or "notes") of our run of a scenario, then of the upstream wheel's."""
    if not scenario:
        return []
    runs = [scenario["ours"], scenario.get("upstream")]
    return [item for run in runs if run for item in run[key]]


def all_rows(scenario: dict | None) -> list[dict]:
    return both_runs(scenario, "rows")


def extract_ratios(scenario: dict) -> list[tuple[str, float]]:
    rows = all_rows(scenario)
    base = next((r["seconds"] for r in rows if r["case"] == "picoring: get_readable_view()"), None)
    return [(r["case"], r["seconds"] / base if base else None) for r in rows]


def section_extract(scenario: dict) -> list[str]:
    params = scenario["ours"]["params"]
    out = [
        f"## 1. One contiguous {fmt_bytes(params['chunk'])} chunk from a wrapped "
        f"{fmt_bytes(params['buffer'])} buffer",
        "",
        "Copies = how many times each byte is copied to get the result. Only the rows with "
        "\"one buffer: yes\" hand a parser or numpy a single contiguous buffer.",
        "",
    ]
    ratios = dict(extract_ratios(scenario))
    rows = [
        [r["case"], str(r["copies"]), "yes" if r["contiguous"] else "no (two pieces)", fmt_time(r["seconds"]), fmt_ratio(ratios[r["case"]])]
        for r in all_rows(scenario)
    ]
    out += table(["method", "copies", "one buffer", "time per call", "time / picoring"], rows, "llrrr")
    upstream_sweep = {}
    if scenario.get("upstream"):
        upstream_sweep = {e["size"]: e["view_seconds"] for e in scenario["upstream"]["params"]["sweep"]}
    out += ["View time against queued size (the view must not grow with it; a copy does):", ""]
    rows = [
        [
            fmt_bytes(e["size"]),
            fmt_time(e["view_seconds"]),
            fmt_time(upstream_sweep[e["size"]]) if e["size"] in upstream_sweep else "",
            fmt_time(e["copy_seconds"]) if "copy_seconds" in e else "",
        ]
        for e in params["sweep"]
    ]
    out += table(["queued", "picoring view", "picoring 0.6 view", "copy into reused buffer"], rows, "rrrr")
    return out


def growth_ratios(rows: list[dict]) -> dict[str, float | None]:
    """Each row's time over our picoring row's of the same item type and growth style."""
    base = {(r["table"], r["growth"]): r["seconds"] for r in rows if r["picoring"] and not r["case"].startswith("picoring 0.6")}
    return {r["case"]: (r["seconds"] / base[(r["table"], r["growth"])] if (r["table"], r["growth"]) in base else None) for r in rows}


def section_growth(scenario: dict) -> list[str]:
    items = scenario["ours"]["params"]["items"]
    rows_all = all_rows(scenario)
    ratios = growth_ratios(rows_all)
    out = [
        f"## 2. Growing a list to {items:,} items (fresh process per row)",
        "",
        "Bulk rows extend by 1 MiB chunks; per-item rows make one Python call per item. "
        "Peak RSS is the rise of the process's high-water mark (VmHWM) while growing.",
        "",
    ]
    for kind, title in (("bytes", "Byte items (0..255)"), ("int64", "64-bit integer items")):
        rows = [
            [r["case"], r["growth"], fmt_time(r["seconds"]), f"{r['peak_rss_delta_mb']:.0f} MB", fmt_ratio(ratios[r["case"]])]
            for r in rows_all
            if r["table"] == kind
        ]
        if rows:
            out += [f"### {title}", ""] + table(["container", "growth", "time", "peak RSS", "time / picoring"], rows, "llrrr")
    return out


def pair_us(row: dict) -> float:
    """Median push + median pop: robust to the stalls other processes cause on a shared box."""
    return row["push_median_us"] + row["pop_median_us"]


def queue_ratios(rows: list[dict]) -> dict[tuple[str, int], float | None]:
    """Median time per push + pop pair over picoring's push_bulk/pop_bulk row, per chunk size."""
    base = {r["chunk"]: pair_us(r) for r in rows if r.get("baseline")}
    return {(r["case"], r["chunk"]): (pair_us(r) / base[r["chunk"]] if r["chunk"] in base else None) for r in rows}


def section_queue(scenario: dict) -> list[str]:
    rows_all = all_rows(scenario)
    ratios = queue_ratios(rows_all)
    out = [
        "## 3. Chunks through a queue: push one, pop one",
        "",
        "Columns that store a reference (deque, queue.Queue) copy nothing and return the very "
        "objects pushed: they are the fastest and the right tool when whole messages are all "
        "you need. picoring and the bytearray FIFO are byte streams: they copy in and out and "
        "allow reads of any size across chunk boundaries. Steady state: each column first runs "
        "6 untimed rounds (a fresh mirrored ring faults once per page of each mapping on first "
        "write). Throughput is bytes over total time, stalls included; the ratio uses the "
        "median push + pop.",
        "",
    ]
    for chunk in sorted({r["chunk"] for r in rows_all}, reverse=True):
        rows = [
            [
                r["case"],
                r["copies"],
                "yes" if r["byte_level"] else "no",
                fmt_time(r["push_median_us"] / 1e6),
                fmt_time(r["pop_median_us"] / 1e6),
                fmt_time(r["worst_call_us"] / 1e6),
                f"{r['throughput_gb_s']:.2f} GB/s" if r["byte_level"] else "(no bytes move)",
                fmt_ratio(ratios[(r["case"], r["chunk"])]),
            ]
            for r in rows_all
            if r["chunk"] == chunk
        ]
        out += [f"### {fmt_bytes(chunk)} chunks", ""]
        out += table(
            ["queue", "copies", "byte reads", "push (median)", "pop (median)", "worst call", "throughput", "time / picoring"],
            rows,
            "lllrrrrr",
        )
    return out


def section_aio(scenario: dict) -> list[str]:
    rows = scenario["ours"]["rows"]
    out = [
        "## 4. Network receive: picoring.aio.StreamReader against asyncio.StreamReader",
        "",
        "Loopback TCP, a sender process writing as fast as the socket takes it; each event loop "
        "compared with itself. Best of interleaved rounds; spread = worst / best; the last "
        "column is asyncio's time over the case's (above 1: faster than asyncio). Backlog rows "
        "feed both readers directly while that many bytes stay buffered.",
        "",
    ]
    body = [
        [
            r["group"],
            r["case"],
            fmt_time(r["per_message_seconds"]),
            f"{r['mb_s']:.0f} MB/s",
            f"{r['spread']:.2f}",
            f"{r['speedup_vs_asyncio']:.2f}×",
        ]
        for r in rows
    ]
    out += table(["messages", "reader", "per message", "throughput", "spread", "asyncio / this"], body, "llrrrr")
    return out


def section_rust(rust: dict) -> list[str]:
    out = ["## Rust: picoring against peer crates (criterion medians)", ""]
    for group, rows in sorted(rust.items()):
        rows = sorted(rows, key=lambda r: (r["implementation"] != "picoring", r["median_ns"]))
        body = [
            [
                r["implementation"],
                fmt_time(r["median_ns"] / 1e9),
                f"{r['bytes_per_iter'] / r['median_ns']:.1f} GB/s" if r.get("bytes_per_iter") else "",
                fmt_ratio(r.get("ratio_to_picoring")),
            ]
            for r in rows
        ]
        out += [f"### {group}", ""] + table(["implementation", "median", "throughput", "time / picoring"], body, "lrrr")
    return out


def section_curves(results: dict) -> list[str]:
    curves = results.get("curves") or {}
    python = python_curve_table(results["scenarios"].get("curves"))
    if not curves.get("points") and not python:
        return []
    out = ["## Growth curves: cost against ring size and chunk size", ""]
    out += curve_tables(curves) + python
    out += [f"- {s}" for s in where_mirroring_stops(curves)] + [""]
    return out + [f"- {n}" for n in curves.get("notes", [])] + [""]


def render_markdown(results: dict) -> str:
    m = results["machine"]
    out = [
        "# picoring benchmark results",
        "",
        f"{m['date']}: {m['cpu']}, {m['cores']} cores, {m['kernel']}; Python {m['python']}, "
        f"numpy {m['numpy']}, {m['rustc']}"
        + (f"; upstream picoring wheel {m['upstream_wheel']}" if m.get("upstream_wheel") else "")
        + (f"; 1-minute load average {m['load_average_at_start']} at start" if m.get("load_average_at_start") is not None else "")
        + ".",
        "",
    ]
    if results["quick"]:
        out += ["**Quick run (tiny sizes): these figures check the code, they measure nothing.**", ""]
    out += [RATIO_NOTE, ""]
    scenarios = results["scenarios"]
    if "extract" in scenarios:
        out += section_extract(scenarios["extract"])
    if "list_growth" in scenarios:
        out += section_growth(scenarios["list_growth"])
    if "list_edit" in scenarios:  # scenario_list_edit.py renders its own table
        out += scenarios["list_edit"]["ours"]["params"]["markdown"].splitlines() + [""]
    if "queue" in scenarios:
        out += section_queue(scenarios["queue"])
    if "ipc" in scenarios:  # scenario_ipc.py renders its own tables
        out += scenarios["ipc"]["ours"]["params"]["markdown"].splitlines() + [""]
    if "aio" in scenarios:
        out += section_aio(scenarios["aio"])
    if scenarios.get("bytes_methods", {}).get("ours", {}).get("params", {}).get("markdown"):
        out += scenarios["bytes_methods"]["ours"]["params"]["markdown"].splitlines() + [""]
    if results.get("rust"):
        out += section_rust(results["rust"])
    out += section_curves(results)
    if results.get("counts"):
        out += ["## Instructions per operation (callgrind)", ""] + counts_table(results["counts"])
    notes = list(results.get("notes", []))
    for scenario in scenarios.values():
        notes += both_runs(scenario, "notes")
    notes = list(dict.fromkeys(notes))  # the same note can come from several chunk sizes
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out)


def write_chart(results: dict, path: Path) -> Path | None:
    """One panel of time-over-picoring ratios per scenario (log scale), as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart", flush=True)
        return None
    scenarios = results["scenarios"]
    # (title, [(label, ratio, is picoring)]); 0.6 labels are told apart by their prefix.
    panels: list[tuple[str, list[tuple[str, float | None, bool]]]] = []
    if "extract" in scenarios:
        bars = [(n, v, n.startswith("picoring")) for n, v in extract_ratios(scenarios["extract"])]
        panels.append(("1. contiguous chunk from wrapped data", bars))
    if "list_growth" in scenarios:
        rows = all_rows(scenarios["list_growth"])
        ratios = growth_ratios(rows)
        bars = [(f"{r['case']} [{r['table']}, {r['growth']}]", ratios[r["case"]], r["picoring"]) for r in rows]
        panels.append(("2. list growth (time)", bars))
    if "queue" in scenarios:
        rows = all_rows(scenarios["queue"])
        ratios = queue_ratios(rows)
        bars = [(f"{r['case']} [{fmt_bytes(r['chunk'])}]", ratios[(r["case"], r["chunk"])], r["picoring"]) for r in rows]
        panels.append(("3. queue push+pop", bars))
    if results.get("rust"):
        bars = []
        for group, rows in sorted(results["rust"].items()):
            rows = sorted(rows, key=lambda r: (r["implementation"] != "picoring", r["implementation"] != "picoring 0.6", r["median_ns"]))
            bars += [
                (f"{group}: {r['implementation']}", r.get("ratio_to_picoring"), r["implementation"].startswith("picoring"))
                for r in rows
            ]
        panels.append(("Rust (criterion)", bars))
    panels = [(t, [bar for bar in bars if bar[1]]) for t, bars in panels]
    panels = [p for p in panels if p[1]]
    if not panels:
        return None
    heights = [max(2.0, 0.28 * len(bars) + 1) for _, bars in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(12.5, sum(heights)), gridspec_kw={"height_ratios": heights})
    axes = axes if len(panels) > 1 else [axes]
    for ax, (title, bars) in zip(axes, panels):
        names = [n for n, _, _ in bars]
        values = [v for _, v, _ in bars]
        colors = [("tab:orange" if "picoring 0.6" in n else "tab:blue") if pico else "tab:gray" for n, _, pico in bars]
        ax.barh(range(len(values)), values, color=colors)
        ax.set_yticks(range(len(values)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("time ÷ picoring's (log scale; >1 = slower than picoring)", fontsize=8)
    machine = results["machine"]
    fig.suptitle(f"picoring benchmarks — {machine['cpu']}, {machine['cores']} cores" + (" (quick run)" if results["quick"] else ""), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / sum(heights)))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---- Growth curves (crates/compare/benches/curves.rs and scenario_curves.py) and counts ----

CURVE_PEERS = ["picoring", "VecDeque", "ringbuf"]


def curve_points(curves: dict, sweep: str, op: str) -> dict[int, dict[str, float]]:
    """{size: {implementation: ns}} of one Rust sweep (ns per byte or per view)."""
    table_: dict[int, dict[str, float]] = {}
    for p in curves.get("points", []):
        if p["sweep"] == sweep and p["op"] == op:
            table_.setdefault(p["size"], {})[p["implementation"]] = p["ns"]
    return dict(sorted(table_.items()))


def python_curve(scenario: dict | None) -> dict[int, dict[str, float]]:
    """{queued bytes: {case: seconds}} of scenario_curves.py, ours and the upstream wheel's."""
    table_: dict[int, dict[str, float]] = {}
    for r in all_rows(scenario):
        table_.setdefault(r["size"], {})[r["case"]] = r["seconds"]
    return dict(sorted(table_.items()))


def size_text(n: int) -> str:
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} B"


# A single view timed below this many nanoseconds is under the clock's resolution here.
CLOCK_FLOOR_NS = 10.0
CURVE_COLORS = {"picoring": "tab:blue", "VecDeque": "tab:green", "ringbuf": "tab:orange"}


def view_time(ns: float) -> str:
    return f"< {CLOCK_FLOOR_NS:.0f} ns" if ns < CLOCK_FLOOR_NS else fmt_time(ns / 1e9)


def size_axis(ax) -> None:
    """Log2 x axis labelled 4 KiB, 1 MiB, ... at every other power of two."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    lo, hi = ax.get_xlim()
    ticks = [2**k for k in range(0, 41, 2) if lo <= 2**k <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: size_text(int(round(x)))))
    ax.tick_params(axis="x", labelsize=7, rotation=45)


def curve_tables(curves: dict) -> list[str]:
    """Markdown tables of the Rust sweeps: throughput (GB/s) for push/consume, time per view."""
    out: list[str] = []
    titles = {
        ("ring", "push_consume"): f"push + consume {size_text(curves.get('ring_sweep_chunk', 1024))} chunks, half the ring queued: GB/s against ring size",
        ("ring", "view"): "one contiguous view of the half-full ring, wrapped: time against ring size",
        ("chunk", "push_consume"): f"push + consume through a {size_text(curves.get('chunk_sweep_ring', 4 << 20))} ring: GB/s against chunk size",
        ("chunk", "view"): f"one contiguous view of a chunk straddling the wrap of a {size_text(curves.get('chunk_sweep_ring', 4 << 20))} ring: time against chunk size",
    }
    for (sweep, op), title in titles.items():
        points = curve_points(curves, sweep, op)
        if not points:
            continue
        rows = []
        for size, by_impl in points.items():
            cells = []
            for peer in CURVE_PEERS:
                ns = by_impl.get(peer)
                if ns is None:
                    cells.append("")
                elif op == "view":
                    cells.append(view_time(ns))
                else:
                    cells.append(f"{1 / ns:.2f}")
            base = by_impl.get("picoring")
            others = [by_impl[p] for p in CURVE_PEERS[1:] if p in by_impl]
            measurable = base is not None and (op != "view" or base >= CLOCK_FLOOR_NS)
            ratio = min(others) / base if base and others and measurable else None
            rows.append([size_text(size)] + cells + [fmt_ratio(ratio) if op == "view" else (f"{ratio:.2f}" if ratio else "")])
        label = "best peer's time ÷ picoring's" if op == "view" else "best peer's time ÷ picoring's (below 1: a peer is faster)"
        out += [f"**{title}**", ""] + table([sweep + " size"] + CURVE_PEERS + [label], rows, "r" * (len(CURVE_PEERS) + 2))
    return out


def python_curve_table(scenario: dict | None) -> list[str]:
    points = python_curve(scenario)
    if not points:
        return []
    cases = list(dict.fromkeys(c for by_case in points.values() for c in by_case))
    rows = [[size_text(size)] + [fmt_time(by_case[c]) if c in by_case else "" for c in cases] for size, by_case in points.items()]
    return ["**Python: one contiguous buffer of the queued bytes (half the ring, wrapped) against queued size**", ""] + table(
        ["queued"] + cases, rows, "r" * (len(cases) + 1)
    )


def where_mirroring_stops(curves: dict) -> list[str]:
    """Sentences, from this run's figures, on where picoring's push/consume is behind a peer
    (the view never is: it does not copy)."""
    out = []
    for sweep, what in (("ring", "ring size"), ("chunk", "chunk size")):
        points = curve_points(curves, sweep, "push_consume")
        behind = []
        for size, by_impl in points.items():
            base = by_impl.get("picoring")
            best_peer = min((by_impl[p], p) for p in CURVE_PEERS[1:] if p in by_impl) if len(by_impl) > 1 else None
            if base and best_peer and best_peer[0] < base / 1.05:
                behind.append(f"{size_text(size)} ({best_peer[1]} {base / best_peer[0]:.2f}x as fast)")
        if behind:
            out.append(f"Push + consume against {what}: a peer copies faster than picoring at " + ", ".join(behind) + ".")
        elif points:
            out.append(f"Push + consume against {what}: picoring is at or within 5% of the fastest peer at every size measured.")
    return out


def counts_table(counts: list[dict]) -> list[str]:
    """Instructions per operation (callgrind), one row per operation, one column per implementation."""
    if not counts:
        return []
    columns = list(dict.fromkeys(r["implementation"] for r in counts))
    ops = list(dict.fromkeys(r["operation"] for r in counts))
    cell = {(r["operation"], r["implementation"]): r["instructions"] for r in counts}
    rows = []
    for op in ops:
        row = [op]
        for c in columns:
            n = cell.get((op, c))
            row.append("" if n is None else (f"{n:,.0f}" if n >= 100 else f"{n:.1f}"))
        rows.append(row)
    return table(["instructions per operation"] + columns, rows, "l" + "r" * len(columns))


def write_curves_chart(results: dict, path: Path) -> Path | None:
    """Throughput and view time against size (log-log), Rust sweeps and the Python view."""
    curves = results.get("curves") or {}
    python = python_curve(results["scenarios"].get("curves"))
    if not curves.get("points") and not python:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no curves chart", flush=True)
        return None
    panels = [
        ("ring", "push_consume", "Rust push + consume: GB/s against ring size"),
        ("ring", "view", "Rust contiguous view of half the ring: time against ring size"),
        ("chunk", "push_consume", "Rust push + consume: GB/s against chunk size"),
        ("chunk", "view", "Rust view of a straddling chunk: time against chunk size"),
    ]
    fig, axes = plt.subplots(3, 2, figsize=(12, 12))
    flat = list(axes.flat)
    for ax, (sweep, op, title) in zip(flat, panels):
        points = curve_points(curves, sweep, op)
        if not points:
            ax.axis("off")
            continue
        for peer in CURVE_PEERS:
            xs = [s for s, by in points.items() if peer in by]
            ys = [(points[s][peer] if op == "view" else 1 / points[s][peer]) for s in xs]
            if op == "view":
                ys = [max(y, 1.0) for y in ys]  # a view below the clock's resolution
            ax.plot(xs, ys, marker="o", label=peer, color=CURVE_COLORS[peer])
        ax.set_xscale("log", base=2)
        size_axis(ax)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_ylabel("ns per view (1 = below the clock's resolution)" if op == "view" else "GB/s", fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", linewidth=0.3)
    ax = flat[4]
    if not python:
        ax.axis("off")
    cases = list(dict.fromkeys(c for by in python.values() for c in by))
    others = iter(["tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:gray"])
    for case in cases:
        xs = [s for s, by in python.items() if case in by]
        ours = case == "picoring: get_readable_view()"
        color = "tab:blue" if ours else ("tab:cyan" if case.startswith("picoring") else next(others, None))
        ax.plot(xs, [python[s][case] * 1e9 for s in xs], marker="o", label=case, color=color)
    if python:
        ax.set_xscale("log", base=2)
        size_axis(ax)
        ax.set_yscale("log")
    ax.set_title("Python: one buffer of the queued bytes, time against queued size", fontsize=9, loc="left")
    ax.set_ylabel("ns per call", fontsize=8)
    ax.legend(fontsize=6, loc="upper left")
    ax.grid(True, which="both", linewidth=0.3)
    flat[5].axis("off")
    machine = results["machine"]
    fig.suptitle(f"picoring growth curves — {machine['cpu']}, {machine['cores']} cores" + (" (quick run)" if results["quick"] else ""), fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
