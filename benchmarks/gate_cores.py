#!/usr/bin/env python3
"""Benchmark: how the gate's wall time falls with the cores it is given.

Runs the real ``heat-functional gate`` once per core count (``--cores``,
default ``1,2,all``; ``all`` is every core this process may use), each
pinned to the first N cores with ``taskset`` and on a deployment of its
own, with the same gate arguments (after ``--``; none for the main
job's gate). For each run it records, from the run's report:

- wall time, and the speed-up over the run on the fewest cores;
- Heat's CPU seconds and the harness's share (the report's
  ``performance``), and the efficiency ratio;
- the two floors no number of cores removes: Heat's CPU seconds per core
  (``heat_floor_s``: the run cannot end before Heat has done its work),
  and the longest chain of cases that must run one after the other on
  one worker (``chain_s``: a lifecycle, a flag scenario; its cases'
  durations summed, ``chain``: its pytest-xdist group);
- ``next_limit``: which of the two is the higher, and ``headroom``: the
  wall time over it, a ratio.

Writes ``gate_cores.json`` and ``gate_cores.txt`` (the table, also
printed) into ``--out``. A run already in ``--out`` for the same commit,
core count and gate arguments is kept with ``--resume``. Timings are
measured here, never asserted in tests.

    python benchmarks/gate_cores.py [--cores 1,2,all] [--out DIR]
        [--resume] [-- GATE-ARGUMENTS]

The main job takes about 17 minutes on two cores and about twice that
on one.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heat_functional import performance  # noqa: E402
from heat_functional import plan  # noqa: E402


def core_counts(text):
    """``1,2,all`` -> [1, 2, N], within what this process may use."""
    usable = sorted(os.sched_getaffinity(0))
    counts = set()
    for part in text.split(','):
        count = len(usable) if part.strip() == 'all' else int(part)
        if not 1 <= count <= len(usable):
            raise SystemExit('gate_cores: %s cores asked, %d usable'
                             % (part, len(usable)))
        counts.add(count)
    return sorted(counts), usable


def checkout_commit():
    return subprocess.run(('git', '-C', ROOT, 'rev-parse', 'HEAD'),
                          capture_output=True, text=True).stdout.strip()


def run_gate(report_dir, cpus, gate_args):
    """One gate run pinned to `cpus`; its exit status and wall seconds."""
    command = ['taskset', '-c', ','.join(str(c) for c in cpus),
               sys.executable, '-m', 'heat_functional.cli', 'gate',
               '--report-dir', report_dir] + list(gate_args)
    env = dict(os.environ, PYTHONPATH=ROOT)
    started = time.monotonic()
    status = subprocess.run(command, stdout=subprocess.DEVNULL,
                            env=env).returncode
    return status, round(time.monotonic() - started, 1)


#: Suites whose group's worker runs the group's templates side by side
#: (a toggle cell's flip scenarios, in threads around the one flip): there
#: the chain is one template's cases, a lower bound.
SIDE_BY_SIDE = ('flip',)


def chain_of(key):
    group = plan.xdist_group(key)
    if group and key.suite in SIDE_BY_SIDE:
        group += '.' + key.template
    return group


def longest_chain(report, planned):
    """(seconds, chain) of the longest chain of cases that one worker
    must run one after the other (``chain_of``)."""
    groups = {case['case_id']: chain_of(plan.CaseKey(**case))
              for case in planned}
    chains = collections.Counter()
    for case in report.get('cases', []):
        group = groups.get(case['id'])
        if group:
            chains[group] += case.get('duration_s') or 0.0
    if not chains:
        return 0.0, None
    group, seconds = chains.most_common(1)[0]
    return round(seconds, 1), group


def measure(report_dir, cores, status, wall):
    with open(os.path.join(report_dir, 'report.json')) as f:
        report = json.load(f)
    with open(os.path.join(report_dir, plan.PLAN_JSON)) as f:
        planned = json.load(f)['cases']
    measured = report.get('performance') or {}
    chain_s, chain = longest_chain(report, planned)
    heat_floor = round((measured.get('heat_cpu_s') or 0.0) / cores, 1)
    limit, floor = max((('Heat CPU per core', heat_floor),
                        ('longest chain', chain_s)), key=lambda i: i[1])
    return {
        'cores': cores, 'exit_status': status, 'verdict':
        report.get('verdict'), 'cases': len(report.get('cases', [])),
        'command_wall_s': wall, 'wall_s': measured.get('wall_s'),
        'heat_cpu_s': measured.get('heat_cpu_s'),
        'harness_cpu_share': measured.get('harness_cpu_share'),
        'efficiency_ratio': measured.get('efficiency_ratio'),
        'heat_floor_s': heat_floor, 'chain_s': chain_s, 'chain': chain,
        'next_limit': limit,
        'headroom': round(measured['wall_s'] / floor, 2)
        if floor and measured.get('wall_s') else None,
    }


def table(runs):
    base = runs[0]['wall_s'] if runs and runs[0]['wall_s'] else None
    lines = ['%5s %8s %7s %9s %7s %6s %10s %8s  %s' % (
        'cores', 'wall s', 'speedup', 'Heat CPU', 'harness', 'ratio',
        'Heat/core', 'chain s', 'next limit (wall over it)')]
    for run in runs:
        lines.append('%5d %8.0f %7s %9.0f %6.1f%% %6s %10.0f %8.0f  %s '
                     '(%sx)' % (
                         run['cores'], run['wall_s'] or 0,
                         '%.2f' % (base / run['wall_s'])
                         if base and run['wall_s'] else '-',
                         run['heat_cpu_s'] or 0,
                         100 * (run['harness_cpu_share'] or 0),
                         run['efficiency_ratio'], run['heat_floor_s'],
                         run['chain_s'], run['next_limit'],
                         run['headroom']))
    return '\n'.join(lines)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    gate_args = argv[argv.index('--') + 1:] if '--' in argv else []
    argv = argv[:argv.index('--')] if '--' in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cores', default='1,2,all')
    parser.add_argument('--out', default='gate-cores')
    parser.add_argument('--resume', action='store_true')
    args = parser.parse_args(argv)
    counts, usable = core_counts(args.cores)
    commit = checkout_commit()
    runs = []
    for cores in counts:
        run_dir = os.path.join(os.path.abspath(args.out), 'cores-%d' % cores)
        stamp = {'commit': commit, 'cores': cores, 'gate_args': gate_args}
        stamp_file = os.path.join(run_dir, 'run.json')
        kept = None
        if args.resume and os.path.exists(stamp_file):
            with open(stamp_file) as f:
                kept = json.load(f)
        if kept and {k: kept.get(k) for k in stamp} == stamp:
            status, wall = kept['exit_status'], kept['command_wall_s']
        else:
            os.makedirs(run_dir, exist_ok=True)
            print('gate on %d core(s)...' % cores, flush=True)
            status, wall = run_gate(run_dir, usable[:cores], gate_args)
            with open(stamp_file, 'w') as f:
                json.dump(dict(stamp, exit_status=status,
                               command_wall_s=wall), f)
        runs.append(measure(run_dir, cores, status, wall))
    text = table(runs)
    print(text)
    with open(os.path.join(args.out, 'gate_cores.json'), 'w') as f:
        json.dump({'commit': commit, 'gate_args': gate_args,
                   'machine_cores': performance.available_cores(),
                   'runs': runs}, f, indent=1)
    with open(os.path.join(args.out, 'gate_cores.txt'), 'w') as f:
        f.write(text + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
