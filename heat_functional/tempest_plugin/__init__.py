"""heat-functional as a tempest plugin.

The plugin exposes the harness's scenarios as tempest tests (``tempest run
--regex heat_functional``): the same lifecycle, flag lifecycle and parity
code the pytest suites run, against the deployment its config group
``[heat_functional]`` describes. ``doc/source/tempest-plugin.rst`` says how to
use it.
"""
