# picoring: `make test` sets up everything it needs and runs every test; `make check` is the
# quick subset for the edit-compile-test loop; `make bench` prints the benchmark tables. All
# work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO ?= cargo

.PHONY: test check lint doc rust-test python-test python-build python-typecheck python-bench miri miri-ring msrv stress \
	loom bench bench-quick bench-upstream-venv examples check-targets fuzz fuzz-quick sanitize fuzz-python \
	fuzz-python-quick test-windows

test: lint doc check-targets msrv rust-test test-windows stress loom miri-ring fuzz-quick bench-quick \
	python-test python-typecheck fuzz-python-quick package-test wheel-test

# The inner loop: formatting, clippy, the workspace's tests (debug) and pytest; a few minutes
# once built. `make test` runs all of it and more (see the README's Development section).
check: lint rust-test python-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

# The library crates' API docs, with every rustdoc warning (a broken intra-doc link, say) an
# error. The extension's Rust items are all private (Python sees only the module it builds), so
# its docs, written for contributors, are built with the private items, which they may link to.
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --all-features --lib --workspace --exclude picoring-py
	RUSTDOCFLAGS="-D warnings -A rustdoc::private-intra-doc-links" \
		$(CARGO) doc --no-deps --all-features --lib -p picoring-py --document-private-items

rust-test:
	$(CARGO) test --workspace --all-features

# Python: a private .venv with the build and test tools from PyPI, the extension built in
# release mode (the tests move real amounts of data) and installed there, then pytest.
# numpy is optional: its tests skip when it cannot be installed.
# A check that cannot run here (a toolchain or package that failed to install): a loud warning,
# and under CI=true a failure, never a silent pass.
not_run = { if [ "$${CI:-}" = true ]; then echo "ERROR: $(1) (CI=true: a check that cannot run fails the run)" >&2; exit 1; fi; echo "WARNING: $(1)" >&2; }

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python

$(VENV)/.tools-installed:
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check "maturin>=1.16,<2" pytest hypothesis
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check numpy || $(call not_run,numpy not installed: numpy tests will skip)
	# uvloop: picoring.aio's tests and benchmark also run on it where it installs (not on Windows).
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check uvloop || $(call not_run,uvloop not installed: picoring.aio is tested on asyncio's loop only)
	touch $@

python-build: $(VENV)/.tools-installed
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release --quiet

# pytest's exit code 5 ("no tests collected") means the setup is broken, not that all passed.
# The numpy tests skip without numpy: said loudly (fatal under CI=true), even where an earlier
# install left the stamp file behind.
python-test: python-build
	@$(VENV_PY) -c 'import numpy' 2>/dev/null || $(call not_run,numpy is not importable: the numpy tests skip)
	rc=0; $(VENV_PY) -m pytest -q python/tests || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the Python setup is broken" >&2; exit 1; fi; \
	exit $$rc

# The stubs against the built module: mypy.stubtest (no allowlist: every difference is fixed in
# the stubs), then the stubs and a typed use of every class under mypy --strict; that use also
# runs, so a stub cannot promise what the module does not do. About 15 s.
$(VENV)/.mypy-installed: $(VENV)/.tools-installed
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check "mypy>=2.4,<3"
	touch $@

# CPython's own test suites with the built-ins swapped for picoring's lists, on the dev build
# (python/compat/run_suites.py; `make wheel-test` runs them on every CPython with the wheel).
.PHONY: compat
compat: python-build
	$(VENV_PY) python/compat/run_suites.py

python-typecheck: python-build $(VENV)/.mypy-installed
	$(VENV_PY) -m mypy.stubtest picoring._picoring
	$(VENV_PY) -m mypy --strict python/picoring python/typecheck/usage.py
	$(VENV_PY) python/typecheck/usage.py

# The Python fuzzer (atheris, python/fuzz/fuzz_calls.py): random call sequences across every
# class with views held across calls, checked against bytearray/array.array models. New inputs
# go to a work corpus under target/, seeded by the committed python/fuzz/corpus; a failure is
# saved there as crash-* (replay: $(VENV_PY) python/fuzz/fuzz_calls.py FILE). `fuzz-python`
# runs FUZZ_PYTHON_SECONDS (10 minutes), `fuzz-python-quick` (part of `make test`) 45 s. Where
# atheris cannot be installed it says so loudly and skips, except under CI=true, where it fails.
FUZZ_PYTHON_SECONDS ?= 600
FUZZ_PYTHON_QUICK_SECONDS ?= 45
FUZZ_PYTHON_DIR = $${CARGO_TARGET_DIR:-target}/fuzz-python

$(VENV)/.atheris-installed: $(VENV)/.tools-installed
	@if $(VENV_PY) -m pip install --quiet --disable-pip-version-check "atheris>=2.3,<4"; then \
		touch $@; \
	else \
		$(call not_run,atheris cannot be installed (pip install atheris failed): Python fuzzing NOT run); \
	fi

define fuzz_python
	@if [ ! -f $(VENV)/.atheris-installed ]; then \
		$(call not_run,atheris is not installed: Python fuzzing NOT run); exit 0; \
	fi; \
	mkdir -p $(FUZZ_PYTHON_DIR)/corpus; \
	$(VENV_PY) python/fuzz/fuzz_calls.py -max_total_time=$(1) -max_len=2048 -len_control=0 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_PYTHON_DIR)/ \
		$(FUZZ_PYTHON_DIR)/corpus python/fuzz/corpus
