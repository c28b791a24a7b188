#!/usr/bin/env bash
# The library crate as crates.io would get it: `cargo package -p picoring` (the publish
# dry-run: metadata, file list, no path dependencies, README and licence files inside the
# package), then the .crate unpacked into a temporary directory outside the workspace and its
# own tests run there (unit, integration and doc tests, the README's examples among them),
# with the Cargo.lock the package carries, on all features.
#
# `--allow-dirty` packages the working tree as it is, so uncommitted changes are tested too.
# The verification build of `cargo package` is skipped: the test run below builds the same
# sources. The tests build in $CARGO_TARGET_DIR/package-test (target/ by default), so reruns are
# incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")

$CARGO package -p picoring --allow-dirty --no-verify
version=$($CARGO metadata --no-deps --format-version 1 |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "picoring"))')
crate=$target_dir/package/picoring-$version.crate
[ -f "$crate" ] || { echo "no $crate after cargo package" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/picoring-crate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$crate" -C "$tmp"
unpacked=$tmp/picoring-$version
# The package's files carry one fixed old mtime: without this, cargo would take the build of
# the last package in the reused target directory below as up to date for this one.
find "$unpacked" -type f -exec touch {} +
echo "== testing the packaged crate in $unpacked"
for f in Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE src/lib.rs; do
    [ -f "$unpacked/$f" ] && [ ! -L "$unpacked/$f" ] || { echo "the package lacks $f (or it is a link)" >&2; exit 1; }
done
# No workspace above the temporary directory: cargo must treat the package as its own root.
cd "$unpacked"
test "$($CARGO locate-project --workspace --message-format plain)" = "$unpacked/Cargo.toml"
CARGO_TARGET_DIR=$target_dir/package-test \
    $CARGO test --locked --all-features
echo "== the packaged picoring $version builds and passes its tests outside the workspace"
