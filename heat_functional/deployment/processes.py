"""Child processes the harness owns: start, watch, stop, read their logs.

Every child runs in a process group of its own, so that stopping it stops
everything it started (PostgreSQL backends, for instance), and so that a
Ctrl-C in the terminal reaches only the harness, which then stops its
children in order. Stopping is SIGTERM to the group, then SIGKILL after
a grace period.
"""

import collections
import json
import os
import re
import signal
import subprocess
import time

from heat_functional import config


class ProcessError(RuntimeError):
    """A child process failed; the message names it and shows its log."""


def log_tail(log_file, lines=config.LOG_TAIL_LINES):
    """The last lines of a log file, as one string ('' if there is none)."""
    try:
        with open(log_file, errors='replace') as f:
            return ''.join(collections.deque(f, maxlen=lines))
    except OSError:
        return ''


_REQUEST_ID = re.compile(r'req-[0-9a-f]{8}-[0-9a-f-]{27}')
#: The lines of a logged traceback after its first (oslo.log prefixes
#: each with the level): its frames and the code they quote.
_TRACEBACK_LINE = re.compile(r' ERROR \S+ (Traceback |  |\^)')


def log_errors(log_file, stack_id, limit=config.LOG_ERROR_LINES):
    """The ERROR lines of a log that concern a stack: those naming its
    id, and those of a request whose other lines name it (an engine
    thread that dies logs its request's id, not always the stack's).
    A traceback gives its first line only, which names the exception.
    The last `limit`, as a list of lines ([] if there is no log)."""
    try:
        with open(log_file, errors='replace') as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    requests = set()
    for line in lines:
        if stack_id in line:
            requests.update(_REQUEST_ID.findall(line))
    found = [line for line in lines
             if ' ERROR ' in line and not _TRACEBACK_LINE.search(line)
             and (stack_id in line or
                  requests.intersection(_REQUEST_ID.findall(line)))]
    return found[-limit:]


def describe_failure(name, what, log_file):
    """A message naming the process, what went wrong and its log tail."""
    tail = log_tail(log_file).rstrip()
    return ('%s %s.\nLog file: %s\nLast lines of its log:\n%s'
            % (name, what, log_file, tail or '(empty)'))


def start(name, argv, log_file, env=None, user=None, pass_fds=()):
    """Start argv in a new process group, output appended to log_file;
    the file descriptors of pass_fds stay open in it."""
    with open(log_file, 'ab') as log:
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, user=user,
            start_new_session=True, pass_fds=pass_fds)


def alive(pid):
    """Whether pid runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            state = f.read().rpartition(')')[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ('Z', 'X')


def thread_report(pid, directory, prefix, timeout):
    """Send SIGUSR2 to a process that writes a report of its threads into
    `directory`, in a file whose name begins with `prefix` (oslo.reports'
    Guru Meditation report); the new file's path once it is written, or
    None if none came within `timeout` seconds."""
    def reports():
        try:
            return {name for name in os.listdir(directory)
                    if name.startswith(prefix)}
        except OSError:
            return set()
    before = reports()
    try:
        os.kill(pid, signal.SIGUSR2)
    except OSError:
        return None
    deadline = time.monotonic() + timeout
    path, size = None, -1
    while time.monotonic() < deadline:
        new = sorted(reports() - before)
        if new:
            path = os.path.join(directory, new[-1])
            now = os.path.getsize(path)
            if now and now == size:  # written, and no longer growing
                return path
            size = now
        time.sleep(config.POLL_INTERVAL)
    return path


def naming(text):
    """(pid, command line) of live processes, other than this one, whose
    command line holds `text` (a deployment's work directory, say)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as f:
                cmdline = f.read().decode(errors='replace')
        except OSError:
            continue
        if text in cmdline and alive(int(entry)):
            found.append((int(entry), cmdline.replace('\0', ' ')[:160]))
    return found


def leftovers(pids, workdir):
    """What of a stopped deployment is still there: its recorded process
    (group leader)s alive, processes naming its work directory, the
    directory itself; one message each."""
    problems = ['process %d of the deployment is alive' % pid
                for pid in pids if alive(pid)]
    problems += ['process %d is alive: %s' % found
                 for found in naming(workdir)]
    if os.path.exists(workdir):
        problems.append('its work directory %s is left' % workdir)
    return problems


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg succeeds while zombies of the group remain; look for a live one.
    return any(alive(pid) for pid in _group_members(pgid))


def _group_members(pgid):
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                fields = f.read().rpartition(')')[2].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid:
            yield int(entry)


def stop_group(pgid, grace=config.STOP_GRACE, first_signal=signal.SIGTERM):
    """Signal a process group, wait up to grace seconds, then SIGKILL it."""
    try:
        os.killpg(pgid, first_signal)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def stop(process, grace=config.STOP_GRACE, first_signal=signal.SIGTERM):
    """Stop a Popen started by start(): its whole group, then reap it."""
    if process is None:
        return
    stop_group(process.pid, grace, first_signal)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass


def write_state(path, state):
    """Write a process's state file as JSON, atomically (a reader never
    sees half of it)."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(state, f)
    os.rename(tmp, path)


def write_private(directory, name, text):
    """Write a file only this user may read (configuration that holds
    passwords); return its path."""
    path = os.path.join(directory, name)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                           0o600), 'w') as f:
        f.write(text)
    return path
