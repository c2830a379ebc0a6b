"""The loopback WSGI server that the cell and keystone processes share.

A threaded standard-library server (one thread per connection, daemon
threads, address reuse) whose request lines go to the process's log at
debug level instead of stderr. It speaks HTTP/1.1 and keeps connections
open between requests, as Heat's and keystone's own servers do: the
standard library's WSGI server answers one request per connection, and
a new connection for every request cost the harness's pollers, Heat's
calls to keystone and the servers themselves a connection and a thread
each time. And ``Tally``, which counts what an app
is asked, by whom, and the time and CPU it takes (keystone's process
uses it, so that the report can tell keystone's work for Heat from its
work for the harness).
"""

import collections
import io
import json
import re
import socket
import socketserver
import threading
import time
from wsgiref import simple_server

from heat_functional import config


class _ThreadingWSGIServer(socketserver.ThreadingMixIn,
                           simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Body(object):
    """A request's body: at most CONTENT_LENGTH bytes of the connection,
    so that the app cannot read into the next request; what it leaves
    unread is read away before the next (``drain``)."""

    def __init__(self, stream, length):
        self.stream = stream
        self.left = length

    def read(self, size=-1):
        return self._take(self.stream.read, size)

    def readline(self, size=-1):
        return self._take(self.stream.readline, size)

    def _take(self, reader, size):
        if size is None or size < 0 or size > self.left:
            size = self.left
        data = reader(size) if size else b''
        self.left -= len(data)
        return data

    def readlines(self, hint=-1):
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')

    def drain(self):
        while self.left and self.read(64 * 1024):
            pass


class _ServerHandler(simple_server.ServerHandler):
    """wsgiref's handler, answering in HTTP/1.1. The answer says
    ``Connection: close`` when it is the connection's last: the request
    handler says so already (an HTTP/1.0 client, a body without length),
    the answer has no length, or it is the app's error. ``reusable``
    says, once answered, whether the connection may carry another
    request."""

    http_version = '1.1'
    failed = False
    reusable = False

    def handle_error(self):
        self.failed = True
        super(_ServerHandler, self).handle_error()

    def cleanup_headers(self):
        super(_ServerHandler, self).cleanup_headers()
        if (self.failed or self.request_handler.close_connection or
                'Content-Length' not in self.headers):
            self.headers['Connection'] = 'close'

    def close(self):
        # wsgiref forgets the headers when it closes; look first.
        headers = self.headers
        self.reusable = bool(
            not self.failed and self.headers_sent and headers is not None
            and headers.get('Connection', '').lower() != 'close')
        super(_ServerHandler, self).close()


class _KeepAliveHandler(simple_server.WSGIRequestHandler):
    """WSGIRequestHandler's one request, repeated while the client keeps
    the connection: HTTP/1.1, each request's body bounded by its length.
    A connection is closed after a request whose length is not given, a
    response whose length is not given, an error, or HTTP_IDLE_TIMEOUT
    seconds without a request."""

    protocol_version = 'HTTP/1.1'
    timeout = config.HTTP_IDLE_TIMEOUT

    def handle(self):
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (socket.timeout, ConnectionError):
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ''
            self.send_error(414)
            self.close_connection = True
            return
        if not self.parse_request():  # it has answered, and says whether
            return                    # to close
        body = self._body()
        if body is None:
            return
        handler = _ServerHandler(body, self.wfile, self.get_stderr(),
                                 self.get_environ(), multithread=False)
        handler.request_handler = self
        handler.run(self.server.get_app())
        if not handler.reusable:
            self.close_connection = True
        elif isinstance(body, _Body):
            body.drain()
        self.wfile.flush()

    def _body(self):
        """The request's body as the app reads it (None: refused)."""
        length = self.headers.get('Content-Length')
        chunked = 'chunked' in self.headers.get('Transfer-Encoding', '')
        if chunked or (length is None and self.command in ('POST', 'PUT',
                                                           'PATCH')):
            # A body to be read to its end: this request is the last.
            self.close_connection = True
            return self.rfile
        try:
            return _Body(self.rfile, max(0, int(length or 0)))
        except ValueError:
            self.send_error(400, 'Bad Content-Length %r' % length)
            self.close_connection = True
            return None


def make_server(app, port, log, label, sock=None):
    """A server for app on 127.0.0.1:port (0: the kernel picks), or on
    `sock`, a socket already bound (handed down by the parent); each
    request is logged to `log` at debug level, prefixed with `label`."""
    class QuietHandler(_KeepAliveHandler):
        def log_message(self, fmt, *args):
            log.debug(label + ': ' + fmt, *args)

    if sock is None:
        return simple_server.make_server(
            '127.0.0.1', port, app, server_class=_ThreadingWSGIServer,
            handler_class=QuietHandler)
    server = _ThreadingWSGIServer(sock.getsockname(), QuietHandler,
                                  bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_address = sock.getsockname()
    server.server_name, server.server_port = server.server_address[:2]
    server.setup_environ()
    server.server_activate()
    server.set_app(app)
    return server


class Tally(object):
    """A WSGI app that counts the requests it passes on, the seconds they
    took and the CPU seconds the app spent on them, by what they ask
    (``request_kind``) and by who sent them (``requester``):

    - ``harness``: a request whose User-Agent starts with
      ``config.USER_AGENT`` (the harness's keystoneauth sessions say so),
      or a password authentication of a user of ``harness_users`` (names
      or ids: only the harness knows their passwords);
    - ``anonymous``: neither, and naming nobody (no token, no password):
      version discovery, whoever sent it;
    - ``heat``: the rest. Heat's own users (its service user, its stack
      domain admin, the users it makes for stacks), and Heat acting with
      a harness user's token: the trust it makes for each stack, the
      OS::Keystone::* resources.

    A request's CPU seconds are its thread's (``time.thread_time``): the
    app is entered by one request at a time (keystone's process makes
    sure), and does all of a request's work in the thread that called it.
    ``totals`` is what the report's performance splits keystone's CPU
    with; keystone's process also logs the ``summary`` when it stops.
    """

    def __init__(self, app, harness_users=(), harness_agent=None):
        self.app = app
        self.harness_users = set(harness_users)
        self.harness_agent = harness_agent or config.USER_AGENT
        self.counts = collections.Counter()
        self.seconds = collections.Counter()
        self.cpu_s = collections.Counter()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        kind, user = request_kind(environ)
        key = (self.requester(environ, user), kind)
        started, cpu_started = time.monotonic(), time.thread_time()
        try:
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.counts[key] += 1
                self.seconds[key] += time.monotonic() - started
                self.cpu_s[key] += time.thread_time() - cpu_started

    def requester(self, environ, password_user):
        if environ.get('HTTP_USER_AGENT', '').startswith(
                self.harness_agent) or password_user in self.harness_users:
            return 'harness'
        if not password_user and not environ.get('HTTP_X_AUTH_TOKEN'):
            return 'anonymous'
        return 'heat'

    def totals(self):
        """Per requester: ``requests``, ``seconds``, ``cpu_s``."""
        totals = {}
        with self.lock:
            for (who, kind), count in self.counts.items():
                into = totals.setdefault(who, {'requests': 0,
                                               'seconds': 0.0, 'cpu_s': 0.0})
                into['requests'] += count
                into['seconds'] += self.seconds[who, kind]
                into['cpu_s'] += self.cpu_s[who, kind]
        return {who: dict(t, seconds=round(t['seconds'], 3),
                          cpu_s=round(t['cpu_s'], 3))
                for who, t in totals.items()}

    def summary(self):
        """One line per requester and kind of request: count, seconds
        and CPU seconds, most CPU first."""
        with self.lock:
            keys = sorted(self.cpu_s, key=self.cpu_s.get, reverse=True)
            return '\n'.join('%6d %8.1f s %8.1f cpu s  %-9s %s' % (
                self.counts[k], self.seconds[k], self.cpu_s[k], k[0], k[1])
                for k in keys)


_ID = re.compile(r'/[0-9a-f]{32}(?=/|$)')


def request_kind(environ):
    """What a request asks for, and whose password it gives, if any:
    ``(kind, user)``. The kind is the method and route, ids taken out;
    for POST /v3/auth/tokens, how it authenticates. The user is the name
    (or id) a password authentication names, else None. The body, read
    for that, is put back for keystone."""
    route = _ID.sub('/ID', environ.get('PATH_INFO', ''))
    kind = '%s %s' % (environ.get('REQUEST_METHOD'), route)
    if kind != 'POST /v3/auth/tokens':
        return kind, None
    length = int(environ.get('CONTENT_LENGTH') or 0)
    body = environ['wsgi.input'].read(length)
    environ['wsgi.input'] = io.BytesIO(body)
    user = None
    try:
        auth = json.loads(body)['auth']
        identity = auth['identity']
        how = ','.join(identity['methods'])
        if 'password' in identity.get('methods', []):
            named = identity['password']['user']
            user = named.get('name') or named.get('id')
            how += ' of %s' % named.get('name', 'a user id')
        scope = auth.get('scope') or {}
        how += ' scoped to %s' % (','.join(sorted(scope)) or 'nothing')
    except (ValueError, KeyError, TypeError, AttributeError):
        how = 'unreadable body'
    return '%s (%s)' % (kind, how), user
