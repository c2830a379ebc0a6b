"""Unit tests of heat_functional.results."""
