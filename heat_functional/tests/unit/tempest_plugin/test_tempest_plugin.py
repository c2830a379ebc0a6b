"""Unit tests of the tempest plugin's configuration handling and plan.

``[heat_functional]`` (tempest_plugin/config.py) read from a real
tempest.conf text with oslo.config: its defaults, the cells it gives and
every inconsistency it refuses with the option's name; the clouds made of
tempest's own credentials; the description of the external target it
becomes. The plan (plan.py): class and test names that sort in step
order, and the pytest suites' case ids. The run's shared directory
(session.py): records, running markers, the verdict's wait with its idle
and overall limits, the run id of a worker started through ``sh -c``.
The verdict's report and failure message (verdict.py), and the
tempest.conf check.py writes for an embedded deployment.
"""

import json
import os
import subprocess
import sys
import types

from oslo_config import cfg
import pytest
import yaml

from heat_functional import config
from heat_functional import records
from heat_functional.tempest_plugin import check
from heat_functional.tempest_plugin import config as plugin_config
from heat_functional.tempest_plugin import plan
from heat_functional.tempest_plugin import session
from heat_functional.tempest_plugin import verdict

REPO = os.path.dirname(config.PACKAGE_DIR)


def section(tmp_path, text=''):
    """The [heat_functional] group of a tempest.conf holding `text`."""
    conf = cfg.ConfigOpts()
    conf.register_group(plugin_config.group)
    conf.register_opts(plugin_config.opts, group=plugin_config.group)
    path = tmp_path / 'tempest.conf'
    path.write_text('[heat_functional]\n' + text)
    conf(args=[], default_config_files=[str(path)])
    return conf.heat_functional


TWO_CLOUDS = 'clouds = legacy:dev-l, convergence:dev-c\n'
DB_URLS = ('db_urls = legacy:mysql+pymysql://ro:pw@ctl:3306/heat?x=1,'
           'convergence:postgresql://ro@db/heat\n')


# -- config.py ---------------------------------------------------------------
def test_defaults_and_not_configured(tmp_path):
    group = section(tmp_path)
    assert group.paths == ['legacy', 'convergence']
    assert group.scenarios == ['lifecycle', 'flip', 'migrate']
    assert group.flag_source == 'db'
    assert group.templates_dir == config.SHIPPED_TEMPLATES
    assert group.templates == []
    assert 'heat-functional is not configured' in \
        plugin_config.not_configured(group)
    assert plugin_config.not_configured(
        section(tmp_path, TWO_CLOUDS)) is None


def test_db_urls_keep_their_colons_and_are_secret(tmp_path):
    group = section(tmp_path, TWO_CLOUDS + DB_URLS)
    assert group.db_urls['legacy'] == 'mysql+pymysql://ro:pw@ctl:3306/heat?x=1'
    assert [o for o in plugin_config.opts if o.name == 'db_urls'][0].secret


@pytest.mark.parametrize('paths, selected', [
    ('convergence, legacy', ['legacy', 'convergence']),
    ('convergence', ['convergence']),
])
def test_selected_paths(tmp_path, paths, selected):
    group = section(tmp_path, 'paths = %s\n' % paths)
    assert plugin_config.selected_paths(group) == selected


@pytest.mark.parametrize('text, message', [
    ('paths = legacy,fast\n', r'\[heat_functional\] paths must list some '
     r'of legacy, convergence \(got legacy, fast\)'),
    ('paths =\n', r'paths must list .* \(got nothing\)'),
    ('scenarios = lifecycle,chaos\n', r'\[heat_functional\] scenarios must '
     r'list some of lifecycle, flip, migrate'),
])
def test_bad_selections_name_the_option(tmp_path, text, message):
    group = section(tmp_path, text)
    with pytest.raises(plugin_config.ConfigError, match=message):
        plugin_config.selected_paths(group)
        plugin_config.selected_scenarios(group)


def test_cells_of_clouds_and_of_regions(tmp_path):
    group = section(tmp_path, TWO_CLOUDS + 'regions = legacy:RegionLegacy\n')
    assert plugin_config.cells(group) == {'legacy': 'dev-l',
                                          'convergence': 'dev-c'}
    group = section(tmp_path, 'regions = legacy:RL, convergence:RC, '
                    'flip-on:RT\n')
    assert plugin_config.cells(group) == {
        'legacy': 'heat-functional-legacy',
        'convergence': 'heat-functional-convergence',
        'flip-on': 'heat-functional-flip-on'}


