"""What each case costs in wall time, measured, so that a run with
workers starts its longest work first.

pytest-xdist's ``--dist loadgroup`` hands each worker a work unit at a
time: a group (a template's lifecycle on one path, a flip cell's cases,
a gabbi file) or a case of no group. On its own it hands out the units
with the most cases first. Cases differ in length far more than in
number: a failure suite's timeout or a probe waits for half a minute or
more, with little CPU, where a lifecycle step takes seconds. Handed out
last, those waits ran alone at the end of the run while the machine
stood idle (doc/source/performance.rst). The plugin therefore orders the
units by their expected seconds, longest first (the longest-processing-
time-first rule of scheduling on identical machines), and the command
line (``cli.pytest_command``) tells pytest-xdist to keep that order
(``--no-loadscope-reorder``).

The expected seconds come from a table measured on a main job:
``case-costs.json`` beside this module, written from a run's
report.json by ``tools/case_costs.py``. A case costs its own measured
seconds; a case the table has not measured (another corpus, a new
template or step, a repetition) costs the median of the measured cases
of its suite and step, else of its suite, else of all. The order only
says when a case runs; what it does and what it is compared with do not
depend on it, and a stale table only makes the order less good.
"""

import collections
import functools
import json
import statistics

from heat_functional import config
from heat_functional import plan

#: What a case costs when no table measured anything.
UNMEASURED_SECONDS = 1.0


def table_of(report):
    """The cost table of a report (a dict, as report.json holds it):
    each case's measured seconds, the median per suite and step, per
    suite and of all, and which run measured them."""
    measured = {}
    by_step = collections.defaultdict(list)
    by_suite = collections.defaultdict(list)
    for case in report.get('cases') or []:
        seconds = case.get('duration_s')
        if seconds is None or not case.get('id'):
            continue
        measured[case['id']] = round(float(seconds), 1)
        suite = case.get('suite') or ''
        step = plan.split_scenario(case.get('scenario') or '')[1]
        by_step[step_key(suite, step)].append(seconds)
        by_suite[suite].append(seconds)
    return {
        'measured_by': {
            field: report.get(field)
            for field in ('run_id', 'heat_version', 'duration_s')},
        'cores': (report.get('performance') or {}).get('cores'),
        'median': _median(measured.values()),
        'suites': _medians(by_suite),
        'steps': _medians(by_step),
        'cases': dict(sorted(measured.items())),
    }


def step_key(suite, step):
    """How the table names a suite's step: ``failures/timeout/create``."""
    return '%s%s%s' % (suite, plan.SCENARIO_SEPARATOR, step or '')


def _medians(lists):
    return {name: _median(values) for name, values in sorted(lists.items())}


def _median(values):
    values = list(values)
    return round(statistics.median(values), 1) if values else None


@functools.lru_cache(maxsize=None)
def shipped():
    """The table shipped with the harness; an empty one when the file
    is missing or unreadable (then every case costs the same, and
    pytest-xdist's own order by number of cases decides)."""
    try:
        with open(config.CASE_COSTS_FILE) as f:
            table = json.load(f)
    except (OSError, ValueError):
        return {}
    return table if isinstance(table, dict) else {}


def expected_seconds(table, key):
    """What a case (a ``plan.CaseKey``) is expected to cost."""
    for found in ((table.get('cases') or {}).get(key.case_id),
                  (table.get('steps') or {}).get(
                      step_key(key.suite, key.step)),
                  (table.get('suites') or {}).get(key.suite),
                  table.get('median')):
        if found is not None:
            return float(found)
    return UNMEASURED_SECONDS


def longest_first(items, unit_of, key_of, table):
    """`items` in the order to hand them out: whole units (the items of
    one group; an item of no group alone), the most expected seconds
    first, ties in the order of their first item; inside a unit the
    items keep their order. `unit_of` gives an item's group or None,
    `key_of` its ``plan.CaseKey``."""
    units = []
    seconds = collections.Counter()
    first = {}
    for index, item in enumerate(items):
        unit = unit_of(item) or ('', index)
        units.append(unit)
        seconds[unit] += expected_seconds(table, key_of(item))
        first.setdefault(unit, index)
    order = sorted(range(len(items)), key=lambda i: (
        -seconds[units[i]], first[units[i]], i))
    return [items[i] for i in order]
