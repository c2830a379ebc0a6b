"""Unit tests of the external target's pure parts.

``redact`` hides passwords, tokens and URL credentials in what is shown;
``describe`` names clouds, never credentials, and refuses unknown paths;
``run_command`` substitutes {names} and reports a failed command with its
redacted output; the CLI turns ``--cloud``/``--toggle``/``--db-url``/
``--migrate-command`` into that description; an external deployment
without a database URL reads no flag, and one without a migration
command says it cannot migrate.
"""

import json
import os
import sys

import pytest

from heat_functional import cli
from heat_functional.deployment import base
from heat_functional.deployment import embedded
from heat_functional.deployment import external


@pytest.mark.parametrize('text, shown', [
    ('password: s3cr3t', 'password: ***'),
    ('OS_PASSWORD=abc def', 'OS_PASSWORD=*** def'),
    ('{"password": "x1", "user": "u"}', '{"password": "***", "user": "u"}'),
    ('X-Auth-Token: gAAAAAB', 'X-Auth-Token: ***'),
    ('postgresql://heat:pw@db/heat', 'postgresql://heat:***@db/heat'),
    ('nothing secret here', 'nothing secret here'),
])
def test_redact(text, shown):
    assert external.redact(text) == shown


def test_describe_names_clouds_only():
    description = external.describe(
        {'legacy': 'dev-l', 'convergence': 'dev-c'},
        {'flip-on': ('dev-t', 'ssh ctl flip {convergence_engine}')},
        {'dev-l': 'postgresql://ro@db/heat'}, 'heat-manage m {stack_id}')
    assert description['kind'] == 'external'
    assert description['paths']['legacy'] == {
        'cloud': 'dev-l', 'convergence_engine': False,
        'db_url': 'postgresql://ro@db/heat'}
    assert description['paths']['convergence']['db_url'] is None
    assert description['toggles']['flip-on']['convergence_engine'] is False
    assert 'password' not in repr(description)


def test_describe_refuses_unknown_paths():
    with pytest.raises(base.DeploymentError, match='unknown path'):
        external.describe({'fast': 'x'})


def test_run_command_substitutes_and_reports_redacted_failures():
    out = external.run_command(
        '%s -c "print(\'{stack_id}\')"' % sys.executable, 'x', stack_id='s1')
    assert out == 's1'
    with pytest.raises(base.DeploymentError) as failed:
        external.run_command(
            '%s -c "import sys; sys.exit(\'password=hunter2 refused\')"'
            % sys.executable, 'migration of stack s1')
    assert 'migration of stack s1' in str(failed.value)
    assert 'exited with 1' in str(failed.value)
    assert 'hunter2' not in str(failed.value)


def parse(*argv):
    return cli.build_parser().parse_args(['gate', '--target', 'external'] +
                                         list(argv))


def test_cli_builds_the_description():
    args = parse('--cloud', 'legacy=dev-l', '--cloud', 'convergence=dev-c',
                 '--toggle', 'flip-back=dev-t', '--toggle-command',
                 'flip {convergence_engine}', '--db-url', 'dev-c=sqlite://',
                 '--migrate-command', 'm {stack_id}')
    description = cli.external_description(args)
    assert {p: i['cloud'] for p, i in description['paths'].items()} == {
        'legacy': 'dev-l', 'convergence': 'dev-c'}
    assert description['toggles']['flip-back']['command'] == \
        'flip {convergence_engine}'
    assert description['paths']['convergence']['db_url'] == 'sqlite://'


def test_database_passwords_reach_pytest_but_no_file(tmp_path, monkeypatch):
    from heat_functional import config
    from heat_functional import deployment
    from heat_functional.results import report
    monkeypatch.setattr(external, 'check_credentials', lambda d: None)
    args = parse('--cloud', 'legacy=dev-l', '--cloud', 'convergence=dev-c',
                 '--db-url', 'dev-c=postgresql://ro:s3cret@db/heat')
    env = cli.pytest_environment(args, str(tmp_path))
    kept = (tmp_path / config.DESCRIPTION_JSON).read_text()
    assert 's3cret' not in kept and 'postgresql://ro:***@db/heat' in kept
    assert config.DEPLOYMENT_ENV not in env
    monkeypatch.setenv(config.DEPLOYMENT_JSON_ENV,
                       env[config.DEPLOYMENT_JSON_ENV])
    assert deployment.given()
    description = deployment.load_description()
    assert description['paths']['convergence']['db_url'] == \
        'postgresql://ro:s3cret@db/heat'
    built = report.build([], description, ['legacy', 'convergence'])
    assert 's3cret' not in json.dumps(built)


@pytest.mark.parametrize('argv, message', [
    (['--cloud', 'legacy=dev-l'], 'needs --cloud PATH=CLOUD for convergence'),
    (['--cloud', 'legacy=a', '--cloud', 'convergence=b', '--toggle',
      'flip-on=c'], 'needs --toggle-command'),
    (['--cloud', 'legacy=a', '--cloud', 'convergence=b', '--toggle',
      'sideways=c', '--toggle-command', 'x'], 'unknown toggle'),
])
def test_cli_refuses_incomplete_targets(argv, message):
    with pytest.raises(SystemExit, match=message):
        cli.external_description(parse(*argv))


def test_without_database_no_flag_is_read_and_migration_is_refused():
    handle = external.ExternalDeployment(external.describe(
        {'legacy': 'a', 'convergence': 'b'}))
    assert handle.stack_flags('legacy', 'x') is None
    assert handle.stack_timeline('legacy', 'x') is None
    assert 'no migration command' in handle.cannot_migrate
    with pytest.raises(base.DeploymentError, match='no command'):
        handle.restart('legacy', True)


def test_clouds_yaml_of_a_deployment_has_its_toggle_cells():
    text = embedded.noauth_clouds_yaml({
        'paths': {'legacy': {'endpoint': 'http://h:1/v1/admin'}},
        'toggles': {'flip-on': {'endpoint': 'http://h:2/v1/admin'}}})
    assert 'heat-functional-legacy:' in text
    assert 'heat-functional-flip-on:' in text


def test_one_region_and_session_per_cloud_in_a_process(
        tmp_path, monkeypatch):
    """Every case of a worker shares its cloud's keystoneauth session (one
    token, not a password authentication per case); another cloud, or a
    clouds.yaml that changed, gets its own."""
    made = []
    monkeypatch.setattr(external, '_SHARED_REGIONS', {})
    monkeypatch.setattr(external, 'cloud_region',
                        lambda cloud, clouds_file=None: made.append(
                            (cloud, clouds_file)) or object())
    clouds_file = tmp_path / 'clouds.yaml'
    clouds_file.write_text('clouds: {}\n')
    first = external.shared_region('a', str(clouds_file))
    assert external.shared_region('a', str(clouds_file)) is first
    assert external.shared_region('b', str(clouds_file)) is not first
    stat = clouds_file.stat()
    os.utime(str(clouds_file), ns=(stat.st_atime_ns,
                                   stat.st_mtime_ns + 10 ** 9))
    assert external.shared_region('a', str(clouds_file)) is not first
    assert made == [('a', str(clouds_file)), ('b', str(clouds_file)),
                    ('a', str(clouds_file))]
