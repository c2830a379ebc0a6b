"""Check what a run on the devstack-like deployment must leave true.

``tox -e functional-cloud`` runs this after the gate and the tempest run
on the deployment the harness started (``--target cloud``). Each
directory holds that deployment's ``cloud.json``: the gate's report
directory, and the ``deploy/`` directory of the tempest run. For each it
checks that nothing of the deployment is alive: no process it recorded
(PostgreSQL, keystone, RabbitMQ and epmd, each Heat API and heat-engine),
no process naming its work directory, and that the work directory is
gone.

For the gate's directory (``--gate``) it also checks, with its
report.json, that:

- the work was spread: every heat-engine of each path wrote, in its own
  log, that it created resources of the run's stacks (``hf-`` names), so
  the engines shared the broker's work, which is what this deployment
  exists for;
- the run went through the external target's code path, every flag was
  read from the cells' databases (or told by the probe), none
  mismatched, and the flip and migrate scenarios ran::

    python tools/check_cloud_run.py --gate reports/functional-cloud \
        reports/functional-cloud-tempest/deploy

Exit status 0, or 1 after printing each problem.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heat_functional import config  # noqa: E402
from heat_functional.deployment import processes  # noqa: E402

#: Heat's log line for each resource an engine creates.
CREATING = re.compile(r'creating \S+ "[^"]*" Stack "hf-')
#: The paths whose engines must all have worked (toggle cells restart
#: theirs, and a flip may give one engine all of a short scenario).
PATH_CELLS = tuple(config.PATH_NAMES)


def leftovers(description):
    """Problems: what of a deployment (its cloud.json) is still there."""
    return processes.leftovers(description['pids'], description['workdir'])


def idle_engines(description):
    """Problems: engines of a path that created no resource of the run."""
    problems = []
    for name in PATH_CELLS:
        cell = description['cells'].get(name)
        for log_file in (cell or {}).get('engine_logs', []):
            try:
                with open(log_file, errors='replace') as f:
                    created = sum(1 for line in f if CREATING.search(line))
            except OSError as error:
                problems.append('%s: %s' % (log_file, error))
                continue
            if not created:
                problems.append('%s created no resource of the run: the '
                                'engines of %s did not share the work'
                                % (log_file, name))
    return problems


def report_problems(report):
    """Problems: the gate's report.json of a run on the deployment."""
    problems = []
    if report.get('deployment', {}).get('kind') != 'external':
        problems.append('the run did not go through the external target')
    sources = {f['source'] for f in report.get('flag_checks', [])}
    if not sources or not sources <= {'db', 'probe'}:
        problems.append('flags were read from %s, not the cells\' '
                        'databases' % (sorted(sources) or 'nowhere'))
    flags = report.get('summary', {}).get('flags', {})
    if flags.get('mismatched'):
        problems.append('%d flags mismatched' % flags['mismatched'])
    scenarios = {c['scenario'].split('/')[0]
                 for c in report.get('cases', [])}
    missing = {'lifecycle', 'flip-on', 'flip-back', 'migrate'} - scenarios
    if missing:
        problems.append('no case of %s ran' % ', '.join(sorted(missing)))
    return problems


def _description(directory):
    with open(os.path.join(directory, config.CLOUD_DESCRIPTION_JSON)) as f:
        return json.load(f)


def check(gate_dir=None, other_dirs=()):
    """Every problem found, each naming its directory."""
    problems = []
    for directory in ([gate_dir] if gate_dir else []) + list(other_dirs):
        try:
            description = _description(directory)
        except (OSError, ValueError) as error:
            problems.append('%s: no deployment description: %s'
                            % (directory, error))
            continue
        found = leftovers(description)
        if directory == gate_dir:
            found += idle_engines(description)
            try:
                with open(os.path.join(directory, config.REPORT_JSON)) as f:
                    found += report_problems(json.load(f))
            except (OSError, ValueError) as error:
                found.append('no report: %s' % error)
        problems += ['%s: %s' % (directory, p) for p in found]
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gate', metavar='REPORT_DIR',
                        help='the gate\'s report directory')
    parser.add_argument('other_dirs', nargs='*', metavar='DIR',
                        help='more directories holding a cloud.json')
    args = parser.parse_args(argv)
    if not args.gate and not args.other_dirs:
        parser.error('name at least one directory')
    problems = check(args.gate, args.other_dirs)
    for problem in problems:
        print('check_cloud_run: %s' % problem)
    if not problems:
        print('check_cloud_run: nothing of the deployment(s) is left%s'
              % ('; every engine of each path worked' if args.gate else ''))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
