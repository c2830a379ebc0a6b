"""The runs alive on this machine: a registry ``cleanup`` reads.

``heat-functional cleanup`` deletes what runs left behind; it must never
delete the stacks of a run that is still going. The cloud cannot say
whether the run that tagged a stack is alive, so the process owning a
run (the ``heat-functional run`` or ``gate`` command; the pytest
controller when pytest is started directly) registers it here for as
long as it lives::

    with live_runs.register(run_id):
        ...  # the run

Registering writes one file per process and run, ``<run id>.<pid>.json``,
holding the run id, the pid and the process's start time (from
``/proc/<pid>/stat``), into a directory private to the user (``0700``,
owned by the user; ``config.LIVE_RUNS_ENV`` names another): by default
``config.LIVE_RUNS_DIR`` in ``$XDG_RUNTIME_DIR``, or else
``config.LIVE_RUNS_DIR-<uid>`` in the system's temporary directory. The
file goes when the registration is closed. A file left behind by a
process that was killed is stale: its pid is dead, or belongs to another
process since (another start time). A stale file does not count, and
``live`` removes it.

Runs of other users or on other machines are not seen here; for those,
the clean-up's ``--older-than`` window (``config.CLEANUP_OLDER_THAN``)
is the guard.
"""

import json
import os
import stat
import tempfile

from heat_functional import config
from heat_functional.deployment import processes

SUFFIX = '.json'


class LiveRunsError(RuntimeError):
    """The registry cannot be used; the message says where and why."""


def directory():
    """The registry's directory (it may not exist yet)."""
    given = os.environ.get(config.LIVE_RUNS_ENV)
    if given:
        return os.path.abspath(given)
    runtime = os.environ.get('XDG_RUNTIME_DIR')
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, config.LIVE_RUNS_DIR)
    return os.path.join(tempfile.gettempdir(), '%s-%d' % (
        config.LIVE_RUNS_DIR, os.getuid()))


def _checked(path):
    """path, once known to be a directory only this user can write;
    LiveRunsError saying what is wrong otherwise."""
    info = os.lstat(path)
    problem = None
    if not stat.S_ISDIR(info.st_mode):
        problem = 'is not a directory'
    elif info.st_uid != os.getuid():
        problem = 'belongs to uid %d, not to this user (%d)' % (
            info.st_uid, os.getuid())
    elif info.st_mode & 0o077:
        problem = 'is open to other users (mode %o)' % (info.st_mode & 0o777)
    if problem:
        raise LiveRunsError(
            'the registry of live runs %s %s; remove it, or set $%s to a '
            'directory of your own' % (path, problem, config.LIVE_RUNS_ENV))
    return path


def _private_directory():
    """The registry's directory, made if missing, checked."""
    path = directory()
    try:
        if not os.path.lexists(path):
            os.makedirs(path, mode=0o700)
    except FileExistsError:  # made by another run meanwhile
        pass
    except OSError as error:
        raise LiveRunsError('cannot make the registry of live runs %s: %s'
                            % (path, error))
    return _checked(path)


def start_time(pid):
    """A live process's start time (clock ticks after boot, as text), or
    None when pid is not a live process."""
    if not processes.alive(pid):
        return None
    try:
        with open('/proc/%d/stat' % pid) as f:
            text = f.read()
        return text[text.rindex(')') + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        return None


class Registration(object):
    """One process's registration of a run; close() (or the end of a
    ``with`` block) removes it."""

    def __init__(self, path, run_id, pid):
        self.path = path
        self.run_id = run_id
        self.pid = pid

    def close(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def register(run_id, pid=None):
    """Register run `run_id` as alive while process `pid` (this one by
    default) lives. Raises LiveRunsError when the registry cannot be
    written, ValueError for a malformed run id."""
    config.check_run_id(run_id)
    pid = os.getpid() if pid is None else pid
    started = start_time(pid)
    if started is None:
        raise LiveRunsError('cannot register run %s: process %d is not '
                            'alive' % (run_id, pid))
    path = os.path.join(_private_directory(),
                        '%s.%d%s' % (run_id, pid, SUFFIX))
    entry = {'run_id': run_id, 'pid': pid, 'start_time': started}
    try:
        handle, partial = tempfile.mkstemp(dir=os.path.dirname(path),
                                           prefix='.', suffix=SUFFIX)
        with os.fdopen(handle, 'w') as f:
            json.dump(entry, f)
        os.replace(partial, path)
    except OSError as error:
        raise LiveRunsError('cannot register run %s in %s: %s'
                            % (run_id, os.path.dirname(path), error))
    return Registration(path, run_id, pid)


def _entries(path):
    """(file, entry) of every registration file in the directory; files
    that are not registrations are left alone."""
    for filename in sorted(os.listdir(path)):
        if filename.startswith('.') or not filename.endswith(SUFFIX):
            continue
        name = os.path.join(path, filename)
        try:
            with open(name) as f:
                entry = json.load(f)
            entry['pid'] = int(entry['pid'])
            entry['run_id'], entry['start_time'] = (
                str(entry['run_id']), str(entry['start_time']))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        yield name, entry


def live():
    """{run id: [pid, ...]} (pids in numeric order) of the runs
    registered by live processes.
    Stale registrations (the process is gone, or its pid belongs to a
    process started since) do not count and are removed. Raises
    LiveRunsError when the registry is not private to this user."""
    path = directory()
    if not os.path.lexists(path):
        return {}
    found = {}
    for name, entry in _entries(_checked(path)):
        if start_time(entry['pid']) == entry['start_time']:
            found.setdefault(entry['run_id'], []).append(entry['pid'])
            continue
        try:
            os.remove(name)
        except OSError:
            pass
    return {run_id: sorted(pids) for run_id, pids in found.items()}
