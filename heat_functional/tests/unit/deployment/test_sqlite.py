"""Unit tests of heat_functional.deployment.parts.sqlite.

Covers ``autoincrement_ddl`` on SQLAlchemy-style DDL, ``harden_schema``
on a real SQLite file (ids are not reused, indexes and data survive,
WAL, tables without an integer id untouched) and ``harden_engine``
(busy timeout on every connection, BEGIN IMMEDIATE).
"""

import sqlite3
import threading

import pytest
import sqlalchemy

from heat_functional.deployment.parts import sqlite

RESOURCE_DDL = ('CREATE TABLE resource (\n'
                '\tid INTEGER NOT NULL, \n'
                '\tname VARCHAR(255), \n'
                '\tstack_id VARCHAR(36), \n'
                '\tPRIMARY KEY (id), \n'
                '\tFOREIGN KEY(stack_id) REFERENCES stack (id)\n'
                ')')
PK_LAST_DDL = ('CREATE TABLE "user" (\n'
               '\tid INTEGER NOT NULL, \n'
               '\tname VARCHAR(255), \n'
               '\tPRIMARY KEY (id)\n'
               ')')
TEXT_PK_DDL = ('CREATE TABLE stack (\n'
               '\tid VARCHAR(36) NOT NULL, \n'
               '\tname VARCHAR(255), \n'
               '\tPRIMARY KEY (id)\n'
               ')')


def sql_of(conn, name, kind='table'):
    row = conn.execute('SELECT sql FROM sqlite_master WHERE type = ? AND '
                       'name = ?', (kind, name)).fetchone()
    return row[0] if row else None


def autoincrement_sequence(conn, table):
    """The ids given to 3 rows, then to a row added after the last went."""
    for name in ('a', 'b', 'c'):
        conn.execute('INSERT INTO %s (name) VALUES (?)' % table, (name,))
    conn.execute('DELETE FROM %s WHERE id = 3' % table)
    cursor = conn.execute('INSERT INTO %s (name) VALUES (?)' % table, ('d',))
    return cursor.lastrowid


# -- autoincrement_ddl -------------------------------------------------------

def test_autoincrement_ddl_with_constraints_after_the_key():
    assert sqlite.autoincrement_ddl(RESOURCE_DDL, 'resource__new') == (
        'CREATE TABLE "resource__new" (\n'
        '\tid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \n'
        '\tname VARCHAR(255), \n'
        '\tstack_id VARCHAR(36), \n'
        '\tFOREIGN KEY(stack_id) REFERENCES stack (id)\n'
        ')')


def test_autoincrement_ddl_with_the_key_last_and_a_quoted_name():
    assert sqlite.autoincrement_ddl(PK_LAST_DDL, 'user__new') == (
        'CREATE TABLE "user__new" (\n'
        '\tid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \n'
        '\tname VARCHAR(255)\n'
        ')')


@pytest.mark.parametrize('ddl', [RESOURCE_DDL, PK_LAST_DDL])
def test_autoincrement_ddl_is_valid_sqlite(ddl):
    conn = sqlite3.connect(':memory:')
    conn.execute(sqlite.autoincrement_ddl(ddl, 'copy'))
    assert 'AUTOINCREMENT' in sql_of(conn, 'copy')
    conn.execute('INSERT INTO copy (name) VALUES (?)', ('x',))
    assert conn.execute('SELECT name FROM sqlite_sequence').fetchall() == [
        ('copy',)]


@pytest.mark.parametrize('ddl', [
    TEXT_PK_DDL,
    'CREATE TABLE link (\n\tid INTEGER NOT NULL, \n\tother INTEGER NOT '
    'NULL, \n\tPRIMARY KEY (id, other)\n)',
    'CREATE TABLE t (\n\tuuid INTEGER NOT NULL, \n\tPRIMARY KEY (uuid)\n)',
])
def test_autoincrement_ddl_without_an_integer_id_key(ddl):
    assert sqlite.autoincrement_ddl(ddl, 'copy') is None


# -- harden_schema -----------------------------------------------------------

@pytest.fixture
def database(tmp_path):
    """A SQLite file with an integer-id table (indexed) and a text-id one."""
    path = str(tmp_path / 'heat.sqlite')
    conn = sqlite3.connect(path)
    conn.execute(TEXT_PK_DDL)
    conn.execute(RESOURCE_DDL)
    conn.execute('CREATE INDEX ix_resource_name ON resource (name)')
    conn.execute("INSERT INTO stack VALUES ('s1', 'first')")
    conn.commit()
    conn.close()
    return path


def test_harden_schema_stops_id_reuse(database):
    sqlite.harden_schema(database)
    conn = sqlite3.connect(database)
    assert autoincrement_sequence(conn, 'resource') == 4


def test_without_hardening_ids_are_reused(database):
    conn = sqlite3.connect(database)
    assert autoincrement_sequence(conn, 'resource') == 3


