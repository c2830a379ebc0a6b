#!/usr/bin/env python3
"""Benchmark: how soon the fuzzer rediscovers the known divergences.

The measure of the generator's power (issue 16): from scratch, with a
fixed list of seeds, how long until a generated case shows each entry of
``divergences/`` again. Runs the real ``heat-functional fuzz`` once per
seed (``--seeds``, default ``rediscover-1``), each for ``--minutes``
(default 30) on a deployment of its own, with ``-n`` workers (default
6) and ``--shrink-budget`` (default 0: a new finding is confirmed as
generated, not shrunk, so that shrinking does not hold the workers the
measure is about), then reads each run's fuzz.json: ``first_seen``
says when (seconds into the run's cases, the deployment's start not
counted) a case was first explained by a divergence's record
(signature.py). An entry's time to rediscover is the first such time,
the earlier seeds' whole runs added. Records written after a run (its
own findings) are also counted from the cases' signatures
(``entries_by_todays_records``; the Heat-log match needs the run).

Prints and writes ``rediscovery.json`` into ``--out``: per entry its
seconds (null: not within the runs), the seed and case that showed it;
how many of the entries were rediscovered and whether that is at least
half (the issue's aim: half within 30 minutes on 2 cores); the cases
run, their rate, the new findings, and the machine's cores. ``--from``
reads fuzz.json files of runs already made instead of running. A rate,
never a test assertion.

    python benchmarks/fuzz_rediscovery.py [--seeds S1,S2] [--minutes 30]
        [-n 6] [--db postgresql] [--shrink-budget 0] [--out DIR]
        [--from FUZZ_JSON...]
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heat_functional import config  # noqa: E402
from heat_functional.fuzz import signature  # noqa: E402

DIVERGENCE = 'divergence: '


def entries(divergences_dir=None):
    """The names of the divergences/ entries (expected.json's keys)."""
    path = os.path.join(divergences_dir or config.DIVERGENCES_DIR,
                        'expected.json')
    with open(path) as f:
        return sorted(json.load(f))


def run_seed(seed, minutes, workers, db, shrink_budget, report_dir):
    """Run the fuzzer on one seed; the path of its fuzz.json."""
    command = [sys.executable, '-m', 'heat_functional.cli', 'fuzz',
               '--seed', seed, '--minutes', str(minutes), '-n',
               str(workers), '--db', db, '--shrink-budget',
               str(shrink_budget), '--report-dir', report_dir]
    print('fuzz_rediscovery: %s' % ' '.join(command[2:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=False)
    return os.path.join(report_dir, 'fuzz.json')


def rediscovery(summaries, names):
    """{entry: {'seconds', 'seed', 'case', 'step'} or None} over the
    runs' summaries in order (module doc)."""
    found = dict.fromkeys(names)
    offset = 0.0
    for summary in summaries:
        seed = summary['asked']['seed']
        for label, seen in sorted(summary.get('first_seen', {}).items(),
                                  key=lambda item: item[1]['after_s']):
            if not label.startswith(DIVERGENCE):
                continue
            entry, step = label[len(DIVERGENCE):].split(' ', 1)
            if entry in found and found[entry] is None:
                found[entry] = {'seconds': round(offset + seen['after_s'],
                                                 1),
                                'seed': seed, 'case': seen['case'],
                                'step': step}
        offset += summary['duration_s']
    return found


def reread(summaries, names, divergences):
    """rediscovery() as if the records of `divergences`
    (signature.load_divergences) had been there from the start: each
    case's signature (fuzz.json keeps it, and the status its step
    ended in, not the Heat log lines) is matched against them again. A
    record added after a run (the run's own finding, written up) then
    counts from the case that showed it."""
    found = dict.fromkeys(names)
    offset = 0.0
    for summary in summaries:
        rows = sorted((r for r in summary['cases'] if r.get('signature')
                       and r.get('finished_s') is not None),
                      key=lambda r: r['finished_s'])
        for row in rows:
            for (entry, step), record in sorted(divergences.items()):
                if entry in found and found[entry] is None and \
                        record['compare'] != signature.HEAT_LOG and (
                            signature.matches_divergence(row['signature'],
                                                         record) or
                            signature.ended_within(row['signature'],
                                                   row.get('ended'),
                                                   record)):
                    found[entry] = {
                        'seconds': round(offset + row['finished_s'], 1),
                        'seed': summary['asked']['seed'],
                        'case': row['case'], 'step': step}
        offset += summary['duration_s']
    return found


def report(summaries, names, divergences=None):
    found = rediscovery(summaries, names)
    rediscovered = sorted(name for name, seen in found.items() if seen)
    now = reread(summaries, names, divergences or
                 signature.load_divergences())
    return {
        'cores': len(os.sched_getaffinity(0)),
        'seeds': [s['asked']['seed'] for s in summaries],
        'minutes_asked': [s['asked']['minutes'] for s in summaries],
        'seconds_run': round(sum(s['duration_s'] for s in summaries), 1),
        'workers': [s['asked']['workers'] for s in summaries],
        'cases_run': sum(s['cases_run'] for s in summaries),
        'cases_per_minute': [s['cases_per_minute'] for s in summaries],
        'verdicts': [s['verdicts'] for s in summaries],
        'new_findings': sum(len(s['findings']['new']) for s in summaries),
        'entries': found,
        'rediscovered': len(rediscovered),
        'of': len(names),
        'at_least_half': 2 * len(rediscovered) >= len(names),
        'entries_by_todays_records': now,
        'rediscovered_by_todays_records': len([n for n in now if now[n]]),
    }


def text(result):
    lines = ['%d of %d divergences rediscovered in %.0f s (%s cores, '
             'seeds %s, %d cases)' % (
                 result['rediscovered'], result['of'],
                 result['seconds_run'], result['cores'],
                 ', '.join(result['seeds']), result['cases_run'])]
    for name, seen in sorted(result['entries'].items()):
        when = 'not rediscovered'
        if seen:
            when = '%7.1f s  (seed %s, case %d, %s)' % (
                seen['seconds'], seen['seed'], seen['case'], seen['step'])
        lines.append('  %-40s %s' % (name, when))
    lines.append('with today\'s records, from the cases\' signatures: %d '
                 'of %d' % (result['rediscovered_by_todays_records'],
                            result['of']))
    for name, seen in sorted(result['entries_by_todays_records'].items()):
        if seen:
            lines.append('  %-40s %7.1f s  (seed %s, case %d)' % (
                name, seen['seconds'], seen['seed'], seen['case']))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', default='rediscover-1')
    parser.add_argument('--minutes', type=float, default=30)
    parser.add_argument('-n', '--workers', type=int, default=6)
    parser.add_argument('--db', default='postgresql')
    parser.add_argument('--shrink-budget', type=int, default=0)
    parser.add_argument('--out', default=os.path.join(
        ROOT, 'reports', 'fuzz-rediscovery'))
    parser.add_argument('--from', dest='given', nargs='+',
                        help='fuzz.json files of runs already made')
    args = parser.parse_args(argv)
    if args.given:
        paths = args.given
    else:
        paths = [run_seed(seed, args.minutes, args.workers, args.db,
                          args.shrink_budget, os.path.join(args.out, seed))
                 for seed in args.seeds.split(',')]
    summaries = []
    for path in paths:
        with open(path) as f:
            summaries.append(json.load(f))
    result = report(summaries, entries())
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'rediscovery.json'), 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(text(result))


if __name__ == '__main__':
    main()
