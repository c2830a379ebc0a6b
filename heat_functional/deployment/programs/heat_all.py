"""An embedded cell's one process: the real Heat API and engine together.

As Heat's own ``heat-all`` does, one process serves the API and runs the
engine; an embedded cell (``embedded.py``: one per path) is one such
process on its database.

Run as ``python -m heat_functional.deployment.programs.heat_all --config-file
heat.conf --state-file state.json --control-secret-file control-secret``. The
process:

1. prepares its database (``db_sync``; on PostgreSQL the trigger that
   tells a waiting worker of a stack's events, ``notices.py``; on SQLite
   the hardening that ``sqlite.py`` describes),
2. builds Heat's own paste pipeline (noauth flavour) and starts
   ``heat.engine.service.EngineService`` in this process, so that both
   share oslo.messaging's in-process ``fake://`` transport,
3. serves the API on 127.0.0.1 with a threaded WSGI server on a port the
   kernel picks, and writes that port into the state file once ready.

Beside Heat's API it answers three harness-only routes under ``/harness/``
(Heat never sees them), only to a request that carries the run's control
secret (``control_secret.py``; the process reads it from the file that
``--control-secret-file`` names), 403 otherwise (``control.py``, the one
control server and client):

- ``GET  /harness/status``: pid, Heat version and where it was imported
  from, current convergence_engine;
- ``POST /harness/engine`` ``{"convergence_engine": bool}``: stop the
  engine service and start a new one with the option set, on the same
  database (what an operator's restart after a config change does);
- ``POST /harness/migrate/<stack_id>``: the RPC call that
  ``heat-manage migrate_convergence_1`` makes, which cannot reach a
  ``fake://`` engine from another process; with ``?shim=1``, the same
  engine method given the transaction Heat 27 forgets to open
  (``migration_context``).

SIGTERM or SIGINT stops the process.
"""

import argparse
import gc
import os
import signal
import sys
import threading

# Heat 27 runs oslo.service on its threading backend; this must happen
# before anything imports oslo_service.service.
from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)

from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

from heat_functional.deployment import control  # noqa: E402
from heat_functional.deployment import control_secret  # noqa: E402
from heat_functional.deployment import processes  # noqa: E402
from heat_functional.deployment import wsgi  # noqa: E402
from heat_functional.deployment.parts import interpreter  # noqa: E402

LOG = logging.getLogger('heat_functional.heat_all')
CONTROL_PREFIX = '/harness/'


class HeatAll(object):
    """The Heat API app, the engine service and the harness routes
    (for requests that carry `secret`)."""

    def __init__(self, host, secret):
        self.host = host
        self.control = self.routes(secret)
        self.engine = None
        self._engine_lock = threading.Lock()
        self.api_app = None

    # -- engine ---------------------------------------------------------
    def start_engine(self):
        from heat.engine import service as engine_service
        from heat.rpc import api as rpc_api
        engine = engine_service.EngineService(self.host, rpc_api.ENGINE_TOPIC)
        engine.start()
        self.engine = engine
        LOG.info('harness: engine %s started, convergence_engine=%s',
                 engine.engine_id, cfg.CONF.convergence_engine)

    def stop_engine(self):
        if self.engine is not None:
            self.engine.stop()
            self.engine = None

    def restart_engine(self, convergence_engine):
        with self._engine_lock:
            LOG.info('harness: restarting engine with convergence_engine=%s',
                     convergence_engine)
            self.stop_engine()
            cfg.CONF.set_override('convergence_engine', convergence_engine)
            self.start_engine()

    # -- harness routes -------------------------------------------------
    def status(self):
        import heat
        from heat import version
        return {
            'pid': os.getpid(),
            'heat_version': version.version_info.version_string(),
            'heat_path': os.path.dirname(os.path.abspath(heat.__file__)),
            'convergence_engine': bool(cfg.CONF.convergence_engine),
            'engine_id': self.engine.engine_id if self.engine else None,
        }

    def migrate(self, stack_id, shim=False):
        """What ``heat-manage migrate_convergence_1 <stack_id>`` does.

        Plain, it makes Heat's own RPC call. With `shim`, it calls the
        same engine method directly, in a context that gives it the
        database transaction it expects (see ``_MigrationContext``).
        """
        from heat.common import context
        from heat.common import exception
        from heat.rpc import client as rpc_client
        try:
            if shim:
                with self._engine_lock:
                    self.engine.migrate_convergence_1(
                        migration_context(), stack_id)
            else:
                rpc_client.EngineClient().migrate_convergence_1(
                    context.get_admin_context(), stack_id)
        except exception.NotFound:
            return 404, {'error': 'Stack with id %s can not be found.'
                         % stack_id}
        except (exception.NotSupported, exception.ActionNotComplete) as ex:
            return 409, {'error': str(ex.message)}
        return 200, {'migrated': stack_id, 'shim': shim}

    def routes(self, secret):
        """The harness routes, for requests that carry `secret`."""
        return control.Routes(secret, LOG, CONTROL_PREFIX).add(
            'GET', 'status', lambda request: (200, self.status())).add(
            'POST', 'engine', self._engine_route).add(
            'POST', 'migrate/([^/]+)', lambda request: self.migrate(
                request.parts[0], request.query.get('shim') == '1'))

    def _engine_route(self, request):
        self.restart_engine(bool(request.body['convergence_engine']))
        return 200, self.status()

    def __call__(self, environ, start_response):
        if self.control.handles(environ):
            return self.control(environ, start_response)
        return self.api_app(environ, start_response)


