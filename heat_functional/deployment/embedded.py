"""The embedded deployment: the real Heat, started by the harness.

One *cell* per path: a process running Heat's API (noauth) and engine
(``fake://`` RPC) together (``programs/heat_all.py``), on a loopback port,
with its own database on one private PostgreSQL server, or in its own
SQLite file.
Everything is started in parallel: PostgreSQL's initdb overlaps with the
cells' imports, and each cell waits for its database before migrating it.
Given a Heat git checkout (``heat_source``), the cells import Heat from it
instead of the installed openstack-heat (``source.py``).

``EmbeddedCells`` is the owner: it starts, watches and stops the processes
and writes the description. ``EmbeddedDeployment`` is the handle every
process (pytest workers included) uses; it reaches the cells' harness
routes with the run's control secret (``control_secret.py``), which the
owner keeps in a private file of its work directory and the description
names.
"""

import importlib.util
import json
import os
import secrets
import signal
import sys
import time
import urllib.error

from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import control
from heat_functional.deployment import control_secret
from heat_functional.deployment import owner
from heat_functional.deployment import processes
from heat_functional.deployment.parts import database
from heat_functional.deployment.parts import keystone
from heat_functional.deployment.parts import notices
from heat_functional.deployment.parts import source

#: What Heat 27.0.1's migrate_convergence_1 answers for every stack.
MIGRATION_BUG = 'NoEngineContextEstablished'
MIGRATION_NOTE = (
    'heat-manage migrate_convergence_1 fails on this Heat with '
    'NoEngineContextEstablished (it uses ctxt.session outside an '
    'enginefacade transaction); the same engine method ran with the '
    'transaction supplied')

POLICY_OVERRIDES = {
    # Default policy denies it outside keystone scoping (HEAT-FACTS).
    'software_deployments:metadata': '',
}


def find_paste_config():
    """Heat's own api-paste.ini, from the venv or a source checkout."""
    candidates = [os.path.join(sys.prefix, 'etc', 'heat', 'api-paste.ini')]
    spec = importlib.util.find_spec('heat')
    if spec and spec.submodule_search_locations:
        heat_dir = list(spec.submodule_search_locations)[0]
        candidates.append(os.path.join(os.path.dirname(heat_dir),
                                       'etc', 'heat', 'api-paste.ini'))
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    raise base.DeploymentError(
        'cannot find Heat\'s api-paste.ini (looked in %s); is openstack-heat '
        'installed in this environment?' % ', '.join(candidates))


def cell_host(path):
    """The ``host`` a path's cell runs as (its engine's name, and the name
    its thread reports' files begin with)."""
    return 'heat-functional-%s' % path


def heat_conf(path, convergence_engine, db_url, log_file, paste_config,
              policy_file, extra=None):
    """The text of one cell's heat.conf; `extra` (sections of options)
    is merged over it (the keystone options, for instance)."""
    sections = {
        'DEFAULT': {
            'host': cell_host(path),
            'convergence_engine': str(convergence_engine).lower(),
            'transport_url': 'fake://',
            'auth_encryption_key': secrets.token_hex(16),
            'deferred_auth_method': 'password',
            'num_engine_workers': '1',
            'rpc_response_timeout': str(config.CELL_RPC_TIMEOUT),
            'enable_stack_abandon': 'true',
            'enable_stack_adopt': 'true',
            'log_file': log_file,
        },
        'database': {'connection': db_url},
        'paste_deploy': {'flavor': 'noauth',
                         'api_paste_config': paste_config},
        'oslo_policy': {'enforce_scope': 'false',
                        'enforce_new_defaults': 'false',
                        'policy_file': policy_file},
        'oslo_messaging_notifications': {'driver': 'noop'},
    }
    for section, options in (extra or {}).items():
        sections.setdefault(section, {}).update(options)
    lines = []
    for section, options in sections.items():
        lines.append('[%s]' % section)
        lines += ['%s = %s' % item for item in options.items()]
        lines.append('')
    return '\n'.join(lines) + '\n'


