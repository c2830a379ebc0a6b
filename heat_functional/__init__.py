"""heat-functional: a functional parity gate for OpenStack Heat.

It runs every template of a corpus on Heat's legacy and convergence paths,
checks each stack's per-stack ``convergence`` flag, compares the two
paths' observations and gives a verdict that a CI job can trust.
"""
