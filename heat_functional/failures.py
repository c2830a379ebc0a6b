"""Failure paths and concurrency on both paths, as sequences of steps.

The failures suite (``scenarios/test_failures.py``) runs these sequences
on every template whose create must complete (``--failures`` chooses
which; ``config.FAILURE_TEMPLATES`` by default), one case per step and
path, observed and compared across the paths like a lifecycle step
(scenario ``failures/<sequence>/<step>``). A failure is made by adding
one resource to the template's own create template: ``heat_functional_
fail``, an OS::Heat::TestResource with ``fail: true``, or ``heat_
functional_slow``, one whose create waits ``config.SLOW_WAIT`` seconds.
Either depends on every top-level resource, so it runs last and what
happens to the template's own resources does not depend on timing.

``update-failures`` (one stack):
    ``create``; ``update-fail`` (the fail resource added, rollback off:
    UPDATE_FAILED); ``repair`` (the template again: UPDATE_COMPLETE);
    ``update-fail-rollback`` (rollback on: ROLLBACK_COMPLETE);
    ``cancel-update`` (the slow resource added, the update cancelled
    once only it is in progress: ROLLBACK_COMPLETE);
    ``cancel-without-rollback`` (the same, cancelled without rollback:
    UPDATE_FAILED); ``repair-after-cancel`` (the template again);
    ``update-fail-again`` (UPDATE_FAILED); ``patch-after-failure`` (a
    PATCH update with nothing new: both paths apply the failed update's
    template again, UPDATE_FAILED; see that step for why, although
    Heat's code comment says otherwise); ``delete``.
``create-failure``, ``create-failure-rollback`` (one stack each):
    a create with the fail resource, rollback off (CREATE_FAILED) or on
    (ROLLBACK_COMPLETE; legacy then marks the stack's rows deleted,
    convergence keeps an empty stack); ``delete``.
``concurrent`` (one stack): ``create``; ``update-during-update`` (the
    slow resource added; once only it is in progress, an update back to
    the template: convergence accepts it and ends without the slow
    resource, legacy answers 409 ActionInProgress and ends with it);
    ``delete``.
``delete-during-create`` (one stack): a create with the slow resource,
    deleted once only that resource is in progress: DELETE_COMPLETE,
    every stack row of the tree marked deleted.
``timeout`` (``config.TIMEOUT_TEMPLATES`` only: it takes a minute): a
    create with ``timeout_mins: 1`` whose slow resource waits longer:
    CREATE_FAILED, "Timed out"; ``delete``.

Where the paths are meant to differ (``update-during-update``, the
rows of a rolled-back create) each path is checked against its own
expectation, and the difference is an allowance in
parity-allowances.yaml that says where Heat documents it.
"""

from heatclient import exc as heat_exc
import pytest

from heat_functional import actions
from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import corpus
from heat_functional import lifecycle as lifecycle_module

FAIL_RESOURCE = 'heat_functional_fail'
SLOW_RESOURCE = 'heat_functional_slow'

SEQUENCES = {
    'update-failures': ('create', 'update-fail', 'repair',
                        'update-fail-rollback', 'cancel-update',
                        'cancel-without-rollback', 'repair-after-cancel',
                        'update-fail-again', 'patch-after-failure',
                        'delete'),
    'create-failure': ('create-fail', 'delete'),
    'create-failure-rollback': ('create-fail-rollback', 'delete'),
    'concurrent': ('create', 'update-during-update', 'delete'),
    'delete-during-create': ('delete-during-create',),
    'timeout': ('create-timeout', 'delete'),
}


def sequences_for(template):
    """The sequences that run on a template, in order."""
    return [name for name in SEQUENCES
            if name != 'timeout' or template.name in config.TIMEOUT_TEMPLATES]


def applies_to(template):
    """Why the failure sequences do not apply to a template, or None."""
    return actions.applies_to(template)


