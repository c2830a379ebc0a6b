"""Talking to Heat: clients, stack actions and waiting for them.

Every call that can fail raises ``HeatError`` with the step it was in and
what Heat said, so that a failed case reads "create of resource_group on
legacy: Heat answered 400: ..." rather than a traceback. A connection
failure is checked against the deployment: if the path's Heat died, the
error says so and shows its log.

Waiting follows the root stack's own events (Heat writes one when an
action starts and one when it ends) until the action asked for has
started after the request and ended, then confirms the final status
through the API. A deadline names what it waited for and shows the
evidence of the hang (``hang_evidence``): the stack's last events,
nested stacks included, and the last lines of the cell's log. Counting events
since the request, rather than reading the status, tells an update that
has not started yet from the previous one that ended. Events come from
the deployment's timeline where it has one (the embedded deployment reads
the event rows, every 50 ms), else from the API (from every 50 ms,
backing off to every 250 ms).
"""

import contextlib
import time
import urllib.parse

from heatclient import client as heat_client_module
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session

from heat_functional import config
from heat_functional import known_bugs
from heat_functional.deployment import processes

IN_PROGRESS = 'IN_PROGRESS'


class HeatError(AssertionError):
    """A step failed; the message names the step and what Heat said.

    An AssertionError, so that pytest reports the case as failed (not as
    an error of the harness) and prints the message without a traceback.
    """


class Rejected(HeatError):
    """Heat refused a request with an HTTP error status: `status` (the
    HTTP status), `error_type` (Heat's error type, e.g.
    ``StackValidationFailed``, or None) and `heat_message` (what Heat
    said), beside the message that names the step."""

    def __init__(self, message, error):
        super().__init__(message)
        detail = _error_detail(error)
        self.status = error.code
        self.error_type = detail.get('type')
        self.heat_message = detail.get('message') or str(error)


def _error_detail(error):
    """The ``error`` mapping of Heat's answer in a heatclient error."""
    body = getattr(error, 'error', None) or {}
    detail = body.get('error', {}) if isinstance(body, dict) else {}
    return detail if isinstance(detail, dict) else {}


LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def without_environment(session, url):
    """Stop a keystoneauth session's requests from reading the proxy
    settings and ~/.netrc of the environment on every request, when `url`
    (its keystone or Heat) is on loopback: no proxy and no netrc entry
    is meant for the harness's own cells, and each look at them was a
    measurable share of the workers' CPU. Returns the session."""
    if urllib.parse.urlsplit(url or '').hostname in LOOPBACK:
        session.session.trust_env = False
    return session


def heat_client(endpoint, session=None):
    """A python-heatclient v1 client for an endpoint.

    Without a session the endpoint is taken to be a noauth Heat.
    """
    if session is None:
        session = without_environment(ks_session.Session(
            auth=noauth.NoAuth(endpoint=endpoint),
            timeout=config.API_TIMEOUT, app_name=config.USER_AGENT),
            endpoint)
    return heat_client_module.Client('1', endpoint=endpoint, session=session)


def cloud_client(region):
    """A python-heatclient v1 client for a cloud of clouds.yaml (an
    openstacksdk CloudRegion): its keystoneauth session, region and
    interface, and its orchestration endpoint override if it has one."""
    session = without_environment(region.get_session(), (
        region.config.get('auth') or {}).get('auth_url'))
    return session_client(session, region.get_region_name('orchestration'),
                          region.get_interface(),
                          region.get_endpoint('orchestration'))


def password_session(auth):
    """A keystoneauth session of a clouds.yaml cloud's password ``auth``
    (auth_url, username, password, project and domain names), as
    openstacksdk makes for ``auth_type: password``, without loading
    openstacksdk's configuration (most of a worker's CPU for its first
    client)."""
    from keystoneauth1.identity import generic
    session = ks_session.Session(auth=generic.Password(**auth),
                                 app_name=config.USER_AGENT)
    return without_environment(session, auth.get('auth_url'))


def session_client(session, region_name, interface,
                   endpoint_override=None):
    """A python-heatclient v1 client that finds Heat in the catalog of
    the session's token (the orchestration endpoint of that region and
    interface), or at endpoint_override."""
    return heat_client_module.Client(
        '1', session=session, service_type='orchestration',
        interface=interface, region_name=region_name,
        endpoint_override=endpoint_override)


