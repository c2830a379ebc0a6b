"""One Heat API process of the devstack-like deployment.

Run as ``python -m heat_functional.deployment.programs.heat_api --port P
--state-file state.json -- --config-file heat.conf ...``. It serves
exactly the application ``heat-wsgi-api`` serves (Heat 27 has no
``heat-api`` command any more): ``heat.api.openstack.wsgi.
init_application()``, Heat's paste pipeline with keystonemiddleware, on
127.0.0.1:P. ``heat-wsgi-api`` itself runs it on wsgiref's one-request-
at-a-time server ("for testing only"); real deployments run it under a
server that serves requests side by side, and so does this process (the
harness's threaded loopback server, ``wsgi.py``).

Before serving it prepares its path's database (waits for the server,
Heat's ``db_sync``), so the schema exists before any engine of the path
starts; it writes the state file (pid, port, Heat version) once it
listens. SIGTERM or SIGINT stops it.
"""

import argparse
import os
import signal
import sys
import threading

# As in heat-engine: oslo.service's threading backend, chosen before
# anything imports oslo_service.service.
from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)

from oslo_log import log as logging  # noqa: E402

from heat_functional.deployment import processes  # noqa: E402
from heat_functional.deployment import wsgi  # noqa: E402

LOG = logging.getLogger('heat_functional.heat_api')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--state-file', required=True)
    parser.add_argument('heat_args', nargs=argparse.REMAINDER,
                        help='after "--": the arguments Heat parses')
    args = parser.parse_args(argv)
    heat_args = args.heat_args[1:] if args.heat_args[:1] == ['--'] \
        else args.heat_args

    from heat.api.openstack import wsgi as heat_wsgi
    from heat import version
    from heat_functional.deployment.programs import heat_all
    sys.argv[1:] = heat_args  # init_application parses sys.argv
    app = heat_wsgi.init_application()
    heat_all.prepare_database()
    server = wsgi.make_server(app, args.port, LOG, 'heat-api')
    threading.Thread(target=server.serve_forever, name='wsgi',
                     daemon=True).start()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    processes.write_state(args.state_file, {
        'pid': os.getpid(), 'port': server.server_address[1],
        'heat_version': version.version_info.version_string()})
    LOG.info('harness: heat-api ready on port %s', server.server_address[1])
    while not stop.wait(3600):
        pass
    server.shutdown()
    os._exit(0)


if __name__ == '__main__':
    main()