def run_case(template, step, path, deployment, runs, case):
    """One case of the failures suite: `step` (``<sequence>/<name>``) of
    `template` on `path`, in the sequence's lifecycle.Registry of `runs`
    (a dict, by sequence; the sequence's first step starts it). The body
    of the pytest suite's test, and of the fuzzer's failure sequences
    (fuzz/execute.py)."""
    lifecycle_module.skip_unless_offered(template, deployment)
    sequence, name = step.split('/')
    registry = runs.setdefault(sequence, lifecycle_module.Registry())
    if name == SEQUENCES[sequence][0]:
        driver = client.StackDriver(deployment, path, template.name)
        lifecycle = registry.start(template, path, driver,
                                   deployment.convergence_engine(path))
        if template.error:
            case.require([template.error])
    else:
        lifecycle = registry.get(template, path)
        skip_unless_runnable(lifecycle, step, template, path)
    run(sequence, name, lifecycle, case, deployment)


def skip_unless_runnable(lifecycle, step, template, path):
    """Skip (or fail, where the sequence never started here) a step that
    cannot run: its stack is gone, incomplete or never made, or an
    earlier step failed (a sequence's ``delete`` still runs)."""
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


def run(sequence, step, lifecycle, case, deployment):
    """Run one step of a sequence on its lifecycle's stack; fail the case
    on a problem (later steps then skip, naming it)."""
    function = _STEPS[step]
    lifecycle_module.guarded(lifecycle, step, case, lambda: function(
        lifecycle, case, deployment))


# -- what the steps send ------------------------------------------------------
def _fail_body(body):
    return corpus.with_resource(body, FAIL_RESOURCE, 'OS::Heat::TestResource',
                                {'fail': True},
                                corpus.top_level_resources(body))


def _slow_body(body, seconds=config.SLOW_WAIT):
    return corpus.with_resource(
        body, SLOW_RESOURCE, 'OS::Heat::TestResource',
        {'action_wait_secs': {'create': seconds}},
        corpus.top_level_resources(body))


def _create_request(lifecycle, case, body, rollback=False, timeout=None):
    """Create the stack from body with the template's create parameters,
    files and environment."""
    create = lifecycle.template.steps[0]
    _, files, environment = create.load()
    driver = lifecycle.driver
    lifecycle.stack_id = driver.create(
        case.stack_name(), body, files=files, parameters=create.parameters,
        environment=environment, disable_rollback=not rollback,
        timeout_mins=timeout)
    return lifecycle.stack_id


def _update_request(lifecycle, body, step, rollback=False):
    """A full update to body with the template's create parameters."""
    create = lifecycle.template.steps[0]
    _, files, environment = create.load()
    lifecycle.driver.update(lifecycle.stack_id, body, files=files,
                            parameters=create.parameters,
                            environment=environment,
                            disable_rollback=not rollback, step=step)


def _own_body(lifecycle):
    return lifecycle.template.steps[0].load()[0]


def _events_so_far(lifecycle):
    return len(lifecycle.driver.root_events(lifecycle.stack_id) or [])


def _check(lifecycle, step, stack, case, deployment, status):
    return lifecycle_module.observe_and_check(
        lifecycle, actions.ActionStep(step, status), stack, case, deployment)


# -- the steps ---------------------------------------------------------------

def _update_step(step, make_body, status, rollback=False):
    def act(lifecycle, case, deployment):
        since = _events_so_far(lifecycle)
        with case.timed(step):
            _update_request(lifecycle, make_body(_own_body(lifecycle)), step,
                            rollback)
            stack = lifecycle.driver.wait(lifecycle.stack_id, 'UPDATE', step,
                                          since=since, rollback=rollback)
        return _check(lifecycle, step, stack, case, deployment, status)
    return act


