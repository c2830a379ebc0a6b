"""The per-run secret that guards the harness's control routes.

The cells' ``/harness/*`` routes and the devstack-like deployment's
control server restart engines and migrate stacks. They listen on
loopback, where any local user could reach them; the secret keeps them
to the run that started them:

- the deployment's owner makes one random secret per run (``create``)
  in a file only its user may read, in the deployment's private work
  directory; a server is given that file's path (never the secret) on
  its command line, and the description names it for the callers;
- every caller sends the secret in the ``X-Heat-Functional-Control``
  header (``headers``), through the one client of the routes (``call``);
- a request without it, or with another one, is answered 403
  (``guard``, ``allows``: a constant-time comparison).
"""

import hmac
import json
import secrets
import urllib.error
import urllib.request

from heat_functional import config
from heat_functional.deployment import processes

HEADER = 'X-Heat-Functional-Control'
#: The header as a WSGI environ key.
ENVIRON_KEY = 'HTTP_' + HEADER.upper().replace('-', '_')
FILE_NAME = 'control-secret'
#: Random bytes in a secret (43 characters once encoded).
_BYTES = 32


class SecretMissing(RuntimeError):
    """The secret's file cannot be read (the deployment is gone?)."""


class Refused(RuntimeError):
    """A control route answered with an error: its HTTP status and its
    message (the answer's ``error``, or the answer's text)."""

    def __init__(self, code, message):
        super(Refused, self).__init__(message)
        self.code = code
        self.message = message


def call(url, secret, method='POST', body=None, timeout=config.API_TIMEOUT):
    """The JSON answer of a control route. Raises Refused for an error
    answer, urllib.error.URLError where nothing answers."""
    data = json.dumps(body).encode() if body is not None else None
    sent = headers(secret)
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
        except (ValueError, KeyError):
            pass
        raise Refused(error.code, message)


def create(directory):
    """Write a new secret into a private file of `directory`; its path."""
    return processes.write_private(directory, FILE_NAME,
                                   secrets.token_urlsafe(_BYTES))


def read(path):
    """The secret in `path`; SecretMissing names the file if it cannot."""
    try:
        with open(path) as f:
            secret = f.read().strip()
    except (OSError, TypeError) as error:
        raise SecretMissing('cannot read the run\'s control secret (%s): '
                            '%s' % (path, error))
    if not secret:
        raise SecretMissing('the run\'s control secret file %s is empty'
                            % path)
    return secret


def headers(secret):
    """The request header that carries the secret."""
    return {HEADER: secret}


def allows(environ, secret):
    """Whether a WSGI request carries exactly `secret`."""
    given = environ.get(ENVIRON_KEY, '')
    return bool(secret) and hmac.compare_digest(
        given.encode('utf-8', 'replace'), secret.encode('utf-8'))


def forbidden(start_response):
    """A 403 answer naming the header it lacks."""
    payload = json.dumps({'error': 'this route needs the run\'s control '
                          'secret in the %s header' % HEADER}).encode()
    start_response('403 Forbidden',
                   [('Content-Type', 'application/json'),
                    ('Content-Length', str(len(payload)))])
    return [payload]


def guard(app, secret):
    """`app`, answering 403 to any request without `secret`."""
    def guarded(environ, start_response):
        if not allows(environ, secret):
            return forbidden(start_response)
        return app(environ, start_response)
    return guarded
