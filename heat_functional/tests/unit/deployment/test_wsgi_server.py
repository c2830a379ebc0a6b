"""Unit tests of the loopback WSGI server (deployment/wsgi.py) that the
cells, keystone and the control channel answer on.

It keeps a connection for the client's next request, and still answers
each request with its own body only: a body the app leaves unread, or
reads without a size, never reaches into the next request. A response
without a length, an app's error and a request without a length end the
connection, as does a connection left idle. A small app on 127.0.0.1
with a kernel-chosen port; no Heat.
"""

import http.client
import logging
import threading

import pytest

from heat_functional.deployment import wsgi

LOG = logging.getLogger(__name__)


def _app(environ, start_response):
    """Echoes the body it reads; the path says how to answer."""
    path = environ['PATH_INFO']
    if path == '/boom':
        raise RuntimeError('the app failed')
    body = b''
    if path != '/ignore-body':
        body = environ['wsgi.input'].read()
    answer = b'%s|%s|%d' % (path.encode(), body,
                            threading.get_ident() % 100000)
    if path == '/no-length':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return iter([answer, b'!'])
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(answer)))])
    return [answer]


@pytest.fixture
def server():
    server = wsgi.make_server(_app, 0, LOG, 'test')
    thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _connect(server):
    return http.client.HTTPConnection('127.0.0.1', server.server_port,
                                      timeout=10)


def _ask(connection, method, path, body=None):
    connection.request(method, path, body=body)
    response = connection.getresponse()
    path, echoed, thread = response.read().split(b'|')
    return response, echoed, thread


def test_one_connection_carries_many_requests(server):
    connection = _connect(server)
    answers = [_ask(connection, 'GET', '/a') for _ in range(3)]
    assert {thread for _, _, thread in answers} == {answers[0][2]}
    assert all(response.version == 11 and not response.will_close
               for response, _, _ in answers)
    connection.close()


def test_each_request_reads_its_own_body_only(server):
    connection = _connect(server)
    assert _ask(connection, 'POST', '/a', b'first')[1] == b'first'
    # Left unread by the app: read away before the next request.
    assert _ask(connection, 'POST', '/ignore-body', b'x' * 70000)[1] == b''
    assert _ask(connection, 'PUT', '/b', b'second')[1] == b'second'
    assert _ask(connection, 'GET', '/c')[1] == b''
    connection.close()


def test_a_response_without_length_ends_the_connection(server):
    connection = _connect(server)
    response, echoed, _ = _ask(connection, 'GET', '/no-length')
    assert echoed == b''
    assert response.will_close
    # http.client opens a new connection for the next request.
    assert _ask(connection, 'GET', '/a')[0].status == 200
    connection.close()


def test_an_app_error_answers_500_and_ends_the_connection(server):
    connection = _connect(server)
    connection.request('GET', '/boom')
    response = connection.getresponse()
    response.read()
    assert response.status == 500
    assert response.will_close
    connection.close()


def test_an_http_1_0_client_gets_one_request(server):
    connection = _connect(server)
    connection._http_vsn, connection._http_vsn_str = 10, 'HTTP/1.0'
    response, _, _ = _ask(connection, 'GET', '/a')
    assert response.will_close
    connection.close()


def test_a_bad_length_is_refused(server):
    connection = _connect(server)
    connection.putrequest('POST', '/a')
    connection.putheader('Content-Length', 'many')
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    assert response.status == 400
    connection.close()


def test_an_idle_connection_is_closed(server, monkeypatch):
    monkeypatch.setattr(wsgi._KeepAliveHandler, 'timeout', 0.2)
    connection = _connect(server)
    _ask(connection, 'GET', '/a')
    connection.sock.settimeout(5)
    assert connection.sock.recv(1) == b''   # the server hung up
    connection.close()


def test_a_server_on_a_socket_bound_before_answers_on_its_port():
    """keystone's process serves on the socket its parent bound
    (keystone.loopback_socket): the port never was free for another."""
    from heat_functional.deployment.parts import keystone
    listener = keystone.loopback_socket()
    port = listener.getsockname()[1]
    server = wsgi.make_server(_app, 0, LOG, 'test', sock=listener)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                              daemon=True)
    thread.start()
    try:
        assert server.server_port == port
        connection = http.client.HTTPConnection('127.0.0.1', port,
                                                timeout=10)
        connection.request('POST', '/echo', body=b'hi')
        assert connection.getresponse().read().startswith(b'/echo|hi|')
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