def _cancel_step(step, cancel, status):
    """Add the slow resource; once only it is in progress, cancel."""
    def act(lifecycle, case, deployment):
        driver = lifecycle.driver
        since = _events_so_far(lifecycle)
        with case.timed(step):
            _update_request(lifecycle, _slow_body(_own_body(lifecycle)),
                            step)
            driver.wait_alone_in_progress(lifecycle.stack_id, SLOW_RESOURCE,
                                          step)
            driver.call(step, getattr(driver.heat.actions, cancel),
                        lifecycle.stack_id)
            stack = driver.wait(lifecycle.stack_id, 'UPDATE', step,
                                since=since, rollback=status.startswith(
                                    'ROLLBACK'))
        return _check(lifecycle, step, stack, case, deployment, status)
    return act


def _patch_after_failure(lifecycle, case, deployment):
    """PATCH with nothing new after a failed update: both paths apply the
    failed update's template again, so its resource fails again.

    heat/engine/service.py (_prepare_stack_updates) says legacy would
    fall back on "a stored copy of the previous template" where
    convergence takes the current one; but the legacy update stores the
    *new* template as prev_raw_template_id (heat/engine/stack.py,
    update_task: ``bu_tmpl, newstack.t = newstack.t, ...``), so the copy
    it falls back on is the failed update's own template.
    """
    driver = lifecycle.driver
    since = _events_so_far(lifecycle)
    with case.timed('patch-after-failure'):
        driver.retry_while_locked('patch-after-failure',
                                  driver.heat.stacks.update,
                                  lifecycle.stack_id, existing=True)
        stack = driver.wait(lifecycle.stack_id, 'UPDATE',
                            'patch-after-failure', since=since)
    problems = _check(lifecycle, 'patch-after-failure', stack, case,
                      deployment, 'UPDATE_FAILED')
    reason = (stack.stack_status_reason if stack else '') or ''
    if FAIL_RESOURCE not in reason:
        problems.append('patch-after-failure of %s on %s did not fail on %s '
                        'again: %s' % (lifecycle.template.name,
                                       lifecycle.path, FAIL_RESOURCE, reason))
    return problems


def _create_failing(step, rollback):
    def act(lifecycle, case, deployment):
        with case.timed(step):
            stack_id = _create_request(lifecycle, case,
                                       _fail_body(_own_body(lifecycle)),
                                       rollback=rollback)
            stack = lifecycle.driver.wait(stack_id, 'CREATE', step,
                                          rollback=rollback)
        status = 'ROLLBACK_COMPLETE' if rollback else 'CREATE_FAILED'
        # Legacy rolls a create back by deleting the stack (heat/engine/
        # stack.py, Stack.create: self.delete(action=self.ROLLBACK)): its
        # rows are marked deleted while the API still shows it.
        # Convergence rolls back to an empty template and keeps the stack.
        return lifecycle_module.observe_and_check(
            lifecycle, actions.ActionStep(step, status), stack, case,
            deployment, rows_deleted=rollback and
            not lifecycle.expected_convergence)
    return act


def _create_timeout(lifecycle, case, deployment):
    """timeout_mins 1, and a resource that takes TIMEOUT_WAIT seconds."""
    with case.timed('create-timeout'):
        stack_id = _create_request(
            lifecycle, case,
            _slow_body(_own_body(lifecycle), config.TIMEOUT_WAIT), timeout=1)
        stack = lifecycle.driver.wait(stack_id, 'CREATE', 'create-timeout')
    problems = _check(lifecycle, 'create-timeout', stack, case, deployment,
                      'CREATE_FAILED')
    reason = (stack.stack_status_reason if stack else '') or ''
    if 'timed out' not in reason.lower():
        problems.append('create-timeout of %s on %s failed, but not by '
                        'timing out: %s' % (lifecycle.template.name,
                                            lifecycle.path, reason))
    return problems


