"""Repeated runs: noise learned from them, parity over them, flaky marks.

``heat-functional run --repeat N`` runs every lifecycle N times per path,
each repetition on a fresh stack of its own (case ids end ``-r1`` ...
``-rN``; each case record has its ``repetition``). From those runs:

- **noise** (``learn_noise``): a location of the observation whose value
  differs between runs of the SAME template, step and path. Nothing about
  the other path is involved, so it is never a parity difference; the
  report lists each, with the value of every run, so that it can become
  a normalisation rule with a reason.
- **parity over repetitions** (``compare_runs``): every run of one path
  against every run of the other. For a location that is not noise on
  either path, all runs of a path agree there, so this finds exactly
  what comparing run k with run k finds; where a location is noise, it
  finds a difference whenever ANY pair of runs shows one, instead of
  depending on which runs happened to share a number. Each difference is
  listed once, with how many of the comparisons showed it.
- **flaky differences** (``mark_flaky``): a parity difference at a
  location that is also noise (the same location, or one inside the
  other) is marked ``flaky: true``. It is still a difference: the gate
  fails on it unless an allowance covers it. Noise only explains, it
  never excuses.

With one run per path (``--repeat 1``, the default) there is no noise,
``compare_runs`` is ``entry.compare`` and nothing is marked.
"""

import collections

from heat_functional import parity
from heat_functional.results import entry as entry_module


def repetition(case):
    """A case's repetition number (1 for records without one)."""
    return case.get('repetition') or 1


def within(inner, outer):
    """Whether location `inner` is `outer` or lies inside it."""
    return inner == outer or inner.startswith(outer + '.') or \
        inner.startswith(outer + '[')


def overlaps(first, second):
    return within(first, second) or within(second, first)


def value_at(observation, location):
    """The value at a location (as ``parity.differences`` names them) of
    an observation; ``parity.ABSENT`` where there is none."""
    if location == '<root>':
        return observation
    value, here = observation, ''
    while here != location:
        if not isinstance(value, dict):
            return parity.ABSENT
        for key in value:
            child = parity.location_of(here, key)
            if within(location, child):
                value, here = value[key], child
                break
        else:
            return parity.ABSENT
    return value


def _outermost(locations):
    """The locations that lie inside no other one, in their order."""
    return [loc for loc in locations
            if not any(other != loc and within(loc, other)
                       for other in locations)]


def runs_by_key(cases):
    """(template, scenario, path) -> that key's cases with an
    observation, by repetition."""
    runs = collections.OrderedDict()
    for case in sorted(cases, key=repetition):
        if case.get('observation') is None:
            continue
        runs.setdefault((case['template'], case['scenario'], case['path']),
                        []).append(case)
    return runs


def learn_noise(cases):
    """One entry per location whose value differs between runs of one
    (template, scenario, path): template, scenario, path, location, the
    repetitions compared and the value of each (``values``)."""
    noise = []
    for (template, scenario, path), runs in runs_by_key(cases).items():
        if len(runs) < 2:
            continue
        first = runs[0]['observation']
        # Where runs differ, some run differs from the first one.
        locations = []
        for other in runs[1:]:
            for difference in parity.differences(first,
                                                 other['observation']):
                if difference['location'] not in locations:
                    locations.append(difference['location'])
        for location in _outermost(locations):
            noise.append({
                'template': template, 'scenario': scenario, 'path': path,
                'location': location,
                'repetitions': [repetition(r) for r in runs],
                'values': [value_at(r['observation'], location)
                           for r in runs],
            })
    return noise


def compare_runs(template, scenario, legacy, convergence, allowances=()):
    """A parity entry for one (template, scenario) from every legacy
    observation against every convergence observation (lists, in
    repetition order). One observation each: exactly ``entry.compare``.

    Allowances are applied to each comparison on its own: a difference
    is excused only where one allowance covers it in EVERY comparison
    that shows it (``allowed_in`` counts those it covered). Where some
    comparison is not covered, the entry shows that comparison's values.
    """
    if len(legacy) == 1 and len(convergence) == 1:
        return entry_module.compare(template, scenario, legacy[0],
                                    convergence[0], allowances)
    merged = collections.OrderedDict()
    for left in legacy:
        for right in convergence:
            found = parity.allowed_differences(
                allowances, template, scenario, left, right)
            for difference in found:
                _merge(merged, difference)
    for difference in merged.values():
        ids = difference.pop('allowed_ids')
        covered = len(ids) == 1 and \
            difference['allowed_in'] == difference['seen_in']
        difference['allowed_by'] = ids.pop() if covered else None
    return entry_module.make(template, scenario, list(merged.values()),
                             comparisons=len(legacy) * len(convergence))


def _merge(merged, difference):
    """Count one comparison's difference into the merged one at its
    location, keeping the values of a comparison no allowance covers."""
    location = difference['location']
    known = merged.get(location)
    if known is None:
        known = merged[location] = dict(difference, seen_in=0, allowed_in=0,
                                        allowed_ids=set())
    elif not difference['allowed_by'] and known['allowed_by']:
        known.update(legacy=difference['legacy'],
                     convergence=difference['convergence'], allowed_by=None)
    known['seen_in'] += 1
    if difference['allowed_by']:
        known['allowed_in'] += 1
        known['allowed_ids'].add(difference['allowed_by'])
    else:
        known['allowed_by'] = None


def mark_flaky(entries, noise):
    """Mark each difference of the parity (or reference) entries whose
    location overlaps a noise location of the same template and scenario
    (a reference entry: its reference's scenario) with ``flaky: true``,
    and count them in the entry's ``flaky``. Returns the entries."""
    noisy = collections.defaultdict(list)
    for entry in noise:
        noisy[(entry['template'], entry['scenario'])].append(
            entry['location'])
    if not noisy:
        return entries
    for entry in entries:
        scenario = (entry.get('reference') or {}).get('scenario',
                                                      entry['scenario'])
        locations = noisy.get((entry['template'], scenario), [])
        flaky = 0
        for difference in entry.get('differences') or []:
            if any(overlaps(difference['location'], loc)
                   for loc in locations):
                difference['flaky'] = True
                flaky += 1
        if flaky:
            entry['flaky'] = flaky
    return entries


def flaky_count(entry):
    """Flaky differences of an entry that no allowance covers."""
    return sum(1 for d in entry.get('differences') or []
               if d.get('flaky') and not d.get('allowed_by'))
