"""``heat-functional fuzz`` on the real Heat: a fixed seed, three cases.

Three generated cases of seed 1 run on both paths of an embedded
deployment (SQLite, two workers). The command must end by itself with
every case run and triaged, and exit 0: it fails when a case differs in
a way nothing explains (a NEW finding: fuzz.json and findings/ say what
it is), when a case could not run, or when the run was cut short.
"""

import json
import subprocess

from heat_functional.tests.functional import helpers

SEED, COUNT = '1', 3
#: Seconds a step may take before it counts as hung.
STACK_TIMEOUT = 120
#: The verdicts a case may end with in a passing smoke run.
ACCEPTED = {'equal', 'known', 'flaky', 'failed-alike'}


def test_three_cases_run_and_find_nothing_new(tmp_path):
    report_dir = tmp_path / 'fuzz'
    result = subprocess.run(
        helpers.cli('fuzz', '--seed', SEED, '--count', str(COUNT), '-n',
                    '2', '--db', 'sqlite', '--report-dir',
                    str(report_dir)),
        env=helpers.cli_env(HEAT_FUNCTIONAL_STACK_TIMEOUT=STACK_TIMEOUT),
        capture_output=True, text=True, timeout=1500)
    summary = json.loads((report_dir / 'fuzz.json').read_text())
    assert summary['interrupted'] is None
    assert sorted(c['case'] for c in summary['cases']) == list(range(COUNT))
    assert summary['cases_run'] == COUNT
    assert all(c['seed'] == SEED for c in summary['cases'])
    assert summary['findings']['new'] == [], result.stdout
    assert {c['verdict'] for c in summary['cases']} <= ACCEPTED, \
        summary['cases']
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert '%d case(s) run' % COUNT in result.stdout
