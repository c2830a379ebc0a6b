"""What the functional tests share: running ``heat-functional`` as a user
does (a child process, this checkout first on its path, no deployment
inherited from the calling run), and waiting for a ``deploy`` child."""

import os
import sys
import time

from heat_functional import config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
#: How long ``heat-functional deploy`` may take to write its clouds.yaml.
DEPLOY_TIMEOUT = 180


def cli(*args):
    """The command line of ``heat-functional ARGS``."""
    return [sys.executable, '-m', 'heat_functional.cli'] + list(args)


def cli_env(**variables):
    """The environment for a ``cli`` child: this checkout importable, no
    deployment of the calling run, and the given variables."""
    env = dict(os.environ)
    env.pop(config.DEPLOYMENT_ENV, None)
    env.pop(config.DEPLOYMENT_JSON_ENV, None)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in [ROOT, env.get('PYTHONPATH')] if p)
    env.update({name: str(value) for name, value in variables.items()})
    return env


def wait_for_deploy(process, report_dir, timeout=DEPLOY_TIMEOUT):
    """Wait until a ``heat-functional deploy`` child has written its
    clouds.yaml in `report_dir` (it writes it last)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(os.path.join(str(report_dir), 'clouds.yaml')):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, \
            'deploy was not ready in %d s' % timeout
        time.sleep(0.2)
