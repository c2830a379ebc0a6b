"""A finding's signature, and whether something already explains it.

A finding is one parity entry (parity.py: ``differences``, each with
its ``location`` and both paths' values) of a generated case's step,
with the step's kind (lifecycles.py), the paths whose case failed, and
the known bugs its flag checks met. Its signature says:

- which locations differ, generalised so that two findings of one bug
  match whatever the generator named things: a resource's logical path
  becomes ``R`` per level (``N`` for a group member's number; Heat's
  ``<stack>`` stays), an output's name ``O``: ``resources['right/one']
  .status`` and ``resources['b/0'].status`` are both
  ``resources['R/R'].status`` and ``resources['R/N'].status``;
- how they differ: each side's value kind (``absent``, ``null``, a
  status such as ``UPDATE_FAILED`` as is, an event sequence as its
  statuses, else the JSON type);
- at which kind of step (``action``: create, update or delete, or the
  stack action of a suite's step; and ``step``: the lifecycle's
  mutation, or the suite's step), and which paths failed.

``explain`` counts a finding as known when the shipped allowances
cover every difference (parity.allowance_matches, with the finding's
template and scenario), when its flag checks met a known bug
(known-bugs.yaml), or when a divergence of ``divergences/`` has the
same signature for what the allowances leave (its ``expected.json``:
per step the locations that differ and the cases that fail): same
action, same failing paths, and the same generalised locations (at
least those, where the record says they vary; an incomplete pair,
where it lists none). Exact records are tried first. Then a record's
``heat_log`` ({path: regular expression}), where it has one: the
error by which Heat names the divergence's cause (``Circular
Dependency Found`` for ``none_depends_on_swap``). A record with
``any_depth`` matches its locations at any depth of nesting
(``resources['R']`` is also ``resources['R/N/R']``): its cause strikes
inside nested stacks too (a match at the record's own depth comes
first). A record's ``shapes`` name its cause by its effect: a
finding of the same action and failing paths that shows each of them
(a generalised location with both paths' value kinds, such as
``stack`` ``ROLLBACK_COMPLETE`` on legacy and ``ROLLBACK_FAILED`` on
convergence) is that divergence, whatever else differs; a record whose
locations vary from run to run has nothing else to be known by. One
cause shows in many shapes (the step after the swap may fail, or roll
back and fail, or be a delete), and the log is what they share: a
finding whose Heat log lines of the step (heat_logs.py) match on every
path it names is that divergence, whatever its locations. A record's
``defined_with`` names its cause by the definition of the resources
it strikes (``condition``: legacy updates a resource with a condition
on every update): a finding of the same action and failing paths
whose differences are among the record's locations (at any depth) and
whose differing resources are all defined, in the step's templates
(the finding's ``definitions``, execute.py), with those keys, is that
divergence. A record's ``ended_within`` names its cause by the state
its step leaves on both paths and the kinds of difference it makes
there (``failed_update_keeps_old_template``: after an update that
fails on both paths, legacy shows the old template's outputs and
resources, convergence the new one's; which outputs and resources
differ depends on what the update adds and removes): a finding of the
same action and failing paths whose step ended in the record's
``status`` on every path, and each of whose differences has one of the
record's ``shapes`` (written at no particular depth: ``depth_free``),
is that divergence. Only what none explains is new. The order: exact
records, records whose locations vary, then ``defined_with``,
``ended_within`` and ``heat_log``, and last a record
of an incomplete step, which says least (nullable_if_false_on_update's
legacy hang, named by its Heat log, is also a bare incomplete update
failing on legacy, as failed_create_rolled_back's ``build`` is).
"""

import json
import os
import re

from heat_functional import config
from heat_functional import parity

STATUS = re.compile(r'[A-Z]+_[A-Z_]+')
TOKEN = re.compile(r"""\.?([A-Za-z_][A-Za-z0-9_]*)|\[('(?:[^'\\]|\\.)*'|"""
                   r'"(?:[^"\\]|\\.)*"|-?\d+)\]')
