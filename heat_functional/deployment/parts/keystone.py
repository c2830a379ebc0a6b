"""One real keystone for the embedded deployment, and what Heat needs in it.

Heat hides every resource type whose service has no endpoint in the
keystone catalog, and some resources (ScalingPolicy, WaitConditionHandle)
create keystone users; a noauth cell therefore offers only part of Heat.
This module runs the ``keystone`` package from PyPI beside the cells:

- ``KeystoneServer`` writes ``keystone.conf`` (fernet tokens, keys in its
  work directory, its own database on the deployment's PostgreSQL server
  or its own SQLite file) and starts ``keystone_server.py`` in a child
  process on a loopback port. That child migrates the database, makes the
  fernet and credential keys, runs keystone's own bootstrap, provisions
  the plan below through keystone's Python APIs (no HTTP, no
  ``keystone-manage`` runs) and serves keystone's WSGI app.
- ``plan`` is what the child provisions, as data: a ``service`` project
  with the ``heat`` service user (admin there), the roles Heat uses, the
  stack-user domain ``heat`` and its admin, a test project and user for
  the harness's clients, and the catalog. Each path gets a region named
  after it, holding the identity endpoints and that path's
  ``orchestration`` endpoints, so a cell (``region_name_for_services``)
  and a client (``region_name``) of one path find that path's Heat.
- ``heat_options`` gives the heat.conf sections a cell needs to run
  behind keystone; ``clouds_yaml`` the clients' clouds.yaml, one cloud
  per path.

The pure functions (plan, catalog, options, clouds) need no keystone and
are what the unit tests check.
"""

import json
import os
import secrets
import shutil
import socket
import sys
import time

from heat_functional import config
from heat_functional.deployment import processes

DATABASE = 'keystone'
DEFAULT_DOMAIN = 'Default'
ADMIN_PROJECT = 'admin'
ADMIN_USER = 'admin'
SERVICE_PROJECT = 'service'
HEAT_USER = 'heat'
STACK_USER_DOMAIN = 'heat'
STACK_DOMAIN_ADMIN = 'heat_domain_admin'
TEST_PROJECT = 'heat-functional'
TEST_USER = 'heat-functional'
#: Roles Heat uses beyond those keystone's bootstrap makes (admin, member,
#: reader, manager, service): users Heat creates for a stack get
#: heat_stack_user; heat_stack_owner is the stack owners' role in
#: devstack-like clouds.
HEAT_ROLES = ('heat_stack_user', 'heat_stack_owner')
#: The harness's user also has admin in its own project: Heat's policy
#: shows the OS::Keystone::* types (10 of the 46) to admins only, and the
#: corpus exercises them. Stacks still live in the test project.
TEST_ROLES = ('member', 'heat_stack_owner', 'admin')
INTERFACES = ('public', 'internal', 'admin')
#: bcrypt's cheapest cost: every token for a password costs a hash check,
#: and these passwords are thrown away with the deployment.
PASSWORD_HASH_ROUNDS = 4
#: Same budget as a cell's start: both are Python processes importing a lot.
READY_TIMEOUT = config.CELL_READY_TIMEOUT
CLOUD_PREFIX = config.CLOUD_PREFIX


def region_name(path):
    """The keystone region holding one path's endpoints."""
    return path


def new_passwords():
    """Fresh random passwords for the users the plan makes."""
    return {user: secrets.token_urlsafe(18)
            for user in (ADMIN_USER, HEAT_USER, STACK_DOMAIN_ADMIN,
                         TEST_USER)}


