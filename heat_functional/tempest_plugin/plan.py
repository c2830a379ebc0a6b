"""Which tempest tests the scenarios become: classes, names, case ids.

A plan is a list of ``PlannedClass``; ``scenarios.py`` makes a tempest
test class of each. Names are chosen for stestr, which keeps the tests of
one class on one worker (tempest's ``group_regex``) and runs them in
name order:

- lifecycle: a class per (template, path), ``<template>_on_<path>``, with
  a test per step in lifecycle order (``test_01_create``,
  ``test_02_grow``, ..., ``test_04_delete``), so that the steps run in
  order on one stack, as pytest-xdist's loadgroup runs them;
- flip: a class per toggle cell (``flip_on``, ``flip_back``), a test per
  template and step of the flip scenario
  (``test_resource_group_06_new_create``): a flip restarts the whole cell,
  so all of a toggle's cases run in one worker;
- migrate: a class per template, ``<template>_migrate``, a test per step
  of the migrate scenario, and ``migration_refused`` with one test.

Every test keeps the pytest suite's case id
(``test_lifecycle[resource_group-grow-legacy]``), template, scenario and
path, spelled by the same module (``heat_functional/plan.py``), so that
its record, and the report built from it, read the same whichever runner
ran it.
"""

import collections
import re

from heat_functional import config
from heat_functional import flag_lifecycle
from heat_functional import plan as case_plan

PlannedClass = collections.namedtuple(
    'PlannedClass', 'name kind template path tests')
#: step: the corpus Step (lifecycle) or step name (flip, migrate).
PlannedTest = collections.namedtuple(
    'PlannedTest', 'method case_id template scenario path step')


def identifier(text):
    """text as a Python identifier's part."""
    return re.sub(r'[^A-Za-z0-9_]', '_', text)


def _methods(names, prefix='test_'):
    """Method names that sort in the order of names."""
    width = max(2, len(str(len(names))))
    return ['%s%0*d_%s' % (prefix, width, index, identifier(name))
            for index, name in enumerate(names, 1)]


def lifecycle(templates, paths):
    classes = []
    for template in templates:
        for path in paths:
            steps = template.steps
            tests = [PlannedTest(
                method, case_plan.make('lifecycle', template.name,
                                       step.name, path).case_id,
                template.name, case_plan.scenario('lifecycle', step.name),
                path, step)
                for method, step in zip(_methods([s.name for s in steps]),
                                        steps)]
            classes.append(PlannedClass(
                '%s_on_%s' % (identifier(template.name), path), 'lifecycle',
                template, path, tests))
    return classes


def flips(templates):
    classes = []
    for toggle in config.TOGGLES:
        tests = []
        for template in templates:
            steps = flag_lifecycle.flip_steps(template)
            prefix = 'test_%s_' % identifier(template.name)
            tests += [PlannedTest(
                method, case_plan.make('flip', template.name, step,
                                       toggle).case_id,
                template.name, case_plan.scenario(toggle, step), toggle,
                (template, step))
                for method, step in zip(_methods(steps, prefix), steps)]
        classes.append(PlannedClass(identifier(toggle), 'flip', None,
                                    toggle, tests))
    return classes


def migrations(templates):
    path = flag_lifecycle.path_of(False)
    classes = []
    for template in templates:
        steps = flag_lifecycle.migrate_steps(template)
        tests = [PlannedTest(
            method, case_plan.make('migrate', template.name, step).case_id,
            template.name, case_plan.scenario('migrate', step), path, step)
            for method, step in zip(_methods(steps), steps)]
        classes.append(PlannedClass('%s_migrate' % identifier(template.name),
                                    'migrate', template, path, tests))
    classes.append(PlannedClass(
        'migration_refused', 'refused', None, path,
        [PlannedTest('test_while_in_progress',
                     'test_migration_refused_while_in_progress',
                     'slow_create', 'migrate/refused-in-progress', path,
                     None)]))
    return classes


MAKERS = {
    'lifecycle': lambda templates, paths: lifecycle(templates, paths),
    'flip': lambda templates, paths: flips(templates),
    'migrate': lambda templates, paths: migrations(templates),
}


def plan(scenarios, templates, paths):
    """scenario name -> its PlannedClass list, for the scenarios given."""
    return {name: MAKERS[name](templates, paths) for name in scenarios}


def cases(planned):
    """Every PlannedTest of a plan (the cases the verdict expects)."""
    return [test for classes in planned.values() for cls in classes
            for test in cls.tests]
