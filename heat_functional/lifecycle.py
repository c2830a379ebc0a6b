"""Lifecycles: one template's stack on one path, carried from step to step.

A lifecycle runs a template's steps (``corpus.Step``) in order on one
stack: create, each declared update, delete. Each step is its own test
case, so that each has its own outcome, observation and parity entry;
pytest-xdist keeps the steps of one (template, path) on one worker, in
order, and this module's registry carries the stack between them.

Each step: sends the request, waits for the action to end, observes the
stack relative to the previous step (which resources were replaced, which
events are new), checks the convergence flag of every stack in the tree
against the flag the stack was created with, checks the declared status,
outputs and replacements, and records it all in the case. A step whose
checks fail stops its lifecycle: later steps are skipped, naming it, but
``delete`` always runs while the stack exists. A step whose sidecar
declares no ``expect`` is held to parity only (its status unchecked),
unless --strict (alike.py). A request Heat refuses is the step's outcome
(rejections.py): a refused create leaves no stack, so the later steps are
moot (``case.moot``), as is the ``update-self`` of a failed create; a
refused update leaves the stack as it was, and the later steps go on.
A lifecycle *halted* by the flag lifecycle suite (its stack's flags were
wrong right after a flip or a migration) runs nothing more: its later
steps, delete included, fail at once naming the wrong flags, and the
clean-up only asks Heat to delete its stack.
"""

import time

import pytest

from heat_functional import agents
from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import corpus
from heat_functional import observation
from heat_functional import rejections
from heat_functional import run_spec
from heat_functional.results import alike


class Lifecycle(object):
    """The state of one (template, path) between its steps."""

    def __init__(self, template, path, driver, expected_convergence):
        self.template = template
        self.path = path
        self.driver = driver
        self.expected_convergence = expected_convergence
        self.stack_id = None
        self.stopped_by = None  # the step whose checks failed
        self.last = None        # observation.Observed of the last step
        #: What the harness's agents have reported on this stack so far.
        self.agent_memory = set()
        #: row -> id of the known Heat bug that explains its flag, or None
        #: (set by the flag lifecycle suite once the option has changed).
        self.known_flag_bug = None
        #: Why no further step may run on the stack (its flags were wrong
        #: right after a change of path: flag_lifecycle.py), or None.
        self.halted = None
        #: Whether a step whose sidecar declares no ``expect`` is held to
        #: parity only (its status is not checked): unless --strict.
        self.parity_only = not run_spec.current().strict
        #: The stack's name (a rejection's message may contain it).
        self.stack_name = None
        #: Whether the create was sent but its answer, the stack's id,
        #: never came (a Ctrl-C while Heat answered): the stack may exist
        #: all the same, and the clean-up looks it up by its name.
        self.create_unanswered = False
        #: What Heat said when it rejected the create, or None.
        self.rejected_create = None
        #: The status the create ended in (``ACTION_STATUS``), or None.
        self.created = None
        #: Whether the create was held to parity only (undeclared).
        self.create_held_to_parity_only = False

    def skip_reason(self, step):
        if self.stack_id is None:
            return 'not run: the stack of %s on %s was never created' % (
                self.template.name, self.path)
        if self.stopped_by and step.kind != 'delete':
            return 'not run: step %s of %s on %s failed' % (
                self.stopped_by, self.template.name, self.path)
        return None

    def incomplete_stack(self):
        """Why the suites that act on a complete stack (actions,
        failures) have nothing to act on, or None: a create held to
        parity only (no sidecar declares it) ended failed, on this path.
        If the other path's create completed, the create's parity pair
        already differs."""
        if self.create_held_to_parity_only and alike.is_failure(
                self.created):
            return ('moot: the create of %s on %s ended %s (no sidecar '
                    'declares it), so there is no complete stack to act on'
                    % (self.template.name, self.path, self.created))
        return None

    def moot_reason(self, step):
        """Why `step` has nothing to act on, or None: the create was
        rejected (no stack exists), or the stack's create failed and the
        step is the update-self the sidecar did not ask for. Such a step
        is skipped as moot (case.moot), which the accounting lists and
        does not count against the suite's share of skips."""
        where = '%s on %s' % (self.template.name, self.path)
        if self.rejected_create:
            return ('moot: the create of %s was rejected, so no stack '
                    'exists to act on (%s)' % (where, self.rejected_create))
        if (step.name == corpus.SELF_UPDATE and self.stack_id and
                'updates' not in self.template.lifecycle and
                alike.is_failure(self.created)):
            return ('moot: the create of %s ended %s, and a failed create '
                    'gets no update-self unless its sidecar declares '
                    'updates' % (where, self.created))
        return None


