"""Unit tests of heat_functional.cli.

Covers the argument parser, ``clouds_yaml``, the pytest command line and
environment a run uses, ``main(['report', ...])`` and the early exit of
``run`` for a missing template directory. Nothing here starts pytest or
a deployment.
"""

import os

import pytest
import yaml

from heat_functional import cli
from heat_functional import config
from heat_functional import run_spec
from heat_functional.deployment import embedded
from heat_functional.results import report
from heat_functional.results import table

DESCRIPTION = {
    'paths': {
        'legacy': {'endpoint': 'http://127.0.0.1:8001/v1/admin'},
        'convergence': {'endpoint': 'http://127.0.0.1:8002/v1/admin'},
    },
}


def parse(*argv):
    return cli.build_parser().parse_args(list(argv))


# -- parser ------------------------------------------------------------------

def test_parser_gate_with_everything():
    args = parse('gate', '--templates', 'D', '--paths', 'legacy', '-n', '2',
                 '-k', 'foo', '--', '-x')
    assert (args.command, args.templates, args.paths, args.workers,
            args.keyword, args.pytest_args) == (
        'gate', 'D', ['legacy'], '2', 'foo', ['-x'])


def test_parser_defaults(monkeypatch):
    monkeypatch.delenv(config.DB_ENV, raising=False)
    monkeypatch.delenv('TOX_ENV_NAME', raising=False)
    args = parse('run')
    assert (args.db, args.paths, args.workers, args.keyword,
            args.templates, args.pytest_args, args.report_dir) == (
        'postgresql', ['legacy', 'convergence'], '12', None, None, [],
        os.path.join('reports', 'run'))


def test_parser_db_default_from_environment(monkeypatch):
    monkeypatch.setenv(config.DB_ENV, 'sqlite')
    assert parse('deploy').db == 'sqlite'


def test_parser_paths_list():
    assert parse('run', '--paths', ' convergence , legacy ').paths == [
        'convergence', 'legacy']


