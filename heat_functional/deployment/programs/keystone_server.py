"""The embedded keystone's process: set up, provision, serve.

Run as ``python -m heat_functional.deployment.programs.keystone_server
--config-file keystone.conf --plan plan.json --port P --state-file
state.json`` (``keystone.KeystoneServer`` does). In one process, with
keystone's own Python APIs rather than one ``keystone-manage`` run per
step (each would pay keystone's imports again):

1. waits for its database and migrates it (keystone's ``db_sync``);
2. makes the fernet token, receipt and credential keys;
3. runs keystone's bootstrap (default domain, admin project, user and
   roles) and provisions the plan (``keystone.plan``);
4. serves keystone's WSGI app on 127.0.0.1:P with a threaded server, the
   app itself entered by one request at a time (``OneRequestAtATime``:
   keystone's auth middleware is not safe for concurrent requests), and
   writes the state file (pid, port, ids) once it listens;
5. keeps a tally of who asked it what (``wsgi.Tally``) in the tally
   file, rewritten every few seconds and when it stops: the report
   splits keystone's CPU between Heat and the harness with it.

SIGTERM or SIGINT stops it.
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid

from oslo_log import log as logging

from heat_functional import config
from heat_functional.deployment import processes
from heat_functional.deployment import wsgi

LOG = logging.getLogger('heat_functional.keystone')


def configure(config_file):
    import keystone.server
    sys.argv = sys.argv[:1]  # keystone's configure() parses sys.argv
    keystone.server.configure(config_files=[config_file])


def preload():
    """Import what set-up and serving need while the database may still
    be starting (the owner starts it in parallel): keystone's backends and
    its Flask app are most of keystone's start-up time."""
    from keystone.server import backends  # noqa: F401
    from keystone.server.flask import application  # noqa: F401


def prepare_database():
    """Wait for the database, migrate it; on SQLite, WAL and BEGIN
    IMMEDIATE (keystone's writes come from many request threads)."""
    from keystone.common import sql
    from keystone.common.sql import upgrades
    import keystone.conf
    from heat_functional.deployment.parts import database
    from heat_functional.deployment.parts import sqlite
    database.wait_for_database(keystone.conf.CONF.database.connection)
    upgrades.offline_sync_database_to_version()
    with sql.session_for_write() as session:
        engine = session.get_bind()
    if engine.url.get_backend_name() == 'sqlite':
        import sqlite3
        with contextlib.closing(sqlite3.connect(engine.url.database)) as conn:
            conn.execute('PRAGMA journal_mode = WAL')
        sqlite.harden_engine(engine)


def make_keys():
    """What ``keystone-manage fernet_setup`` and ``credential_setup`` do."""
    from keystone.common import fernet_utils
    from keystone.credential.providers import fernet as credential_fernet
    import keystone.conf
    conf = keystone.conf.CONF
    for repository, max_keys, group in [
            (conf.fernet_tokens.key_repository,
             conf.fernet_tokens.max_active_keys, 'fernet_tokens'),
            (conf.credential.key_repository,
             credential_fernet.MAX_ACTIVE_KEYS, 'credential')]:
        keys = fernet_utils.FernetUtils(repository, max_keys, group)
        keys.create_key_directory()
        if keys.validate_key_repository(requires_write=True):
            keys.initialize_key_repository()


def bootstrap(admin):
    """keystone's own bootstrap: default domain, admin project and user,
    the default roles. Loads keystone's backends (once per process)."""
    from keystone.cmd import bootstrap as keystone_bootstrap
    boot = keystone_bootstrap.Bootstrapper()
    boot.admin_username = admin['user']
    boot.admin_password = admin['password']
    boot.project_name = admin['project']
    boot.admin_role_name = 'admin'
    boot.immutable_roles = True
    boot.bootstrap()
    return boot


def _providers():
    from keystone.common import provider_api
    return provider_api.ProviderAPIs


def _new_id():
    return uuid.uuid4().hex


class Provisioner(object):
    """Creates the plan's objects, remembering ids by name."""

    def __init__(self, default_domain_id):
        self.api = _providers()
        self.domains = {'Default': default_domain_id}
        self.roles = {role['name']: role['id']
                      for role in self.api.role_api.list_roles()}
        self.projects = {}
        self.users = {}
        self.services = {}

    def domain(self, name):
        domain_id = _new_id()
        self.api.resource_api.create_domain(
            domain_id, {'id': domain_id, 'name': name, 'enabled': True})
        self.domains[name] = domain_id

    def role(self, name):
        role_id = _new_id()
        self.api.role_api.create_role(role_id, {'id': role_id, 'name': name})
        self.roles[name] = role_id

    def project(self, name, domain):
        project_id = _new_id()
        self.api.resource_api.create_project(project_id, {
            'id': project_id, 'name': name, 'enabled': True,
            'domain_id': self.domains[domain], 'is_domain': False})
        self.projects[name, domain] = project_id

    def user(self, name, domain, password):
        user = self.api.identity_api.create_user({
            'name': name, 'domain_id': self.domains[domain],
            'password': password, 'enabled': True})
        self.users[name, domain] = user['id']

    def grant(self, user, role, project=None, domain=None):
        self.api.assignment_api.create_grant(
            self.roles[role], user_id=self.users[tuple(user)],
            project_id=self.projects[tuple(project)] if project else None,
            domain_id=self.domains[domain] if domain else None)

    def region(self, name):
        self.api.catalog_api.create_region({'id': name})

    def service(self, service):
        service_id = _new_id()
        self.api.catalog_api.create_service(service_id, {
            'id': service_id, 'type': service['type'],
            'name': service['name'], 'enabled': True})
        self.services[service['type']] = service_id
        for endpoint in service['endpoints']:
            endpoint_id = _new_id()
            self.api.catalog_api.create_endpoint(endpoint_id, {
                'id': endpoint_id, 'service_id': service_id,
                'interface': endpoint['interface'],
                'region_id': endpoint['region'], 'url': endpoint['url'],
                'enabled': True})