def heat_message(error):
    """What Heat said, in one line, from a heatclient or keystoneauth error;
    an authentication failure names keystone, not Heat."""
    if isinstance(error, (ks_exc.Unauthorized, ks_exc.AuthorizationFailure,
                          ks_exc.MissingAuthPlugin)):
        return 'keystone refused the credentials (%s): %s' % (
            type(error).__name__, error)
    if isinstance(error, heat_exc.HTTPException):
        detail = _error_detail(error)
        message = detail.get('message') or str(error)
        kind = detail.get('type')
        return 'Heat answered %s%s: %s' % (
            error.code, ' (%s)' % kind if kind else '', message)
    return '%s: %s' % (type(error).__name__, error)


def _raced_outputs(outputs):
    """(output key, known race id, error) for each output whose error a
    known Heat race explains."""
    raced = []
    for output in outputs or ():
        error = isinstance(output, dict) and output.get('output_error')
        race = known_bugs.race(error) if error else None
        if race:
            raced.append((output.get('output_key'), race, error))
    return raced


#: The names of the stacks this process made, by id (ids are unique):
#: heatclient asks Heat, with an extra request, for the name of a stack
#: it is given by id alone (``GET /stacks/<id>``, answered with a
#: redirect), before every resource or event request and stack show.
_NAMES = {}


def identifier(stack_id):
    """``<name>/<id>`` for a stack this process made, else `stack_id`:
    what heatclient sends to Heat without looking the name up first."""
    name = _NAMES.get(stack_id)
    return '%s/%s' % (name, stack_id) if name else stack_id


def poll_intervals(first=config.STACK_POLL_FIRST,
                   ceiling=config.STACK_POLL_MAX):
    """Sleeps between polls: `first` at first, growing by
    STACK_POLL_GROWTH to `ceiling`."""
    interval = first
    while True:
        yield interval
        interval = min(interval * config.STACK_POLL_GROWTH, ceiling)


