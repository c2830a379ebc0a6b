"""The tempest plugin: its tests and its config group.

setup.cfg registers it under ``tempest.test_plugins``; tempest then
discovers the tests in ``heat_functional/tempest_plugin/tests`` and reads
the ``[heat_functional]`` group (``config.py``) from tempest.conf.
"""

import os

from tempest.test_discover import plugins

from heat_functional.tempest_plugin import config as plugin_config


class HeatFunctionalTempestPlugin(plugins.TempestPlugin):
    """heat-functional's scenarios as tempest tests."""

    def load_tests(self):
        """(directory of the tests, directory their package is under)."""
        here = os.path.dirname(os.path.abspath(__file__))
        top = os.path.dirname(os.path.dirname(here))
        return os.path.join(here, 'tests'), top

    def register_opts(self, conf):
        conf.register_group(plugin_config.group)
        conf.register_opts(plugin_config.opts, group=plugin_config.group)

    def get_opt_lists(self):
        return [(plugin_config.group.name, plugin_config.opts)]