endef

fuzz-python: python-build $(VENV)/.atheris-installed
	$(call fuzz_python,$(FUZZ_PYTHON_SECONDS))

fuzz-python-quick: python-build $(VENV)/.atheris-installed
	$(call fuzz_python,$(FUZZ_PYTHON_QUICK_SECONDS))

# Per-call costs from Python, against collections.deque and a bytearray FIFO.
python-bench: python-build
	$(VENV_PY) bench/calls.py

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

# The part of `make miri` that `make test` runs (about a minute, of which interior_mut is
# 16 s): the ring logic, its drop accounting, elements with interior mutability changed through
# shared views, and the mirror, on the software backend; and the list's editing methods against
# Vec with panicking closures (list_edit, 4 s). Where the nightly toolchain or its Miri component cannot be
# installed, it says so loudly and the rest of `make test` goes on (under CI=true it fails).
MIRI_RING_TESTS := --lib --test ring_model --test ring_drop --test ring_io --test ring_errors --test mirror \
	--test interior_mut --test list_edit
miri-ring:
	@if rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1; then \
		MIRIFLAGS="-Zmiri-strict-provenance" $(CARGO) +nightly miri test -p picoring $(MIRI_RING_TESTS); \
	else \
		$(call not_run,Miri is not installable here (rustup component add --toolchain nightly miri failed): Miri tests NOT run); \
	fi

# The macOS, Android and FreeBSD backends compile here but cannot run here (Windows runs under
# Wine: test-windows).
# The library builds with its stated MSRV (rust-version in Cargo.toml). Part of `make test`.
MSRV := 1.77
msrv:
	@if rustup toolchain install $(MSRV) --profile minimal >/dev/null 2>&1; then \
		$(CARGO) +$(MSRV) check -p picoring --all-features; \
	else \
		$(call not_run,rustup cannot install Rust $(MSRV): MSRV NOT checked); \
	fi

# Part of `make test`; where the targets' standard libraries cannot be installed it says so loudly.
CROSS_TARGETS := aarch64-apple-darwin x86_64-pc-windows-msvc aarch64-linux-android x86_64-unknown-freebsd
check-targets:
	@if rustup target add $(CROSS_TARGETS) >/dev/null 2>&1; then \
		for t in $(CROSS_TARGETS); do \
			$(CARGO) clippy -p picoring --all-features --target $$t -- -D warnings || exit 1; \
		done; \
	else \
		$(call not_run,rustup cannot add $(CROSS_TARGETS): macOS/Windows/Android/FreeBSD backends NOT compile-checked); \
	fi

