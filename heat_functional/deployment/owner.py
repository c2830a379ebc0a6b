"""The owner base: what every deployment the harness starts has in common.

An owner (``embedded.EmbeddedCells``, ``cloud.CloudDeployment``) starts
processes on loopback, watches them while the deployment is up and
stops them at the end. This base holds what does not depend on what is
started:

- the report directory and its logs (kept), and a private work
  directory (removed), which a reaper (``reaper.py``) removes, with the
  process groups it is told of, should the owner die first
  (``open_workdir``, ``close_workdir``);
- the environment of the owner's Python children (``child_env``) and
  files only this user may read (``private_file``);
- the wait for a child's state file, written once it is ready
  (``wait_state_file``);
- the description, written atomically, as readers poll it
  (``save_description``), and ``publish``: the description a client
  attaches to, naming the clouds.yaml to reach it (``deploy`` prints it,
  the tempest plugin's check reads it);
- the watchdog: ``dead_parts`` (each owner's own) is polled until
  ``close``, and ``on_death`` is called with its messages once.
"""

import json
import os
import shutil
import tempfile
import threading
import time

from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import processes
from heat_functional.deployment.programs import reaper


class Owner(object):
    """The base of a deployment owner; use as a context manager, or call
    start() and close()."""

    #: The prefix of the private work directory's name.
    WORKDIR_PREFIX = 'heat-functional-'
    #: The watchdog thread's name.
    WATCHDOG_NAME = 'watchdog'

    def __init__(self, report_dir, on_death=None):
        self.report_dir = os.path.abspath(report_dir)
        self.logs_dir = os.path.join(self.report_dir, config.LOGS_DIR)
        self.on_death = on_death
        self.workdir = None
        self.reaper = None
        self.description = None
        self._closing = threading.Event()
        self._watchdog = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def start(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def publish(self):
        """Once started: write the description a client attaches to,
        naming a clouds.yaml; returns that description's file."""
        raise NotImplementedError

    # -- the work directory and the reaper ---------------------------------
    def open_workdir(self):
        """Make the logs directory and a private work directory, and a
        reaper told to remove the latter; returns its path."""
        os.makedirs(self.logs_dir, exist_ok=True)
        self.workdir = tempfile.mkdtemp(prefix=self.WORKDIR_PREFIX)
        self.reaper = reaper.Link(env=self.child_env())
        self.reaper.directory(self.workdir)
        return self.workdir

    def close_workdir(self):
        """Remove the work directory; tell the reaper all is done."""
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.reaper:
            self.reaper.done()
            self.reaper = None

    @staticmethod
    def child_env():
        """This environment, with the package importable by a child."""
        env = dict(os.environ)
        package_root = os.path.dirname(config.PACKAGE_DIR)
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in [package_root, env.get('PYTHONPATH')] if p)
        return env

    def private_file(self, name, text, directory=None):
        """Write a file only this user may read; returns its path."""
        return processes.write_private(directory or self.workdir, name,
                                       text)

    # -- children ------------------------------------------------------------
    @staticmethod
    def wait_state_file(name, process, state_file, log_file,
                        timeout=config.CELL_READY_TIMEOUT):
        """The JSON a child writes to its state file once it is ready;
        DeploymentError naming it, with its log's tail, if it exits or
        is not ready within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(state_file):
            what = None
            if process.poll() is not None:
                what = 'exited with %s while starting' % process.returncode
            elif time.monotonic() > deadline:
                what = 'was not ready within %d s' % timeout
            if what:
                raise base.DeploymentError(processes.describe_failure(
                    name, what, log_file))
            time.sleep(config.POLL_INTERVAL / 2)
        with open(state_file) as f:
            return json.load(f)

    # -- the description -----------------------------------------------------
    def save_description(self, path, description=None):
        """Write the description (or `description`) to `path` at once
        (readers poll it)."""
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.description if description is None
                      else description, f, indent=2)
        os.rename(tmp, path)

    # -- the watchdog --------------------------------------------------------
    def dead_parts(self):
        """Messages naming each process of the deployment that is gone."""
        raise NotImplementedError

    def dead_now(self):
        """dead_parts, unless the owner is closing."""
        return [] if self._closing.is_set() else self.dead_parts()

    def start_watchdog(self):
        self._watchdog = threading.Thread(
            target=self._watch, daemon=True, name=self.WATCHDOG_NAME)
        self._watchdog.start()

    def _watch(self):
        while not self._closing.wait(0.5):
            dead = self.dead_now()
            if dead:
                if self.on_death and not self._closing.is_set():
                    self.on_death('\n\n'.join(dead))
                return
