#!/usr/bin/env bash
# Runs every fuzz target (or those in FUZZ_TARGETS) for SECONDS each, starting from the
# committed corpus in fuzz/corpus/<target>. New inputs go to fuzz/target/corpus/<target>, so
# the committed corpus only changes on purpose (see fuzz/README.md). A crash stops the run
# with a failing status; its input is in fuzz/artifacts/<target>/.
#
# Needs the nightly toolchain and cargo-fuzz; they are installed when missing. Where that
# fails, the run is skipped with a warning, except under CI=true, where it fails.
#
# Usage: fuzz/run.sh SECONDS
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh SECONDS}
cd "$(dirname "$0")"
targets=${FUZZ_TARGETS:-ring queue stream framing list spsc mpsc}

unavailable() {
    if [ "${CI:-}" = "true" ]; then
        echo "ERROR: $1: fuzz targets cannot run (CI=true makes this fatal)" >&2
        exit 1
    fi
    echo "WARNING: $1: fuzz targets NOT run" >&2
    exit 0
}

# Install nightly only when missing: `rustup toolchain install` would also update it.
if ! rustc +nightly --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
        || unavailable "rustup cannot install the nightly toolchain"
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz || unavailable "cargo install cargo-fuzz failed"
fi


start=$SECONDS
cargo +nightly fuzz build
# Inputs that once crashed a target (regressions/<target>-<name>) must stay fixed.
for input in regressions/*; do
    [ -f "$input" ] || continue
    target=$(basename "$input"); target=${target%%-*}
    echo "== replay $input"
    cargo +nightly fuzz run "$target" "$input" >"target/replay.log" 2>&1 || {
        tail -40 target/replay.log >&2
        echo "regression input $input crashes $target again" >&2
        exit 1
    }
done
for target in $targets; do
    mkdir -p "target/corpus/$target" "corpus/$target"
    echo "== fuzz $target for ${seconds}s"
    t0=$SECONDS
    # -timeout: an input running 10 s is a hang (every target is single-threaded and never
    # waits); libFuzzer writes new inputs to the first corpus directory only.
    log="target/fuzz-$target.log"
    status=0
    cargo +nightly fuzz run "$target" "target/corpus/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        grep -v '^[#"]' "$log" | tail -80 >&2
        echo "fuzz target $target FAILED (status $status): input in fuzz/artifacts/$target/, log in fuzz/$log" >&2
        exit "$status"
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' "$log" || true
    echo "== $target: clean after $((SECONDS - t0))s"
done
echo "== all fuzz targets clean ($targets) in $((SECONDS - start))s"
