"""The embedded keystone, for real, on PostgreSQL and on SQLite.

Starts keystone as the deployment will (its database on a private
PostgreSQL server started beside it, or its own SQLite file), then as the
harness's test user, with keystoneauth1 and the clouds.yaml entries:
gets a token, reads the catalog and checks that each path's region
resolves to that path's own orchestration endpoint. Heat's own users
(the service user, the stack-domain admin) must be able to authenticate
as Heat will. Requests with project and with domain scope in flight at
once must each be judged by their own token (keystone's auth middleware
is not safe for concurrent requests: the server lets one into the app at
a time). close() must leave no process and no files; a reaper told about
keystone's process group must stop it when its owner dies.
"""

import collections
from concurrent import futures
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from keystoneauth1 import session
from keystoneauth1.identity import v3

from heat_functional.deployment import processes
from heat_functional.deployment.parts import database
from heat_functional.deployment.parts import keystone
from heat_functional.deployment.programs import keystone_server

PATHS = ['legacy', 'convergence']
HEAT_URLS = {'legacy': 'http://127.0.0.1:8004',
             'convergence': 'http://127.0.0.1:8005'}


def start(tmp_path, db, heat_urls):
    """KeystoneServer (and PostgreSQL) as an owner would start them."""
    workdir = str(tmp_path / 'keystone')
    log_file = str(tmp_path / 'keystone.log')
    postgres = None
    if db == 'postgresql':
        # As root the server runs as another user, who must reach its data
        # directory: pytest's own directories are private to root.
        postgres = database.PostgresServer(
            tempfile.mkdtemp(prefix='heat-functional-'),
            str(tmp_path / 'postgresql.log'))
        db_url = postgres.url(keystone.DATABASE)
    else:
        db_url = 'sqlite:///%s' % (tmp_path / 'keystone.sqlite')
    server = keystone.KeystoneServer(workdir, db_url,
                                     keystone.loopback_socket(), log_file,
                                     PATHS, heat_urls=heat_urls)
    # keystone first: its imports overlap PostgreSQL's initdb.
    server.start()
    if postgres:
        postgres.start()
        postgres.wait_ready()
        postgres.create_databases([keystone.DATABASE])
    return server, postgres