def migration_context():
    """An admin context for ``EngineService.migrate_convergence_1``.

    Heat 27.0.1's method converts the stacks inside ``with
    ctxt.session.begin():``, but nothing has opened an enginefacade
    transaction on that context, so oslo.db raises
    NoEngineContextEstablished for every stack (doc/source/deployment.rst). In
    this context, ``session.begin()`` opens oslo.db's writer transaction
    instead, the one Heat's own database API joins: all stacks of the
    tree are converted in one transaction, as the method intends. Heat's
    code runs unchanged; only the missing transaction is supplied.
    """
    from heat.common import context
    from heat.db import api as db_api

    class _Session(object):
        def __init__(self, ctxt):
            self._ctxt = ctxt

        def begin(self):
            return db_api.context_manager.writer.using(self._ctxt)

        def __getattr__(self, name):
            real = context.RequestContext.session.__get__(self._ctxt)
            return getattr(real, name)

    class _MigrationContext(context.RequestContext):
        @property
        def session(self):
            return _Session(self)

    return _MigrationContext(is_admin=True)


def _tighten_fake_transport(pause):
    """Make the fake:// listeners poll their queues every `pause` seconds.

    oslo.messaging's fake driver sleeps up to 50 ms between two looks at
    its queues, so every RPC hop (each API call, each convergence
    check_resource) waits 25 ms on average, where a real broker pushes the
    message at once. That delay is the test double's, not Heat's: it
    inflated the harness's overhead and Heat's own times, convergence's
    more (it makes more hops). The process caps the sleep at `pause`; at
    5 ms an idle process costs about 1.4 % of a core instead of 0.5 %
    (doc/source/deployment.rst has the measurements).
    """
    import time as real_time
    from oslo_messaging._drivers import impl_fake

    class _Clock(object):
        time = staticmethod(real_time.time)

        @staticmethod
        def sleep(seconds):
            real_time.sleep(min(seconds, pause))

    impl_fake.time = _Clock


def _warm_up_yaql():
    """Initialise Heat's yaql parser once, before any request.

    ``heat.engine.hot.functions.Yaql.get_yaql_parser`` sets the class's
    ``_parser`` before its ``_context``; two stacks using yaql at the same
    moment on a fresh engine can see the parser and not the context and
    fail with a 400 ("'Yaql' object has no attribute '_context'"), on
    either path. That is a Heat race at start-up, not a difference between
    the paths, so the process takes it out of the way.
    """
    from heat.engine.hot import functions
    functions.Yaql.get_yaql_parser()


