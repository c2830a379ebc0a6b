"""The comparison entry: what the report says of two observations compared.

Every entry of report.json's ``parity`` (a template's scenario on the
legacy path against the convergence path) and ``references`` (a flag
lifecycle case against its reference case) is a ``ParityEntry`` made by
``make`` here, and nowhere else: compared (its differences, each marked
with the allowance covering it), incomplete (a side without an
observation), or not compared (a reference that did not run).
``different`` says whether an entry fails the verdict on its own.
"""

import typing

from heat_functional import parity


class ParityEntry(typing.TypedDict, total=False):
    """One comparison, as report.json holds it (a dict)."""

    template: str
    scenario: str
    #: A reference entry's case path, and the reference it is held to
    #: (``{'scenario': ..., 'path': ...}``).
    path: str
    reference: dict
    equal: bool
    allowed: bool
    #: location, legacy, convergence, allowed_by (and, over repetitions,
    #: seen_in, allowed_in; flaky where the location is noise).
    differences: list
    allowed_by: list
    #: Why one side has no observation.
    incomplete: str
    #: Why the reference was not compared.
    not_compared: str
    #: With --repeat: how many pairs of runs were compared.
    comparisons: int
    #: With --repeat: differences at a noisy location.
    flaky: int
    #: Differences at a location noisy on both paths whose values have
    #: one shape, so no difference (results/noise.py): location, legacy
    #: and convergence (the values by run), shape, allowed_by.
    noisy_by_shape: list


def make(template, scenario, found=None, path=None, reference=None,
         incomplete=None, not_compared=None, comparisons=None):
    """A ParityEntry. `found` are the differences of a comparison (each
    with its ``allowed_by``); None when nothing was compared (then
    `incomplete` or `not_compared` says why). A reference entry names
    its case's `path` and its `reference`."""
    made = ParityEntry(template=template, scenario=scenario)
    if reference is not None:
        made.update(path=path, reference=reference)
    compared = found is not None and not incomplete and not not_compared
    found = list(found or [])
    made.update(
        equal=compared and not found,
        allowed=compared and bool(found) and all(d['allowed_by']
                                                 for d in found),
        differences=found,
        allowed_by=sorted({d['allowed_by'] for d in found
                           if d['allowed_by']}))
    if incomplete:
        made['incomplete'] = incomplete
    if not_compared:
        made['not_compared'] = not_compared
    if comparisons is not None:
        made['comparisons'] = comparisons
    return made


def compare(template, scenario, legacy, convergence, allowances=()):
    """The entry of one pair of observations (legacy, convergence; or
    reference, case) under the allowances."""
    return make(template, scenario, parity.allowed_differences(
        allowances, template, scenario, legacy, convergence))


def different(entry):
    """Whether an entry differs beyond its allowances (an incomplete or
    not compared one is counted apart)."""
    return not (entry['equal'] or entry['allowed'] or
                entry.get('incomplete') or entry.get('not_compared'))


def count(entries):
    """How many entries are equal, allowed, different..."""
    return {
        'pairs': len(entries),
        'equal': sum(1 for e in entries if e['equal']),
        'allowed': sum(1 for e in entries if e['allowed']),
        'different': sum(1 for e in entries if different(e)),
        'incomplete': sum(1 for e in entries if e.get('incomplete')),
        'not_compared': sum(1 for e in entries if e.get('not_compared')),
        'noisy_by_shape': sum(1 for e in entries if e.get('noisy_by_shape')),
    }
