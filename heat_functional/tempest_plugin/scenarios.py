"""The scenarios as tempest test classes, made from the plan.

The modules of ``tests/`` call ``classes`` when tempest imports them, and
get a class per ``plan.PlannedClass`` of their scenarios, for the
templates, paths and scenarios ``[heat_functional]`` selects. Each test
runs one case with the very function the pytest suite's test calls
(``lifecycle.run_case``; ``flag_lifecycle.run_flip_case``,
``run_migrate_case`` and ``run_refused_migration``), through
``ScenarioTest.run_case``, which:

- marks the case running in the run's directory (``session.py``);
- turns the scenario code's pytest outcomes into tempest's: a
  ``pytest.skip`` is a skip, a ``pytest.fail`` (the case's problems) a
  failure with its message, any other exception an error;
- writes the case's record with its outcome, as the pytest plugin does,
  for the parity verdict (``tests/test_verdict.py``).

Where the configuration or the corpus is unusable, a module gets one
class, ``configuration``, whose test fails saying why: failing tempest's
discovery would stop every other tempest test too.
"""

import time
import traceback

import pytest
from tempest import config as tempest_config
from tempest import test

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import corpus
from heat_functional import deployment as deployment_module
from heat_functional import flag_lifecycle
from heat_functional import lifecycle as lifecycle_module
from heat_functional import plan
from heat_functional import records
from heat_functional.tempest_plugin import config as plugin_config
from heat_functional.tempest_plugin import plan as plan_module
from heat_functional.tempest_plugin import session
from heat_functional.tempest_plugin import target

CONF = tempest_config.CONF
#: Errors whose message says all there is.
PLAIN_ERRORS = (client.HeatError, corpus.CorpusError,
                deployment_module.DeploymentError, plugin_config.ConfigError)

_plan = {}


def current_plan():
    """The plan for tempest.conf (made once per process). Raises
    ConfigError or CorpusError."""
    if 'error' in _plan:
        raise _plan['error']
    if 'plan' not in _plan:
        section = CONF.heat_functional
        try:
            _plan['paths'] = plugin_config.selected_paths(section)
            _plan['plan'] = plan_module.plan(
                plugin_config.selected_scenarios(section),
                plugin_config.selected_templates(section), _plan['paths'])
        except (plugin_config.ConfigError, corpus.CorpusError) as error:
            _plan['error'] = error
            raise
    return _plan['plan']


def current_paths():
    current_plan()
    return _plan['paths']


def _outcome(error):
    """(outcome, message) of a case that raised `error`."""
    if isinstance(error, pytest.skip.Exception):
        return 'skipped', error.msg
    if isinstance(error, pytest.fail.Exception):
        return 'failed', error.msg
    if type(error) is AssertionError:
        return 'failed', str(error)
    if isinstance(error, PLAIN_ERRORS):
        return 'error', str(error)
    return 'error', ''.join(traceback.format_exception_only(
        type(error), error)).strip()


class ScenarioTest(test.BaseTestCase):
    """A test whose cases are heat-functional's; no tempest credentials
    (the target's clouds say how to reach Heat)."""

    credentials = []
    planned = None  # the PlannedClass

    @classmethod
    def skip_checks(cls):
        super(ScenarioTest, cls).skip_checks()
        reason = plugin_config.not_configured(CONF.heat_functional)
        if reason:
            raise cls.skipException(reason)

    @staticmethod
    def deployment():
        return target.deployment(CONF)

    def run_case(self, planned, work, repetition=None):
        """Run work(case) for a PlannedTest as this test; record it."""
        case = case_module.Case.detached(planned.case_id, planned.template,
                                         planned.scenario, planned.path)
        case.repetition = repetition
        directory = session.run_dir(CONF.heat_functional.report_dir)
        error = None
        try:
            with session.running(directory, planned.case_id):
                try:
                    work(case)
                finally:
                    case.cleanup()
        except BaseException as raised:  # pytest's outcomes included
            if isinstance(raised, KeyboardInterrupt):
                raise
            error = raised
        outcome, message = ('passed', None) if error is None else \
            _outcome(error)
        records.write_case(directory, case, outcome, message,
                           time.monotonic() - case.started,
                           plan.suite_of_case_id(planned.case_id),
                           getattr(error, 'skip_kind', None))
        if outcome == 'skipped':
            self.skipTest(message)
        if outcome == 'failed':
            self.fail(message)
        if error is not None:
            raise error


