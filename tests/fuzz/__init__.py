"""Differential fuzzing against PyTorch: random programs built from the op table
(``tests/op_db``) run under dyngrad and under torch, step by step, and must agree on values,
dtypes, shapes, ``requires_grad``, grad_fn names, gradients and raised exception classes.

- ``choices.py``   where the random decisions come from (hypothesis, a seeded RNG, or a replay)
- ``program.py``   the generator: draws one step at a time from the state of the program
- ``runner.py``    runs each step on both modules and compares (the differential oracle)
- ``campaign.py``  the long campaign (``make fuzz``): many programs, failures collected
- ``test_fuzz_bounded.py``  the bounded run in ``make test`` (hypothesis, fixed seed)
- ``test_regressions.py``   every failure the fuzzer found, as a plain test
"""
