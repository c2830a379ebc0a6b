"""The harness as the agent inside servers, and as the one who signals.

Some resources wait for something outside Heat: a WaitCondition for its
handle to be signalled, a SoftwareDeployment for the agent on its server
to report, a ScalingPolicy for an alarm. A template's lifecycle declares
what the harness does in their place (doc/source/corpus.rst):

``agents`` of a create or update step, each running while the action
runs, in its own thread:

- ``{signal: HANDLE, after: RESOURCE, data: {...}}`` signals the resource
  HANDLE through the API (``resource-signal``) once RESOURCE (by default
  HANDLE itself) is in progress: a WaitCondition waiting for its handle;
- ``{deploy: SERVER, status_code: 0, outputs: {...}}`` plays the
  os-collect-config agent of the OS::Heat::DeployedServer SERVER: it
  lists the server's deployments and reports each one waiting for it
  (``IN_PROGRESS``, with a config it has not reported yet) through the
  deployments API (``PUT /software_deployments/<id>``), with
  ``deploy_status_code`` and the given outputs. Reporting to the
  deployment itself, not signalling its resource by name, matters while
  convergence replaces a deployment: two resources then share the name.

A ``signal`` step, ``{resource: POLICY, data: {...}}``, signals a
resource between two updates (a ScalingPolicy scaling its group) and
waits for the signal's own event.

Every API call goes through the driver, so a refusal reads like any other
step failure, with Heat's message.
"""

import threading
import time

from heatclient import exc as heat_exc

from heat_functional import client
from heat_functional import config

#: Signal data of a successful deployment, before the declared outputs.
DEPLOYED = {'deploy_status_code': 0, 'deploy_stdout': 'done by '
            'heat-functional', 'deploy_stderr': ''}


class Agent(threading.Thread):
    """One declared agent, acting while a stack action runs."""

    def __init__(self, driver, stack_id, spec, step, memory=None):
        super(Agent, self).__init__(daemon=True, name='agent')
        #: Deployments reported in earlier steps, like the config ids an
        #: os-collect-config agent has already run: never reported again.
        self.memory = memory if memory is not None else set()
        self.driver = driver
        self.stack_id = stack_id
        self.spec = spec
        self.step = step
        self.done = threading.Event()
        self.acted = []      # what it did, for the case record
        self.error = None
        #: Events of the awaited resource written before the action.
        self.seen_events = set()
        self.intervals = poll_intervals()

    def prepare(self):
        """Before the request: note the events the awaited resource has,
        so that only a start after the request counts."""
        if self.stack_id is not None and 'signal' in self.spec:
            self.seen_events = {e.id for e in self._events(self._after())}

    def _after(self):
        return self.spec.get('after', self.spec['signal'])

    def _events(self, name):
        try:
            with self.driver._heat_errors(self.step,
                                          (heat_exc.HTTPNotFound,)):
                return self.driver.heat.events.list(
                    client.identifier(self.stack_id), resource_name=name)
        except heat_exc.HTTPNotFound:
            return []

    def run(self):
        try:
            if 'signal' in self.spec:
                self._signal_when_waiting()
            else:
                self._deploy()
        except BaseException as error:  # reported by stop()
            self.error = error

    def stop(self):
        """End the agent; its problems, one message each."""
        self.done.set()
        self.join(config.API_TIMEOUT)
        if self.error is not None:
            return [str(self.error)]
        if 'signal' in self.spec and not self.acted:
            return ['%s: the agent never signalled %s (%s was never in '
                    'progress)' % (self.step, self.spec['signal'],
                                   self.spec.get('after',
                                                 self.spec['signal']))]
        return []

    def _wait(self):
        return self.done.wait(next(self.intervals))

    def _resource(self, name):
        try:
            with self.driver._heat_errors(self.step,
                                          (heat_exc.HTTPNotFound,)):
                return self.driver.heat.resources.get(
                    client.identifier(self.stack_id), name)
        except heat_exc.HTTPNotFound:
            return None

    def _signal_when_waiting(self):
        """Signal once the awaited resource has started (an IN_PROGRESS
        event newer than the request). Events, not the resource's status:
        while convergence replaces a resource, two share its name."""
        handle = self.spec['signal']
        after = self._after()
        while not self._wait():
            started = [e for e in self._events(after)
                       if e.id not in self.seen_events and
                       e.resource_status.endswith(client.IN_PROGRESS)]
            if started:
                self.driver.call(
                    self.step, self.driver.heat.resources.signal,
                    client.identifier(self.stack_id), handle,
                    data=self.spec.get('data'))
                self.acted.append({'signalled': handle})
                return

    def _deploy(self):
        server_name = self.spec['deploy']
        answered = self.memory
        while not self._wait():
            server = self._resource(server_name)
            if server is None or not server.physical_resource_id:
                continue
            listed = self.driver.call(
                self.step, self.driver.heat.software_deployments.list,
                server_id=server.physical_resource_id)
            for deployment in listed:
                key = (deployment.id, deployment.config_id)
                if deployment.status != client.IN_PROGRESS or \
                        key in answered:
                    continue
                self._report(deployment)
                answered.add(key)
                # Another deployment may follow at once (a later one of
                # the same server, in order): look again soon.
                self.intervals = poll_intervals()

    def _report(self, deployment):
        """Report one deployment as os-collect-config's heat agent does:
        its status and output values, through the deployments API."""
        code = self.spec.get('status_code', 0)
        outputs = dict(DEPLOYED, deploy_status_code=code,
                       **(self.spec.get('outputs') or {}))
        try:
            self.driver.call(
                self.step, self.driver.heat.software_deployments.update,
                deployment.id, status='COMPLETE' if code == 0 else 'FAILED',
                status_reason='reported by heat-functional',
                output_values=outputs)
        except client.HeatError:
            # A deployment no longer waiting (being replaced or deleted)
            # refuses it; the stack's outcome says whether that mattered.
            return
        self.acted.append({'deployed': deployment.id,
                           'status_code': code})


