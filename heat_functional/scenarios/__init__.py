"""The scenario suites: pytest tests that drive Heat through a deployment.

Run them through ``heat-functional run|gate`` or ``tox -e
functional-convergence``; ``conftest.py`` wires in ``heat_functional.plugin``.
"""
