"""The per-stack flag across a flip of the option, and across migration.

Heat's design: ``convergence_engine`` picks the path of NEW stacks; each
stack row keeps the path it was created on (``stack.convergence``), its
nested stacks follow their root, and ``heat-manage
migrate_convergence_1`` later moves legacy stacks to convergence. Three
scenarios prove it on every template (``scenarios/test_flag_lifecycle.py``):

``flip-on`` / ``flip-back``
    On a toggle cell (``config.TOGGLES``) that starts with the option
    false (true), every template's stack is created. The cell's engine is
    then restarted with the option flipped, on the same database. Each
    old stack runs its remaining steps (updates, delete): its flag and
    its nested stacks' flags must not change, and each step's observation
    must equal the parity suite's observation of the same step on the
    path the stack was created on. Then a new stack of every template is
    created and must get the new flag, nested stacks included; its
    observation must equal the other path's create.

``migrate``
    On the legacy path's cell, each template's stack is created, then
    migrated. A COMPLETE stack and all its nested stacks must get
    ``convergence = true``, and its later steps must observe exactly what
    the parity suite observed on convergence; a FAILED stack must be
    refused with Heat's message, every flag unchanged.

A flip is cell-wide, so a flip scenario runs every template at once: the
first of its cases to run starts the work of its phase for all templates
in a thread pool, and each case then takes over its own result
(``Case.detached``/``Case.adopt``). The steps of each template still run
in order, on one stack.

Evidence comes as soon as it exists (``check_after_change``): right after
the flip, before any further step, the flags of every old stack and its
nested stacks are read and checked, and recorded in the case of its next
step; right after a migration, the migrated stack's; before each later
step of the migrate scenario, its stack's again (a migration may run on
the cell at any time). A wrong flag fails that case at once, naming the
stack, its template, its flag and the expected one, and *halts* the
lifecycle: its later steps, delete included, fail at once naming it,
since a step on a stack whose path changed under it can wait until the
stack timeout (seen: an update of a legacy stack that a restarted engine
had turned into a convergence stack never ended).
"""

import concurrent.futures
import threading
import time

import pytest

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import lifecycle as lifecycle_module
from heat_functional import plan

#: Steps a flip scenario adds for the stack created after the flip.
NEW_CREATE = 'new-create'
NEW_DELETE = 'new-delete'
#: The migration step of the migrate scenario.
MIGRATE = 'migrate'
#: What Heat says when it refuses to migrate a stack that is not COMPLETE.
REFUSED = 'in progress or failed state'
#: The known Heat bug (known-bugs.yaml) of nested stacks created after a
#: change of the option or of their root's path.
NESTED_TAKES_OPTION = 'nested-stack-takes-the-option-not-its-root'


def known_after_change(deployment, lifecycle, option):
    """Call before the option changes for a lifecycle's stack (a flip) or
    its stack changes path (a migration). From then on:

    - a nested stack that did not exist yet and has the engine's `option`
      as its flag is explained by NESTED_TAKES_OPTION, and nothing else;
    - a stack row already deleted (legacy's backup stacks, replaced
      nested stacks) is history: it keeps the flag it had, which the
      migration does not touch (it converts live stacks only).
    """
    rows = deployment.stack_flags(lifecycle.path, lifecycle.stack_id) or []
    existing = {f['id'] for f in rows}
    history = {f['id']: f['convergence'] for f in rows if f['deleted']}

    def known(row, expected):
        if row['id'] in history:
            return history[row['id']], None
        if row['depth'] > 0 and row['id'] not in existing and \
                row['convergence'] == option:
            return expected, NESTED_TAKES_OPTION
        return expected, None
    lifecycle.known_flag_bug = known


def check_after_change(lifecycle, case, deployment, when):
    """Read the flags of a lifecycle's stack and all its nested stacks
    now (`when`: "right after the flip of ...") and check them against the
    flag the stack must have, known Heat bugs included (``known_flag_bug``);
    record them in `case` and return one message per wrong flag. A wrong
    flag, or flags that cannot be read, halts the lifecycle
    (``halt_reason``)."""
    try:
        with case.timed('flags'):
            problems = case.check_flags(deployment, lifecycle.stack_id, [],
                                        lifecycle.expected_convergence,
                                        lifecycle.known_flag_bug)
    except Exception as error:  # the database, say: nothing is verified
        problems = ['the flags of %s (%s) could not be read: %s: %s'
                    % (lifecycle.template.name, lifecycle.stack_id,
                       type(error).__name__, error)]
    if problems:
        lifecycle.halted = lifecycle.halted or halt_reason(
            lifecycle, when, problems)
    return problems


