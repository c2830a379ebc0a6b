"""Every template of the corpus through its lifecycle, on every path.

One case per (template, step, path): ``create``, each declared update
(``update-self`` when none is declared), ``delete``; with ``--repeat N``,
N such lifecycles per template and path, each on its own stack
(``repetition``). See
``heat_functional/lifecycle.py`` for what each step checks and records.
"""

from heat_functional import client
from heat_functional import lifecycle as lifecycle_module


def test_lifecycle(template, step, path, repetition, deployment, lifecycles,
                   case):
    lifecycle_module.skip_unless_offered(template, deployment)
    if step.kind == 'create':
        driver = client.StackDriver(deployment, path, template.name)
        if template.error:
            lifecycles.start(template, path, driver, None, repetition)
            case.require([template.error])
        lifecycle = lifecycles.start(template, path, driver,
                                     deployment.convergence_engine(path),
                                     repetition)
    else:
        lifecycle = lifecycles.get(template, path, repetition)
        lifecycle_module.skip_unless_runnable(lifecycle, step, template,
                                              path)
    lifecycle_module.run_step(lifecycle, step, case, deployment)
