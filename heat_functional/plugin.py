"""The pytest side of heat-functional: one deployment, case records, report.

``heat_functional/scenarios/conftest.py`` loads this module. It:

- starts ONE embedded deployment in the pytest controller (unless
  ``$HEAT_FUNCTIONAL_DEPLOYMENT`` already names a running one) before
  pytest-xdist starts its workers, which inherit the variable and attach
  to the same deployment;
- parametrises every test that takes ``template`` and ``path`` over the
  corpus and the selected paths (ids such as ``[resource_group-legacy]``);
- gives each test a ``case`` that records what it observed; when the test
  ends, the record is written with its outcome to ``cases/`` in the
  report directory;
- after the session, in the controller, builds ``report.json``, prints the
  summary table, and stops the deployment.

A cell that dies interrupts the run at once: the watchdog's message (the
cell's name and log tail) becomes the report's ``interrupted`` reason.
"""

import contextlib
import json
import os
import re
import secrets
import time

import pytest

from heat_functional import client
from heat_functional import config as settings
from heat_functional import corpus
from heat_functional import deployment as deployment_module
from heat_functional import parity
from heat_functional import report as report_module

CASE_KEY = pytest.StashKey()
REPORTS_KEY = pytest.StashKey()
#: Errors whose message says all there is: shown without a traceback.
PLAIN_ERRORS = (client.HeatError, corpus.CorpusError,
                deployment_module.DeploymentError)


def report_dir():
    return os.path.abspath(os.environ.get(
        settings.REPORT_DIR_ENV, os.path.join('reports', 'run')))


def templates_dir():
    return os.environ.get(settings.TEMPLATES_ENV) or settings.SHIPPED_TEMPLATES


def _is_worker(pytest_config):
    return hasattr(pytest_config, 'workerinput')


class Owner(object):
    """What the controller holds for the session."""

    def __init__(self):
        self.cells = None
        self.started = time.monotonic()
        self.interrupted = None

    def on_death(self, message):
        from heat_functional.deployment import embedded
        self.interrupted = message
        embedded.interrupt_main(message)


# -- session: deployment and report ----------------------------------------
def pytest_configure(config):
    if _is_worker(config):
        return
    owner = config._heat_functional = Owner()
    directory = report_dir()
    cases_dir = os.path.join(directory, settings.CASES_DIR)
    os.makedirs(cases_dir, exist_ok=True)
    for stale in os.listdir(cases_dir):
        os.remove(os.path.join(cases_dir, stale))
    if os.environ.get(settings.DEPLOYMENT_ENV):
        return
    if config.option.collectonly:
        return
    from heat_functional.deployment import embedded
    owner.cells = embedded.EmbeddedCells(
        directory, db=os.environ.get(settings.DB_ENV, settings.DEFAULT_DB),
        paths=_selected_paths(), on_death=owner.on_death)
    owner.cells.start()
    os.environ[settings.DEPLOYMENT_ENV] = owner.cells.description_file


def _selected_paths():
    return settings.selected_paths()


def pytest_sessionfinish(session, exitstatus):
    pytest_config = session.config
    owner = getattr(pytest_config, '_heat_functional', None)
    if owner is None or pytest_config.option.collectonly:
        return
    interrupted = owner.interrupted
    if interrupted is None and exitstatus == pytest.ExitCode.INTERRUPTED:
        interrupted = 'interrupted by the user (Ctrl-C) or a signal'
    directory = report_dir()
    description = deployment_module.load_description()
    allowances = parity.load_allowances(settings.ALLOWANCES_FILE)
    built = report_module.build(
        report_module.load_cases(directory), description,
        _selected_paths(), allowances, interrupted=interrupted,
        duration_s=round(time.monotonic() - owner.started, 3))
    path = report_module.write(built, directory)
    reporter = pytest_config.pluginmanager.get_plugin('terminalreporter')
    if reporter is not None:
        reporter.write_sep('=', 'heat-functional')
        reporter.write_line(report_module.table(built))
        reporter.write_line('report: %s' % path)


def pytest_unconfigure(config):
    owner = getattr(config, '_heat_functional', None)
    if owner is not None and owner.cells is not None:
        owner.cells.close()
        owner.cells = None


# -- parametrisation -------------------------------------------------------
def pytest_generate_tests(metafunc):
    """template (and step, for lifecycles) x path, with ids such as
    ``[resource_group-grow-legacy]``.

    The steps of one (template, path) carry an ``xdist_group`` mark, so
    that pytest-xdist (``--dist loadgroup``) runs them on one worker, in
    lifecycle order; the two paths of a step may run at the same time.
    """
    fixtures = metafunc.fixturenames
    paths = _selected_paths()
    if 'template' in fixtures and 'step' in fixtures and 'path' in fixtures:
        cases = [pytest.param(
            template, step, path,
            id='%s-%s-%s' % (template.name, step.name, path),
            marks=pytest.mark.xdist_group('%s.%s' % (template.name, path)))
            for template in corpus.discover(templates_dir())
            for step in template.steps for path in paths]
        metafunc.parametrize(['template', 'step', 'path'], cases)
        return
    if 'template' in fixtures:
        templates = corpus.discover(templates_dir())
        metafunc.parametrize('template', templates,
                             ids=[t.name for t in templates])
    if 'path' in fixtures:
        metafunc.parametrize('path', paths)