#: The key of a divergence's Heat-log signature in load_divergences.
HEAT_LOG = 'heat-log'
NAMED = {'resources': 'path', 'events': 'path', 'outputs': 'output',
         'replaced': 'path', 'restored': 'path'}


def tokens(location):
    """The keys of a parity location, in order."""
    found, position = [], 0
    while position < len(location):
        match = TOKEN.match(location, position)
        if not match:
            return [location]
        name, bracketed = match.groups()
        if name is not None:
            found.append(name)
        else:
            found.append(bracketed.strip('\'"'))
        position = match.end()
    return found


def generalise(location):
    """A location with names and numbers made generic (module doc)."""
    keys = tokens(location)
    if len(keys) < 2 or keys[0] not in NAMED:
        return location
    if NAMED[keys[0]] == 'output':
        name = 'O'
    else:
        name = '/'.join(part if part.startswith('<') else
                        ('N' if part.isdigit() else 'R')
                        for part in keys[1].split('/'))
    rest = ''.join('.' + key for key in keys[2:])
    return "%s['%s']%s" % (keys[0], name, rest)


def value_kind(value):
    if value == parity.ABSENT:
        return 'absent'
    if value is None:
        return 'null'
    if isinstance(value, str):
        return value if STATUS.fullmatch(value) else 'string'
    if isinstance(value, list) and value and all(
            isinstance(v, str) and STATUS.fullmatch(v) for v in value):
        return '[%s]' % ','.join(value)
    return {dict: 'map', list: 'list', bool: 'boolean'}.get(
        type(value), 'number')


def action_of(step):
    """create, update or delete, from a lifecycle step's kind or name;
    a suite's step is its own action (``action:suspend`` is
    ``suspend``, ``failure:concurrent/update-during-update`` is
    ``update-during-update``)."""
    if step.startswith(('action:', 'failure:')):
        return step.split(':', 1)[1].rsplit('/', 1)[-1]
    for action in ('create', 'delete'):
        if step.startswith(action):
            return action
    return 'update'


def shapes_of(differences):
    """The shapes of parity differences: each generalised location
    with both paths' value kinds, as (location, legacy, convergence)."""
    return {(generalise(d['location']), value_kind(d['legacy']),
             value_kind(d['convergence'])) for d in differences or []}


def signature(entry, step_kind, failing=()):
    """The signature of a parity entry at a step of `step_kind`."""
    differences = sorted(shapes_of(entry.get('differences')))
    return {'action': action_of(step_kind), 'step': step_kind,
            'failing': sorted(failing),
            'incomplete': bool(entry.get('incomplete')),
            'differences': [list(d) for d in differences]}


def key(sig):
    """A short text that two findings of the same signature share."""
    return json.dumps(sig, sort_keys=True)


def load_divergences(directory=None):
    """{(template, scenario): record} of divergences/expected.json:
    the step's action, its failing paths, its generalised locations,
    and how they compare (test_known_divergences reads the file so):
    ``exact``; ``vary`` (at least these); ``incomplete`` (none listed:
    one path left no observation to compare); and the record's
    ``shapes`` (generalised differences: a location with both paths'
    value kinds), which name its cause by its effect."""
    directory = directory or config.DIVERGENCES_DIR
    with open(os.path.join(directory, 'expected.json')) as f:
        expected = json.load(f)
    found = {}
    for template, record in sorted(expected.items()):
        vary = set(record.get('locations_vary') or [])
        failing = {}
        for case in record.get('failing') or []:
            scenario, path = case.rsplit(' ', 1)
            failing.setdefault(scenario, set()).add(path)
        if record.get('heat_log'):
            found[(template, HEAT_LOG)] = {
                'compare': HEAT_LOG, 'patterns': {
                    path: re.compile(pattern)
                    for path, pattern in record['heat_log'].items()}}
        for scenario in sorted(set(record.get('differences') or {}) |
                               set(failing)):
            locations = (record.get('differences') or {}).get(scenario)
            found[(template, scenario)] = {
                'any_depth': bool(record.get('any_depth')),
                'action': action_of(scenario.split('/')[-1]),
                'failing': sorted(failing.get(scenario, ())),
                'locations': sorted({generalise(x)
                                     for x in locations or []}),
                'shapes': sorted(tuple(shape) for shape in (
                    record.get('shapes') or {}).get(scenario, ())),
                'defined_with': sorted(record.get('defined_with') or ()),
                'ended_within': _ended_within(
                    (record.get('ended_within') or {}).get(scenario)),
                'compare': 'vary' if scenario in vary else (
                    'exact' if locations else 'incomplete'),
            }
    return found


