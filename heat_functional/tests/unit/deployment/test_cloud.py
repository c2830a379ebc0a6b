"""Unit tests of the devstack-like deployment's configuration and commands.

The broker's files and environment keep everything private (loopback
listener, its own epmd port, no epmd daemon, no system configuration);
a missing rabbitmq-server is one error that says how to install it; a
cell's heat.conf options and per-process files; the heat-engine command;
the owner's control routes; and the CLI's ``--target cloud``, which
refuses the options it sets itself. No process is started.
"""

import json

import pytest

from heat_functional import cli
from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import cloud
from heat_functional.deployment.parts import rabbitmq

PORTS = {'amqp': 5701, 'dist': 5702, 'epmd': 5703}


def test_rabbitmq_conf_listens_on_loopback_and_loads_definitions():
    text = rabbitmq.rabbitmq_conf(5701, '/w/definitions.json')
    assert 'listeners.tcp.default = 127.0.0.1:5701' in text.splitlines()
    assert 'definitions.local.path = /w/definitions.json' in text


def test_definitions_give_the_user_every_vhost():
    defs = rabbitmq.definitions(['legacy', 'flip-on'], 'pw')
    assert [v['name'] for v in defs['vhosts']] == ['legacy', 'flip-on']
    assert defs['users'] == [{'name': rabbitmq.USER, 'password': 'pw',
                              'tags': ''}]
    assert sorted(p['vhost'] for p in defs['permissions']) == \
        ['flip-on', 'legacy']
    assert all(p['user'] == rabbitmq.USER and p['read'] == '.*'
               for p in defs['permissions'])


def test_environment_is_private():
    env = rabbitmq.environment({'HOME': '/root', 'PATH': '/bin'}, '/w',
                               'hf-1@localhost', PORTS)
    assert env['PATH'] == '/bin'
    assert env['HOME'] == '/w/home'  # the Erlang cookie goes there
    assert env['RABBITMQ_NODENAME'] == 'hf-1@localhost'
    assert env['RABBITMQ_NODE_IP_ADDRESS'] == '127.0.0.1'
    assert env['RABBITMQ_DIST_PORT'] == '5702'
    assert env['ERL_EPMD_PORT'] == '5703'
    assert env['ERL_EPMD_ADDRESS'] == '127.0.0.1'
    # No epmd of its own; the Erlang distribution on loopback, as AMQP
    # (the start script splits the variable into erl's arguments).
    assert env['RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS'].split() == [
        '-start_epmd', 'false',
        '-kernel', 'inet_dist_use_interface', '{127,0,0,1}']
    assert env['RABBITMQ_CONF_ENV_FILE'] == '/w/rabbitmq-env.conf'
    for name in ('RABBITMQ_MNESIA_BASE', 'RABBITMQ_LOG_BASE',
                 'RABBITMQ_CONFIG_FILE', 'RABBITMQ_ENABLED_PLUGINS_FILE',
                 'RABBITMQ_PID_FILE'):
        assert env[name].startswith('/w/'), name


def test_transport_url_quotes_password_and_vhost():
    assert rabbitmq.transport_url('a/b:c', 5701, 'flip-on') == \
        'rabbit://heat-functional:a%2Fb%3Ac@127.0.0.1:5701/flip-on'


def test_missing_broker_says_how_to_install(tmp_path):
    with pytest.raises(rabbitmq.BrokerMissing) as missing:
        rabbitmq.find_binaries(server=str(tmp_path / 'rabbitmq-server'),
                               epmd='no-such-epmd-here')
    assert 'apt-get install rabbitmq-server' in str(missing.value)
    assert 'no-such-epmd-here' in str(missing.value)


def test_process_conf():
    assert cloud.process_conf('h1', '/l/e.log', True).splitlines() == [
        '[DEFAULT]', 'host = h1', 'log_file = /l/e.log',
        'convergence_engine = true']
    assert 'convergence_engine' not in cloud.process_conf('h1', '/l/a.log')


def test_cell_options_add_the_broker_without_changing_keystones():
    keystone_options = {'DEFAULT': {'deferred_auth_method': 'trusts'},
                        'trustee': {'username': 'heat'}}
    options = cloud.cell_options(keystone_options, 'rabbit://u:p@h:1/v')
    assert options['DEFAULT'] == {'deferred_auth_method': 'trusts',
                                  'transport_url': 'rabbit://u:p@h:1/v',
                                  'num_engine_workers': '1'}
    assert options['trustee'] == {'username': 'heat'}
    assert keystone_options['DEFAULT'] == {'deferred_auth_method': 'trusts'}


def test_engine_command_takes_every_config_file():
    argv = cloud.engine_command(['/c/heat.conf', '/c/engine-1.conf'])
    assert argv[-4:] == ['--config-file', '/c/heat.conf',
                         '--config-file', '/c/engine-1.conf']
    assert 'heat-engine' in argv[0] or 'heat.cmd.engine' in argv[-5]


def test_engine_hosts_differ():
    assert cloud.engine_host('legacy', 1) != cloud.engine_host('legacy', 2)


def test_toggles_for(monkeypatch):
    monkeypatch.delenv(config.TOGGLES_ENV, raising=False)
    assert cloud.toggles_for(['legacy', 'convergence']) == list(
        config.TOGGLES)
    assert cloud.toggles_for(['legacy']) == []
    monkeypatch.setenv(config.TOGGLES_ENV, '0')
    assert cloud.toggles_for(['legacy', 'convergence']) == []


