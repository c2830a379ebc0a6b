#!/usr/bin/env python3
"""Benchmark: how often each case of the gate passes, run after run.

Runs the real ``heat-functional gate`` N times in a row (``--runs``,
default 5), each run on a deployment of its own, with the same gate
arguments (after ``--``; none for the main job's gate), and prints one
JSON document:

- ``runs``: each run's verdict, exit status, wall seconds, report and
  where its CPU went (the report's ``performance``: cores, Heat's and
  the harness's CPU, the efficiency ratio);
- ``cases``: per case id, in how many runs it ``passed`` out of the runs
  that planned it (``runs``), and whether its observation was
  ``identical`` in every run that observed it (on the same path: a
  difference here is a change between runs, not between paths);
- ``summary``: how many cases passed every time, which did not
  (``flaky``, with each run's outcome and first line of message), which
  observed something different from one run to the next
  (``unsteady``), and the share of cases that are neither.

A case that is not N of N is either fixed or its race recorded as a
known Heat race with its evidence (doc/source/report.rst).

    python benchmarks/flake_rate.py [--runs 5] [--out FILE]
        [--report-dir DIR] [--resume] [-- GATE-ARGUMENTS]

Five runs of the main job take about two and a half hours on two cores.
``--resume`` keeps the runs already in ``--report-dir`` that finished
(a report was written) on the same commit of this checkout with the same
gate arguments, and runs only the rest: a measurement can be taken in
several sittings. Each run's ``run.json`` records its commit.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heat_functional import config  # noqa: E402


#: What each run's summary keeps of its report's ``performance``.
PERFORMANCE_KEYS = ('cores', 'wall_s', 'heat_cpu_s', 'harness_cpu_s',
                    'harness_cpu_share', 'efficiency_ratio')


def run_gate(report_dir, gate_args):
    """One gate run: (its summary, its report or None)."""
    command = [sys.executable, '-m', 'heat_functional.cli', 'gate',
               '--report-dir', report_dir] + list(gate_args)
    started = time.monotonic()
    # This checkout's harness, whatever is installed: its commit is the
    # one recorded.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    status = subprocess.run(command, stdout=subprocess.DEVNULL, env=env,
                            check=False).returncode
    wall = round(time.monotonic() - started, 1)
    try:
        with open(os.path.join(report_dir, config.REPORT_JSON)) as f:
            report = json.load(f)
    except (OSError, ValueError):
        report = None
    measured = (report or {}).get('performance') or {}
    return {'report_dir': report_dir, 'exit_status': status,
            'wall_s': wall,
            'verdict': report and report['verdict'],
            'performance': {k: measured.get(k) for k in PERFORMANCE_KEYS}
            if measured else None}, report


RUN_JSON = 'run.json'


def checkout_commit():
    """The commit of this checkout (``-dirty`` when it has changes)."""
    def git(*argv):
        return subprocess.run(('git', '-C', ROOT) + argv,
                              capture_output=True, text=True,
                              check=False).stdout.strip()
    commit = git('rev-parse', 'HEAD') or 'unknown'
    return commit + ('-dirty' if git('status', '--porcelain',
                                     '--untracked-files=no') else '')


def finished_run(run_dir, commit, gate_args):
    """(summary, report) of a run already in run_dir on this commit and
    these arguments, or None when it must run (again)."""
    try:
        with open(os.path.join(run_dir, RUN_JSON)) as f:
            summary = json.load(f)
        with open(os.path.join(run_dir, config.REPORT_JSON)) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return None
    if commit.endswith('-dirty') or summary.get('commit') != commit or \
            summary.get('gate_args') != list(gate_args):
        return None
    return summary, report


def record_run(run_dir, summary):
    with open(os.path.join(run_dir, RUN_JSON), 'w') as f:
        json.dump(summary, f, indent=1)


def _first_line(text):
    text = (text or '').strip()
    return text.splitlines()[0][:200] if text else ''


def aggregate(reports):
    """Per case id, and the summary, from the runs' reports (a run that
    wrote none counts as a run in which no case passed)."""
    outcomes = collections.OrderedDict()
    observations = collections.defaultdict(list)
    for number, report in enumerate(reports, 1):
        for case in (report or {}).get('cases', []):
            outcomes.setdefault(case['id'], []).append(
                (number, case['outcome'], _first_line(case.get('message'))))
            if case.get('observation') is not None:
                observations[case['id']].append(
                    json.dumps(case['observation'], sort_keys=True))
    cases = collections.OrderedDict()
    for case_id, seen in outcomes.items():
        cases[case_id] = {
            'runs': len(reports),
            'passed': sum(1 for _, outcome, _ in seen
                          if outcome == 'passed'),
            'identical': len(set(observations[case_id])) <= 1,
            'outcomes': seen,
        }
    return cases, summarise(cases, len(reports))


def summarise(cases, runs):
    flaky = {i: c['outcomes'] for i, c in cases.items()
             if c['passed'] != runs and
             any(o == 'passed' for _, o, _ in c['outcomes'])}
    failing = sorted(i for i, c in cases.items() if c['passed'] == 0 and
                     not all(o == 'skipped' for _, o, _ in c['outcomes']))
    unsteady = sorted(i for i, c in cases.items() if not c['identical'])
    steady = sum(1 for i, c in cases.items()
                 if c['passed'] == runs and c['identical'])
    return {
        'runs': runs, 'cases': len(cases),
        'passed_every_run': sum(1 for c in cases.values()
                                if c['passed'] == runs),
        'flaky': flaky, 'always_failed': failing, 'unsteady': unsteady,
        'steady_share': round(steady / len(cases), 4) if cases else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--out', help='also write the JSON here')
    parser.add_argument('--report-dir', help='where the runs\' reports '
                        'go (default: a new temporary directory, kept)')
    parser.add_argument('--resume', action='store_true',
                        help='keep the finished runs of this commit in '
                        '--report-dir; run only the rest')
    parser.add_argument('gate_args', nargs='*')
    args = parser.parse_args(argv)
    if args.resume and not args.report_dir:
        parser.error('--resume needs the --report-dir of the earlier runs')
    base = args.report_dir or tempfile.mkdtemp(prefix='hf-flake-')
    commit = checkout_commit()
    runs, reports = [], []
    for number in range(1, args.runs + 1):
        run_dir = os.path.join(base, 'run-%d' % number)
        kept = args.resume and finished_run(run_dir, commit, args.gate_args)
        if kept:
            summary, report = kept
        else:
            summary, report = run_gate(run_dir, args.gate_args)
            summary.update(commit=commit, gate_args=list(args.gate_args))
            record_run(run_dir, summary)
        runs.append(summary)
        reports.append(report)
        sys.stderr.write('run %d: %s in %.0f s%s\n'
                         % (number, summary['verdict'], summary['wall_s'],
                            ' (kept)' if kept else ''))
    cases, summary = aggregate(reports)
    document = {'cores': os.cpu_count(), 'commit': commit,
                'gate_args': args.gate_args,
                'runs': runs, 'summary': summary, 'cases': cases}
    text = json.dumps(document, indent=1)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    print(json.dumps({'runs': runs, 'summary': summary}, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
