"""The reaper: cleans up after a harness process that died without doing so.

A deployment's owner starts one reaper, ``python -m
heat_functional.deployment.programs.reaper``, in a session of its own, and
keeps the write end of its stdin. It tells the reaper about each thing it
creates, one line each:

    group <pgid>    a process group to stop
    dir <path>      a directory to remove

and writes ``done`` after its own orderly teardown. If the reaper reads
end-of-file without ``done`` (the owner was killed, even with SIGKILL,
and the kernel closed the pipe), it stops every group (SIGTERM, then
SIGKILL) and removes every directory, newest first. This is what keeps
"nothing outlives the harness" true when the harness cannot run its own
cleanup code.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading

from heat_functional import config
from heat_functional.deployment import processes


class Link(object):
    """The owner's side: starts a reaper, tells it what to clean up, and
    says ``done`` after the owner's own teardown."""

    def __init__(self, env=None):
        self.process = subprocess.Popen(
            [sys.executable, '-m',
             'heat_functional.deployment.programs.reaper'],
            stdin=subprocess.PIPE, start_new_session=True,
            env=env or dict(os.environ), text=True, bufsize=1)

    def tell(self, line):
        try:
            self.process.stdin.write(line + '\n')
            self.process.stdin.flush()
        except (OSError, ValueError):
            pass

    def group(self, process):
        """Watch the process group of a child started by processes.start."""
        self.tell('group %d' % process.pid)

    def directory(self, path):
        self.tell('dir %s' % path)

    def done(self):
        self.tell('done')
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=config.STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()


def reap(groups, dirs):
    """Stop every group at once, so that all share one grace period
    (one group after the other, each child that ignores SIGTERM, as
    heat-engine does, cost a whole grace period), then remove the
    directories."""
    stoppers = [threading.Thread(target=processes.stop_group, args=(pgid,))
                for pgid in reversed(groups)]
    for stopper in stoppers:
        stopper.start()
    for stopper in stoppers:
        stopper.join()
    for path in reversed(dirs):
        shutil.rmtree(path, ignore_errors=True)


def main():
    # The owner's terminal may send Ctrl-C to everyone; only EOF counts here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups, dirs = [], []
    for line in sys.stdin:
        verb, _, arg = line.strip().partition(' ')
        if verb == 'done':
            return
        if verb == 'group':
            groups.append(int(arg))
        elif verb == 'dir':
            dirs.append(arg)
    reap(groups, dirs)


if __name__ == '__main__':
    main()
