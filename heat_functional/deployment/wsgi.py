"""The loopback WSGI server that the cell and keystone processes share.

A threaded standard-library server (one thread per request, daemon
threads, address reuse) whose request lines go to the process's log at
debug level instead of stderr.
"""

import socketserver
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
