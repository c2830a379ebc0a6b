"""One ``tempest run``, shared by its workers: case records and the wait.

stestr runs the plugin's test classes in several worker processes at
once, and the parity verdict (``tests/test_verdict.py``) needs the cases
of all of them. So every case writes its record, exactly as the pytest
plugin does (``records.py``), into a directory of its run,
``<report_dir>/runs/<run id>/cases/``, and a case in progress leaves a
marker in ``running/`` holding its worker's pid. The verdict waits on
that directory (``wait_for``), then builds the report from it and
publishes the cases beside the report (``publish``).

The run id is ``$HEAT_FUNCTIONAL_RUN_ID`` when set (a job may set it, and
several ``tempest run`` sharing one id share one directory: the phases
of a one-cloud job, doc/source/tempest-plugin.rst); else it names the
process that started the workers (``tempest run``, or stestr: it starts each
worker through ``/bin/sh -c``) with that process's start time, so that
the workers of one run, and no other run, share one directory. Either
way the id is put in the worker's environment, where the stacks' run tag
(``hf-run-<id>``) is taken from: every worker of the run tags alike.
"""

import contextlib
import os
import re
import shutil
import time

from heat_functional import config
from heat_functional import records
from heat_functional.deployment import processes

RUNS_DIR = 'runs'
RUNNING_DIR = 'running'
RUN_PREFIX = 'tempest-'
#: Interpreters stestr may start a worker through (``sh -c CMD``).
SHELLS = ('sh', 'dash', 'bash')
#: How often the verdict looks at the run's directory.
POLL = 1.0


def _proc(pid, name):
    with open('/proc/%d/%s' % (pid, name), 'rb') as f:
        return f.read()


def _stat(pid):
    """(parent pid, start time in clock ticks) of a process."""
    text = _proc(pid, 'stat').decode()
    fields = text[text.rindex(')') + 2:].split()
    return int(fields[1]), fields[19]


def _runs_a_command(pid):
    """Whether pid is a shell running one command (``sh -c CMD``)."""
    argv = _proc(pid, 'cmdline').split(b'\0')
    return os.path.basename(argv[0].decode()) in SHELLS and b'-c' in argv


def runner():
    """(pid, start time) of the process that started this worker, shells
    skipped; (parent pid, None) where /proc cannot tell."""
    pid = os.getppid()
    try:
        while pid > 1 and _runs_a_command(pid):
            pid = _stat(pid)[0]
        return pid, _stat(pid)[1]
    except (OSError, ValueError, IndexError):
        return os.getppid(), None


def run_id():
    """This run's id: $HEAT_FUNCTIONAL_RUN_ID, or else its runner's, which
    then goes into $HEAT_FUNCTIONAL_RUN_ID (config.run_id reads it)."""
    given = os.environ.get(config.RUN_ID_ENV)
    if given:
        return config.check_run_id(given)
    pid, started = runner()
    os.environ[config.RUN_ID_ENV] = '%s%d-%s' % (RUN_PREFIX, pid,
                                                 started or 'unknown')
    return os.environ[config.RUN_ID_ENV]


def run_dir(report_dir, run=None):
    return os.path.join(os.path.abspath(report_dir), RUNS_DIR,
                        run or run_id())


@contextlib.contextmanager
def running(directory, case_id):
    """Mark a case as running in this worker while the block runs."""
    markers = os.path.join(directory, RUNNING_DIR)
    os.makedirs(markers, exist_ok=True)
    marker = os.path.join(markers, records.file_name(case_id))
    with open(marker, 'w') as f:
        f.write(str(os.getpid()))
    try:
        yield
    finally:
        os.remove(marker)


def _listing(directory, name):
    try:
        return set(os.listdir(os.path.join(directory, name)))
    except FileNotFoundError:
        return set()


def busy(directory):
    """The cases running now in a live worker."""
    found = []
    for name in sorted(_listing(directory, RUNNING_DIR)):
        try:
            with open(os.path.join(directory, RUNNING_DIR, name)) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            continue  # just ended, or being written
        if pid and processes.alive(pid):
            found.append(name)
    return found


def wait_for(directory, expected, timeout, idle, clock=time.monotonic,
             sleep=time.sleep):
    """Wait until every expected case id has a record in the run's
    directory. Stop early once no case runs in a live worker and none
    started or ended for `idle` seconds (the rest is not in this run),
    and after `timeout` seconds at most. Returns the ids still missing.
    """
    wanted = {records.file_name(case_id): case_id for case_id in expected}
    started = last_change = clock()
    seen = None
    while True:
        written = _listing(directory, config.CASES_DIR)
        missing = sorted(wanted[n] for n in set(wanted) - written)
        if not missing:
            return []
        now = (written, frozenset(_listing(directory, RUNNING_DIR)))
        if now != seen:
            seen, last_change = now, clock()
        if clock() - started >= timeout:
            return missing
        if not busy(directory) and clock() - last_change >= idle:
            return missing
        sleep(POLL)


def publish(directory, report_dir):
    """Move the run's cases to ``<report_dir>/cases`` (replacing those of
    an earlier run) and remove the run's directory."""
    target = os.path.join(os.path.abspath(report_dir), config.CASES_DIR)
    if os.path.isdir(target):
        shutil.rmtree(target)
    source = os.path.join(directory, config.CASES_DIR)
    if os.path.isdir(source):
        os.replace(source, target)
    shutil.rmtree(directory, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(directory))  # runs/, once empty
    except OSError:
        pass
    return target


def remove_stale(report_dir, keep):
    """Remove the directories of earlier runs whose runner is gone (runs
    that ended without a verdict); never `keep`, nor a run named by
    $HEAT_FUNCTIONAL_RUN_ID (its runner is unknown)."""
    runs = os.path.join(os.path.abspath(report_dir), RUNS_DIR)
    for name in sorted(_listing(os.path.dirname(runs), RUNS_DIR)):
        match = re.match(r'^%s(\d+)-(\d+)$' % RUN_PREFIX, name)
        if name == keep or not match:
            continue
        pid, started = int(match.group(1)), match.group(2)
        try:
            alive = _stat(pid)[1] == started
        except (OSError, ValueError, IndexError):
            alive = False
        if not alive:
            shutil.rmtree(os.path.join(runs, name), ignore_errors=True)