@pytest.mark.parametrize('text, message', [
    ('clouds = legacy:dev-l\n',
     r'\[heat_functional\] clouds gives no cloud for path\(s\) convergence'),
    ('regions = convergence:RC\n',
     r'\[heat_functional\] regions gives no region for path\(s\) legacy'),
    (TWO_CLOUDS.rstrip('\n') + ', staging:dev-s\n',
     r'clouds names unknown cell\(s\) staging; cells are legacy, '
     r'convergence, flip-on, flip-back'),
])
def test_cells_refuse_what_is_missing_or_unknown(tmp_path, text, message):
    with pytest.raises(plugin_config.ConfigError, match=message):
        plugin_config.cells(section(tmp_path, text))


def test_paths_subset_needs_only_its_clouds(tmp_path):
    group = section(tmp_path, 'paths = convergence\nclouds = '
                    'convergence:dev-c\nflag_source = none\n')
    description = plugin_config.describe(group)
    assert list(description['paths']) == ['convergence']


def test_describe_two_clouds_with_toggle_and_commands(tmp_path):
    clouds_file = tmp_path / 'clouds.yaml'
    clouds_file.write_text('clouds: {}\n')
    group = section(tmp_path, TWO_CLOUDS.rstrip('\n') + ', flip-on:dev-t\n'
                    'clouds_file = %s\n' % clouds_file + DB_URLS.rstrip('\n')
                    + ',flip-on:postgresql://ro@t/heat\n'
                    'toggle_command = ssh t flip {convergence_engine}\n'
                    'migrate_command = ssh l heat-manage m {stack_id}\n')
    description = plugin_config.describe(group)
    assert description['kind'] == 'external'
    assert description['clouds_file'] == str(clouds_file)
    assert description['paths']['legacy'] == {
        'cloud': 'dev-l', 'convergence_engine': False,
        'db_url': 'mysql+pymysql://ro:pw@ctl:3306/heat?x=1'}
    assert description['toggles'] == {'flip-on': {
        'cloud': 'dev-t', 'command': 'ssh t flip {convergence_engine}',
        'convergence_engine': False, 'db_url': 'postgresql://ro@t/heat'}}
    assert description['migrate_command'] == 'ssh l heat-manage m {stack_id}'


@pytest.mark.parametrize('text, message', [
    (TWO_CLOUDS, r'flag_source is db, but \[heat_functional\] db_urls has '
     r'no URL for legacy, convergence \(give one, or set flag_source = '
     r'none'),
    (TWO_CLOUDS + 'db_urls = legacy:sqlite:///l\n',
     r'has no URL for convergence'),
    (TWO_CLOUDS.rstrip('\n') + ',flip-back:dev-t\nflag_source = none\n',
     r'toggle cell\(s\) flip-back need \[heat_functional\] toggle_command'),
    (TWO_CLOUDS + 'clouds_file = /nonexistent/clouds.yaml\n'
     'flag_source = none\n',
     r'\[heat_functional\] clouds_file: no file /nonexistent/clouds.yaml'),
    (TWO_CLOUDS + DB_URLS.rstrip('\n') + ',flip-up:sqlite:///x\n',
     r'db_urls names unknown cell\(s\) flip-up'),
    ('clouds = legacy:devstack, convergence:devstack\nflag_source = none\n',
     r'paths legacy, convergence share one cloud: only the flags read from '
     r'its database show which path each case ran on'),
])
def test_describe_refuses_inconsistencies(tmp_path, text, message):
    with pytest.raises(plugin_config.ConfigError, match=message):
        plugin_config.describe(section(tmp_path, text))


def test_flag_source_none_reads_no_flag(tmp_path):
    description = plugin_config.describe(section(
        tmp_path, TWO_CLOUDS + 'flag_source = none\n'))
    assert {p['db_url'] for p in description['paths'].values()} == {None}
    assert description['migrate_command'] is None