def halt_reason(lifecycle, when, problems):
    """Why a halted lifecycle's steps do not run: the wrong flags."""
    return ('the flags of the stack of %s on %s are wrong %s:\n%s\n'
            'not run, nor any later step of that stack (delete included): '
            'a step on a stack whose path changed under it can wait until '
            'the stack timeout' % (lifecycle.template.name, lifecycle.path,
                                   when, '\n'.join('  ' + p
                                                   for p in problems)))


def flip_steps(template):
    """The step names of a template in a flip scenario, in order."""
    return [s.name for s in template.steps] + [NEW_CREATE, NEW_DELETE]


def migrate_steps(template):
    """The step names of a template in the migrate scenario, in order."""
    names = [s.name for s in template.steps]
    return names[:1] + [MIGRATE] + names[1:]


def path_of(convergence):
    """The parity path whose new stacks get this flag."""
    for path, value in config.PATHS.items():
        if value == convergence:
            return path
    raise ValueError('no path creates stacks with convergence=%s'
                     % convergence)


def reference(step_name, convergence, why):
    """The parity case a step's observation must equal."""
    return {'scenario': 'lifecycle/%s' % step_name,
            'path': path_of(convergence), 'why': why}


class Outcome(object):
    """A step run detached: its case record and what it raised, if any."""

    def __init__(self, case, error=None):
        self.case = case
        self.error = error

    def hand_over(self, case):
        """Make the test item's case this outcome's, and re-raise."""
        case.adopt(self.case)
        if self.error is not None:
            raise self.error


def run_detached(work, case):
    """Run work(case); return its Outcome, failures and skips included."""
    try:
        work(case)
        error = None
    except BaseException as raised:  # pytest's fail/skip are BaseException
        error = raised
    case.elapsed = round(time.monotonic() - case.started, 3)
    return Outcome(case, error)


class Flip(object):
    """One flip scenario on one toggle cell, for a set of templates."""

    def __init__(self, deployment, toggle, templates, workers):
        self.deployment = deployment
        self.toggle = toggle
        self.scenario = toggle
        self.initial = deployment.toggles[toggle]
        self.templates = list(templates)
        self.workers = workers
        self.lifecycles = {}
        self.outcomes = {}
        self.flip_error = None  # why the restart failed, if it did
        #: template name -> the case of the first step after the flip of
        #: its old stack, holding the flags read right after the flip.
        self.checked = {}
        self._lock = threading.Lock()
        self._before = self._after = False

    # -- what the test items ask -----------------------------------------
    def outcome(self, template, step_name):
        """The outcome of one step; runs its phase first if needed."""
        with self._lock:
            if not self._before:
                self._run_before()
                self._before = True
            if step_name != template.steps[0].name and not self._after:
                self._after = True
                try:
                    self._flip()
                except Exception as error:
                    self.flip_error = error
                else:
                    self._check_old_stacks()
                    self._run_after()
        if (template.name, step_name) not in self.outcomes:
            return Outcome(self._case(template, step_name),
                           AssertionError('the flip of %s failed: %s'
                                          % (self.toggle, self.flip_error)))
        return self.outcomes[(template.name, step_name)]

    def clean_up(self):
        for lifecycle in self.lifecycles.values():
            if lifecycle.stack_id is not None:
                lifecycle_module.remove_stack(lifecycle)

    # -- phases -----------------------------------------------------------
    def _case(self, template, step_name):
        return case_module.Case.detached(
            '%s-%s-%s' % (template.name, step_name, self.scenario),
            template.name, plan.scenario(self.scenario, step_name),
            self.toggle)

    def _each_template(self, work):
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(work, self.templates))

    def _run_before(self):
        self.deployment.prepare_toggle(self.toggle)
        self._each_template(self._create_old)

    def _create_old(self, template):
        step = template.steps[0]
        driver = client.StackDriver(self.deployment, self.toggle,
                                    template.name)
        lifecycle = lifecycle_module.Lifecycle(template, self.toggle, driver,
                                               self.initial)
        self.lifecycles[(template.name, 'old')] = lifecycle
        case = self._case(template, step.name)
        case.reference = reference(step.name, self.initial,
                                   'created before the flip')
        self.outcomes[(template.name, step.name)] = run_detached(
            lambda c: _run_step(lifecycle, step, c, self.deployment,
                                template), case)

    def _flip(self):
        target = not self.initial
        for (name, which), lifecycle in self.lifecycles.items():
            if which == 'old' and lifecycle.stack_id is not None:
                known_after_change(self.deployment, lifecycle, target)
        self.deployment.restart(self.toggle, target)
        actual = self.deployment.convergence_engine(self.toggle)
        if actual != target:
            raise AssertionError('the engine of %s restarted with '
                                 'convergence_engine=%s, not %s'
                                 % (self.toggle, actual, target))

    def _check_old_stacks(self):
        """Right after the flip, before any further step: the flags of
        every old stack (``check_after_change``), in the case of its
        next step."""
        when = 'right after the flip of %s to convergence_engine=%s' % (
            self.toggle, not self.initial)
        for template in self.templates:
            old = self.lifecycles.get((template.name, 'old'))
            if old is None or old.stack_id is None or \
                    len(template.steps) < 2:
                continue
            case = self._case(template, template.steps[1].name)
            check_after_change(old, case, self.deployment, when)
            self.checked[template.name] = case

    def _run_after(self):
        self._each_template(self._after_flip)

    def _after_flip(self, template):
        self._old_steps(template)
        self._new_stack(template)

    def _old_steps(self, template):
        """The old stack's steps after the first; the first one's case is
        the one holding the flags read right after the flip."""
        old = self.lifecycles[(template.name, 'old')]
        checked = self.checked.pop(template.name, None)
        for step in template.steps[1:]:
            case = checked or self._case(template, step.name)
            checked = None
            case.reference = reference(
                step.name, self.initial,
                'created before the flip: must stay on its path')
            self.outcomes[(template.name, step.name)] = run_detached(
                lambda c, s=step: _run_step(old, s, c, self.deployment,
                                            template), case)

    def _new_stack(self, template):
        create, delete = template.steps[0], template.steps[-1]
        driver = client.StackDriver(self.deployment, self.toggle,
                                    template.name)
        new = lifecycle_module.Lifecycle(template, self.toggle, driver,
                                         not self.initial)
        self.lifecycles[(template.name, 'new')] = new
        for name, step in ((NEW_CREATE, create), (NEW_DELETE, delete)):
            case = self._case(template, name)
            case.reference = reference(step.name, not self.initial,
                                       'created after the flip')
            self.outcomes[(template.name, name)] = run_detached(
                lambda c, s=step: _run_step(new, s, c, self.deployment,
                                            template), case)


