# picoring: `make test` sets up everything it needs and runs every test; `make bench` prints the
# benchmark tables. Both work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO ?= cargo

.PHONY: test lint rust-test python-test python-build python-bench miri miri-ring msrv stress loom bench bench-quick \
	bench-upstream-venv examples check-targets

test: lint check-targets msrv rust-test stress loom miri-ring bench-quick python-test

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

# The part of `make miri` that `make test` runs (about a minute): the ring logic, its drop
# accounting and the mirror, on the software backend. Where the nightly toolchain or its Miri
# component cannot be installed, it says so loudly and the rest of `make test` goes on.
MIRI_RING_TESTS := --lib --test ring_model --test ring_drop --test ring_io --test ring_errors --test mirror
miri-ring:
	@if rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1; then \
		MIRIFLAGS="-Zmiri-strict-provenance" $(CARGO) +nightly miri test -p picoring $(MIRI_RING_TESTS); \
	else \
		echo "WARNING: Miri is not installable here (rustup component add --toolchain nightly miri failed): Miri tests NOT run" >&2; \
	fi

# The macOS and Windows backends compile here but cannot run here.
# The library builds with its stated MSRV (rust-version in Cargo.toml). Part of `make test`.
MSRV := 1.77
msrv:
	@if rustup toolchain install $(MSRV) --profile minimal >/dev/null 2>&1; then \
		$(CARGO) +$(MSRV) check -p picoring --all-features; \
	else \
		echo "WARNING: rustup cannot install Rust $(MSRV): MSRV NOT checked" >&2; \
	fi

# Part of `make test`; where the targets' standard libraries cannot be installed it says so loudly.
CROSS_TARGETS := aarch64-apple-darwin x86_64-pc-windows-msvc
check-targets:
	@if rustup target add $(CROSS_TARGETS) >/dev/null 2>&1; then \
		for t in $(CROSS_TARGETS); do \
			$(CARGO) clippy -p picoring --all-features --target $$t -- -D warnings || exit 1; \
		done; \
	else \
		echo "WARNING: rustup cannot add $(CROSS_TARGETS): macOS/Windows backends NOT compile-checked" >&2; \
	fi

# ---- Benchmarks and examples -------------------------------------------------------------
# `python-build` puts the package (release build) in .venv; the benchmarks add numpy and
# matplotlib there, and put the upstream picoring 0.6 wheel from PyPI in a venv of its own
# (it imports as `picoring` too).
PY := $(VENV_PY)
UPSTREAM_PY := .venv-upstream/bin/python
CRITERION_DIR = $${CARGO_TARGET_DIR:-target}/criterion
RUST_RATIOS = $${CARGO_TARGET_DIR:-target}/criterion-ratios.json

# Optional: without numpy its rows are missing, without matplotlib the chart (both say so).
$(VENV)/.bench-deps: | python-build
	if $(PY) -m pip install --quiet --disable-pip-version-check numpy matplotlib; then touch $@; \
	else echo "warning: numpy/matplotlib not installed: no numpy rows, no chart" >&2; fi
	# A peer for the typed-ring benchmark only (python/bench/bench_typed.py); its column stays
	# empty where it cannot be installed.
	$(PY) -m pip install --quiet --disable-pip-version-check numpy_ringbuffer \
		|| echo "warning: numpy_ringbuffer not installed: its benchmark column stays empty" >&2

# Best effort: without PyPI the tables simply have no upstream column (run.py says so).
bench-upstream-venv:
	@if [ ! -f .venv-upstream/.installed ]; then \
	  rm -rf .venv-upstream; \
	  if $(PYTHON) -m venv .venv-upstream && $(UPSTREAM_PY) -m pip install --quiet picoring==0.6.0; then \
	    touch .venv-upstream/.installed; \
	  else \
	    echo "warning: could not install picoring 0.6.0 from PyPI: no upstream column" >&2; \
	    rm -rf .venv-upstream; \
	  fi; \
	fi

# Everything, full sizes: criterion (Rust) then the Python scenarios; tables at the end, and
# bench/results.{json,md,png}. A few minutes on 2 cores.
bench: python-build $(VENV)/.bench-deps bench-upstream-venv
	rm -rf $(CRITERION_DIR)
	@echo "== [1/4] picoring against std (criterion): ring, stream, and its async ends against its blocking ones: spsc_io"
	# Kept out of the peers' ratio table (their own criterion directory); printed above.
	CRITERION_HOME=$(abspath target/criterion-std) $(CARGO) bench -p picoring --all-features --benches
	@echo "== [2/4] picoring against its peers (criterion, and interleaved rounds for the thread-safe rings): rings, streaming, threads, paired, list growth"
	$(CARGO) bench -p picoring-compare --benches
	@echo "== [3/4] Python per-call costs and typed data"
	$(PY) python/bench/bench_calls.py $$( [ -x $(UPSTREAM_PY) ] && echo --upstream $(UPSTREAM_PY) )
	$(PY) python/bench/bench_typed.py
	@echo "== [4/4] the seed's three scenarios, and the tables"
	$(CARGO) run --quiet --release -p picoring-compare --bin ratios -- $(CRITERION_DIR) --json $(RUST_RATIOS) > /dev/null
	$(PY) bench/run.py --python $(PY) --upstream-python $(UPSTREAM_PY) --rust-json $(RUST_RATIOS) --out-dir bench

# The same code with tiny sizes, in seconds, so it cannot rot: each criterion benchmark runs
# once (debug build), every Python scenario runs, and every example runs small.
bench-quick: python-build $(VENV)/.bench-deps bench-upstream-venv examples
	$(CARGO) test -p picoring-compare --benches
	$(PY) bench/run.py --quick --python $(PY) --upstream-python $(UPSTREAM_PY) --out-dir $${CARGO_TARGET_DIR:-target}/bench-quick

RUST_EXAMPLES = tcp_parse audio_frames messages log_lines
examples: python-build $(VENV)/.bench-deps
	$(CARGO) build -p picoring --examples
	for example in $(RUST_EXAMPLES); do \
	  $(CARGO) run --quiet -p picoring --example $$example -- --quick; \
	done
	for script in examples/*.py; do $(PY) $$script --quick; done

# The thread stress tests at full size (release): 1 GiB through an SPSC ring with a running
# checksum, 4 producers x 1 M records through the MPSC ring. `rust-test` runs them smaller.
# Also the blocking round trips with membarrier denied, so they run optimized as well as in debug.
stress:
	$(CARGO) test --release -p picoring --test spsc --test mpsc --test membarrier_denied

# loom models of the SPSC and MPSC protocols (tests/loom_*.rs). Each file bounds its search
# (3 preemptions for SPSC, 2 for MPSC) so this takes minutes; LOOM_MAX_PREEMPTIONS overrides.
loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
		$(CARGO) test --release -p picoring --features async --test loom_spsc --test loom_mpsc --test loom_spsc_async
