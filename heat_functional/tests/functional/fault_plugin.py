"""A pytest plugin that breaks chosen cases, for the verdict's tests.

``test_verdict_faults.py`` runs the real gate with ``-p`` naming this
module and ``$HEAT_FUNCTIONAL_TEST_FAULT`` set to ``KIND:TEXT``; every
case whose id contains TEXT then meets the fault KIND, in the process
that runs it (an xdist worker):

- ``setup-error``: its setup fails before any fixture, so before the
  case could write a record;
- ``crash``: its process exits at once (a worker that dies);
- ``sigkill``: its process is killed by SIGKILL (a case killed by a
  signal).

Nothing of the harness imports this module; the gate loads it only
when a test asks.
"""

import os
import signal

FAULT_ENV = 'HEAT_FUNCTIONAL_TEST_FAULT'


def _fault(item):
    kind, _, text = os.environ.get(FAULT_ENV, '').partition(':')
    return kind if kind and text and text in item.name else None


def pytest_runtest_setup(item):
    if _fault(item) == 'setup-error':
        raise RuntimeError('injected fault: the setup of %s fails'
                           % item.name)


def pytest_runtest_call(item):
    fault = _fault(item)
    if fault == 'crash':
        os._exit(3)
    if fault == 'sigkill':
        os.kill(os.getpid(), signal.SIGKILL)