# The library's unit and integration tests built for x86_64-pc-windows-gnu (Debian's mingw-w64)
# and run under Wine, in a Wine prefix of their own under the target dir (tools/wine/test.sh says
# how). Wine 8.0 (Debian 12) has no address-space placeholders: there the placeholder backend is
# found unsupported at run time and every ring runs on the software mirror, which
# tests/windows_backend.rs checks; the placeholder path itself stays compile-checked
# (check-targets). Part of `make test`. Where wine or mingw-w64 is missing it says so loudly and
# runs nothing; under CI=true it installs them with apt-get, and fails if that fails. About
# 5 minutes from a cold target dir on a busy 2-core machine (3.5 of them building, plus the Wine
# prefix), under a minute once built.
test-windows:
	tools/wine/test.sh

# ---- Benchmarks and examples -------------------------------------------------------------
# One home per language: the Rust benchmarks are crates/compare (criterion), the Python ones
# bench/ (the seed's scenarios, run by bench/run.py, and the per-call scripts calls.py and
# typed.py). `python-build` puts the package (release build) in .venv; the benchmarks add numpy
# and matplotlib there, and put the upstream picoring 0.6 wheel from PyPI in a venv of its own
# (it imports as `picoring` too). Where one of those cannot be installed, `make bench` goes on
# without its rows, column or chart (saying so), and `make bench-quick` (part of `make test`)
# says so loudly, and fails under CI=true.
PY := $(VENV_PY)
UPSTREAM_PY := .venv-upstream/bin/python
CRITERION_DIR = $${CARGO_TARGET_DIR:-target}/criterion
RUST_RATIOS = $${CARGO_TARGET_DIR:-target}/criterion-ratios.json
# crates/compare's benches: picoring's own paths and std's line readers (kept out of the
# peers' ratio table, in a criterion directory of their own), then picoring against its peers.
OWN_BENCHES := --bench own --bench lines --bench tokio_frames
PEER_BENCHES := --bench rings --bench streaming --bench threads --bench paired --bench list --bench ipc --bench create --bench broadcast --bench list_create
# Throughput against ring and chunk size (crates/compare/benches/curves.rs), and instruction
# counts per operation under callgrind (crates/compare/src/bin/opcount.rs), as JSON for run.py.
CURVES_JSON = $${CARGO_TARGET_DIR:-target}/curves.json
COUNTS_JSON = $${CARGO_TARGET_DIR:-target}/opcount.json

$(VENV)/.bench-deps: | python-build
	@if $(PY) -m pip install --quiet --disable-pip-version-check numpy matplotlib; then touch $@; \
	else $(call not_run,numpy/matplotlib not installed: no numpy rows and no chart); fi
	@# A peer for the typed-ring benchmark only (bench/typed.py); its column stays empty without it.
	@$(PY) -m pip install --quiet --disable-pip-version-check numpy_ringbuffer \
		|| $(call not_run,numpy_ringbuffer not installed: its benchmark column stays empty)
	@# A peer for the cross-process benchmark (bench/scenario_ipc.py): its rows are left out,
	@# with a note saying why, where it cannot be installed.
	@$(PY) -m pip install --quiet --disable-pip-version-check faster-fifo \
		|| $(call not_run,faster-fifo not installed: no faster-fifo rows in the ipc table)

bench-upstream-venv:
	@if [ ! -f .venv-upstream/.installed ]; then \
	  rm -rf .venv-upstream; \
	  if $(PYTHON) -m venv .venv-upstream && $(UPSTREAM_PY) -m pip install --quiet picoring==0.6.0; then \
	    touch .venv-upstream/.installed; \
	  else \
	    rm -rf .venv-upstream; \
	    $(call not_run,could not install picoring 0.6.0 from PyPI: no upstream column); \
	  fi; \
	fi

