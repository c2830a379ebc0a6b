"""client.py: how Heat's answers read in a failed case, and polling.

Also ``action_progress`` on a stack's own events, and the StackDriver's
actions (create, update, delete) and ``wait`` through a fake deployment
whose ``stack_timeline`` answers a script, or through the API's events
where the deployment has no timeline.
"""

import datetime
import itertools
import json
import time

import pytest
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc

from heat_functional import client
from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment.parts import notices


def heat_error(cls, message, kind='StackValidationFailed'):
    body = {'explanation': 'The server could not comply.',
            'error': {'message': message, 'type': kind, 'traceback': None}}
    return cls(message=json.dumps(body))


def test_heat_message_quotes_heat_with_code_and_type():
    error = heat_error(heat_exc.HTTPBadRequest,
                       'The Resource Type (OS::No::Thing) could not be found.')
    assert client.heat_message(error) == (
        'Heat answered 400 (StackValidationFailed): The Resource Type '
        '(OS::No::Thing) could not be found.')


def test_heat_message_of_a_non_json_answer():
    error = heat_exc.HTTPInternalServerError(message='proxy error')
    assert client.heat_message(error) == 'Heat answered 500: proxy error'


def test_heat_message_of_a_connection_failure():
    error = ks_exc.ConnectFailure('refused')
    assert client.heat_message(error) == 'ConnectFailure: refused'


class FakeDeployment(object):
    def __init__(self):
        self.checked = []

    def client(self, path):
        return None

    def check_alive(self, path):
        self.checked.append(path)


def test_call_names_the_step_template_and_path():
    driver = client.StackDriver(FakeDeployment(), 'legacy', 'group')

    def create(**fields):
        raise heat_error(heat_exc.HTTPBadRequest, 'bad template')
    with pytest.raises(client.HeatError) as raised:
        driver.call('create', create)
    assert str(raised.value) == ('create of group on legacy: Heat answered '
                                 '400 (StackValidationFailed): bad template')


def test_call_checks_the_cell_on_connection_failure():
    deployment = FakeDeployment()
    driver = client.StackDriver(deployment, 'convergence', 'group')

    def show():
        raise ks_exc.ConnectFailure('refused')
    with pytest.raises(client.HeatError, match='ConnectFailure'):
        driver.call('show', show)
    assert deployment.checked == ['convergence']


def test_poll_intervals_back_off_to_the_ceiling():
    intervals = client.poll_intervals()
    first = [next(intervals) for _ in range(12)]
    assert first[0] == config.STACK_POLL_FIRST
    assert all(b >= a for a, b in zip(first, first[1:]))
    assert first[-1] == config.STACK_POLL_MAX


# -- action_progress ---------------------------------------------------------

def events(*names):
    """[(action, status)] from 'ACTION_STATUS' names."""
    return [tuple(name.split('_', 1)) for name in names]


