"""Unit tests of heat_functional.tempest_plugin."""
