"""The pytest side of heat-functional: one deployment, case records, report.

``heat_functional/scenarios/conftest.py`` loads this module. It:

- starts ONE embedded deployment in the pytest controller (unless
  ``$HEAT_FUNCTIONAL_DEPLOYMENT`` already names a running one) before
  pytest-xdist starts its workers, which inherit the variable and attach
  to the same deployment;
- parametrises every test that takes ``template`` (and ``step``) and
  ``path`` over the corpus, its lifecycles and the selected paths (ids
  such as ``[resource_group-grow-legacy]``);
- gives each test a ``case`` that records what it observed; when the test
  ends, the record is written with its outcome to ``cases/`` in the
  report directory;
- shows a live progress line in the controller (``progress.py``);
- after the session, in the controller, builds ``report.json``, prints the
  summary table, and stops the deployment.

A cell that dies interrupts the run at once: the watchdog's message (the
cell's name and log tail) becomes the report's ``interrupted`` reason.
"""

import os
import re
import signal
import time

import pytest

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config as settings
from heat_functional import corpus
from heat_functional import costs
from heat_functional import deployment as deployment_module
from heat_functional import discovery
from heat_functional import live_runs
from heat_functional import performance
from heat_functional import plan
from heat_functional import progress
from heat_functional import records
from heat_functional import run_spec
from heat_functional import shards
from heat_functional.results import report as report_module
from heat_functional.results import table

CASE_KEY = pytest.StashKey()
REPORTS_KEY = pytest.StashKey()
#: The kind of an item's skip that the accounting lists apart
#: (case.UnmetRequirement's and case.Moot's ``skip_kind``).
SKIP_KIND_KEY = pytest.StashKey()
#: What a pytest-xdist worker sends its CPU seconds under when it ends.
WORKER_CPU_KEY = 'heat_functional_cpu_s'
#: Errors whose message says all there is: shown without a traceback.
PLAIN_ERRORS = (client.HeatError, corpus.CorpusError,
                deployment_module.DeploymentError)


def spec():
    """What this run was asked for (run_spec.py)."""
    return run_spec.current()


def report_dir():
    return spec().report_dir


def templates_dir():
    return spec().templates_dir


def corpus_survey():
    """The survey of the run's template directory (discovery), read once
    per process for every suite."""
    return discovery.cached_survey(templates_dir(), spec().environments)


def selected_templates():
    """The corpus, limited to ``--only``'s templates when given, and to
    this shard's (``--shard``, shards.py) when sharded."""
    chosen = corpus.select(corpus_survey().templates,
                           spec().only_templates())
    assignment = spec().shard
    if assignment is None:
        return chosen
    return [t for t in chosen if shards.runs_case(assignment, t.name)]


def is_shipped(directory):
    return os.path.realpath(directory) == \
        os.path.realpath(settings.SHIPPED_TEMPLATES)


def suite_templates(suite):
    """The template names a suite (actions, failures, probe) runs on, or
    None for every template it applies to: what --actions/--failures
    say, else the shipped defaults on the shipped corpus, else what the
    directory's settings file names, else all."""
    directory = templates_dir()
    shipped = is_shipped(directory)
    chosen = {'actions': spec().action_templates,
              'failures': spec().failure_templates,
              'probe': spec().probe_templates}[suite](shipped)
    if shipped or chosen is not None:
        return chosen
    named = corpus_survey().suites.get(suite)
    return None if named is None else tuple(named)


def _is_worker(pytest_config):
    return hasattr(pytest_config, 'workerinput')


class Owner(object):
    """What the controller holds for the session."""

    def __init__(self):
        self.cells = None
        self.registration = None
        self.started = time.monotonic()
        #: Why the run stopped early: a dead cell or worker.
        self.interrupted = None
        #: The signal that stopped it, if one did.
        self.signalled = None
        #: What pytest reported of cases that failed or were skipped, by
        #: case id: the words for a planned case that left no record.
        self.seen = {}
        #: Where the run's CPU goes (performance.py), from before the
        #: deployment starts to the report.
        self.sampler = None
        #: pytest-xdist worker id -> its own CPU seconds, as it said when
        #: it ended (None: it did not say).
        self.worker_cpu = {}

    def on_death(self, message):
        from heat_functional.deployment import embedded
        self.interrupted = self.interrupted or message
        embedded.interrupt_main(message)

    def on_signal(self, signum, frame):
        """SIGINT or SIGTERM: note it, then stop as Ctrl-C stops pytest."""
        self.signalled = self.signalled or 'stopped by %s' % (
            signal.Signals(signum).name)
        raise KeyboardInterrupt


