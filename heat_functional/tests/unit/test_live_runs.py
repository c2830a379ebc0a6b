"""Unit tests of heat_functional.live_runs, the registry of live runs.

A registration is a file in a directory private to the user, naming the
run, the pid and the process's start time; it counts while that process
lives and is gone when the registration closes. A file whose process
is dead, a zombie, or whose pid now belongs to another process (another
start time) is stale: it does not count and is removed. A registry
directory other users could write is refused, with the way out.
"""

import json
import os
import subprocess
import sys

import pytest

from heat_functional import config
from heat_functional import live_runs


@pytest.fixture
def registry(tmp_path, monkeypatch):
    path = tmp_path / 'runs'
    monkeypatch.setenv(config.LIVE_RUNS_ENV, str(path))
    return path


def files(path):
    return sorted(os.listdir(str(path)))


def sleeper():
    return subprocess.Popen([sys.executable, '-c',
                             'import time; time.sleep(60)'])


def test_a_registered_run_is_live_until_closed(registry):
    with live_runs.register('run-1') as registration:
        assert live_runs.live() == {'run-1': [os.getpid()]}
        assert files(registry) == ['run-1.%d.json' % os.getpid()]
        entry = json.loads((registry / files(registry)[0]).read_text())
        assert entry == {'run_id': 'run-1', 'pid': os.getpid(),
                         'start_time': live_runs.start_time(os.getpid())}
    assert registration.run_id == 'run-1'
    assert files(registry) == []
    assert live_runs.live() == {}
    registration.close()  # twice is harmless


def test_the_registry_is_private(registry):
    live_runs.register('run-1').close()
    assert registry.stat().st_mode & 0o777 == 0o700
    assert registry.stat().st_uid == os.getuid()


def test_two_processes_of_one_run_and_two_runs(registry):
    process = sleeper()
    try:
        with live_runs.register('run-1'), \
                live_runs.register('run-1', pid=process.pid), \
                live_runs.register('run-2', pid=process.pid):
            assert live_runs.live() == {
                'run-1': sorted([os.getpid(), process.pid]),
                'run-2': [process.pid]}
    finally:
        process.kill()
        process.wait()


def test_the_registration_of_a_dead_process_is_stale(registry):
    process = sleeper()
    live_runs.register('run-1', pid=process.pid)  # never closed
    assert live_runs.live() == {'run-1': [process.pid]}
    process.kill()
    process.wait()
    assert live_runs.live() == {}
    assert files(registry) == []


def test_a_zombie_does_not_keep_its_run_alive(registry):
    process = sleeper()
    live_runs.register('run-1', pid=process.pid)
    process.kill()
    try:
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        assert live_runs.live() == {}
    finally:
        process.wait()


def test_a_reused_pid_does_not_keep_a_run_alive(registry):
    # The file names this process's pid, but a process that started at
    # another time: the pid was reused since.
    registration = live_runs.register('run-1')
    entry = json.loads(open(registration.path).read())
    entry['start_time'] = str(int(entry['start_time']) - 1)
    with open(registration.path, 'w') as f:
        json.dump(entry, f)
    assert live_runs.live() == {}
    assert files(registry) == []


def test_files_that_are_not_registrations_are_left_alone(registry):
    live_runs.register('run-1').close()
    (registry / 'notes.txt').write_text('x')
    (registry / 'broken.json').write_text('{not json')
    (registry / 'partial.json').write_text('{"pid": 1}')
    (registry / '.half-written.json').write_text('{}')
    assert live_runs.live() == {}
    assert files(registry) == ['.half-written.json', 'broken.json',
                               'notes.txt', 'partial.json']


def test_without_a_registry_no_run_is_live(registry):
    assert live_runs.live() == {}
    assert not registry.exists()


def open_directory(path):
    path.mkdir()
    path.chmod(0o755)


@pytest.mark.parametrize('make, problem', [
    (open_directory, 'is open to other users (mode 755)'),
    (lambda path: path.write_text(''), 'is not a directory'),
    (lambda path: path.symlink_to(path.parent), 'is not a directory'),
])
def test_a_registry_others_could_write_is_refused(registry, make, problem):
    make(registry)
    message = 'the registry of live runs %s %s; remove it, or set $%s' % (
        registry, problem, config.LIVE_RUNS_ENV)
    with pytest.raises(live_runs.LiveRunsError) as err:
        live_runs.live()
    assert message in str(err.value)
    with pytest.raises(live_runs.LiveRunsError) as err:
        live_runs.register('run-1')
    assert message in str(err.value)


def test_a_dead_process_or_a_bad_run_id_cannot_register(registry):
    process = sleeper()
    process.kill()
    process.wait()
    with pytest.raises(live_runs.LiveRunsError,
                       match='process %d is not alive' % process.pid):
        live_runs.register('run-1', pid=process.pid)
    with pytest.raises(ValueError, match="run id 'a/b'"):
        live_runs.register('a/b')
    assert not registry.exists() or files(registry) == []


def test_the_default_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(config.LIVE_RUNS_ENV, raising=False)
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path))
    assert live_runs.directory() == str(tmp_path / config.LIVE_RUNS_DIR)
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path / 'missing'))
    monkeypatch.setattr(live_runs.tempfile, 'gettempdir',
                        lambda: '/scratch')
    assert live_runs.directory() == '/scratch/%s-%d' % (
        config.LIVE_RUNS_DIR, os.getuid())
    monkeypatch.delenv('XDG_RUNTIME_DIR')
    assert live_runs.directory() == '/scratch/%s-%d' % (
        config.LIVE_RUNS_DIR, os.getuid())


def test_start_time_of_a_live_and_of_a_missing_process():
    assert live_runs.start_time(os.getpid()).isdigit()
    assert live_runs.start_time(2 ** 22 + 1) is None