def _ended_within(recorded):
    """A record's ``ended_within`` of one step, its shapes as a set of
    tuples; None where it has none."""
    if not recorded:
        return None
    return {'status': recorded['status'],
            'shapes': {tuple(shape) for shape in recorded['shapes']}}


def ended_within(sig, ended, divergence):
    """Whether a finding is a divergence by its ``ended_within`` (module
    doc): `ended`, {path: the stack status the finding's step ended in
    on it}. The record's shapes are depth-free (depth_free)."""
    wanted = divergence.get('ended_within')
    if not wanted or not same_step(sig, divergence):
        return False
    shown = {(depth_free(d[0]),) + tuple(d[1:]) for d in sig['differences']}
    return bool(shown) and shown <= wanted['shapes'] and all(
        (ended or {}).get(path) == wanted['status']
        for path in config.PATH_NAMES)


def same_step(sig, divergence):
    """Whether a signature is of a divergence's kind of step: the same
    action, the same failing paths."""
    return sig['action'] == divergence['action'] and \
        sig['failing'] == divergence['failing']


def matches_divergence(sig, divergence, at_depth=True):
    """Whether a signature is a recorded divergence's (module doc); with
    `at_depth` false, a record's ``any_depth`` is not used (a match at
    the record's own depth is preferred to one at any depth)."""
    if not same_step(sig, divergence):
        return False
    locations = {d[0] for d in sig['differences']}
    wanted = set(divergence['locations'])
    if divergence.get('any_depth') and at_depth:
        locations = {at_any_depth(x) for x in locations}
        wanted = {at_any_depth(x) for x in wanted}
    if divergence.get('shapes'):
        shown = {tuple(d) for d in sig['differences']}
        if shown >= {tuple(shape) for shape in divergence['shapes']}:
            return True
        if divergence['compare'] != 'exact':
            return False
    if divergence['compare'] == 'incomplete':
        return sig['incomplete'] or not locations
    if divergence['compare'] == 'vary':
        return locations >= wanted
    return locations == wanted


def defined_within(sig, named, definitions, divergence, at_depth=True):
    """Whether a finding is a divergence by its ``defined_with`` (module
    doc): `named`, the leaf names of the resources its differences name
    (None if one names no resource); `definitions`, {resource name: the
    keys of its definition} of the step's templates. With `at_depth`
    false, only at the record's own depth."""
    wanted_keys = set(divergence.get('defined_with') or ())
    if not wanted_keys or not named or definitions is None or \
            not same_step(sig, divergence):
        return False
    depth = at_any_depth if at_depth else (lambda location: location)
    locations = {depth(d[0]) for d in sig['differences']}
    wanted = {depth(x) for x in divergence['locations']}
    return bool(locations) and locations <= wanted and all(
        wanted_keys <= set(definitions.get(name) or ()) for name in named)


def resource_names(differences):
    """The leaf names of the resources differences name (``events
    ['group/0/conditional']`` names ``conditional``), or None when one
    of them names no resource."""
    names = set()
    for difference in differences:
        keys = tokens(difference['location'])
        if len(keys) < 2 or NAMED.get(keys[0]) != 'path':
            return None
        names.add(keys[1].split('/')[-1])
    return names


def depth_free(location):
    """A generalised location at no particular depth: a resource path
    becomes ``*``, a nested stack's own events ``*/<stack>``
    (``events['R/N/<stack>']`` is ``events['*/<stack>']``); the root's
    ``<stack>`` stays."""
    return re.sub(r"\['[RN](/[RN])*(/<stack>)?'\]",
                  lambda found: "['*/<stack>']" if found.group(2)
                  else "['*']", location)


