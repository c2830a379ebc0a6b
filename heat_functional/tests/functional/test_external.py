"""The external target, against a deployment it did not start.

``heat-functional deploy --toggles`` plays the real cloud: the gate
reaches it only through the clouds.yaml it wrote, flips its toggle cells
and migrates stacks with operator commands
(``deployment/operator_commands/embedded.py``), and reads flags
through read-only database URLs, exactly as it would on devstack. A
second gate without database URLs must say that it read no flag, and
that the default may therefore not change. After the deploy process
stops, nothing it started is left.
"""

import json
import os
import subprocess

import pytest

from heat_functional.deployment import processes
from heat_functional.deployment.operator_commands import embedded as \
    embedded_commands
from heat_functional.tests.functional import helpers

TEMPLATE = 'resource_group'


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """A running `heat-functional deploy --toggles`: its description."""
    report_dir = tmp_path_factory.mktemp('cloud')
    process = subprocess.Popen(
        helpers.cli('deploy', '--toggles', '--report-dir', str(report_dir)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=helpers.interruptible)
    description_file = report_dir / 'deployment.json'
    try:
        description = helpers.wait_for_deploy(process, report_dir)
        yield str(description_file), description['clouds_file'], description
    finally:
        helpers.interrupt(process)
    pids = [info['pid'] for info in dict(
        description['paths'], **description['toggles']).values()]
    assert not [pid for pid in pids if processes.alive(pid)]
    assert not os.path.exists(description['workdir'])


def _gate(tmp_path, cloud, with_db):
    description_file, clouds_file, description = cloud
    commands = embedded_commands.templates(description_file)
    cells = dict(description['paths'], **description['toggles'])
    args = ['gate', '--target', 'external', '--clouds-file', clouds_file,
            '--only', TEMPLATE, '-n', '2',
            '--report-dir', str(tmp_path / 'report'),
            '-k', 'test_lifecycle or test_flip or test_migrate',
            '--migrate-command', commands['migrate_command']]
    for path in description['paths']:
        args += ['--cloud', '%s=heat-functional-%s' % (path, path)]
    for toggle in description['toggles']:
        args += ['--toggle', '%s=heat-functional-%s' % (toggle, toggle)]
    args += ['--toggle-command', commands['toggle_command']]
    if with_db:
        for name, info in cells.items():
            args += ['--db-url', 'heat-functional-%s=%s'
                     % (name, info['db_url'])]
    done = subprocess.run(helpers.cli(*args), capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=900)
    with open(tmp_path / 'report' / 'report.json') as f:
        return done, json.load(f)


def test_gate_through_clouds_yaml_with_database_urls(tmp_path, cloud):
    done, report = _gate(tmp_path, cloud, with_db=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert report['deployment']['kind'] == 'external'
    scenarios = {c['scenario'].split('/')[0] for c in report['cases']}
    assert {'lifecycle', 'flip-on', 'flip-back', 'migrate'} <= scenarios
    assert report['summary']['flags']['checked'] > 0
    assert {f['source'] for f in report['flag_checks']} == {'db'}
    migrated = [c for c in report['cases']
                if c['scenario'] == 'migrate/migrate']
    assert migrated and migrated[0]['migration'] == {'method': 'command'}
    assert report['summary']['references']['different'] == 0


def test_gate_without_database_says_it_read_no_flag(tmp_path, cloud):
    done, report = _gate(tmp_path, cloud, with_db=False)
    assert report['summary']['flags']['checked'] == 0
    assert report['summary']['flags']['unverified_cases'] > 0
    assert report['may_change_default'] is False
    assert any('no flag was read' in b for b in report['default_blockers'])
    assert 'flags NOT read' in done.stdout


def test_wrong_credentials_are_one_error_naming_keystone(tmp_path, cloud):
    description_file, clouds_file, description = cloud
    import yaml
    with open(clouds_file) as f:
        clouds = yaml.safe_load(f)
    for entry in clouds['clouds'].values():
        entry['auth']['password'] = 'wrong-password'
    _assert_refused_by_keystone(tmp_path, clouds, 'wrong-password')


def _assert_refused_by_keystone(tmp_path, clouds, secret):
    """A gate on these clouds stops at once with one error naming
    keystone and the cloud, no traceback, and never shows the secret."""
    import yaml
    refused = tmp_path / 'clouds.yaml'
    refused.write_text(yaml.safe_dump(clouds))
    done = subprocess.run(helpers.cli(
        'gate', '--target', 'external', '--clouds-file', str(refused),
        '--cloud', 'legacy=heat-functional-legacy',
        '--cloud', 'convergence=heat-functional-convergence',
        '--report-dir', str(tmp_path / 'report')),
        capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    assert done.returncode != 0
    assert 'keystone at http://127.0.0.1:' in done.stderr
    assert "refused the credentials of cloud 'heat-functional-" in \
        done.stderr
    assert secret not in done.stderr + done.stdout
    assert 'Traceback' not in done.stderr


def test_an_expired_token_is_one_error_naming_keystone(tmp_path, cloud):
    """A clouds.yaml that carries a token (auth_type v3token) which is no
    longer valid: revoked here, as an expired one would be refused."""
    description_file, clouds_file, description = cloud
    import yaml
    from keystoneauth1 import loading
    from keystoneauth1 import session
    with open(clouds_file) as f:
        clouds = yaml.safe_load(f)
    for entry in clouds['clouds'].values():
        auth = entry['auth']
        password = loading.get_plugin_loader('password').load_from_options(
            **auth)
        token = session.Session(auth=password).get_token()
        identity = auth['auth_url'].rstrip('/')
        if not identity.endswith('/v3'):
            identity += '/v3'
        session.Session().delete(
            identity + '/auth/tokens',
            headers={'X-Auth-Token': token, 'X-Subject-Token': token})
        entry['auth_type'] = 'v3token'
        entry['auth'] = {'auth_url': auth['auth_url'], 'token': token,
                         'project_name': auth['project_name'],
                         'project_domain_name': auth.get(
                             'project_domain_name', 'Default')}
    _assert_refused_by_keystone(tmp_path, clouds, token)
