"""Unit tests of heat_functional.agents with a fake heatclient.

The deployment agent reports each of a server's deployments that waits
for it, once (never one that an earlier step reported), with the
declared status code and outputs; the signal agent signals its handle
only once the resource it waits for is in progress, and says so when it
never was; a signal step waits for the signal's own event.
"""

import pytest

from heat_functional import agents
from heat_functional import client
from heat_functional import config


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def deployment(deployment_id, config_id, status='IN_PROGRESS'):
    return Fake(id=deployment_id, config_id=config_id, status=status)


class Heat(object):
    def __init__(self, deployments=(), statuses=None, events=()):
        self.signals = []
        self.reports = []
        self.deployments = list(deployments)
        self.statuses = statuses or {}
        self.event_list = list(events)
        self.resources = Fake(get=self._get, signal=self._signal)
        self.software_deployments = Fake(list=self._list,
                                         update=self._update)
        self.events = Fake(list=self._events)

    def _get(self, stack_id, name):
        return Fake(physical_resource_id='srv-1',
                    resource_status=self.statuses.get(name,
                                                      'CREATE_COMPLETE'))

    def _signal(self, stack_id, name, data=None):
        self.signals.append((stack_id, name, data))
        self.event_list.append(Fake(id='e%d' % len(self.event_list),
                                    resource_status='SIGNAL_COMPLETE'))

    def _list(self, server_id=None):
        assert server_id == 'srv-1'
        return list(self.deployments)

    def _update(self, deployment_id, **fields):
        self.reports.append((deployment_id, fields))

    def _events(self, stack_id, resource_name=None):
        return list(self.event_list)


class Driver(object):
    def __init__(self, heat):
        self.heat = heat

    def call(self, step, function, *args, **kwargs):
        return function(*args, **kwargs)

    def _heat_errors(self, step, passthrough=()):
        import contextlib
        return contextlib.nullcontext()

    def _fail(self, step, message):
        raise client.HeatError(message)


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(config, 'AGENT_POLL_INTERVAL', 0.001)


def run_agent(heat, spec, memory=None, rounds=20):
    agent = agents.Agent(Driver(heat), 'st/1', spec, 'create of t on p',
                         memory)
    agent.start()
    import time
    deadline = time.monotonic() + 0.5
    while len(heat.signals) + len(heat.reports) < rounds and \
            time.monotonic() < deadline:
        time.sleep(0.01)
        if agent.acted and 'signal' in spec:
            break
    return agent, agent.stop()


def test_deploy_agent_reports_each_waiting_deployment_once():
    heat = Heat(deployments=[deployment('d1', 'c1'), deployment('d2', 'c2'),
                             deployment('d3', 'c3', 'COMPLETE')])
    agent, problems = run_agent(heat, {'deploy': 'server', 'status_code': 1,
                                       'outputs': {'result': 'x'}}, rounds=2)
    assert problems == []
    assert sorted(d for d, _ in heat.reports) == ['d1', 'd2']
    fields = heat.reports[0][1]
    assert fields['status'] == 'FAILED'
    assert fields['output_values']['deploy_status_code'] == 1
    assert fields['output_values']['result'] == 'x'


def test_deploy_agent_never_reports_what_an_earlier_step_reported():
    heat = Heat(deployments=[deployment('d1', 'c1'), deployment('d1', 'c2')])
    memory = {('d1', 'c1')}
    run_agent(heat, {'deploy': 'server'}, memory, rounds=1)
    assert [(d, f['status']) for d, f in heat.reports] == [('d1',
                                                            'COMPLETE')]
    assert ('d1', 'c2') in memory


def test_signal_agent_waits_for_the_resource_to_start():
    heat = Heat(events=[Fake(id='e-start',
                             resource_status='CREATE_IN_PROGRESS')])
    agent, problems = run_agent(heat, {'signal': 'handle', 'after': 'wait',
                                       'data': {'status': 'SUCCESS'}})
    assert problems == []
    assert heat.signals == [('st/1', 'handle', {'status': 'SUCCESS'})]


def test_signal_agent_ignores_starts_from_before_the_request():
    heat = Heat(events=[Fake(id='old', resource_status='CREATE_IN_PROGRESS'),
                        Fake(id='old2', resource_status='CREATE_FAILED')])
    agent = agents.Agent(Driver(heat), 'st/1', {'signal': 'handle',
                                                'after': 'wait'}, 'u')
    agent.prepare()
    assert agent.seen_events == {'old', 'old2'}


def test_signal_agent_says_when_it_never_signalled():
    heat = Heat(events=[Fake(id='x', resource_status='CREATE_COMPLETE')])
    agent, problems = run_agent(heat, {'signal': 'handle', 'after': 'wait'},
                                rounds=1)
    assert heat.signals == []
    assert problems == ['create of t on p: the agent never signalled handle '
                        '(wait was never in progress)']


def test_signal_step_waits_for_the_new_signal_event():
    heat = Heat(events=[Fake(id='old', resource_status='SIGNAL_FAILED')])
    outcome = agents.signal_and_wait(Driver(heat), 'st/1',
                                     {'resource': 'up', 'data': {}}, 'up')
    assert outcome == 'SIGNAL_COMPLETE'
    assert heat.signals == [('st/1', 'up', {})]


class RecordedWaits(object):
    """An agent's ``done`` event that records each wait's timeout and
    ends the agent after `looks` of them."""

    def __init__(self, looks):
        self.timeouts = []
        self.looks = looks

    def wait(self, timeout):
        self.timeouts.append(timeout)
        return len(self.timeouts) > self.looks

    def set(self):
        pass


def test_deploy_agent_backs_off_and_looks_soon_again_after_an_answer(
        monkeypatch):
    monkeypatch.setattr(config, 'AGENT_POLL_INTERVAL', 0.1)
    monkeypatch.setattr(config, 'AGENT_POLL_MAX', 0.5)
    heat = Heat()
    agent = agents.Agent(Driver(heat), 'st/1', {'deploy': 'server'},
                         'create of t on p')
    agent.done = RecordedWaits(looks=8)
    original_list = heat.software_deployments.list

    def deployment_appears_at_the_sixth_look(server_id=None):
        if len(agent.done.timeouts) == 6:
            heat.deployments.append(deployment('d1', 'c1'))
        return original_list(server_id=server_id)
    heat.software_deployments.list = deployment_appears_at_the_sixth_look
    agent.run()
    waits = agent.done.timeouts
    assert waits[0] == 0.1
    assert all(b > a for a, b in zip(waits[:5], waits[1:5]))
    assert waits[5] == 0.5   # the ceiling
    assert [d for d, _ in heat.reports] == ['d1']
    assert waits[6] == 0.1   # answered: the next look comes soon
