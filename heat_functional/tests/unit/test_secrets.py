"""Unit tests of how the harness keeps its secrets.

The control secret: made fresh per run in a private file, required by
the control routes (403 without it, compared in constant time) and sent
by every caller (the embedded handle, the devstack-like deployment's
operator command). Operator commands run without the variables that
hold the run's secrets. ``--db-url CLOUD=@FILE`` reads the URL from a
file. ``deploy`` keeps clouds.yaml private (0600, in the deployment's
work directory, never in the report directory) and prints where it is,
not what it holds; the tempest plugin's check waits for the description
that names it. No process is started but a shell for ``env``.
"""

import io
import json
import os
import re
import stat
import sys
import urllib.error

import pytest
import yaml

from heat_functional import cli
from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import cloud
from heat_functional.deployment import control
from heat_functional.deployment import control_secret
from heat_functional.deployment import embedded
from heat_functional.deployment import external
from heat_functional.deployment import processes
from heat_functional.deployment.operator_commands import cloud as \
    cloud_commands
from heat_functional.tempest_plugin import check

PASSWORD = 'pw-that-must-not-show'


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _call(app, path='/status/legacy', secret=None):
    answer = {}

    def start_response(status, headers):
        answer['status'] = status
    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path,
               'CONTENT_LENGTH': '0', 'wsgi.input': io.BytesIO(b'')}
    if secret is not None:
        environ[control_secret.ENVIRON_KEY] = secret
    payload = app(environ, start_response)
    return answer['status'], json.loads(b''.join(payload))


# -- the control secret ------------------------------------------------------
def test_a_secret_is_fresh_long_and_private(tmp_path):
    first = control_secret.create(str(tmp_path))
    assert _mode(first) == 0o600
    secret = control_secret.read(first)
    assert len(secret) >= 40
    os.mkdir(tmp_path / 'other')
    assert control_secret.read(control_secret.create(
        str(tmp_path / 'other'))) != secret


def test_an_unreadable_secret_names_its_file(tmp_path):
    with pytest.raises(control_secret.SecretMissing, match='gone'):
        control_secret.read(str(tmp_path / 'gone'))
    with pytest.raises(control_secret.SecretMissing, match='None'):
        control_secret.read(None)
    (tmp_path / 'empty').write_text('\n')
    with pytest.raises(control_secret.SecretMissing, match='empty'):
        control_secret.read(str(tmp_path / 'empty'))


@pytest.mark.parametrize('given, allowed', [
    ('s3cret', True),
    ('s3cre', False),
    ('s3cret ', False),
    ('S3CRET', False),
    ('', False),
    (None, False),
    ('s\u00e9cret', False),
])
def test_only_the_exact_secret_is_allowed(given, allowed):
    environ = {} if given is None else {control_secret.ENVIRON_KEY: given}
    assert control_secret.allows(environ, 's3cret') is allowed


def test_no_secret_allows_nothing():
    assert not control_secret.allows({control_secret.ENVIRON_KEY: ''}, '')


def test_the_header_a_caller_sends_is_the_one_checked():
    header, value = list(control_secret.headers('x').items())[0]
    assert 'HTTP_' + header.upper().replace('-', '_') == \
        control_secret.ENVIRON_KEY and value == 'x'


def test_control_routes_answer_403_without_the_secret():
    routes = control.Routes('s3cret', None).add(
        'GET', 'status/legacy', lambda request: (200, {'reached': True}))
    status, answer = _call(routes)
    assert status.startswith('403')
    assert control_secret.HEADER in answer['error']
    assert _call(routes, secret='wrong')[0].startswith('403')
    assert _call(routes, secret='s3cret') == ('200 OK', {'reached': True})


def test_the_cloud_control_server_requires_the_secret(tmp_path):
    owner = cloud.CloudDeployment(str(tmp_path))
    owner.control_secret_file = control_secret.create(str(tmp_path))
    app = owner.control_routes()
    secret = control_secret.read(owner.control_secret_file)
    status, answer = _call(app, '/nothing')
    assert status.startswith('403')
    status, answer = _call(app, '/nothing', secret=secret)
    assert status.startswith('404')  # past the guard: no such route


def test_the_cloud_operator_command_needs_the_secret_file(tmp_path):
    description = {'control': 'http://127.0.0.1:9',
                   'control_secret_file': str(tmp_path / 'gone')}
    with pytest.raises(base.DeploymentError, match='control secret'):
        cloud_commands.set_engine(description, 'legacy', 'true')