def _tempest_conf(**auth):
    values = dict(admin_username='admin', admin_password='s3cr3t',
                  admin_project_name='admin', admin_domain_name=None)
    values.update(auth)
    return types.SimpleNamespace(
        auth=types.SimpleNamespace(**values),
        identity=types.SimpleNamespace(
            uri_v3='http://ks:5000/v3', default_credentials_domain_name='D',
            disable_ssl_certificate_validation=False,
            ca_certificates_file='/etc/ssl/ca.pem'))


def test_tempest_clouds_take_tempest_credentials(tmp_path):
    group = section(tmp_path, 'regions = legacy:RL, convergence:RC\n')
    clouds = plugin_config.tempest_clouds(group, _tempest_conf())['clouds']
    assert sorted(clouds) == ['heat-functional-convergence',
                              'heat-functional-legacy']
    legacy = clouds['heat-functional-legacy']
    assert legacy['region_name'] == 'RL'
    assert legacy['auth'] == {
        'auth_url': 'http://ks:5000/v3', 'username': 'admin',
        'password': 's3cr3t', 'project_name': 'admin',
        'user_domain_name': 'D', 'project_domain_name': 'D'}
    assert legacy['verify'] is True and legacy['cacert'] == '/etc/ssl/ca.pem'


def test_tempest_clouds_name_the_missing_tempest_options(tmp_path):
    group = section(tmp_path, 'regions = legacy:RL, convergence:RC\n')
    with pytest.raises(plugin_config.ConfigError, match=(
            r'regions uses tempest\'s credentials, but \[auth\] '
            r'admin_password, \[auth\] admin_project_name not set')):
        plugin_config.tempest_clouds(group, _tempest_conf(
            admin_password='', admin_project_name=None))


def _corpus(tmp_path, names):
    directory = tmp_path / 'corpus'
    directory.mkdir()
    for name in names:
        (directory / ('%s.yaml' % name)).write_text(
            'heat_template_version: 2021-04-16\n')
    return directory


def test_selected_templates(tmp_path):
    directory = _corpus(tmp_path, ['b', 'a', 'c'])
    group = section(tmp_path, 'templates_dir = %s\ntemplates = c, a\n'
                    % directory)
    assert [t.name for t in plugin_config.selected_templates(group)] == \
        ['a', 'c']
    group = section(tmp_path, 'templates_dir = %s\ntemplates = a,zz\n'
                    % directory)
    with pytest.raises(plugin_config.ConfigError,
                       match=r'templates: no template named zz in .*corpus'):
        plugin_config.selected_templates(group)


# -- plan.py -----------------------------------------------------------------
def _template(tmp_path, name, updates):
    from heat_functional import corpus
    path = tmp_path / ('%s.yaml' % name)
    path.write_text('heat_template_version: 2021-04-16\n')
    return corpus.Template(str(path), {'updates': [
        {'name': n} for n in updates]})


def test_lifecycle_plan_sorts_in_step_order_with_pytest_ids(tmp_path):
    template = _template(tmp_path, 'group', ['grow', 'shrink'])
    classes = plan.lifecycle([template], ['legacy', 'convergence'])
    assert [c.name for c in classes] == ['group_on_legacy',
                                         'group_on_convergence']
    tests = classes[0].tests
    assert [t.method for t in tests] == [
        'test_01_create', 'test_02_grow', 'test_03_shrink', 'test_04_delete']
    assert tests[1].case_id == 'test_lifecycle[group-grow-legacy]'
    assert (tests[1].scenario, tests[1].path) == ('lifecycle/grow', 'legacy')


def test_method_names_sort_in_order_past_99_steps(tmp_path):
    template = _template(tmp_path, 'long', ['u%d' % i for i in range(120)])
    methods = [t.method for t in plan.lifecycle([template],
                                                ['legacy'])[0].tests]
    assert sorted(methods) == methods and methods[0] == 'test_001_create'


