"""Unit tests of heat_functional.progress.

Feeds fake test reports (as pytest-xdist hands them to the controller) to
``Progress`` with a fake clock and checks what it writes: on a terminal
one line rewritten with carriage returns, elsewhere plain lines only when
due, never a carriage return; and the counts of cases, pairs and failures.
"""

import io
import time
import types

import pytest

from heat_functional import progress

PATHS = ['legacy', 'convergence']


class Clock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def report(step, path, when='teardown', outcome='passed',
           template='group'):
    """A report as the controller gets it; --dist loadgroup appends the
    xdist group to nodeids."""
    nodeid = ('heat_functional/scenarios/test_lifecycle.py::'
              'test_lifecycle[%s-%s-%s]@%s.%s' % (template, step, path,
                                                  template, path))
    return types.SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome,
                                 failed=outcome == 'failed')


def case(tracker, step, path, outcome='passed', template='group'):
    """The three reports of one case, as the controller receives them."""
    for when in ('setup', 'call', 'teardown'):
        tracker.pytest_runtest_logreport(report(
            step, path, when, outcome if when == 'call' else 'passed',
            template))


def make(interactive, total=None, paths=PATHS):
    stream, clock = io.StringIO(), Clock()
    tracker = progress.Progress(paths, stream, interactive, clock, width=200)
    tracker.pytest_runtest_logstart('first', None)
    if total is not None:
        tracker.pytest_xdist_node_collection_finished(None, ['x'] * total)
    return tracker, stream, clock


def test_counts_cases_pairs_and_failures():
    tracker, _, clock = make(False, total=6)
    case(tracker, 'create', 'legacy')
    case(tracker, 'create', 'convergence', outcome='failed')
    case(tracker, 'grow', 'legacy')
    clock.now += 65
    assert tracker.line() == ('heat-functional: 3/6 cases, 1 pairs '
                              'compared, 1 failed, 1m05s')


def test_steps_with_dashes_and_templates_pair_apart():
    tracker, _, _ = make(False)
    case(tracker, 'update-self', 'legacy', template='a-b')
    case(tracker, 'update-self', 'convergence', template='a')
    assert tracker.pairs == 0
    case(tracker, 'update-self', 'convergence', template='a-b')
    assert tracker.pairs == 1


def test_nodeids_without_an_xdist_group():
    tracker, _, _ = make(False)
    assert tracker.pair_key('t.py::test_x[a@b-create-legacy]') == (
        't.py::test_x[a@b-create', 'legacy')
    assert tracker.pair_key('t.py::test_x[a@b-legacy]@a@b.legacy') == (
        't.py::test_x[a@b', 'legacy')
    assert tracker.pair_key('t.py::test_other') == (None, None)


def test_an_error_in_teardown_counts_once():
    tracker, _, _ = make(False)
    tracker.pytest_runtest_logreport(report('create', 'legacy', 'call',
                                            'failed'))
    tracker.pytest_runtest_logreport(report('create', 'legacy', 'teardown',
                                            'failed'))
    assert (len(tracker.done), len(tracker.failed)) == (1, 1)


def test_single_path_says_nothing_of_pairs():
    tracker, _, _ = make(False, total=1, paths=['legacy'])
    case(tracker, 'create', 'legacy')
    assert tracker.line() == 'heat-functional: 1/1 cases, 0 failed, 0s'


def test_total_unknown_until_collected():
    tracker, _, _ = make(False)
    assert tracker.line().startswith('heat-functional: 0/? cases')
    tracker.pytest_collection_finish(types.SimpleNamespace(items=[1, 2]))
    assert tracker.line().startswith('heat-functional: 0/2 cases')


