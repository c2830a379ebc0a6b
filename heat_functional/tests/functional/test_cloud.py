"""The devstack-like deployment (``--target cloud``) against the real parts.

``heat-functional gate --target cloud`` on three templates starts
PostgreSQL, keystone, RabbitMQ and, per cell, a Heat API and two
heat-engine processes, then tests them through the external target's
code path only (clouds.yaml, database URLs, operator commands). The run
must pass: lifecycles with their flags read from each cell's database,
parity, the flips (engines restarted with the option flipped) and
migration. Both engines of each path must have created resources of the
run's stacks (their logs say so), and when the gate has ended no
process of the deployment is left and its work directory is gone. A
Ctrl-C in the middle of a run leaves nothing either, nor does a
heat-engine that dies, which the report names as the run's end.

Skipped, saying why, where Debian's rabbitmq-server is not installed
(.ci/run installs it).
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from heat_functional.deployment import processes
from heat_functional.deployment import rabbitmq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TEMPLATES = ('resource_group', 'provider_via_files', 'wait_condition')
#: Heat's log line for each resource an engine creates.
CREATING = re.compile(r'creating \S+ "[^"]*" Stack "hf-')


@pytest.fixture(autouse=True)
def broker_installed():
    try:
        rabbitmq.find_binaries()
    except rabbitmq.BrokerMissing as missing:
        pytest.skip(str(missing))


def _command(args):
    return [sys.executable, '-m', 'heat_functional.cli'] + list(args)


def _env():
    env = dict(os.environ)
    env.pop('HEAT_FUNCTIONAL_DEPLOYMENT', None)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in [ROOT, env.get('PYTHONPATH')] if p)
    return env


def _templates(tmp_path, names):
    """The named shipped templates with their sidecars and files/."""
    directory = tmp_path / 'templates'
    directory.mkdir()
    os.symlink(os.path.join(ROOT, 'templates', 'files'),
               str(directory / 'files'))
    for name in names:
        for suffix in ('.yaml', '.lifecycle.yaml'):
            source = os.path.join(ROOT, 'templates', name + suffix)
            if os.path.exists(source):
                os.symlink(source, str(directory / (name + suffix)))
    return str(directory)


def _alive_in(workdir):
    """Pids of live processes whose command line names the work
    directory (Heat, keystone, the broker, the database server)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as f:
                cmdline = f.read().decode(errors='replace')
        except OSError:
            continue
        if workdir in cmdline and processes.alive(int(entry)):
            found.append((int(entry), cmdline.replace('\0', ' ')[:120]))
    return found


def _assert_nothing_left(report_dir):
    with open(os.path.join(report_dir, 'cloud.json')) as f:
        description = json.load(f)
    assert not [pid for pid in description['pids']
                if processes.alive(pid)], 'processes of the deployment live'
    assert not _alive_in(description['workdir'])
    assert not os.path.exists(description['workdir']), (
        'temporary directory %s was left behind' % description['workdir'])
    return description


def test_gate_on_the_devstack_like_deployment(tmp_path):
    report_dir = str(tmp_path / 'report')
    done = subprocess.run(_command([
        'gate', '--target', 'cloud', '--templates',
        _templates(tmp_path, TEMPLATES), '-n', '4',
        '--report-dir', report_dir,
        '-k', 'test_lifecycle or test_flip or test_migrate or test_probe']),
        env=_env(), capture_output=True, text=True, timeout=1500)
    output = done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == 0, output
    assert 'devstack-like deployment ready in' in done.stdout
    with open(os.path.join(report_dir, 'report.json')) as f:
        report = json.load(f)

    assert report['verdict'] == 'pass'
    assert report['deployment']['kind'] == 'external'
    assert report['deployment']['ready_s'] > 0
    assert report['heat_version']
    scenarios = {c['scenario'].split('/')[0] for c in report['cases']}
    assert {'lifecycle', 'flip-on', 'flip-back', 'migrate'} <= scenarios
    assert {c['template'] for c in report['cases']} >= set(TEMPLATES)
    flags = report['summary']['flags']
    assert flags['checked'] > 0 and flags['mismatched'] == 0
    # Every flag is read from the database (the probe's cases also
    # record what the probe told through the API).
    assert {f['source'] for f in report['flag_checks']} == {'db', 'probe'}
    assert all(f['ok'] or f['known_bug'] for f in report['flag_checks'])
    assert report['summary']['parity']['different'] == 0

    description = _assert_nothing_left(report_dir)
    for path in ('legacy', 'convergence'):
        cell = description['cells'][path]
        assert len(cell['engine_logs']) == 2
        for log_file in cell['engine_logs']:
            with open(log_file, errors='replace') as f:
                created = sum(1 for line in f if CREATING.search(line))
            assert created, ('%s created no resource of the run: the '
                             'engines did not share the work' % log_file)
    # The flips restarted the toggle cells' engines with the option set.
    assert description['cells']['flip-on']['convergence_engine'] is True
    assert description['cells']['flip-back']['convergence_engine'] is False


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
    process = subprocess.Popen(_command([
        'run', '--target', 'cloud', '--paths', 'legacy', '--templates',
        _templates(tmp_path, ['resource_group']), '-n', '2',
        '--report-dir', str(report_dir), '-k', 'test_lifecycle']),
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
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