# -- session: deployment and report ----------------------------------------
def pytest_configure(config):
    if _is_worker(config):
        return
    owner = config._heat_functional = Owner()
    # Made here, before pytest-xdist starts its workers, so that they
    # inherit it and every stack of the run carries the same run tag.
    # Registered, so that `heat-functional cleanup` leaves its stacks be.
    owner.registration = live_runs.register(settings.run_id())
    if progress.wanted(config):
        config.pluginmanager.register(
            progress.Progress(list(spec().paths), repeat=spec().repeat),
            'hf-progress')
    directory = report_dir()
    os.makedirs(directory, exist_ok=True)
    if not spec().noise_pass:  # it adds to the run it follows
        records.clear(directory)
        plan.remove(directory)
        _write_corpus(directory)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, owner.on_signal)
    if config.option.collectonly:
        return
    owner.sampler = performance.Sampler(performance.measured_roots()).start()
    if deployment_module.given():
        return
    asked = spec()
    owner.cells = deployment_module.owner_for(
        'embedded', directory, list(asked.paths), asked.toggle_cells(),
        db=asked.db, auth=asked.auth, heat_source=asked.heat_source,
        on_death=owner.on_death)
    owner.cells.start()
    os.environ[settings.DEPLOYMENT_ENV] = owner.cells.description_file


def _write_corpus(directory):
    """corpus.json: what discovery found, for the report. A directory
    that cannot be run writes none (its collection fails, saying why)."""
    discovery.remove(directory)
    try:
        found = corpus_survey()
    except corpus.CorpusError:
        return
    discovery.write(directory, found)


def pytest_collection_modifyitems(config, items):
    """A suite left with nothing to parametrise has no case: deselect
    pytest's placeholder for it (plan.nothing_to_run) rather than plan a
    case that cannot run. A shard other than the first deselects the
    cases of no template (the first shard runs them: shards.py). In a
    pytest-xdist worker, the groups are put in the order they are to be
    handed out: the longest first (costs.py)."""
    empty = [item for item in items if plan.nothing_to_run(item) or
             not _in_shard(item)]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]
    if hasattr(config, 'workerinput'):
        # A pytest-xdist worker's order is the order the controller hands
        # the groups out in (--no-loadscope-reorder): longest first.
        items[:] = costs.longest_first(items, xdist_group_of,
                                       plan.key_of_item, costs.shipped())


def xdist_group_of(item):
    """The pytest-xdist group an item is marked with, or None."""
    mark = item.get_closest_marker('xdist_group')
    if mark is None:
        return None
    return mark.args[0] if mark.args else mark.kwargs.get('name')


def _in_shard(item):
    """Whether this run's shard (all of them, unsharded) runs an item:
    the templates' cases are parametrised on its templates only; a case
    of no template runs in the first shard."""
    assignment = spec().shard
    params = getattr(item, 'callspec', None)
    if assignment is None or (params and 'template' in params.params):
        return True
    return shards.runs_case(assignment, None)


def pytest_collection_finish(session):
    """Whoever collects the cases (the controller without workers, else
    every worker alike) writes the run's plan before any case runs."""
    if session.config.option.collectonly:
        return
    write = plan.extend if spec().noise_pass else plan.write
    write(report_dir(), [plan.key_of_item(item) for item in session.items],
          run_id=settings.run_id())


def pytest_runtest_logreport(report):
    """In the controller: keep what pytest says of cases that did not
    pass, for those that leave no record (a crashed worker, a fixture
    that failed before the case began)."""
    owner = _owner()
    if owner is None or report.passed:
        return
    text = _report_text(report)
    if report.failed and report.when != 'call':
        text = '%s failed: %s' % (report.when, text)
    owner.seen.setdefault(plan.case_id_of_nodeid(report.nodeid), text)