# -- per case --------------------------------------------------------------
class Case(object):
    """What one test case records, written as ``cases/<id>.json``."""

    def __init__(self, item):
        params = getattr(item, 'callspec', None)
        params = params.params if params else {}
        template = params.get('template')
        step = params.get('step')
        self.id = item.name
        self.template = getattr(template, 'name', template)
        self.scenario = item.originalname[len('test_'):]
        if step is not None:
            self.scenario += '/' + step.name
        self.path = params.get('path')
        self.stacks = []
        self.observation = None
        self.heat_time_s = None
        self.timings = {}
        self.started = time.monotonic()
        self._cleanups = []

    def stack_name(self):
        name = '%s-%s-%s-%s' % (settings.STACK_PREFIX, self.template,
                                self.path, secrets.token_hex(3))
        return re.sub(r'[^A-Za-z0-9_.-]', '-', name)

    @contextlib.contextmanager
    def timed(self, phase):
        """Record the wall time of a phase of the case (summed if repeated).
        """
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[phase] = round(self.timings.get(phase, 0) +
                                        time.monotonic() - started, 3)

    def track(self, driver, stack_id):
        """Delete this stack at the end of the case if it still exists."""
        self._cleanups.append((driver, stack_id))

    def check_flags(self, deployment, stack_id, tree, expected):
        """Read the flag of every stack under stack_id; record; return
        one message per stack whose flag is not `expected`."""
        logical = {s['id']: s['path'] for s in tree}
        flags = deployment.stack_flags(self.path, stack_id)
        self.stacks = [{
            'id': f['id'], 'name': f['name'], 'parent': f['parent'],
            'path': logical.get(f['id']), 'depth': f['depth'],
            'convergence': f['convergence'],
            'expected_convergence': expected, 'source': f['source'],
        } for f in flags if not f['deleted']]
        missing = set(logical) - {s['id'] for s in self.stacks}
        problems = ['stack %s of %s (%s) has convergence=%s, expected %s'
                    % (s['name'], self.template, s['id'], s['convergence'],
                       expected)
                    for s in self.stacks if s['convergence'] != expected]
        problems += ['stack %s of %s is shown by the API but has no row in '
                     'the database' % (m, self.template) for m in missing]
        return problems

    def measure_heat_time(self, deployment, stack_id, since=0):
        """Record the seconds Heat spent on the stack's actions (those after
        its first `since` own events), if the deployment can tell them to
        better than a second."""
        from heat_functional.deployment import database
        timeline = deployment.stack_timeline(self.path, stack_id)
        if timeline:
            self.heat_time_s = round(
                database.heat_seconds(timeline[since:]), 3)

    def require(self, problems):
        """Fail the case with every problem found, without a traceback."""
        if problems:
            pytest.fail('\n'.join(problems), pytrace=False)

    def check_deleted(self, deployment, stack_id):
        """After a delete: every stack row of the tree must be marked
        deleted. Records the rows; returns one message per row left.

        Convergence marks the stack DELETE_COMPLETE a moment before it
        soft-deletes the row (Stack.purge_db), so rows get DELETE_SETTLE
        seconds to go."""
        deadline = time.monotonic() + settings.DELETE_SETTLE
        while True:
            flags = deployment.stack_flags(self.path, stack_id)
            if all(f['deleted'] for f in flags) or \
                    time.monotonic() > deadline:
                break
            time.sleep(settings.STATE_PROBE_INTERVAL)
        self.stacks = [{
            'id': f['id'], 'name': f['name'], 'parent': f['parent'],
            'depth': f['depth'], 'convergence': f['convergence'],
            'expected_convergence': settings.PATHS[self.path]
            if f['depth'] == 0 else flags[0]['convergence'],
            'source': f['source'], 'deleted': f['deleted'],
        } for f in flags]
        return ['stack %s of %s (%s) is still in the database after its '
                'delete (%s_%s)' % (f['name'], self.template, f['id'],
                                    f['action'], f['status'])
                for f in flags if not f['deleted']]

    def cleanup(self):
        for driver, stack_id in self._cleanups:
            driver.delete(stack_id)

    def record(self, outcome, message, duration):
        overhead = None
        if self.heat_time_s is not None:
            overhead = round(duration - self.heat_time_s, 3)
        return {
            'id': self.id, 'template': self.template,
            'scenario': self.scenario, 'path': self.path,
            'outcome': outcome, 'duration_s': round(duration, 3),
            'heat_time_s': self.heat_time_s,
            'harness_overhead_s': overhead,
            'timings': self.timings,
            'message': message, 'stacks': self.stacks,
            'observation': self.observation,
        }


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


@pytest.fixture
def case(request):
    recorded = Case(request.node)
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
    if call.excinfo is not None and isinstance(call.excinfo.value,
                                               PLAIN_ERRORS):
        rep.longrepr = str(call.excinfo.value)
    reports = item.stash.setdefault(REPORTS_KEY, {})
    reports[rep.when] = (rep, _message(call))
    if rep.when == 'teardown' and CASE_KEY in item.stash:
        _write_case(item, reports)


def _write_case(item, reports):
    recorded = item.stash[CASE_KEY]
    outcome, message = 'passed', None
    for when in ('setup', 'call', 'teardown'):
        rep, text = reports.get(when, (None, None))
        if rep is None:
            continue
        if rep.skipped:
            outcome, message = 'skipped', _skip_reason(rep)
        elif rep.failed:
            outcome = 'failed' if when == 'call' else 'error'
            message = (message + '\n' if message else '') + (text or '')
            if when != 'call' and outcome == 'error':
                message = '%s: %s' % (when, message)
    duration = time.monotonic() - recorded.started
    record = recorded.record(outcome, message, duration)
    directory = os.path.join(report_dir(), settings.CASES_DIR)
    filename = re.sub(r'[^A-Za-z0-9_.-]', '_', item.nodeid) + '.json'
    with open(os.path.join(directory, filename), 'w') as f:
        json.dump(record, f, indent=1, default=str)


def _skip_reason(rep):
    if isinstance(rep.longrepr, tuple):
        return rep.longrepr[2]
    return str(rep.longrepr)