class StackDriver(object):
    """Stack actions on one path of a deployment, with clear errors."""

    def __init__(self, deployment, path, label):
        self.deployment = deployment
        self.path = path
        self.label = label  # e.g. the template name, used in messages
        self.heat = deployment.client(path)
        #: Requests repeated because the stack was still locked.
        self.lock_waits = []
        #: Requests sent, or stacks read, again because Heat's answer was
        #: one a known Heat race explains (known_bugs), and went away.
        self.race_resends = []

    def _fail(self, step, detail):
        raise HeatError('%s of %s on %s: %s'
                        % (step, self.label, self.path, detail))

    def _reject(self, step, error):
        """Raise Rejected for an HTTP error Heat answered."""
        raise Rejected('%s of %s on %s: %s' % (
            step, self.label, self.path, heat_message(error)), error)

    @contextlib.contextmanager
    def _heat_errors(self, step, passthrough=()):
        """Turn heatclient and keystoneauth failures into HeatError (after
        checking the cell is alive on a connection failure); exceptions in
        `passthrough` are left for the caller."""
        try:
            yield
        except passthrough:
            raise
        except (ks_exc.ConnectFailure, ks_exc.ConnectTimeout) as err:
            self.deployment.check_alive(self.path)
            self._fail(step, heat_message(err))
        except heat_exc.HTTPException as err:
            self._reject(step, err)
        except (heat_exc.BaseException, ks_exc.ClientException) as err:
            self._fail(step, heat_message(err))

    def call(self, step, function, *args, **kwargs):
        """Call a heatclient function; turn its failures into HeatError."""
        with self._heat_errors(step):
            return self.send(step, function, *args, **kwargs)

    def send(self, step, function, *args, **kwargs):
        """Call a heatclient function; while Heat rejects the request with
        an answer a known Heat race explains (known_bugs.race), send it
        again, up to config.RACE_RESENDS times. A rejection changed
        nothing in Heat, so sending again is safe. Only a rejection that
        went away is recorded (race_resends); one that came back every
        time is raised as Heat gave it. Each resend waits a moment first
        (config.RACE_RESEND_PAUSE, doubled each time)."""
        met = []
        while True:
            try:
                result = function(*args, **kwargs)
            except heat_exc.HTTPException as err:
                said = heat_message(err)
                race = known_bugs.race(said, err.code)
                if race is None or len(met) >= config.RACE_RESENDS:
                    raise
                met.append({'step': step, 'path': self.path, 'bug': race,
                            'heat_said': said})
                time.sleep(config.RACE_RESEND_PAUSE * 2 ** (len(met) - 1))
                continue
            self.race_resends += met
            return result

    def show(self, stack_id, step='show'):
        """The stack, read again (up to config.RACE_RESENDS times) while an
        output's error is one a known Heat race explains; only an error
        that went away is recorded (race_resends)."""
        met = []
        while True:
            stack = self.call(step, self.heat.stacks.get,
                              identifier(stack_id))
            raced = _raced_outputs(getattr(stack, 'outputs', None))
            if not raced:
                self.race_resends += [dict(m, path=self.path) for m in met]
                return stack
            if len(met) >= config.RACE_RESENDS:
                return stack
            met += [{'step': '%s (output %s)' % (step, key), 'bug': race,
                     'heat_said': error} for key, race, error in raced]

    # -- actions ----------------------------------------------------------
    def create(self, name, template, files=None, parameters=None,
               environment=None, tags=None, disable_rollback=True,
               timeout_mins=None):
        """Create a stack tagged config.stack_tags() (and `tags`)."""
        tags = config.stack_tags() + [
            t for t in tags or () if t not in config.stack_tags()]
        fields = {
            'stack_name': name,
            'template': template,
            'files': files or {},
            'parameters': parameters or {},
            'environment': environment or {},
            'disable_rollback': disable_rollback,
        }
        fields['tags'] = ','.join(tags)
        if timeout_mins:
            fields['timeout_mins'] = timeout_mins
        mark = self.deployment.timeline_mark(self.path)
        created = self.call('create', self.heat.stacks.create, **fields)
        stack_id = created['stack']['id']
        _NAMES[stack_id] = name
        if mark is not None:
            self.deployment.stack_made(self.path, stack_id, mark)
        return stack_id

    def update(self, stack_id, template, files=None, parameters=None,
               environment=None, disable_rollback=True, step='update'):
        """A full update (PUT): template, files, parameters, environment,
        and the run's tags (a PUT without tags clears them; only a PATCH
        keeps them: EngineService._prepare_stack_updates)."""
        self.retry_while_locked(
            step, self.heat.stacks.update, stack_id, template=template,
            files=files or {}, parameters=parameters or {},
            environment=environment or {},
            disable_rollback=disable_rollback,
            tags=','.join(config.stack_tags()))

    def retry_while_locked(self, step, function, *args, **kwargs):
        """Call, retrying while Heat answers 409 ActionInProgress.

        The legacy engine writes a stack's final status before it has
        finished cleaning up (deleting the update's backup stack) and
        released the stack's lock; a request sent at once then gets 409
        "already has an action in progress". The request is repeated every
        STATE_PROBE_INTERVAL * 10 seconds for up to LOCK_RETRY_TIMEOUT
        seconds; each wait is recorded in ``self.lock_waits``.
        """
        started = time.monotonic()
        refused = False
        while True:
            try:
                with self._heat_errors(step, (heat_exc.HTTPConflict,)):
                    result = self.send(step, function, *args, **kwargs)
            except heat_exc.HTTPConflict as err:
                waited = time.monotonic() - started
                if ('ActionInProgress' not in heat_message(err) or
                        waited > config.LOCK_RETRY_TIMEOUT):
                    self._reject(step, err)
                refused = True
                time.sleep(config.STATE_PROBE_INTERVAL * 10)
                continue
            if refused:
                self.lock_waits.append({
                    'step': step,
                    'waited_s': round(time.monotonic() - started, 3)})
            return result

    def root_events(self, stack_id, watch=None):
        """The root stack's own events as ``[(action, status)]``, in order,
        from the deployment's timeline where it has one (read by `watch`
        during a wait), else the API; None when the API no longer shows
        the stack."""
        timeline = (watch.timeline() if watch is not None else
                    self.deployment.stack_timeline(self.path, stack_id))
        if timeline is not None:
            return [(action, status) for action, status, _ in timeline]
        try:
            with self._heat_errors('event list', (heat_exc.HTTPNotFound,)):
                events = self.heat.events.list(stack_id, sort_dir='asc')
        except heat_exc.HTTPNotFound:
            return None
        return [tuple(event.resource_status.split('_', 1))
                for event in events
                if event.physical_resource_id == stack_id]

    def wait(self, stack_id, action, step, since=0, rollback=False,
             timeout=None):
        """Wait until `action`, started after the root's first `since`
        events, has finished; return the stack as the API then shows it
        (None if the API no longer shows it). timeout: seconds, by
        default config.STACK_TIMEOUT as it is at the call.

        With rollback on, a FAILED action is followed by a ROLLBACK, which
        is waited for too (if it starts within ROLLBACK_GRACE seconds).
        """
        if timeout is None:
            timeout = config.STACK_TIMEOUT
        deadline = time.monotonic() + timeout
        with self.deployment.timeline_watch(self.path, stack_id) as watch:
            return self._wait(watch, deadline, stack_id, action, step,
                              since, rollback, timeout)

    def _wait(self, watch, deadline, stack_id, action, step, since,
              rollback, timeout):
        intervals = poll_intervals()
        failed_at = None
        while True:
            events = self.root_events(stack_id, watch)
            if events is None:
                return None
            progress = action_progress(events[since:], action)
            if (progress == 'failed' and rollback and
                    events[-1][0] == action):
                # The action failed; its rollback has yet to start.
                failed_at = failed_at or time.monotonic()
                if time.monotonic() - failed_at < config.ROLLBACK_GRACE:
                    progress = 'running'
            if progress in ('done', 'failed'):
                stack = self._show(stack_id, step)
                if stack is None or stack.status != IN_PROGRESS:
                    return stack
            if time.monotonic() > deadline:
                last = '_'.join(events[-1]) if events else 'none'
                self._fail(step, 'not finished after %s s (waited for %s '
                           'to finish; the stack\'s last event: %s)\n%s'
                           % (timeout, action, last,
                              self.hang_evidence(stack_id)))
            # Until the stack's next event; but when its events say the
            # action ended and the API does not yet, no event will come:
            # then after the back-off.
            watch.pause(next(intervals),
                        expect_event=progress not in ('done', 'failed'))

    def wait_alone_in_progress(self, stack_id, resource, step):
        """Wait until `resource` is being created and nothing else in the
        stack's tree is in progress (alone_in_progress). The stack's
        update must be seen in progress within SETTLE_TIMEOUT, and must
        not end before that moment."""
        started = time.monotonic()
        seen = False
        while True:
            resources = self.call(step, self.heat.resources.list,
                                  identifier(stack_id),
                                  nested_depth=config.MAX_NESTED_DEPTH)
            if alone_in_progress(resources, resource):
                return
            stack = self.call(step, self.heat.stacks.get,
                              identifier(stack_id), resolve_outputs=False)
            running = stack.stack_status.endswith('_IN_PROGRESS')
            seen = seen or running
            late = time.monotonic() - started > (
                config.STACK_TIMEOUT if seen else config.SETTLE_TIMEOUT)
            if (seen and not running) or late:
                self._fail(step, 'the stack was %s before %s was seen alone '
                           'in progress: %s%s' % (
                               stack.stack_status, resource,
                               stack.stack_status_reason,
                               '\n' + self.hang_evidence(stack_id)
                               if late else ''))
            time.sleep(config.SETTLE_INTERVAL)

    def hang_evidence(self, stack_id):
        """What a reader of a timed-out wait needs: the stack's last
        HANG_EVENTS events and the tail of the cell's log, as lines of
        text (``hang_message``). Never raises: what cannot be read is
        said instead."""
        try:
            events = self.last_events(stack_id)
        except Exception as error:  # Heat itself may be what hangs
            events = 'could not be listed: %s' % heat_message(error)
        log_file = self.deployment.log_file(self.path)
        log = processes.log_tail(log_file) if log_file else None
        errors = processes.log_errors(log_file, stack_id) if log_file \
            else None
        return hang_message(self.path, self.deployment.kind, events,
                            log_file, log, errors) + '\n' + threads_line(
            self.deployment, self.path)

    def last_events(self, stack_id, count=config.HANG_EVENTS):
        """The stack's last `count` events, nested stacks included, oldest
        first, as ``event_line`` fields."""
        listed = self.heat.events.list(
            stack_id, nested_depth=config.MAX_NESTED_DEPTH,
            sort_dir='desc', limit=count)
        if not listed:  # no resource yet: Heat finds no nested stack
            listed = self.heat.events.list(stack_id, sort_dir='desc',
                                           limit=count)
        return [event_fields(event, stack_id)
                for event in reversed(list(listed)[:count])]

    def _show(self, stack_id, step):
        """The stack, or None when Heat answers 404; read again while
        Heat's answer is one a known race explains (send)."""
        try:
            with self._heat_errors(step, (heat_exc.HTTPNotFound,)):
                return self.send(step, self.heat.stacks.get,
                                 identifier(stack_id), resolve_outputs=False)
        except heat_exc.HTTPNotFound:
            return None

    def _delete_request(self, stack_id):
        try:
            self.heat.stacks.delete(stack_id)
        except heat_exc.HTTPNotFound:
            raise _Gone()

    def delete(self, stack_id, timeout=None):
        """Delete a stack and wait for the delete to end.

        Returns None when the stack is gone, else the stack as Heat shows
        it (DELETE_FAILED, say).
        """
        since = len(self.root_events(stack_id) or [])
        try:
            self.retry_while_locked('delete', self._delete_request, stack_id)
        except _Gone:
            return None
        stack = self.wait(stack_id, 'DELETE', 'delete', since=since,
                          timeout=timeout)
        if stack is None or stack.status == 'COMPLETE':
            return None
        return stack