def test_flag_lifecycle_plan(tmp_path):
    template = _template(tmp_path, 'group', ['grow'])
    planned = plan.plan(['flip', 'migrate'], [template], ['legacy'])
    flips = planned['flip']
    assert [c.name for c in flips] == ['flip_on', 'flip_back']
    assert [t.case_id for t in flips[0].tests] == [
        'test_flip[flip-on-group-%s]' % s
        for s in ('create', 'grow', 'delete', 'new-create', 'new-delete')]
    assert flips[0].tests[3].method == 'test_group_04_new_create'
    migrate, refused = planned['migrate']
    assert migrate.name == 'group_migrate'
    assert [t.case_id for t in migrate.tests] == [
        'test_migrate[group-%s]' % s
        for s in ('create', 'migrate', 'grow', 'delete')]
    assert refused.tests[0].case_id == \
        'test_migration_refused_while_in_progress'
    assert len(plan.cases(planned)) == 2 * 5 + 4 + 1


# -- session.py --------------------------------------------------------------
def test_records_and_running_markers(tmp_path):
    directory = str(tmp_path / 'run')
    with session.running(directory, 'test_lifecycle[a-create-legacy]'):
        assert session.busy(directory) == [
            records.file_name('test_lifecycle[a-create-legacy]')]
    assert session.busy(directory) == []
    path = records.write(directory, {'id': 'test_x[a-b]'})
    assert os.path.basename(path) == records.file_name('test_x[a-b]')
    assert json.load(open(path)) == {'id': 'test_x[a-b]'}


def test_a_dead_worker_is_not_busy(tmp_path):
    directory = tmp_path / 'run'
    (directory / session.RUNNING_DIR).mkdir(parents=True)
    dead = subprocess.Popen(['true'])
    dead.wait()
    (directory / session.RUNNING_DIR / 'x.json').write_text(str(dead.pid))
    assert session.busy(str(directory)) == []


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_wait_for_returns_once_every_record_is_in(tmp_path):
    directory = str(tmp_path)
    for case_id in ('a', 'b'):
        records.write(directory, {'id': case_id})
    clock = Clock()
    assert session.wait_for(directory, ['a', 'b'], 100, 10, clock,
                            clock.sleep) == []
    assert clock.now == 0


def test_wait_for_gives_up_when_idle_or_late(tmp_path):
    directory = str(tmp_path)
    records.write(directory, {'id': 'a'})
    clock = Clock()
    assert session.wait_for(directory, ['a', 'b'], 100, 10, clock,
                            clock.sleep) == ['b']
    assert clock.now == 10
    clock = Clock()
    with session.running(directory, 'b'):  # a live worker runs b
        assert session.wait_for(directory, ['a', 'b'], 30, 10, clock,
                                clock.sleep) == ['b']
    assert clock.now == 30


def test_run_id_skips_the_shell_stestr_starts_workers_with():
    env = dict(os.environ)
    env.pop(config.RUN_ID_ENV, None)
    done = subprocess.run(
        ['sh', '-c', '%s -c "from heat_functional.tempest_plugin import '
         'session; print(session.run_id())"' % sys.executable],
        capture_output=True, text=True, env=env, cwd=REPO, check=True)
    assert done.stdout.strip() == 'tempest-%d-%s' % (
        os.getpid(), session._stat(os.getpid())[1])


def test_a_derived_run_id_goes_into_the_environment(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, '')  # unset, and restored after
    made = session.run_id()
    assert made.startswith(session.RUN_PREFIX)
    assert os.environ[config.RUN_ID_ENV] == made == session.run_id()


def test_run_id_from_the_environment(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'job-42')
    assert session.run_id() == 'job-42'
    monkeypatch.setenv(config.RUN_ID_ENV, 'no spaces, please')
    with pytest.raises(ValueError, match="run id 'no spaces, please'"):
        session.run_id()


def test_publish_and_remove_stale(tmp_path):
    report_dir = tmp_path / 'report'
    old = report_dir / session.RUNS_DIR / 'tempest-999999999-1'
    (old / 'cases').mkdir(parents=True)
    current = session.run_dir(str(report_dir), 'tempest-1-1')
    records.write(current, {'id': 'a'})
    session.remove_stale(str(report_dir), keep='tempest-1-1')
    assert not old.exists() and os.path.isdir(current)
    session.publish(current, str(report_dir))
    assert os.listdir(report_dir / 'cases') == [records.file_name('a')]
    assert not (report_dir / session.RUNS_DIR).exists()


