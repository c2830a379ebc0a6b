"""The per-stack flag: sticky across a flip of the option, converted by
migration, and told through the API alone.

See ``heat_functional/flag_lifecycle.py`` for the flip and migrate
scenarios and ``heat_functional/probe.py`` for the black-box probe. Cases:

- ``test_flip[<toggle>-<template>-<step>]``: every template's steps on a
  toggle cell, around a restart of its engine with the option flipped,
  plus ``new-create``/``new-delete`` of a stack created after the flip;
- ``test_migrate[<template>-<step>]``: create on legacy, ``migrate``,
  then the remaining steps on the converted stack;
- ``test_migration_refused_while_in_progress``: Heat refuses to migrate a
  stack whose create is still running, and no flag changes;
- ``test_probe[<template>-<path>]``: the probe's answer equals the flag in
  the database.
"""

import pytest

from heat_functional import client
from heat_functional import config
from heat_functional import flag_lifecycle
from heat_functional import lifecycle as lifecycle_module
from heat_functional import probe

SLOW_CREATE = {
    'heat_template_version': '2021-04-16',
    'resources': {'slow': {
        'type': 'OS::Heat::TestResource',
        'properties': {'value': 'slow',
                       'action_wait_secs': {'create': 5}}}},
}


def test_flip(toggle, template, step, flips, case):
    flips.get(toggle).outcome(template, step).hand_over(case)


def _skip_unless_migrating(deployment):
    path = flag_lifecycle.path_of(False)
    if path not in deployment.paths:
        pytest.skip('migration starts from legacy stacks; this run has no '
                    '%s path' % path)
    if deployment.cannot_migrate:
        pytest.skip('this deployment cannot migrate stacks: %s'
                    % deployment.cannot_migrate)
    return path


def test_migrate(template, step, deployment, migrations, case):
    # Compared with a reference (set below), never paired: a step skipped
    # before its reference is known must not become half a pair.
    case.parity = 'none'
    path = _skip_unless_migrating(deployment)
    lifecycle_module.skip_unless_offered(template, deployment)
    case.path = path
    if step == template.steps[0].name:
        driver = client.StackDriver(deployment, path, template.name)
        lifecycle = migrations.start(template, path, driver, False)
        case.reference = flag_lifecycle.reference(step, False,
                                                  'created on legacy')
        if template.error:
            case.require([template.error])
        lifecycle_module.run_step(lifecycle, template.steps[0], case,
                                  deployment)
        return
    lifecycle = migrations.get(template, path)
    if step == flag_lifecycle.MIGRATE:
        case.parity = 'none'
        lifecycle_module.skip_unless_runnable(
            lifecycle, template.steps[1], template, path)
        flag_lifecycle.migrate(lifecycle, case, deployment)
        return
    current = [s for s in template.steps if s.name == step][0]
    lifecycle_module.skip_unless_runnable(lifecycle, current, template, path)
    case.reference = flag_lifecycle.reference(
        step, lifecycle.expected_convergence,
        'migrated' if lifecycle.expected_convergence else 'not migrated')
    lifecycle_module.run_step(lifecycle, current, case, deployment)


def test_migration_refused_while_in_progress(deployment, case):
    case.parity = 'none'
    path = _skip_unless_migrating(deployment)
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
    tree = [{'id': stack_id, 'path': ''}]
    problems = case.check_flags(deployment, stack_id, tree, False)
    if refusal is None:
        problems.append('Heat migrated a stack whose create was still in '
                        'progress')
    elif flag_lifecycle.REFUSED not in refusal:
        problems.append('the refusal does not give Heat\'s reason: %s'
                        % refusal)
    driver.wait(stack_id, 'CREATE', 'create')
    case.require(problems)


def test_probe(template, path, deployment, case):
    if template.name not in config.PROBE_TEMPLATES:
        pytest.skip('the probe runs on %s only'
                    % ', '.join(config.PROBE_TEMPLATES))
    case.parity = 'none'
    lifecycle_module.skip_unless_offered(template, deployment)
    probe.check_against_database(template, path, deployment, case)
