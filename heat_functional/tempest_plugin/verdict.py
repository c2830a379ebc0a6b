"""The parity verdict of a tempest run: the report, and why it fails.

Once the run's cases are in (``session.wait_for``), ``judge`` builds the
report exactly as ``heat-functional gate`` does
(``results/report.from_records``: flag checks, parity with its
allowances, references, known bugs) and writes it. A case the plan
expected that never ran in this run gets a record saying so, as an
error: the verdict must not pass on cases that did not run.
``failure_message`` is the text the verdict test fails with: the
summary table with its reasons, then every difference beyond the
allowances, with both values.
"""

import json
import os
import time

from heat_functional import case as case_module
from heat_functional import config
from heat_functional import plan
from heat_functional import records
from heat_functional.results import entry
from heat_functional.results import report
from heat_functional.results import table
from heat_functional.tempest_plugin import session

#: Differences shown per entry, and characters per value, in the message.
SHOWN_DIFFERENCES = 10
SHOWN_VALUE = 200


def missing_record(planned, why):
    """The record of a planned case that did not run."""
    case = case_module.Case.detached(planned.case_id, planned.template,
                                     planned.scenario, planned.path)
    if not planned.scenario.startswith('lifecycle/'):
        case.parity = 'none'  # the flag lifecycle's are never paired
    record = case.record('error', why, 0.0)
    record['suite'] = plan.suite_of_case_id(planned.case_id)
    return record


def judge(directory, report_dir, description, paths, missing, started):
    """Build and write the report of the run whose cases are in
    `directory`; `missing` are the PlannedTests that did not run. Returns
    the report; the cases end up in ``<report_dir>/cases``."""
    for planned in missing:
        records.write(directory, missing_record(
            planned, 'did not run in this tempest run (select whole '
            'scenarios with [heat_functional] templates and scenarios, '
            'not with --regex, for the verdict to pass)'))
    built = report.from_records(
        directory, description, paths,
        duration_s=round(time.monotonic() - started, 3))
    os.makedirs(report_dir, exist_ok=True)
    session.publish(directory, report_dir)
    report.write(built, report_dir)
    return built


def _short(value):
    text = json.dumps(value, sort_keys=True, default=str)
    if len(text) > SHOWN_VALUE:
        return text[:SHOWN_VALUE] + '...'
    return text


def differences(built):
    """Lines naming every difference beyond the allowances."""
    lines = []
    for compared in built['parity'] + built.get('references', []):
        if not entry.different(compared):
            continue
        wanted = compared.get('reference')
        if wanted:
            lines.append('%s/%s on %s against %s on %s:' % (
                compared['template'], compared['scenario'], compared['path'],
                wanted['scenario'], wanted['path']))
            sides = ('reference', 'this case')
        else:
            lines.append('%s/%s:' % (compared['template'],
                                     compared['scenario']))
            sides = ('legacy', 'convergence')
        unallowed = [d for d in compared['differences']
                     if not d['allowed_by']]
        for difference in unallowed[:SHOWN_DIFFERENCES]:
            lines.append('  %s: %s %s, %s %s' % (
                difference['location'], sides[0],
                _short(difference['legacy']), sides[1],
                _short(difference['convergence'])))
        hidden = len(unallowed) - SHOWN_DIFFERENCES
        if hidden > 0:
            lines.append('  ... and %d more' % hidden)
    return lines


def failure_message(built, report_dir):
    lines = [table.render(built)]
    shown = differences(built)
    if shown:
        lines += ['', 'differences beyond the allowances:'] + shown
    lines += ['', 'report: %s' % os.path.join(os.path.abspath(report_dir),
                                              config.REPORT_JSON)]
    return '\n'.join(lines)
