"""The devstack-like deployment: a cloud of real parts, started by the harness.

``heat-functional gate --target cloud`` starts, on loopback:

- a private **PostgreSQL** server (``database.PostgresServer``) holding
  one database per cell and one for keystone;
- a real **keystone** (``keystone.KeystoneServer``), bootstrapped and
  provisioned as devstack does, with one region per cell holding that
  cell's ``orchestration`` endpoints;
- a private **RabbitMQ** broker (``rabbitmq.RabbitServer``) with one
  virtual host per cell;
- per cell (each path, and each toggle cell of the flag lifecycle suite):
  one Heat API process (``heat_api.py``: the application of
  ``heat-wsgi-api``, keystonemiddleware, ``deferred_auth_method =
  trusts``) and ``config.CLOUD_ENGINES`` ``heat-engine`` processes (the
  console script), all on the cell's virtual host and database, with
  ``convergence_engine`` set for the cell.

Independent parts start in parallel; each is waited on until it answers
(the broker logs a client in, the API writes its state file after
``db_sync``, each engine writes its ``service`` row). Every process runs
in a process group of its own, which a reaper (``reaper.py``) stops if
the harness dies; ``close()`` stops them all on a normal end, a failure
or Ctrl-C.

The deployment is then tested exactly as a real cloud is: ``as_external``
gives the external target's arguments (the clouds.yaml it wrote, one
cloud per cell, database URLs to read flags, and operator commands), so
that the run goes through ``external.py``, as against devstack. The
operator commands are ``operator_commands/cloud.py``: switching a cell's
``convergence_engine`` asks this owner, over its control server
(``control.py``, guarded by the run's control secret), to stop the cell's
engines and start new ones with the option set, on the same database and
broker; migrating runs heat-manage against the cell.
"""

import os
import signal
import sys
import threading
import time

import sqlalchemy

from heat_functional import config
from heat_functional import run_spec
from heat_functional.deployment import base
from heat_functional.deployment import control
from heat_functional.deployment import control_secret
from heat_functional.deployment import embedded
from heat_functional.deployment import owner
from heat_functional.deployment import processes
from heat_functional.deployment.operator_commands import cloud as \
    operator_commands
from heat_functional.deployment.parts import database
from heat_functional.deployment.parts import keystone
from heat_functional.deployment.parts import rabbitmq

CLOUD_PREFIX = keystone.CLOUD_PREFIX
#: What a cell's engines write when they start (engine/service.py,
#: service_manage_report); a row per live engine tells it is up.
_ENGINE_ROWS = sqlalchemy.text(
    'SELECT host, engine_id FROM service WHERE deleted_at IS NULL')


def toggles_for(paths):
    """The toggle cells to start: both, when both paths run and
    $HEAT_FUNCTIONAL_TOGGLES is not 0 (as RunSpec.toggle_cells)."""
    if not run_spec.toggles_wanted(os.environ):
        return []
    return list(config.TOGGLES) if set(paths) == set(config.PATH_NAMES) \
        else []


def engine_host(cell, number):
    """The ``host`` of one engine: as if each ran on a machine of its own."""
    return 'heat-functional-%s-engine-%d' % (cell, number)


def process_conf(host, log_file, convergence_engine=None):
    """The per-process heat.conf read after the cell's own: its host and
    log (and, for an engine, the option under test)."""
    lines = ['[DEFAULT]', 'host = %s' % host, 'log_file = %s' % log_file]
    if convergence_engine is not None:
        lines.append('convergence_engine = %s'
                     % str(bool(convergence_engine)).lower())
    return '\n'.join(lines) + '\n'


def cell_options(keystone_options, transport_url):
    """The sections merged over embedded.heat_conf for a cloud cell:
    keystone's, the cell's virtual host, one worker per engine process."""
    options = {section: dict(values)
               for section, values in keystone_options.items()}
    options.setdefault('DEFAULT', {}).update({
        'transport_url': transport_url,
        'num_engine_workers': '1',
    })
    return options


