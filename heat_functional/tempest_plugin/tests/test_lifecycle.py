"""Every selected template through its lifecycle, on every selected path.

A class per (template, path), ``<template>_on_<path>``, with a test per
step in order; each runs ``lifecycle.run_case``, as the pytest suite
``scenarios/test_lifecycle.py`` does.
"""

from heat_functional.tempest_plugin import scenarios

globals().update(scenarios.classes(__name__, 'lifecycle'))