def test_terminal_rewrites_one_line():
    tracker, stream, clock = make(True, total=4)
    case(tracker, 'create', 'legacy')
    clock.now += 2
    case(tracker, 'create', 'convergence', outcome='failed')
    tracker.finish()
    out = stream.getvalue()
    assert out.count('\n') == 1 and out.endswith('\n')
    shown = out.rstrip('\n').split('\r')[1:]
    assert len(shown) == 7  # one per report, and the last
    assert shown[-1] == ('heat-functional: 2/4 cases, 1 pairs compared, '
                         '1 failed, 2s')


def test_terminal_pads_a_shorter_line():
    tracker, stream, clock = make(True, total=1)
    clock.now += 600
    tracker.show()
    long_line = tracker.line()
    clock.now = 100.0 + 5
    tracker.show()
    last = stream.getvalue().split('\r')[-1]
    assert len(last) == len(long_line)
    assert last.rstrip() == tracker.line()


def test_terminal_line_fits_the_width():
    tracker, stream, _ = make(True, total=1)
    tracker.width = 20
    tracker.show()
    assert stream.getvalue() == '\r' + 'heat-functional: 0/'


def test_plain_lines_every_tenth_and_at_the_end():
    tracker, stream, clock = make(False, total=20)
    for number in range(5):
        case(tracker, 'step%d' % number, 'legacy')
        case(tracker, 'step%d' % number, 'convergence')
    case(tracker, 'step5', 'legacy')
    tracker.finish()
    out = stream.getvalue()
    assert '\r' not in out
    assert out.splitlines() == [
        'heat-functional: %d/20 cases, %d pairs compared, 0 failed, 0s'
        % (n, n // 2) for n in (2, 4, 6, 8, 10, 11)]


def test_plain_lines_every_ten_seconds():
    tracker, stream, clock = make(False, total=400)
    case(tracker, 'create', 'legacy')
    assert stream.getvalue() == ''
    clock.now += progress.EVERY_S
    tracker.show()
    tracker.show()
    assert stream.getvalue() == (
        'heat-functional: 1/400 cases, 0 pairs compared, 0 failed, 10s\n')


def test_nothing_before_the_first_case_starts():
    stream, clock = io.StringIO(), Clock()
    tracker = progress.Progress(PATHS, stream, True, clock)
    clock.now += 30
    tracker.show()
    assert stream.getvalue() == ''
    tracker.pytest_runtest_logstart('first', None)
    tracker.show()
    assert stream.getvalue().startswith('\rheat-functional: 0/? cases')


def test_plain_final_line_not_repeated():
    tracker, stream, clock = make(False, total=1)
    case(tracker, 'create', 'legacy')
    tracker.finish()
    assert stream.getvalue().count('\n') == 1


def test_not_a_terminal_by_default():
    tracker = progress.Progress(PATHS, io.StringIO())
    assert tracker.interactive is False


def test_ticker_refreshes_and_stops(monkeypatch):
    monkeypatch.setattr(progress, 'REFRESH_S', 0.01)
    tracker, stream, clock = make(True, total=1)
    tracker.start()
    try:
        for _ in range(200):
            if stream.getvalue().count('\r') >= 2:
                break
            clock.now += 0.001
            time.sleep(0.01)
    finally:
        tracker.finish()
    assert stream.getvalue().count('\r') >= 2
    assert tracker._ticker is None


@pytest.mark.parametrize('verbose, collectonly, expected', [
    (0, False, True), (-1, False, True), (1, False, False),
    (0, True, False)])
def test_wanted(verbose, collectonly, expected):
    options = {'verbose': verbose, 'collectonly': collectonly}
    config = types.SimpleNamespace(
        getoption=lambda name, default=None: options.get(name, default))
    assert progress.wanted(config) is expected


def test_pytest_letters_are_left_out():
    tracker, _, _ = make(False)
    hook = tracker.pytest_report_teststatus(report('x', 'legacy'), None)
    next(hook)
    with pytest.raises(StopIteration) as stop:
        hook.send(('passed', '.', 'PASSED'))
    assert stop.value.value == ('passed', '', 'PASSED')
