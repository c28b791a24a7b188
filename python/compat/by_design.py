"""The tests of CPython's suites that picoring's lists fail on purpose, each with its reason:
a property of the type, not a missing feature. `run_suites.py` still runs them, counts them
apart and reports any that stops failing. Keys: `Class.method` for one class, or `method` for
every class of a suite.
"""

from __future__ import annotations

GROWS_WHILE_EXPORTED = (
    "growth while exported: array.array and bytearray raise BufferError when they would resize "
    "while a memoryview (or other buffer export) exists; picoring's lists never move their "
    "items, so appends and extends keep working and the view stays valid (the point of the "
    "type). Calls that would move items (insert, del, pop, remove, shrinking slice assignment) "
    "do raise BufferError, as the built-ins do"
)
OWN_LAYOUT = (
    "object size: the test expects sys.getsizeof to equal array.array's C struct plus its "
    "items; a PicoList is another object (a lock, export counts, a reservation of address "
    "space), so its size cannot be array's"
)
OWN_NAME = (
    "repr names the class: PicoList('b', [1, 2]) as array.array's repr names array; the test "
    "compares with the literal \"array('b')\" and evaluates the repr with only the name `array` bound"
)
OWN_NAME_TEXT = (
    "repr names the class (as for test_repr): the test's last check compares the repr of a "
    "text list with the literal \"array('u', ...)\"; every other check of the test passes"
)

BY_DESIGN: dict[str, dict[str, str]] = {
    "test_array": {
        "test_buffer": GROWS_WHILE_EXPORTED,
        "test_sizeof_with_buffer": OWN_LAYOUT,
        "test_sizeof_without_buffer": OWN_LAYOUT,
        "test_repr": OWN_NAME,
        "UnicodeTest.test_unicode": OWN_NAME_TEXT,
        "UCS4Test.test_unicode": OWN_NAME_TEXT,
    },
}
