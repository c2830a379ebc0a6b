"""Pairing: which cases are compared with which, and their entries.

A parity suite's case (``lifecycle``, ``actions``, ``failures``...) is
one side of a pair: the same template and scenario on the legacy and on
the convergence path (``pair_cases``; ``parity_sides`` says which path
is which). ``compare_pairs`` compares each pair's observations; with
``--repeat``, every run of one path against every run of the other
(``repeats.compare_runs``). A flag lifecycle case names a reference case
instead (``reference``), and ``compare_references`` compares it with
that case. Both make their entries with ``entry.make``.
"""

import collections

from heat_functional import config
from heat_functional.results import entry
from heat_functional.results import repeats


def is_paired(case):
    """Whether a case is one side of a legacy/convergence pair (the
    parity suites' cases), rather than compared with a reference case
    (``reference``) or with nothing (``parity: none``)."""
    return not case.get('reference') and case.get('parity') != 'none'


def pair_cases(cases):
    """(template, scenario) -> path -> its cases (one per repetition, in
    order), for every (template, scenario) in the cases."""
    by_pair = collections.OrderedDict()
    for case in sorted(cases, key=repeats.repetition):
        if not is_paired(case):
            continue
        by_pair.setdefault((case['template'], case['scenario']),
                           {}).setdefault(case['path'], []).append(case)
    return by_pair


def run_name(case, runs):
    """A path, with the repetition where a path ran more than once."""
    if len(runs) < 2:
        return case['path']
    return '%s r%d' % (case['path'], repeats.repetition(case))


def parity_sides(paths):
    """(legacy path, convergence path) by what each path is, whatever
    the order the paths were given in; None unless both ran."""
    legacy = [p for p in paths if config.PATHS.get(p) is False]
    convergence = [p for p in paths if config.PATHS.get(p) is True]
    if not legacy or not convergence:
        return None
    return legacy[0], convergence[0]


def compare_pairs(cases, paths, allowances):
    """One parity entry per (template, scenario) run on both paths; with
    repetitions, every run of one path against every run of the other
    (``repeats.compare_runs``)."""
    sides = parity_sides(paths)
    if sides is None:
        return []
    legacy_path, convergence_path = sides
    entries = []
    for (template, scenario), by_path in pair_cases(cases).items():
        runs = {p: by_path.get(p) or [None]
                for p in (legacy_path, convergence_path)}
        if all(c is not None and c.get('outcome') == 'skipped'
               for p in runs for c in runs[p]):
            continue
        missing = [p if c is None else run_name(c, runs[p])
                   for p in (legacy_path, convergence_path)
                   for c in runs[p]
                   if c is None or c.get('observation') is None]
        if missing:
            entries.append(entry.make(
                template, scenario,
                incomplete='no observation on %s' % ', '.join(missing)))
            continue
        entries.append(repeats.compare_runs(
            template, scenario,
            [c['observation'] for c in runs[legacy_path]],
            [c['observation'] for c in runs[convergence_path]], allowances))
    return entries


def compare_references(cases, allowances):
    """One entry per case that names a reference case (the flag lifecycle
    suite's): its observation against the reference's, as a parity entry
    whose two sides are the reference and the case. A reference that did
    not run in this session is listed, not compared, and fails nothing;
    one that ran without an observation makes the entry incomplete."""
    index = {}
    for c in sorted(cases, key=repeats.repetition):  # repetition 1 first
        index.setdefault((c['template'], c['scenario'], c['path']), c)
    entries = []
    for case in cases:
        wanted = case.get('reference')
        if not wanted or case['outcome'] == 'skipped':
            continue
        key = (case['template'], wanted['scenario'], wanted['path'])
        found = index.get(key)
        entries.append(_reference_entry(case, wanted, found, allowances))
    return entries


def _reference_entry(case, wanted, found, allowances):
    """The entry of a case against its reference case `found` (None:
    the reference did not run)."""
    sides = dict(path=case['path'], reference=wanted)
    if found is None:
        return entry.make(case['template'], case['scenario'],
                          not_compared='%s on %s did not run in this '
                          'session' % (wanted['scenario'], wanted['path']),
                          **sides)
    if found.get('observation') is None or case.get('observation') is None:
        return entry.make(
            case['template'], case['scenario'],
            incomplete='no observation on %s' % ', '.join(
                '%s (%s)' % (c['scenario'], c['path'])
                for c in (found, case) if c.get('observation') is None),
            **sides)
    compared = entry.compare(case['template'], case['scenario'],
                             found['observation'], case['observation'],
                             allowances)
    return entry.make(case['template'], case['scenario'],
                      compared['differences'], **sides)
