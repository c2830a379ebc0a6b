"""A private RabbitMQ broker, as the devstack-like deployment's message bus.

Debian's ``rabbitmq-server`` package (``apt-get install rabbitmq-server``)
installs the broker and, on a machine without an init system, does not
start it. ``RabbitServer`` runs it as the harness's own child, with
nothing shared with a system broker:

- its own Erlang port mapper: ``epmd -port P -address 127.0.0.1`` in the
  foreground, in a process group of its own. Left to itself, Erlang
  starts ``epmd -daemon``, which leaves its session and outlives
  everything; the node is started with ``-start_epmd false``, so that it
  fails (naming epmd) rather than doing that;
- the node (``/usr/lib/rabbitmq/bin/rabbitmq-server``, the script behind
  Debian's ``su rabbitmq`` wrapper) with a private node name, Erlang
  distribution port, home (its cookie), database and log directories,
  an empty ``rabbitmq-env.conf`` and no plugins (so no management or
  other listener); AMQP and the Erlang distribution on 127.0.0.1 only
  (the distribution listens on every interface unless the kernel's
  ``inet_dist_use_interface`` says otherwise: ``DIST_ERL_ARGS``);
- a definitions file that the node imports at boot: one virtual host per
  cell and one user with a random password, allowed on each. With
  definitions to load the broker creates no ``guest`` user.

Ready means: a client logs in to every virtual host. SIGTERM stops the
node in a few seconds (the start script passes it on to the Erlang VM);
then epmd is stopped. The pure functions (configuration, environment,
URLs) are what the unit tests check.
"""

import json
import os
import secrets
import shutil
import socket
import time
import urllib.parse

from heat_functional import config
from heat_functional.deployment import processes

USER = 'heat-functional'
#: Erlang arguments of the node: no epmd of its own (see above), and
#: the distribution port on loopback only.
DIST_ERL_ARGS = ('-start_epmd false '
                 '-kernel inet_dist_use_interface {127,0,0,1}')
INSTALL_HINT = ('install Debian\'s rabbitmq-server package: apt-get install '
                'rabbitmq-server (doc/source/cloud.rst)')


class BrokerMissing(RuntimeError):
    """rabbitmq-server or epmd is not installed."""


def find_binaries(server=None, epmd=None):
    """(server script, epmd) paths (config's by default); BrokerMissing
    says how to install them."""
    server = server or config.RABBITMQ_SERVER
    epmd = epmd or config.EPMD
    epmd_path = shutil.which(epmd)
    missing = [name for name, path in ((server, server if os.access(
        server, os.X_OK) else None), (epmd, epmd_path)) if not path]
    if missing:
        raise BrokerMissing('RabbitMQ is not installed (no %s): %s'
                            % (', '.join(missing), INSTALL_HINT))
    return server, epmd_path


def rabbitmq_conf(port, definitions_file):
    """rabbitmq.conf: AMQP on loopback, the definitions imported at boot."""
    return '\n'.join([
        'listeners.tcp.default = 127.0.0.1:%d' % port,
        'definitions.import_backend = local_filesystem',
        'definitions.local.path = %s' % definitions_file,
        # Quiet the logs of a broker that lives for one run.
        'log.file.level = info',
        '',
    ])


def definitions(vhosts, password, user=USER):
    """The definitions the broker imports: vhosts, one user allowed on
    each (RabbitMQ hashes the password when it imports it)."""
    return {
        'vhosts': [{'name': vhost} for vhost in vhosts],
        'users': [{'name': user, 'password': password, 'tags': ''}],
        'permissions': [{'user': user, 'vhost': vhost, 'configure': '.*',
                         'write': '.*', 'read': '.*'} for vhost in vhosts],
    }


