"""Making a SQLite database as reliable for Heat as PostgreSQL.

Two problems, both seen with Heat 27 (see doc/source/deployment.rst):

- **Locking.** The engine writes from many threads; SQLite's default
  deferred transactions then fail with "database is locked" and stack
  actions FAIL at random. Fix: WAL journal, a busy timeout, and every
  transaction opened with ``BEGIN IMMEDIATE`` so that a writer waits for
  the lock up front instead of failing on upgrade. Installed only after
  ``db_sync`` (Heat's migrations deadlock with it).
- **Reused row ids.** Without ``AUTOINCREMENT`` SQLite hands out the id of
  a deleted last row again. Convergence keeps integer ids of resources,
  properties data and templates in its graphs and sync points, and
  breaks when one comes back (``ResourcePropertiesData with id N not
  found`` after nested updates). PostgreSQL and MySQL never reuse ids.
  Fix: rebuild every table whose primary key is an integer ``id`` with
  ``AUTOINCREMENT``, right after ``db_sync`` while the tables are empty.
"""

import re
import sqlite3

import sqlalchemy

BUSY_TIMEOUT_MS = 60000
#: The name of oslo.db's "begin" listener for SQLite (oslo_db.sqlalchemy.
#: engines._init_events), which harden_engine replaces.
OSLO_BEGIN_LISTENER = '_sqlite_emit_begin'

_ID_COLUMN = re.compile(r'(\n\s*)id INTEGER NOT NULL')
_PK_CONSTRAINT = re.compile(r',\s*PRIMARY KEY \(id\)')


def autoincrement_ddl(create_sql, new_name):
    """The DDL of a copy of a table, named new_name, with AUTOINCREMENT ids.

    Returns None when the table has no integer ``id`` primary key.
    """
    if not (_ID_COLUMN.search(create_sql) and
            _PK_CONSTRAINT.search(create_sql)):
        return None
    ddl = _ID_COLUMN.sub(r'\1id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL',
                         create_sql, count=1)
    ddl = _PK_CONSTRAINT.sub('', ddl, count=1)
    return re.sub(r'^CREATE TABLE\s+("?)(\w+)\1', 'CREATE TABLE "%s"'
                  % new_name, ddl, count=1)


def harden_schema(database_file):
    """Rebuild integer-id tables with AUTOINCREMENT; switch to WAL."""
    conn = sqlite3.connect(database_file, isolation_level=None)
    try:
        conn.execute('PRAGMA foreign_keys = OFF')
        conn.execute('BEGIN IMMEDIATE')
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'").fetchall()
        for name, create_sql in tables:
            _rebuild_with_autoincrement(conn, name, create_sql)
        conn.execute('COMMIT')
        conn.execute('PRAGMA journal_mode = WAL')
    finally:
        conn.close()


def _rebuild_with_autoincrement(conn, name, create_sql):
    new_name = name + '__hf_autoincrement'
    ddl = autoincrement_ddl(create_sql, new_name)
    if ddl is None:
        return
    indexes = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name = ? AND sql IS NOT NULL", (name,)).fetchall()
    conn.execute(ddl)
    conn.execute('INSERT INTO "%s" SELECT * FROM "%s"' % (new_name, name))
    conn.execute('DROP TABLE "%s"' % name)
    conn.execute('ALTER TABLE "%s" RENAME TO "%s"' % (new_name, name))
    for (index_sql,) in indexes:
        conn.execute(index_sql)


def harden_engine(engine):
    """Busy timeout on every connection, BEGIN IMMEDIATE on every begin.

    oslo.db turns off pysqlite's own BEGIN and emits a plain ``BEGIN``
    from its "begin" listener (``_sqlite_emit_begin``), marking the
    connection as in a transaction; its commit and rollback listeners
    clear the mark. That listener is replaced by one that emits
    ``BEGIN IMMEDIATE`` and sets the same mark. (Adding a listener in
    front of it does not work: SQLAlchemy runs engine "begin" listeners in
    the order they were added, whatever ``insert=True`` says.)
    """
    plain_begins = [listener for listener in engine.dispatch.begin
                    if listener.__name__ == OSLO_BEGIN_LISTENER]
    if not plain_begins:
        raise RuntimeError(
            'cannot make SQLite transactions BEGIN IMMEDIATE: oslo.db\'s '
            '%s listener is not on the engine (has oslo.db changed?)'
            % OSLO_BEGIN_LISTENER)
    for listener in plain_begins:
        sqlalchemy.event.remove(engine, 'begin', listener)

    @sqlalchemy.event.listens_for(engine, 'connect')
    def _busy_timeout(dbapi_connection, connection_record):
        dbapi_connection.execute('PRAGMA busy_timeout = %d' % BUSY_TIMEOUT_MS)

    @sqlalchemy.event.listens_for(engine, 'begin')
    def _begin_immediate(conn):
        if 'in_transaction' not in conn.info:
            conn.exec_driver_sql('BEGIN IMMEDIATE')
            conn.info['in_transaction'] = True

    # Connections opened before the listeners exist lack the timeout.
    engine.dispose()