# Everything, full sizes: criterion (Rust) then the Python scripts and scenarios; tables at
# the end, written with the chart to bench/results.{json,md,png} (generated, not committed),
# and the README's benchmark section rewritten. A few minutes on 2 cores.
bench: python-build $(VENV)/.bench-deps bench-upstream-venv
	rm -rf $(CRITERION_DIR) $(CURVES_JSON) $(COUNTS_JSON)
	@echo "== [1/4] picoring's own paths (criterion): views against ring size, in-place chunks, async against blocking SPSC ends, line framing against BufReader"
	# Kept out of the peers' ratio table (their own criterion directory); printed above.
	CRITERION_HOME=$(abspath target/criterion-std) $(CARGO) bench -p picoring-compare $(OWN_BENCHES)
	@echo "== [2/4] picoring against its peers (criterion, and interleaved rounds for the thread-safe rings): rings, streaming, threads, paired, list growth"
	$(CARGO) bench -p picoring-compare $(PEER_BENCHES)
	@echo "== growth curves (about a minute): throughput against ring size and chunk size"
	@# An absolute path: cargo runs a bench from its package's directory.
	$(CARGO) bench -p picoring-compare --bench curves -- --json "$$(realpath -m $(CURVES_JSON))"
	@echo "== instruction counts per operation (callgrind, about a minute)"
	@if command -v valgrind >/dev/null; then \
		$(CARGO) run --quiet --release -p picoring-compare --bin opcount -- table --json $(COUNTS_JSON); \
	else $(call not_run,valgrind is not installed: no instruction counts); fi
	@echo "== [3/4] Python per-call costs and typed data"
	$(PY) bench/calls.py $$( [ -x $(UPSTREAM_PY) ] && echo --upstream $(UPSTREAM_PY) )
	$(PY) bench/typed.py
	$(PY) bench/create.py
	@echo "== [4/4] the seed's three scenarios, and the tables"
	$(CARGO) run --quiet --release -p picoring-compare --bin ratios -- $(CRITERION_DIR) --json $(RUST_RATIOS) > /dev/null
	$(PY) bench/run.py --python $(PY) --upstream-python $(UPSTREAM_PY) --rust-json $(RUST_RATIOS) --out-dir bench \
		--curves-json $(CURVES_JSON) $$( [ -s $(COUNTS_JSON) ] && echo --counts-json $(COUNTS_JSON) )

# The same code with tiny sizes, in seconds, so it cannot rot: each criterion benchmark runs
# once (debug build), every Python script and scenario runs, and every example runs small.
# A part that cannot run (numpy, matplotlib or the upstream wheel missing) is said loudly.
BENCH_QUICK_DIR = $${CARGO_TARGET_DIR:-target}/bench-quick
bench-quick: python-build $(VENV)/.bench-deps bench-upstream-venv examples
	$(CARGO) test -p picoring-compare --benches
	$(CARGO) run --quiet -p picoring-compare --bin opcount -- check
	@$(PY) -c 'import numpy, matplotlib' 2>/dev/null || $(call not_run,numpy or matplotlib is not importable: no numpy rows and no chart)
	@$(PY) -c 'import numpy_ringbuffer' 2>/dev/null || $(call not_run,numpy_ringbuffer is not importable: its typed.py column stays empty)
	@[ -x $(UPSTREAM_PY) ] || $(call not_run,the upstream picoring 0.6 wheel is not installed: no upstream column)
	$(PY) bench/calls.py --quick $$( [ -x $(UPSTREAM_PY) ] && echo --upstream $(UPSTREAM_PY) )
	if $(PY) -c 'import numpy' 2>/dev/null; then $(PY) bench/typed.py --items 100000 --steps 20 --repeat 1; fi
	$(PY) bench/create.py --quick
	$(PY) bench/run.py --quick --python $(PY) --upstream-python $(UPSTREAM_PY) --out-dir $(BENCH_QUICK_DIR)
	test -s $(BENCH_QUICK_DIR)/results.md && test -s $(BENCH_QUICK_DIR)/README-bench.md
	@[ -s $(BENCH_QUICK_DIR)/results.png ] || $(call not_run,no chart written (matplotlib missing))

