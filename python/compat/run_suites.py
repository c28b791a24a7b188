"""Runs CPython's own test suites against picoring's lists, the built-ins swapped out.

Each suite in SUITES loads CPython's tests (from the `test` package of the interpreter running
this script) with the built-in type replaced by a picoring class, runs them all (nothing is
skipped) and prints its pass, fail and error counts. A test that fails because our type differs
on purpose is listed with its reason in `by_design.py`; it still runs, and is counted apart
(a listed test that passes is reported, so the list stays true).

Usage: python python/compat/run_suites.py [SUITE ...] [--verbose]
Exit status 0 when, in every suite, every failure is one listed in `by_design.py` and at
least MIN_PASS of the tests not listed there pass.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import sys
import types
import unittest
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from by_design import BY_DESIGN  # noqa: E402

import picoring  # noqa: E402

# The share of a suite's tests that must pass.
MIN_PASS = 0.98


def array_suite() -> unittest.TestSuite:
    """`test.test_array`'s typecode classes (one per typecode of the running Python's `array`,
    the text typecodes `u` and `w` included), with the module's `array` replaced by a copy
    whose `array` (and `ArrayType`) is `picoring.PicoList`, its `array_reconstructor` (what
    protocol 3+ pickles go through) picoring's, and its module-level subclasses of
    `array.array` defined again over `PicoList`."""
    import array

    test_array = importlib.import_module("test.test_array")
    shim = types.ModuleType("array")
    shim.__dict__.update(vars(array))
    shim.array = shim.ArrayType = picoring.PicoList  # type: ignore[attr-defined]
    reconstructor = picoring._picoring._picolist_reconstructor  # type: ignore[attr-defined]
    shim._array_reconstructor = reconstructor  # type: ignore[attr-defined]
    test_array.array = shim  # type: ignore[attr-defined]
    test_array.array_reconstructor = reconstructor  # type: ignore[attr-defined]
    for name, cls in list(vars(test_array).items()):
        if isinstance(cls, type) and issubclass(cls, array.array) and cls.__module__ == test_array.__name__:
            exec(inspect.getsource(cls), vars(test_array))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name, cls in sorted(vars(test_array).items()):
        if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
            continue
        code = getattr(cls, "typecode", None)
        if not isinstance(code, str) or "test_len" not in dir(cls):
            continue
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


def bytearray_suite() -> unittest.TestSuite:
    """`test.test_bytes.ByteArrayTest` with `type2test = picoring.PicoListByte`.

    One test (`test_check_encoding_errors`) runs its checks in a child interpreter
    (`python -X dev -c code`) whose code names the class by its `__name__`, a builtin name for
    `bytearray`; the child is given `from picoring import PicoListByte` (and the path this
    `picoring` was imported from) before that code, so the test checks our class there too."""
    test_bytes = importlib.import_module("test.test_bytes")

    class ByteArrayTest(test_bytes.ByteArrayTest):  # type: ignore[misc, name-defined]
        type2test = picoring.PicoListByte

    root = str(Path(picoring.__file__).resolve().parent.parent)
    prelude = f"import sys; sys.path.insert(0, {root!r}); from picoring import PicoListByte\n"
    run_child = test_bytes.assert_python_failure

    def assert_python_failure(*args: str, **env: str) -> object:
        argv = list(args)
        if "-c" in argv:
            code = argv.index("-c") + 1
            argv[code] = prelude + argv[code]
        return run_child(*argv, **env)

    test_bytes.assert_python_failure = assert_python_failure  # type: ignore[attr-defined]
    return unittest.TestLoader().loadTestsFromTestCase(ByteArrayTest)


# Suite name -> a function that loads it with the swap made.
SUITES: dict[str, Callable[[], unittest.TestSuite]] = {
    "test_array": array_suite,
    "test_bytes": bytearray_suite,
}


def tests(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    """Every test case of `suite`, nested suites flattened."""
    out: list[unittest.TestCase] = []
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            out.extend(tests(test))
        else:
            out.append(test)  # type: ignore[arg-type]
    return out


def test_name(test: unittest.TestCase) -> str:
    """`Class.method`, the form `by_design.py` lists."""
    return f"{type(test).__name__}.{test._testMethodName}"


def method_name(test: unittest.TestCase) -> str:
    return test._testMethodName


def listed(suite: str, test: unittest.TestCase) -> str | None:
    """The by-design reason for `test`, listed by `Class.method` or by method for every class."""
    entries = BY_DESIGN.get(suite, {})
    return entries.get(test_name(test)) or entries.get(method_name(test))


def run(name: str, verbose: bool) -> bool:
    suite = SUITES[name]()
    classes = {type(test).__name__ for test in tests(suite)}
    result = unittest.TestResult()
    suite.run(result)
    total = result.testsRun
    bad = [(t, "FAIL", tb) for t, tb in result.failures] + [(t, "ERROR", tb) for t, tb in result.errors]
    by_design = [(t, kind) for t, kind, _ in bad if listed(name, t)]
    unlisted = [(t, kind, tb) for t, kind, tb in bad if not listed(name, t)]
    skipped = len(result.skipped)
    passed = total - len(bad) - skipped
    rate = passed / total if total else 0.0
    # The bar: the tests that are not failures by design.
    counted = total - len(by_design)
    rate_counted = passed / counted if counted else 0.0
    version = ".".join(map(str, sys.version_info[:3]))
    print(
        f"{name} (CPython {version}): {passed}/{total} passed ({rate:.1%}); "
        f"{len(result.failures)} failed, {len(result.errors)} errors, "
        f"{skipped} skipped by the suite itself; {len(by_design)} of the failures and errors "
        f"by design (by_design.py); {passed}/{counted} of the others passed ({rate_counted:.1%})"
    )
    for test, kind, tb in unlisted:
        print(f"  {kind} {test_name(test)}")
        if verbose:
            print("    " + tb.strip().splitlines()[-1])
    failed_names = {test_name(t) for t, _, _ in bad}
    failed_methods = {method_name(t) for t, _, _ in bad}
    for entry in BY_DESIGN.get(name, {}):
        cls = entry.rpartition(".")[0]
        if cls and cls not in classes:
            continue  # a class this Python's suite does not have (UCS4Test before 3.13)
        if entry not in failed_names and entry not in failed_methods:
            print(f"  listed by design but did not fail: {entry}")
    return rate_counted >= MIN_PASS and not unlisted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", choices=[*SUITES, []], default=[])
    parser.add_argument("--verbose", "-v", action="store_true", help="print each failure's last line")
    args = parser.parse_args()
    names = args.suites or list(SUITES)
    # Tests print warnings and resource notes to stderr: keep the counts readable.
    ok = True
    for name in names:
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            ok &= run(name, args.verbose)
        finally:
            sys.stderr = stderr
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