class Registry(object):
    """The lifecycles of one worker process, by (template, path,
    repetition); a repeated lifecycle (--repeat) is one per repetition."""

    def __init__(self):
        self.lifecycles = {}

    def get(self, template, path, repetition=1):
        return self.lifecycles.get((template.name, path, repetition))

    def start(self, template, path, driver, expected_convergence,
              repetition=1):
        lifecycle = Lifecycle(template, path, driver, expected_convergence)
        self.lifecycles[(template.name, path, repetition)] = lifecycle
        return lifecycle

    def leftovers(self):
        return [lc for lc in self.lifecycles.values()
                if lc.stack_id is not None or lc.create_unanswered]

    def clean_up(self):
        """Delete every stack a lifecycle left (a run cut short)."""
        for lifecycle in self.leftovers():
            remove_stack(lifecycle)


def remove_stack(lifecycle):
    """Delete the stack a lifecycle left, best effort (the deployment goes
    anyway). A halted lifecycle's delete is only asked for, not waited
    for: like its steps, it may never end."""
    driver = lifecycle.driver
    try:
        if lifecycle.stack_id is None:  # a create without an answer
            lifecycle.stack_id = driver.heat.stacks.get(
                lifecycle.stack_name).id
        if lifecycle.halted:
            driver.call('delete', driver.heat.stacks.delete,
                        lifecycle.stack_id)
        else:
            driver.delete(lifecycle.stack_id)
    except Exception:  # best effort; a stack never made is not found
        pass
    lifecycle.stack_id = None
    lifecycle.create_unanswered = False


def run_case(template, step, path, repetition, deployment, lifecycles,
             case):
    """One case of the lifecycle suite: `step` of `template` on `path`,
    in the lifecycle `lifecycles` keeps for (template, path, repetition).
    The body of the pytest suite's test and of the tempest plugin's."""
    skip_unless_offered(template, deployment)
    if step.kind == 'create':
        driver = client.StackDriver(deployment, path, template.name)
        if template.error:
            lifecycles.start(template, path, driver, None, repetition)
            case.require([template.error])
        lifecycle = lifecycles.start(template, path, driver,
                                     deployment.convergence_engine(path),
                                     repetition)
    else:
        lifecycle = lifecycles.get(template, path, repetition)
        skip_unless_runnable(lifecycle, step, template, path)
    run_step(lifecycle, step, case, deployment)


def run_step(lifecycle, step, case, deployment):
    """Run one step; record it in the case; fail the case on a problem."""
    def work():
        if step.kind == 'delete':
            return delete(lifecycle, case, deployment)
        if step.kind == 'signal':
            return _signal(lifecycle, step, case, deployment)
        return create_or_update(lifecycle, step, case, deployment)
    guarded(lifecycle, step.name, case, work)


def guarded(lifecycle, name, case, work):
    """Run work() (which returns problems); a problem or an error stops
    the lifecycle at `name` (later steps skip, naming it) and fails the
    case; a skip is only a skip. What the lifecycle's driver resends past
    known Heat races meanwhile is recorded in the case."""
    try:
        with case.watching(lifecycle.driver):
            problems = work()
    except pytest.skip.Exception:
        raise
    except BaseException:
        lifecycle.stopped_by = lifecycle.stopped_by or name
        raise
    if problems:
        lifecycle.stopped_by = lifecycle.stopped_by or name
    case.require(problems)


def create_or_update(lifecycle, step, case, deployment):
    driver, template = lifecycle.driver, lifecycle.template
    body, files, environment = step.load()
    since = 0
    waits = len(driver.lock_waits)
    prepared = agents.Agents(driver, lifecycle.stack_id, step.agents,
                             '%s of %s on %s' % (step.name, template.name,
                                                 lifecycle.path),
                             lifecycle.agent_memory)
    with case.timed(step.kind):
        try:
            since = _request(lifecycle, step, case, body, files,
                             environment)
        except client.Rejected as rejected:
            return _refused(lifecycle, step, rejected, case, deployment)
        with prepared.acting_on(lifecycle.stack_id) as acting:
            stack = driver.wait(lifecycle.stack_id, step.kind.upper(),
                                step.name, since=since,
                                rollback=step.rollback)
    case.agents = acting.acted
    case.lock_waits = driver.lock_waits[waits:]
    case.measure_heat_time(deployment, lifecycle.stack_id, since)
    problems = observe_and_check(lifecycle, step, stack, case, deployment)
    if step.kind == 'create':
        lifecycle.created = case.observation['stack']
    if step.expected_rejection:
        problems = rejections.accepted(
            step.expected_rejection, '%s of %s on %s' % (
                step.name, template.name, lifecycle.path),
            case.observation['stack']) + problems
    return acting.problems + problems


