"""An external target: a real cloud's Heat, reached through clouds.yaml.

The operator describes it on the command line (``cli.py``;
doc/source/external.rst) and the harness writes the description as it does for
the embedded deployment, so suites see the same interface:

- each path is a cloud of clouds.yaml (openstacksdk's conventions:
  ``OS_CLIENT_CONFIG_FILE``, ``~/.config/openstack/clouds.yaml``...), e.g.
  ``legacy=devstack-legacy``; its Heat creates new stacks with
  ``convergence_engine`` as config.PATHS says for that path;
- a toggle (for the flag lifecycle suite) is a cloud plus an operator
  command that sets the option and restarts the engines, e.g.
  ``ssh ctl sudo ./set-convergence {convergence_engine}``; the command
  must return once Heat answers again;
- flags come from a read-only database URL per cloud when one is given
  (``source: db``), else they cannot be read: the case records that no
  flag was verified instead of pretending it was;
- migration runs an operator command (``{stack_id}`` is substituted),
  e.g. ``ssh ctl sudo heat-manage migrate_convergence_1 {stack_id}``.

Passwords and tokens never reach the description, a report or a log:
the description names clouds, never their credentials, and command
output is redacted (``redact``) before it is shown. Operator commands
run without the harness's variables that hold secrets
(``operator_environment``): the description with its database URLs, a
gabbi token.
"""

import os
import re
import shlex
import subprocess
import threading
import time

from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment.parts import database
from heat_functional.deployment.parts import notices

#: key=value pairs and URLs whose secrets are hidden in anything shown.
_SECRET = re.compile(r'(?i)((?:password|passwd|secret|token|credential)'
                     r'[\w-]*["\']?\s*[:=]\s*["\']?)[^\s"\',}]+')
_URL_PASSWORD = re.compile(r'(://[^:/@\s]+:)[^@\s]+@')
#: The harness's environment variables that may hold secrets: an operator
#: command gets none of them.
SECRET_VARIABLES = (config.DEPLOYMENT_JSON_ENV, config.GABBI_TOKEN_ENV)


def redact(text):
    """Text with passwords, tokens and URL credentials replaced by ***."""
    text = _SECRET.sub(r'\1***', text or '')
    return _URL_PASSWORD.sub(r'\1***@', text)


def cloud_region(cloud, clouds_file=None):
    """openstacksdk's view of a cloud: auth, region, interface, endpoints."""
    from openstack import config as os_config
    from openstack import exceptions as os_exc
    files = [clouds_file] if clouds_file else None
    try:
        return os_config.OpenStackConfig(
            config_files=files, app_name=config.USER_AGENT).get_one(
            cloud=cloud)
    except os_exc.ConfigException as error:
        raise base.DeploymentError('cloud %r: %s' % (cloud, error))


#: (cloud, clouds.yaml, its mtime) -> the CloudRegion this process uses.
_SHARED_REGIONS = {}
_SHARED_LOCK = threading.Lock()


def shared_region(cloud, clouds_file=None):
    """The one CloudRegion (and so one keystoneauth session and token)
    this process uses for a cloud. A region per case cost keystone a
    password authentication and a token for every case, and Heat's
    keystonemiddleware a validation of each new token: measured, 39 % of
    the embedded keystone's CPU went to issuing those tokens. The session
    renews its token itself when keystone refuses it or it nears expiry;
    keystoneauth serialises that, so threads may share it. A clouds.yaml
    that changes gives a new region."""
    return once_per_cloud(_SHARED_REGIONS, cloud, clouds_file, cloud_region)


def once_per_cloud(cache, cloud, clouds_file, make):
    """make(cloud, clouds_file), kept in `cache` for this process until
    the clouds.yaml changes (its modification time)."""
    try:
        stamp = os.stat(clouds_file).st_mtime_ns if clouds_file else None
    except OSError:
        stamp = None
    key = (cloud, clouds_file, stamp)
    with _SHARED_LOCK:
        if key not in cache:
            cache[key] = make(cloud, clouds_file)
        return cache[key]


def check_credentials(description):
    """Get a token for every cloud of the description, once, before any
    case runs: wrong credentials are one error naming keystone and the
    cloud, not a failure in every case. Raises DeploymentError."""
    from keystoneauth1 import exceptions as ks_exc
    clouds = {info['cloud'] for info in
              list(description['paths'].values()) +
              list(description.get('toggles', {}).values())}
    for cloud in sorted(clouds):
        region = cloud_region(cloud, description.get('clouds_file'))
        auth_url = (region.config.get('auth') or {}).get('auth_url')
        if region.config.get('auth_type') in ('none', 'noauth', None) or \
                not auth_url:
            continue
        try:
            region.get_session().get_token()
        except ks_exc.ClientException as error:
            raise base.DeploymentError(
                'keystone at %s refused the credentials of cloud %r: %s'
                % (auth_url, cloud, redact(str(error))))