def _recording_urlopen(monkeypatch, module, answer):
    """Replace module's urlopen by one that records each request and
    answers `answer`; returns the list of requests."""
    sent = []

    class Answer(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(request, timeout):
        sent.append(request)
        return Answer(answer)
    monkeypatch.setattr(module.urllib.request, 'urlopen', urlopen)
    return sent


def test_the_cloud_operator_command_sends_the_secret(tmp_path, monkeypatch):
    sent = _recording_urlopen(monkeypatch, control,
                              b'{"cell": "legacy"}')
    secret_file = control_secret.create(str(tmp_path))
    assert cloud_commands.set_engine({'control': 'http://127.0.0.1:9',
                                      'control_secret_file': secret_file},
                                     'legacy', 'true') == {'cell': 'legacy'}
    assert sent[0].get_header(control_secret.HEADER.capitalize()) == \
        control_secret.read(secret_file)
    assert control_secret.read(secret_file) not in sent[0].full_url


def _embedded(tmp_path, secret_file):
    return embedded.EmbeddedDeployment({
        'kind': 'embedded', 'control_secret_file': secret_file,
        'paths': {'legacy': {'control': 'http://127.0.0.1:9/harness',
                             'pid': os.getpid(), 'log_file': 'x'}}})


def test_the_embedded_handle_sends_the_secret(tmp_path, monkeypatch):
    sent = _recording_urlopen(monkeypatch, control,
                              b'{"convergence_engine": true}')
    secret_file = control_secret.create(str(tmp_path))
    handle = _embedded(tmp_path, secret_file)
    assert handle.convergence_engine('legacy') is True
    assert sent[0].get_header(control_secret.HEADER.capitalize()) == \
        control_secret.read(secret_file)


def test_a_refusal_names_the_route_and_heats_answer(tmp_path, monkeypatch):
    def urlopen(request, timeout):
        raise urllib.error.HTTPError(
            request.full_url, 409, 'Conflict', {},
            io.BytesIO(b'{"error": "stack is busy"}'))
    monkeypatch.setattr(control.urllib.request, 'urlopen', urlopen)
    secret_file = control_secret.create(str(tmp_path))
    with pytest.raises(base.DeploymentError,
                       match="cell 'legacy': GET flags/s answered 409: "
                       "stack is busy"):
        _embedded(tmp_path, secret_file)._control('legacy', 'GET', 'flags/s')
    with pytest.raises(base.DeploymentError, match='^stack is busy$'):
        cloud_commands.set_engine({'control': 'http://127.0.0.1:9',
                                   'control_secret_file': secret_file},
                                  'legacy', 'true')


def test_the_embedded_handle_without_the_secret_says_so(tmp_path):
    handle = _embedded(tmp_path, str(tmp_path / 'gone'))
    with pytest.raises(base.DeploymentError, match='control secret'):
        handle.convergence_engine('legacy')


# -- operator commands -------------------------------------------------------
def test_operator_environment_drops_the_runs_secrets():
    env = external.operator_environment({
        config.DEPLOYMENT_JSON_ENV: '{"db_url": "postgresql://u:pw@h/d"}',
        config.GABBI_TOKEN_ENV: 'gAAAA-token',
        'PATH': '/bin', 'PYTHONPATH': '/src', config.RUN_ID_ENV: 'r1'})
    assert env == {'PATH': '/bin', 'PYTHONPATH': '/src',
                   config.RUN_ID_ENV: 'r1'}


def test_an_operator_command_does_not_inherit_the_description(monkeypatch):
    monkeypatch.setenv(config.DEPLOYMENT_JSON_ENV,
                       '{"db_url": "postgresql://u:%s@h/d"}' % PASSWORD)
    monkeypatch.setenv(config.GABBI_TOKEN_ENV, PASSWORD)
    monkeypatch.setenv('HF_UNIT_MARKER', 'kept')
    shown = external.run_command(
        '%s -c "import os; print(sorted(os.environ.items()))"'
        % sys.executable, 'listing the environment')
    assert PASSWORD not in shown
    assert config.DEPLOYMENT_JSON_ENV not in shown
    assert "('HF_UNIT_MARKER', 'kept')" in shown


@pytest.mark.parametrize('text', [
    # What holds the deployment's secrets, should it ever be shown.
    'stack_domain_admin_password = %s' % PASSWORD,
    'transport_url = rabbit://heat-functional:%s@127.0.0.1:5672/legacy'
    % PASSWORD,
    'clouds:\n  c:\n    auth:\n      password: %s\n' % PASSWORD,
    '{"db_url": "postgresql+psycopg2://postgres:%s@/heat?host=/d"}'
    % PASSWORD,
    'X-Auth-Token: %s' % PASSWORD,
])
def test_redact_hides_the_deployments_secrets(text):
    assert PASSWORD not in external.redact(text)
    assert '***' in external.redact(text)


# -- --db-url CLOUD=@FILE ----------------------------------------------------
def _db_urls(*values):
    argv = ['gate', '--target', 'external']
    for value in values:
        argv += ['--db-url', value]
    return cli.build_parser().parse_args(argv).db_url


def test_db_url_from_a_file(tmp_path):
    url = 'postgresql://ro:%s@db/heat?host=/run/pg' % PASSWORD
    (tmp_path / 'url').write_text(url + '\n')
    assert _db_urls('dev-l=@%s' % (tmp_path / 'url'),
                    'dev-c=postgresql://ro@db/heat') == [
        ('dev-l', url), ('dev-c', 'postgresql://ro@db/heat')]


@pytest.mark.parametrize('content, message', [
    (None, 'cannot read the database URL of dev-l from .*missing'),
    ('  \n', 'the database URL file of dev-l is empty'),
])
def test_a_db_url_file_that_gives_no_url_is_an_error(
        tmp_path, capsys, content, message):
    path = tmp_path / 'missing'
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit):
        _db_urls('dev-l=@%s' % path)
    err = capsys.readouterr().err
    assert 'argument --db-url' in err
    assert re.search(message, err), err
    assert 'Traceback' not in err