def _request(lifecycle, step, case, body, files, environment):
    """Send the create or update; return how many of the root's own
    events came before it. Raises client.Rejected if Heat refuses."""
    driver = lifecycle.driver
    if step.kind == 'create':
        lifecycle.stack_name = case.stack_name()
        lifecycle.create_unanswered = True
        try:
            lifecycle.stack_id = driver.create(
                lifecycle.stack_name, body, files=files,
                parameters=step.parameters, environment=environment,
                disable_rollback=not step.rollback)
        except client.Rejected:  # Heat said no: there is no stack
            lifecycle.create_unanswered = False
            raise
        lifecycle.create_unanswered = False
        return 0
    since = len(driver.root_events(lifecycle.stack_id) or [])
    driver.update(lifecycle.stack_id, body, files=files,
                  parameters=step.parameters, environment=environment,
                  disable_rollback=not step.rollback, step=step.name)
    return since


def _refused(lifecycle, step, rejected, case, deployment):
    """A create or update Heat refused: the refusal is the step's
    observation (``rejected``), checked against the declared rejection.
    A refused update leaves the stack as it was, which is observed and
    checked too: its status unchanged, no new event."""
    where = '%s of %s on %s' % (step.name, lifecycle.template.name,
                                lifecycle.path)
    refusal = rejections.observe(rejected, lifecycle.stack_name,
                                 lifecycle.template.base_url)
    problems = rejections.problems(step.expected_rejection, rejected, where)
    if step.kind == 'create':
        lifecycle.rejected_create = rejected.heat_message
        case.observation = {'rejected': refusal}
        return problems
    before = lifecycle.last.observation['stack'] if lifecycle.last \
        else None
    with case.timed('observe'):
        observed = _settled_observation(lifecycle, case)
    lifecycle.last = observed
    case.observation = dict(observed.observation, rejected=refusal)
    with case.timed('flags'):
        problems += case.check_flags(deployment, lifecycle.stack_id,
                                     observed.tree,
                                     lifecycle.expected_convergence,
                                     lifecycle.known_flag_bug)
    return problems + _unchanged(observed.observation, before, where)


def _unchanged(observed, before, where):
    """What a refused update changed: the stack's status (it was
    `before`), or events written since the previous step."""
    problems = []
    if observed['stack'] != before:
        problems.append('%s: the update was rejected, yet the stack is now '
                        '%s (it was %s)' % (where, observed['stack'], before))
    if observed['events']:
        problems.append('%s: the update was rejected, yet Heat wrote events '
                        'for %s' % (where, ', '.join(observed['events'])))
    return problems


def _signal(lifecycle, step, case, deployment):
    """A signal step: signal a resource, wait for the signal's outcome,
    then observe and check as after an update."""
    driver, template = lifecycle.driver, lifecycle.template
    with case.timed('signal'):
        outcome = agents.signal_and_wait(
            driver, lifecycle.stack_id, step.signal,
            '%s of %s on %s' % (step.name, template.name, lifecycle.path))
    case.agents = [{'signalled': step.signal['resource'],
                    'outcome': outcome}]
    stack = driver.call(step.name, driver.heat.stacks.get,
                        client.identifier(lifecycle.stack_id))
    problems = []
    if outcome != step.expected_signal:
        problems.append('%s of %s on %s: the signal to %s ended %s, '
                        'expected %s' % (step.name, template.name,
                                         lifecycle.path,
                                         step.signal['resource'], outcome,
                                         step.expected_signal))
    return problems + observe_and_check(lifecycle, step, stack, case,
                                        deployment)


