"""A fuzz run's deployment: start it, run the cases on it, stop it.

``run(asked, report_dir, db, auth, heat_source)`` starts ONE embedded
deployment with both paths through ``deployment.owner_for`` (as the
pytest plugin does), attaches to the description it publishes, takes
the schemas from its legacy path (``schema.from_client``), and runs the
cases (run.py) on it, each through execute.py. A Ctrl-C or SIGTERM
(``heat-functional``'s handler turns SIGTERM into KeyboardInterrupt)
or a cell that dies stops the run: no case or step starts, the owner
closes (its processes, ports and work directory go with it), the
workers' calls then fail and they end, and fuzz.json is written for
what ran. The cases' written files live in a private directory that
is removed at the end.
"""

import shutil
import tempfile
import threading

from heat_functional import config
from heat_functional import deployment as deployment_module
from heat_functional import live_runs
from heat_functional import parity
from heat_functional.fuzz import execute
from heat_functional.fuzz import generate
from heat_functional.fuzz import run as run_module
from heat_functional.fuzz import schema
from heat_functional.fuzz import signature


class Stopped(object):
    """Why the run stopped early: a dead part's message, or a signal."""

    def __init__(self):
        self.reason = None

    def on_death(self, message):
        from heat_functional.deployment import embedded
        self.reason = self.reason or message
        embedded.interrupt_main(message)


def run(asked, report_dir, db, auth, heat_source, say=print):
    """Run `asked` (run.Asked) on a deployment of its own; returns the
    summary (fuzz.json), or raises DeploymentError if it cannot start.
    """
    stopped = Stopped()
    stop = threading.Event()
    owner = deployment_module.owner_for(
        'embedded', report_dir, list(config.PATH_NAMES), [], db=db,
        auth=auth, heat_source=heat_source, on_death=stopped.on_death)
    registration = live_runs.register(config.run_id())
    work_dir = tempfile.mkdtemp(prefix='heat-functional-fuzz-')
    runner = None
    try:
        say('heat-functional fuzz: starting the deployment (%s, %s)'
            % (db, auth))
        owner.start()
        handle = deployment_module.attach(
            deployment_module.load_description(owner.publish()))
        runner = _runner(asked, handle, report_dir, work_dir, stop)
        say('heat-functional fuzz: seed %s, %s, %d worker(s)'
            % (asked.seed, _what(asked), asked.workers))
        runner.run()
    except KeyboardInterrupt:
        if runner is None:
            raise
        runner.interrupted = runner.interrupted or stopped.reason or (
            'stopped by a signal (Ctrl-C or SIGTERM)')
    finally:
        stop.set()
        owner.close()
        if runner is not None:
            runner.stop_now(runner.interrupted)
        shutil.rmtree(work_dir, ignore_errors=True)
        registration.close()
    return runner.write()


def _runner(asked, handle, report_dir, work_dir, stop):
    paths = list(config.PATH_NAMES)
    schemas = schema.from_client(handle.client(paths[0]))
    keystone = not handle.lacks('keystone')
    allowances = parity.load_allowances(config.ALLOWANCES_FILE)
    executor = execute.Executor(handle, work_dir, paths, allowances, stop)
    return run_module.Runner(
        asked, lambda number: generate.case(schemas, asked.seed, number,
                                            keystone=keystone),
        executor.run, allowances, signature.load_divergences(),
        report_dir, schemas=schemas, stop=stop)


def _what(asked):
    if asked.case is not None:
        return 'case %d' % asked.case
    if asked.count is not None:
        return '%d case(s)' % asked.count
    return '%g minute(s)' % asked.minutes