# -- verdict.py --------------------------------------------------------------
def _record(case_id, template, step, path, observation, outcome='passed'):
    return {'id': case_id, 'template': template,
            'scenario': 'lifecycle/%s' % step, 'path': path,
            'outcome': outcome, 'observation': observation, 'stacks': [],
            'parity': 'pair', 'reference': None, 'message': None}


def test_judge_fails_with_the_differences_and_missing_cases(tmp_path):
    directory = str(tmp_path / 'run')
    report_dir = str(tmp_path / 'report')
    records.write(directory, _record(
        'test_lifecycle[t-create-legacy]', 't', 'create', 'legacy',
        {'stack': 'CREATE_COMPLETE', 'outputs': {'o': 'left'}}))
    records.write(directory, _record(
        'test_lifecycle[t-create-convergence]', 't', 'create', 'convergence',
        {'stack': 'CREATE_COMPLETE', 'outputs': {'o': 'west'}}))
    missing = plan.PlannedTest('test_02_delete',
                               'test_lifecycle[t-delete-legacy]', 't',
                               'lifecycle/delete', 'legacy', None)
    built = verdict.judge(directory, report_dir, {'kind': 'external'},
                          ['legacy', 'convergence'], [missing], 0)
    assert built['verdict'] == 'fail'
    assert os.path.exists(os.path.join(report_dir, config.REPORT_JSON))
    assert len(os.listdir(os.path.join(report_dir, 'cases'))) == 3
    message = verdict.failure_message(built, report_dir)
    assert 'test_lifecycle[t-delete-legacy] error: did not run in this ' \
        'tempest run' in message
    assert 't/lifecycle/create:\n  outputs.o: legacy "left", convergence ' \
        '"west"' in message
    assert 'verdict: FAIL' in message


def test_missing_flag_lifecycle_cases_are_not_paired():
    planned = plan.PlannedTest('m', 'test_flip[flip-on-t-create]', 't',
                               'flip-on/create', 'flip-on', None)
    record = verdict.missing_record(planned, 'did not run')
    assert (record['outcome'], record['parity']) == ('error', 'none')


def test_differences_show_references_and_cut_long_lists():
    entry = {'template': 't', 'scenario': 'flip-on/grow', 'path': 'flip-on',
             'reference': {'scenario': 'lifecycle/grow', 'path': 'legacy'},
             'equal': False, 'allowed': False,
             'differences': [{'location': 'l%d' % i, 'legacy': i,
                              'convergence': 'x' * 300, 'allowed_by': []}
                             for i in range(12)]}
    lines = verdict.differences({'parity': [], 'references': [entry]})
    assert lines[0] == 't/flip-on/grow on flip-on against lifecycle/grow ' \
        'on legacy:'
    assert lines[1].startswith('  l0: reference 0, this case "xxx')
    assert lines[1].endswith('...')
    assert lines[-1] == '  ... and 2 more'


# -- check.py ----------------------------------------------------------------
def _deployment(tmp_path):
    clouds = {'clouds': {'heat-functional-%s' % cell: {
        'auth_type': 'password', 'region_name': cell,
        'auth': {'auth_url': 'http://127.0.0.1:5/v3', 'username': 'u',
                 'password': 'pw', 'project_name': 'p',
                 'user_domain_name': 'Default',
                 'project_domain_name': 'Default'}}
        for cell in ('legacy', 'convergence', 'flip-on')}}
    clouds_file = tmp_path / 'clouds.yaml'
    clouds_file.write_text(yaml.safe_dump(clouds))
    cell = {c: {'cloud': 'heat-functional-%s' % c,
                'db_url': 'postgresql://pg@/heat_%s?host=/d' % c}
            for c in ('legacy', 'convergence', 'flip-on')}
    description = {'paths': {p: cell[p] for p in ('legacy', 'convergence')},
                   'toggles': {'flip-on': cell['flip-on']},
                   'clouds_file': str(clouds_file)}
    return description, str(clouds_file)