class Agents(object):
    """The agents of one step. Made and prepared before the step's
    request; a context manager around the wait for the action, given the
    stack's id once the request has made it."""

    def __init__(self, driver, stack_id, specs, step, memory=None):
        self.agents = [Agent(driver, stack_id, spec, step, memory)
                       for spec in specs or []]
        self.problems = []
        for agent in self.agents:
            agent.prepare()

    def acting_on(self, stack_id):
        for agent in self.agents:
            agent.stack_id = stack_id
        return self

    def __enter__(self):
        for agent in self.agents:
            agent.start()
        return self

    def __exit__(self, *exc_info):
        for agent in self.agents:
            self.problems += agent.stop()
        return False

    @property
    def acted(self):
        return [act for agent in self.agents for act in agent.acted]


def signal_and_wait(driver, stack_id, spec, step, timeout=None):
    """A signal step: signal the resource, then wait for its SIGNAL event
    (COMPLETE or FAILED) newer than the request (for up to `timeout` s,
    by default config.STACK_TIMEOUT); return that event's status."""
    if timeout is None:
        timeout = config.STACK_TIMEOUT
    name = spec['resource']
    before = {e.id for e in _signal_events(driver, stack_id, name, step)}
    driver.call(step, driver.heat.resources.signal,
                client.identifier(stack_id), name, data=spec.get('data'))
    deadline = time.monotonic() + timeout
    intervals = poll_intervals()
    while True:
        for event in _signal_events(driver, stack_id, name, step):
            if event.id not in before and not \
                    event.resource_status.endswith(client.IN_PROGRESS):
                return event.resource_status
        if time.monotonic() > deadline:
            driver._fail(step, 'the signal to %s had no outcome after %s s'
                         '\n%s' % (name, timeout,
                                   driver.hang_evidence(stack_id)))
        time.sleep(next(intervals))


def poll_intervals():
    """An agent's sleeps between looks: AGENT_POLL_INTERVAL at first,
    backing off to AGENT_POLL_MAX. Each look is one or two requests to
    Heat's API, which Heat's CPU pays for: at a fixed 100 ms, the agents'
    looks were four in ten of the API requests a main-job run made."""
    return client.poll_intervals(config.AGENT_POLL_INTERVAL,
                                 config.AGENT_POLL_MAX)


def _signal_events(driver, stack_id, name, step):
    events = driver.call(step, driver.heat.events.list,
                         client.identifier(stack_id), resource_name=name)
    return [e for e in events if e.resource_status.startswith('SIGNAL')]