@pytest.mark.parametrize('names, action, expected', [
    ((), 'CREATE', 'waiting'),
    (('CREATE_IN_PROGRESS',), 'CREATE', 'running'),
    (('CREATE_IN_PROGRESS', 'CREATE_COMPLETE'), 'CREATE', 'done'),
    (('CREATE_IN_PROGRESS', 'CREATE_FAILED'), 'CREATE', 'failed'),
    (('DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE'),
     'DELETE', 'done'),
    # another action's events do not start this one
    (('DELETE_IN_PROGRESS',), 'UPDATE', 'waiting'),
    (('CHECK_IN_PROGRESS', 'CHECK_COMPLETE'), 'UPDATE', 'waiting'),
    # a previous action's end before this one's start does not count
    (('CREATE_COMPLETE',), 'UPDATE', 'waiting'),
    (('UPDATE_COMPLETE',), 'UPDATE', 'waiting'),
    (('UPDATE_FAILED',), 'UPDATE', 'waiting'),
    (('UPDATE_COMPLETE', 'UPDATE_IN_PROGRESS'), 'UPDATE', 'running'),
    (('CREATE_FAILED', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'), 'UPDATE',
     'done'),
    # a rollback after a failure: its last event tells
    (('UPDATE_IN_PROGRESS', 'UPDATE_FAILED', 'ROLLBACK_IN_PROGRESS'),
     'UPDATE', 'running'),
    (('UPDATE_IN_PROGRESS', 'UPDATE_FAILED', 'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_COMPLETE'), 'UPDATE', 'done'),
    (('UPDATE_IN_PROGRESS', 'UPDATE_FAILED', 'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_FAILED'), 'UPDATE', 'failed'),
    (('CREATE_IN_PROGRESS', 'CREATE_FAILED', 'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_COMPLETE'), 'CREATE', 'done'),
])
def test_action_progress(names, action, expected):
    assert client.action_progress(events(*names), action) == expected


LIFE = events('CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
              'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE',
              'UPDATE_IN_PROGRESS', 'UPDATE_FAILED')


@pytest.mark.parametrize('since, action, expected', [
    (0, 'CREATE', 'failed'),  # the last event after its start decides
    (2, 'CREATE', 'waiting'),
    (2, 'UPDATE', 'failed'),  # the last update's end decides
    (3, 'UPDATE', 'failed'),
    (4, 'UPDATE', 'failed'),
    (5, 'UPDATE', 'waiting'),
    (6, 'UPDATE', 'waiting'),
])
def test_action_progress_of_events_since_a_request(since, action, expected):
    assert client.action_progress(LIFE[since:], action) == expected


def test_action_progress_reads_an_iterator_once():
    assert client.action_progress(iter(LIFE[2:4]), 'UPDATE') == 'done'


# -- a scripted deployment ---------------------------------------------------

STACK = 'stack-id'


def at(second):
    return (datetime.datetime(2024, 5, 1, 10, 0, 0) +
            datetime.timedelta(seconds=second))


def timeline(*names):
    """The root's own events as the deployment tells them."""
    return [(action, status, at(n))
            for n, (action, status) in enumerate(events(*names))]


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def shown(action, status, reason='the reason'):
    return Fake(action=action, status=status, stack_status_reason=reason)


class ScriptedHeat(object):
    """A heatclient whose stacks.get shows the stack as the latest
    timeline the deployment gave says, and 404 once it is DELETE_COMPLETE.
    """

    def __init__(self, deployment):
        self.deployment = deployment
        self.gets = []     # the timeline's length at each stacks.get
        self.answers = []  # stacks shown first, before the timeline's
        self.updates = []
        self.deleted = []
        self.delete_error = None
        self.stacks = Fake(get=self._get, update=self._update,
                           delete=self._delete, create=self._create)
        #: What events.list answers, each call: a list, or an exception.
        self.event_lists = []
        self.event_queries = []
        self.events = Fake(list=self._events)

    def _get(self, stack_id, resolve_outputs=True):
        assert (stack_id, resolve_outputs) == (STACK, False)
        self.gets.append(len(self.deployment.current or []))
        if self.answers:
            return self.answers.pop(0)
        if not self.deployment.current:
            return shown('INIT', 'COMPLETE')
        action, status, _ = self.deployment.current[-1]
        if (action, status) == ('DELETE', 'COMPLETE'):
            raise heat_exc.HTTPNotFound()
        return shown(action, status)

    def _update(self, stack_id, **fields):
        self.updates.append((stack_id, fields))

    def _delete(self, stack_id):
        if self.delete_error:
            raise self.delete_error
        self.deleted.append(stack_id)

    def _create(self, **fields):
        self.created = fields
        return {'stack': {'id': STACK, 'links': []}}

    def _events(self, stack_id, **query):
        self.event_queries.append((stack_id, query))
        answer = self.event_lists.pop(0) if self.event_lists else []
        if isinstance(answer, Exception):
            raise answer
        return answer


class ScriptedDeployment(object):
    """stack_timeline answers the script, one entry a call, then its last
    entry again. Each entry should be repeated (see script()): the driver
    may read the timeline more than once a poll."""

    kind = 'embedded'
    #: Waits read the timeline through the deployments' default watch.
    timeline_watch = base.Deployment.timeline_watch

    def __init__(self, script, log=None):
        self.script = script
        self.reads = 0
        self.current = None
        self.checked = []
        self.heat = ScriptedHeat(self)
        self.log = log  # the cell's log file, if it has one
        self.threads = None  # its thread report's file, if it writes one

    def log_file(self, path):
        assert path == 'legacy'
        return self.log

    def client(self, path):
        assert path == 'legacy'
        return self.heat

    def check_alive(self, path):
        self.checked.append(path)

    def thread_report(self, path):
        assert path == 'legacy'
        return self.threads

    def timeline_mark(self, path):
        assert path == 'legacy'
        return 'before the create'

    def stack_made(self, path, stack_id, mark):
        self.made = (path, stack_id, mark)

    def stack_timeline(self, path, stack_id):
        assert (path, stack_id) == ('legacy', STACK)
        self.current = self.script[min(self.reads, len(self.script) - 1)]
        self.reads += 1
        return self.current


def script(*timelines):
    """Each timeline three times, so every poll of the driver sees it."""
    return [t for t in timelines for _ in range(3)]


class Clock(object):
    """time.monotonic and time.sleep, without waiting."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(config, 'STATE_PROBE_INTERVAL', 0)
    monkeypatch.setattr(config, 'ROLLBACK_GRACE', 0.05)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(client, 'time', fake)
    monkeypatch.setattr(notices, 'time', fake)
    return fake


def driver_of(deployment):
    return client.StackDriver(deployment, 'legacy', 'group')


CREATED = ('CREATE_IN_PROGRESS', 'CREATE_COMPLETE')
UPDATED = CREATED + ('UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE')


def test_wait_for_a_create(fast):
    deployment = ScriptedDeployment(script(
        timeline(), timeline(CREATED[0]), timeline(*CREATED)))
    stack = driver_of(deployment).wait(STACK, 'CREATE', 'create')
    assert (stack.action, stack.status) == ('CREATE', 'COMPLETE')
    assert deployment.heat.gets == [2]


def test_wait_for_an_update_is_not_fooled_by_the_previous_one(fast):
    previous = timeline(*UPDATED)
    deployment = ScriptedDeployment(script(
        previous, previous, previous,
        timeline(*UPDATED + ('UPDATE_IN_PROGRESS',)),
        timeline(*UPDATED + ('UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'))))
    stack = driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=4)
    assert (stack.action, stack.status) == ('UPDATE', 'COMPLETE')
    # The stack was shown once, after the new update's end only.
    assert deployment.heat.gets == [6]


def test_wait_returns_a_failed_update_without_rollback(fast):
    failed = timeline(*CREATED + ('UPDATE_IN_PROGRESS', 'UPDATE_FAILED'))
    deployment = ScriptedDeployment(script(
        failed, timeline(*CREATED + (
            'UPDATE_IN_PROGRESS', 'UPDATE_FAILED', 'ROLLBACK_IN_PROGRESS'))))
    stack = driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=2)
    assert (stack.action, stack.status) == ('UPDATE', 'FAILED')
    assert deployment.heat.gets == [4]


def test_wait_with_rollback_returns_the_rollback(fast, monkeypatch):
    monkeypatch.setattr(config, 'ROLLBACK_GRACE', 30)
    failing = CREATED + ('UPDATE_IN_PROGRESS', 'UPDATE_FAILED')
    deployment = ScriptedDeployment(script(
        timeline(*CREATED),
        timeline(*failing[:3]),
        timeline(*failing), timeline(*failing),
        timeline(*failing + ('ROLLBACK_IN_PROGRESS',)),
        timeline(*failing + ('ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE'))))
    started = time.monotonic()
    stack = driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=2,
                                       rollback=True)
    assert time.monotonic() - started < 5
    assert (stack.action, stack.status) == ('ROLLBACK', 'COMPLETE')
    assert deployment.heat.gets == [6]


def test_wait_with_rollback_takes_a_failure_as_final_after_the_grace(fast):
    failed = timeline(*CREATED + ('UPDATE_IN_PROGRESS', 'UPDATE_FAILED'))
    deployment = ScriptedDeployment([failed])
    started = time.monotonic()
    stack = driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=2,
                                       rollback=True)
    assert time.monotonic() - started >= config.ROLLBACK_GRACE
    assert (stack.action, stack.status) == ('UPDATE', 'FAILED')
    assert deployment.heat.gets == [4]


def test_wait_with_rollback_of_a_failed_create(clock, monkeypatch):
    monkeypatch.setattr(config, 'ROLLBACK_GRACE', 2)
    failing = ('CREATE_IN_PROGRESS', 'CREATE_FAILED')
    deployment = ScriptedDeployment(script(
        timeline(*failing),
        timeline(*failing + ('ROLLBACK_IN_PROGRESS',)),
        timeline(*failing + ('ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE'))))
    stack = driver_of(deployment).wait(STACK, 'CREATE', 'create',
                                       rollback=True)
    assert (stack.action, stack.status) == ('ROLLBACK', 'COMPLETE')
    assert clock.now - 1000 < 2


def test_wait_returns_a_failed_rollback_without_the_grace(clock,
                                                          monkeypatch):
    monkeypatch.setattr(config, 'ROLLBACK_GRACE', 10)
    deployment = ScriptedDeployment([timeline(*CREATED + (
        'UPDATE_IN_PROGRESS', 'UPDATE_FAILED', 'ROLLBACK_IN_PROGRESS',
        'ROLLBACK_FAILED'))])
    stack = driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=2,
                                       rollback=True, timeout=60)
    assert (stack.action, stack.status) == ('ROLLBACK', 'FAILED')
    assert clock.now - 1000 < 1


def test_wait_keeps_polling_while_the_api_shows_in_progress(clock):
    deployment = ScriptedDeployment([timeline(*CREATED)])
    deployment.heat.answers = [shown('CREATE', 'IN_PROGRESS'),
                               shown('CREATE', 'IN_PROGRESS')]
    stack = driver_of(deployment).wait(STACK, 'CREATE', 'create')
    assert (stack.action, stack.status) == ('CREATE', 'COMPLETE')
    assert len(deployment.heat.gets) == 3
    assert clock.sleeps == list(itertools.islice(client.poll_intervals(), 2))


def test_wait_polls_a_timeline_backing_off_to_a_ceiling(clock):
    """Short actions are seen at once; a long one costs at most one read
    per STACK_POLL_MAX."""
    deployment = ScriptedDeployment(script(*(
        [timeline()] * 12 + [timeline(CREATED[0]), timeline(*CREATED)])))
    driver_of(deployment).wait(STACK, 'CREATE', 'create')
    assert clock.sleeps[0] == config.STACK_POLL_FIRST
    assert clock.sleeps == sorted(clock.sleeps)
    assert clock.sleeps[-1] == config.STACK_POLL_MAX


def test_wait_timeout_names_the_step_action_and_last_event(clock):
    deployment = ScriptedDeployment([timeline(
        *UPDATED + ('UPDATE_IN_PROGRESS',))])
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=4,
                                   timeout=30)
    assert str(raised.value).splitlines()[0] == (
        "grow of group on legacy: not finished after 30 s (waited for "
        "UPDATE to finish; the stack's last event: UPDATE_IN_PROGRESS)")
    assert 30 <= clock.now - 1000 <= 30 + config.STACK_POLL_MAX
    assert deployment.heat.gets == []


def test_wait_timeout_of_an_update_that_never_started(fast):
    deployment = ScriptedDeployment([timeline(*UPDATED)])
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).wait(STACK, 'UPDATE', 'shrink', since=4,
                                   timeout=0.05)
    assert str(raised.value).splitlines()[0] == (
        "shrink of group on legacy: not finished after 0.05 s (waited for "
        "UPDATE to finish; the stack's last event: UPDATE_COMPLETE)")
    assert deployment.heat.gets == []


def test_wait_timeout_without_any_event(clock):
    deployment = ScriptedDeployment([timeline()])
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).wait(STACK, 'CREATE', 'create', timeout=5)
    assert str(raised.value).splitlines()[0] == (
        "create of group on legacy: not finished after 5 s (waited for "
        "CREATE to finish; the stack's last event: none)")


# -- the evidence of a hang ---------------------------------------------------

def heat_event(second, name, status, reason='', stack='hf-group-x'):
    return Fake(event_time='2024-05-01T10:00:%02d' % second,
                resource_name=name, resource_status=status,
                resource_status_reason=reason,
                links=[{'rel': 'self', 'href': 'http://h/events/e'},
                       {'rel': 'stack', 'href': 'http://h/v1/p/stacks/'
                        '%s/%s' % (stack, STACK if stack == 'hf-group-x'
                                   else 'nested-id')}])


def test_wait_timeout_shows_the_last_events_and_the_log_tail(clock,
                                                             tmp_path):
    log = tmp_path / 'legacy.log'
    log.write_text(''.join('line %d\n' % n for n in range(100)))
    deployment = ScriptedDeployment([timeline(
        *UPDATED + ('UPDATE_IN_PROGRESS',))], log=str(log))
    newest_first = [
        heat_event(9, 'inner', 'UPDATE_IN_PROGRESS', 'state changed',
                   stack='hf-group-x-group-abc'),
        heat_event(9, 'hf-group-x-group-abc', 'UPDATE_IN_PROGRESS',
                   'Stack UPDATE started', stack='hf-group-x-group-abc'),
        heat_event(8, 'group', 'UPDATE_IN_PROGRESS', 'state changed'),
        heat_event(7, 'hf-group-x', 'UPDATE_IN_PROGRESS',
                   'Stack UPDATE started')]
    deployment.heat.event_lists = [newest_first]
    deployment.threads = str(tmp_path / 'threads')
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=4,
                                   timeout=30)
    lines = str(raised.value).splitlines()
    assert lines[1:6] == [
        "The stack's last events (oldest first, nested stacks included):",
        '  2024-05-01T10:00:07  hf-group-x  UPDATE_IN_PROGRESS  Stack '
        'UPDATE started',
        '  2024-05-01T10:00:08  group  UPDATE_IN_PROGRESS  state changed',
        '  2024-05-01T10:00:09  hf-group-x-group-abc  UPDATE_IN_PROGRESS  '
        'Stack UPDATE started',
        '  2024-05-01T10:00:09  hf-group-x-group-abc/inner  '
        'UPDATE_IN_PROGRESS  state changed']
    assert lines[6] == 'The last lines of the log of legacy (%s):' % log
    assert lines[7:-1] == ['  line %d' % n
                           for n in range(100 - config.LOG_TAIL_LINES, 100)]
    assert lines[-1] == ('What every thread of the Heat of legacy was '
                         'doing: %s' % deployment.threads)
    assert deployment.heat.event_queries == [(STACK, {
        'nested_depth': config.MAX_NESTED_DEPTH, 'sort_dir': 'desc',
        'limit': config.HANG_EVENTS})]


class Unreportable(object):
    kind = 'external'

    def __init__(self, error=None):
        self.error = error

    def thread_report(self, path):
        if self.error:
            raise self.error
        return None


def test_threads_line_says_why_there_is_no_report():
    assert client.threads_line(Unreportable(), 'legacy') == (
        'No report of the threads of the Heat of legacy (the external '
        'deployment cannot write one).')
    assert client.threads_line(Unreportable(OSError('gone')), 'legacy') == (
        'No report of the threads of the Heat of legacy (OSError: gone).')


def test_hang_evidence_of_a_stack_without_resources_lists_its_own():
    deployment = ScriptedDeployment([timeline()])
    deployment.heat.event_lists = [
        [], [heat_event(1, 'hf-group-x', 'CREATE_IN_PROGRESS')]]
    evidence = driver_of(deployment).hang_evidence(STACK).splitlines()
    assert evidence[1] == '  2024-05-01T10:00:01  hf-group-x  ' \
        'CREATE_IN_PROGRESS'
    assert deployment.heat.event_queries[1] == (STACK, {
        'sort_dir': 'desc', 'limit': config.HANG_EVENTS})


def test_hang_evidence_never_raises_when_heat_does_not_answer():
    deployment = ScriptedDeployment([timeline()])
    deployment.heat.event_lists = [ks_exc.ConnectTimeout('no answer')]
    evidence = driver_of(deployment).hang_evidence(STACK).splitlines()
    assert evidence[1] == ('  (could not be listed: ConnectTimeout: '
                           'no answer)')


def test_hang_message_says_what_it_cannot_show():
    message = client.hang_message('legacy', 'external', [], None, None)
    assert message.splitlines() == [
        "The stack's last events (oldest first, nested stacks included):",
        '  (none)',
        'No log of legacy: the external deployment has no log file the '
        'harness can read.']
    message = client.hang_message('flip-on', 'embedded', [], '/l/x.log', '')
    assert message.splitlines()[-2:] == [
        'The last lines of the log of flip-on (/l/x.log):', '  (empty)']


def test_hang_evidence_shows_the_logs_errors_about_the_stack(tmp_path):
    log = tmp_path / 'legacy.log'
    log.write_text('2024-05-01 10:00:01.000 1 ERROR heat.engine.worker '
                   '[None req-296ceb4c-d429-4268-b3c4-f1b5922e2528] '
                   'Processing stack %s: it broke\n' % STACK
                   + 'line\n' * 40)
    deployment = ScriptedDeployment([timeline()], log=str(log))
    evidence = driver_of(deployment).hang_evidence(STACK).splitlines()
    at = evidence.index('Errors about the stack in the log of legacy:')
    assert evidence[at + 1].endswith('Processing stack %s: it broke' % STACK)
    assert evidence[at + 2].startswith('The last lines of the log of legacy')


def test_wait_returns_none_when_the_stack_is_gone(fast):
    deployment = ScriptedDeployment(script(
        timeline(*CREATED + ('DELETE_IN_PROGRESS',)),
        timeline(*CREATED + ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'))))
    assert driver_of(deployment).wait(STACK, 'DELETE', 'delete',
                                      since=2) is None
    assert deployment.heat.gets == [4]


def test_wait_names_the_step_when_the_show_fails(clock):
    deployment = ScriptedDeployment([timeline(*CREATED)])

    def refuse(stack_id, resolve_outputs=True):
        raise heat_exc.HTTPInternalServerError(message='boom')
    deployment.heat.stacks.get = refuse
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).wait(STACK, 'CREATE', 'create')
    assert str(raised.value) == (
        'create of group on legacy: Heat answered 500: boom')


def test_wait_checks_the_cell_when_the_show_cannot_connect(clock):
    deployment = ScriptedDeployment([timeline(*CREATED)])

    def refuse(stack_id, resolve_outputs=True):
        raise ks_exc.ConnectFailure('refused')
    deployment.heat.stacks.get = refuse
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).wait(STACK, 'CREATE', 'create')
    assert str(raised.value) == (
        'create of group on legacy: ConnectFailure: refused')
    assert deployment.checked == ['legacy']


# -- root events from the API ------------------------------------------------

def api_event(status, physical):
    return Fake(resource_status=status, physical_resource_id=physical,
                resource_name='x', id=status + physical)


class ApiDeployment(ScriptedDeployment):
    """No timeline: the driver reads the API's events, which answer the
    script (one entry a call, then the last again); the entries hold
    resources' and nested stacks' events too."""

    def __init__(self, script):
        super(ApiDeployment, self).__init__(script)
        self.listed = []
        self.heat.events = Fake(list=self._list)
        self.timeline_reads = 0

    def stack_timeline(self, path, stack_id):
        self.timeline_reads += 1
        return None

    def _list(self, stack_id, **kwargs):
        self.listed.append((stack_id, kwargs))
        entry = self.script[min(self.reads, len(self.script) - 1)]
        self.reads += 1
        if entry is None:
            raise heat_exc.HTTPNotFound()
        self.current = [tuple(e.resource_status.split('_', 1)) + (None,)
                        for e in entry if e.physical_resource_id == STACK]
        return entry


def api_events(*names):
    """The root's own events, each after an event of a resource."""
    found = []
    for name in names:
        found += [api_event(name, 'phys-resource'), api_event(name, STACK)]
    return found


def test_root_events_from_the_api():
    deployment = ApiDeployment([
        api_events('CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                   'UPDATE_IN_PROGRESS') +
        [api_event('UPDATE_COMPLETE', 'nested-stack-id')]])
    assert driver_of(deployment).root_events(STACK) == [
        ('CREATE', 'IN_PROGRESS'), ('CREATE', 'COMPLETE'),
        ('UPDATE', 'IN_PROGRESS')]
    assert deployment.listed == [(STACK, {'sort_dir': 'asc'})]


def test_root_events_from_the_timeline_do_not_ask_the_api():
    deployment = ScriptedDeployment([timeline(*CREATED)])
    deployment.heat.events = None
    assert driver_of(deployment).root_events(STACK) == events(*CREATED)


def test_root_events_of_a_stack_the_api_no_longer_shows():
    assert driver_of(ApiDeployment([None])).root_events(STACK) is None


def test_root_events_checks_the_cell_when_it_cannot_connect():
    deployment = ApiDeployment([[]])

    def refuse(stack_id, **kwargs):
        raise ks_exc.ConnectFailure('refused')
    deployment.heat.events = Fake(list=refuse)
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).root_events(STACK)
    assert str(raised.value) == (
        'event list of group on legacy: ConnectFailure: refused')
    assert deployment.checked == ['legacy']


def test_wait_on_api_events(clock):
    deployment = ApiDeployment([
        api_events(*CREATED),
        api_events(*CREATED), api_events(*CREATED), api_events(*CREATED),
        api_events(*CREATED + ('UPDATE_IN_PROGRESS',)),
        api_events(*UPDATED)])
    stack = driver_of(deployment).wait(STACK, 'UPDATE', 'grow', since=2)
    assert (stack.action, stack.status) == ('UPDATE', 'COMPLETE')
    assert deployment.heat.gets == [4]
    # From STACK_POLL_FIRST, backing off towards STACK_POLL_MAX.
    assert clock.sleeps == pytest.approx([0.05, 0.075, 0.1125, 0.16875,
                                          0.25])


def test_wait_on_api_events_returns_none_once_the_stack_is_gone(clock):
    deployment = ApiDeployment([
        api_events(*CREATED + ('DELETE_IN_PROGRESS',)), None])
    assert driver_of(deployment).wait(STACK, 'DELETE', 'delete',
                                      since=2) is None
    assert deployment.heat.gets == []


# -- actions -----------------------------------------------------------------

def test_create_sends_every_field_and_returns_the_id(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'r1')
    monkeypatch.setattr(client, '_NAMES', {})
    deployment = ScriptedDeployment([timeline()])
    stack_id = driver_of(deployment).create(
        'hf-group-legacy-abc', {'heat_template_version': '2018-08-31'},
        tags=['hf', 'x'], disable_rollback=False, timeout_mins=5)
    assert stack_id == STACK
    assert deployment.heat.created == {
        'stack_name': 'hf-group-legacy-abc',
        'template': {'heat_template_version': '2018-08-31'},
        'files': {}, 'parameters': {}, 'environment': {},
        'disable_rollback': False, 'tags': 'hf,hf-run-r1,x',
        'timeout_mins': 5}
    # Later requests name the stack as Heat's redirect would: no lookup.
    assert client.identifier(STACK) == 'hf-group-legacy-abc/' + STACK
    assert client.identifier('made-elsewhere') == 'made-elsewhere'
    # The timeline need not look before the create.
    assert deployment.made == ('legacy', STACK, 'before the create')


def test_update_sends_a_full_update(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'r1')
    deployment = ScriptedDeployment([timeline()])
    driver_of(deployment).update(
        STACK, {'resources': {}}, files={'f': 'x'}, parameters={'n': 3},
        environment={'parameter_defaults': {}}, disable_rollback=False,
        step='grow')
    assert deployment.heat.updates == [(STACK, {
        'template': {'resources': {}}, 'files': {'f': 'x'},
        'parameters': {'n': 3},
        'environment': {'parameter_defaults': {}},
        'disable_rollback': False, 'tags': 'hf,hf-run-r1'})]


def test_update_defaults(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'r1')
    deployment = ScriptedDeployment([timeline()])
    driver_of(deployment).update(STACK, {'resources': {}})
    assert deployment.heat.updates == [(STACK, {
        'template': {'resources': {}}, 'files': {}, 'parameters': {},
        'environment': {}, 'disable_rollback': True,
        'tags': 'hf,hf-run-r1'})]


def test_update_failure_names_the_step():
    deployment = ScriptedDeployment([timeline()])

    def refuse(stack_id, **fields):
        raise heat_error(heat_exc.HTTPBadRequest, 'no such parameter')
    deployment.heat.stacks.update = refuse
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).update(STACK, {}, step='grow')
    assert str(raised.value) == (
        'grow of group on legacy: Heat answered 400 '
        '(StackValidationFailed): no such parameter')


