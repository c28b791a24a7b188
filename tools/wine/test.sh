#!/usr/bin/env bash
# Builds the picoring crate's unit and integration tests for Windows (x86_64-pc-windows-gnu,
# linked by Debian's mingw-w64 cross compiler) and runs them under Wine (`make test-windows`).
#
# - The Wine prefix is private: <target dir>/wine-prefix (delete it to start afresh).
# - Rust's standard library imports ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks;
#   where the prefix has no such DLL, the stand-in tools/wine/bcryptprimitives.c is built and
#   put into the prefix (never into anything that ships).
# - tools/wine/probe_placeholders.c prints how this Wine answers the placeholder calls of the
#   Windows mirror backend. Wine 8.0 rejects them, so there the crate finds the backend
#   unsupported at run time and runs every ring on the software mirror; tests/windows_backend.rs
#   checks that, told by PICORING_EXPECT_BACKEND which backend this Wine version must end up
#   with (set for Wine 8, the version this was run with; other versions get the consistency
#   checks only).
# - Release build with debug assertions and overflow checks kept on: the model tests scale with
#   Windows' 64 KiB allocation granularity (16 times Linux's pages) and take minutes in a debug
#   build under Wine.
# - Doc tests are not run (they would need the host to run Windows doctests).
#
# Where wine or mingw-w64 is missing: a loud warning and nothing run, except under CI=true,
# where they are installed with apt-get and a failed install fails the run.
set -euo pipefail

cd "$(dirname "$0")/../.."
target=x86_64-pc-windows-gnu
linker=x86_64-w64-mingw32-gcc
packages="wine wine64 gcc-mingw-w64-x86-64"

unavailable() {
    if [ "${CI:-}" = "true" ]; then
        echo "ERROR: $1: the Windows tests cannot run (CI=true makes this fatal)" >&2
        exit 1
    fi
    echo "WARNING: $1: the Windows tests (under Wine) NOT run" >&2
    exit 0
}

wine_binary() {
    command -v wine64 || command -v wine
}

if ! command -v "$linker" >/dev/null || ! wine_binary >/dev/null; then
    if [ "${CI:-}" = "true" ]; then
        sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        echo "== CI=true: installing $packages with apt-get"
        if ! { $sudo apt-get update -qq &&
            $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                $packages; }; then
            echo "ERROR: apt-get install $packages failed: the Windows tests cannot run" >&2
            exit 1
        fi
    else
        unavailable "wine or mingw-w64 is not installed (Debian: apt-get install $packages)"
    fi
fi
command -v "$linker" >/dev/null || unavailable "$linker not found"
wine=$(wine_binary) || unavailable "neither wine64 nor wine found"
rustup target add "$target" >/dev/null 2>&1 || unavailable "rustup cannot add $target"

target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
export WINEPREFIX="$target_dir/wine-prefix"
export WINEDEBUG=-all
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "== creating the Wine prefix $WINEPREFIX"
    mkdir -p "$target_dir"
    "$wine" wineboot --init >/dev/null 2>&1 || true
    wineserver -w || true
    [ -f "$WINEPREFIX/system.reg" ] || unavailable "wineboot could not create $WINEPREFIX"
fi

# The stand-in DLL, where Wine has none of its own (a stamp marks ours, so it can be rebuilt).
build="$target_dir/wine-tools"
mkdir -p "$build"
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
stamp="$WINEPREFIX/picoring-bcryptprimitives"
if [ ! -e "$dll" ] || { [ -e "$stamp" ] && [ tools/wine/bcryptprimitives.c -nt "$stamp" ]; }; then
    echo "== Wine has no bcryptprimitives.dll: installing a stand-in (ProcessPrng) in the prefix"
    "$linker" -shared -O2 -o "$build/bcryptprimitives.dll" \
        tools/wine/bcryptprimitives.c tools/wine/bcryptprimitives.def -lbcrypt
    cp "$build/bcryptprimitives.dll" "$dll"
    touch "$stamp"
fi

version=$("$wine" --version)
echo "== $version ($wine)"
"$linker" -O2 -o "$build/probe_placeholders.exe" tools/wine/probe_placeholders.c
"$wine" "$build/probe_placeholders.exe" || true
case "$version" in
    wine-8.*) export PICORING_EXPECT_BACKEND=Software ;;
    *) echo "== no expected backend known for $version: tests/windows_backend.rs checks consistency only" ;;
esac

start=$SECONDS
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER="$linker" \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine" \
    CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
    CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
    cargo test --release -p picoring --features async,bytes --target "$target" --lib --tests
echo "== Windows tests passed under $version${PICORING_EXPECT_BACKEND:+ (default backend: $PICORING_EXPECT_BACKEND)} in $((SECONDS - start)) s"
