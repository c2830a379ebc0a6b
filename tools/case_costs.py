"""Write the table of what each case costs (heat_functional/costs.py)
from a run's report.json.

A run with workers hands out its groups of cases longest first, by the
seconds each case took on a main job. After the corpus or the suites
change much, measure again: run the main job, then::

    python tools/case_costs.py reports/functional-convergence/report.json

which replaces ``heat_functional/case-costs.json`` (``--out`` writes
elsewhere). Only the order of the cases depends on the table; see
doc/source/performance.rst.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from heat_functional import config  # noqa: E402
from heat_functional import costs  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('report', help="a run's report.json")
    parser.add_argument('--out', default=config.CASE_COSTS_FILE,
                        help='where to write the table (default: %(default)s)')
    args = parser.parse_args(argv)
    try:
        with open(args.report) as f:
            report = json.load(f)
    except (OSError, ValueError) as error:
        parser.exit(2, 'case_costs: cannot read %s: %s\n'
                    % (args.report, error))
    table = costs.table_of(report if isinstance(report, dict) else {})
    if not table['cases']:
        parser.exit(2, 'case_costs: %s has no case with a duration\n'
                    % args.report)
    with open(args.out, 'w') as f:
        json.dump(table, f, indent=0, sort_keys=False)
        f.write('\n')
    print('case_costs: %d cases, %d suite steps -> %s'
          % (len(table['cases']), len(table['steps']), args.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