def test_delete_waits_for_the_delete_after_the_request(fast):
    deployment = ScriptedDeployment(
        [timeline(*UPDATED)] + script(
            timeline(*UPDATED),
            timeline(*UPDATED + ('DELETE_IN_PROGRESS',)),
            timeline(*UPDATED + ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'))))
    assert driver_of(deployment).delete(STACK) is None
    assert deployment.heat.deleted == [STACK]
    assert deployment.heat.gets == [6]


def test_delete_of_a_stack_shown_delete_complete_returns_none(fast):
    deployment = ScriptedDeployment(script(
        timeline(*CREATED),
        timeline(*CREATED + ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'))))
    deployment.heat.answers = [shown('DELETE', 'COMPLETE')]
    assert driver_of(deployment).delete(STACK) is None
    assert len(deployment.heat.gets) == 1


def test_delete_failed_returns_the_stack(fast):
    deployment = ScriptedDeployment(script(
        timeline(*CREATED),
        timeline(*CREATED + ('DELETE_IN_PROGRESS', 'DELETE_FAILED'))))
    left = driver_of(deployment).delete(STACK)
    assert (left.action, left.status, left.stack_status_reason) == (
        'DELETE', 'FAILED', 'the reason')


def test_delete_of_a_stack_already_gone():
    deployment = ScriptedDeployment([timeline(*CREATED)])
    deployment.heat.delete_error = heat_exc.HTTPNotFound()
    assert driver_of(deployment).delete(STACK) is None
    assert deployment.heat.gets == []


def test_delete_refused_names_the_delete(monkeypatch):
    # A stack that stays locked: the delete is asked again until the
    # lock timeout, then fails with Heat's words.
    monkeypatch.setattr(config, 'STATE_PROBE_INTERVAL', 0.001)
    monkeypatch.setattr(config, 'LOCK_RETRY_TIMEOUT', 0.02)
    deployment = ScriptedDeployment([timeline(*CREATED)])
    deployment.heat.delete_error = heat_error(
        heat_exc.HTTPConflict, 'in progress', 'ActionInProgress')
    with pytest.raises(client.HeatError) as raised:
        driver_of(deployment).delete(STACK)
    assert str(raised.value) == (
        'delete of group on legacy: Heat answered 409 (ActionInProgress): '
        'in progress')


# -- requests to a stack that is still locked ---------------------------------

def in_progress_error():
    return heat_error(heat_exc.HTTPConflict,
                      'Stack s already has an action (UPDATE) in progress.',
                      kind='ActionInProgress')


def test_a_locked_stack_is_asked_again(monkeypatch):
    monkeypatch.setattr(config, 'STATE_PROBE_INTERVAL', 0.001)
    driver = client.StackDriver(FakeDeployment(), 'legacy', 'group')
    answers = [in_progress_error(), in_progress_error(), 'updated']

    def update():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert driver.retry_while_locked('grow', update) == 'updated'
    assert answers == []
    assert [wait['step'] for wait in driver.lock_waits] == ['grow']


def test_a_slow_answer_is_no_lock_wait(monkeypatch):
    # Only a 409 is a lock: a request that took long was not refused.
    monkeypatch.setattr(config, 'STATE_PROBE_INTERVAL', 0.001)
    driver = client.StackDriver(FakeDeployment(), 'legacy', 'group')

    def update():
        time.sleep(0.01)
        return 'updated'
    assert driver.retry_while_locked('grow', update) == 'updated'
    assert driver.lock_waits == []


def test_a_lock_that_stays_fails_the_step_with_heats_words(monkeypatch):
    monkeypatch.setattr(config, 'STATE_PROBE_INTERVAL', 0.001)
    monkeypatch.setattr(config, 'LOCK_RETRY_TIMEOUT', 0.02)
    driver = client.StackDriver(FakeDeployment(), 'legacy', 'group')

    def update():
        raise in_progress_error()
    with pytest.raises(client.HeatError) as raised:
        driver.retry_while_locked('grow', update)
    assert str(raised.value) == (
        'grow of group on legacy: Heat answered 409 (ActionInProgress): '
        'Stack s already has an action (UPDATE) in progress.')


def test_another_conflict_is_not_retried():
    driver = client.StackDriver(FakeDeployment(), 'legacy', 'group')
    calls = []

    def update():
        calls.append(1)
        raise heat_error(heat_exc.HTTPConflict, 'no', kind='Other')
    with pytest.raises(client.HeatError, match='409'):
        driver.retry_while_locked('grow', update)
    assert calls == [1]


# -- sessions ----------------------------------------------------------------

@pytest.mark.parametrize('url, reads_environment', [
    ('http://127.0.0.1:5000/v3', False),
    ('http://localhost:8004/v1/p', False),
    ('http://[::1]:5000/v3', False),
    ('https://keystone.example.org/v3', True),
    (None, True),
])
def test_only_loopback_sessions_skip_proxies_and_netrc(url,
                                                       reads_environment):
    session = client.ks_session.Session()
    assert client.without_environment(session, url) is session
    assert session.session.trust_env is reads_environment


def test_a_noauth_client_on_loopback_skips_proxies_and_netrc():
    heat = client.heat_client('http://127.0.0.1:8004/v1/admin')
    assert heat.http_client.session.session.trust_env is False
