"""The verdict: pass or fail, why, and what blocks the default.

``verdict`` fails a run that was interrupted, where no case ran, where a
case failed or errored, where a stack's flag did not match its path
(``flag_mismatches``, known Heat bugs aside), where a pair or a
reference differs beyond its allowances or misses an observation (a
location noisy on both paths whose values have one shape is no
difference: ``noise.py`` took it out of the pair's differences), and
for the reasons of the run's accounting (``accounting.py``); it passes
otherwise. ``default_blockers`` says why Heat's default may not change
even so: missing evidence, one path only, known bugs.
"""

from heat_functional import known_bugs as known_bugs_module
from heat_functional.results import accounting
from heat_functional.results import repeats


def flag_mismatches(case):
    """The stacks of a case whose flag is wrong, known Heat bugs aside."""
    return [s for s in case.get('stacks', [])
            if s.get('convergence') != s.get('expected_convergence') and
            not s.get('known_bug')]


def verdict(cases, entries, interrupted=None, references=(),
            accounted=()):
    """('pass' or 'fail', reasons); `accounted` are the reasons of the
    run's accounting (missing records, skips, pytest's exit status)."""
    reasons = []
    if interrupted:
        reasons.append('the run was interrupted: %s' % interrupted)
    reasons += list(accounted)
    if not any(case['outcome'] != 'skipped' for case in cases):
        reasons.append('no case ran' + (' (all %d skipped)' % len(cases)
                                        if cases else ''))
    for case in cases:
        if case['outcome'] in ('failed', 'error'):
            reasons.append('%s %s: %s' % (case['id'], case['outcome'],
                                          first_line(case.get('message'))))
        for stack in flag_mismatches(case):
            reasons.append(
                'flag mismatch in %s: stack %s (%s) of %s has '
                'convergence=%s, expected %s'
                % (case['id'], stack.get('name'), stack['id'],
                   case['template'], stack.get('convergence'),
                   stack.get('expected_convergence')))
    for entry in entries:
        if entry.get('incomplete'):
            reasons.append('parity of %s/%s incomplete: %s' % (
                entry['template'], entry['scenario'], entry['incomplete']))
        elif not entry['equal'] and not entry['allowed']:
            unallowed = [d for d in entry['differences']
                         if not d['allowed_by']]
            reasons.append('parity of %s/%s: %d difference(s), first at %s%s'
                           % (entry['template'], entry['scenario'],
                              len(unallowed), unallowed[0]['location'],
                              _flaky_note(entry)))
    for entry in references:
        where = '%s/%s on %s against %s on %s' % (
            entry['template'], entry['scenario'], entry['path'],
            entry['reference']['scenario'], entry['reference']['path'])
        if entry.get('incomplete'):
            reasons.append('%s incomplete: %s' % (where,
                                                  entry['incomplete']))
        elif not entry.get('not_compared') and not entry['equal'] and \
                not entry['allowed']:
            unallowed = [d for d in entry['differences']
                         if not d['allowed_by']]
            reasons.append('%s: %d difference(s), first at %s%s'
                           % (where, len(unallowed),
                              unallowed[0]['location'], _flaky_note(entry)))
    return ('fail' if reasons else 'pass'), reasons


def _flaky_note(entry):
    flaky = repeats.flaky_count(entry)
    return ' (%d flaky: the location is noise)' % flaky if flaky else ''


def first_line(text):
    return (text or '').strip().splitlines()[0] if (text or '').strip() \
        else ''


def default_blockers(outcome, paths, bugs, cases=(), entries=None):
    """Why the default may not change, beyond the verdict: missing
    parity, flag, flip or migration evidence, one path only, known bugs.
    `entries`, the parity entries, when the caller compared pairs."""
    blockers = []
    if entries is not None and not any(
            e.get('equal') or e.get('allowed') for e in entries):
        blockers.append('parity evidence missing: no template was compared '
                        'on both paths')
    blockers += accounting.evidence_blockers(cases)
    unverified = [c for c in cases if c.get('flags_unverified')]
    if unverified:
        blockers.append('no flag was read in %d cases: %s'
                        % (len(unverified), unverified[0]['flags_unverified']))
    if outcome != 'pass':
        blockers.append('the verdict is %s' % outcome)
    if len(paths) < 2:
        blockers.append('only %s ran' % ', '.join(paths))
    blockers += [known_bugs_module.describe(b)
                 for b in known_bugs_module.blocking(bugs)]
    return blockers