def at_any_depth(location):
    """A generalised location with its resource path made depth-free:
    ``resources['R/N/R'].status`` is ``resources['*'].status`` (Heat's
    own ``<stack>`` levels kept)."""
    return re.sub(r"\['[RN](/[RN])*'\]", "['*']", location)


def explain(finding, allowances, divergences):
    """What already explains a finding: ('allowed', [ids]),
    ('known-bug', [ids]), ('divergence', 'template scenario') or
    ('new', None). A finding: template, scenario, step_kind, entry
    (its parity entry), failing (paths) and known_bugs (ids)."""
    entry = finding['entry']
    differences = parity.apply_allowances(
        allowances, finding['template'], finding['scenario'],
        [dict(d) for d in entry.get('differences') or []])
    left = [d for d in differences if not d['allowed_by']]
    if differences and not left and not finding.get('failing') and \
            not entry.get('incomplete'):
        return 'allowed', sorted({d['allowed_by'] for d in differences})
    if finding.get('known_bugs'):
        return 'known-bug', sorted(finding['known_bugs'])
    sig = unexplained_signature(finding, left)
    matched = _record_matching(sig, divergences, ('exact', 'vary'))
    if matched:
        return 'divergence', matched
    named = resource_names(left)
    for at_depth in (False, True):
        for name, divergence in sorted(divergences.items()):
            if defined_within(sig, named, finding.get('definitions'),
                              divergence, at_depth):
                return 'divergence', '%s %s' % name
    for name, divergence in sorted(divergences.items()):
        if ended_within(sig, finding.get('ended'), divergence):
            return 'divergence', '%s %s' % name
    for (template, _), divergence in sorted(divergences.items()):
        if divergence['compare'] == HEAT_LOG and \
                logged(finding, divergence['patterns']):
            return 'divergence', '%s %s' % (template, HEAT_LOG)
    # Last, as it says least (a step that left no observation on the
    # failing paths): a hang that one record's Heat log names matches
    # another record's bare incomplete step too.
    matched = _record_matching(sig, divergences, ('incomplete',))
    if matched:
        return 'divergence', matched
    return 'new', None


def _record_matching(sig, divergences, compares):
    """'template scenario' of the first record of those `compares` that
    the signature matches (records at their own depth first), or
    None."""
    for compare in compares:
        for at_depth in (False, True):
            for name, divergence in sorted(divergences.items()):
                if divergence['compare'] == compare and \
                        matches_divergence(sig, divergence, at_depth):
                    return '%s %s' % name
    return None


def logged(finding, patterns):
    """Whether each path's Heat logged, during the finding's step and
    about its stacks (heat_logs.py), what `patterns` ({path: regex})
    ask of it."""
    logs = finding.get('heat_logs') or {}
    return bool(patterns) and all(
        any(pattern.search(line)
            for line in (logs.get(path) or {}).get('lines') or ())
        for path, pattern in patterns.items())


def unexplained_signature(finding, left=None):
    """The signature of what no allowance covers in a finding."""
    entry = finding['entry']
    if left is None:
        left = [d for d in entry.get('differences') or []
                if not d.get('allowed_by')]
    return signature({'differences': left,
                      'incomplete': entry.get('incomplete')},
                     finding['step_kind'], finding.get('failing') or ())


def triage(findings, allowances, divergences):
    """Findings grouped: new ones first (one per signature, with how
    many findings share it), then the known ones counted by what
    explains them."""
    new, known = {}, {}
    for finding in findings:
        how, why = explain(finding, allowances, divergences)
        if how == 'new':
            sig = key(unexplained_signature(finding))
            new.setdefault(sig, []).append(finding)
        else:
            label = '%s: %s' % (how, why if isinstance(why, str)
                                else ', '.join(why))
            known[label] = known.get(label, 0) + 1
    return {'new': [{'signature': json.loads(sig), 'count': len(group),
                     'first': group[0]}
                    for sig, group in sorted(new.items())],
            'known': known}