def describe(clouds, toggles=None, db_urls=None, migrate_command=None,
             clouds_file=None):
    """The description of an external target.

    clouds: path -> cloud name; toggles: toggle -> (cloud, command);
    db_urls: cloud name -> read-only database URL.
    """
    db_urls = db_urls or {}
    unknown = set(clouds) - set(config.PATHS)
    if unknown:
        raise base.DeploymentError('unknown path(s) %s; paths are %s' % (
            ', '.join(sorted(unknown)), ', '.join(config.PATH_NAMES)))
    return {
        'kind': 'external',
        'auth': 'clouds.yaml',
        'clouds_file': clouds_file,
        'paths': {path: {'cloud': cloud,
                         'convergence_engine': config.PATHS[path],
                         'db_url': db_urls.get(cloud)}
                  for path, cloud in clouds.items()},
        'toggles': {name: {'cloud': cloud, 'command': command,
                           'convergence_engine': config.TOGGLES[name],
                           'db_url': db_urls.get(cloud)}
                    for name, (cloud, command) in (toggles or {}).items()},
        'migrate_command': migrate_command,
    }


def operator_environment(environ=None):
    """The environment of an operator command: this process's (or
    `environ`), without SECRET_VARIABLES."""
    env = dict(os.environ if environ is None else environ)
    for name in SECRET_VARIABLES:
        env.pop(name, None)
    return env


def run_command(template, what, **values):
    """Run an operator command (a template with {names}) in
    operator_environment(); return its output; raise DeploymentError
    with its redacted output if it fails."""
    argv = [part.format(**values) for part in shlex.split(template)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True,
                              env=operator_environment(),
                              timeout=config.OPERATOR_COMMAND_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise base.DeploymentError('%s: %s' % (what, redact(str(error))))
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise base.DeploymentError('%s: `%s` exited with %d: %s' % (
            what, redact(' '.join(argv)), done.returncode,
            redact(output[-2000:])))
    return output


class ExternalDeployment(base.Deployment):
    """A handle on an external target, from its description."""

    def __init__(self, description):
        super(ExternalDeployment, self).__init__(description)
        self._engine = {}   # toggles restarted by this handle

    @property
    def cannot_migrate(self):
        if not self.description.get('migrate_command'):
            return ('no migration command was given (--migrate-command, '
                    'e.g. "heat-manage migrate_convergence_1 {stack_id}")')
        return None

    def endpoint(self, path):
        region = cloud_region(self.path_info(path)['cloud'],
                              self.description.get('clouds_file'))
        return region.get_endpoint('orchestration') or \
            region.get_session().get_endpoint(
                service_type='orchestration',
                interface=region.get_interface(),
                region_name=region.get_region_name())

    def client(self, path):
        from heat_functional import client
        region = shared_region(self.path_info(path)['cloud'],
                               self.description.get('clouds_file'))
        return client.cloud_client(region)

    def convergence_engine(self, path):
        return self._engine.get(path,
                                self.path_info(path)['convergence_engine'])

    def stack_flags(self, path, stack_id):
        url = self.path_info(path).get('db_url')
        if not url:
            return None
        flags = database.read_stack_flags(url, stack_id)
        for flag in flags:
            flag['source'] = 'db'
        return flags

    def stack_timeline(self, path, stack_id):
        url = self.path_info(path).get('db_url')
        if not url:
            return None
        return database.read_stack_timeline(url, stack_id)

    def timeline_watch(self, path, stack_id):
        url = self.path_info(path).get('db_url')
        if not url:
            return super(ExternalDeployment, self).timeline_watch(path,
                                                                  stack_id)
        return notices.Watch(url, stack_id)

    def timeline_mark(self, path):
        url = self.path_info(path).get('db_url')
        return database.newest_event_id(url) if url else None

    def stack_made(self, path, stack_id, mark):
        url = self.path_info(path).get('db_url')
        if url and mark is not None:
            database.stack_made_after(url, stack_id, mark)

    def restart(self, path, convergence_engine):
        info = self.path_info(path)
        if not info.get('command'):
            raise base.DeploymentError(
                '%s has no command to set convergence_engine and restart '
                'Heat (give one with --toggle)' % path)
        run_command(info['command'], 'setting convergence_engine=%s on %s'
                    % (str(convergence_engine).lower(), path),
                    convergence_engine=str(convergence_engine).lower(),
                    cloud=info['cloud'])
        self._engine[path] = bool(convergence_engine)
        self._wait_answering(path)

    def prepare_toggle(self, path):
        """Put a toggle's cloud in its starting state (the option as
        config.TOGGLES says), whatever an earlier run left."""
        self.restart(path, self.toggles[path])

    def _wait_answering(self, path):
        deadline = time.monotonic() + config.CELL_READY_TIMEOUT
        while True:
            try:
                list(self.client(path).stacks.list(limit=1))
                return
            except Exception as error:  # Heat still restarting
                if time.monotonic() > deadline:
                    raise base.DeploymentError(
                        'Heat of %s did not answer within %d s of its '
                        'restart: %s' % (path, config.CELL_READY_TIMEOUT,
                                         redact(str(error))))
                time.sleep(config.POLL_INTERVAL)

    def migrate_convergence(self, path, stack_id):
        command = self.description.get('migrate_command')
        if not command:
            raise base.DeploymentError(
                'no migration command for this target (give one with '
                '--migrate-command, e.g. "heat-manage migrate_convergence_1 '
                '{stack_id}")')
        run_command(command, 'migration of stack %s' % stack_id,
                    stack_id=stack_id,
                    cloud=self.path_info(path)['cloud'])
        return {'method': 'command'}
