# picoring: `make test` sets up everything it needs and runs every test; `make bench` prints the
# benchmark tables. Both work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO ?= cargo

.PHONY: test lint rust-test miri loom bench bench-quick bench-upstream-venv examples check-targets

test: lint rust-test bench-quick

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

# ---- Benchmarks and examples -------------------------------------------------------------
# `venv` (the Python package, release build, in .venv) is the python part's target; PY is its
# interpreter. The benchmarks add numpy and matplotlib to it, and put the upstream picoring 0.6
# wheel from PyPI in a venv of its own (it imports as `picoring` too).
PY ?= .venv/bin/python
UPSTREAM_PY := .venv-upstream/bin/python
CRITERION_DIR = $${CARGO_TARGET_DIR:-target}/criterion
RUST_RATIOS = $${CARGO_TARGET_DIR:-target}/criterion-ratios.json

.venv/.bench-deps: | venv
	$(PY) -m pip install --quiet numpy matplotlib
	touch $@

# Best effort: without PyPI the tables simply have no upstream column (run.py says so).
bench-upstream-venv:
	@if [ ! -f .venv-upstream/.installed ]; then \
	  rm -rf .venv-upstream; \
	  if python3 -m venv .venv-upstream && $(UPSTREAM_PY) -m pip install --quiet picoring==0.6.0; then \
	    touch .venv-upstream/.installed; \
	  else \
	    echo "warning: could not install picoring 0.6.0 from PyPI: no upstream column" >&2; \
	    rm -rf .venv-upstream; \
	  fi; \
	fi

# Everything, full sizes: criterion (Rust) then the Python scenarios; tables at the end, and
# bench/results.{json,md,png}. A few minutes on 2 cores.
bench: .venv/.bench-deps bench-upstream-venv
	rm -rf $(CRITERION_DIR)
	$(CARGO) bench -p picoring-compare
	$(CARGO) run --quiet --release -p picoring-compare --bin ratios -- $(CRITERION_DIR) --json $(RUST_RATIOS) > /dev/null
	$(PY) bench/run.py --python $(PY) --upstream-python $(UPSTREAM_PY) --rust-json $(RUST_RATIOS) --out-dir bench

# The same code with tiny sizes, in seconds, so it cannot rot: each criterion benchmark runs
# once (debug build), every Python scenario runs, and every example runs small.
bench-quick: .venv/.bench-deps bench-upstream-venv examples
	$(CARGO) test -p picoring-compare --benches
	$(PY) bench/run.py --quick --python $(PY) --upstream-python $(UPSTREAM_PY) --out-dir $${CARGO_TARGET_DIR:-target}/bench-quick

RUST_EXAMPLES = tcp_parse audio_frames messages log_lines
examples: | venv
	$(CARGO) build -p picoring --examples
	for example in $(RUST_EXAMPLES); do \
	  $(CARGO) run --quiet -p picoring --example $$example -- --quick; \
	done
	for script in examples/*.py; do $(PY) $$script --quick; done
