"""The scenarios' conftest wires every hook and fixture of plugin.py.

pytest finds hooks and fixtures of a conftest that is not at the root
only by name in that conftest, so each is imported there one by one; a
hook added to plugin.py and not imported is silently never called.
"""

import inspect

from heat_functional import plugin
from heat_functional.scenarios import conftest


def plugin_names():
    return {name for name, value in vars(plugin).items()
            if (name.startswith('pytest_') and inspect.isfunction(value)) or
            hasattr(value, '_pytestfixturefunction') or
            type(value).__name__ == 'FixtureFunctionDefinition'}


def test_every_hook_and_fixture_of_the_plugin_is_wired():
    names = plugin_names()
    assert 'pytest_collection_modifyitems' in names and 'case' in names
    assert names - set(vars(conftest)) == set()