def _enable_thread_reports(directory):
    """Write a Guru Meditation report (every thread's stack, the
    configuration with its secrets masked, the package) into `directory`
    on SIGUSR2, as heat-engine does (heat/cmd/engine.py): the harness
    asks for one as evidence when a stack hangs or never finishes. The
    files are named <host>_gurumeditation_<time>.

    Two differences from heat-engine's setup, both because a fuzz run's
    convergence cell, asked for its second report, never wrote it and
    never answered a request again (its main thread asleep inside the
    report, at ``sys._current_frames()``, with 148 threads; no log line
    after): on Python 3.11 before 3.11.9, ``sys._current_frames()`` can
    deadlock against the GIL when the garbage collector runs inside it
    while other threads come and go (CPython gh-106883; the fix, in
    3.11.9, keeps the collector out of it). So the report is written
    with the collector paused, as that fix does, and by a thread of its
    own: the signal handler only wakes it, and the main thread is never
    interrupted by a report."""
    from heat import version
    from oslo_reports import guru_meditation_report as gmr
    wanted = threading.Event()

    def write_reports():
        while True:
            wanted.wait()
            wanted.clear()
            collecting = gc.isenabled()
            gc.disable()
            try:
                gmr.TextGuruMeditation.handle_signal(
                    version.version_info, cfg.CONF.host, directory, None)
            finally:
                if collecting:
                    gc.enable()
    threading.Thread(target=write_reports, name='thread-reports',
                     daemon=True).start()
    signal.signal(signal.SIGUSR2, lambda signum, frame: wanted.set())


def _load_config(config_file):
    from heat.common import config as heat_config
    from heat import version
    logging.register_options(cfg.CONF)
    cfg.CONF(['--config-file', config_file], project='heat',
             prog='heat-api',
             version=version.version_info.version_string())
    logging.setup(cfg.CONF, 'heat')
    heat_config.set_config_defaults()


def prepare_database():
    from heat.db import api as db_api
    from heat.db import migration
    from heat_functional.deployment.parts import database
    from heat_functional.deployment.parts import notices
    from heat_functional.deployment.parts import sqlite
    # The database server may still be starting (the owner starts it in
    # parallel with the cells).
    database.wait_for_database(cfg.CONF.database.connection)
    engine = db_api.get_engine()
    migration.db_sync(engine=engine)
    notices.install(engine)
    if engine.url.get_backend_name() == 'sqlite':
        sqlite.harden_schema(engine.url.database)
        sqlite.harden_engine(engine)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--state-file', required=True)
    parser.add_argument('--control-secret-file', required=True,
                        help='the file holding the secret that the '
                        'harness routes require')
    parser.add_argument('--rpc-poll', type=float, default=0.005,
                        help='seconds between polls of fake:// queues')
    parser.add_argument('--thread-reports', metavar='DIR',
                        help='where to write a report of every thread on '
                        'SIGUSR2')
    args = parser.parse_args(argv)
    secret = control_secret.read(args.control_secret_file)

    _load_config(args.config_file)
    if interpreter.serialise_ast_parse():
        LOG.info('harness: ast.parse serialised (CPython gh-106905 in %s)',
                 sys.version.split()[0])
    if args.thread_reports:
        _enable_thread_reports(args.thread_reports)
    from heat.common import config as heat_config
    from heat.common import messaging
    _tighten_fake_transport(args.rpc_poll)
    messaging.setup()
    prepare_database()

    _warm_up_yaql()
    heat_all = HeatAll(cfg.CONF.host, secret)
    heat_all.api_app = heat_config.load_paste_app('heat-api')
    heat_all.start_engine()

    server = wsgi.make_server(heat_all, 0, LOG, 'api')
    serving = threading.Thread(target=server.serve_forever,
                               name='wsgi', daemon=True)
    serving.start()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    processes.write_state(args.state_file, dict(
        heat_all.status(), port=server.server_address[1]))
    LOG.info('harness: cell ready on port %s', server.server_address[1])
    while not stop.wait(3600):
        pass

    LOG.info('harness: stopping cell')
    server.shutdown()
    stopper = threading.Thread(target=heat_all.stop_engine, daemon=True)
    stopper.start()
    stopper.join(3)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