def _run_step(lifecycle, step, case, deployment, template):
    lifecycle_module.skip_unless_offered(template, deployment)
    if step.kind == 'create' and template.error:
        case.require([template.error])
    if step.kind != 'create':
        lifecycle_module.skip_unless_runnable(lifecycle, step, template,
                                              lifecycle.path)
    lifecycle_module.run_step(lifecycle, step, case, deployment)


# -- migration ---------------------------------------------------------------
def migrate(lifecycle, case, deployment):
    """The migrate step: migrate the stack if it is COMPLETE and expect
    every flag true; else expect Heat to refuse and every flag unchanged.
    Afterwards the lifecycle expects the flag its stack now has; a wrong
    flag right after the migration halts it (``check_after_change``)."""
    template = lifecycle.template
    if lifecycle.stack_id is None:
        pytest.skip('not run: the stack of %s on %s was never created'
                    % (template.name, lifecycle.path))
    stack = lifecycle.driver.call(
        'show', lifecycle.driver.heat.stacks.get,
        client.identifier(lifecycle.stack_id))
    complete = stack.stack_status.endswith('_COMPLETE')
    refusal = None
    known_after_change(deployment, lifecycle,
                       deployment.convergence_engine(lifecycle.path))
    with case.timed('migrate'):
        try:
            case.migration = deployment.migrate_convergence(
                lifecycle.path, lifecycle.stack_id)
        except Exception as error:  # DeploymentError with Heat's words
            refusal = str(error)
            case.migration = {'refused': refusal}
    problems = []
    if complete and refusal:
        problems.append('migration of %s (%s) was refused: %s'
                        % (template.name, stack.stack_status, refusal))
    elif not complete and not refusal:
        problems.append('migration of %s accepted a stack in %s; Heat '
                        'must refuse it' % (template.name, stack.stack_status))
    elif refusal and REFUSED not in refusal:
        problems.append('migration of %s (%s) was refused without Heat\'s '
                        'reason: %s' % (template.name, stack.stack_status,
                                        refusal))
    lifecycle.expected_convergence = bool(complete and not refusal) or \
        lifecycle.expected_convergence
    problems += check_after_change(lifecycle, case, deployment,
                                   'right after its migration')
    if problems:
        lifecycle.stopped_by = lifecycle.stopped_by or MIGRATE
    case.require(problems)


