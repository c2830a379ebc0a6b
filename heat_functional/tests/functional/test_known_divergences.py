"""The divergences recorded in divergences/ are still exactly so.

A strict expected failure for whole templates: the gate on divergences/
must fail, and only with the differences and failing cases that
divergences/expected.json records, and each path's Heat log holding
what a record's ``heat_log`` says it logs. When Heat changes and a
divergence disappears or changes shape, this test fails and says which.
"""

import json
import os
import re
import subprocess

from heat_functional.fuzz import signature
from heat_functional.tests.functional import helpers

DIVERGENCES = os.path.join(helpers.ROOT, 'divergences')
#: Seconds a step may take here (nullable_if_false_on_update never ends).
STACK_TIMEOUT = 40


def expected_records():
    """divergences/expected.json."""
    with open(os.path.join(DIVERGENCES, 'expected.json')) as f:
        return json.load(f)


def recorded():
    """(differences, failing, vary): the (template, scenario) pairs that
    differ with their locations, the failing (template, scenario, path)
    cases, and the pairs whose locations are not stable from run to run
    (only that they differ is checked there)."""
    expected = expected_records()
    differences = {(template, scenario): set(locations)
                   for template, entry in expected.items()
                   for scenario, locations in entry['differences'].items()}
    failing = {(template,) + tuple(case.split())
               for template, entry in expected.items()
               for case in entry.get('failing', [])}
    vary = {(template, scenario) for template, entry in expected.items()
            for scenario in entry.get('locations_vary', [])}
    return differences, failing, vary


def test_recorded_divergences_are_still_exactly_so(tmp_path):
    report_dir = tmp_path / 'report'
    # One divergence leaves a legacy stack in progress for ever; the
    # divergences are the lifecycle suite's, no flip cells needed.
    env = helpers.cli_env(HEAT_FUNCTIONAL_STACK_TIMEOUT=STACK_TIMEOUT,
                          HEAT_FUNCTIONAL_TOGGLES=0)
    result = subprocess.run(
        helpers.cli('gate', '--templates', DIVERGENCES, '--db', 'sqlite',
                    '-n', '4', '-k', 'test_lifecycle', '--report-dir',
                    str(report_dir)),
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    report = json.loads((report_dir / 'report.json').read_text())

    left = {(e['template'], e['scenario']):
            [d for d in e['differences'] if not d['allowed_by']]
            for e in report['parity'] if not e['equal'] and not e['allowed']}
    differing = {pair: {d['location'] for d in found}
                 for pair, found in left.items()}
    failing = {(c['template'], c['scenario'], c['path'])
               for c in report['cases'] if c['outcome'] != 'passed'}
    expected_differences, expected_failing, vary = recorded()
    assert set(differing) == set(expected_differences)
    for pair in set(expected_differences) - vary:
        assert differing[pair] == expected_differences[pair], pair
    for pair in vary:
        assert differing[pair] >= expected_differences[pair], pair
    for pair, wanted in shapes().items():
        seen = signature.shapes_of(left[pair])
        assert seen >= wanted, (pair, sorted(seen))
    ended = {}
    for case in report['cases']:
        ended.setdefault((case['template'], case['scenario']), set()).add(
            (case.get('observation') or {}).get('stack'))
    for pair, wanted in ended_within().items():
        assert ended[pair] == {wanted['status']}, (pair, ended[pair])
        seen = {(signature.depth_free(location), legacy, convergence)
                for location, legacy, convergence
                in signature.shapes_of(left[pair])}
        assert seen <= wanted['shapes'], (pair, sorted(seen))
    assert failing == expected_failing
    assert report['summary']['flags']['mismatched'] == 0
    for template, paths in logged().items():
        for path, pattern in paths.items():
            log = (report_dir / 'logs' / ('%s.log' % path)).read_text()
            assert re.search(pattern, log), (template, path, pattern)


def shapes():
    """{(template, scenario): shapes}: the generalised differences
    (location, legacy's and convergence's value kinds) of which a step
    must show at least one each (fuzz/signature.py matches findings by
    them)."""
    expected = expected_records()
    return {(template, scenario): {tuple(shape) for shape in found}
            for template, entry in expected.items()
            for scenario, found in (entry.get('shapes') or {}).items()}


def ended_within():
    """{(template, scenario): {status, shapes}}: the status a step
    ends in on both paths and the generalised differences, at no
    particular depth, it may show (each of its differences has one of
    them: fuzz/signature.py counts a finding so by them)."""
    expected = expected_records()
    return {(template, scenario): {
        'status': found['status'],
        'shapes': {tuple(shape) for shape in found['shapes']}}
        for template, entry in expected.items()
        for scenario, found in (entry.get('ended_within') or {}).items()}


def logged():
    """{template: {path: pattern}}: what each divergence's Heat logs
    by its record (``heat_log``, by which the fuzzer knows its cause
    in any shape: fuzz/signature.py)."""
    expected = expected_records()
    return {template: entry['heat_log']
            for template, entry in expected.items()
            if entry.get('heat_log')}
