"""Failure paths and concurrency on both paths: failed creates and
updates with rollback on and off, cancelled updates, a PATCH after a
failed update, a stack timeout, an update during an update, a delete
during a create.

One case per (template, sequence, step, path), in the order of
``heat_functional/failures.py``, which says what each step does and
checks; parity per (template, sequence/step) as for lifecycles (scenario
``failures/<sequence>/<step>``). Templates whose create is meant to fail
are not in this suite.
"""

from heat_functional import failures


def test_failures(template, step, path, deployment, failure_runs, case):
    failures.run_case(template, step, path, deployment, failure_runs, case)
