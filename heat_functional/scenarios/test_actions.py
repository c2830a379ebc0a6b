"""Stack actions on both paths: suspend, resume, check, snapshots, a
change and a restore, previews, PATCH, mark-unhealthy, abandon and adopt.

One case per (template, action, path), in the order of
``heat_functional/actions.py``, which says what each action does and
checks (each checks the effect only a working action leaves:
``heat_functional/action_checks.py``); parity per (template, action) as
for lifecycles (scenario ``actions/<action>``). Templates whose create is
meant to fail are not in this suite.
"""

from heat_functional import actions


def test_actions(template, step, path, deployment, action_runs, case):
    actions.run_case(template, step, path, deployment, action_runs, case)