def observe_and_check(lifecycle, step, stack, case, deployment,
                      rows_deleted=False):
    """Observe the settled stack, check its flags (or, with rows_deleted,
    that its rows are marked deleted although the API still shows it) and
    the step's expectations; return the problems."""
    template = lifecycle.template
    with case.timed('observe'):
        observed = _settled_observation(lifecycle, case)
    lifecycle.last = observed
    case.observation = observed.observation
    with case.timed('flags'):
        if rows_deleted:
            problems = case.check_deleted(deployment, lifecycle.stack_id,
                                          lifecycle.expected_convergence,
                                          lifecycle.known_flag_bug)
        else:
            problems = case.check_flags(deployment, lifecycle.stack_id,
                                        observed.tree,
                                        lifecycle.expected_convergence,
                                        lifecycle.known_flag_bug)
    case.heat_reason = stack.stack_status_reason
    held = getattr(step, 'declared', True) or not lifecycle.parity_only
    case.held_to_parity_only = not held
    if step.kind == 'create':
        lifecycle.create_held_to_parity_only = not held
    reread = _read_outputs_again(lifecycle, step, observed, case)
    return _expectations(step, stack, observed.observation,
                         template.name, lifecycle.path,
                         observed.placeholders.replace,
                         held_to_status=held, reread=reread) + problems


def _output_mismatches(step, observed, normalise=None):
    """(key, observed value, declared value) of each declared output
    the observation does not show."""
    found = []
    for key, value in (step.expected_outputs or {}).items():
        value = normalise(value) if normalise else value
        actual = observed['outputs'].get(key, '<absent>')
        if actual != value:
            found.append((key, actual, value))
    return found


def _read_outputs_again(lifecycle, step, observed, case):
    """When declared outputs differ, the stack is read once more,
    config.SETTLE_INTERVAL s later, with nothing running: whether Heat's
    answer changed tells a transient read (Heat answered before it was
    done) from a stable wrong value. Evidence only, recorded in the case
    (``reread``) and the message: the step is judged on its first read.
    Returns {output key: value read again}."""
    mismatches = _output_mismatches(step, observed.observation,
                                    observed.placeholders.replace)
    if not mismatches:
        return {}
    time.sleep(config.SETTLE_INTERVAL)
    again = _observe(lifecycle)
    reread = {key: again.observation['outputs'].get(key, '<absent>')
              for key, _actual, _declared in mismatches}
    case.reread = {'after_s': config.SETTLE_INTERVAL, 'outputs': reread,
                   'stack': again.observation['stack']}
    return reread


def _transient(observed):
    """Resources still in progress, deleted but still listed, or whose
    events of the step end with the IN_PROGRESS of the action their
    status says has ended (the closing event is not listed yet)."""
    events = observed.observation['events']
    found = []
    for name, resource in observed.observation['resources'].items():
        status = resource['status']
        action = status.split('_', 1)[0]
        written = events.get(name) or ['']
        if (status.endswith('_IN_PROGRESS') or status == 'DELETE_COMPLETE'
                or written[-1] == action + '_IN_PROGRESS'):
            found.append(name)
    return sorted(found)


def _observe(lifecycle):
    """The lifecycle's stack as observed now, relative to its last
    step."""
    template = lifecycle.template
    return observation.observe(
        lifecycle.driver, lifecycle.stack_id, template.random_outputs,
        template.base_url, previous=lifecycle.last)


def _settled_observation(lifecycle, case):
    """Observe the stack once nothing in it is in progress any more.

    The convergence engine can report a stack COMPLETE while a resource it
    deleted is still listed (DELETE_COMPLETE) for a moment, and FAILED
    (a cancelled update) while a resource it lets finish is in progress,
    whose closing event then follows its status a moment later. Such a state
    is re-observed every SETTLE_INTERVAL seconds, for up to SETTLE_TIMEOUT
    seconds; the case records how long settling took (``settle`` in its
    timings) and what was transient, and a state that never settles is
    compared as it is.
    """
    deadline = time.monotonic() + config.SETTLE_TIMEOUT
    started = time.monotonic()
    while True:
        observed = _observe(lifecycle)
        transient = _transient(observed)
        if not transient or time.monotonic() > deadline:
            break
        case.transient = transient
        time.sleep(config.SETTLE_INTERVAL)
    if case.transient:
        case.timings['settle'] = round(time.monotonic() - started, 3)
    return observed