def noauth_clouds_yaml(description):
    """One cloud per path and toggle cell of noauth embedded cells."""
    lines = ['clouds:']
    cells = dict(description['paths'], **description.get('toggles', {}))
    for path, info in cells.items():
        lines += ['  heat-functional-%s:' % path,
                  '    auth_type: none',
                  '    auth:',
                  '      endpoint: %s' % info['endpoint'],
                  '    orchestration_endpoint_override: %s' % info['endpoint']]
    return '\n'.join(lines) + '\n'


class EmbeddedCells(owner.Owner):
    """Owner of an embedded deployment: starts, watches and stops it.

    Use as a context manager, or call start() and close(). on_death is
    called (from a watchdog thread) with a message when a cell or the
    database dies while the deployment is up.
    """

    WATCHDOG_NAME = 'cell-watchdog'

    def __init__(self, report_dir, db=config.DEFAULT_DB,
                 paths=config.PATH_NAMES, on_death=None, toggles=(),
                 auth=config.DEFAULT_AUTH, heat_source=None):
        if db not in config.DB_KINDS:
            raise base.DeploymentError('unknown database %r; choose one of %s'
                                       % (db, ', '.join(config.DB_KINDS)))
        if auth not in config.AUTH_KINDS:
            raise base.DeploymentError('unknown auth %r; choose one of %s'
                                       % (auth, ', '.join(config.AUTH_KINDS)))
        super(EmbeddedCells, self).__init__(report_dir, on_death)
        self.auth = auth
        #: A Heat checkout the cells import Heat from (source.py).
        self.heat_source = heat_source and source.HeatSource(heat_source)
        self.keystone = None
        self.db = db
        self.paths = list(paths)
        self.toggles = list(toggles)
        self.control_secret_file = None
        self.postgres = None
        self.cells = {}
        self.description_file = os.path.join(self.report_dir,
                                             config.DESCRIPTION_JSON)

    # -- lifecycle ------------------------------------------------------
    def start(self):
        started = time.monotonic()
        self.open_workdir()
        self.control_secret_file = control_secret.create(self.workdir)
        try:
            db_urls = self._start_database()
            if self.heat_source:
                self.heat_source.prepare(self.workdir, os.path.join(
                    self.logs_dir, 'heat-source.log'))
            for name in self.cell_names:
                self._start_cell(name, db_urls[name])
            if self.postgres:
                self.postgres.wait_ready()
                self.postgres.create_databases(
                    [database.database_name(n) for n in self.cell_names] +
                    ([keystone.DATABASE] if self.keystone else []))
            states = {name: self._wait_cell(name)
                      for name in self.cell_names}
            if self.heat_source:
                for name, state in states.items():
                    self.heat_source.check_cell(name, state.get('heat_path'))
            if self.keystone:
                self._register_cells(states)
        except BaseException:
            self.close()
            raise
        self.description = self._describe(states, db_urls,
                                          time.monotonic() - started)
        self._write_description()
        self.start_watchdog()
        return self.description

    def close(self):
        """Stop everything, in reverse order; keep the logs."""
        self._closing.set()
        for path in reversed(list(self.cells)):
            processes.stop(self.cells[path]['process'])
        if self.keystone:
            self.keystone.close()
        if self.postgres:
            self.postgres.stop()
        self.close_workdir()

    @property
    def cell_names(self):
        """The paths' cells, then the toggle cells."""
        return self.paths + self.toggles

    # -- parts ------------------------------------------------------------
    def _cell_env(self):
        """A cell's environment: the Heat checkout, if any, first."""
        env = self.child_env()
        if self.heat_source:
            env['PYTHONPATH'] = os.pathsep.join(
                self.heat_source.python_path() + [env['PYTHONPATH']])
        return env

    def _paste_config(self):
        if self.heat_source:
            return self.heat_source.paste_config
        return find_paste_config()

    def _start_database(self):
        """Start the database (and keystone, whose imports then overlap
        PostgreSQL's initdb); return each cell's database URL."""
        if self.db == 'sqlite':
            self._start_keystone(database.sqlite_url(self.workdir,
                                                     keystone.DATABASE))
            return {n: database.sqlite_url(self.workdir, n)
                    for n in self.cell_names}
        self.postgres = database.PostgresServer(
            self.workdir, os.path.join(self.logs_dir, 'postgresql.log'))
        self._start_keystone(self.postgres.url(keystone.DATABASE))
        process = self.postgres.start()
        self.reaper.group(process)
        return {n: self.postgres.url(database.database_name(n))
                for n in self.cell_names}

    def _start_keystone(self, db_url):
        if self.auth != 'keystone':
            return
        self.keystone = keystone.KeystoneServer(
            os.path.join(self.workdir, 'keystone'), db_url,
            keystone.loopback_socket(),
            os.path.join(self.logs_dir, 'keystone.log'), self.cell_names,
            env=self.child_env())
        process = self.keystone.start()
        self.reaper.group(process)

    def _register_cells(self, states):
        """Put each cell's endpoint in the catalog, in its own region,
        once keystone is up; write the clients' clouds.yaml (private: it
        holds the test user's password) into the work directory."""
        try:
            self.keystone.wait_ready()
        except processes.ProcessError as error:
            raise base.DeploymentError(str(error))
        self.keystone.add_orchestration_endpoints({
            name: 'http://127.0.0.1:%d' % states[name]['port']
            for name in self.cell_names})
        self.clouds_file = processes.write_private(
            self.keystone.workdir, 'clouds.yaml', self.keystone.clouds_yaml())

    def _start_cell(self, path, db_url):
        celldir = os.path.join(self.workdir, path)
        os.mkdir(celldir)
        log_file = os.path.join(self.logs_dir, '%s.log' % path)
        policy_file = os.path.join(celldir, 'policy.yaml')
        with open(policy_file, 'w') as f:
            json.dump(POLICY_OVERRIDES if not self.keystone else {}, f)
        conf_file = os.path.join(celldir, 'heat.conf')
        extra = self.keystone.heat_options(path) if self.keystone else None
        with os.fdopen(os.open(conf_file, os.O_WRONLY | os.O_CREAT, 0o600),
                       'w') as f:
            f.write(heat_conf(path, config.initial_convergence(path),
                              db_url, log_file,
                              self._paste_config(), policy_file, extra))
        state_file = os.path.join(celldir, 'state.json')
        process = processes.start(
            'cell %s' % path,
            [sys.executable, '-m',
             'heat_functional.deployment.programs.heat_all',
             '--config-file', conf_file, '--state-file', state_file,
             '--control-secret-file', self.control_secret_file,
             '--rpc-poll', str(config.FAKE_RPC_POLL),
             '--thread-reports', self.logs_dir],
            log_file, env=self._cell_env())
        self.reaper.group(process)
        self.cells[path] = {'process': process, 'state_file': state_file,
                            'log_file': log_file, 'db_url': db_url}

    def _wait_cell(self, path, timeout=config.CELL_READY_TIMEOUT):
        cell = self.cells[path]
        return self.wait_state_file('Heat cell %r' % path, cell['process'],
                                    cell['state_file'], cell['log_file'],
                                    timeout)

    def _describe(self, states, db_urls, ready_s):
        cells = {}
        project = self._test_project_id()
        for name in self.cell_names:
            state = states[name]
            base_url = 'http://127.0.0.1:%d' % state['port']
            cells[name] = {
                'endpoint': '%s/v1/%s' % (base_url, project),
                'cloud': keystone.CLOUD_PREFIX + name,
                'control': '%s/harness' % base_url,
                'db_url': self._reader_url(name, db_urls[name]),
                'log_file': self.cells[name]['log_file'],
                'pid': self.cells[name]['process'].pid,
                'convergence_engine': config.initial_convergence(name),
            }
        any_state = states[self.cell_names[0]]
        return {
            'kind': 'embedded',
            'db': self.db,
            'auth': self.auth,
            'clouds_file': getattr(self, 'clouds_file', None),
            'control_secret_file': self.control_secret_file,
            'keystone': self._keystone_info(),
            'heat_version': any_state['heat_version'],
            'heat_source': self.heat_source and self.heat_source.info,
            'ready_s': round(ready_s, 3),
            'workdir': self.workdir,
            'paths': {p: cells[p] for p in self.paths},
            'toggles': {t: cells[t] for t in self.toggles},
        }

    def _reader_url(self, name, db_url):
        """The URL the suites read a cell's rows with: the read-only
        role where PostgreSQL serves it, the cell's own URL for SQLite."""
        if self.postgres is None:
            return db_url
        return self.postgres.reader_url(database.database_name(name))

    def _test_project_id(self):
        """The project the harness's stacks live in (the noauth
        pipeline's is ``admin``)."""
        if not self.keystone:
            return 'admin'
        projects = self.keystone.state['projects']
        return [project_id for key, project_id in projects.items()
                if key.startswith(keystone.TEST_PROJECT + '/')][0]

    def _keystone_info(self):
        if not self.keystone:
            return None
        return {'url': self.keystone.url, 'pid': self.keystone.process.pid,
                'log_file': self.keystone.log_file,
                'tally_file': self.keystone.tally_file,
                'timings': self.keystone.state.get('timings')}

    def set_clouds_file(self, path):
        """Name the clients' clouds.yaml in the description and write
        the description again."""
        self.clouds_file = path
        self.description['clouds_file'] = path
        self._write_description()

    def publish(self):
        """The description names a clouds.yaml: keystone's, or one
        written in the private work directory for noauth cells; returns
        the description's file."""
        if not self.description.get('clouds_file'):
            self.set_clouds_file(self.private_file(
                'clouds.yaml', noauth_clouds_yaml(self.description)))
        return self.description_file

    def _write_description(self):
        # Atomically: `deploy` writes it again, and readers poll it.
        self.save_description(self.description_file)

    # -- watching -------------------------------------------------------
    def dead_parts(self):
        """Messages naming each cell or database process that is gone."""
        dead = []
        for path, cell in self.cells.items():
            if cell['process'].poll() is not None:
                dead.append(processes.describe_failure(
                    'Heat cell %r' % path, 'died (exit status %s)'
                    % cell['process'].returncode, cell['log_file']))
        if self.keystone and self.keystone.process and \
                self.keystone.process.poll() is not None:
            dead.append(processes.describe_failure(
                'keystone', 'died (exit status %s)'
                % self.keystone.process.returncode, self.keystone.log_file))
        if self.postgres and self.postgres.process.poll() is not None:
            dead.append(processes.describe_failure(
                'PostgreSQL', 'died (exit status %s)'
                % self.postgres.process.returncode, self.postgres.log_file))
        return dead