class LifecycleTest(ScenarioTest):
    """The steps of one template's lifecycle on one path."""

    @classmethod
    def resource_setup(cls):
        super(LifecycleTest, cls).resource_setup()
        cls.lifecycles = lifecycle_module.Registry()

    @classmethod
    def resource_cleanup(cls):
        if getattr(cls, 'lifecycles', None) is not None:
            cls.lifecycles.clean_up()
        super(LifecycleTest, cls).resource_cleanup()

    def run_planned(self, planned):
        template, path = self.planned.template, self.planned.path
        self.run_case(planned, lambda case: lifecycle_module.run_case(
            template, planned.step, path, 1, self.deployment(),
            self.lifecycles, case), repetition=1)


class FlipTest(ScenarioTest):
    """One toggle cell's flip scenario, every template's steps."""

    @classmethod
    def resource_setup(cls):
        super(FlipTest, cls).resource_setup()
        cls.flip = None

    @classmethod
    def resource_cleanup(cls):
        if getattr(cls, 'flip', None) is not None:
            cls.flip.clean_up()
        super(FlipTest, cls).resource_cleanup()

    def _flip(self, toggle):
        cls = type(self)
        deployment = self.deployment()
        if toggle not in deployment.toggles:
            pytest.skip('no toggle cell %s: give it a cloud (or region) in '
                        '[heat_functional] clouds (regions), and '
                        'toggle_command' % toggle)
        if cls.flip is None:
            templates = []
            for planned in self.planned.tests:
                if planned.step[0] not in templates:
                    templates.append(planned.step[0])
            cls.flip = flag_lifecycle.Flip(deployment, toggle, templates,
                                           config.FLIP_WORKERS)
        return cls.flip

    def run_planned(self, planned):
        template, step = planned.step
        self.run_case(planned, lambda case: flag_lifecycle.run_flip_case(
            self._flip, self.planned.path, template, step, case))


class MigrateTest(ScenarioTest):
    """One template's migrate scenario: create on legacy, migrate, the
    remaining steps."""

    @classmethod
    def resource_setup(cls):
        super(MigrateTest, cls).resource_setup()
        cls.migrations = lifecycle_module.Registry()

    @classmethod
    def resource_cleanup(cls):
        if getattr(cls, 'migrations', None) is not None:
            cls.migrations.clean_up()
        super(MigrateTest, cls).resource_cleanup()

    def run_planned(self, planned):
        self.run_case(planned, lambda case: flag_lifecycle.run_migrate_case(
            self.planned.template, planned.step, self.deployment(),
            self.migrations, case))


class RefusedTest(ScenarioTest):
    """Heat refuses to migrate a stack whose create is in progress."""

    def run_planned(self, planned):
        self.run_case(planned, lambda case: flag_lifecycle.
                      run_refused_migration(self.deployment(), case))


BASES = {'lifecycle': LifecycleTest, 'flip': FlipTest,
         'migrate': MigrateTest, 'refused': RefusedTest}


def _test_method(planned):
    def method(self):
        self.run_planned(planned)
    method.__name__ = planned.method
    method.__doc__ = '%s (case %s)' % (planned.scenario, planned.case_id)
    return method


def make_class(module, planned_class):
    attributes = {'__module__': module, 'planned': planned_class,
                  '__doc__': '%s: %d cases' % (planned_class.name,
                                               len(planned_class.tests))}
    for planned in planned_class.tests:
        attributes[planned.method] = _test_method(planned)
    return type(planned_class.name, (BASES[planned_class.kind],),
                attributes)


def _broken(module, error):
    class Configuration(ScenarioTest):
        def test_configuration(self):
            self.fail('heat-functional cannot make its tests: %s' % error)
    Configuration.__module__ = module
    Configuration.__name__ = Configuration.__qualname__ = 'configuration'
    return {'configuration': Configuration}


def classes(module, *scenarios):
    """Class name -> tempest test class, for a module of ``tests/`` that
    holds the given scenarios (those of them that are selected)."""
    try:
        planned = current_plan()
    except (plugin_config.ConfigError, corpus.CorpusError) as error:
        return _broken(module, error) if 'lifecycle' in scenarios else {}
    made = {}
    for scenario in scenarios:
        for planned_class in planned.get(scenario, []):
            made[planned_class.name] = make_class(module, planned_class)
    return made