def _report_text(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return longrepr[2]
    text = str(longrepr or report.outcome).strip()
    lines = text.splitlines()
    if len(lines) > 1 and 'crashed' not in text:
        # pytest's last line of a traceback: "E   RuntimeError: ..."
        return re.sub(r'^E\s+', '', lines[-1])
    return ' '.join(lines)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """A pytest-xdist worker went down; with an error, it died: the run
    is interrupted (heat-functional runs pytest with
    ``--max-worker-restart 0``, so it stops)."""
    owner = _owner()
    if owner is not None:
        owner.worker_cpu[node.gateway.id] = getattr(
            node, 'workeroutput', {}).get(WORKER_CPU_KEY)
    if owner is not None and error:
        owner.interrupted = owner.interrupted or (
            'pytest-xdist worker %s died: %s'
            % (node.gateway.id, str(error).strip().splitlines()[-1]
               if str(error).strip() else error))


def _owner():
    return _SESSION.get('owner')


#: The controller's Owner, for hooks that get no config.
_SESSION = {}


def pytest_sessionstart(session):
    owner = getattr(session.config, '_heat_functional', None)
    if owner is not None:
        _SESSION['owner'] = owner


def pytest_sessionfinish(session, exitstatus):
    pytest_config = session.config
    if _is_worker(pytest_config):  # read by the controller's testnodedown
        pytest_config.workeroutput[WORKER_CPU_KEY] = (
            performance.worker_cpu_s())
        return
    owner = getattr(pytest_config, '_heat_functional', None)
    if owner is None or pytest_config.option.collectonly:
        return
    directory = report_dir()
    # A dead part first, then what the command that runs pytest noted
    # (the signal it received; it passes SIGINT on), then our own signal.
    interrupted = (owner.interrupted or records.interruption(directory) or
                   owner.signalled)
    if interrupted is None and exitstatus == pytest.ExitCode.INTERRUPTED:
        interrupted = 'interrupted by the user (Ctrl-C) or a signal'
    description = deployment_module.load_description()
    built = report_module.from_records(
        directory, description, list(spec().paths),
        interrupted=interrupted,
        duration_s=round(time.monotonic() - owner.started, 3),
        run_id=settings.run_id(), planned=plan.read(directory),
        seen=owner.seen, exit_status=int(exitstatus))
    built['resource_types'] = _resource_types(description)
    built['performance'] = _performance(owner, description)
    built['corpus'] = _corpus_of(directory)
    built['shard'] = shards.report_entry(spec())
    path = report_module.write(built, directory)
    reporter = pytest_config.pluginmanager.get_plugin('terminalreporter')
    if reporter is not None:
        reporter.write_sep('=', 'heat-functional')
        reporter.write_line(table.render(built))
        reporter.write_line('report: %s' % path)


def _performance(owner, description):
    """Where the run's CPU went, until now (the deployment still runs)."""
    if owner.sampler is None:
        return None
    owner.sampler.stop()
    reported = list(owner.worker_cpu.values())
    exact = sum(reported) if reported and None not in reported else None
    return performance.summary(
        owner.sampler, worker_usage=exact,
        keystone_tally=performance.keystone_tally(description))


def _corpus_of(directory):
    return discovery.read(directory)


def _resource_types(description):
    """The resource types each path's Heat offers the harness's user, or
    why they could not be listed."""
    if not description:
        return {}
    handle = deployment_module.attach(description)
    offered = {}
    for path in handle.paths:
        try:
            offered[path] = sorted(r.resource_type for r in
                                   handle.client(path).resource_types.list())
        except Exception as error:  # a dead cell: the report says why
            offered[path] = 'not listed: %s' % error
    return offered


def pytest_unconfigure(config):
    owner = getattr(config, '_heat_functional', None)
    if owner is not None and owner.registration is not None:
        owner.registration.close()
        owner.registration = None
    if owner is not None and owner.cells is not None:
        owner.cells.close()
        owner.cells = None
        os.environ.pop(settings.DEPLOYMENT_ENV, None)


# -- parametrisation -------------------------------------------------------
def pytest_generate_tests(metafunc):
    """template (and step, for lifecycles) x path, with ids such as
    ``[resource_group-grow-legacy]``.

    The steps of one (template, path) carry an ``xdist_group`` mark, so
    that pytest-xdist (``--dist loadgroup``) runs them on one worker, in
    lifecycle order; the two paths of a step may run at the same time.

    With ``--repeat N`` (N > 1) each lifecycle runs N times per path, as
    ``repetition`` 1 to N, each on its own stack and in its own group:
    ``[resource_group-grow-legacy-r2]``. Other suites run once. The
    noise pass (noise_pass.py) runs only the create, as repetition 2,
    with the same ids.
    """
    fixtures = metafunc.fixturenames
    paths = list(spec().paths)
    special = FLAG_SUITES.get(metafunc.function.__name__)
    if special is not None:
        special(metafunc, selected_templates())
        return
    if 'template' in fixtures and 'step' in fixtures and 'path' in fixtures:
        repeat = spec().repeat \
            if 'repetition' in fixtures else 1
        repetitions, numbered = range(1, repeat + 1), repeat > 1
        if spec().noise_pass:
            repetitions, numbered = [settings.NOISE_PASS_REPETITION], True
        cases = [_param(plan.make('lifecycle', template.name, step.name,
                                  path, repetition),
                        (template, step, path, repetition),
                        numbered=numbered)
                 for template in selected_templates()
                 for repetition in repetitions
                 for step in _steps(template) for path in paths]
        names = ['template', 'step', 'path', 'repetition']
        if 'repetition' not in fixtures:
            names, cases = names[:3], [
                pytest.param(*c.values[:3], id=c.id, marks=c.marks)
                for c in cases]
        metafunc.parametrize(names, cases)
        return
    if 'template' in fixtures:
        templates = selected_templates()
        metafunc.parametrize('template', templates,
                             ids=[t.name for t in templates])
    if 'path' in fixtures:
        metafunc.parametrize('path', paths)


def _steps(template):
    """A template's lifecycle steps; in the noise pass, its create
    alone (the stack it makes is deleted when the session ends)."""
    if spec().noise_pass:
        return [step for step in template.steps
                if step.name == settings.NOISE_PASS_STEP]
    return template.steps


def _param(key, values, numbered=False):
    """A pytest.param of a case's values, with its key's id and, where
    its suite has one, its pytest-xdist group (plan.py spells both)."""
    group = plan.xdist_group(key, numbered)
    marks = [pytest.mark.xdist_group(group)] if group else []
    return pytest.param(*values, id=plan.param_id(key, numbered),
                        marks=marks)


def _parametrize_flips(metafunc, templates):
    """toggle x template x step; all of a toggle's cases on one worker
    (a flip restarts the whole cell)."""
    from heat_functional import flag_lifecycle
    metafunc.parametrize(['toggle', 'template', 'step'], [
        _param(plan.make('flip', template.name, step, toggle),
               (toggle, template, step))
        for toggle in settings.TOGGLES
        for template in templates
        for step in flag_lifecycle.flip_steps(template)])


def _parametrize_migrations(metafunc, templates):
    """template x step (create, migrate, the rest); a template's steps on
    one worker, in order."""
    from heat_functional import flag_lifecycle
    metafunc.parametrize(['template', 'step'], [
        _param(plan.make('migrate', template.name, step), (template, step))
        for template in templates
        for step in flag_lifecycle.migrate_steps(template)])


def _parametrize_probes(metafunc, templates):
    """The probe's templates x paths (suite_templates; on another
    directory than the shipped one, only templates whose create is
    expected to complete)."""
    from heat_functional import actions
    chosen = suite_templates('probe')
    metafunc.parametrize(['template', 'path'], [
        _param(plan.make('probe', template.name, path=path),
               (template, path))
        for template in templates
        if chosen is not None and template.name in chosen or
        chosen is None and not actions.applies_to(template)
        for path in spec().paths])


def _parametrize_actions(metafunc, templates):
    """template x action x path, for templates the actions apply to; the
    actions of one (template, path) on one worker, in order."""
    from heat_functional import actions
    chosen = suite_templates('actions')
    metafunc.parametrize(['template', 'step', 'path'], [
        _param(plan.make('actions', template.name, action, path),
               (template, action, path))
        for template in templates if not actions.applies_to(template)
        if chosen is None or template.name in chosen
        for action in actions.ACTIONS
        for path in spec().paths])


def _parametrize_failures(metafunc, templates):
    """template x sequence/step x path, for templates the failures apply
    to; the steps of one (template, sequence, path) on one worker, in
    order."""
    from heat_functional import failures
    chosen = suite_templates('failures')
    metafunc.parametrize(['template', 'step', 'path'], [
        _param(key, (template, key.step, path))
        for template in templates if not failures.applies_to(template)
        if chosen is None or template.name in chosen
        for sequence in failures.sequences_for(template)
        for step in failures.SEQUENCES[sequence]
        for path in spec().paths
        for key in [plan.make('failures', template.name,
                              plan.scenario(sequence, step), path)]])


FLAG_SUITES = {
    'test_actions': _parametrize_actions,
    'test_failures': _parametrize_failures,
    'test_flip': _parametrize_flips,
    'test_migrate': _parametrize_migrations,
    'test_probe': _parametrize_probes,
}


# -- fixtures ------------------------------------------------------------
@pytest.fixture(scope='session')
def deployment():
    description = deployment_module.load_description()
    if description is None:
        pytest.fail('no deployment: run through heat-functional, or set $%s'
                    % settings.DEPLOYMENT_ENV, pytrace=False)
    handle = deployment_module.attach(description)
    yield handle
    handle.close()


@pytest.fixture(scope='session')
def lifecycles():
    """This worker's lifecycles; stacks a cut-short run left are deleted."""
    from heat_functional import lifecycle
    registry = lifecycle.Registry()
    yield registry
    registry.clean_up()


@pytest.fixture(scope='session')
def action_runs():
    """This worker's action sequences (kept apart from the lifecycles)."""
    from heat_functional import lifecycle
    registry = lifecycle.Registry()
    yield registry
    registry.clean_up()


@pytest.fixture(scope='session')
def failure_runs():
    """This worker's failure sequences: sequence -> lifecycle.Registry."""
    runs = {}
    yield runs
    for registry in runs.values():
        registry.clean_up()


@pytest.fixture(scope='session')
def migrations():
    """This worker's migrate scenarios' lifecycles (kept apart from the
    parity suite's, which run the same templates on the same path)."""
    from heat_functional import lifecycle
    registry = lifecycle.Registry()
    yield registry
    registry.clean_up()


class Flips(object):
    """This worker's flip scenarios, by toggle cell, made on first use for
    the templates of the toggle's selected cases."""

    def __init__(self, deployment, session):
        self.deployment = deployment
        self.session = session
        self.flips = {}

    def get(self, toggle):
        from heat_functional import flag_lifecycle
        if toggle not in self.deployment.toggles:
            case_module.unmet(
                'this deployment has no toggle cell %r (the embedded one '
                'starts them when both paths run and $%s is not 0)'
                % (toggle, settings.TOGGLES_ENV))
        if toggle not in self.flips:
            templates = {}
            for item in self.session.items:
                params = getattr(item, 'callspec', None)
                params = params.params if params else {}
                if params.get('toggle') == toggle:
                    templates.setdefault(params['template'].name,
                                         params['template'])
            self.flips[toggle] = flag_lifecycle.Flip(
                self.deployment, toggle, list(templates.values()),
                settings.FLIP_WORKERS)
        return self.flips[toggle]

    def clean_up(self):
        for flip in self.flips.values():
            flip.clean_up()


@pytest.fixture(scope='session')
def flips(deployment, request):
    made = Flips(deployment, request.session)
    yield made
    made.clean_up()


@pytest.fixture
def case(request):
    recorded = case_module.Case(request.node)
    request.node.stash[CASE_KEY] = recorded
    yield recorded
    recorded.cleanup()


def _message(call):
    if call.excinfo is None:
        return None
    error = call.excinfo.value
    if isinstance(error, PLAIN_ERRORS) or type(error) is AssertionError:
        return str(error)
    if isinstance(error, pytest.fail.Exception):
        return error.msg
    return call.excinfo.exconly()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(
            (case_module.UnmetRequirement, case_module.Moot)):
        item.stash[SKIP_KIND_KEY] = call.excinfo.value.skip_kind
    if call.excinfo is not None and isinstance(call.excinfo.value,
                                               PLAIN_ERRORS):
        rep.longrepr = str(call.excinfo.value)
    reports = item.stash.setdefault(REPORTS_KEY, {})
    reports[rep.when] = (rep, _message(call))
    if rep.when == 'teardown' and CASE_KEY in item.stash:
        _write_case(item, reports)


def _write_case(item, reports):
    recorded = item.stash[CASE_KEY]
    outcome, message, skip_kind = 'passed', None, None
    for when in ('setup', 'call', 'teardown'):
        rep, text = reports.get(when, (None, None))
        if rep is None:
            continue
        if rep.skipped:
            outcome, message = 'skipped', _skip_reason(rep)
            skip_kind = _skip_kind(rep, item)
        elif rep.failed:
            outcome = 'failed' if when == 'call' else 'error'
            message = (message + '\n' if message else '') + (text or '')
            if when != 'call' and outcome == 'error':
                message = '%s: %s' % (when, message)
    records.write_case(report_dir(), recorded, outcome, message,
                       time.monotonic() - recorded.started,
                       plan.key_of_item(item).suite, skip_kind)


def _skip_kind(rep, item):
    """'xfail' for a declared expected failure, 'unmet' for a case the
    target cannot serve (case.UnmetRequirement), 'moot' for a step its
    lifecycle left nothing to act on (case.Moot), else None."""
    if hasattr(rep, 'wasxfail'):
        return 'xfail'
    return item.stash.get(SKIP_KIND_KEY, None)


def _skip_reason(rep):
    """The skip's message, without the class pytest puts before the
    message of a skip of a kind of its own (case.Moot...)."""
    text = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else \
        str(rep.longrepr)
    for kind in (case_module.UnmetRequirement, case_module.Moot):
        prefix = '%s.%s: ' % (kind.__module__, kind.__name__)
        if text.startswith(prefix):
            return text[len(prefix):]
    return text
