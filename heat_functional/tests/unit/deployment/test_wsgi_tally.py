"""Unit tests of wsgi.Tally: what keystone is asked, counted.

Ids leave the route; a token request says how it authenticates (whose
password, which scope) and its body still reaches the app whole; an
unreadable body is counted as such; the summary lists the most costly
kind first. No server is started.
"""

import io
import json

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
        'GET /v3/users/ID/projects'


def test_a_token_request_says_how_it_authenticates():
    environ = _environ('POST', '/v3/auth/tokens', _token_request(
        'heat', {'OS-TRUST:trust': {'id': 't'}}))
    assert wsgi.request_kind(environ) == \
        'POST /v3/auth/tokens (password of heat scoped to OS-TRUST:trust)'
    assert json.loads(environ['wsgi.input'].read())['auth']['scope'] == {
        'OS-TRUST:trust': {'id': 't'}}


def test_an_unreadable_token_request_is_counted_as_such():
    assert wsgi.request_kind(_environ('POST', '/v3/auth/tokens',
                                      b'not json')) == \
        'POST /v3/auth/tokens (unreadable body)'


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
    kinds = {line.split(' s  ', 1)[1]: int(line.split()[0])
             for line in tally.summary().splitlines()}
    assert kinds == {
        'POST /v3/auth/tokens (password of demo scoped to project)': 2,
        'GET /v3': 1}
