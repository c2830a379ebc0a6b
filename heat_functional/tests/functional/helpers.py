"""What the functional tests share: running ``heat-functional`` as a user
does (a child process, this checkout first on its path, no deployment
inherited from the calling run), and waiting for a ``deploy`` child."""

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from heat_functional import config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
#: How long ``heat-functional deploy`` may take to describe itself.
DEPLOY_TIMEOUT = 180


def cli(*args):
    """The command line of ``heat-functional ARGS``."""
    return [sys.executable, '-m', 'heat_functional.cli'] + list(args)


def interruptible():
    """``preexec_fn`` of a child that a test stops with Ctrl-C (SIGINT):
    the signal's default action back, so that Python turns it into
    KeyboardInterrupt even when this run was started with SIGINT ignored
    (nohup, a script's background job), which the child would inherit.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(process, timeout=60):
    """Ctrl-C a child started in a session of its own (and with
    ``interruptible``), and wait for it. Past `timeout` seconds its whole
    process group is killed, so that nothing outlives the test, and the
    test fails saying so."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError('%s did not end within %d s of Ctrl-C'
                             % (' '.join(map(str, process.args[2:5])),
                                timeout))


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


def ready_description(description_file):
    """The description deploy wrote, once it names a clouds.yaml that
    holds clouds (deploy writes it so last), else None."""
    try:
        with open(description_file) as f:
            description = json.load(f)
        with open(description.get('clouds_file') or '') as f:
            ready = bool((yaml.safe_load(f) or {}).get('clouds'))
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return None
    return description if ready else None


def wait_for_deploy(process, report_dir, timeout=DEPLOY_TIMEOUT):
    """Wait until a ``heat-functional deploy`` child has written, in
    `report_dir`, the description that names its (private) clouds.yaml
    (it writes it last); return that description."""
    description_file = os.path.join(str(report_dir), config.DESCRIPTION_JSON)
    deadline = time.monotonic() + timeout
    while True:
        description = ready_description(description_file)
        if description:
            return description
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, \
            'deploy was not ready in %d s' % timeout
        time.sleep(0.2)


def _stat_fields(pid):
    """(ppid, pgid) of a process, or None if it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rpartition(')')[2].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[2])


def harness_processes(group_leaders, extra=()):
    """The pids of the members of the given process groups (a
    deployment's parts each lead one), of their descendants, and
    `extra`."""
    family = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields:
                family[int(entry)] = fields
    leaders = set(group_leaders)
    found = {pid for pid, (_, pgid) in family.items()
             if pgid in leaders} | set(extra)
    while True:
        children = {pid for pid, (ppid, _) in family.items()
                    if ppid in found} - found
        if not children:
            return found
        found |= children


def devstack_like(tmp_path_factory, name):
    """A one-path devstack-like deployment with one engine, for a test
    module's fixture (a generator: yields its owner, closes it after);
    skips where rabbitmq-server is not installed."""
    import pytest
    from heat_functional.deployment import cloud
    from heat_functional.deployment.parts import rabbitmq
    try:
        rabbitmq.find_binaries()
    except rabbitmq.BrokerMissing as missing:
        pytest.skip(str(missing))
    report_dir = tmp_path_factory.mktemp(name)
    with cloud.CloudDeployment(str(report_dir), paths=['legacy'],
                               engines=1) as owner:
        yield owner
