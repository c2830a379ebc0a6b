"""No password or token in the report directory or on a command line.

``heat-functional deploy`` (embedded, keystone, PostgreSQL) plays a real
cloud; a gate tests it through the external target with a database URL
that carries a password (PostgreSQL's trust authentication accepts it),
given as ``--db-url CLOUD=@FILE``, and a migration command that records
its environment before it migrates. While the gate runs, the command
lines of every process are sampled. The run's secrets are read from
where they legitimately live (the deployment's private work directory,
the URL files) and a token the test gets for the test user is used on
the deployment. None may appear in any file of either report directory,
in deploy's or the gate's output, in a sampled command line, or in the
migration command's environment. deploy's clouds.yaml must be private
(0600) and outside its report directory.

Then the devstack-like deployment, where rabbitmq-server is installed:
its keystone passwords, the broker's password and the control secret
must not appear in its report directory nor on the command line of any
of its processes, while an operator command restarts its engines.
"""

import json
import os
import re
import secrets
import shlex
import stat
import subprocess
import threading

import pytest
import sqlalchemy
import yaml

from heat_functional.deployment import control_secret
from heat_functional.deployment.operator_commands import cloud as \
    cloud_commands
from heat_functional.deployment.operator_commands import embedded as \
    embedded_commands
from heat_functional.tests.functional import helpers

TEMPLATE = 'resource_group'
#: Records its environment and command line, then runs the embedded
#: cells' operator command.
RECORDING_COMMAND = '''
import json, os, sys, uuid
out, argv = sys.argv[1], sys.argv[2:]
with open(os.path.join(out, uuid.uuid4().hex + '.json'), 'w') as f:
    json.dump({'argv': sys.argv, 'env': dict(os.environ)}, f)
from heat_functional.deployment.operator_commands import embedded
sys.exit(embedded.main(argv))
'''


class CommandLines(object):
    """Samples the command line of every process while it runs."""

    def __init__(self, interval=0.1):
        self.seen = set()
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            for entry in os.listdir('/proc'):
                if not entry.isdigit():
                    continue
                try:
                    with open('/proc/%s/cmdline' % entry, 'rb') as f:
                        text = f.read().decode(errors='replace')
                except OSError:
                    continue
                if text:
                    self.seen.add(text.replace('\0', ' ').strip())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def files_under(*directories):
    """(path, text) of every file under the directories."""
    for directory in directories:
        for root, _, names in os.walk(str(directory)):
            for name in names:
                path = os.path.join(root, name)
                with open(path, errors='replace') as f:
                    yield path, f.read()


def shown_secrets(named_secrets, texts):
    """'NAME in WHERE' for every secret found in a text."""
    return sorted('%s in %s' % (name, where)
                  for where, text in texts
                  for name, secret in named_secrets.items()
                  if secret in text)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# -- the embedded deployment as a cloud --------------------------------------
@pytest.fixture(scope='module')
def deployed(tmp_path_factory):
    """A running `heat-functional deploy`: (report dir, description,
    what it printed once ready)."""
    report_dir = tmp_path_factory.mktemp('secrets-deploy')
    process = subprocess.Popen(
        helpers.cli('deploy', '--report-dir', str(report_dir)),
        env=helpers.cli_env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=helpers.interruptible)
    try:
        description = helpers.wait_for_deploy(process, report_dir)
        # It prints once it has written the description, ending so.
        printed = ''
        while 'Ctrl-C stops everything' not in printed and \
                process.poll() is None:
            printed += process.stdout.readline()
        yield report_dir, description, printed
    finally:
        helpers.interrupt(process)


def deployment_secrets(description):
    """The deployment's secrets, read from its private work directory:
    keystone's passwords, the cells' auth_encryption_key, the control
    secret."""
    workdir = description['workdir']
    with open(os.path.join(workdir, 'keystone', 'plan.json')) as f:
        plan = json.load(f)
    found = {'keystone password of admin': plan['admin']['password']}
    for user in plan['users']:
        found['keystone password of %s' % user['name'][0]] = \
            user['password']
    for cell in description['paths']:
        with open(os.path.join(workdir, cell, 'heat.conf')) as f:
            found['auth_encryption_key of %s' % cell] = re.search(
                r'^auth_encryption_key = (\S+)$', f.read(), re.M).group(1)
    found['control secret'] = control_secret.read(
        description['control_secret_file'])
    return found


def test_deploy_keeps_clouds_yaml_private(deployed):
    report_dir, description, output = deployed
    clouds_file = description['clouds_file']
    assert _mode(clouds_file) == 0o600
    assert not os.path.realpath(clouds_file).startswith(
        os.path.realpath(str(report_dir)) + os.sep)
    assert not (report_dir / 'clouds.yaml').exists()
    shown = output
    assert 'Ctrl-C stops everything' in shown
    assert clouds_file in shown
    with open(clouds_file) as f:
        clouds = yaml.safe_load(f)['clouds']
    passwords = {cloud['auth']['password'] for cloud in clouds.values()}
    assert passwords and not [p for p in passwords if p in shown]


