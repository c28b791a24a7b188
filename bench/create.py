"""Creating and dropping a 64 KiB byte ring from Python: `PicoRingByte(65536)` against
`bytearray(65536)`, in interleaved rounds (median and spread of the per-call time).

    .venv/bin/python bench/create.py [--quick]

The ring comes from the calling thread's pool of released mirrors after the first round (see
the Rust docs of `MirrorBuffer`, "Pooling"), so this measures the pooled path: the extension
call, the pool, and zeroing the 64 KiB on drop. bytearray(65536) allocates and zeroes as much.
"""

import argparse
import statistics
import timeit

import picoring


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few calls: checks the code")
    args = parser.parse_args()
    rounds, number = (3, 100) if args.quick else (21, 20_000)
    rows = {
        "PicoRingByte(65536)": lambda: picoring.PicoRingByte(65536),
        "bytearray(65536)": lambda: bytearray(65536),
    }
    times = {name: [] for name in rows}
    for _ in range(rounds):
        for name, make in rows.items():
            times[name].append(timeit.timeit(make, number=number) / number * 1e9)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["bytearray(65536)"]
    print(f"create + drop, {rounds} interleaved rounds of {number}")
    print("| row | median | fastest round | slowest round | / bytearray |")
    print("|---|---|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {medians[name]:.0f} ns | {min(t):.0f} ns | {max(t):.0f} ns |"
              f" {medians[name] / base:.2f}x |")


if __name__ == "__main__":
    main()