@pytest.mark.parametrize('clouds', [False, True])
def test_check_writes_a_tempest_conf_the_plugin_reads(tmp_path, clouds):
    description, clouds_file = _deployment(tmp_path)
    args = check.build_parser().parse_args(
        ['--templates', 'resource_group', '--report-dir',
         str(tmp_path / 'r')] + (['--clouds'] if clouds else []))
    text = check.tempest_conf(description, str(
        tmp_path / config.DESCRIPTION_JSON), args, str(tmp_path))
    assert 'admin_password = pw' in text and 'uri_v3 = http://127.0.0.1:5/v3' \
        in text
    group = section(tmp_path, text.split('[heat_functional]\n')[1])
    described = plugin_config.describe(
        group, None if clouds else clouds_file)
    assert described['toggles']['flip-on']['command'].endswith(
        'heat_functional.deployment.operator_commands.embedded %s engine '
        '{cloud} '
        '{convergence_engine}' % os.path.join(str(tmp_path),
                                              config.DESCRIPTION_JSON))
    assert described['paths']['legacy']['db_url'] == \
        'postgresql://pg@/heat_legacy?host=/d'
    assert described['clouds_file'] == clouds_file
    if not clouds:
        made = plugin_config.tempest_clouds(group, types.SimpleNamespace(
            auth=types.SimpleNamespace(admin_username='u',
                                       admin_password='pw',
                                       admin_project_name='p',
                                       admin_domain_name='Default'),
            identity=types.SimpleNamespace(
                uri_v3='http://127.0.0.1:5/v3',
                default_credentials_domain_name='Default',
                disable_ssl_certificate_validation=False,
                ca_certificates_file=None)))
        assert made['clouds']['heat-functional-flip-on']['region_name'] == \
            'flip-on'


def test_check_takes_the_commands_a_devstack_like_cloud_describes(tmp_path):
    description, clouds_file = _deployment(tmp_path)
    description['kind'] = 'external'
    description['toggles']['flip-on']['command'] = 'op engine {cloud} ' \
        '{convergence_engine}'
    description['migrate_command'] = 'op migrate {cloud} {stack_id}'
    args = check.build_parser().parse_args(
        ['--target', 'cloud', '--report-dir', str(tmp_path / 'r')])
    text = check.tempest_conf(description, str(
        tmp_path / config.DESCRIPTION_JSON), args, str(tmp_path))
    group = section(tmp_path, text.split('[heat_functional]\n')[1])
    described = plugin_config.describe(group, clouds_file)
    assert described['toggles']['flip-on']['command'] == \
        'op engine {cloud} {convergence_engine}'
    assert described['migrate_command'] == 'op migrate {cloud} {stack_id}'
    assert 'operator_commands.embedded' not in text


# -- plugin.py ---------------------------------------------------------------
def test_plugin_registers_its_group_and_finds_its_tests():
    pytest.importorskip('tempest.test_discover.plugins',
                        reason='tempest is installed with the package, '
                        'not in the unit test environment')
    from heat_functional.tempest_plugin import plugin
    instance = plugin.HeatFunctionalTempestPlugin()
    conf = cfg.ConfigOpts()
    instance.register_opts(conf)
    conf(args=[])
    assert conf.heat_functional.paths == ['legacy', 'convergence']
    assert instance.get_opt_lists() == [('heat_functional',
                                         plugin_config.opts)]
    tests_dir, top = instance.load_tests()
    assert os.path.isfile(os.path.join(tests_dir, 'test_verdict.py'))
    assert os.path.relpath(tests_dir, top) == os.path.join(
        'heat_functional', 'tempest_plugin', 'tests')


# -- the flip scenario's shared body -----------------------------------------
def test_a_flip_case_skipped_before_its_flip_runs_is_never_paired():
    from heat_functional import case as case_module
    from heat_functional import flag_lifecycle
    case = case_module.Case.detached('test_flip[flip-on-t-create]', 't',
                                     'flip/create', 'flip-on')

    def no_toggle(toggle):
        pytest.skip('no toggle cell %s' % toggle)
    with pytest.raises(pytest.skip.Exception, match='no toggle cell flip-on'):
        flag_lifecycle.run_flip_case(no_toggle, 'flip-on', None, 'create',
                                     case)
    assert case.record('skipped', 'no toggle', 0)['parity'] == 'none'
