"""Unit tests of wsgi.Tally: what keystone is asked, counted.

Ids leave the route; a token request says how it authenticates (whose
password, which scope) and its body still reaches the app whole; an
unreadable body is counted as such; requests are told apart by who asked
(the harness's User-Agent, or a harness user's password); the summary
lists the most costly kind first. No server is started.
"""

import io
import json
import time

from heat_functional.deployment import wsgi

USER_ID = '0123456789abcdef0123456789abcdef'


def _environ(method, path, body=None):
    data = json.dumps(body).encode() if isinstance(body, dict) else \
        (body or b'')
    return {'REQUEST_METHOD': method, 'PATH_INFO': path,
            'CONTENT_LENGTH': str(len(data)), 'wsgi.input': io.BytesIO(data)}


def _token_request(user, scope):
    return {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'password': 'pw'}}}, 'scope': scope}}


def test_ids_leave_the_route():
    assert wsgi.request_kind(_environ(
        'GET', '/v3/users/%s/projects' % USER_ID)) == \
        ('GET /v3/users/ID/projects', None)


def test_a_token_request_says_how_it_authenticates():
    environ = _environ('POST', '/v3/auth/tokens', _token_request(
        'heat', {'OS-TRUST:trust': {'id': 't'}}))
    assert wsgi.request_kind(environ) == (
        'POST /v3/auth/tokens (password of heat scoped to OS-TRUST:trust)',
        'heat')
    assert json.loads(environ['wsgi.input'].read())['auth']['scope'] == {
        'OS-TRUST:trust': {'id': 't'}}


def test_an_unreadable_token_request_is_counted_as_such():
    assert wsgi.request_kind(_environ('POST', '/v3/auth/tokens',
                                      b'not json')) == \
        ('POST /v3/auth/tokens (unreadable body)', None)


def test_the_tally_counts_and_passes_the_body_on():
    seen = []

    def app(environ, start_response):
        seen.append(environ['wsgi.input'].read())
        return [b'{}']
    tally = wsgi.Tally(app)
    body = _token_request('demo', {'project': {'name': 'p'}})
    for _ in range(2):
        tally(_environ('POST', '/v3/auth/tokens', body), None)
    tally(_environ('GET', '/v3'), None)
    assert seen[0] == json.dumps(body).encode()
    kinds = {line.split(' cpu s  ', 1)[1]: int(line.split()[0])
             for line in tally.summary().splitlines()}
    assert kinds == {
        'heat      POST /v3/auth/tokens (password of demo scoped to '
        'project)': 2,
        'anonymous GET /v3': 1}


def test_requests_are_told_apart_by_who_sent_them():
    tally = wsgi.Tally(lambda environ, start_response: [b'{}'],
                       harness_users={'tester', USER_ID}, harness_agent='hf')
    # Only the harness knows its users' passwords.
    tally(_environ('POST', '/v3/auth/tokens', _token_request(
        'tester', {'project': {'name': 'p'}})), None)
    # The harness's sessions name it in their User-Agent.
    marked = _environ('GET', '/v3/projects/%s' % USER_ID)
    marked.update(HTTP_USER_AGENT='hf/1.0 keystoneauth1/5',
                  HTTP_X_AUTH_TOKEN='t')
    tally(marked, None)
    # Heat's users, and Heat using a harness user's token (its trusts).
    tally(_environ('POST', '/v3/auth/tokens', _token_request(
        'heat', {'OS-TRUST:trust': {'id': 't'}})), None)
    trust = _environ('POST', '/v3/OS-TRUST/trusts', {'trust': {}})
    trust.update(HTTP_USER_AGENT='heat_all.py keystoneauth1/5',
                 HTTP_X_AUTH_TOKEN='token of tester')
    tally(trust, None)
    # Naming nobody: version discovery.
    tally(_environ('GET', '/'), None)
    totals = tally.totals()
    assert {who: t['requests'] for who, t in totals.items()} == {
        'harness': 2, 'heat': 2, 'anonymous': 1}
    assert all(t['cpu_s'] >= 0 and t['seconds'] >= 0
               for t in totals.values())


def test_a_requests_cpu_is_its_threads():
    def busy(environ, start_response):
        deadline = time.thread_time() + 0.05
        while time.thread_time() < deadline:
            pass
        return [b'{}']
    tally = wsgi.Tally(busy)
    tally(_environ('GET', '/'), None)
    assert tally.totals()['anonymous']['cpu_s'] >= 0.05
