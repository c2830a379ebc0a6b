"""Unit tests of heat_functional.deployment.processes and its reaper.

Covers ``log_tail``, ``describe_failure``, ``start`` (own process group,
log appended), ``stop`` (SIGTERM first, SIGKILL after the grace for a
child that ignores SIGTERM, grandchildren in the group too) and the
reaper process (cleans up on EOF without ``done``, leaves things alone
after ``done``).
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from heat_functional import config
from heat_functional.deployment import processes

#: The directory holding the heat_functional package, for the reaper.
MAIN_DIR = os.path.dirname(config.PACKAGE_DIR)
STUBBORN = 'trap "" TERM; %s'


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def started(tmp_path):
    """start(script) runs sh -c script; every child is stopped at the end."""
    children = []

    def start(script):
        child = processes.start('sh', ['sh', '-c', script],
                                str(tmp_path / 'child.log'))
        children.append(child)
        return child
    yield start
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def logged_pid(log_file):
    """The pid a child wrote as the first line of its log."""
    assert wait_until(lambda: open(log_file).read().endswith('\n'))
    return int(open(log_file).readline())


# -- logs --------------------------------------------------------------------

def test_log_tail_gives_the_last_lines(tmp_path):
    log = tmp_path / 'x.log'
    log.write_text(''.join('line %d\n' % n for n in range(1, 51)))
    assert processes.log_tail(str(log), 3) == 'line 48\nline 49\nline 50\n'
    assert processes.log_tail(str(log)).splitlines() == [
        'line %d' % n for n in range(21, 51)]


def test_log_tail_of_a_missing_file(tmp_path):
    assert processes.log_tail(str(tmp_path / 'missing.log')) == ''


def test_log_tail_replaces_undecodable_bytes(tmp_path):
    log = tmp_path / 'x.log'
    log.write_bytes(b'ok\n\xff\xfe bad\n')
    assert processes.log_tail(str(log)) == 'ok\n\ufffd\ufffd bad\n'


def test_describe_failure(tmp_path):
    log = tmp_path / 'heat.log'
    log.write_text('starting\nERROR: no database\n')
    assert processes.describe_failure('heat-engine', 'exited with 1',
                                      str(log)) == (
        'heat-engine exited with 1.\n'
        'Log file: %s\n'
        'Last lines of its log:\n'
        'starting\nERROR: no database' % log)


def test_describe_failure_without_log(tmp_path):
    message = processes.describe_failure('postgres', 'died',
                                         str(tmp_path / 'none.log'))
    assert message.endswith('Last lines of its log:\n(empty)')


# -- start and stop ----------------------------------------------------------

def test_start_in_own_group_appending_to_the_log(tmp_path, started):
    log = tmp_path / 'child.log'
    log.write_text('before\n')
    child = started('echo hello; echo oops >&2')
    assert child.wait(10) == 0
    assert log.read_text() == 'before\nhello\noops\n'


def test_child_leads_its_own_group(started):
    child = started('sleep 60')
    assert os.getpgid(child.pid) == child.pid != os.getpgrp()
    assert processes.group_alive(child.pid) is True


def test_stop_ends_a_child_with_sigterm_first(started):
    child = started('exec sleep 60')
    begun = time.monotonic()
    processes.stop(child, grace=5)
    assert time.monotonic() - begun < 3
    assert child.returncode == -signal.SIGTERM
    assert processes.alive(child.pid) is False


def test_stop_kills_a_child_ignoring_sigterm(tmp_path, started):
    child = started(STUBBORN % 'echo $$; sleep 60')
    assert logged_pid(str(tmp_path / 'child.log')) == child.pid
    processes.stop(child, grace=0.5)
    assert child.returncode == -signal.SIGKILL
    assert processes.alive(child.pid) is False
    assert processes.group_alive(child.pid) is False


def test_stop_ends_grandchildren_in_the_group(tmp_path, started):
    child = started(STUBBORN % 'sleep 60 & echo $!; wait')
    grandchild = logged_pid(str(tmp_path / 'child.log'))
    assert processes.alive(grandchild) is True
    processes.stop(child, grace=0.5)
    assert processes.alive(child.pid) is False
    assert wait_until(lambda: not processes.alive(grandchild), 5)
    assert processes.group_alive(child.pid) is False


def test_alive_of_a_finished_child(started):
    child = started('exit 3')
    assert wait_until(lambda: not processes.alive(child.pid))
    assert child.wait(5) == 3
    assert processes.alive(child.pid) is False
    assert processes.alive(os.getpid()) is True


def test_stop_of_nothing():
    assert processes.stop(None) is None


# -- the reaper --------------------------------------------------------------

@pytest.fixture
def reaper(tmp_path):
    """A started reaper, a sleeping group and a directory for it to own."""
    env = dict(os.environ, PYTHONPATH=MAIN_DIR)
    process = subprocess.Popen(
        [sys.executable, '-m', 'heat_functional.deployment.programs.reaper'],
        stdin=subprocess.PIPE, env=env, start_new_session=True, text=True)
    sleeper = processes.start('sleep', ['sleep', '60'],
                              str(tmp_path / 'sleep.log'))
    owned = tmp_path / 'owned'
    (owned / 'sub').mkdir(parents=True)
    (owned / 'sub' / 'file').write_text('x')
    yield process, sleeper, owned
    for child in (process, sleeper):
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    shutil.rmtree(str(owned), ignore_errors=True)


def tell(process, *lines):
    process.stdin.write(''.join(line + '\n' for line in lines))
    process.stdin.close()


def test_reaper_cleans_up_on_eof_without_done(reaper):
    process, sleeper, owned = reaper
    tell(process, 'group %d' % sleeper.pid, 'dir %s' % owned)
    assert process.wait(10) == 0
    assert sleeper.wait(5) == -signal.SIGTERM
    assert processes.group_alive(sleeper.pid) is False
    assert not owned.exists()


def test_reaper_stops_stubborn_groups_in_one_grace_period(reaper, tmp_path):
    process, _, _ = reaper
    stubborn = [processes.start('sh', ['sh', '-c', STUBBORN % 'sleep 60'],
                                str(tmp_path / ('s%d.log' % n)))
                for n in range(3)]
    try:
        started = time.monotonic()
        tell(process, *['group %d' % child.pid for child in stubborn])
        assert process.wait(3 * config.STOP_GRACE) == 0
        # One grace period for all three, not one each.
        assert time.monotonic() - started < 2 * config.STOP_GRACE
        assert not any(processes.group_alive(c.pid) for c in stubborn)
    finally:
        for child in stubborn:
            processes.stop(child, grace=0.1)


def test_reaper_leaves_things_alone_after_done(reaper):
    process, sleeper, owned = reaper
    tell(process, 'group %d' % sleeper.pid, 'dir %s' % owned, 'done')
    assert process.wait(10) == 0
    assert sleeper.poll() is None
    assert processes.group_alive(sleeper.pid) is True
    assert (owned / 'sub' / 'file').read_text() == 'x'


# -- thread reports -------------------------------------------------------
REPORTER = ('trap "echo threads > %s/cell_gurumeditation_1" USR2; '
            'echo ready; while true; do sleep 0.05; done')


def test_thread_report_asks_the_process_and_returns_the_new_file(
        tmp_path, started):
    reports = tmp_path / 'logs'
    reports.mkdir()
    (reports / 'cell_gurumeditation_0').write_text('an earlier one')
    child = started(REPORTER % reports)
    log = tmp_path / "child.log"
    assert wait_until(lambda: "ready" in log.read_text())
    found = processes.thread_report(child.pid, str(reports),
                                    'cell_gurumeditation_', 10)
    assert found == str(reports / 'cell_gurumeditation_1')
    assert open(found).read() == 'threads\n'


def test_thread_report_of_a_process_that_writes_none(tmp_path, started):
    child = started('trap "" USR2; while true; do sleep 0.05; done')
    assert processes.thread_report(child.pid, str(tmp_path), 'cell_', 0.3) \
        is None


def test_thread_report_of_a_process_gone(tmp_path, started):
    child = started('exit 0')
    child.wait()
    assert processes.thread_report(child.pid, str(tmp_path), 'cell_', 1) \
        is None


#: A cell's log as oslo.log writes it: a request that names the stack,
#: an engine thread of that request dying (its lines name the request
#: only), another stack's error, and an error naming the stack itself.
STACK_ID = '2cd9b417-f480-44ea-9f1f-358318a17056'
OURS = 'req-296ceb4c-d429-4268-b3c4-f1b5922e2528'
THEIRS = 'req-5cd5bf99-b02f-4195-9d9c-4129c174a7cf'
CELL_LOG = '\n'.join([
    '2026-12-04 21:42:03.052 21542 INFO heat.common.wsgi [None %s u p - - '
    'default default] Processing request: POST /v1/p/stacks/hf-x/%s/'
    'snapshots' % (OURS, STACK_ID),
    '2026-12-04 21:42:09.368 21542 ERROR heat.engine.worker [None %s u p - '
    '- default default] Unhandled exception in check_resource: '
    'SystemError: AST constructor recursion depth mismatch' % OURS,
    '2026-12-04 21:42:09.368 21542 ERROR heat.engine.worker Traceback '
    '(most recent call last):',
    '2026-12-04 21:42:09.368 21542 ERROR heat.engine.worker   File '
    '"heat/engine/worker.py", line 50, in exception_wrapper',
    '2026-12-04 21:42:09.368 21542 ERROR heat.engine.worker     return '
    'func(*args, **kwargs)',
    '2026-12-04 21:42:09.368 21542 ERROR heat.engine.worker            '
    '^^^^^^^^^^^^^^^^^^^^^',
    '2026-12-04 21:42:09.900 21542 ERROR heat.engine.worker [None %s u p - '
    '- default default] Unhandled exception: another stack\'s' % THEIRS,
    '2026-12-04 21:42:10.100 21542 ERROR heat.engine.stack [None None u p '
    '- - default default] Stack %s: something else' % STACK_ID,
    '2026-12-04 21:42:11.000 21542 INFO heat.engine.stack [None %s u p - - '
    'default default] an ordinary line' % OURS,
]) + '\n'


def test_log_errors_of_a_stack_follow_its_requests(tmp_path):
    log = tmp_path / 'convergence.log'
    log.write_text(CELL_LOG)
    lines = CELL_LOG.splitlines()
    # The dying thread's first line (not its traceback) and the line
    # naming the stack; not another request's error, not an INFO line.
    assert processes.log_errors(str(log), STACK_ID) == [lines[1], lines[7]]
    assert processes.log_errors(str(log), STACK_ID, limit=1) == [lines[7]]
    assert processes.log_errors(str(tmp_path / 'none.log'), STACK_ID) == []
