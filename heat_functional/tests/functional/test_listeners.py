"""Every listener the harness starts binds loopback, and its control
routes answer only the run's own secret.

Two deployments, each as small as it gets (one path): the embedded one
with keystone on PostgreSQL (cell, keystone, a socket-only PostgreSQL),
and, where Debian's rabbitmq-server is installed (.ci/run installs it),
the devstack-like one (keystone, epmd, RabbitMQ's AMQP and Erlang
distribution ports, a Heat API, a heat-engine, the owner's control
server, PostgreSQL). The TCP sockets in LISTEN state held by their
processes (every member of their process groups, their descendants, and
this process, which runs the devstack-like owner's control server) are
read from /proc/net/tcp and tcp6, matched to the processes by socket
inode: any address but 127.0.0.1 or ::1 fails, and each listener the
deployment announces must be among those found (so that a reader that
finds nothing cannot pass).
"""

import ipaddress
import json
import os
import socket
import stat
import urllib.error
import urllib.parse
import urllib.request

import pytest

from heat_functional.deployment import control_secret
from heat_functional.deployment import embedded
from heat_functional.tests.functional import helpers

LOOPBACK = {ipaddress.ip_address('127.0.0.1'), ipaddress.ip_address('::1')}
_LISTEN = '0A'


# -- what listens --------------------------------------------------------
def _socket_inodes(pid):
    inodes = set()
    fd_dir = '/proc/%d/fd' % pid
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[len('socket:['):-1])
    return inodes


def decode_address(hex_address):
    """(ip_address, port) from /proc/net/tcp's ``ADDR:PORT`` (the
    address in 32-bit words of host byte order)."""
    address, port = hex_address.split(':')
    raw = bytes.fromhex(address)
    words = b''.join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words), int(port, 16)


def listeners(pids):
    """{(pid, ip_address, port)}: the TCP sockets in LISTEN state that
    the processes hold."""
    owner = {}
    for pid in pids:
        for inode in _socket_inodes(pid):
            owner[inode] = pid
    found = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == _LISTEN and fields[9] in owner:
                    address, port = decode_address(fields[1])
                    found.add((owner[fields[9]], address, port))
    return found


def test_decode_address():
    assert decode_address('0100007F:1F90') == (
        ipaddress.ip_address('127.0.0.1'), 8080)
    assert decode_address('00000000:0016') == (
        ipaddress.ip_address('0.0.0.0'), 22)
    assert decode_address('00000000000000000000000001000000:0050') == (
        ipaddress.ip_address('::1'), 80)


def test_listeners_finds_a_socket_of_this_process():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert (os.getpid(), ipaddress.ip_address('127.0.0.1'), port) in \
            listeners([os.getpid()])


def _name(pid):
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return 'gone'


def _assert_loopback_only(found, expected_ports):
    wide = sorted('pid %d (%s) on %s port %d' % (
        pid, _name(pid), address, port)
        for pid, address, port in found if address not in LOOPBACK)
    assert not wide, 'listening beyond loopback: %s' % '; '.join(wide)
    ports = {port for _, _, port in found}
    missing = {name: port for name, port in expected_ports.items()
               if port not in ports}
    assert not missing, 'listeners not found: %s (found %s)' % (
        missing, sorted(ports))


def _port(url):
    return urllib.parse.urlsplit(url).port


def _get(url, secret=None):
    headers = control_secret.headers(secret) if secret is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, headers=headers), timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _assert_secret_required(url, secret_file):
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    secret = control_secret.read(secret_file)
    status, answer = _get(url)
    assert status == 403, answer
    assert control_secret.HEADER in answer['error']
    assert _get(url, secret[:-1] + ('x' if secret[-1] != 'x' else 'y'))[
        0] == 403
    assert _get(url, secret)[0] == 200


# -- the embedded deployment -------------------------------------------------
@pytest.fixture(scope='module')
def cells(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp('listeners-embedded')
    with embedded.EmbeddedCells(str(report_dir), db='postgresql',
                                paths=['legacy'], auth='keystone') as owner:
        yield owner


def test_embedded_listeners_bind_loopback(cells):
    description = cells.description
    leaders = [cells.postgres.process.pid, cells.keystone.process.pid,
               cells.cells['legacy']['process'].pid]
    found = listeners(helpers.harness_processes(leaders))
    _assert_loopback_only(found, {
        'cell legacy': _port(description['paths']['legacy']['endpoint']),
        'keystone': _port(description['keystone']['url'])})
    postgres = helpers.harness_processes([cells.postgres.process.pid])
    assert not [entry for entry in found if entry[0] in postgres], \
        'PostgreSQL listens on TCP; it must be socket-only'


def test_embedded_control_routes_require_the_runs_secret(cells):
    description = cells.description
    _assert_secret_required(
        description['paths']['legacy']['control'] + '/status',
        description['control_secret_file'])


# -- the devstack-like deployment --------------------------------------------
@pytest.fixture(scope='module')
def devstack_like(tmp_path_factory):
    yield from helpers.devstack_like(tmp_path_factory, 'listeners-cloud')


def test_devstack_like_listeners_bind_loopback(devstack_like):
    owner = devstack_like
    found = listeners(helpers.harness_processes(owner.pids(), [os.getpid()]))
    expected = {'rabbitmq %s' % name: port
                for name, port in owner.rabbit.ports.items()}
    expected.update({
        'heat-api legacy': owner.cells['legacy']['port'],
        'keystone': owner.keystone.port,
        'control': owner.control.server_port})
    _assert_loopback_only(found, expected)
    postgres = helpers.harness_processes([owner.postgres.process.pid])
    assert not [entry for entry in found if entry[0] in postgres]


def test_devstack_like_control_requires_the_runs_secret(devstack_like):
    description = devstack_like.description
    _assert_secret_required(description['control'] + '/status/legacy',
                            description['control_secret_file'])
