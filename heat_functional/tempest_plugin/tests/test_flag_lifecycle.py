"""The per-stack flag across a flip of the option, and across migration.

The flip scenario per toggle cell (``flip_on``, ``flip_back``) and the
migrate scenario per template (``<template>_migrate``), as the pytest
suite ``scenarios/test_flag_lifecycle.py`` runs them; each case is
compared with its reference case of the lifecycle tests by the verdict.
"""

from heat_functional.tempest_plugin import scenarios

globals().update(scenarios.classes(__name__, 'flip', 'migrate'))