def test_the_db_url_help_names_the_file_form(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(['gate', '--help'])
    assert 'CLOUD=@FILE' in capsys.readouterr().out


# -- deploy's clouds.yaml ----------------------------------------------------
class _Cells(embedded.EmbeddedCells):
    """What deploy uses of embedded.EmbeddedCells, started at once and
    dying at once (so that deploy returns); publish() is the real one."""

    made = []

    def __init__(self, report_dir, db, paths, on_death, toggles, auth,
                 heat_source):
        self.report_dir = os.path.abspath(report_dir)
        self.workdir = os.path.join(os.path.dirname(self.report_dir),
                                    'workdir')
        self.on_death = on_death
        self.auth = auth
        self.paths = paths
        self.description_file = os.path.join(self.report_dir,
                                             config.DESCRIPTION_JSON)
        self.closed = False
        _Cells.made.append(self)

    def start(self):
        os.makedirs(self.workdir)
        os.makedirs(self.report_dir)
        self.description = {
            'heat_version': '27', 'ready_s': 1.0, 'db': 'postgresql',
            'paths': {p: {'endpoint': 'http://127.0.0.1:9/v1/p',
                          'convergence_engine': False, 'log_file': 'l'}
                      for p in self.paths},
            'toggles': {}, 'clouds_file': None}
        if self.auth == 'keystone':
            self.description['clouds_file'] = os.path.join(self.workdir,
                                                           'clouds.yaml')
            processes.write_private(
                self.workdir, 'clouds.yaml',
                'clouds: {c: {auth: {password: %s}}}\n' % PASSWORD)
        self._write_description()
        self.on_death('stopped by the test')
        return self.description

    def _write_description(self):
        with open(self.description_file, 'w') as f:
            json.dump(self.description, f)

    def close(self):
        self.closed = True


@pytest.mark.parametrize('auth', ['keystone', 'noauth'])
def test_deploy_prints_where_clouds_yaml_is_not_what_it_holds(
        tmp_path, monkeypatch, capsys, auth):
    monkeypatch.setattr(embedded, 'EmbeddedCells', _Cells)
    report_dir = tmp_path / 'report'
    args = cli.build_parser().parse_args([
        'deploy', '--report-dir', str(report_dir), '--auth', auth,
        '--paths', 'legacy'])
    assert cli.deploy(args) == 1  # the deployment died
    cells = _Cells.made[-1]
    assert cells.closed
    out = capsys.readouterr().out
    with open(report_dir / config.DESCRIPTION_JSON) as f:
        clouds_file = json.load(f)['clouds_file']
    assert clouds_file.startswith(cells.workdir + os.sep)
    assert _mode(clouds_file) == 0o600
    assert 'readable by you only' in out and clouds_file in out
    assert 'OS_CLIENT_CONFIG_FILE=%s' % clouds_file in out
    assert PASSWORD not in out
    assert not (report_dir / 'clouds.yaml').exists()
    with open(clouds_file) as f:
        assert yaml.safe_load(f)['clouds']


def test_an_owner_writes_its_description_whole(tmp_path):
    from heat_functional.deployment import owner
    keeper = owner.Owner(str(tmp_path))
    keeper.description = {'kind': 'embedded'}
    path = str(tmp_path / config.DESCRIPTION_JSON)
    keeper.save_description(path, {'clouds_file': '/x'})
    assert os.listdir(str(tmp_path)) == [config.DESCRIPTION_JSON]
    with open(path) as f:
        assert json.load(f) == {'clouds_file': '/x'}
    keeper.save_description(path)
    with open(path) as f:
        assert json.load(f) == {'kind': 'embedded'}


@pytest.mark.parametrize('scenarios, toggles', [
    ('lifecycle,flip', list(config.TOGGLES)),
    ('lifecycle', []),
])
def test_check_starts_the_deployment_as_deploy_does(
        tmp_path, monkeypatch, scenarios, toggles):
    made = []

    class Owner(object):
        def __init__(self, target, directory, **options):
            made.append((target, directory, options))

        def start(self):
            made.append('started')

        def publish(self):
            path = tmp_path / config.DESCRIPTION_JSON
            path.write_text('{"clouds_file": "/private/clouds.yaml"}')
            return str(path)
    monkeypatch.setattr(check.deployment, 'owner_for', Owner)
    args = check.build_parser().parse_args(
        ['--target', 'cloud', '--scenarios', scenarios])
    owner = check.deployment_owner(args, str(tmp_path), on_death=None)
    assert made[0] == ('cloud', str(tmp_path), {
        'toggles': toggles, 'db': args.db, 'on_death': None})
    description, path = check.published(owner)
    assert made[1] == 'started'
    assert description == {'clouds_file': '/private/clouds.yaml'}
    assert path == str(tmp_path / config.DESCRIPTION_JSON)
