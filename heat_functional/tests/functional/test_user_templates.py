"""A user's template directory, laid out as Heat's repositories lay out
theirs, runs as it is.

``user_templates/references/`` holds a parent with its provider beside
it and a get_file data file, a CFN parent with a CFN provider beside it
(which python-heatclient alone does not send), a template that needs the
environment beside it (a parameter and a registry mapping) and a
provider those three parents share. The gate on the directory must pass
on both paths with exactly those three roots as cases, each create,
update-self and delete passing with the outputs only the helpers can
give, and the report must list the helpers with their users.

``user_templates/expectations/`` holds a create Heat must reject (its
later steps are moot), an update Heat must reject (the stack stays as
it was and the next update goes on), a create that fails as declared
(no update-self) and a sidecar-less template that fails alike on both
paths (held to parity only, listed apart). ``user_templates/values/``
holds sidecar-less templates whose outputs are the case's own ids,
stack names, ARNs and a keystone role's ``show``: equal on both paths
once normalised by what they are. The whole directory runs in one gate.
"""

import json
import os
import subprocess

from heat_functional.tests.functional import helpers

USER_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'user_templates')
CASES = ('references/cfn/cfn_stack', 'references/envs/app',
         'references/web/web_tier')
SCENARIOS = ('lifecycle/create', 'lifecycle/update-self', 'lifecycle/delete')
PATHS = ('legacy', 'convergence')
#: The other folders' cases: each step's outcome on both paths.
OTHER_OUTCOMES = {
    'expectations/declared_failure': {'create': 'passed',
                                      'delete': 'passed'},
    'expectations/fails_alike': {'create': 'passed',
                                 'update-self': 'skipped',
                                 'delete': 'passed'},
    'expectations/rejected_constraint': {'create': 'passed',
                                         'delete': 'skipped'},
    'expectations/rejected_update': {'create': 'passed',
                                     'too-big': 'passed', 'grow': 'passed',
                                     'delete': 'passed'},
    'values/ids_and_names': {'create': 'passed', 'update-self': 'passed',
                             'delete': 'passed'},
    'values/shown': {'create': 'passed', 'update-self': 'passed',
                     'delete': 'passed'},
}
#: The create's outputs of each case: only its helpers can give them.
OUTPUTS = {
    'references/cfn/cfn_stack': {'Greeting': 'hello from cfn',
                                 'Label': '[label] owned by cfn'},
    'references/envs/app': {'label': '[label] hello from the environment'},
    'references/web/web_tier': {
        'first': 'web-solo', 'more': ['web-0', 'web-1'],
        'banner': '[label] served by the web tier\n'},
}
HELPERS = {
    'references/cfn/cfn_member.yaml': ['references/cfn/cfn_stack.template'],
    'references/envs/app.env.yaml': ['references/envs/app.yaml'],
    'references/shared/label.yaml': ['references/cfn/cfn_stack.template',
                                     'references/envs/app.env.yaml',
                                     'references/web/web_tier.yaml'],
    'references/web/banner.txt': ['references/web/web_tier.yaml'],
    'references/web/tier_member.yaml': ['references/web/web_tier.yaml'],
}


def test_a_users_directory_runs_as_it_is(tmp_path):
    report_dir = tmp_path / 'report'
    result = subprocess.run(
        helpers.cli('gate', '--templates', USER_TEMPLATES, '--db', 'sqlite',
                    '-n', '2', '-k', 'test_lifecycle',
                    '--report-dir', str(report_dir)),
        env=helpers.cli_env(HEAT_FUNCTIONAL_TOGGLES=0),
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    check_report(report_dir)


def check_report(report_dir):
    """The verdict, outcomes, outputs and discovery the gate must give."""
    report = json.loads((report_dir / 'report.json').read_text())
    assert report['verdict'] == 'pass', report['reasons']

    outcomes = {(c['template'], c['scenario'], c['path']): c['outcome']
                for c in report['cases']}
    expected = {(case, scenario, path): 'passed' for case in CASES
                for scenario in SCENARIOS for path in PATHS}
    expected.update({(case, 'lifecycle/' + step, path): outcome
                     for case, steps in OTHER_OUTCOMES.items()
                     for step, outcome in steps.items() for path in PATHS})
    assert outcomes == expected
    for entry in report['parity']:
        assert entry['equal'], entry
    check_expectations(report)
    for case in report['cases']:
        if case['scenario'] == 'lifecycle/create' and \
                case['template'] in OUTPUTS:
            assert case['observation']['outputs'] == \
                OUTPUTS[case['template']], case['id']

    found = report['corpus']
    assert found == json.loads((report_dir / 'corpus.json').read_text())
    assert {name: entry['environments'] for name, entry in
            found['cases'].items() if name in CASES} == {
        'references/cfn/cfn_stack': [], 'references/web/web_tier': [],
        'references/envs/app': ['references/envs/app.env.yaml']}
    assert {path: users for path, users in found['helpers'].items()
            if path.startswith('references/')} == HELPERS
    assert not [path for path in found['skipped']
                if path.startswith('references/')]


def check_expectations(report):
    """Rejections observed alike, moot steps named, failures listed."""
    by_id = {(c['template'], c['scenario'], c['path']): c
             for c in report['cases']}
    for path in PATHS:
        refused = by_id[('expectations/rejected_constraint',
                         'lifecycle/create', path)]['observation']
        assert refused['rejected']['status'] == 400, refused
        assert 'is out of range' in refused['rejected']['message']
        moot = by_id[('expectations/rejected_constraint',
                      'lifecycle/delete', path)]
        assert moot.get('skip_kind') == 'moot', moot
        kept = by_id[('expectations/rejected_update', 'lifecycle/too-big',
                      path)]['observation']
        assert kept['stack'] == 'CREATE_COMPLETE' and kept['rejected']
    alike = [(row['template'], row['scenario'])
             for row in report['failed_alike']]
    assert alike == [('expectations/fails_alike', 'lifecycle/create')]
    values = [c for c in report['cases'] if c['template'].startswith(
        'values/') and c['scenario'] == 'lifecycle/create']
    assert values and all(
        '<stack name>' in json.dumps(c['observation']['outputs'])
        for c in values), values
