"""The tempest tests of heat-functional (``plan.py`` names them)."""
