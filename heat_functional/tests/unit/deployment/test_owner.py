"""Unit tests of heat_functional.deployment.owner: the base both owners
(embedded cells, the devstack-like cloud) stand on."""

import json
import os
import subprocess
import sys
import threading

import pytest

from heat_functional.deployment import base
from heat_functional.deployment import owner


class Parts(owner.Owner):
    """An owner whose parts die when the test says so."""

    def __init__(self, report_dir, on_death):
        super(Parts, self).__init__(report_dir, on_death)
        self.dead = []

    def dead_parts(self):
        return list(self.dead)


def test_the_work_directory_is_private_and_removed(tmp_path):
    made = Parts(str(tmp_path / 'report'), None)
    workdir = made.open_workdir()
    try:
        assert os.path.isdir(made.logs_dir) and os.path.isdir(workdir)
        path = made.private_file('secret.conf', 'password = x')
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert made.reaper.process.poll() is None
    finally:
        made.close_workdir()
    assert not os.path.exists(workdir)
    assert made.reaper is None
    assert os.path.isdir(made.logs_dir)  # the logs are kept


def test_a_child_can_import_the_package():
    env = owner.Owner.child_env()
    done = subprocess.run([sys.executable, '-c',
                           'import heat_functional.deployment.owner'],
                          env=env, cwd='/', capture_output=True)
    assert done.returncode == 0, done.stderr


def test_the_state_file_of_a_ready_child(tmp_path):
    state_file = str(tmp_path / 'state.json')
    child = subprocess.Popen([sys.executable, '-c', (
        'import json; json.dump({"port": 1}, open(%r, "w"))' % state_file)])
    assert owner.Owner.wait_state_file('cell x', child, state_file,
                                       str(tmp_path / 'log')) == {'port': 1}
    child.wait()


def test_a_child_that_exits_or_hangs_is_named(tmp_path):
    log_file = tmp_path / 'x.log'
    log_file.write_text('it went wrong\n')
    child = subprocess.Popen([sys.executable, '-c', 'raise SystemExit(3)'])
    child.wait()
    with pytest.raises(base.DeploymentError,
                       match="cell x exited with 3 while starting"):
        owner.Owner.wait_state_file('cell x', child, str(tmp_path / 'no'),
                                    str(log_file))
    sleeper = subprocess.Popen([sys.executable, '-c',
                                'import time; time.sleep(30)'])
    try:
        with pytest.raises(base.DeploymentError,
                           match='cell y was not ready within 0 s'):
            owner.Owner.wait_state_file('cell y', sleeper,
                                        str(tmp_path / 'no'), str(log_file),
                                        timeout=0)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_description_is_written_whole(tmp_path):
    made = Parts(str(tmp_path), None)
    made.description = {'paths': {'legacy': {}}}
    path = str(tmp_path / 'deployment.json')
    made.save_description(path)
    with open(path) as f:
        assert json.load(f) == made.description
    assert not os.path.exists(path + '.tmp')


def test_the_watchdog_says_once_what_died(tmp_path):
    told = []
    said = threading.Event()
    made = Parts(str(tmp_path), lambda message: (told.append(message),
                                                 said.set()))
    made.dead = ['cell a died', 'cell b died']
    made.start_watchdog()
    assert said.wait(10)
    made._watchdog.join(10)
    assert told == ['cell a died\n\ncell b died']


def test_the_watchdog_is_quiet_while_closing(tmp_path):
    told = []
    made = Parts(str(tmp_path), told.append)
    made.dead = ['cell a died']
    made._closing.set()
    assert made.dead_now() == []
    made.start_watchdog()
    made._watchdog.join(10)
    assert told == []
