"""Noise on both paths: compared by shape, and where to learn it cheaply.

Noise is a location of the observation whose value differs between two
runs of the SAME template, step and path (``repeats.learn_noise``).
Diffy (https://github.com/opendiffy/diffy) learns it the same way: it
sends each request to two instances of the same code (two "primaries")
and calls "noise" whatever differs between them; a difference between
the primary and the candidate at a noisy place says nothing about the
candidate. Here the legacy and the convergence path are each their own
primary: a location is **noisy on both paths** when runs of the legacy
path disagree there AND runs of the convergence path disagree there.

At such a location (``compare_by_shape``) the two paths' values are not
compared for equality but by shape: a parity difference there whose
values, every run of both paths, have one shape is no difference. It is
listed in its parity entry's ``noisy_by_shape`` (the location, each
path's values by run and the shape) and the report lists it under
"noisy on both paths, compared by shape". A shape difference stays a
difference. A location noisy on ONE path only is never excused: the
other path is stable there, so a difference says the paths behave
differently (it stays, marked ``flaky`` by ``repeats.mark_flaky``).

The shape rule (``shape``): two values have the same shape when they
have the same JSON type (absent, null, boolean, number, string, list,
mapping; integers and floats are one type, numbers) and

- strings: the same length and, at every position, the same character,
  except that ASCII letters and digits are one class: ``3f2a-9c`` and
  ``Zq0b-x1`` agree, ``abc`` and ``ab-`` or ``abcd`` do not. Letters and
  digits are one class because a random value draws from them: with a
  class per kind (digits, lower case, upper case) the shape of a random
  value would itself be random (a group of a uuid is all digits about
  one time in seven; a RandomString mixes cases and digits);
- lists: the same length and, in order, elements of the same shape;
- mappings: the same keys, each with values of the same shape.

Where the values come from: ``--repeat N`` runs every step N times.
Without it, the command line re-runs only the create of the templates
whose create differs (``second_pass_templates``; ``noise_pass.py``).
A later step of a lifecycle then ran once per path and has no noise of
its own: for it, the noise learned at that lifecycle's create counts
(``noisy_locations``), because the later steps act on the stack the
create made, and a value drawn at create (a RandomString) stays with it.
"""

import string

from heat_functional import config
from heat_functional import parity
from heat_functional import plan
from heat_functional.results import entry as entry_module
from heat_functional.results import pairing
from heat_functional.results import repeats

#: The characters that form one class in a string's shape.
ALPHANUMERIC = frozenset(string.ascii_letters + string.digits)

#: The title the report lists these locations under.
TITLE = 'noisy on both paths, compared by shape'


def shape(value):
    """The shape of a JSON value (see the module docstring): equal
    shapes compare equal, as nested tuples."""
    if isinstance(value, str) and value == parity.ABSENT:
        return ('absent',)
    if value is None:
        return ('null',)
    if isinstance(value, bool):
        return ('boolean',)
    if isinstance(value, (int, float)):
        return ('number',)
    if isinstance(value, str):
        return ('string', _string_runs(value))
    if isinstance(value, (list, tuple)):
        return ('list', tuple(shape(v) for v in value))
    if isinstance(value, dict):
        return ('mapping', tuple(sorted(
            ((str(k), shape(v)) for k, v in value.items()))))
    return ('other', type(value).__name__)


def _string_runs(text):
    """A string's runs: the length of each run of ASCII letters and
    digits (an int), every other run as its text (a str)."""
    runs, current, alphanumeric = [], '', None
    for character in text:
        kind = character in ALPHANUMERIC
        if current and kind != alphanumeric:
            runs.append(len(current) if alphanumeric else current)
            current = ''
        current += character
        alphanumeric = kind
    if current:
        runs.append(len(current) if alphanumeric else current)
    return tuple(runs)


def describe(found):
    """A shape as short text for the report: ``string A8-A4``,
    ``list[number, null]``, ``mapping{a: boolean}``."""
    kind = found[0]
    if kind == 'string':
        return 'string ' + ''.join(
            'A%d' % run if isinstance(run, int) else run
            for run in found[1]) if found[1] else 'string (empty)'
    if kind == 'list':
        return 'list[%s]' % ', '.join(describe(s) for s in found[1])
    if kind == 'mapping':
        return 'mapping{%s}' % ', '.join('%s: %s' % (k, describe(s))
                                         for k, s in found[1])
    return ' '.join(str(part) for part in found)


def same_shape(values):
    """Whether all the values have one shape (False for none)."""
    shapes = {shape(v) for v in values}
    return len(shapes) == 1


#: The lifecycle suite's create, the step the noise pass runs again.
LIFECYCLE = 'lifecycle'
CREATE = plan.scenario(LIFECYCLE, config.NOISE_PASS_STEP)


def noisy_locations(noise, runs, template, scenario, path):
    """The noise locations of (template, scenario) on `path`: those
    learned there when the step ran at least twice on the path; else,
    for a later step of a lifecycle, those learned at its create."""
    if len(runs.get((template, scenario, path), ())) < 2 and \
            plan.split_scenario(scenario)[0] == LIFECYCLE and \
            scenario != CREATE:
        scenario = CREATE
    return [n['location'] for n in noise
            if (n['template'], n['scenario'], n['path']) ==
            (template, scenario, path)]


def compare_by_shape(entries, noise, cases, paths):
    """The parity entries, where a difference lies at a location noisy
    on both paths and its values (every run of both paths) have one
    shape: that difference moved to the entry's ``noisy_by_shape``, and
    the entry made again from the differences left."""
    sides = pairing.parity_sides(paths)
    if not noise or sides is None:
        return entries
    runs = repeats.runs_by_key(cases)
    return [_by_shape(e, noise, runs, sides) if e.get('differences')
            else e for e in entries]


def _by_shape(entry, noise, runs, sides):
    template, scenario = entry['template'], entry['scenario']
    noisy = [noisy_locations(noise, runs, template, scenario, path)
             for path in sides]
    kept, excused = [], []
    for difference in entry['differences']:
        location = difference['location']
        values = [[repeats.value_at(case['observation'], location)
                   for case in runs.get((template, scenario, path), ())]
                  for path in sides]
        if all(values) and all(any(repeats.overlaps(location, n)
                                   for n in found) for found in noisy) \
                and same_shape(values[0] + values[1]):
            excused.append({
                'location': location, 'legacy': values[0],
                'convergence': values[1],
                'shape': describe(shape(values[0][0])),
                'allowed_by': difference.get('allowed_by')})
        else:
            kept.append(difference)
    if not excused:
        return entry
    made = entry_module.make(template, scenario, kept,
                             comparisons=entry.get('comparisons'))
    made['noisy_by_shape'] = excused
    return made


def second_pass_templates(report):
    """The templates whose create's parity comparison differs (an
    allowance covering the difference or not: noise may explain it
    better), in the report's order: those whose create the noise pass
    runs again."""
    chosen = []
    for entry in report.get('parity') or []:
        if entry['scenario'] == CREATE and entry.get('differences') and \
                entry['template'] not in chosen:
            chosen.append(entry['template'])
    return chosen


def listed(report):
    """(entry, location) for every location of the report compared by
    shape, in the order of its parity entries."""
    return [(e, found) for e in report.get('parity') or []
            for found in e.get('noisy_by_shape') or []]