def free_port():
    """A loopback port nobody listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def loopback_socket():
    """A socket bound to a loopback port the kernel picks, for keystone
    to listen on (KeystoneServer passes it to its process). Passing the
    bound socket rather than its number leaves no moment in which
    another socket can take the port: an outgoing connection takes its
    local port from the same ephemeral range, and with free_port a
    keystone once failed to start with EADDRINUSE (a functional-harness
    run on this project's 2-core machine)."""
    sock = socket.socket()
    try:
        sock.bind(('127.0.0.1', 0))
    except OSError:
        sock.close()
        raise
    return sock


def identity_url(port):
    return 'http://127.0.0.1:%d/v3' % port


def orchestration_url(heat_base_url):
    """Heat's catalog URL: its base URL and the project in the path."""
    return '%s/v1/$(project_id)s' % heat_base_url.rstrip('/')


# -- what keystone holds ------------------------------------------------

def _endpoints(paths, url):
    return [{'region': region_name(path), 'interface': interface,
             'url': url}
            for path in paths for interface in INTERFACES]


def catalog_services(paths, keystone_url, heat_urls):
    """The catalog's services: identity in every path's region, and one
    orchestration service with each path's endpoints in its region.

    heat_urls maps a path to its cell's base URL (``http://host:port``);
    paths missing from it get no orchestration endpoints (yet).
    """
    orchestration = []
    for path in paths:
        if path in heat_urls:
            orchestration += _endpoints(
                [path], orchestration_url(heat_urls[path]))
    return [
        {'type': 'identity', 'name': 'keystone',
         'endpoints': _endpoints(paths, keystone_url)},
        {'type': 'orchestration', 'name': 'heat',
         'endpoints': orchestration},
    ]


def _grant(user, role, project=None, domain=None):
    grant = {'user': list(user), 'role': role}
    if project:
        grant['project'] = list(project)
    else:
        grant['domain'] = domain
    return grant


def plan(paths, keystone_url, passwords, heat_urls=None):
    """Everything keystone must hold for Heat and the harness, as data.

    Users and projects are ``[name, domain name]`` pairs; the child
    process (``keystone_server.provision``) creates them in this order.
    """
    heat = (HEAT_USER, DEFAULT_DOMAIN)
    domain_admin = (STACK_DOMAIN_ADMIN, STACK_USER_DOMAIN)
    test = (TEST_USER, DEFAULT_DOMAIN)
    service = (SERVICE_PROJECT, DEFAULT_DOMAIN)
    test_project = (TEST_PROJECT, DEFAULT_DOMAIN)
    return {
        'admin': {'user': ADMIN_USER, 'project': ADMIN_PROJECT,
                  'password': passwords[ADMIN_USER]},
        'regions': [region_name(p) for p in paths],
        'roles': list(HEAT_ROLES),
        'domains': [STACK_USER_DOMAIN],
        'projects': [list(service), list(test_project)],
        'users': [
            {'name': list(heat), 'password': passwords[HEAT_USER]},
            {'name': list(domain_admin),
             'password': passwords[STACK_DOMAIN_ADMIN]},
            {'name': list(test), 'password': passwords[TEST_USER]},
        ],
        'grants': ([_grant(heat, 'admin', project=service),
                    _grant(domain_admin, 'admin', domain=STACK_USER_DOMAIN)]
                   + [_grant(test, role, project=test_project)
                      for role in TEST_ROLES]),
        'services': catalog_services(paths, keystone_url, heat_urls or {}),
        #: Whose requests keystone's tally counts as the harness's; all
        #: other users are Heat's (wsgi.Tally).
        'harness_users': [ADMIN_USER, TEST_USER],
    }


def _token_endpoint(service_type, endpoint, project_id):
    return {'id': '%s-%s-%s' % (service_type, endpoint['region'],
                                endpoint['interface']),
            'interface': endpoint['interface'],
            'region': endpoint['region'], 'region_id': endpoint['region'],
            'url': endpoint['url'].replace('$(project_id)s', project_id)}


def token_catalog(services, project_id):
    """The catalog as a token shows it to a project (``$(project_id)s``
    filled in), in keystone's v3 token format."""
    return [{'type': service['type'], 'name': service['name'],
             'id': service['type'],
             'endpoints': [_token_endpoint(service['type'], e, project_id)
                           for e in service['endpoints']]}
            for service in services]


# -- what a cell and a client need ---------------------------------------

def _base_url(keystone_url):
    return keystone_url.rsplit('/v3', 1)[0]


def heat_options(path, keystone_url, passwords):
    """The heat.conf options a cell of one path needs behind keystone.

    A dict of sections, each a dict of option -> string, to be merged over
    the cell's own configuration (it also switches the paste pipeline
    from noauth to Heat's keystone one).
    """
    service_user = {
        'auth_type': 'password',
        'auth_url': _base_url(keystone_url),
        'username': HEAT_USER,
        'password': passwords[HEAT_USER],
        'user_domain_name': DEFAULT_DOMAIN,
    }
    return {
        'DEFAULT': {
            'region_name_for_services': region_name(path),
            'deferred_auth_method': 'trusts',
            'stack_user_domain_name': STACK_USER_DOMAIN,
            'stack_domain_admin': STACK_DOMAIN_ADMIN,
            'stack_domain_admin_password': passwords[STACK_DOMAIN_ADMIN],
        },
        'paste_deploy': {'flavor': ''},
        'keystone_authtoken': dict(
            service_user, www_authenticate_uri=keystone_url,
            project_name=SERVICE_PROJECT,
            project_domain_name=DEFAULT_DOMAIN,
            region_name=region_name(path)),
        'trustee': service_user,
        'clients_keystone': {'auth_uri': _base_url(keystone_url)},
        'ec2authtoken': {'auth_uri': keystone_url},
    }


def clouds(paths, keystone_url, passwords):
    """clouds.yaml's content (a dict): one cloud per path, as the test
    user, in that path's region."""
    auth = {
        'auth_url': keystone_url,
        'username': TEST_USER,
        'password': passwords[TEST_USER],
        'project_name': TEST_PROJECT,
        'user_domain_name': DEFAULT_DOMAIN,
        'project_domain_name': DEFAULT_DOMAIN,
    }
    return {'clouds': {
        CLOUD_PREFIX + path: {
            'auth_type': 'password',
            'auth': dict(auth),
            'region_name': region_name(path),
            'identity_api_version': 3,
            'interface': 'public',
        } for path in paths}}


def clouds_yaml(paths, keystone_url, passwords):
    """clouds.yaml's text (see clouds)."""
    import yaml
    return yaml.safe_dump(clouds(paths, keystone_url, passwords),
                          default_flow_style=False, sort_keys=True)


def keystone_conf(workdir, db_url, log_file):
    """The text of keystone.conf: fernet tokens, keys under workdir."""
    keys = os.path.join(workdir, 'fernet-keys')
    return '\n'.join([
        '[DEFAULT]',
        'log_file = %s' % log_file,
        'use_stderr = false',
        '',
        '[database]',
        'connection = %s' % db_url,
        '',
        '[token]',
        'provider = fernet',
        '',
        '[fernet_tokens]',
        'key_repository = %s' % keys,
        '',
        '[fernet_receipts]',
        'key_repository = %s' % keys,
        '',
        '[credential]',
        'key_repository = %s' % os.path.join(workdir, 'credential-keys'),
        '',
        '[identity]',
        'password_hash_rounds = %d' % PASSWORD_HASH_ROUNDS,
        '',
        '[cache]',
        'enabled = true',
        'backend = dogpile.cache.memory',
        '',
        '[oslo_messaging_notifications]',
        'driver = noop',
        '',
    ])


# -- the process ---------------------------------------------------------

class KeystoneServer(object):
    """A keystone on the loopback port `listener` is bound to
    (loopback_socket), with the plan provisioned.

    start() returns the child process at once (its process group is what
    a reaper must stop); wait_ready() blocks until keystone answers with
    everything provisioned. db_url may name a database that does not exist
    yet (the child waits for it); on PostgreSQL the owner creates
    ``DATABASE`` on its server, as it does the cells' databases.
    """

    def __init__(self, workdir, db_url, listener, log_file, paths,
                 heat_urls=None, passwords=None, env=None):
        self.workdir = workdir
        self.db_url = db_url
        self.listener = listener
        self.port = listener.getsockname()[1]
        self.log_file = log_file
        self.paths = list(paths)
        self.heat_urls = dict(heat_urls or {})
        self.passwords = passwords or new_passwords()
        self.env = env
        self.url = identity_url(self.port)
        self.state_file = os.path.join(workdir, 'state.json')
        #: Who asked keystone what, rewritten by its process every
        #: ``config.KEYSTONE_TALLY_WRITE_S`` (wsgi.Tally.totals).
        self.tally_file = os.path.join(workdir, 'tally.json')
        self.process = None
        self.state = None

    def _write(self, name, text):
        return processes.write_private(self.workdir, name, text)

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        conf = self._write('keystone.conf', keystone_conf(
            self.workdir, self.db_url, self.log_file))
        plan_file = self._write('plan.json', json.dumps(plan(
            self.paths, self.url, self.passwords, self.heat_urls)))
        fd = self.listener.fileno()
        try:
            self.process = processes.start(
                'keystone',
                [sys.executable, '-m',
                 'heat_functional.deployment.programs.keystone_server',
                 '--config-file', conf, '--plan', plan_file,
                 '--socket-fd', str(fd), '--state-file', self.state_file,
                 '--tally-file', self.tally_file],
                self.log_file, env=self.env, pass_fds=(fd,))
        finally:
            # The process has its own copy (or none will listen).
            self.listener.close()
        return self.process

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Wait for the state file the child writes once it serves."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.state_file):
            if self.process.poll() is not None:
                raise processes.ProcessError(processes.describe_failure(
                    'keystone', 'exited with %s while starting'
                    % self.process.returncode, self.log_file))
            if time.monotonic() > deadline:
                raise processes.ProcessError(processes.describe_failure(
                    'keystone', 'was not ready within %d s' % timeout,
                    self.log_file))
            time.sleep(config.POLL_INTERVAL / 4)
        with open(self.state_file) as f:
            self.state = json.load(f)
        return self.state

    def heat_options(self, path):
        return heat_options(path, self.url, self.passwords)

    def clouds(self):
        return clouds(self.paths, self.url, self.passwords)

    def clouds_yaml(self):
        return clouds_yaml(self.paths, self.url, self.passwords)

    def admin_session(self):
        """A keystoneauth session as keystone's admin (system scope not
        needed: the admin project's admin role)."""
        from keystoneauth1.identity import v3
        from keystoneauth1 import session
        return session.Session(auth=v3.Password(
            auth_url=self.url, username=ADMIN_USER,
            password=self.passwords[ADMIN_USER], project_name=ADMIN_PROJECT,
            user_domain_name=DEFAULT_DOMAIN,
            project_domain_name=DEFAULT_DOMAIN), app_name=config.USER_AGENT)

    def add_orchestration_endpoints(self, heat_urls):
        """Register cells' endpoints once their ports are known.

        For an owner whose cells pick their ports when they start; an
        owner that knows them beforehand passes heat_urls to the
        constructor instead, which costs no requests.
        """
        sess = self.admin_session()
        identity = {'service_type': 'identity', 'interface': 'public',
                    'region_name': region_name(self.paths[0])}
        service_id = self.state['services']['orchestration']
        for path, base in sorted(heat_urls.items()):
            for endpoint in _endpoints([path], orchestration_url(base)):
                sess.post('/endpoints', endpoint_filter=identity, json={
                    'endpoint': {'service_id': service_id,
                                 'interface': endpoint['interface'],
                                 'region_id': endpoint['region'],
                                 'url': endpoint['url']}})
        self.heat_urls.update(heat_urls)

    def close(self):
        """Stop keystone's process group and remove its work directory
        (keys, configuration, a SQLite database); the log stays."""
        processes.stop(self.process)
        self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)