@pytest.mark.parametrize('paths', ['bogus', 'legacy,bogus', ','])
def test_parser_rejects_unknown_paths(paths, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse('gate', '--paths', paths)
    assert exit_.value.code == 2
    assert 'paths must be a comma-separated list of legacy, convergence' in (
        capsys.readouterr().err)


def test_parser_db_choices(capsys):
    assert parse('run', '--db', 'sqlite').db == 'sqlite'
    assert parse('deploy', '--db', 'postgresql').db == 'postgresql'
    with pytest.raises(SystemExit):
        parse('run', '--db', 'mysql')
    assert "invalid choice: 'mysql'" in capsys.readouterr().err


def test_parser_requires_a_command():
    with pytest.raises(SystemExit):
        parse()


def test_parser_report():
    assert parse('report', 'r/report.json').report_json == 'r/report.json'


# -- clouds.yaml -------------------------------------------------------------

def test_clouds_yaml():
    text = embedded.noauth_clouds_yaml(DESCRIPTION)
    assert yaml.safe_load(text) == {'clouds': {
        'heat-functional-legacy': {
            'auth_type': 'none',
            'auth': {'endpoint': 'http://127.0.0.1:8001/v1/admin'},
            'orchestration_endpoint_override':
                'http://127.0.0.1:8001/v1/admin'},
        'heat-functional-convergence': {
            'auth_type': 'none',
            'auth': {'endpoint': 'http://127.0.0.1:8002/v1/admin'},
            'orchestration_endpoint_override':
                'http://127.0.0.1:8002/v1/admin'},
    }}


# -- pytest command and environment ------------------------------------------

def test_pytest_command_with_workers_and_keyword(tmp_path):
    argv = cli.pytest_command(parse('run', '-n', '3', '-k', 'group', '--',
                                    '-x', '--maxfail=1'), str(tmp_path))
    assert argv[1:4] == ['-m', 'pytest', cli.SCENARIOS_DIR]
    assert argv[argv.index('-n') + 1] == '3'
    assert argv[argv.index('--dist') + 1] == 'loadgroup'
    # The groups go out in the plugin's order: longest first (costs.py).
    assert '--no-loadscope-reorder' in argv
    assert argv[argv.index('--max-worker-restart') + 1] == '0'
    assert argv[argv.index('-k') + 1] == 'group'
    assert argv[argv.index('--junitxml') + 1] == str(tmp_path / 'junit.xml')
    assert argv[-2:] == ['-x', '--maxfail=1']


@pytest.mark.parametrize('workers', ['0', ''])
def test_pytest_command_without_workers(tmp_path, workers):
    argv = cli.pytest_command(parse('run', '-n', workers), str(tmp_path))
    assert '-n' not in argv
    assert '--dist' not in argv
    assert '-k' not in argv


def test_pytest_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(config.DEPLOYMENT_ENV, '/tmp/deployment.json')
    monkeypatch.setenv('UNRELATED', 'kept')
    args = parse('gate', '--templates', 'D', '--paths', 'convergence',
                 '--db', 'sqlite')
    env = cli.pytest_environment(args, '/reports/x')
    spec = run_spec.current(env)
    assert spec.report_dir == '/reports/x'
    assert spec.paths == ('convergence',)
    assert spec.db == 'sqlite'
    assert spec.templates_dir == str(tmp_path / 'D')
    assert config.DEPLOYMENT_ENV not in env
    assert env['UNRELATED'] == 'kept'
    assert os.environ[config.DEPLOYMENT_ENV] == '/tmp/deployment.json'


def test_pytest_environment_both_paths_without_templates(monkeypatch):
    monkeypatch.delenv(config.TEMPLATES_ENV, raising=False)
    env = cli.pytest_environment(parse('run'), '/reports/x')
    spec = run_spec.current(env)
    assert spec.paths == ('legacy', 'convergence')
    assert spec.templates_dir == config.SHIPPED_TEMPLATES


def test_suite_template_choices_reach_pytest(monkeypatch):
    for variable in (config.ACTIONS_ENV, config.FAILURES_ENV):
        monkeypatch.delenv(variable, raising=False)
    env = cli.pytest_environment(parse(
        'gate', '--actions', 'all', '--failures', 'a,b'), '/reports/x')
    assert run_spec.current(env).actions == 'all'
    assert run_spec.current(env).failures == 'a,b'
    env = cli.pytest_environment(parse('gate'), '/reports/x')
    assert run_spec.current(env).failures is None
    assert run_spec.current(env).failure_templates() == \
        config.FAILURE_TEMPLATES


def test_parser_shard_options():
    args = parse('gate', '--shard', '2/3', '--shard-costs', 'r.json')
    assert (args.shard, args.shard_costs) == ((2, 3), 'r.json')
    assert parse('run').shard is None


@pytest.mark.parametrize('bad', ['0/2', '3/2', 'x', '1-2'])
def test_parser_refuses_a_bad_shard(bad, capsys):
    with pytest.raises(SystemExit):
        parse('gate', '--shard', bad)
    assert 'a shard is K/N with 1 <= K <= N' in capsys.readouterr().err


def test_the_shard_reaches_pytest(monkeypatch):
    monkeypatch.delenv(config.ONLY_ENV, raising=False)
    monkeypatch.delenv(config.TEMPLATES_ENV, raising=False)
    names = 'v_named_pike,v_named_queens,v_named_rocky'
    spec = run_spec.current(cli.pytest_environment(parse(
        'gate', '--only', names, '--shard', '2/2', '-k', 'lifecycle'),
        '/r'))
    assert spec.shard['templates'] == ['v_named_queens']
    assert (spec.shard['index'], spec.shard['count'], spec.keyword) == (
        2, 2, 'lifecycle')
    assert run_spec.current(cli.pytest_environment(
        parse('gate'), '/r')).shard is None


@pytest.mark.parametrize('argv, message', [
    (['--only', 'v_named_pike,v_named_queens', '--shard', '3/3'],
     'shard 3/3 gets no template: the run selects 2 templates, fewer '
     'than 3 shards'),
    (['--shard-costs', 'r.json'], '--shard-costs needs --shard K/N'),
    (['--only', 'v_named_pike', '--shard', '1/1', '--shard-costs',
      'missing.json'], '--shard-costs missing.json: No such file'),
])
def test_a_shard_that_cannot_run_stops_before_anything_starts(
        tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(config.ONLY_ENV, raising=False)
    status = cli.main(['gate', '--target', 'cloud', '--report-dir',
                       str(tmp_path / 'r')] + argv)
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'r' / 'report.json').exists()


# -- run and report ----------------------------------------------------------

def test_run_with_a_missing_template_directory(tmp_path, capsys):
    report_dir = tmp_path / 'reports'
    report_dir.mkdir()
    (report_dir / 'report.json').write_text('{}')
    status = cli.main(['run', '--templates', str(tmp_path / 'missing'),
                       '--report-dir', str(report_dir)])
    assert status == 2
    assert 'template directory %s does not exist' % (
        tmp_path / 'missing') in capsys.readouterr().err
    assert not (report_dir / 'report.json').exists()


def test_only_reaches_pytest_and_names_unknown_templates(tmp_path,
                                                         monkeypatch, capsys):
    monkeypatch.delenv(config.ONLY_ENV, raising=False)
    env = cli.pytest_environment(parse('gate', '--only', 'a,b'), '/r')
    assert run_spec.current(env).only == 'a,b'
    monkeypatch.delenv(config.RUN_SPEC_ENV, raising=False)
    monkeypatch.setenv(config.ONLY_ENV, ' a, b ,')
    assert run_spec.current().only_templates() == ('a', 'b')
    status = cli.main(['gate', '--target', 'cloud', '--only',
                       'resource_group,nothing,nor-this', '--report-dir',
                       str(tmp_path)])
    assert status == 2
    assert ('--only: no template named nothing, nor-this in %s'
            % config.SHIPPED_TEMPLATES) in capsys.readouterr().err


@pytest.mark.parametrize('files, message', [
    ({'x.yaml': 'heat_template_version: 2018-08-31\n',
      'x.yml': 'heat_template_version: 2018-08-31\n'},
     "'x.yaml' and 'x.yml' collide as case 'x'"),
    ({'t.yaml': 'heat_template_version: 2018-08-31\n',
      't.lifecycle.yaml': 'environment: ../../etc/passwd\n'},
     "environment '../../etc/passwd' resolves to"),
    ({'t.yaml': 'heat_template_version: 2018-08-31\nresources:\n  a:\n'
      '    type: ../elsewhere.yaml\n'},
     "t.yaml uses '../elsewhere.yaml' (type), which resolves to"),
    ({'t.yaml': 'heat_template_version: 2018-08-31\n',
      'ci.yaml': 'jobs: [x]\n'},
     'ci.yaml is used by no file and is not a template'),
])
def test_a_refused_corpus_stops_the_gate_before_it_starts(
        tmp_path, capsys, monkeypatch, files, message):
    # Without --only too: the corpus is read before pytest starts.
    templates = tmp_path / 'templates'
    templates.mkdir()
    for name, text in files.items():
        (templates / name).write_text(text)
    monkeypatch.setattr(cli.subprocess, 'Popen', None)  # never reached
    status = cli.main(['gate', '--templates', str(templates),
                       '--report-dir', str(tmp_path / 'r')])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith('heat-functional: ') and message in err
    assert err.count('\n') == 1


def test_environments_reach_pytest_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(config.ENVIRONMENTS_ENV, '["/stale.yaml"]')
    env = cli.pytest_environment(parse(
        'gate', '--environment', 'b.yaml', '--environment', '/x/a.yaml'),
        '/r')
    assert run_spec.current(env).environments == (
        str(tmp_path / 'b.yaml'), '/x/a.yaml')
    env = cli.pytest_environment(parse('gate'), '/r')
    assert run_spec.current(env).environments == ()


@pytest.mark.parametrize('text, message', [
    (None, 'No such file'),
    ('resources: {}\n', 'environment has wrong section "resources"'),
])
def test_a_bad_environment_stops_the_gate_before_it_starts(
        tmp_path, capsys, monkeypatch, text, message):
    environment = tmp_path / 'e.yaml'
    if text is not None:
        environment.write_text(text)
    monkeypatch.setattr(cli.subprocess, 'Popen', None)  # never reached
    status = cli.main(['gate', '--environment', str(environment),
                       '--report-dir', str(tmp_path / 'r')])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith('heat-functional: --environment %s: '
                          % environment) and message in err


def write_report(directory, cases):
    built = report.build(cases, {}, ['legacy'])
    return report.write(built, str(directory))


def case(outcome):
    return {'id': 'test_create[simple-legacy]', 'template': 'simple',
            'scenario': 'create', 'path': 'legacy', 'outcome': outcome,
            'message': 'it broke' if outcome == 'failed' else None,
            'stacks': [], 'observation': {'stack': 'CREATE_COMPLETE'}}


def test_report_command_of_a_passing_report(tmp_path, capsys):
    path = write_report(tmp_path, [case('passed')])
    assert cli.main(['report', path]) == 0
    out = capsys.readouterr().out
    assert out == table.render(report.read(path)) + '\n'
    assert 'simple' in out
    assert 'verdict: PASS' in out


def test_report_command_of_a_failing_report(tmp_path, capsys):
    write_report(tmp_path, [case('failed')])
    assert cli.main(['report', str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert 'verdict: FAIL' in out
    assert 'test_create[simple-legacy] failed: it broke' in out


def test_report_command_of_a_missing_file(tmp_path, capsys):
    missing = str(tmp_path / 'report.json')
    assert cli.main(['report', missing]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert 'cannot read %s' % missing in captured.err


def test_report_command_of_invalid_json(tmp_path, capsys):
    path = tmp_path / 'report.json'
    path.write_text('{not json')
    assert cli.main(['report', str(path)]) == 2
    assert 'cannot read' in capsys.readouterr().err


def test_a_dead_cloud_part_is_the_reason_the_report_gives(tmp_path,
                                                          monkeypatch,
                                                          capsys):
    from heat_functional import records
    signals = []
    monkeypatch.setattr(cli.os, 'kill',
                        lambda pid, signum: signals.append((pid, signum)))
    cli._cloud_died('heat-engine legacy-1 died (exit status -9)',
                    str(tmp_path))
    assert signals == [(os.getpid(), cli.signal.SIGTERM)]
    assert 'heat-engine legacy-1 died' in capsys.readouterr().err
    assert records.interruption(str(tmp_path)) == \
        'heat-engine legacy-1 died (exit status -9)'
    assert records.interruption(str(tmp_path / 'none')) is None


# -- paths, and the end of a run ----------------------------------------------
@pytest.mark.parametrize('paths, problem', [
    ('legacy', 'the gate compares the legacy and convergence paths; '
               '--paths leaves out convergence (use "heat-functional run" '
               'to run one path)'),
    ('legacy,legacy', '--paths names a path twice: legacy,legacy'),
    ('convergence,legacy', None),
])
def test_the_gate_needs_both_paths_once(paths, problem):
    assert cli.paths_problem(parse('gate', '--paths', paths)) == problem
    assert cli.paths_problem(parse('run', '--paths', 'legacy')) is None


def test_a_gate_on_one_path_stops_before_it_starts(tmp_path, capsys):
    status = cli.main(['gate', '--paths', 'legacy', '--report-dir',
                       str(tmp_path)])
    assert status == 2
    assert 'leaves out convergence' in capsys.readouterr().err
    assert not os.path.exists(tmp_path / config.REPORT_JSON)


def _records_of_a_killed_run(tmp_path):
    from heat_functional import plan
    from heat_functional import records
    keys = [plan.CaseKey('test_lifecycle[t-create-%s]' % p, 'lifecycle',
                         't', 'create', p, None)
            for p in config.PATH_NAMES]
    plan.write(str(tmp_path), keys)
    records.write(str(tmp_path), {
        'id': keys[0].case_id, 'suite': 'lifecycle', 'template': 't',
        'scenario': 'lifecycle/create', 'path': 'legacy',
        'outcome': 'passed', 'message': None, 'stacks': [],
        'observation': {'stack': 'CREATE_COMPLETE'}})


def test_a_killed_pytest_leaves_a_report_built_from_records(tmp_path):
    _records_of_a_killed_run(tmp_path)
    (tmp_path / config.INTERRUPTED_TXT).write_text('stopped by SIGTERM')
    args = parse('gate', '--report-dir', str(tmp_path))
    built = cli.finish_report(args, str(tmp_path), -9, 15)
    assert built['verdict'] == 'fail'
    assert built['interrupted'] == 'stopped by SIGTERM'
    assert built['missing'] == ['test_lifecycle[t-create-convergence]']
    assert 'pytest was killed by SIGKILL' in built['reasons']
    assert report.read(str(tmp_path))['verdict'] == 'fail'


def test_a_passing_report_with_a_failed_exit_status_fails(tmp_path):
    from heat_functional.tests.unit import evidence
    cases = [evidence.record('lifecycle', p, 'create',
                             observation={'stack': 'CREATE_COMPLETE'},
                             parity='pair')
             for p in config.PATH_NAMES] + evidence.records()
    report.write(report.build(cases, {}, list(config.PATH_NAMES)),
                 str(tmp_path))
    args = parse('gate', '--report-dir', str(tmp_path))
    assert report.read(str(tmp_path))['verdict'] == 'pass'
    built = cli.finish_report(args, str(tmp_path), 1, None)
    assert built['verdict'] == 'fail'
    assert built['reasons'][0].startswith('pytest exited with status 1')
    assert report.read(str(tmp_path))['verdict'] == 'fail'
