"""Stack actions on both paths: suspend, resume, check, snapshots, a
change and a restore, previews, PATCH, mark-unhealthy, abandon and adopt.

One case per (template, action, path), in the order of
``heat_functional/actions.py``, which says what each action does and
checks (each checks the effect only a working action leaves:
``heat_functional/action_checks.py``); parity per (template, action) as
for lifecycles (scenario ``actions/<action>``). Templates whose create is
meant to fail are not in this suite.
"""

import pytest

from heat_functional import actions
from heat_functional import case as case_module
from heat_functional import client
from heat_functional import lifecycle as lifecycle_module


def test_actions(template, step, path, deployment, action_runs, case):
    lifecycle_module.skip_unless_offered(template, deployment)
    if step == actions.ACTIONS[0]:
        driver = client.StackDriver(deployment, path, template.name)
        lifecycle = action_runs.start(template, path, driver,
                                      deployment.convergence_engine(path))
        if template.error:
            case.require([template.error])
    else:
        lifecycle = action_runs.get(template, path)
        _skip_unless_runnable(lifecycle, step, template, path)
    actions.run(step, lifecycle, case, deployment)


def _skip_unless_runnable(lifecycle, action, template, path):
    if lifecycle is None:
        pytest.fail('action %s of %s on %s cannot run: the sequence did not '
                    'start in this worker (select whole sequences, e.g. -k '
                    '"test_actions and %s")' % (action, template.name, path,
                                                template.name), pytrace=False)
    reason = lifecycle.incomplete_stack()
    if reason and action != 'delete':
        case_module.moot(reason)
    if lifecycle.stopped_by and action != 'delete':
        pytest.skip('not run: action %s of %s on %s failed'
                    % (lifecycle.stopped_by, template.name, path))
    if lifecycle.stack_id is None and action not in ('create', 'adopt',
                                                     'delete'):
        pytest.skip('not run: the stack of %s on %s was never created'
                    % (template.name, path))