@pytest.fixture(scope='module', params=['postgresql', 'sqlite'])
def running(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('keystone-%s' % request.param)
    # On PostgreSQL the catalog is planned up front; on SQLite the cells'
    # endpoints are added once "their ports are known".
    up_front = HEAT_URLS if request.param == 'postgresql' else None
    started = time.monotonic()
    server, postgres = start(tmp_path, request.param, up_front)
    try:
        server.wait_ready()
        ready = time.monotonic() - started
        if not up_front:
            server.add_orchestration_endpoints(HEAT_URLS)
        yield server, ready
    finally:
        server.close()
        if postgres:
            postgres.stop()
            shutil.rmtree(os.path.dirname(postgres.datadir))


def user_session(cloud):
    return session.Session(auth=v3.Password(**cloud['auth']))


def test_each_start_phase_is_timed(running):
    """The start's phases are timed, and fit in the start as measured
    from outside. No bound on the seconds: on a loaded machine the start
    took 26 s, past the 20 s this test once demanded (timings belong to
    benchmarks/, as ratios, not to tests)."""
    server, ready = running
    timings = server.state['timings']
    assert {'imports', 'db_sync', 'bootstrap', 'provision'} <= set(timings)
    assert all(seconds >= 0 for seconds in timings.values()), timings
    assert sum(timings.values()) <= ready, (ready, timings)
    print('keystone ready in %.2f s: %s' % (ready, timings))


def test_each_path_resolves_its_own_orchestration_endpoint(running):
    server, _ = running
    clouds = server.clouds()['clouds']
    found = {}
    for path in PATHS:
        cloud = clouds[keystone.CLOUD_PREFIX + path]
        sess = user_session(cloud)
        project_id = sess.get_project_id()
        found[path] = sess.get_endpoint(service_type='orchestration',
                                        interface='public',
                                        region_name=cloud['region_name'])
        assert found[path] == '%s/v1/%s' % (HEAT_URLS[path], project_id)
    assert len(set(found.values())) == len(PATHS)


def test_identity_answers_on_every_interface_of_every_region(running):
    server, _ = running
    sess = user_session(server.clouds()['clouds'][
        keystone.CLOUD_PREFIX + PATHS[0]])
    for path in PATHS:
        for interface in keystone.INTERFACES:
            assert sess.get_endpoint(
                service_type='identity', interface=interface,
                region_name=keystone.region_name(path)) == server.url


def test_test_user_has_the_stack_owner_roles(running):
    server, _ = running
    sess = user_session(server.clouds()['clouds'][
        keystone.CLOUD_PREFIX + PATHS[0]])
    roles = set(sess.auth.get_access(sess).role_names)
    assert {'member', 'heat_stack_owner', 'admin'} <= roles


def test_heat_users_authenticate_as_heat_will(running):
    server, _ = running
    options = server.heat_options(PATHS[0])
    token = options['keystone_authtoken']
    heat = session.Session(auth=v3.Password(
        auth_url=token['auth_url'], username=token['username'],
        password=token['password'], user_domain_name='Default',
        project_name=token['project_name'], project_domain_name='Default'))
    assert 'admin' in heat.auth.get_access(heat).role_names
    default = options['DEFAULT']
    domain_admin = session.Session(auth=v3.Password(
        auth_url=server.url, username=default['stack_domain_admin'],
        password=default['stack_domain_admin_password'],
        user_domain_name=default['stack_user_domain_name'],
        domain_name=default['stack_user_domain_name']))
    access = domain_admin.auth.get_access(domain_admin)
    assert access.domain_scoped and 'admin' in access.role_names


def _domain_admin_session(server):
    default = server.heat_options(PATHS[0])['DEFAULT']
    return session.Session(auth=v3.Password(
        auth_url=server.url, username=default['stack_domain_admin'],
        password=default['stack_domain_admin_password'],
        user_domain_name=default['stack_user_domain_name'],
        domain_name=default['stack_user_domain_name']))


def test_scopes_in_flight_at_once_are_not_mixed_up(running):
    """What Heat does all the time: its stack-domain admin (domain scope)
    makes a stack's project while a project-scoped admin reads a service,
    which only system or project scope may. Unserialised, keystone 30
    refused about one such read in a few hundred ("request was made with
    domain scope"); every one must pass."""
    server, _ = running
    project = user_session(server.clouds()['clouds'][
        keystone.CLOUD_PREFIX + PATHS[0]])
    domain = _domain_admin_session(server)
    identity = {'service_type': 'identity', 'interface': 'public',
                'region_name': keystone.region_name(PATHS[0])}
    service = '/services/%s' % server.state['services']['orchestration']

    def get(sess, url):
        return sess.get(url, endpoint_filter=identity,
                        raise_exc=False).status_code

    with futures.ThreadPoolExecutor(8) as pool:
        reads = [pool.submit(get, project, service) for _ in range(300)]
        others = [pool.submit(get, domain, '/users') for _ in range(300)]
        statuses = collections.Counter(f.result() for f in reads)
        domain_statuses = collections.Counter(f.result() for f in others)
    assert statuses == {200: 300}, statuses
    assert domain_statuses == {200: 300}, domain_statuses


def test_the_app_is_entered_by_one_request_at_a_time():
    inside = []
    overlaps = []
    release = threading.Event()

    def app(environ, start_response):
        inside.append(1)
        if len(inside) > 1:
            overlaps.append(len(inside))
        release.wait(5)
        inside.pop()
        start_response('200 OK', [])
        return [b'a', b'b']

    served = keystone_server.OneRequestAtATime(app)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        served({}, lambda *_: None))) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # all three have called in; one is inside
    release.set()
    for thread in threads:
        thread.join(10)
    assert overlaps == []
    assert answers == [[b'ab']] * 3


def test_close_leaves_nothing_behind(tmp_path):
    server, _ = start(tmp_path, 'sqlite', HEAT_URLS)
    server.wait_ready()
    pid = server.process.pid
    server.close()
    assert not processes.group_alive(pid)
    assert not os.path.exists(server.workdir)


def test_reaper_stops_keystone_when_its_owner_dies(tmp_path):
    server, _ = start(tmp_path, 'sqlite', HEAT_URLS)
    reaper = subprocess.Popen(
        [sys.executable, '-m', 'heat_functional.deployment.programs.reaper'],
        stdin=subprocess.PIPE, start_new_session=True, text=True)
    try:
        server.wait_ready()
        pid = server.process.pid
        reaper.stdin.write('group %d\n' % pid)
        reaper.stdin.close()  # the owner "died" without saying done
        reaper.wait(timeout=30)
        assert not processes.group_alive(pid)
    finally:
        server.close()
        if reaper.poll() is None:
            reaper.kill()
