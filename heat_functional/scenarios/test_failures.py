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

import pytest

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import failures
from heat_functional import lifecycle as lifecycle_module


def test_failures(template, step, path, deployment, failure_runs, case):
    lifecycle_module.skip_unless_offered(template, deployment)
    sequence, name = step.split('/')
    runs = failure_runs.setdefault(sequence, lifecycle_module.Registry())
    if name == failures.SEQUENCES[sequence][0]:
        driver = client.StackDriver(deployment, path, template.name)
        lifecycle = runs.start(template, path, driver,
                               deployment.convergence_engine(path))
        if template.error:
            case.require([template.error])
    else:
        lifecycle = runs.get(template, path)
        _skip_unless_runnable(lifecycle, step, template, path)
    failures.run(sequence, name, lifecycle, case, deployment)


def _skip_unless_runnable(lifecycle, step, template, path):
    if lifecycle is None:
        pytest.fail('step %s of %s on %s cannot run: its sequence did not '
                    'start in this worker (select whole sequences, e.g. -k '
                    '"test_failures and %s")' % (step, template.name, path,
                                                 template.name),
                    pytrace=False)
    reason = lifecycle.incomplete_stack()
    if reason and not step.endswith('/delete'):
        case_module.moot(reason)
    if lifecycle.stopped_by and not step.endswith('/delete'):
        pytest.skip('not run: step %s of %s on %s failed'
                    % (lifecycle.stopped_by, template.name, path))
    if lifecycle.stack_id is None and not step.endswith('/delete'):
        pytest.skip('not run: the stack of %s on %s was never created'
                    % (template.name, path))
