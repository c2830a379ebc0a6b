"""Notices of a stack's own events, so a wait need not poll.

A worker waiting for an action to end used to read the stack's timeline
(its own events, ``database.read_stack_timeline``) up to four times a
second, each read a query PostgreSQL served too: most of the harness's
reads of Heat's databases, for answers that were the same as the read
before. On a PostgreSQL database the harness itself prepared, a trigger
on Heat's ``event`` table sends a notice (``pg_notify``) when a stack's
own event is written, on a channel named after the stack; a waiting
worker LISTENs on it and reads the timeline when told to, or after
config.NOTICE_WAIT_MAX seconds at the latest.

The trigger writes nothing and changes no row: Heat's INSERT is the same
statement with the same result, and PostgreSQL delivers the notice when
Heat's transaction commits, the moment a read could see the row. It is
installed right after Heat's ``db_sync`` by the process that ran it
(``install``), and only there: a database the harness did not prepare
(an external cloud's, SQLite) has no trigger, and a watch on it polls as
before (``watch`` finds out, once per database and process).
"""

import select
import threading
import time

import sqlalchemy

from heat_functional import config
from heat_functional.deployment.parts import database

#: The trigger and its function, named for the harness.
TRIGGER = 'heat_functional_event_notice'
#: A stack's channel: this prefix and its id (45 characters, under
#: PostgreSQL's 63).
CHANNEL_PREFIX = 'hf_event_'

_INSTALL = (
    """
CREATE OR REPLACE FUNCTION %(name)s() RETURNS trigger AS $$
BEGIN
    IF NEW.physical_resource_id = NEW.stack_id THEN
        PERFORM pg_notify('%(prefix)s' || NEW.stack_id, '');
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""" % {'name': TRIGGER, 'prefix': CHANNEL_PREFIX},
    'DROP TRIGGER IF EXISTS %s ON event' % TRIGGER,
    'CREATE TRIGGER %(name)s AFTER INSERT ON event FOR EACH ROW '
    'EXECUTE FUNCTION %(name)s()' % {'name': TRIGGER},
)

_INSTALLED = sqlalchemy.text(
    'SELECT count(*) FROM pg_trigger WHERE tgname = :name')


def install(engine):
    """Add the notice trigger to Heat's ``event`` table (PostgreSQL only;
    again after each ``db_sync`` is harmless). Returns whether it did."""
    if engine.url.get_backend_name() != 'postgresql':
        return False
    with engine.begin() as conn:
        for statement in _INSTALL:
            conn.exec_driver_sql(statement)
    return True


def channel(stack_id):
    return CHANNEL_PREFIX + stack_id


_NOTIFYING = {}
_NOTIFYING_LOCK = threading.Lock()


def notifying(engine):
    """Whether this database sends the notices (read once per database
    and process)."""
    key = str(engine.url)
    with _NOTIFYING_LOCK:
        if key not in _NOTIFYING:
            _NOTIFYING[key] = _has_trigger(engine)
        return _NOTIFYING[key]


def _has_trigger(engine):
    if engine.url.get_backend_name() != 'postgresql':
        return False
    with engine.connect() as conn:
        return bool(conn.execute(_INSTALLED, {'name': TRIGGER}).scalar())


class Polling(object):
    """A wait's watch where no notice comes: ``timeline()`` calls `read`
    (None: the deployment has no timeline), ``pause(s)`` sleeps `s`."""

    def __init__(self, read):
        self._read = read
        self.woken = self.pauses = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def timeline(self):
        return self._read()

    def pause(self, seconds, expect_event=True):
        self.pauses += 1
        time.sleep(seconds)
        return False


class Watch(Polling):
    """One wait on one stack's timeline in database `url`:
    ``timeline()`` reads it, ``pause(s)`` sleeps until the next read is
    worth making.

    On a notifying database the watch holds one pooled connection for
    the whole wait and LISTENs on the stack's channel before its first
    read, so no event written after that read goes unnoticed; ``pause``
    then returns at the stack's next event, or after NOTICE_WAIT_MAX
    seconds (`expect_event` False: after `seconds`, as when a poll's
    answer comes from the API and not from an event). Elsewhere it
    sleeps `seconds` (the driver's back-off) and reads as before.
    """

    def __init__(self, url, stack_id):
        super(Watch, self).__init__(None)
        self.url = url
        self.stack_id = stack_id
        self.conn = None

    def __enter__(self):
        engine = database.reader_engine(self.url)
        if notifying(engine):
            self.conn = engine.connect()
            self.conn.exec_driver_sql('LISTEN "%s"' % channel(self.stack_id))
        return self

    def __exit__(self, *exc_info):
        """Give the connection back listening to nothing; one that
        cannot say UNLISTEN is dropped, not pooled (and the wait's own
        error, if there is one, is the one raised)."""
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        try:
            conn.exec_driver_sql('UNLISTEN *')
            del conn.connection.driver_connection.notifies[:]
        except sqlalchemy.exc.DBAPIError:
            conn.invalidate()
            if exc_info[0] is None:
                raise
        finally:
            conn.close()

    def timeline(self):
        return database.read_stack_timeline(self.url, self.stack_id,
                                            self.conn)

    def pause(self, seconds, expect_event=True):
        """Sleep until a read may show something new; True if a notice
        ended the sleep."""
        if self.conn is None or not expect_event:
            return super(Watch, self).pause(seconds)
        self.pauses += 1
        if self._await_notice(config.NOTICE_WAIT_MAX):
            self.woken += 1
            return True
        return False

    def _await_notice(self, timeout):
        driver = self.conn.connection.driver_connection
        deadline = time.monotonic() + timeout
        while True:
            if driver.notifies:
                del driver.notifies[:]
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            readable, _, _ = select.select([driver], [], [], left)
            if readable:
                driver.poll()
