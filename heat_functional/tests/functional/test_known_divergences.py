"""The divergences recorded in divergences/README.rst are still exactly so.

A strict expected failure for whole templates: the gate on divergences/
must fail, and only with the recorded differences. When Heat changes and
a divergence disappears or changes shape, this test fails and says which.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))

#: (template, scenario) -> the locations that differ there.
RECORDED = {
    ('nested_output_feeds_sibling', 'lifecycle/rename'): {
        'outputs.right',
        "resources['right/one'].status",
        "resources['right/two'].status",
        "events['right/one']",
        "events['right/two']",
    },
}
#: (template, scenario, path) of the cases that fail because of them.
FAILING = {('nested_output_feeds_sibling', 'lifecycle/rename', 'legacy')}


def test_recorded_divergences_are_still_exactly_so(tmp_path):
    report_dir = tmp_path / 'report'
    env = dict(os.environ)
    env.pop('HEAT_FUNCTIONAL_DEPLOYMENT', None)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in [ROOT, env.get('PYTHONPATH')] if p)
    result = subprocess.run(
        [sys.executable, '-m', 'heat_functional.cli', 'gate', '--templates',
         os.path.join(ROOT, 'divergences'), '--db', 'sqlite', '-n', '2',
         '--report-dir', str(report_dir)],
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    report = json.loads((report_dir / 'report.json').read_text())

    differing = {(e['template'], e['scenario']):
                 {d['location'] for d in e['differences']
                  if not d['allowed_by']}
                 for e in report['parity']
                 if not e['equal'] and not e['allowed']}
    assert differing == RECORDED
    failing = {(c['template'], c['scenario'], c['path'])
               for c in report['cases'] if c['outcome'] != 'passed'}
    assert failing == FAILING
    assert report['summary']['flags']['mismatched'] == 0