def run_flip_case(flip_of, toggle, template, step, case):
    """One case of a flip scenario: step `step` (a name of ``flip_steps``)
    of `template` on the toggle cell `toggle`, whose Flip `flip_of(toggle)`
    gives (or skips, saying why). The body of the pytest suite's test and
    of the tempest plugin's."""
    # Compared with a reference once it runs, never paired: a case skipped
    # before (no toggle cell) must not become half a pair.
    case.parity = 'none'
    flip_of(toggle).outcome(template, step).hand_over(case)


#: How long the create of ``migrate/refused-in-progress`` takes: about
#: twice what a migration command took to reach the engines (a real
#: heat-manage: 4-23 s on a loaded 2-core machine). The case then waits
#: for the create: a delete would wait as long, since heat-engine's
#: threading backend cannot stop the create's thread.
SLOW_CREATE_SECONDS = 45
SLOW_CREATE = {
    'heat_template_version': '2021-04-16',
    'resources': {'slow': {
        'type': 'OS::Heat::TestResource',
        'properties': {'value': 'slow',
                       'action_wait_secs': {'create': SLOW_CREATE_SECONDS}}}},
}


def skip_unless_migrating(deployment):
    """The path migration starts from; skips, saying why, where none."""
    path = path_of(False)
    if path not in deployment.paths:
        case_module.unmet('migration starts from legacy stacks; this run '
                          'has no %s path' % path)
    if deployment.cannot_migrate:
        case_module.unmet('this deployment cannot migrate stacks: %s'
                          % deployment.cannot_migrate)
    return path


def run_migrate_case(template, step, deployment, migrations, case):
    """One case of the migrate scenario: step `step` (a name of
    ``migrate_steps``) of `template`, in the lifecycle `migrations` keeps.
    The body of the pytest suite's test and of the tempest plugin's."""
    # Compared with a reference (set below), never paired: a step skipped
    # before its reference is known must not become half a pair.
    case.parity = 'none'
    path = skip_unless_migrating(deployment)
    lifecycle_module.skip_unless_offered(template, deployment)
    case.path = path
    if step == template.steps[0].name:
        driver = client.StackDriver(deployment, path, template.name)
        lifecycle = migrations.start(template, path, driver, False)
        case.reference = reference(step, False, 'created on legacy')
        if template.error:
            case.require([template.error])
        lifecycle_module.run_step(lifecycle, template.steps[0], case,
                                  deployment)
        return
    lifecycle = migrations.get(template, path)
    if step == MIGRATE:
        lifecycle_module.skip_unless_runnable(
            lifecycle, template.steps[1], template, path)
        migrate(lifecycle, case, deployment)
        return
    current = [s for s in template.steps if s.name == step][0]
    lifecycle_module.skip_unless_runnable(lifecycle, current, template, path)
    case.reference = reference(
        step, lifecycle.expected_convergence,
        'migrated' if lifecycle.expected_convergence else 'not migrated')
    # A migration (this stack's, or another's gone wrong) may have changed
    # the flags since the last step: evidence before a step that could hang.
    check_after_change(lifecycle, case, deployment, 'before step %s' % step)
    lifecycle_module.fail_if_halted(lifecycle)
    lifecycle_module.run_step(lifecycle, current, case, deployment)


def run_refused_migration(deployment, case):
    """``migrate/refused-in-progress``: Heat refuses to migrate a stack
    whose create is still running, and no flag changes."""
    case.parity = 'none'
    path = skip_unless_migrating(deployment)
    case.path, case.template = path, 'slow_create'
    case.scenario = 'migrate/refused-in-progress'
    driver = client.StackDriver(deployment, path, 'slow_create')
    stack_id = driver.create(case.stack_name(), SLOW_CREATE)
    case.track(driver, stack_id)
    refusal = None
    try:
        deployment.migrate_convergence(path, stack_id)
    except Exception as error:  # DeploymentError with Heat's words
        refusal = str(error)
    case.migration = {'refused': refusal}
    status = driver.call('show', driver.heat.stacks.get, stack_id,
                         resolve_outputs=False).stack_status
    tree = [{'id': stack_id, 'path': ''}]
    problems = case.check_flags(deployment, stack_id, tree, False)
    if status != 'CREATE_IN_PROGRESS':
        problems.append('the stack was %s when the migration command '
                        'returned: the case could not tell (raise '
                        'flag_lifecycle.SLOW_CREATE_SECONDS)' % status)
    elif refusal is None:
        problems.append('Heat migrated a stack whose create was still in '
                        'progress')
    elif REFUSED not in refusal:
        problems.append('the refusal does not give Heat\'s reason: %s'
                        % refusal)
    driver.wait(stack_id, 'CREATE', 'create')
    case.require(problems)
