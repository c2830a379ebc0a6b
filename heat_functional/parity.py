"""Parity: the differences between two paths' observations, and allowances.

``differences(legacy, convergence)`` is a pure function: it walks both
observations and returns one entry per place where they differ, with the
place's location (``outputs.value``, ``resources['group/0'].status``) and
both values. Mappings are compared key by key; anything else (strings,
numbers, lists such as a resource's event sequence) is compared whole. A
key present on one side only is reported with ``ABSENT`` on the other.

An *allowance* excuses differences that are documented behaviour of Heat.
Each lives in ``parity-allowances.yaml`` with a scope (template and
scenario patterns, one location pattern or a list of them, and optionally
patterns of the two values' JSON text, where ``*`` is the only wildcard),
a written reason with its source, and the differences it was written for
(``examples``, which the unit tests hold it to: nothing beside them);
``apply_allowances`` marks which allowance covers which difference, and
``stale_allowances`` lists those that covered nothing in a run.

The entry a comparison makes in the report is built in
``results/entry.py``.
"""

import json
import re

import yaml

ABSENT = '<absent>'
ALLOWANCE_KEYS = ('id', 'template', 'scenario', 'location', 'legacy',
                  'convergence', 'convergence_appends', 'repeated', 'reason',
                  'source', 'examples')


class AllowanceError(ValueError):
    """The allowances file is malformed; the message says where."""


def location_of(parent, key):
    """The location of `key` inside the location `parent`."""
    if isinstance(key, str) and key.isidentifier():
        return '%s.%s' % (parent, key) if parent else key
    return '%s[%r]' % (parent, key)


def differences(legacy, convergence, location=''):
    """Where two observations differ: a list of location/legacy/convergence.
    """
    if isinstance(legacy, dict) and isinstance(convergence, dict):
        found = []
        for key in sorted(set(legacy) | set(convergence), key=str):
            found.extend(differences(legacy.get(key, ABSENT),
                                     convergence.get(key, ABSENT),
                                     location_of(location, key)))
        return found
    if legacy == convergence:
        return []
    return [{'location': location or '<root>', 'legacy': legacy,
             'convergence': convergence}]


def load_allowances(path):
    """The allowances in a YAML file: a list of mappings (see module doc)."""
    try:
        with open(path) as f:
            entries = yaml.safe_load(f) or []
    except OSError:
        return []
    except yaml.YAMLError as err:
        raise AllowanceError('%s: not valid YAML: %s' % (path, err))
    if not isinstance(entries, list):
        raise AllowanceError('%s: expected a list of allowances' % path)
    for number, entry in enumerate(entries, 1):
        where = '%s: allowance %d' % (path, number)
        if not isinstance(entry, dict):
            raise AllowanceError('%s: expected a mapping' % where)
        unknown = set(entry) - set(ALLOWANCE_KEYS)
        if unknown:
            raise AllowanceError('%s: unknown key(s) %s' % (
                where, ', '.join(sorted(unknown))))
        for required in ('id', 'location', 'reason', 'source'):
            if not str(entry.get(required) or '').strip():
                raise AllowanceError('%s: %r is required: an allowance '
                                     'needs a written reason and a source'
                                     % (where, required))
        repeated = entry.get('repeated')
        if repeated is not None and not (
                'convergence_appends' in entry and type(repeated) is int
                and repeated >= 1):
            raise AllowanceError('%s: repeated must be a whole number of '
                                 'at least 1, with convergence_appends'
                                 % where)
        locations = entry['location']
        if isinstance(locations, list) and not (locations and all(
                isinstance(p, str) and p for p in locations)):
            raise AllowanceError('%s: location must be a pattern or a '
                                 'non-empty list of patterns' % where)
    return entries


def location_patterns(allowance):
    """An allowance's location patterns: one, or the listed ones."""
    locations = allowance['location']
    return locations if isinstance(locations, list) else [locations]


def pattern_matches(pattern, text):
    """Whether text matches pattern, where ``*`` stands for any run of
    characters and everything else is literal (locations hold brackets
    and quotes, so shell-style ``[...]`` classes would get in the way)."""
    regex = '.*'.join(re.escape(part) for part in pattern.split('*'))
    return re.fullmatch(regex, text) is not None


def _value_text(value):
    return json.dumps(value, sort_keys=True)


def allowance_matches(allowance, template, scenario, difference):
    """Whether an allowance's scope covers a difference: its template,
    scenario and location patterns, and, where given, patterns of the
    legacy and convergence values (matched against their JSON text)."""
    return (pattern_matches(allowance.get('template', '*'), template) and
            pattern_matches(allowance.get('scenario', '*'), scenario) and
            any(pattern_matches(pattern, difference['location'])
                for pattern in location_patterns(allowance))
            and all(pattern_matches(allowance[side],
                                    _value_text(difference[side]))
                    for side in ('legacy', 'convergence')
                    if side in allowance)
            and _appends(allowance.get('convergence_appends'),
                         allowance.get('repeated'), difference))


def _appends(tail, repeated, difference):
    """With ``convergence_appends`` (a list), the convergence value must
    be exactly the legacy value (a list) followed by that list; with
    ``repeated`` (a number), followed by that list that many times or
    more."""
    if tail is None:
        return True
    legacy, convergence = difference['legacy'], difference['convergence']
    if not (isinstance(legacy, list) and isinstance(convergence, list)):
        return False
    tail = list(tail)
    added = convergence[len(legacy):]
    times = len(added) // len(tail) if tail else 0
    return (convergence[:len(legacy)] == legacy and added == tail * times
            and (times >= repeated if repeated else times == 1))


def apply_allowances(allowances, template, scenario, found):
    """Mark each difference with the id of the allowance covering it."""
    for difference in found:
        difference['allowed_by'] = None
        for allowance in allowances:
            if allowance_matches(allowance, template, scenario, difference):
                difference['allowed_by'] = allowance['id']
                break
    return found


def allowed_differences(allowances, template, scenario, legacy,
                        convergence):
    """The differences of two observations, each marked with the
    allowance covering it, if any."""
    return apply_allowances(allowances, template, scenario,
                            differences(legacy, convergence))


def stale_allowances(allowances, entries):
    """Allowances that covered no difference in these parity entries."""
    used = {a for entry in entries for a in entry.get('allowed_by', [])}
    return [a['id'] for a in allowances if a['id'] not in used]
