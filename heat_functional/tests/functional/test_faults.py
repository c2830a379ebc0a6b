"""The harness under fault: bad templates, a killed cell or keystone, Ctrl-C.

These run the real ``heat-functional`` command against the embedded real
Heat (SQLite, to stay light) and check what a user sees: which cases
fail and with what message, the exit status, how fast a broken run ends,
and that no process or temporary directory outlives it.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from heat_functional.deployment import embedded
from heat_functional.tests.functional import helpers

GOOD = """heat_template_version: 2021-04-16
resources:
  nothing:
    type: OS::Heat::None
outputs:
  answer:
    value: 42
"""
NOT_YAML = """heat_template_version: 2021-04-16
resources: [this is: not, valid
"""
REJECTED = """heat_template_version: 2021-04-16
resources:
  server:
    type: OS::NoSuch::Thing
"""
SLOW = """heat_template_version: 2021-04-16
resources:
  slow:
    type: OS::Heat::TestResource
    properties:
      action_wait_secs:
        create: 300
"""


def _env():
    # The lifecycle suite on two cells is all these faults need.
    return helpers.cli_env(HEAT_FUNCTIONAL_TOGGLES=0)


def _templates(tmp_path, **templates):
    directory = tmp_path / 'templates'
    directory.mkdir()
    for name, text in templates.items():
        (directory / ('%s.yaml' % name)).write_text(text)
    return directory


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()[0] not in 'ZX'
    except OSError:
        return False


def _assert_nothing_left(report_dir):
    with open(report_dir / 'deployment.json') as f:
        description = json.load(f)
    for path, info in description['paths'].items():
        assert not _alive(info['pid']), 'cell %s is still running' % path
    if description.get('keystone'):
        assert not _alive(description['keystone']['pid']), (
            'keystone is still running')
    assert not os.path.exists(description['workdir']), (
        'temporary directory %s was left behind' % description['workdir'])


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail('timed out after %d s waiting for %s'
                        % (timeout, what))
        time.sleep(0.2)


def test_bad_templates_fail_their_own_cases_only(tmp_path):
    templates = _templates(tmp_path, good=GOOD, not_yaml=NOT_YAML,
                           rejected=REJECTED)
    report_dir = tmp_path / 'report'
    result = subprocess.run(
        helpers.cli('gate', '--templates', str(templates), '--db', 'sqlite',
                    '--report-dir', str(report_dir), '-n', '2',
                    '-k', 'test_lifecycle'),
        env=_env(), capture_output=True, text=True, timeout=600)

    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((report_dir / 'report.json').read_text())
    cases = {(c['template'], c['scenario'], c['path']): c
             for c in report['cases']}
    steps = ('lifecycle/create', 'lifecycle/update-self', 'lifecycle/delete')
    assert len(cases) == 3 * len(steps) * 2
    for path in ('legacy', 'convergence'):
        for step in steps:
            assert cases[('good', step, path)]['outcome'] == 'passed'
        broken = cases[('not_yaml', 'lifecycle/create', path)]
        assert broken['outcome'] == 'failed'
        assert str(templates / 'not_yaml.yaml') in broken['message']
        rejected = cases[('rejected', 'lifecycle/create', path)]
        assert rejected['outcome'] == 'failed'
        assert 'Heat answered 400' in rejected['message']
        assert 'OS::NoSuch::Thing' in rejected['message']
        # Later steps: skipped, naming why; after a rejected create
        # (no stack exists) they are moot, listed apart.
        for name, why in (('not_yaml', 'never created'),
                          ('rejected', 'was rejected, so no stack exists')):
            for step in steps[1:]:
                later = cases[(name, step, path)]
                assert later['outcome'] == 'skipped'
                assert why in later['message'], later['message']
    assert report['verdict'] == 'fail'
    assert any('not_yaml' in reason for reason in report['reasons'])
    assert 'Traceback' not in result.stdout
    _assert_nothing_left(report_dir)


def _start_slow_run(tmp_path):
    templates = _templates(tmp_path, slow=SLOW)
    report_dir = tmp_path / 'report'
    process = subprocess.Popen(
        helpers.cli('run', '--templates', str(templates), '--db', 'sqlite',
                    '--report-dir', str(report_dir), '-n', '2',
                    '-k', 'test_lifecycle'),
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True, preexec_fn=helpers.interruptible)
    description_file = report_dir / 'deployment.json'
    _wait_for(description_file.exists, 240, 'the deployment')
    description = json.loads(description_file.read_text())

    handle = embedded.EmbeddedDeployment(description)

    def creating():
        return bool(list(handle.client('legacy').stacks.list()))
    _wait_for(creating, 120, 'the slow stack to be created on legacy')
    return process, report_dir, description


def test_killed_cell_ends_the_run_naming_the_cell(tmp_path):
    process, report_dir, description = _start_slow_run(tmp_path)
    killed_at = time.monotonic()
    os.kill(description['paths']['legacy']['pid'], signal.SIGKILL)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail('the run did not end within 60 s of the cell dying')
    ended_in = time.monotonic() - killed_at

    assert process.returncode != 0
    assert "Heat cell 'legacy'" in output
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['verdict'] == 'fail'
    assert "Heat cell 'legacy'" in report['interrupted']
    assert 'Last lines of its log' in report['interrupted']
    assert ended_in < 60
    _assert_nothing_left(report_dir)


def test_killed_keystone_ends_the_run_naming_keystone(tmp_path):
    process, report_dir, description = _start_slow_run(tmp_path)
    os.kill(description['keystone']['pid'], signal.SIGKILL)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail('the run did not end within 60 s of keystone dying')
    assert process.returncode != 0
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['interrupted'].startswith('keystone died'), (
        report['interrupted'])
    assert 'Last lines of its log' in report['interrupted']
    assert 'keystone died' in output
    _assert_nothing_left(report_dir)


def test_ctrl_c_stops_everything(tmp_path):
    process, report_dir, _ = _start_slow_run(tmp_path)
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail('the run did not end within 60 s of Ctrl-C')
    assert process.returncode != 0
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['verdict'] == 'fail'
    assert report['interrupted']
    _assert_nothing_left(report_dir)
