"""Live progress of a run, shown by the pytest controller.

pytest's own progress (a dot per case, a percentage) says little about a
parity run. ``Progress`` replaces it with one line: cases done out of the
total, parity pairs compared so far (a pair is compared once both paths of
a (template, step) have finished; with ``--repeat N``, once all N runs of
both paths have), failures so far, and the time elapsed::

    heat-functional: 37/400 cases, 12 pairs compared, 1 failed, 1m05s

On a terminal the line is rewritten in place (a carriage return) every
second and at every case. Elsewhere (a CI log) it is printed as plain
lines, never with a carriage return: one every EVERY_S seconds and every
tenth of the cases, and a last one when the run ends.

It works with pytest-xdist: the controller's ``pytest_runtest_logreport``
receives every worker's reports, and ``pytest_xdist_node_collection_
finished`` the number of cases. While it runs, pytest's per-case letters
are left out (``pytest_report_teststatus``), so that nothing else writes
on its line; failures are still summarised by pytest at the end. With
``-v`` pytest prints a line per case, which is progress enough, and
``Progress`` stays out of the way (``wanted``).
"""

import re
import shutil
import sys
import threading
import time

import pytest

#: Seconds between two plain lines (not on a terminal), and between two
#: refreshes of the line on a terminal.
EVERY_S = 10.0
REFRESH_S = 1.0


def wanted(config):
    """Whether a run with this pytest configuration shows progress."""
    return (config.getoption('verbose', 0) <= 0 and
            not config.getoption('collectonly', False))


def elapsed_text(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    return '%dm%02ds' % (minutes, seconds) if minutes else '%ds' % seconds


class Progress(object):
    """A pytest plugin for the controller; see the module docstring."""

    def __init__(self, paths, stream=None, interactive=None,
                 clock=time.monotonic, width=None, repeat=1):
        self.paths = list(paths)
        self.repeat = repeat
        self.stream = stream or sys.stdout
        if interactive is None:
            interactive = getattr(self.stream, 'isatty', lambda: False)()
        self.interactive = interactive
        self.clock = clock
        self.width = width
        self.started = clock()
        self.total = None
        self.done = set()
        self.failed = set()
        self.finished = {}
        self.pairs = 0
        self.showing = False
        self._last_line = None
        self._last_at = self.started
        self._last_count = 0
        self._shown_width = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None

    # -- counting --------------------------------------------------------
    def pair_key(self, nodeid):
        """(the nodeid without its path, the path), or (None, None). Under
        ``--dist loadgroup`` nodeids end with ``@<xdist group>``; a
        repeated lifecycle's end with ``-r<repetition>]``, which goes with
        the path (``legacy-r2``)."""
        if ']@' in nodeid:
            nodeid = nodeid.rsplit(']@', 1)[0] + ']'
        repetition = re.search(r'-r[0-9]+\]$', nodeid) \
            if self.repeat > 1 else None
        if repetition:
            key, path = self.pair_key(nodeid[:repetition.start()] + ']')
            return key, path and path + repetition.group()[:-1]
        for path in self.paths:
            suffix = '-%s]' % path
            if nodeid.endswith(suffix):
                return nodeid[:-len(suffix)], path
        return None, None

    def count(self, report):
        if report.failed:
            self.failed.add(report.nodeid)
        if report.when in ('setup', 'call') or report.nodeid in self.done:
            return
        self.done.add(report.nodeid)
        key, path = self.pair_key(report.nodeid)
        if key is None or len(self.paths) < 2:
            return
        finished = self.finished.setdefault(key, set())
        finished.add(path)
        runs = 1 if path in self.paths else self.repeat  # path-rN
        if len(finished) == len(self.paths) * runs:
            self.pairs += 1

    def line(self):
        total = '?' if self.total is None else self.total
        parts = ['%d/%s cases' % (len(self.done), total)]
        if len(self.paths) > 1:
            parts.append('%d pairs compared' % self.pairs)
        parts.append('%d failed' % len(self.failed))
        parts.append(elapsed_text(self.clock() - self.started))
        return 'heat-functional: ' + ', '.join(parts)

    # -- output ------------------------------------------------------------
    def _columns(self):
        return self.width or shutil.get_terminal_size().columns

    def _show_in_place(self, text):
        text = text[:max(self._columns() - 1, 10)]
        padding = ' ' * max(self._shown_width - len(text), 0)
        self.stream.write('\r' + text + padding)
        self._shown_width = len(text)

    def _plain_due(self):
        step = max(1, (self.total or 0) // 10)
        return (len(self.done) - self._last_count >= step or
                self.clock() - self._last_at >= EVERY_S)

    def show(self, final=False):
        """Rewrite the line (terminal) or print one when due (plain);
        nothing before the first case starts, while pytest-xdist is
        still writing about its workers and collection."""
        with self._lock:
            if not self.showing:
                return
            text = self.line()
            if self.interactive:
                self._show_in_place(text)
                if final:
                    self.stream.write('\n')
            elif (final and text != self._last_line) or self._plain_due():
                self.stream.write(text + '\n')
                self._last_line = text
                self._last_at = self.clock()
                self._last_count = len(self.done)
            self.stream.flush()

    def _tick(self):
        interval = REFRESH_S if self.interactive else 1.0
        while not self._stop.wait(interval):
            self.show()

    def start(self):
        self.started = self._last_at = self.clock()
        self._ticker = threading.Thread(target=self._tick, daemon=True,
                                        name='heat-functional-progress')
        self._ticker.start()

    def finish(self):
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        self.show(final=True)

    # -- pytest hooks --------------------------------------------------------
    def pytest_collection_finish(self, session):
        if session.items:
            self.total = len(session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self.total = len(ids)

    def pytest_runtest_logstart(self, nodeid, location):
        self.showing = True

    def pytest_runtest_logreport(self, report):
        self.count(report)
        self.show()

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report, config):
        category, _letter, word = yield
        return category, '', word

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtestloop(self, session):
        """Ends the line before pytest writes its summaries."""
        self.start()
        try:
            return (yield)
        finally:
            self.finish()