def _update_during_update(lifecycle, case, deployment):
    """The slow resource added; once only it is in progress, an update
    back to the template. Convergence must accept it and end without the
    slow resource; legacy must refuse it (409 ActionInProgress) and end
    with it."""
    driver = lifecycle.driver
    since = _events_so_far(lifecycle)
    body = _own_body(lifecycle)
    where = 'update-during-update of %s on %s' % (lifecycle.template.name,
                                                  lifecycle.path)
    with case.timed('update-during-update'):
        _update_request(lifecycle, _slow_body(body, config.PROBE_WAIT),
                        'update-during-update')
        driver.wait_alone_in_progress(lifecycle.stack_id, SLOW_RESOURCE,
                                      'update-during-update')
        answer = _second_update(lifecycle, body)
        # Accepted, it supersedes the first: the stack is in progress
        # until the second has ended.
        stack = driver.wait(lifecycle.stack_id, 'UPDATE',
                            'update-during-update', since=since)
    problems = _check(lifecycle, 'update-during-update', stack, case,
                      deployment, 'UPDATE_COMPLETE')
    case.observation['second_update'] = answer
    expected = 'accepted' if lifecycle.expected_convergence else 'refused'
    if answer != expected:
        problems.append('%s: the second update was %s, expected %s on a '
                        'stack whose convergence flag is %s'
                        % (where, answer, expected,
                           lifecycle.expected_convergence))
    present = SLOW_RESOURCE in case.observation['resources']
    if present == lifecycle.expected_convergence:
        problems.append('%s: %s is %s after both updates'
                        % (where, SLOW_RESOURCE,
                           'still there' if present else 'gone'))
    return problems


def _second_update(lifecycle, body):
    """Send the update; 'accepted' or 'refused' (409 ActionInProgress)."""
    create = lifecycle.template.steps[0]
    _, files, environment = create.load()
    driver = lifecycle.driver
    try:
        with driver._heat_errors('second update', (heat_exc.HTTPConflict,)):
            driver.heat.stacks.update(
                lifecycle.stack_id, template=body, files=files,
                parameters=create.parameters, environment=environment,
                disable_rollback=True,
                tags=','.join(config.stack_tags()))
    except heat_exc.HTTPConflict as refused:
        if 'ActionInProgress' not in client.heat_message(refused):
            raise
        return 'refused'
    return 'accepted'


def _delete_during_create(lifecycle, case, deployment):
    """A create with the slow resource, deleted once only that is in
    progress: the stack must end deleted with every row marked so."""
    driver = lifecycle.driver
    with case.timed('delete-during-create'):
        stack_id = _create_request(lifecycle, case,
                                   _slow_body(_own_body(lifecycle)))
        driver.wait_alone_in_progress(stack_id, SLOW_RESOURCE,
                                      'delete-during-create')
    return lifecycle_module.delete(lifecycle, case, deployment)


_STEPS = {
    'create': lifecycle_module.create_from_template,
    'update-fail': _update_step('update-fail', _fail_body, 'UPDATE_FAILED'),
    'repair': _update_step('repair', lambda body: body, 'UPDATE_COMPLETE'),
    'repair-after-cancel': _update_step('repair-after-cancel',
                                        lambda body: body, 'UPDATE_COMPLETE'),
    'update-fail-rollback': _update_step('update-fail-rollback', _fail_body,
                                         'ROLLBACK_COMPLETE', rollback=True),
    'cancel-update': _cancel_step('cancel-update', 'cancel_update',
                                  'ROLLBACK_COMPLETE'),
    'cancel-without-rollback': _cancel_step(
        'cancel-without-rollback', 'cancel_without_rollback',
        'UPDATE_FAILED'),
    'update-fail-again': _update_step('update-fail-again', _fail_body,
                                      'UPDATE_FAILED'),
    'patch-after-failure': _patch_after_failure,
    'create-fail': _create_failing('create-fail', rollback=False),
    'create-fail-rollback': _create_failing('create-fail-rollback',
                                            rollback=True),
    'update-during-update': _update_during_update,
    'delete-during-create': _delete_during_create,
    'create-timeout': _create_timeout,
    'delete': lifecycle_module.delete_if_any,
}