def test_a_cell_needs_an_engine(tmp_path):
    with pytest.raises(base.DeploymentError, match='at least one engine'):
        cloud.CloudDeployment(str(tmp_path), engines=0)


def _call(app, method, path, body=None, secret=None):
    import io
    from heat_functional.deployment import control_secret
    data = json.dumps(body).encode() if body is not None else b''
    answer = {}

    def start_response(status, headers):
        answer['status'] = status
    payload = app({'REQUEST_METHOD': method, 'PATH_INFO': path,
                   'CONTENT_LENGTH': str(len(data)),
                   'wsgi.input': io.BytesIO(data),
                   control_secret.ENVIRON_KEY: secret or ''},
                  start_response)
    return answer['status'], json.loads(b''.join(payload))


def test_control_routes(tmp_path):
    from heat_functional.deployment import control_secret
    owner = cloud.CloudDeployment(str(tmp_path))
    owner.control_secret_file = control_secret.create(str(tmp_path))
    app = owner.control_routes()
    secret = control_secret.read(owner.control_secret_file)
    status, answer = _call(app, 'GET', '/nothing', secret=secret)
    assert status.startswith('404')
    status, answer = _call(app, 'GET', '/status/elsewhere', secret=secret)
    assert status.startswith('404')
    assert "no cell 'elsewhere'" in answer['error']
    status, answer = _call(app, 'POST', '/engine/elsewhere',
                           {'convergence_engine': True}, secret=secret)
    assert status.startswith('500')
    assert "no cell 'elsewhere'" in answer['error']


def test_cli_target_cloud_parses():
    args = cli.build_parser().parse_args(['gate', '--target', 'cloud'])
    assert args.target == 'cloud'


def test_cli_target_cloud_refuses_what_it_sets_itself(tmp_path):
    args = cli.build_parser().parse_args([
        'gate', '--target', 'cloud', '--cloud', 'legacy=x',
        '--migrate-command', 'true'])
    with pytest.raises(SystemExit) as refused:
        cli.run_on_cloud(args, str(tmp_path))
    assert '--cloud, --migrate-command' in str(refused.value)


def test_cli_target_cloud_runs_the_suites_on_its_own_description(
        tmp_path, monkeypatch):
    """The started deployment's description goes to the suites as it is;
    the command line's arguments are left as they were given."""
    class Owner(object):
        description = {'ready_s': 1.0}
        description_file = 'cloud.json'
        closed = False

        def __init__(self, *args, **kwargs):
            pass

        def start(self):
            pass

        def external_description(self):
            return {'kind': 'external', 'paths': {}}

        def close(self):
            Owner.closed = True

    monkeypatch.setattr(cloud, 'CloudDeployment', Owner)
    seen = []
    monkeypatch.setattr(cli, 'run_suites', lambda args, report_dir, external:
                        seen.append((args.target, report_dir, external)))
    args = cli.build_parser().parse_args(['gate', '--target', 'cloud'])
    given = dict(vars(args))
    cli.run_on_cloud(args, str(tmp_path))
    assert seen == [('cloud', str(tmp_path),
                     {'kind': 'external', 'paths': {}})]
    assert vars(args) == given and Owner.closed


def test_cli_deploy_target_cloud_parses():
    args = cli.build_parser().parse_args(['deploy', '--target', 'cloud',
                                          '--toggles'])
    assert (args.target, args.toggles) == ('cloud', True)
    assert cli.build_parser().parse_args(['deploy']).target == 'embedded'


def test_a_missing_broker_stops_the_start_before_anything_runs(
        tmp_path, monkeypatch):
    monkeypatch.setattr(config, 'RABBITMQ_SERVER',
                        str(tmp_path / 'no-rabbitmq-server'))
    owner = cloud.CloudDeployment(str(tmp_path / 'report'))
    with pytest.raises(base.DeploymentError,
                       match='apt-get install rabbitmq-server'):
        owner.start()
    assert owner.workdir is None and owner.reaper is None


def _described_owner(tmp_path):
    """An owner as start() leaves it, without starting anything."""
    owner = cloud.CloudDeployment(str(tmp_path), toggles=['flip-on'])
    owner.clouds_file = '/w/clouds.yaml'
    owner.description = {
        'heat_version': '27.0.1', 'ready_s': 20.5, 'timings': {'ready': 20.5},
        'cells': {name: {'cloud': 'heat-functional-' + name,
                         'db_url': 'postgresql://db/heat_' + name,
                         'api_log': '/l/%s-api.log' % name}
                  for name in ('legacy', 'convergence', 'flip-on')}}
    return owner


def test_external_description_of_a_deployment(tmp_path):
    owner = _described_owner(tmp_path)
    described = owner.external_description()
    assert described['kind'] == 'external'
    assert described['clouds_file'] == '/w/clouds.yaml'
    assert described['paths']['legacy'] == {
        'cloud': 'heat-functional-legacy', 'convergence_engine': False,
        'db_url': 'postgresql://db/heat_legacy',
        'log_file': '/l/legacy-api.log'}
    flip = described['toggles']['flip-on']
    assert flip['cloud'] == 'heat-functional-flip-on'
    assert ' engine {cloud} {convergence_engine}' in flip['command']
    assert described['migrate_command'].endswith(
        ' migrate {cloud} {stack_id}')
    assert owner.description_file in described['migrate_command']
    assert described['ready_s'] == 20.5
    assert described['started_by_harness']['engines_per_cell'] == \
        config.CLOUD_ENGINES