def environment(base_env, workdir, node, ports):
    """The environment of the node (and of epmd): everything private.

    ports: ``amqp``, ``dist`` (Erlang distribution), ``epmd``.
    """
    env = dict(base_env)
    env.update({
        'HOME': os.path.join(workdir, 'home'),
        'RABBITMQ_NODENAME': node,
        'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
        'RABBITMQ_NODE_PORT': str(ports['amqp']),
        'RABBITMQ_DIST_PORT': str(ports['dist']),
        'RABBITMQ_MNESIA_BASE': os.path.join(workdir, 'mnesia'),
        'RABBITMQ_LOG_BASE': os.path.join(workdir, 'log'),
        # The node logs to its standard output, the harness's log file.
        'RABBITMQ_LOGS': '-',
        'RABBITMQ_CONFIG_FILE': os.path.join(workdir, 'rabbitmq.conf'),
        'RABBITMQ_CONF_ENV_FILE': os.path.join(workdir, 'rabbitmq-env.conf'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(workdir,
                                                      'enabled_plugins'),
        'RABBITMQ_PID_FILE': os.path.join(workdir, 'rabbitmq.pid'),
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS': DIST_ERL_ARGS,
        'ERL_EPMD_ADDRESS': '127.0.0.1',
        'ERL_EPMD_PORT': str(ports['epmd']),
    })
    return env


def transport_url(password, port, vhost, user=USER):
    """oslo.messaging's URL of one virtual host."""
    return 'rabbit://%s:%s@127.0.0.1:%d/%s' % (
        urllib.parse.quote(user, safe=''),
        urllib.parse.quote(password, safe=''), port,
        urllib.parse.quote(vhost, safe=''))


def _listening(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(('127.0.0.1', port)) == 0


class RabbitServer(object):
    """A broker on 127.0.0.1 with one virtual host per name in vhosts.

    start() returns the processes it started (epmd, the node) at once;
    their process groups are what a reaper must stop. wait_ready()
    blocks until a client logs in to every virtual host.
    """

    def __init__(self, workdir, log_file, vhosts, ports, env=None):
        self.server, self.epmd = find_binaries()
        self.workdir = workdir
        self.log_file = log_file
        self.vhosts = list(vhosts)
        self.ports = dict(ports)
        self.password = secrets.token_urlsafe(18)
        self.node = 'hf-%s@localhost' % secrets.token_hex(4)
        self.env = environment(env or os.environ, workdir, self.node,
                               self.ports)
        self.epmd_process = None
        self.process = None

    def _write(self, name, text):
        return processes.write_private(self.workdir, name, text)

    def start(self):
        for directory in (self.workdir, self.env['HOME']):
            os.makedirs(directory, exist_ok=True)
        defs = self._write('definitions.json', json.dumps(
            definitions(self.vhosts, self.password)))
        self._write('rabbitmq.conf', rabbitmq_conf(self.ports['amqp'], defs))
        self._write('rabbitmq-env.conf', '')
        self._write('enabled_plugins', '[].\n')
        self.epmd_process = processes.start(
            'epmd', [self.epmd, '-port', str(self.ports['epmd']),
                     '-address', '127.0.0.1'],
            self.log_file, env=self.env)
        self._wait_epmd()
        self.process = processes.start('rabbitmq-server', [self.server],
                                       self.log_file, env=self.env)
        return [self.epmd_process, self.process]

    def _wait_epmd(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not _listening(self.ports['epmd']):
            if self.epmd_process.poll() is not None or \
                    time.monotonic() > deadline:
                raise processes.ProcessError(processes.describe_failure(
                    'epmd (port %d)' % self.ports['epmd'],
                    'did not start listening', self.log_file))
            time.sleep(0.02)

    def url(self, vhost):
        return transport_url(self.password, self.ports['amqp'], vhost)

    def _logs_in(self, vhost):
        import kombu
        connection = kombu.Connection(self.url(vhost).replace(
            'rabbit://', 'amqp://', 1), connect_timeout=2)
        try:
            connection.connect()
            return True
        except Exception:  # not up yet: refused, reset, vhost not loaded
            return False
        finally:
            connection.release()

    def wait_ready(self, timeout=config.RABBITMQ_READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        waiting = list(self.vhosts)
        while waiting:
            for name, process in (('rabbitmq-server', self.process),
                                  ('epmd', self.epmd_process)):
                if process.poll() is not None:
                    raise processes.ProcessError(processes.describe_failure(
                        name, 'exited with %s while starting'
                        % process.returncode, self.log_file))
            if time.monotonic() > deadline:
                raise processes.ProcessError(processes.describe_failure(
                    'rabbitmq-server', 'was not ready within %d s' % timeout,
                    self.log_file))
            if _listening(self.ports['amqp']) and self._logs_in(waiting[0]):
                waiting.pop(0)
                continue
            time.sleep(config.POLL_INTERVAL)

    def dead(self):
        """(name, process) of each part that has exited."""
        return [(name, process) for name, process in
                (('rabbitmq-server', self.process),
                 ('epmd', self.epmd_process))
                if process is not None and process.poll() is not None]

    def stop(self):
        processes.stop(self.process)
        processes.stop(self.epmd_process)
        self.process = self.epmd_process = None
