# picoring: `make test` sets up everything it needs and runs every test; `make bench` prints the
# benchmark tables. Both work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO ?= cargo

.PHONY: test lint rust-test python-test python-build python-bench miri loom bench check-targets

test: lint rust-test python-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

rust-test:
	$(CARGO) test --workspace --all-features

# Python: a private .venv with the build and test tools from PyPI, the extension built in
# release mode (the tests move real amounts of data) and installed there, then pytest.
# numpy is optional: its tests skip when it cannot be installed.
PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python

$(VENV)/.tools-installed:
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check "maturin>=1.16,<2" pytest hypothesis
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check numpy || echo "numpy not installed: numpy tests will skip"
	touch $@

python-build: $(VENV)/.tools-installed
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release --quiet

# pytest's exit code 5 ("no tests collected") means the setup is broken, not that all passed.
python-test: python-build
	rc=0; $(VENV_PY) -m pytest -q python/tests || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the Python setup is broken" >&2; exit 1; fi; \
	exit $$rc

# Per-call costs from Python, against collections.deque and a bytearray FIFO.
python-bench: python-build
	$(VENV_PY) python/bench/bench_calls.py

# The library under Miri, on the software mirror backend (the only one Miri can model; under
# Miri it is the default). Unit, integration and doc tests, all features. Tests that need real
# system calls (fork, running out of mappings, the OS mirror backends) are compiled out or
# ignored under Miri, and the randomized tests shrink their sizes with cfg!(miri). Not part of
# `make test`: about 9 minutes on a busy 2-core machine (Miri clock: ring_* tests 30 s, list,
# queue and stream 430 s, the 138 doc tests 190 s, which stay in because they exercise every
# public item).
miri:
	rustup component add --toolchain nightly miri rust-src
	MIRIFLAGS="-Zmiri-strict-provenance" $(CARGO) +nightly miri test -p picoring --all-features

# The macOS and Windows backends compile here but cannot run here.
check-targets:
	rustup target add aarch64-apple-darwin x86_64-pc-windows-msvc
	$(CARGO) check -p picoring --target aarch64-apple-darwin
	$(CARGO) check -p picoring --target x86_64-pc-windows-msvc

bench:
	$(CARGO) bench -p picoring
