"""Compare two runs' observations, case by case, on the same path.

The parity gate compares legacy with convergence inside one run. This
compares one run with another: each case of run A (``report.json``) with
the case of the same id in run B, path with path. Its use is the
devstack-like deployment (``--target cloud``): several heat-engine
processes sharing RabbitMQ against the embedded cells' one engine per
path. A difference that shows here, and not in either run's own parity,
is a difference that appears only with several engines::

    python tools/compare_runs.py reports/functional-cloud/report.json \\
        reports/functional-convergence/report.json [--out FILE] [--check]

It prints how many cases were compared, how many observed the same, how
many differ (with each location and both values, as parity does) and
how many ran in one run only, and writes the same as JSON with
``--out``. A case that passed in one run and not in the other is a
difference of ``outcome``. Where run B's report does not exist it says
so and compares nothing. Exit status: 0, or 1 with ``--check`` when a
compared case differs.

With ``--same-run`` the two reports are one run made two ways (the
merge of its shards, ``heat-functional report merge``, against the
unsharded run on the same templates): then a case in one report only,
a parity or reference entry that is not alike in both (present, and
equal, allowed, incomplete or not compared alike, with the same
locations differing) and a different verdict are differences too, which
``--check`` fails on::

    python tools/compare_runs.py unsharded/report.json \\
        merged/report.json --same-run --check
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heat_functional import parity  # noqa: E402


def _cases(report):
    return {case['id']: case for case in report.get('cases', [])}


def compare_case(a, b):
    """Differences between two records of one case: outcome, then the
    observation (each a dict with location, a and b)."""
    found = []
    if a.get('outcome') != b.get('outcome'):
        found.append({'location': 'outcome', 'a': a.get('outcome'),
                      'b': b.get('outcome')})
    if a.get('observation') is not None and \
            b.get('observation') is not None:
        found += [{'location': d['location'], 'a': d['legacy'],
                   'b': d['convergence']}
                  for d in parity.differences(a['observation'],
                                              b['observation'])]
    return found


def compare(report_a, report_b):
    """The comparison of two reports, as a JSON-able dict."""
    cases_a, cases_b = _cases(report_a), _cases(report_b)
    common = sorted(set(cases_a) & set(cases_b))
    different = []
    for case_id in common:
        found = compare_case(cases_a[case_id], cases_b[case_id])
        if found:
            different.append({'id': case_id, 'differences': found})
    return {
        'compared': len(common),
        'same': len(common) - len(different),
        'different': different,
        'only_in_a': sorted(set(cases_a) - set(cases_b)),
        'only_in_b': sorted(set(cases_b) - set(cases_a)),
    }


def _entry_key(entry):
    """What names a parity or reference entry: template, scenario and,
    for a reference entry, its case's path."""
    return '%s %s%s' % (entry.get('template'), entry.get('scenario'),
                        ' on %s' % entry['path'] if entry.get('path')
                        else '')


def entry_state(entry):
    """What a comparison found, for comparing two runs' entries: its
    state, and the locations that differ."""
    state = ('equal' if entry.get('equal') else
             'allowed' if entry.get('allowed') else
             'incomplete' if entry.get('incomplete') else
             'not compared' if entry.get('not_compared') else 'different')
    return {'state': state, 'locations': sorted(
        d['location'] for d in entry.get('differences') or [])}


def compare_entries(entries_a, entries_b):
    """Entries (parity or references) not alike in two reports: each
    with its key and both states (None where one report lacks it)."""
    a = {_entry_key(e): entry_state(e) for e in entries_a or []}
    b = {_entry_key(e): entry_state(e) for e in entries_b or []}
    return [{'entry': key, 'a': a.get(key), 'b': b.get(key)}
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]


def compare_same_run(report_a, report_b, result):
    """`result` (compare's) with what two makings of one run must share
    besides: their parity and reference entries and their verdict."""
    return dict(
        result,
        parity=compare_entries(report_a.get('parity'),
                               report_b.get('parity')),
        references=compare_entries(report_a.get('references'),
                                   report_b.get('references')),
        verdicts=[report_a.get('verdict'), report_b.get('verdict')])


def same_run_failures(result):
    """What makes two makings of one run differ, as lines; [] when they
    are alike."""
    lines = []
    for side in ('only_in_a', 'only_in_b'):
        if result[side]:
            lines.append('cases %s: %s' % (side.replace('_', ' '),
                                           ', '.join(result[side])))
    for what in ('parity', 'references'):
        for entry in result[what]:
            lines.append('%s entry %s: %s / %s' % (
                what, entry['entry'], json.dumps(entry['a']),
                json.dumps(entry['b'])))
    if result['verdicts'][0] != result['verdicts'][1]:
        lines.append('verdict: %s / %s' % tuple(result['verdicts']))
    return lines


def summary(result, name_a, name_b):
    lines = ['%s against %s: %d cases compared, %d same, %d different, '
             '%d only in the first, %d only in the second'
             % (name_a, name_b, result['compared'], result['same'],
                len(result['different']), len(result['only_in_a']),
                len(result['only_in_b']))]
    for entry in result['different']:
        for difference in entry['differences']:
            lines.append('  %s at %s: %s / %s' % (
                entry['id'], difference['location'],
                json.dumps(difference['a']), json.dumps(difference['b'])))
    if 'verdicts' in result:
        found = same_run_failures(result)
        lines.append('same run: %d parity and %d reference entries not '
                     'alike; verdicts %s / %s'
                     % (len(result['parity']), len(result['references']),
                        result['verdicts'][0], result['verdicts'][1]))
        lines += ['  ' + line for line in found]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('report_a')
    parser.add_argument('report_b')
    parser.add_argument('--out', help='write the comparison as JSON here')
    parser.add_argument('--check', action='store_true',
                        help='exit 1 when a compared case differs')
    parser.add_argument('--same-run', action='store_true',
                        help='the reports are one run made two ways (merged '
                        'shards, unsharded): cases of one report only, '
                        'parity and reference entries not alike and '
                        'verdicts differ too')
    args = parser.parse_args(argv)
    reports = []
    for path in (args.report_a, args.report_b):
        if not os.path.exists(path):
            print('compare_runs: no report at %s; nothing compared' % path)
            return 0
        with open(path) as f:
            reports.append(json.load(f))
    result = compare(*reports)
    if args.same_run:
        result = compare_same_run(reports[0], reports[1], result)
    print(summary(result, args.report_a, args.report_b))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    differ = result['different'] or (
        args.same_run and same_run_failures(result))
    return 1 if args.check and differ else 0


if __name__ == '__main__':
    sys.exit(main())