def provision(plan, default_domain_id):
    """Create everything the plan lists; returns the Provisioner (ids)."""
    make = Provisioner(default_domain_id)
    for name in plan['domains']:
        make.domain(name)
    for name in plan['roles']:
        make.role(name)
    for name, domain in plan['projects']:
        make.project(name, domain)
    for user in plan['users']:
        make.user(user['name'][0], user['name'][1], user['password'])
    for grant in plan['grants']:
        make.grant(**grant)
    for name in plan['regions']:
        make.region(name)
    for service in plan['services']:
        make.service(service)
    return make


class OneRequestAtATime(object):
    """A WSGI app entered by one request at a time, as keystone expects.

    keystone 30's ``AuthContextMiddleware`` keeps the token it validated
    on itself (``self.token``, set in ``fetch_token``, read back in
    ``fill_context``), and the app holds one instance of it for every
    request: two requests in flight at once can swap tokens. A request
    with a project-scoped token then gets the domain of a concurrent
    domain-scoped one (Heat's stack-domain admin makes those for every
    stack) and policies that take only system or project scope refuse it
    at random: 403 "requires a scope of ['system', 'project'], request
    was made with domain scope". keystone's own sample Apache config
    (``threads=1``) and uwsgi's default run it one request per process at
    a time; this is that, for the one process here. The server's threads
    still read requests and write answers in parallel.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b''.join(result)]
            finally:
                if hasattr(result, 'close'):
                    result.close()


def harness_user_ids(plan, boot, made):
    """The names and ids of the users whose requests are the harness's."""
    names = set(plan.get('harness_users', ()))
    ids = {user_id for (name, _domain), user_id in made.users.items()
           if name in names}
    if plan['admin']['user'] in names:
        ids.add(boot.admin_user_id)
    return names | ids


def build_app(harness_users=()):
    """keystone's public WSGI app, as its own wsgi entry point builds it,
    without loading the backends a second time, entered by one request at
    a time (OneRequestAtATime); and the Tally inside it that counts the
    requests and the seconds keystone spent on them, by who asked."""
    from keystone.server.flask import application
    from keystone.server.flask import core as flask_core
    tally = wsgi.Tally(flask_core.setup_app_middleware(
        application.application_factory('public')), harness_users)
    return OneRequestAtATime(tally), tally


def serve(app, listener):
    server = wsgi.make_server(app, 0, LOG, 'keystone api', sock=listener)
    threading.Thread(target=server.serve_forever, name='wsgi',
                     daemon=True).start()
    return server


class _Stopwatch(object):
    """Seconds spent in each phase of the start, for the state file."""

    def __init__(self):
        self.phases = {}
        self._last = time.monotonic()

    def lap(self, phase):
        now = time.monotonic()
        self.phases[phase] = round(now - self._last, 3)
        self._last = now


def set_up(plan, watch):
    """Database, keys, bootstrap, plan; returns the state to publish
    and the harness's users (``harness_user_ids``)."""
    prepare_database()
    watch.lap('db_sync')
    make_keys()
    boot = bootstrap(plan['admin'])
    watch.lap('bootstrap')
    made = provision(plan, boot.default_domain_id)
    watch.lap('provision')
    return {
        'domains': made.domains,
        'projects': {'%s/%s' % key: value
                     for key, value in made.projects.items()},
        'services': made.services,
    }, harness_user_ids(plan, boot, made)


def write_tally(tally, tally_file):
    processes.write_state(tally_file, tally.totals())


def keep_tally(tally, tally_file, stop):
    """Rewrite the tally file until stop is set, then once more."""
    while not stop.wait(config.KEYSTONE_TALLY_WRITE_S):
        write_tally(tally, tally_file)
    write_tally(tally, tally_file)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--plan', required=True)
    parser.add_argument('--socket-fd', type=int, required=True,
                        help='a bound socket to listen on, inherited')
    parser.add_argument('--state-file', required=True)
    parser.add_argument('--tally-file', required=True)
    args = parser.parse_args(argv)

    watch = _Stopwatch()
    with open(args.plan) as f:
        plan = json.load(f)
    configure(args.config_file)
    preload()
    watch.lap('imports')
    state, harness_users = set_up(plan, watch)
    app, tally = build_app(harness_users)
    server = serve(app, socket.socket(fileno=args.socket_fd))
    watch.lap('app')

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    tally_writer = threading.Thread(
        target=keep_tally, args=(tally, args.tally_file, stop),
        name='tally', daemon=True)
    tally_writer.start()
    processes.write_state(args.state_file, dict(
        state, pid=os.getpid(), port=server.server_port,
        timings=watch.phases))
    LOG.info('harness: keystone ready on port %s; seconds per phase: %s',
             server.server_port, watch.phases)
    while not stop.wait(3600):
        pass
    tally_writer.join(timeout=5)
    LOG.info('harness: keystone stops; requests served (count, seconds, '
             'CPU seconds, who, what):\n%s', tally.summary())
    server.shutdown()
    os._exit(0)


if __name__ == '__main__':
    main()
