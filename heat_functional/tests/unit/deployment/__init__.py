"""Unit tests of heat_functional.deployment."""