def interrupt_main(message):
    """Default reaction to a dead cell: interrupt the owner's main thread."""
    sys.stderr.write('\nheat-functional: %s\n' % message)
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGINT)


#: (cloud, clouds.yaml, its mtime) -> the cloud's entry with its session.
_OWN_CLOUDS = {}


def own_cloud(clouds_file, cloud):
    """A cloud of the clouds.yaml the embedded keystone wrote
    (keystone.clouds: password auth, a region and an interface), with
    the one keystoneauth session (and token) this process uses for it,
    as external.shared_region gives for any cloud. The harness wrote the
    file, so it is read as it was written, without openstacksdk."""
    from heat_functional.deployment import external
    return external.once_per_cloud(_OWN_CLOUDS, cloud, clouds_file,
                                   _read_own_cloud)


def _read_own_cloud(cloud, clouds_file):
    import yaml
    from heat_functional import client
    try:
        with open(clouds_file) as f:
            entry = (yaml.safe_load(f) or {}).get('clouds', {}).get(cloud)
    except OSError as error:
        raise base.DeploymentError('clouds.yaml of the embedded keystone: '
                                   '%s' % error)
    if not entry or entry.get('auth_type', 'password') != 'password':
        raise base.DeploymentError('%s has no password cloud %r'
                                   % (clouds_file, cloud))
    return {'session': client.password_session(entry['auth']),
            'region_name': entry.get('region_name'),
            'interface': entry.get('interface', 'public')}