def event_fields(event, root_id):
    """(time, where, status, reason) of a heatclient event; `where` is
    the resource's name, after its nested stack's name when the event is
    a nested stack's (not the nested stack's own)."""
    where = getattr(event, 'resource_name', None) or '?'
    stack = [link['href'] for link in getattr(event, 'links', None) or ()
             if link.get('rel') == 'stack']
    if stack and root_id not in stack[0]:
        nested = stack[0].rstrip('/').split('/')[-2]
        where = where if where == nested else '%s/%s' % (nested, where)
    return (getattr(event, 'event_time', None) or '?', where,
            getattr(event, 'resource_status', None) or '?',
            getattr(event, 'resource_status_reason', None) or '')


def hang_message(path, kind, events, log_file, log, errors=None):
    """The evidence of a hang, as lines of text: `events` (``event_fields``
    tuples, oldest first, or why there are none), the `errors` the
    cell's `log_file` holds about the stack (processes.log_errors) and
    its `log` tail (None when the deployment has no log file)."""
    lines = ['The stack\'s last events (oldest first, nested stacks '
             'included):']
    if isinstance(events, str):
        lines.append('  (%s)' % events)
    elif not events:
        lines.append('  (none)')
    else:
        lines += [('  %s  %s  %s  %s' % event).rstrip() for event in events]
    if not log_file:
        lines.append('No log of %s: the %s deployment has no log file '
                     'the harness can read.' % (path, kind))
    else:
        if errors:
            lines.append('Errors about the stack in the log of %s:' % path)
            lines += ['  ' + line for line in errors]
        lines.append('The last lines of the log of %s (%s):'
                     % (path, log_file))
        tail = (log or '').rstrip('\n')
        lines += ['  ' + line for line in tail.split('\n')] if tail else \
            ['  (empty)']
    return '\n'.join(lines)


