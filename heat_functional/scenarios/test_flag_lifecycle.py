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

from heat_functional import flag_lifecycle
from heat_functional import lifecycle as lifecycle_module
from heat_functional import probe


def test_flip(toggle, template, step, flips, case):
    flag_lifecycle.run_flip_case(flips.get, toggle, template, step, case)


def test_migrate(template, step, deployment, migrations, case):
    flag_lifecycle.run_migrate_case(template, step, deployment, migrations,
                                    case)


def test_migration_refused_while_in_progress(deployment, case):
    flag_lifecycle.run_refused_migration(deployment, case)


def test_probe(template, path, deployment, case):
    case.parity = 'none'
    lifecycle_module.skip_unless_offered(template, deployment)
    probe.check_against_database(template, path, deployment, case)
