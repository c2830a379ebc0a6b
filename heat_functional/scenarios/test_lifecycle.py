"""Every template of the corpus through its lifecycle, on every path.

One case per (template, step, path): ``create``, each declared update
(``update-self`` when none is declared), ``delete``; with ``--repeat N``,
N such lifecycles per template and path, each on its own stack
(``repetition``). See
``heat_functional/lifecycle.py`` for what each step checks and records.
"""

from heat_functional import lifecycle as lifecycle_module


def test_lifecycle(template, step, path, repetition, deployment, lifecycles,
                   case):
    lifecycle_module.run_case(template, step, path, repetition, deployment,
                              lifecycles, case)
