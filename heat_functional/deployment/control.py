"""The harness's control routes: one server and one client.

Two kinds of process take orders from the harness over loopback HTTP:

- each embedded cell's Heat process (``programs/heat_all.py``) answers
  under ``/harness/``, beside Heat's API on the same port: its status, an
  engine restart with ``convergence_engine`` set, a stack's migration;
- the devstack-like deployment's owner (``cloud.py``) restarts a cell's
  heat-engine processes and says their status, on a port of its own.

Both build their application with ``Routes`` and every caller goes
through ``call``. Every route is guarded by the run's control secret
(``control_secret.py``): a request without it is answered 403.

A route is a method and a regular expression over the path after the
prefix (slashes at either end stripped); its handler is given a
``Request`` (the expression's groups, the JSON body or None, the query)
and returns ``(HTTP status, JSON answer)``. A body that is not JSON is
answered 400; an unknown route 404; a handler's exception 500 with its
type and message (and logged with its traceback), so that the caller
sees what went wrong without reading the process's log.
"""

import collections
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from heat_functional import config
from heat_functional.deployment import control_secret
from heat_functional.deployment import wsgi

#: What a handler is given: the route's groups, the body, the query.
Request = collections.namedtuple('Request', 'parts body query')

_REASONS = {200: 'OK', 400: 'Bad Request', 404: 'Not Found',
            409: 'Conflict', 500: 'Internal Server Error'}


class Refused(RuntimeError):
    """A control route answered with an error: its HTTP status and its
    message (the answer's ``error``, or the answer's text)."""

    def __init__(self, code, message):
        super(Refused, self).__init__(message)
        self.code = code
        self.message = message


class Routes(object):
    """A WSGI application of control routes under `prefix`, for requests
    that carry `secret`; errors are logged to `log`."""

    def __init__(self, secret, log, prefix='/'):
        self.secret = secret
        self.log = log
        self.prefix = prefix
        self.table = []

    def add(self, method, pattern, handler):
        """Route `method` requests whose path matches `pattern`."""
        self.table.append((method, re.compile(pattern), handler))
        return self

    def handles(self, environ):
        """Whether a request's path is under this application's prefix."""
        return environ.get('PATH_INFO', '').startswith(self.prefix)

    def __call__(self, environ, start_response):
        if not control_secret.allows(environ, self.secret):
            return control_secret.forbidden(start_response)
        method = environ['REQUEST_METHOD']
        route = environ.get('PATH_INFO', '')[len(self.prefix):].strip('/')
        try:
            body = _body(environ)
        except ValueError as error:
            return respond(start_response, 400, {
                'error': 'the body is not JSON: %s' % error})
        query = dict(urllib.parse.parse_qsl(environ.get('QUERY_STRING', '')))
        for wanted, pattern, handler in self.table:
            match = pattern.fullmatch(route)
            if wanted == method and match:
                return respond(start_response, *self._answer(
                    route, handler, Request(match.groups(), body, query)))
        return respond(start_response, 404, {
            'error': 'no control route %s %s' % (method, route)})

    def _answer(self, route, handler, request):
        try:
            return handler(request)
        except Exception as error:  # reported to the caller, logged here
            self.log.exception('control route %s failed', route)
            return 500, {'error': '%s: %s' % (type(error).__name__, error)}


def _body(environ):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    if not length:
        return None
    return json.loads(environ['wsgi.input'].read(length))


def respond(start_response, code, answer):
    """A JSON answer with its status."""
    payload = json.dumps(answer).encode()
    start_response('%d %s' % (code, _REASONS.get(code, 'Error')),
                   [('Content-Type', 'application/json'),
                    ('Content-Length', str(len(payload)))])
    return [payload]


def serve(app, log, label):
    """A loopback server of `app` on a port the kernel picks, serving in
    a daemon thread named `label`; stop it with shutdown() and
    server_close()."""
    server = wsgi.make_server(app, 0, log, label)
    threading.Thread(target=server.serve_forever, name=label,
                     daemon=True).start()
    return server


def call(url, secret, method='POST', body=None, timeout=config.API_TIMEOUT):
    """The JSON answer of a control route. Raises Refused for an error
    answer, urllib.error.URLError where nothing answers."""
    data = json.dumps(body).encode() if body is not None else None
    sent = control_secret.headers(secret)
    sent['Content-Type'] = 'application/json'
    request = urllib.request.Request(url, data=data, method=method,
                                     headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        message = error.read().decode(errors='replace')
        try:
            message = json.loads(message)['error']
        except (ValueError, KeyError, TypeError):
            pass
        raise Refused(error.code, message)