def test_harden_schema_keeps_indexes_and_rows(database):
    conn = sqlite3.connect(database)
    conn.execute("INSERT INTO resource (id, name) VALUES (7, 'kept')")
    conn.commit()
    conn.close()
    sqlite.harden_schema(database)
    conn = sqlite3.connect(database)
    assert sql_of(conn, 'ix_resource_name', 'index') == (
        'CREATE INDEX ix_resource_name ON resource (name)')
    assert conn.execute('SELECT id, name FROM resource').fetchall() == [
        (7, 'kept')]
    assert 'AUTOINCREMENT' in sql_of(conn, 'resource')
    assert sql_of(conn, 'resource__hf_autoincrement') is None


def test_harden_schema_switches_to_wal(database):
    sqlite.harden_schema(database)
    conn = sqlite3.connect(database)
    assert conn.execute('PRAGMA journal_mode').fetchone() == ('wal',)


def test_harden_schema_leaves_text_keys_alone(database):
    conn = sqlite3.connect(database)
    before = sql_of(conn, 'stack')
    conn.close()
    sqlite.harden_schema(database)
    conn = sqlite3.connect(database)
    assert sql_of(conn, 'stack') == before == TEXT_PK_DDL
    assert conn.execute('SELECT * FROM stack').fetchall() == [
        ('s1', 'first')]


# -- harden_engine -----------------------------------------------------------

def oslo_like_engine(database):
    """A SQLite engine set up the way oslo.db sets up Heat's.

    oslo.db turns pysqlite's own BEGIN off, emits BEGIN from a "begin"
    listener named _sqlite_emit_begin, and clears its in_transaction mark
    on commit and rollback. harden_engine relies on exactly that.
    """
    engine = sqlalchemy.create_engine('sqlite:///' + database)

    @sqlalchemy.event.listens_for(engine, 'connect')
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None

    @sqlalchemy.event.listens_for(engine, 'begin')
    def _sqlite_emit_begin(conn):
        if 'in_transaction' not in conn.info:
            conn.exec_driver_sql('BEGIN')
            conn.info['in_transaction'] = True

    @sqlalchemy.event.listens_for(engine, 'rollback')
    @sqlalchemy.event.listens_for(engine, 'commit')
    def _end(conn):
        conn.info.pop('in_transaction', None)

    return engine


@pytest.fixture
def engine(database):
    engine = oslo_like_engine(database)
    sqlite.harden_engine(engine)
    yield engine
    engine.dispose()


def test_harden_engine_replaces_the_plain_begin(engine):
    statements = []
    sqlalchemy.event.listen(
        engine, 'before_cursor_execute',
        lambda conn, cursor, statement, *args: statements.append(statement))
    with engine.begin() as conn:
        conn.exec_driver_sql('SELECT 1')
    with engine.begin() as conn:
        conn.exec_driver_sql('SELECT 2')
    assert statements == ['BEGIN IMMEDIATE', 'SELECT 1',
                          'BEGIN IMMEDIATE', 'SELECT 2']


def test_harden_engine_refuses_an_engine_without_oslo_listener(database):
    engine = sqlalchemy.create_engine('sqlite:///' + database)
    with pytest.raises(RuntimeError, match='_sqlite_emit_begin'):
        sqlite.harden_engine(engine)
    engine.dispose()


def busy_timeout(conn):
    return conn.exec_driver_sql('PRAGMA busy_timeout').scalar()


def raw_busy_timeout(dbapi_connection):
    return dbapi_connection.execute('PRAGMA busy_timeout').fetchone()[0]


def test_harden_engine_sets_busy_timeout_on_every_connection(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO stack VALUES ('s2', 'second')")
        assert busy_timeout(conn) == 60000
    # Two connections of the engine at once: the second is a new one.
    first, second = engine.raw_connection(), engine.raw_connection()
    try:
        assert first.driver_connection is not second.driver_connection
        assert [raw_busy_timeout(c) for c in (first, second)] == [
            sqlite.BUSY_TIMEOUT_MS, sqlite.BUSY_TIMEOUT_MS]
        assert sqlite.BUSY_TIMEOUT_MS == 60000
    finally:
        first.close()
        second.close()


def test_harden_engine_applies_to_connections_made_before(database):
    engine = oslo_like_engine(database)
    with engine.connect() as conn:
        assert busy_timeout(conn) != 60000
    sqlite.harden_engine(engine)
    with engine.connect() as conn:
        assert busy_timeout(conn) == 60000
    engine.dispose()


def test_harden_engine_begins_immediate(engine, database):
    """The write lock is taken at BEGIN, before any statement runs."""
    with engine.begin():
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match='locked'):
            other.execute('BEGIN IMMEDIATE')
        other.close()


def test_harden_engine_writer_waits_instead_of_failing(engine, database):
    """A second writer waits for the first to commit (busy timeout)."""
    done = []
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO stack VALUES ('s2', 'second')")

        def write():
            with engine.begin() as other:
                other.exec_driver_sql(
                    "INSERT INTO stack VALUES ('s3', 'third')")
            done.append(True)
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(0.3)
        assert done == []
    writer.join(10)
    assert done == [True]
    with engine.connect() as conn:
        assert conn.exec_driver_sql(
            'SELECT count(*) FROM stack').scalar() == 3
