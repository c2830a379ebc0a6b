"""Notices of a stack's own events (deployment/parts/notices.py), on a
real PostgreSQL and then on the real Heat.

On a bare server: a watch is woken by its stack's own event and by
nothing else (a resource's event, another stack's), a database without
the trigger is polled, and a watch leaves its pooled connection
listening to nothing. Then one embedded legacy cell on PostgreSQL: the
driver's wait for a create is ended by notices, not by its time limit.
"""

import os
import shutil
import tempfile
import threading
import time

import pytest
import sqlalchemy

from heat_functional import client
from heat_functional.deployment import embedded
from heat_functional.deployment.parts import database
from heat_functional.deployment.parts import notices

#: The columns of Heat's event table that the trigger and the timeline
#: read.
EVENT_TABLE = ('CREATE TABLE event (id serial PRIMARY KEY, stack_id '
               'varchar(36), physical_resource_id varchar(255), '
               'resource_action varchar(255), resource_status '
               'varchar(255), created_at timestamp DEFAULT now())')
STACK = '6d0c3b8e-0b5a-4bd4-9b34-0c9f2a4f0a11'
OTHER = '0f5e2f44-3a4e-4c3e-8a31-6f3f0c2c7b22'


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    logs = tmp_path_factory.mktemp('postgresql')
    # As root the server runs as another user, who must reach its data
    # directory: pytest's own directories are private to root.
    postgres = database.PostgresServer(
        tempfile.mkdtemp(prefix='heat-functional-'),
        str(logs / 'postgresql.log'))
    postgres.start()
    try:
        postgres.wait_ready()
        postgres.create_databases(['with_trigger', 'without_trigger'])
        for name in ('with_trigger', 'without_trigger'):
            engine = sqlalchemy.create_engine(postgres.url(name))
            with engine.begin() as conn:
                conn.exec_driver_sql(EVENT_TABLE)
            if name == 'with_trigger':
                assert notices.install(engine)
            engine.dispose()
        yield postgres
    finally:
        postgres.stop()
        shutil.rmtree(os.path.dirname(postgres.datadir))


def write_event(url, stack_id, physical, status='IN_PROGRESS'):
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(
            "INSERT INTO event (stack_id, physical_resource_id, "
            "resource_action, resource_status) VALUES (:s, :p, 'CREATE', "
            ":status)"), {'s': stack_id, 'p': physical, 'status': status})
    engine.dispose()


def later(seconds, function, *args):
    """Call function(*args) in `seconds`, from another thread."""
    timer = threading.Timer(seconds, function, args)
    timer.start()
    return timer


def test_a_watch_wakes_on_its_stacks_own_event_only(server,
                                                    monkeypatch):
    monkeypatch.setattr(notices.config, 'NOTICE_WAIT_MAX', 30.0)
    url = server.url('with_trigger')
    with notices.Watch(url, STACK) as watch:
        assert watch.conn is not None  # it listens
        assert watch.timeline() == []
        # A resource's event in the stack and another stack's own event
        # say nothing to this wait: the pause runs out its (short) time.
        later(0.1, write_event, url, STACK, 'a-resource')
        later(0.1, write_event, url, OTHER, OTHER)
        monkeypatch.setattr(notices.config, 'NOTICE_WAIT_MAX', 1.0)
        assert watch.pause(0.05) is False
        monkeypatch.setattr(notices.config, 'NOTICE_WAIT_MAX', 30.0)
        timer = later(0.2, write_event, url, STACK, STACK)
        assert watch.pause(0.05) is True  # woken: not the 30 s limit
        timer.join()
        assert [e[:2] for e in watch.timeline()] == [('CREATE',
                                                      'IN_PROGRESS')]
    assert (watch.woken, watch.pauses) == (1, 2)


def test_a_watch_that_expects_no_event_sleeps_its_seconds(server):
    with notices.Watch(server.url('with_trigger'), OTHER) as watch:
        started = time.monotonic()
        assert watch.pause(0.2, expect_event=False) is False
        assert time.monotonic() - started >= 0.2


def test_a_watch_leaves_its_connection_listening_to_nothing(server):
    url = server.url('with_trigger')
    with notices.Watch(url, STACK) as watch:
        conn = watch.conn
        backend = conn.exec_driver_sql('SELECT pg_backend_pid()').scalar()
    assert watch.conn is None
    with database.reader_engine(url).connect() as conn:
        assert conn.exec_driver_sql(
            'SELECT pg_backend_pid()').scalar() == backend  # the same one
        assert conn.exec_driver_sql(
            'SELECT count(*) FROM pg_listening_channels()').scalar() == 0


def test_a_broken_watch_is_dropped_and_the_waits_own_error_kept(server):
    url = server.url('with_trigger')
    with pytest.raises(RuntimeError, match='the wait failed'):
        with notices.Watch(url, STACK) as watch:
            backend = watch.conn.exec_driver_sql(
                'SELECT pg_backend_pid()').scalar()
            admin = sqlalchemy.create_engine(server.url('postgres'))
            with admin.begin() as conn:
                conn.execute(sqlalchemy.text(
                    'SELECT pg_terminate_backend(:pid)'), {'pid': backend})
            admin.dispose()
            raise RuntimeError('the wait failed')
    # the broken connection went away instead of back into the pool
    with database.reader_engine(url).connect() as conn:
        assert conn.exec_driver_sql('SELECT pg_backend_pid()').scalar() \
            != backend


def test_a_database_without_the_trigger_is_polled(server):
    url = server.url('without_trigger')
    with notices.Watch(url, STACK) as watch:
        assert watch.conn is None
        write_event(url, STACK, STACK, 'COMPLETE')
        started = time.monotonic()
        assert watch.pause(0.1) is False
        assert time.monotonic() - started >= 0.1
        assert [e[:2] for e in watch.timeline()] == [('CREATE', 'COMPLETE')]


def test_a_wait_on_heat_is_ended_by_notices(tmp_path, monkeypatch):
    woken = []
    watch_of = embedded.EmbeddedDeployment.timeline_watch

    def counted_watch(self, path, stack_id):
        watch = watch_of(self, path, stack_id)
        woken.append(watch)
        return watch
    monkeypatch.setattr(embedded.EmbeddedDeployment, 'timeline_watch',
                        counted_watch)
    # A limit no create of one resource gets near: only a notice ends a
    # pause before it.
    monkeypatch.setattr(notices.config, 'NOTICE_WAIT_MAX', 60.0)
    with embedded.EmbeddedCells(str(tmp_path), db='postgresql',
                                paths=['legacy']) as cells:
        deployment = embedded.EmbeddedDeployment(cells.description)
        driver = client.StackDriver(deployment, 'legacy', 'one')
        stack_id = driver.create('one', {
            'heat_template_version': '2021-04-16',
            'resources': {'none': {'type': 'OS::Heat::TestResource',
                                   'properties': {'action_wait_secs': {
                                       'create': 2}}}}})
        stack = driver.wait(stack_id, 'CREATE', 'create')
        assert (stack.action, stack.status) == ('CREATE', 'COMPLETE')
        driver.delete(stack_id)
    assert woken[0].woken >= 1
