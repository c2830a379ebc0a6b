"""The loopback WSGI server that the cell and keystone processes share.

A threaded standard-library server (one thread per request, daemon
threads, address reuse) whose request lines go to the process's log at
debug level instead of stderr; and ``Tally``, which counts what an app
is asked and the time it takes (keystone's process uses it).
"""

import collections
import io
import json
import re
import socketserver
import threading
import time
from wsgiref import simple_server


class _ThreadingWSGIServer(socketserver.ThreadingMixIn,
                           simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(app, port, log, label):
    """A server for app on 127.0.0.1:port (0: the kernel picks); each
    request is logged to `log` at debug level, prefixed with `label`."""
    class QuietHandler(simple_server.WSGIRequestHandler):
        def log_message(self, fmt, *args):
            log.debug(label + ': ' + fmt, *args)

    return simple_server.make_server(
        '127.0.0.1', port, app, server_class=_ThreadingWSGIServer,
        handler_class=QuietHandler)


class Tally(object):
    """A WSGI app that counts the requests it passes on, and the seconds
    they took, by what they ask (``request_kind``). keystone's process
    logs the ``summary`` when it stops: which share of keystone's work
    Heat causes (its trusts, its stack domain users) and which the
    harness does (its clients' tokens)."""

    def __init__(self, app):
        self.app = app
        self.counts = collections.Counter()
        self.seconds = collections.Counter()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        kind = request_kind(environ)
        started = time.monotonic()
        try:
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.counts[kind] += 1
                self.seconds[kind] += time.monotonic() - started

    def summary(self):
        """One line per kind of request: count and seconds, most first."""
        with self.lock:
            kinds = sorted(self.seconds, key=self.seconds.get,
                           reverse=True)
            return '\n'.join('%6d %8.1f s  %s' % (
                self.counts[k], self.seconds[k], k) for k in kinds)


_ID = re.compile(r'/[0-9a-f]{32}(?=/|$)')


def request_kind(environ):
    """What a request asks for: method and route, ids taken out; for
    POST /v3/auth/tokens, how it authenticates. The body, read for that,
    is put back for keystone."""
    route = _ID.sub('/ID', environ.get('PATH_INFO', ''))
    kind = '%s %s' % (environ.get('REQUEST_METHOD'), route)
    if kind != 'POST /v3/auth/tokens':
        return kind
    length = int(environ.get('CONTENT_LENGTH') or 0)
    body = environ['wsgi.input'].read(length)
    environ['wsgi.input'] = io.BytesIO(body)
    try:
        auth = json.loads(body)['auth']
        identity = auth['identity']
        how = ','.join(identity['methods'])
        if 'password' in identity.get('methods', []):
            how += ' of %s' % identity['password']['user'].get(
                'name', 'a user id')
        scope = auth.get('scope') or {}
        how += ' scoped to %s' % (','.join(sorted(scope)) or 'nothing')
    except (ValueError, KeyError, TypeError, AttributeError):
        how = 'unreadable body'
    return '%s (%s)' % (kind, how)