class EmbeddedDeployment(base.Deployment):
    """A handle on embedded cells, from their description."""

    def client(self, path):
        from heat_functional import client
        if self.description.get('auth') != 'keystone':
            return client.heat_client(self.endpoint(path))
        cloud = own_cloud(self.description['clouds_file'],
                          self.path_info(path)['cloud'])
        return client.session_client(cloud['session'], cloud['region_name'],
                                     cloud['interface'])

    def _control_secret(self):
        """The run's control secret, from the file the description names."""
        if getattr(self, '_secret', None) is None:
            try:
                self._secret = control_secret.read(
                    self.description.get('control_secret_file'))
            except control_secret.SecretMissing as error:
                raise base.DeploymentError(str(error))
        return self._secret

    def _control(self, path, method, route, body=None):
        url = '%s/%s' % (self.path_info(path)['control'], route)
        try:
            return control.call(url, self._control_secret(), method, body)
        except control.Refused as refused:
            raise base.DeploymentError('cell %r: %s %s answered %s: %s'
                                       % (path, method, route, refused.code,
                                          refused.message))
        except urllib.error.URLError:
            self.check_alive(path)
            raise

    def convergence_engine(self, path):
        return self._control(path, 'GET', 'status')['convergence_engine']

    def lacks(self, requirement):
        if requirement == 'keystone' and \
                self.description.get('auth') != 'keystone':
            return ('the embedded deployment runs without keystone '
                    '(--auth noauth), so Heat hides the resource types that '
                    'need it')
        return None

    def stack_flags(self, path, stack_id):
        flags = database.read_stack_flags(self.path_info(path)['db_url'],
                                          stack_id)
        for flag in flags:
            flag['source'] = 'db'
        return flags

    def stack_timeline(self, path, stack_id):
        return database.read_stack_timeline(self.path_info(path)['db_url'],
                                            stack_id)

    def timeline_watch(self, path, stack_id):
        return notices.Watch(self.path_info(path)['db_url'], stack_id)

    def timeline_mark(self, path):
        return database.newest_event_id(self.path_info(path)['db_url'])

    def stack_made(self, path, stack_id, mark):
        database.stack_made_after(self.path_info(path)['db_url'], stack_id,
                                  mark)

    def restart(self, path, convergence_engine):
        self._control(path, 'POST', 'engine',
                      {'convergence_engine': bool(convergence_engine)})

    def migrate_convergence(self, path, stack_id):
        """Heat's migration RPC call; where Heat 27's bug makes it fail
        for want of a database transaction, the same engine method with
        the transaction supplied (``cell.migration_context``). Returns
        how the stack was migrated."""
        try:
            self._control(path, 'POST', 'migrate/%s' % stack_id)
            return {'method': 'heat-manage'}
        except base.DeploymentError as error:
            if MIGRATION_BUG not in str(error):
                raise
        self._control(path, 'POST', 'migrate/%s?shim=1' % stack_id)
        return {'method': 'transaction-shim', 'note': MIGRATION_NOTE}

    def thread_report(self, path):
        info = self.path_info(path)
        pid = info.get('pid')
        if not pid or not processes.alive(pid):
            return None
        return processes.thread_report(
            pid, os.path.dirname(info['log_file']),
            '%s_gurumeditation_' % cell_host(path),
            config.THREAD_REPORT_TIMEOUT)

    def check_alive(self, path):
        info = self.path_info(path)
        if not processes.alive(info['pid']):
            raise base.CellDied(processes.describe_failure(
                'Heat cell %r (pid %d)' % (path, info['pid']),
                'is not running', info['log_file']))