def threads_line(deployment, path):
    """One line: where the report of what every thread of the path's Heat
    is doing was written (Deployment.thread_report), or that there is
    none. Never raises."""
    try:
        report = deployment.thread_report(path)
    except Exception as error:  # evidence must not hide the failure
        report, why = None, '%s: %s' % (type(error).__name__, error)
    else:
        why = 'the %s deployment cannot write one' % deployment.kind
    if report:
        return 'What every thread of the Heat of %s was doing: %s' % (
            path, report)
    return 'No report of the threads of the Heat of %s (%s).' % (path, why)


def alone_in_progress(resources, name):
    """True once resource `name` is CREATE_IN_PROGRESS and no other
    resource is in progress."""
    busy = False
    creating = False
    for resource in resources:
        status = resource.resource_status
        if resource.resource_name == name:
            creating = status == 'CREATE_IN_PROGRESS'
        elif status.endswith('_IN_PROGRESS'):
            busy = True
    return creating and not busy


class _Gone(Exception):
    """The stack to delete is already gone."""


def action_progress(events, action):
    """How far `action` got, from a stack's own events since its request.

    ``waiting`` (not started yet), ``running``, ``done`` (the last event
    is a COMPLETE: of the action, or of the rollback after it) or
    ``failed`` (the last event is a FAILED).
    """
    last = None
    for event in events:
        if last is not None or event == (action, IN_PROGRESS):
            last = event
    if last is None:
        return 'waiting'
    if last[1] == IN_PROGRESS:
        return 'running'
    return 'failed' if last[1] == 'FAILED' else 'done'
