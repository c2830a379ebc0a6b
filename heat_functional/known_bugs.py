"""The Heat bugs the harness knows, read from ``known-bugs.yaml``.

Two kinds, each entry with its reason, its source and its evidence:

- bugs that explain a flag (``rule`` names the code that recognises the
  stacks they explain: flag_lifecycle.py);
- races that make Heat answer at random (``resend``: the HTTP status and
  a pattern of what Heat said). A request Heat rejects that way, or a
  stack whose output error matches, is sent or read again, up to
  config.RACE_RESENDS times (client.StackDriver); only an answer that
  went away on a later try is a race met, recorded in the case's
  ``known_races``. An answer that comes back every time is the
  template's, and stays what Heat said.

The report lists every entry with the cases that met it; an entry met
blocks "the default may change" unless it says ``blocks_default: false``
(with why).
"""

import functools
import re

from heat_functional import config


def load(path=config.KNOWN_BUGS_FILE):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f) or []


@functools.lru_cache(maxsize=None)
def _races(path):
    return tuple((bug['id'], bug['resend'].get('status'),
                  re.compile(bug['resend']['message']))
                 for bug in load(path) if bug.get('resend'))


def race(message, status=None, path=config.KNOWN_BUGS_FILE):
    """The id of the known race that explains what Heat said (`message`,
    answered with HTTP `status`, or None for an output's error), or
    None."""
    for bug_id, wanted, pattern in _races(path):
        if (wanted is None or status is None or wanted == status) and \
                pattern.search(message or ''):
            return bug_id
    return None


def seen(cases, known_bugs):
    """Each known bug with the stacks, requests and cases that showed
    it."""
    entries = []
    for bug in known_bugs:
        stacks = [(c['id'], s['id']) for c in cases
                  for s in c.get('stacks', []) if s.get('known_bug') ==
                  bug['id']]
        resent = [c['id'] for c in cases
                  for r in c.get('known_races') or ()
                  if r.get('bug') == bug['id']]
        met = {case for case, _ in stacks} | set(resent)
        entries.append(dict(bug, seen=bool(met), stacks=len(stacks),
                            resends=len(resent), cases=sorted(met)))
    return entries


def blocking(bugs):
    """The bugs seen that keep the default from changing."""
    return [b for b in bugs if b['seen'] and b.get('blocks_default', True)]


def counts(bug):
    """How often the bug showed: '3 stacks, 1 requests resent'."""
    shown = []
    if bug.get('stacks'):
        shown.append('%d stacks' % bug['stacks'])
    if bug.get('resends'):
        shown.append('%d requests resent' % bug['resends'])
    return ', '.join(shown) or 'not seen'


def describe(bug):
    """One line: what the bug is and how often it showed."""
    return 'known Heat bug %s: %s (%s)' % (
        bug['id'], ' '.join(str(bug.get('title') or '').split()),
        counts(bug))
