#!/usr/bin/env python3
"""Benchmark: time until both cells are ready, per-path latency, overhead.

Prints one JSON document:

- ``ready_s``: seconds until both embedded cells answered, for each of
  ``--starts`` starts in a row (the first is the cold one), as the
  deployment measured it and as wall time around ``start()``;
- ``cases``: for each template and path, the wall time of the case, of its
  create and delete phases (request to final status), Heat's own time
  (the root stack's action windows, from the event rows), and the
  harness's overhead (case wall time minus Heat's time), in seconds and
  as a share of the case;
- ``overhead``: the same summed over all cases.

It runs the real ``heat-functional run`` (one worker by default, so that
cases do not compete for the two cores and the overhead is the harness's
own). Targets: ready within 15 s on 2 cores; overhead under 10 %.

    python benchmarks/startup_and_latency.py [--db sqlite] [--starts 3]
        [--templates DIR] [--workers 1]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from heat_functional import config
from heat_functional.deployment import embedded


def measure_starts(db, starts, workdir):
    results = []
    for number in range(starts):
        started = time.monotonic()
        cells = embedded.EmbeddedCells(
            os.path.join(workdir, 'start-%d' % number), db=db)
        try:
            description = cells.start()
            wall = time.monotonic() - started
        finally:
            cells.close()
        results.append({'deployment_s': description['ready_s'],
                        'wall_s': round(wall, 3)})
    return results


def run_cases(db, templates, workers, workdir):
    report_dir = os.path.join(workdir, 'run')
    command = [sys.executable, '-m', 'heat_functional.cli', 'run',
               '--db', db, '--report-dir', report_dir, '-n', str(workers)]
    if templates:
        command += ['--templates', templates]
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    with open(os.path.join(report_dir, config.REPORT_JSON)) as f:
        return json.load(f)


def case_row(case):
    wall, heat = case['duration_s'], case['heat_time_s']
    overhead = None if heat is None else round(wall - heat, 3)
    return {
        'template': case['template'], 'path': case['path'],
        'outcome': case['outcome'], 'wall_s': wall,
        'create_s': case['timings'].get('create'),
        'delete_s': case['timings'].get('delete'),
        'heat_s': heat, 'overhead_s': overhead,
        'overhead_pct': None if overhead is None
        else round(100 * overhead / wall, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', choices=config.DB_KINDS,
                        default=config.DEFAULT_DB)
    parser.add_argument('--starts', type=int, default=3)
    parser.add_argument('--templates')
    parser.add_argument('--workers', type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='hf-bench-') as workdir:
        starts = measure_starts(args.db, args.starts, workdir)
        report = run_cases(args.db, args.templates, args.workers, workdir)
    rows = [case_row(c) for c in report['cases']]
    measured = [r for r in rows if r['heat_s'] is not None]
    wall = sum(r['wall_s'] for r in measured)
    overhead = sum(r['overhead_s'] for r in measured)
    print(json.dumps({
        'heat_version': report['heat_version'],
        'db': args.db,
        'workers': args.workers,
        'cpus': os.cpu_count(),
        'ready_s': starts,
        'cases': rows,
        'overhead': {
            'cases': len(measured),
            'wall_s': round(wall, 3),
            'overhead_s': round(overhead, 3),
            'overhead_pct': round(100 * overhead / wall, 1) if wall else None,
        },
        'verdict': report['verdict'],
    }, indent=2))


if __name__ == '__main__':
    main()