RUST_EXAMPLES = tcp_parse audio_frames messages log_lines tokio_echo
examples: python-build $(VENV)/.bench-deps
	$(CARGO) build -p picoring --features tokio --examples
	for example in $(RUST_EXAMPLES); do \
	  $(CARGO) run --quiet -p picoring --features tokio --example $$example -- --quick; \
	done
	for script in examples/*.py; do $(PY) $$script --quick; done

# The thread stress tests at full size (release): 1 GiB through an SPSC ring with a running
# checksum, 4 producers x 1 M records through the MPSC ring. `rust-test` runs them smaller.
# Also the blocking round trips with membarrier denied, so they run optimized as well as in debug.
stress:
	$(CARGO) test --release -p picoring --test spsc --test mpsc --test membarrier_denied --test broadcast

# loom models of the SPSC, MPSC and broadcast protocols (tests/loom_*.rs). Each file bounds its
# search (3 preemptions for SPSC, 2 for MPSC but 1 for its two-lap model, whose bug needs only
# one) so this takes minutes; LOOM_MAX_PREEMPTIONS overrides every bound
# (`LOOM_MAX_PREEMPTIONS=2 make loom`: about 18 minutes more on a busy 2-core machine).
loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
		$(CARGO) test --release -p picoring --features async --test loom_spsc --test loom_mpsc --test loom_spsc_async --test loom_spsc_overwrite --test loom_broadcast

# ---- Fuzzing and sanitizers ---------------------------------------------------------------
# cargo-fuzz targets (fuzz/, a workspace of its own): random operation sequences on every
# type against std models, with drop-counted, Cell-carrying elements on the native and the
# software mirror backends, and the frame readers fed hostile bytes. Each starts from the
# committed corpus (fuzz/corpus/<target>) and stops at the first failure; fuzz/run.sh installs
# nightly and cargo-fuzz when missing, and warns and skips where it cannot (fails under
# CI=true). Inputs in fuzz/regressions are replayed first.
# `make fuzz`: FUZZ_SECONDS (default 300) per target, about 35 minutes for the seven.
# `make fuzz-quick` (part of `make test`): 10 s per target, about 1.5 minutes plus the build.
FUZZ_SECONDS ?= 300
FUZZ_QUICK_SECONDS ?= 10
fuzz: fuzz-python
	fuzz/run.sh $(FUZZ_SECONDS)

fuzz-quick:
	fuzz/run.sh $(FUZZ_QUICK_SECONDS)

# Sanitizers (nightly, each in its own target directory so the normal build stays intact):
# - AddressSanitizer (with LeakSanitizer) over the library's unit and integration tests, std
#   rebuilt instrumented (-Zbuild-std);
# - ThreadSanitizer over the SPSC/MPSC thread tests (spsc, spsc_async, mpsc), std instrumented
#   too, so its locks and atomics are seen;
# - pytest against the extension built with AddressSanitizer: rustc links no sanitizer runtime
#   into a cdylib, so the runtime is gcc's libasan, preloaded into the (uninstrumented) Python.
#   PYTHONMALLOC=malloc sends Python's own objects through malloc, where ASan sees their bounds.
#   detect_leaks=0 there: CPython does not free all of its memory at exit (interned strings,
#   static types, module state), and those reports would be Python's, not ours; leaks of ours
#   are covered by the Rust tests under LeakSanitizer. allocator_may_return_null=1: a huge
#   allocation returns NULL as glibc's malloc does (the tests check that `bytearray(2**62)` and
#   our oversized objects raise MemoryError), instead of ASan ending the process.
# Tests that cannot run under a sanitizer skip themselves when PICORING_SANITIZER is set:
# running out of memory mappings (ASan's runtime needs mappings of its own); a forked child
# expected to die of SIGSEGV may exit 1 instead (ASan catches the signal).
# Where nightly, rust-src or libasan is missing it says so and fails: it is not part of
# `make test`. On a busy 2-core machine: about 30 minutes from cold (mostly building the
# instrumented standard library twice), about 4 minutes once built.
SAN_TARGET := x86_64-unknown-linux-gnu
SAN_CARGO = $(CARGO) +nightly
ASAN_PY_DIR := target/asan-py

.PHONY: sanitize-tools sanitize-asan sanitize-tsan sanitize-python
sanitize: sanitize-asan sanitize-tsan sanitize-python

sanitize-tools:
	rustup component add --toolchain nightly rust-src

sanitize-asan: sanitize-tools
	RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan PICORING_SANITIZER=address \
		$(SAN_CARGO) test -Zbuild-std --target $(SAN_TARGET) -p picoring --all-features --lib --tests

sanitize-tsan: sanitize-tools
	RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=target/tsan PICORING_SANITIZER=thread \
		$(SAN_CARGO) test -Zbuild-std --target $(SAN_TARGET) -p picoring --all-features \
		--test spsc --test spsc_async --test mpsc

# --target keeps the sanitizer flags off build scripts and proc macros (host code).
sanitize-python: $(VENV)/.tools-installed
	libasan=$$(gcc -print-file-name=libasan.so); \
	if [ ! -e "$$libasan" ]; then echo "gcc's libasan.so not found (Debian: libasan8)" >&2; exit 1; fi; \
	PYO3_PYTHON=$(abspath $(VENV_PY)) RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=$(ASAN_PY_DIR) \
		$(SAN_CARGO) build -p picoring-py --target $(SAN_TARGET); \
	rm -rf $(ASAN_PY_DIR)/site && mkdir -p $(ASAN_PY_DIR)/site; \
	cp -r python/picoring $(ASAN_PY_DIR)/site/; \
	cp $(ASAN_PY_DIR)/$(SAN_TARGET)/debug/lib_picoring.so $(ASAN_PY_DIR)/site/picoring/_picoring.abi3.so; \
	LD_PRELOAD="$$libasan" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 PYTHONMALLOC=malloc PICORING_SANITIZER=address \
		PYTHONPATH=$(abspath $(ASAN_PY_DIR))/site $(VENV_PY) -c \
		'import picoring._picoring as m, sys; sys.exit(0 if m.__file__.startswith("$(abspath $(ASAN_PY_DIR))") else "not the ASan build: " + m.__file__)'; \
	LD_PRELOAD="$$libasan" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 PYTHONMALLOC=malloc PICORING_SANITIZER=address \
		PYTHONPATH=$(abspath $(ASAN_PY_DIR))/site $(VENV_PY) -m pytest -q -p no:cacheprovider python/tests

# ---- Packaging: the published crate, the wheel and the sdist ------------------------------
# The version is set once, in Cargo.toml's [workspace.package]; pyproject.toml takes it from
# there (maturin) and `picoring.__version__` reads the installed metadata.
.PHONY: wheel wheel-test package-test
DIST := dist

# The abi3 wheel (CPython >= 3.11), release build, linked against glibc 2.28 by zig (PyPI's
# `ziglang`) so it is manylinux_2_28: maturin checks the wheel's symbols against that policy
# and fails the build if it is not compliant; `auditwheel show` checks it again, independently.
# Then the sdist. Both go to dist/ (emptied first). maturin runs zig as `python3 -m ziglang`,
# hence the venv first in PATH. Tested with ziglang 0.17.
$(VENV)/.wheel-tools-installed: $(VENV)/.tools-installed
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check "ziglang>=0.13,<0.18" "auditwheel>=6"
	touch $@

wheel: $(VENV)/.wheel-tools-installed
	rm -rf $(DIST)
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin build --release --zig \
		--compatibility manylinux_2_28 --out $(DIST)
	$(VENV)/bin/auditwheel show $(DIST)/picoring-*.whl
	$(VENV)/bin/maturin sdist --out $(DIST)
	ls -l $(DIST)

# The built wheel installed in a fresh venv for every CPython >= 3.11 on the machine (pyenv's),
# each running the pytest suite from a copy of python/tests outside the source tree; the
# wheel's file list and metadata, and the sdist built and smoke-tested in a fresh venv
# (packaging/wheel_test.py). Under CI=true an interpreter found but unusable fails the run.
wheel-test: wheel
	$(PYTHON) packaging/wheel_test.py --dist $(DIST)

# `cargo package` (the publish dry-run) of the library, then the packaged crate unpacked in a
# temporary directory outside the workspace and tested there (packaging/crate_test.sh).
package-test:
	CARGO="$(CARGO)" packaging/crate_test.sh
