"""Talking to Heat: clients, stack actions and waiting for them.

Every call that can fail raises ``HeatError`` with the step it was in and
what Heat said, so that a failed case reads "create of resource_group on
legacy: Heat answered 400: ..." rather than a traceback. A connection
failure is checked against the deployment: if the path's Heat died, the
error says so and shows its log.

Waiting polls the stack until its action reaches a final status, against
a deadline that names what it waited for. Where the deployment offers a
cheap look at the stored status (``stack_state``), that is polled every
20 ms and the API is asked only when it shows the action finished; else
the API is polled, from 50 ms backing off to 250 ms.
"""

import time

from heatclient import client as heat_client_module
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session

from heat_functional import config

IN_PROGRESS = 'IN_PROGRESS'


class HeatError(AssertionError):
    """A step failed; the message names the step and what Heat said.

    An AssertionError, so that pytest reports the case as failed (not as
    an error of the harness) and prints the message without a traceback.
    """


def heat_client(endpoint, session=None):
    """A python-heatclient v1 client for an endpoint.

    Without a session the endpoint is taken to be a noauth Heat.
    """
    if session is None:
        session = ks_session.Session(auth=noauth.NoAuth(endpoint=endpoint),
                                     timeout=config.API_TIMEOUT)
    return heat_client_module.Client('1', endpoint=endpoint, session=session)


def heat_message(error):
    """What Heat said, in one line, from a heatclient or keystoneauth error."""
    if isinstance(error, heat_exc.HTTPException):
        body = getattr(error, 'error', None) or {}
        detail = body.get('error', {}) if isinstance(body, dict) else {}
        message = detail.get('message') or str(error)
        kind = detail.get('type')
        return 'Heat answered %s%s: %s' % (
            error.code, ' (%s)' % kind if kind else '', message)
    return '%s: %s' % (type(error).__name__, error)


def poll_intervals():
    """Sleeps between polls: short at first, backing off to a ceiling."""
    interval = config.STACK_POLL_FIRST
    while True:
        yield interval
        interval = min(interval * config.STACK_POLL_GROWTH,
                       config.STACK_POLL_MAX)


class StackDriver(object):
    """Stack actions on one path of a deployment, with clear errors."""

    def __init__(self, deployment, path, label):
        self.deployment = deployment
        self.path = path
        self.label = label  # e.g. the template name, used in messages
        self.heat = deployment.client(path)

    def _fail(self, step, detail):
        raise HeatError('%s of %s on %s: %s'
                        % (step, self.label, self.path, detail))

    def call(self, step, function, *args, **kwargs):
        """Call a heatclient function; turn its failures into HeatError."""
        try:
            return function(*args, **kwargs)
        except (ks_exc.ConnectFailure, ks_exc.ConnectTimeout) as err:
            self.deployment.check_alive(self.path)
            self._fail(step, heat_message(err))
        except (heat_exc.BaseException, ks_exc.ClientException) as err:
            self._fail(step, heat_message(err))

    # -- actions ----------------------------------------------------------
    def create(self, name, template, files=None, parameters=None,
               environment=None, tags=None, disable_rollback=True,
               timeout_mins=None):
        fields = {
            'stack_name': name,
            'template': template,
            'files': files or {},
            'parameters': parameters or {},
            'environment': environment or {},
            'disable_rollback': disable_rollback,
        }
        if tags:
            fields['tags'] = ','.join(tags)
        if timeout_mins:
            fields['timeout_mins'] = timeout_mins
        created = self.call('create', self.heat.stacks.create, **fields)
        return created['stack']['id']

    def get(self, stack_id, step='show'):
        return self.call(step, self.heat.stacks.get, stack_id,
                         resolve_outputs=False)

    def _await_state(self, stack_id, action, deadline):
        """Poll the deployment's cheap status probe until it shows `action`
        finished, or says nothing, or the deadline passes."""
        while time.monotonic() < deadline:
            state = self.deployment.stack_state(self.path, stack_id)
            if state is None or (state[0] == action and
                                 state[1] != IN_PROGRESS):
                return
            time.sleep(config.STATE_PROBE_INTERVAL)

    def wait(self, stack_id, action, step, timeout=config.STACK_TIMEOUT):
        """Poll until the stack's action is `action` with a final status."""
        deadline = time.monotonic() + timeout
        for interval in poll_intervals():
            self._await_state(stack_id, action, deadline)
            stack = self.get(stack_id, step)
            if stack.action == action and not stack.status == IN_PROGRESS:
                return stack
            if time.monotonic() > deadline:
                self._fail(step, 'still %s_%s after %d s (waited for %s to '
                           'finish)' % (stack.action, stack.status, timeout,
                                        action))
            time.sleep(interval)

    def delete(self, stack_id, timeout=config.STACK_TIMEOUT):
        """Delete a stack and wait until Heat no longer shows it."""
        try:
            self.heat.stacks.delete(stack_id)
        except heat_exc.HTTPNotFound:
            return None
        except (ks_exc.ConnectFailure, ks_exc.ConnectTimeout) as err:
            self.deployment.check_alive(self.path)
            self._fail('delete', heat_message(err))
        except heat_exc.BaseException as err:
            self._fail('delete', heat_message(err))
        deadline = time.monotonic() + timeout
        for interval in poll_intervals():
            self._await_state(stack_id, 'DELETE', deadline)
            try:
                stack = self.heat.stacks.get(stack_id, resolve_outputs=False)
            except heat_exc.HTTPNotFound:
                return None
            except (ks_exc.ConnectFailure, ks_exc.ConnectTimeout) as err:
                self.deployment.check_alive(self.path)
                self._fail('delete', heat_message(err))
            if stack.action == 'DELETE' and stack.status != IN_PROGRESS:
                return stack
            if time.monotonic() > deadline:
                self._fail('delete', 'still %s_%s after %d s'
                           % (stack.action, stack.status, timeout))
            time.sleep(interval)
