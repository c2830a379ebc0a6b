"""The verdict under faults: a case that leaves no record, a stopped run.

Each test runs the real gate on the embedded Heat (SQLite, noauth, the
lifecycle suite of one small template, two workers), breaks it in one
way, and checks that the gate fails, names the case or cases concerned
in report.json, exits non-zero, and leaves nothing running:

- a worker that crashes in the middle of a case;
- a case whose setup fails before the ``case`` fixture;
- a case killed by SIGKILL;
- SIGTERM to the command (what a CI job's timeout sends) while the
  stacks are being created.

Faults are injected by ``fault_plugin.py``, loaded with ``-p``.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from heat_functional.tests.functional import fault_plugin
from heat_functional.tests.functional import helpers
from heat_functional.tests.functional import test_faults

GOOD = test_faults.GOOD
SLOW = test_faults.SLOW
TARGET = 'good-update-self-legacy'


def _gate(tmp_path, fault=None, template=GOOD):
    templates = tmp_path / 'templates'
    templates.mkdir()
    (templates / 'good.yaml').write_text(template)
    report_dir = tmp_path / 'report'
    argv = helpers.cli('gate', '--templates', str(templates), '--db',
                       'sqlite', '--auth', 'noauth', '--report-dir',
                       str(report_dir), '-n', '2', '-k', 'test_lifecycle',
                       '--', '-p', fault_plugin.__name__)
    env = helpers.cli_env(HEAT_FUNCTIONAL_TOGGLES=0)
    if fault:
        env[fault_plugin.FAULT_ENV] = '%s:%s' % (fault, TARGET)
    return argv, env, report_dir


def _run(tmp_path, fault):
    argv, env, report_dir = _gate(tmp_path, fault)
    result = subprocess.run(argv, env=env, capture_output=True, text=True,
                            timeout=600)
    report = json.loads((report_dir / 'report.json').read_text())
    return result, report, report_dir


def _case(report, case_id):
    return next(c for c in report['cases'] if c['id'] == case_id)


@pytest.mark.parametrize('fault, words', [
    ('crash', 'crashed'),
    ('sigkill', 'crashed'),
    ('setup-error', 'setup failed: RuntimeError: injected fault'),
])
def test_a_case_without_record_fails_the_gate_by_name(tmp_path, fault,
                                                      words):
    result, report, report_dir = _run(tmp_path, fault)
    case_id = 'test_lifecycle[%s]' % TARGET
    assert result.returncode == 1, result.stdout + result.stderr
    assert report['verdict'] == 'fail'
    assert case_id in report['missing']
    assert _case(report, case_id)['outcome'] == 'error'
    named = [r for r in report['reasons']
             if r.startswith(case_id + ' error: no record: ')]
    assert named and words in named[0], report['reasons']
    if fault != 'setup-error':  # a worker died: the run stopped
        assert 'worker' in report['interrupted']
    assert 'Traceback' not in result.stdout
    test_faults._assert_nothing_left(report_dir)


def test_sigterm_mid_run_fails_naming_the_unfinished(tmp_path):
    argv, env, report_dir = _gate(tmp_path, template=SLOW)
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    planned = report_dir / 'plan.json'
    deadline = time.monotonic() + 300
    while not planned.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, 'no plan within 300 s'
        time.sleep(0.5)
    time.sleep(10)  # the slow creates are under way
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail('the gate did not end within 120 s of SIGTERM')
    assert process.returncode == 128 + signal.SIGTERM, output
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['verdict'] == 'fail'
    assert report['interrupted'] == 'stopped by SIGTERM'
    unfinished = {c['id'] for c in report['cases']
                  if c['outcome'] != 'passed'}
    assert report['planned'] == 6 and len(unfinished) == 6
    assert 'test_lifecycle[good-delete-convergence]' in report['missing']
    assert any(r.startswith('test_lifecycle[good-delete-convergence] '
                            'error: no record: never finished: the run '
                            'was interrupted') for r in report['reasons'])
    assert report['may_change_default'] is False
    test_faults._assert_nothing_left(report_dir)
