"""The devstack-like deployment (``--target cloud``) stopped in the middle.

``tox -e functional-cloud`` gates the deployment and then checks what a
normal end must leave (``tools/check_cloud_run.py``: nothing alive,
every engine worked). These are the other ends: a Ctrl-C in the middle
of a run leaves nothing either, nor does a heat-engine that dies, which
the report names as the run's end.

Skipped, saying why, where Debian's rabbitmq-server is not installed
(.ci/run installs it).
"""

import json
import os
import signal
import subprocess
import time

import pytest

from heat_functional.deployment import processes
from heat_functional.deployment.parts import rabbitmq
from heat_functional.tests.functional import helpers


@pytest.fixture(autouse=True)
def broker_installed():
    try:
        rabbitmq.find_binaries()
    except rabbitmq.BrokerMissing as missing:
        pytest.skip(str(missing))


def _assert_nothing_left(report_dir):
    with open(os.path.join(report_dir, 'cloud.json')) as f:
        description = json.load(f)
    assert processes.leftovers(description['pids'],
                               description['workdir']) == []


def _kill_an_engine(process, report_dir):
    """SIGKILL the first engine of the legacy cell, as the OOM killer
    would; the message the report must then give."""
    with open(os.path.join(str(report_dir), 'cloud.json')) as f:
        engine = json.load(f)['cells']['legacy']['engines'][0]
    os.kill(engine['pid'], signal.SIGKILL)
    return 'heat-engine %s died' % engine['host']


def _ctrl_c(process, report_dir):
    os.killpg(process.pid, signal.SIGINT)
    return 'Ctrl-C'


@pytest.mark.parametrize('stop', [_ctrl_c, _kill_an_engine],
                         ids=['ctrl-c', 'dead-engine'])
def test_a_stopped_run_leaves_nothing_and_says_why(tmp_path, stop):
    report_dir = tmp_path / 'report'
    process = subprocess.Popen(helpers.cli(
        'run', '--target', 'cloud', '--paths', 'legacy', '--only',
        'resource_group', '-n', '2', '--report-dir', str(report_dir),
        '-k', 'test_lifecycle'),
        env=helpers.cli_env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=helpers.interruptible)
    cases = report_dir / 'cases'
    deadline = time.monotonic() + 600
    while not (cases.exists() and list(cases.iterdir())):
        assert process.poll() is None, process.stdout.read()[-3000:]
        assert time.monotonic() < deadline, 'no case ended in 600 s'
        time.sleep(0.5)
    reason = stop(process, report_dir)
    try:
        output = process.communicate(timeout=120)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail('the run did not end within 120 s of its %s' % reason)
    assert process.returncode != 0
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['interrupted'], output[-3000:]
    if reason != 'Ctrl-C':
        assert reason in report['interrupted'], report['interrupted']
        assert reason in output
    _assert_nothing_left(str(report_dir))
