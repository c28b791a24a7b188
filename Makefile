# picoring: `make test` sets up everything it needs and runs every test; `make bench` prints the
# benchmark tables. Both work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO ?= cargo

.PHONY: test lint rust-test miri loom bench check-targets

test: lint rust-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace

# The ring logic under Miri, on the software mirror backend (the only one Miri can model).
miri:
	rustup component add --toolchain nightly miri rust-src
	MIRIFLAGS="-Zmiri-strict-provenance" $(CARGO) +nightly miri test -p picoring --lib --tests

# The macOS and Windows backends compile here but cannot run here.
check-targets:
	rustup target add aarch64-apple-darwin x86_64-pc-windows-msvc
	$(CARGO) check -p picoring --target aarch64-apple-darwin
	$(CARGO) check -p picoring --target x86_64-pc-windows-msvc

bench:
	$(CARGO) bench -p picoring

# loom models of the SPSC and MPSC protocols (tests/loom_*.rs). Each file bounds its search
# (3 preemptions for SPSC, 2 for MPSC) so this takes minutes; LOOM_MAX_PREEMPTIONS overrides.
loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
		$(CARGO) test --release -p picoring --test loom_spsc --test loom_mpsc
