"""``heat-functional cleanup`` against a cloud it did not start.

``heat-functional deploy`` plays the cloud (one legacy cell, SQLite, no
keystone: the cheapest cloud there is). Through its clouds.yaml and
python-heatclient the test creates what earlier runs could have left:
a stack of run A (with a nested stack), one of run B, and one named like
the harness's but without its tag. ``cleanup --run A --dry-run`` must
delete nothing; ``cleanup --run A`` must delete exactly run A's stack
(and with it its nested stack); ``cleanup`` without ``--run`` must then
keep run B's, created a moment ago (the default ``--older-than``), and
with ``--older-than 0`` delete it, and still leave the untagged one.

A run registered as alive on this machine (live_runs.py; here the test
process registers it) keeps its stack through ``--older-than 0``, and
``--run`` naming it is refused with the pid; once its registration ends,
``--run`` deletes it.
"""

import json
import os
import re
import subprocess
import time

import pytest
from heatclient import exc as heat_exc

from heat_functional import client
from heat_functional import config
from heat_functional import live_runs
from heat_functional.deployment import external
from heat_functional.deployment import processes
from heat_functional.tests.functional import helpers

CLOUD = 'heat-functional-legacy'
GROUP = {
    'heat_template_version': '2018-08-31',
    'resources': {'group': {
        'type': 'OS::Heat::ResourceGroup',
        'properties': {'count': 1,
                       'resource_def': {'type': 'OS::Heat::None'}}}},
}
PLAIN = {
    'heat_template_version': '2018-08-31',
    'resources': {'none': {'type': 'OS::Heat::None'}},
}


@pytest.fixture(scope='module')
def clouds_file(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp('cleanup-cloud')
    process = subprocess.Popen(
        helpers.cli('deploy', '--paths', 'legacy', '--db', 'sqlite',
                    '--auth', 'noauth', '--report-dir', str(report_dir)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=helpers.interruptible)
    try:
        yield _wait_for_clouds_file(process, report_dir)
    finally:
        helpers.interrupt(process)
    description = json.loads((report_dir / 'deployment.json').read_text())
    assert not processes.alive(
        description['paths']['legacy']['pid'])


def _wait_for_clouds_file(process, report_dir):
    """The clouds.yaml of a ``deploy`` child once it is ready: the one
    its description names, or else the one in its report directory."""
    deadline = time.monotonic() + helpers.DEPLOY_TIMEOUT
    while True:
        try:
            named = json.loads(
                (report_dir / 'deployment.json').read_text()).get(
                'clouds_file')
        except (OSError, ValueError):
            named = None
        for path in (named, str(report_dir / 'clouds.yaml')):
            if path and os.path.exists(path):
                return path
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, 'deploy was not ready'
        time.sleep(0.2)


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A registry of live runs of the test's own, which the cleanup
    children inherit."""
    monkeypatch.setenv(config.LIVE_RUNS_ENV, str(tmp_path / 'live'))


def _create(heat, name, template, tags):
    fields = {'stack_name': name, 'template': template}
    if tags:
        fields['tags'] = tags
    stack_id = heat.stacks.create(**fields)['stack']['id']
    deadline = time.monotonic() + 120
    while heat.stacks.get(stack_id).stack_status == 'CREATE_IN_PROGRESS':
        assert time.monotonic() < deadline, '%s not created' % name
        time.sleep(0.2)
    assert heat.stacks.get(stack_id).stack_status == 'CREATE_COMPLETE'
    return stack_id


def _exists(heat, stack_id):
    try:
        return heat.stacks.get(stack_id).stack_status != 'DELETE_COMPLETE'
    except heat_exc.HTTPNotFound:
        return False


def _cleanup(clouds_file, *args):
    done = subprocess.run(
        helpers.cli('cleanup', '--clouds-file', clouds_file, '--cloud',
                    'legacy=' + CLOUD, *args),
        capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_cleanup_deletes_exactly_the_runs_stacks(clouds_file, registry):
    heat = client.cloud_client(external.cloud_region(CLOUD, clouds_file))
    run_a = _create(heat, 'hf-cleanup-a', GROUP, 'hf,hf-run-test-a')
    run_b = _create(heat, 'hf-cleanup-b', PLAIN, 'hf,hf-run-test-b')
    untagged = _create(heat, 'hf-cleanup-untagged', PLAIN, None)
    nested = [s.id for s in heat.stacks.list(show_nested=True)
              if getattr(s, 'parent', None) == run_a]
    assert len(nested) == 1
    try:
        status, output = _cleanup(clouds_file, '--run', 'test-a',
                                  '--dry-run')
        assert status == 0, output
        assert 'would delete hf-cleanup-a (%s' % run_a in output
        assert 'hf-cleanup-b' not in output
        assert all(_exists(heat, s) for s in (run_a, run_b, untagged))

        status, output = _cleanup(clouds_file, '--run', 'test-a')
        assert status == 0, output
        assert 'deleted hf-cleanup-a (%s' % run_a in output
        assert not _exists(heat, run_a)
        assert not _exists(heat, nested[0])
        assert _exists(heat, run_b) and _exists(heat, untagged)

        status, output = _cleanup(clouds_file)
        assert status == 0, output
        assert ('kept hf-cleanup-b (%s' % run_b) in output
        assert re.search(r'its run changed \d+ minutes ago, within '
                         r'--older-than %d\n' % config.CLEANUP_OLDER_THAN,
                         output), output
        assert _exists(heat, run_b)

        status, output = _cleanup(clouds_file, '--older-than', '0')
        assert status == 0, output
        assert 'deleted hf-cleanup-b (%s' % run_b in output
        assert 'untagged' not in output
        assert not _exists(heat, run_b)
        assert _exists(heat, untagged)
    finally:
        for stack_id in (run_a, run_b, untagged):
            if _exists(heat, stack_id):
                heat.stacks.delete(stack_id)


def test_cleanup_leaves_a_live_run(clouds_file, registry):
    heat = client.cloud_client(external.cloud_region(CLOUD, clouds_file))
    run_c = _create(heat, 'hf-cleanup-c', PLAIN, 'hf,hf-run-test-c')
    try:
        with live_runs.register('test-c') as registration:
            status, output = _cleanup(clouds_file, '--older-than', '0')
            assert status == 0, output
            assert ('kept hf-cleanup-c (%s, CREATE_COMPLETE, run test-c'
                    % run_c) in output
            assert ('run test-c is alive on this machine (pid %d)'
                    % registration.pid) in output
            assert _exists(heat, run_c)

            status, output = _cleanup(clouds_file, '--run', 'test-c')
            assert status == 2, output
            assert ('run test-c is alive on this machine (pid %d): its '
                    'stacks are not touched' % registration.pid) in output
            assert _exists(heat, run_c)

        status, output = _cleanup(clouds_file, '--run', 'test-c')
        assert status == 0, output
        assert 'deleted hf-cleanup-c (%s' % run_c in output
        assert not _exists(heat, run_c)
    finally:
        if _exists(heat, run_c):
            heat.stacks.delete(run_c)
