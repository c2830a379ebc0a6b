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
  header (``headers``), through the one client of the routes
  (``control.call``);
- a request without it, or with another one, is answered 403
  (``allows``: a constant-time comparison; ``forbidden``), as every
  route of ``control.Routes`` does.
"""

import hmac
import json
import secrets

from heat_functional.deployment import processes

HEADER = 'X-Heat-Functional-Control'
#: The header as a WSGI environ key.
ENVIRON_KEY = 'HTTP_' + HEADER.upper().replace('-', '_')
FILE_NAME = 'control-secret'
#: Random bytes in a secret (43 characters once encoded).
_BYTES = 32


class SecretMissing(RuntimeError):
    """The secret's file cannot be read (the deployment is gone?)."""


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
