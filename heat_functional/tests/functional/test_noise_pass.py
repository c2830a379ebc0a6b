"""The noise pass on the real Heat: a RandomString output passes the gate.

``noise_templates/random_value.yaml`` outputs a RandomString value, new
on every create on both paths, and has no sidecar declaring it random:
its create differs between the paths, so the gate runs that create
once more per path (the noise pass, repetition 2), learns that the
output is noise on both paths and compares it by shape there, and on
the update-self, which acts on the same stack. The gate must pass,
listing the location as noisy on both paths, compared by shape.
``steady_value.yaml``'s output is equal on both paths: its create is not
run again.

A location noisy on one path only takes a template whose value varies
on one engine and not on the other, which only a Heat bug would give;
the unit tests hold the rule that such a location is never excused
(``tests/unit/results/test_noise.py``).
"""

import json
import os
import subprocess

from heat_functional.tests.functional import helpers

NOISE_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               'noise_templates')
PATHS = ('legacy', 'convergence')


def test_a_random_output_passes_by_shape(tmp_path):
    report_dir = tmp_path / 'report'
    result = subprocess.run(
        helpers.cli('gate', '--templates', NOISE_TEMPLATES, '--db', 'sqlite',
                    '-n', '2', '-k', 'test_lifecycle',
                    '--report-dir', str(report_dir)),
        env=helpers.cli_env(HEAT_FUNCTIONAL_TOGGLES=0),
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['verdict'] == 'pass', report['reasons']
    assert report['noise_pass']['templates'] == ['random_value']

    again = sorted((c['template'], c['scenario'], c['path'])
                   for c in report['cases'] if c.get('repetition') == 2)
    assert again == [('random_value', 'lifecycle/create', path)
                     for path in sorted(PATHS)]
    assert (report_dir / 'junit-noise-pass.xml').exists()

    by_scenario = {e['scenario']: e for e in report['parity']
                   if e['template'] == 'random_value'}
    for scenario in ('lifecycle/create', 'lifecycle/update-self'):
        entry = by_scenario[scenario]
        assert entry['equal'], entry
        shaped = {n['location']: n for n in entry['noisy_by_shape']}
        value = shaped['outputs.value']
        assert value['shape'] == 'string A24', value
        values = value['legacy'] + value['convergence']
        assert len(set(values)) == len(values), values  # all random
    assert all(e['equal'] and not e.get('noisy_by_shape')
               for e in report['parity']
               if e['template'] == 'steady_value')
    assert 'noisy on both paths, compared by shape' in result.stdout
    page = (report_dir / 'report.html').read_text()
    assert 'id="noisy-by-shape-table"' in page