def engine_command(conf_files):
    """heat-engine (the console script beside this Python, or its entry
    point) with the given config files."""
    script = os.path.join(os.path.dirname(sys.executable), 'heat-engine')
    argv = [script] if os.access(script, os.X_OK) else [
        sys.executable, '-c', 'from heat.cmd.engine import main; main()']
    for conf in conf_files:
        argv += ['--config-file', conf]
    return argv


def live_engines(db_url):
    """host -> set of engine ids with a service row in a cell's database."""
    engine = sqlalchemy.create_engine(db_url,
                                      poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(_ENGINE_ROWS).fetchall()
    finally:
        engine.dispose()
    engines = {}
    for host, engine_id in rows:
        engines.setdefault(host, set()).add(engine_id)
    return engines


class CloudDeployment(owner.Owner):
    """Owner of a devstack-like deployment: starts, watches and stops it.

    Use as a context manager, or call start() and close(). on_death is
    called (from a watchdog thread) with a message naming the part and
    showing its log when a process dies while the deployment is up.
    """

    WORKDIR_PREFIX = 'heat-functional-cloud-'
    WATCHDOG_NAME = 'cloud-watchdog'

    def __init__(self, report_dir, paths=config.PATH_NAMES, toggles=(),
                 engines=config.CLOUD_ENGINES, on_death=None):
        if engines < 1:
            raise base.DeploymentError('a cell needs at least one engine, '
                                       'not %d' % engines)
        super(CloudDeployment, self).__init__(report_dir, on_death)
        self.paths = list(paths)
        self.toggles = list(toggles)
        self.engines = engines
        self.postgres = self.keystone = self.rabbit = None
        self.cells = {}
        self.control = None
        self.control_secret_file = None
        self.clouds_file = None
        self.description_file = os.path.join(self.report_dir,
                                             config.CLOUD_DESCRIPTION_JSON)
        self.timings = {}
        self._lock = threading.RLock()

    @property
    def cell_names(self):
        return self.paths + self.toggles

    # -- start ------------------------------------------------------------
    def start(self):
        started = time.monotonic()
        try:
            rabbitmq.find_binaries()
        except rabbitmq.BrokerMissing as missing:
            raise base.DeploymentError(str(missing))
        self.open_workdir()
        os.chmod(self.workdir, 0o711)  # PostgreSQL's user reaches its data
        self.control_secret_file = control_secret.create(self.workdir)
        try:
            self._start_parts(started)
        except BaseException:
            self.close()
            raise
        self.timings['ready'] = round(time.monotonic() - started, 3)
        self._write_description()
        self.start_watchdog()
        return self.description

    def _start_parts(self, started):
        ports = {name: keystone.free_port() for name in self.cell_names}
        self.postgres = database.PostgresServer(
            self.workdir, os.path.join(self.logs_dir, 'postgresql.log'))
        self._start_keystone(ports)
        self._start_rabbit()
        self.reaper.group(self.postgres.start())
        for name in self.cell_names:
            self._start_api(name, ports[name])
        self.postgres.wait_ready()
        self.postgres.create_databases(
            [database.database_name(n) for n in self.cell_names] +
            [keystone.DATABASE])
        self._lap('database', started)
        self._ready(self.rabbit.wait_ready, 'rabbitmq', started)
        for name in self.cell_names:
            self._wait_api(name)
            self._start_engines(name)
        self._lap('apis', started)
        for name in self.cell_names:
            self._wait_engines(name)
        self._lap('engines', started)
        self._ready(self.keystone.wait_ready, 'keystone', started)
        self.clouds_file = self.private_file(
            'clouds.yaml', self.keystone.clouds_yaml())
        self._start_control()

    def _lap(self, part, started):
        self.timings[part] = round(time.monotonic() - started, 3)

    def _ready(self, wait, part, started):
        try:
            wait()
        except processes.ProcessError as error:
            raise base.DeploymentError(str(error))
        self._lap(part, started)

    def _start_keystone(self, ports):
        self.keystone = keystone.KeystoneServer(
            os.path.join(self.workdir, 'keystone'),
            self.postgres.url(keystone.DATABASE), keystone.loopback_socket(),
            os.path.join(self.logs_dir, 'keystone.log'), self.cell_names,
            heat_urls={name: 'http://127.0.0.1:%d' % port
                       for name, port in ports.items()},
            env=self.child_env())
        self.reaper.group(self.keystone.start())

    def _start_rabbit(self):
        ports = {name: keystone.free_port()
                 for name in ('amqp', 'dist', 'epmd')}
        try:
            self.rabbit = rabbitmq.RabbitServer(
                os.path.join(self.workdir, 'rabbitmq'),
                os.path.join(self.logs_dir, 'rabbitmq.log'),
                self.cell_names, ports)
        except rabbitmq.BrokerMissing as error:
            raise base.DeploymentError(str(error))
        try:
            for process in self.rabbit.start():
                self.reaper.group(process)
        except processes.ProcessError as error:
            raise base.DeploymentError(str(error))

    # -- cells ------------------------------------------------------------
    def _start_api(self, name, port):
        """Write the cell's heat.conf and start its API process, which
        migrates the cell's database once the server is up."""
        celldir = os.path.join(self.workdir, name)
        os.mkdir(celldir)
        policy_file = self.private_file('policy.yaml', '{}', celldir)
        api_log = os.path.join(self.logs_dir, '%s-api.log' % name)
        db_url = self.postgres.url(database.database_name(name))
        heat_conf = self.private_file('heat.conf', embedded.heat_conf(
            name, config.initial_convergence(name), db_url, api_log,
            embedded.find_paste_config(), policy_file,
            cell_options(self.keystone.heat_options(name),
                         self.rabbit.url(name))), celldir)
        api_conf = self.private_file('api.conf', process_conf(
            'heat-functional-%s-api' % name, api_log), celldir)
        manage_conf = self.private_file('manage.conf', process_conf(
            'heat-functional-%s-manage' % name,
            os.path.join(self.logs_dir, '%s-manage.log' % name)), celldir)
        state_file = os.path.join(celldir, 'api-state.json')
        process = processes.start(
            'heat-api %s' % name,
            [sys.executable, '-m',
             'heat_functional.deployment.programs.heat_api', '--port',
             str(port), '--state-file', state_file, '--',
             '--config-file', heat_conf, '--config-file', api_conf],
            api_log, env=self.child_env())
        self.reaper.group(process)
        self.cells[name] = {
            'dir': celldir, 'heat_conf': heat_conf, 'db_url': db_url,
            'manage_conf': manage_conf,
            'port': port, 'api': process, 'api_log': api_log,
            'api_state': state_file, 'engines': [],
            'convergence_engine': config.initial_convergence(name)}

    def _wait_api(self, name, timeout=config.CELL_READY_TIMEOUT):
        cell = self.cells[name]
        cell['state'] = self.wait_state_file(
            'Heat API of %r' % name, cell['api'], cell['api_state'],
            cell['api_log'], timeout)

    def _start_engines(self, name):
        cell = self.cells[name]
        cell['known_engines'] = live_engines(cell['db_url'])
        for number in range(1, self.engines + 1):
            host = engine_host(name, number)
            log_file = os.path.join(self.logs_dir, '%s-engine-%d.log'
                                    % (name, number))
            conf = self.private_file('engine-%d.conf' % number, process_conf(
                host, log_file, cell['convergence_engine']), cell['dir'])
            process = processes.start(
                'heat-engine %s' % host,
                engine_command([cell['heat_conf'], conf]), log_file,
                env=self.child_env())
            self.reaper.group(process)
            cell['engines'].append({'host': host, 'process': process,
                                    'log_file': log_file})

    def _wait_engines(self, name, timeout=config.CELL_READY_TIMEOUT):
        """Until each engine of the cell has a service row it did not
        have before this start."""
        cell = self.cells[name]
        deadline = time.monotonic() + timeout
        while True:
            for engine in cell['engines']:
                if engine['process'].poll() is not None:
                    raise base.DeploymentError(processes.describe_failure(
                        'heat-engine %s' % engine['host'], 'exited with %s '
                        'while starting' % engine['process'].returncode,
                        engine['log_file']))
            fresh = self._fresh_engines(cell)
            if len(fresh) == len(cell['engines']):
                for engine in cell['engines']:
                    engine['engine_id'] = fresh[engine['host']]
                return
            if time.monotonic() > deadline:
                raise base.DeploymentError(processes.describe_failure(
                    'heat-engine of %r' % name, 'was not ready within %d s'
                    % timeout, cell['engines'][0]['log_file']))
            time.sleep(config.POLL_INTERVAL)

    @staticmethod
    def _fresh_engines(cell):
        now = live_engines(cell['db_url'])
        fresh = {}
        for engine in cell['engines']:
            new = now.get(engine['host'], set()) - \
                cell['known_engines'].get(engine['host'], set())
            if new:
                fresh[engine['host']] = sorted(new)[0]
        return fresh

    def restart_engines(self, name, convergence_engine):
        """Stop the cell's engines and start new ones with the option
        set, on the same database and virtual host (what an operator does
        after changing heat.conf); returns once they are up."""
        if name not in self.cells:
            raise base.DeploymentError('no cell %r (cells: %s)' % (
                name, ', '.join(self.cell_names)))
        with self._lock:
            cell = self.cells[name]
            self._stop_engines(cell)
            cell['convergence_engine'] = bool(convergence_engine)
            self._start_engines(name)
            self._wait_engines(name)
            self._write_description()
        return self.status(name)

    @staticmethod
    def _stop_engines(cell):
        # heat-engine's launcher ignores SIGTERM and exits on SIGINT.
        for engine in cell['engines']:
            processes.stop(engine['process'], first_signal=signal.SIGINT)
        cell['engines'] = []

    def status(self, name):
        cell = self.cells[name]
        return {'cell': name,
                'convergence_engine': cell['convergence_engine'],
                'engines': [{'host': e['host'],
                             'engine_id': e.get('engine_id'),
                             'pid': e['process'].pid}
                            for e in cell['engines']]}

    # -- control ------------------------------------------------------------
    def control_routes(self):
        """The control server's routes, for the run's secret:
        POST engine/<cell> {"convergence_engine": bool}; GET status/<cell>.
        """
        import logging
        return control.Routes(
            control_secret.read(self.control_secret_file),
            logging.getLogger(__name__)).add(
            'POST', 'engine/([^/]+)', self._engine_route).add(
            'GET', 'status/([^/]+)', self._status_route)

    def _engine_route(self, request):
        return 200, self.restart_engines(
            request.parts[0], bool(request.body['convergence_engine']))

    def _status_route(self, request):
        if request.parts[0] not in self.cells:
            return 404, {'error': 'no cell %r' % request.parts[0]}
        return 200, self.status(request.parts[0])

    def _start_control(self):
        import logging
        self.control = control.serve(self.control_routes(),
                                     logging.getLogger(__name__),
                                     'cloud-control')

    # -- description ------------------------------------------------------
    def _write_description(self):
        """Write (again, after a restart) what the operator commands and
        a reader need: cells, their logs and current engines, pids."""
        self.description = self._describe()
        self.save_description(self.description_file)

    def pids(self):
        """The process group leaders of every running part."""
        parts = [self.postgres.process, self.keystone.process,
                 self.rabbit.epmd_process, self.rabbit.process]
        for cell in self.cells.values():
            parts += [cell['api']] + [e['process'] for e in cell['engines']]
        return [p.pid for p in parts if p is not None]

    def _describe(self):
        cells = {name: {
            'cloud': CLOUD_PREFIX + name,
            'convergence_engine': cell['convergence_engine'],
            'heat_conf': cell['heat_conf'],
            'manage_conf': cell['manage_conf'],
            'db_url': self.postgres.reader_url(database.database_name(name)),
            'api': 'http://127.0.0.1:%d' % cell['port'],
            'api_log': cell['api_log'],
            'engines': self.status(name)['engines'],
            'engine_logs': [e['log_file'] for e in cell['engines']],
        } for name, cell in self.cells.items()}
        return {
            'kind': 'cloud',
            'heat_version': self.cells[self.cell_names[0]]['state'][
                'heat_version'],
            'ready_s': self.timings['ready'],
            'timings': dict(self.timings),
            'engines_per_cell': self.engines,
            'workdir': self.workdir,
            'clouds_file': self.clouds_file,
            'control': 'http://127.0.0.1:%d' % self.control.server_port,
            'control_secret_file': self.control_secret_file,
            'keystone': {'url': self.keystone.url,
                         'log_file': self.keystone.log_file,
                         'tally_file': self.keystone.tally_file},
            'rabbitmq': {'log_file': self.rabbit.log_file},
            'paths': self.paths,
            'toggles': self.toggles,
            'cells': cells,
            'pids': self.pids(),
        }

    def as_external(self):
        """The external target's arguments for this deployment: clouds
        per path and toggle, database URLs, operator commands."""
        cells = self.description['cells']
        return dict(
            operator_commands.templates(self.description_file),
            clouds_file=self.clouds_file,
            cloud=[(p, cells[p]['cloud']) for p in self.paths],
            toggle=[(t, cells[t]['cloud']) for t in self.toggles],
            db_url=[(info['cloud'], info['db_url'])
                    for info in cells.values()])

    def publish(self):
        """Write what ``gate --target external`` would describe with
        this deployment's arguments (``external_description``) as the
        report directory's deployment.json; returns its path."""
        path = os.path.join(self.report_dir, config.DESCRIPTION_JSON)
        self.save_description(path, self.external_description())
        return path

    def external_description(self):
        """What ``gate --target external`` would describe with the
        arguments of ``as_external`` (annotated), for a tool that tests
        this deployment as a real cloud (``deploy --target cloud``)."""
        from heat_functional.deployment import external
        args = self.as_external()
        return self.annotate(external.describe(
            dict(args['cloud']),
            {name: (cloud, args['toggle_command'])
             for name, cloud in args['toggle']},
            dict(args['db_url']), args['migrate_command'],
            args['clouds_file']))

    def annotate(self, description):
        """Add to an external description what the report shows of this
        deployment: Heat's version, how it was started, the logs."""
        description.update({
            'heat_version': self.description['heat_version'],
            'db': 'postgresql', 'ready_s': self.description['ready_s'],
            'started_by_harness': {
                'kind': 'cloud', 'cloud_json': self.description_file,
                'engines_per_cell': self.engines,
                'keystone_tally_file': self.description.get(
                    'keystone', {}).get('tally_file'),
                'timings': self.description['timings']}})
        for group in ('paths', 'toggles'):
            for name, info in description.get(group, {}).items():
                info['log_file'] = self.description['cells'][name]['api_log']
        return description

    # -- watching and stopping --------------------------------------------
    def dead_parts(self):
        """Messages naming each process of the deployment that is gone."""
        parts = [('PostgreSQL', self.postgres.process,
                  self.postgres.log_file),
                 ('keystone', self.keystone.process, self.keystone.log_file)]
        parts += [(name, process, self.rabbit.log_file)
                  for name, process in self.rabbit.dead()]
        for name, cell in self.cells.items():
            parts.append(('Heat API of %r' % name, cell['api'],
                          cell['api_log']))
            parts += [('heat-engine %s' % e['host'], e['process'],
                       e['log_file']) for e in cell['engines']]
        return [processes.describe_failure(
            name, 'died (exit status %s)' % process.returncode, log_file)
            for name, process, log_file in parts
            if process is not None and process.poll() is not None]

    def dead_now(self):
        with self._lock:  # not while engines restart
            return super(CloudDeployment, self).dead_now()

    def close(self):
        """Stop everything, newest first; keep the logs."""
        self._closing.set()
        with self._lock:
            if self.control:
                self.control.shutdown()
                self.control.server_close()
            for cell in reversed(list(self.cells.values())):
                self._stop_engines(cell)
                processes.stop(cell['api'])
            if self.keystone:
                self.keystone.close()
            if self.rabbit:
                self.rabbit.stop()
            if self.postgres and self.postgres.process:
                self.postgres.stop()
            self.close_workdir()