def _expectations(step, stack, observed, template_name, path,
                  normalise=None, held_to_status=True, reread=None):
    """What differs from the step's declaration, one message each; the
    status is not checked unless `held_to_status` (a step held to
    parity only may end in any state, the same on both paths).

    normalise (the observation's Placeholders.replace) is applied to the
    declared outputs as it was to the observed ones: a declared value that
    is one of the case's own (an external_id) still matches, and one may
    be declared by its placeholder (``<stack name>-role``). reread: the
    outputs as read again (_read_outputs_again), said in the message."""
    where = '%s of %s on %s' % (step.name, template_name, path)
    problems = []
    status = '%s_%s' % (stack.action, stack.status)
    if held_to_status and step.expected_status is not None and \
            status != step.expected_status:
        problems.append('%s ended %s, expected %s: %s'
                        % (where, status, step.expected_status,
                           stack.stack_status_reason))
    for key, actual, value in _output_mismatches(step, observed,
                                                 normalise):
        again = ''
        if key in (reread or {}):
            again = ' (read again %s s later: %r)' % (
                config.SETTLE_INTERVAL, reread[key])
        problems.append('%s: output %s is %r, expected %r%s'
                        % (where, key, actual, value, again))
    for name in step.expected_replaced or []:
        change = observed['resources'].get(name, {}).get('physical_id')
        if change != 'changed':
            problems.append('%s: resource %s was expected to be replaced; '
                            'its physical id is %s'
                            % (where, name, change or 'absent'))
    return problems


def delete(lifecycle, case, deployment):
    since = len(lifecycle.driver.root_events(lifecycle.stack_id) or [])
    waits = len(lifecycle.driver.lock_waits)
    with case.timed('delete'):
        left = lifecycle.driver.delete(lifecycle.stack_id)
    case.lock_waits = lifecycle.driver.lock_waits[waits:]
    stack_id, lifecycle.stack_id = lifecycle.stack_id, None
    case.measure_heat_time(deployment, stack_id, since)
    status = 'DELETE_COMPLETE' if left is None else '%s_%s' % (
        left.action, left.status)
    case.observation = {'stack': status}
    where = 'delete of %s on %s' % (lifecycle.template.name, lifecycle.path)
    problems = []
    if left is not None:
        problems.append('%s ended %s: %s' % (where, status,
                                             left.stack_status_reason))
    with case.timed('flags'):
        problems += case.check_deleted(deployment, stack_id,
                                       lifecycle.expected_convergence,
                                       lifecycle.known_flag_bug)
    return problems


def create_from_template(lifecycle, case, deployment):
    """The template's own create step, for suites that run other steps
    on the same stack (actions, failures). A create its sidecar declares
    is held to its status; an undeclared one is held to parity only, as
    in the lifecycle suite (unless --strict), and when it ends failed the
    suite's later steps have no complete stack to act on: they are moot
    (``Lifecycle.incomplete_stack``)."""
    return create_or_update(lifecycle, lifecycle.template.steps[0], case,
                            deployment)


def delete_if_any(lifecycle, case, deployment):
    """delete, or a skip naming why when there is no stack (abandoned,
    never created)."""
    if lifecycle.stack_id is None:
        pytest.skip('not run: %s on %s has no stack to delete'
                    % (lifecycle.template.name, lifecycle.path))
    return delete(lifecycle, case, deployment)


def skip_unless_offered(template, deployment):
    """Skip a case whose template requires what the deployment lacks."""
    for requirement in template.requires:
        why = deployment.lacks(requirement)
        if why:
            case_module.unmet('%s requires %s: %s'
                              % (template.name, requirement, why))


def skip_unless_runnable(lifecycle, step, template, path):
    """Skip a step whose lifecycle stopped earlier (that step failed and
    says why); fail one whose create never ran in this worker, which
    means the steps were split across workers or selected without
    their create step: the gate must not pass on steps that did not run.
    Fail one whose lifecycle is halted (``fail_if_halted``).
    """
    if lifecycle is None:
        pytest.fail('step %s of %s on %s cannot run: its create step did '
                    'not run before it in this worker (select whole '
                    'lifecycles, e.g. -k %s; with pytest-xdist use --dist '
                    'loadgroup)' % (step.name, template.name, path,
                                    template.name), pytrace=False)
    fail_if_halted(lifecycle)
    if lifecycle.rejected_create:
        case_module.moot(lifecycle.moot_reason(step))
    reason = lifecycle.skip_reason(step)
    if reason:
        pytest.skip(reason)
    reason = lifecycle.moot_reason(step)
    if reason:
        case_module.moot(reason)


def fail_if_halted(lifecycle):
    """Fail the case, without running it, where the lifecycle is halted:
    a step on a stack whose path changed under it can hang until the
    stack timeout, and a skip would hide the wrong flags."""
    if lifecycle.halted:
        pytest.fail(lifecycle.halted, pytrace=False)
