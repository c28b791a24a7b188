"""atheris harness: random call sequences across every picoring class, with views held across
calls, checked against models (the engine is python/tests/call_model.py, which the hypothesis
machine in test_stateful.py drives too).

    python python/fuzz/fuzz_calls.py -max_total_time=60 WORK_CORPUS python/fuzz/corpus

Fuzzer bytes choose the objects (any class, sizes, typecodes), then each call: method,
arguments (bytes, counts past the ends, values out of range or of wrong types, live views of
any object as data), views taken and released, writes through views, close(). A failure
(a divergence from the model, an exception no built-in would raise, a crash) is saved by
libFuzzer as a crash file; replay it with `python python/fuzz/fuzz_calls.py CRASH_FILE`.
"""

import os
import sys

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

with atheris.instrument_imports(include=["call_model"]):
    import call_model

# Calls per input: long enough for views to outlive commits, wraps and growth.
MAX_STEPS = 200


class FuzzSource(call_model.Source):
    def __init__(self, data):
        self.fdp = atheris.FuzzedDataProvider(data)

    def int(self, lo, hi):
        return self.fdp.ConsumeIntInRange(lo, hi)

    def bytes(self, max_len):
        return self.fdp.ConsumeBytes(self.fdp.ConsumeIntInRange(0, max_len))

    def exhausted(self):
        return self.fdp.remaining_bytes() == 0


def test_one_input(data):
    src = FuzzSource(data)
    world = call_model.World()
    try:
        for _ in range(MAX_STEPS):
            if src.exhausted():
                break
            world.step(src)
    finally:
        world.finish()


def main():
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
