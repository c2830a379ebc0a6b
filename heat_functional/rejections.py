"""Rejections: a request Heat refused, as an observation and a check.

Heat refuses some templates by design (a facade that does not match its
provider, a failed constraint: 400). A sidecar declares such a step with
``expect: {rejected: <HTTP status>, error: <substring>}``
(``corpus.Step.expected_rejection``). The refusal is then the step's
outcome: ``observe`` makes it an observation that the two paths are
compared on like any other (the HTTP status, Heat's error type, and
Heat's message with what differs between any two stacks replaced: ids,
the stack's name, the template directory's URL); ``problems`` checks it
against the declaration. A refusal nobody declared is a problem that
names what Heat said; a declared refusal that did not come is one too.
"""

import re

#: What stands for a uuid (a stack's or resource's id) in a message.
ID = '<id>'
UUID = re.compile(r'[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}')
#: What stands for the case's own stack name in a message.
STACK_NAME = '<stack name>'


def normalised(message, stack_name=None, base_url=None):
    """Heat's message without what differs between any two stacks."""
    message = message or ''
    if base_url:
        message = message.replace(base_url, '')
    if stack_name:
        message = message.replace(stack_name, STACK_NAME)
    return UUID.sub(ID, message)


def observe(rejected, stack_name=None, base_url=None):
    """The observation of a refused request (a ``client.Rejected``)."""
    return {'status': rejected.status, 'error': rejected.error_type,
            'message': normalised(rejected.heat_message, stack_name,
                                  base_url)}


def problems(expected, rejected, where):
    """What differs from the declared rejection (`expected`, as
    ``Step.expected_rejection``, or None) in the refusal `rejected` (a
    ``client.Rejected``), one message each; `where` names the step."""
    said = '%s%s: %s' % (rejected.status, ' (%s)' % rejected.error_type
                         if rejected.error_type else '',
                         rejected.heat_message)
    if expected is None:
        return ['%s: Heat rejected the request, which the sidecar does not '
                'declare (expect: rejected): Heat answered %s'
                % (where, said)]
    found = []
    if rejected.status != expected['status']:
        found.append('%s: rejected with %s, expected %s: Heat answered %s'
                     % (where, rejected.status, expected['status'], said))
    text = '%s: %s' % (rejected.error_type, rejected.heat_message)
    if expected.get('error') and expected['error'] not in text:
        found.append('%s: the rejection does not say %r: Heat answered %s'
                     % (where, expected['error'], said))
    return found


def accepted(expected, where, status):
    """The problem of a declared rejection that Heat did not make: the
    request was accepted and the stack ended `status`."""
    return ['%s: Heat accepted the request (the stack ended %s), but the '
            'sidecar declares that it rejects it with %s%s'
            % (where, status, expected['status'],
               ' saying %r' % expected['error'] if expected.get('error')
               else '')]