def _user_token(description):
    """A token of the test user, used once on the legacy cell."""
    from heat_functional import client
    from heat_functional.deployment import external
    region = external.cloud_region('heat-functional-legacy',
                                   description['clouds_file'])
    session = region.get_session()
    token = session.get_token()
    list(client.cloud_client(region).stacks.list(limit=1))
    return token


def _db_url_files(description, directory):
    """--db-url values reading, from files, each cell's URL with a
    password in it; the password."""
    password = 'db-' + secrets.token_hex(12)
    values = []
    for name, info in description['paths'].items():
        url = sqlalchemy.engine.make_url(info['db_url']).set(
            password=password).render_as_string(hide_password=False)
        assert password in url, info['db_url']
        path = directory / ('%s.url' % name)
        path.write_text(url)
        values += ['--db-url', '%s=@%s' % (info['cloud'], path)]
    return values, password


def test_a_gate_shows_no_secret(tmp_path, deployed):
    report_dir, description, output = deployed
    named = deployment_secrets(description)
    named['a token of the test user'] = _user_token(description)
    db_args, named['the database password'] = _db_url_files(description,
                                                            tmp_path)
    recorded = tmp_path / 'recorded'
    recorded.mkdir()
    recorder = tmp_path / 'record.py'
    recorder.write_text(RECORDING_COMMAND)
    migrate = embedded_commands.templates(
        str(report_dir / 'deployment.json'))['migrate_command'].replace(
        '-m %s' % embedded_commands.__name__, '%s %s'
        % (recorder, recorded), 1)
    assert str(recorder) in migrate
    gate_dir = tmp_path / 'gate'
    args = ['gate', '--target', 'external',
            '--clouds-file', description['clouds_file'],
            '--only', TEMPLATE, '-n', '2', '--report-dir', str(gate_dir),
            '-k', 'test_lifecycle or test_migrate',
            '--migrate-command', migrate] + db_args
    for path, info in description['paths'].items():
        args += ['--cloud', '%s=%s' % (path, info['cloud'])]
    with CommandLines() as command_lines:
        done = subprocess.run(helpers.cli(*args), env=helpers.cli_env(),
                              capture_output=True, text=True,
                              cwd=str(tmp_path), timeout=900)
    outputs = done.stdout + done.stderr
    assert (gate_dir / 'report.json').exists(), outputs[-3000:]
    with open(gate_dir / 'report.json') as f:
        report = json.load(f)
    assert report['summary']['flags']['checked'] > 0, outputs[-3000:]

    # The command lines were sampled, the migration command ran.
    assert [c for c in command_lines.seen if '--db-url' in c and
            str(gate_dir) in c], 'the gate\'s own command line not seen'
    commands = [json.loads(p.read_text()) for p in recorded.iterdir()]
    assert commands, 'the migration command never ran:\n' + outputs[-3000:]

    texts = list(files_under(report_dir, gate_dir))
    texts += [('deploy\'s output', output),
              ('the gate\'s output', outputs)]
    texts += [('command line %r' % line[:100], line)
              for line in command_lines.seen]
    texts += [('the migration command\'s $%s' % name, value)
              for command in commands
              for name, value in command['env'].items()]
    assert len(texts) > 10
    assert shown_secrets(named, texts) == []
    assert not [name for command in commands for name in command['env']
                if name == 'HEAT_FUNCTIONAL_DEPLOYMENT_JSON']


# -- the devstack-like deployment --------------------------------------------
@pytest.fixture(scope='module')
def devstack_like(tmp_path_factory):
    yield from helpers.devstack_like(tmp_path_factory, 'secrets-cloud')


def test_the_devstack_like_deployment_shows_no_secret(devstack_like):
    owner = devstack_like
    named = {'keystone password of %s' % user: password
             for user, password in owner.keystone.passwords.items()}
    named['the broker\'s password'] = owner.rabbit.password
    named['control secret'] = control_secret.read(owner.control_secret_file)
    toggle = cloud_commands.templates(owner.description_file)[
        'toggle_command']
    argv = [part.format(cloud='heat-functional-legacy',
                        convergence_engine='true')
            for part in shlex.split(toggle)]
    with CommandLines() as command_lines:
        done = subprocess.run(argv, env=helpers.cli_env(),
                              capture_output=True, text=True, timeout=300)
        group_lines = _command_lines_of(owner)
    assert done.returncode == 0, done.stdout + done.stderr
    assert owner.cells['legacy']['convergence_engine'] is True
    assert [c for c in command_lines.seen if 'engine heat-functional-' in c]
    texts = list(files_under(owner.report_dir))
    texts += [('command line %r' % line[:100], line)
              for line in command_lines.seen | group_lines]
    texts.append(('the operator command\'s output',
                  done.stdout + done.stderr))
    assert shown_secrets(named, texts) == []


def _command_lines_of(owner):
    """The command lines of every process of the deployment now."""
    lines = set()
    for pid in helpers.harness_processes(owner.pids()):
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                lines.add(f.read().decode(errors='replace').replace(
                    '\0', ' '))
        except OSError:
            pass
    assert any('beam' in line for line in lines), lines
    return lines
