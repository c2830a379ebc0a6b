"""Unit tests of the readers in heat_functional.deployment.parts.database.

Covers ``read_stack_flags`` on a SQLite file with a minimal ``stack``
table (tree order, parents, depth, the convergence bool, soft-deleted
rows, unrelated stacks left out), ``sqlite_url``, and Heat's time for a
stack: ``heat_seconds`` and ``read_stack_timeline`` on a minimal
``event`` table.
"""

import datetime
import sqlite3

import pytest
import sqlalchemy

from heat_functional.deployment.parts import database
from heat_functional.deployment.parts import notices

STACKS = [
    # id, name, owner_id, convergence, deleted_at
    ('root', 'hf-t-legacy', None, 0, None),
    ('child-b', 'hf-t-legacy-b', 'root', 0, None),
    ('child-a', 'hf-t-legacy-a', 'root', 1, None),
    ('grandchild', 'hf-t-legacy-a-0', 'child-a', 0, None),
    ('gone', 'hf-t-legacy-0-gone', 'root', 0, '2024-05-01 10:00:00'),
    ('other', 'hf-other', None, 1, None),
    ('other-child', 'hf-other-x', 'other', 1, None),
]


@pytest.fixture
def url(tmp_path):
    path = str(tmp_path / 'heat.sqlite')
    conn = sqlite3.connect(path)
    conn.execute('CREATE TABLE stack (id TEXT, name TEXT, owner_id TEXT, '
                 'convergence BOOLEAN, action TEXT, status TEXT, '
                 'deleted_at DATETIME)')
    conn.executemany(
        "INSERT INTO stack VALUES (?, ?, ?, ?, 'CREATE', 'COMPLETE', ?)",
        STACKS)
    conn.commit()
    conn.close()
    return 'sqlite:///' + path


def flag(id, name, parent, convergence, depth, deleted=False):
    return {'id': id, 'name': name, 'parent': parent,
            'convergence': convergence, 'action': 'CREATE',
            'status': 'COMPLETE', 'deleted': deleted, 'depth': depth}


def test_read_stack_flags_of_a_tree(url):
    assert database.read_stack_flags(url, 'root') == [
        flag('root', 'hf-t-legacy', None, False, 0),
        flag('gone', 'hf-t-legacy-0-gone', 'root', False, 1, deleted=True),
        flag('child-a', 'hf-t-legacy-a', 'root', True, 1),
        flag('child-b', 'hf-t-legacy-b', 'root', False, 1),
        flag('grandchild', 'hf-t-legacy-a-0', 'child-a', False, 2),
    ]


def test_convergence_is_a_bool(url):
    flags = database.read_stack_flags(url, 'root')
    assert [type(f['convergence']) for f in flags] == [bool] * 5


def test_read_stack_flags_of_a_subtree(url):
    assert [(f['id'], f['depth']) for f in database.read_stack_flags(
        url, 'child-a')] == [('child-a', 0), ('grandchild', 1)]


def test_read_stack_flags_of_an_unrelated_root(url):
    assert [f['id'] for f in database.read_stack_flags(url, 'other')] == [
        'other', 'other-child']


def test_read_stack_flags_of_an_unknown_stack(url):
    assert database.read_stack_flags(url, 'nope') == []


def test_sqlite_url():
    assert database.sqlite_url('/run/db', 'legacy') == (
        'sqlite:////run/db/legacy.sqlite')


# -- Heat's time for a stack -------------------------------------------------

def at(seconds):
    return (datetime.datetime(2024, 5, 1, 10, 0, 0) +
            datetime.timedelta(seconds=seconds))


def test_heat_seconds_sums_the_action_windows():
    timeline = [('CREATE', 'IN_PROGRESS', at(0)),
                ('CREATE', 'COMPLETE', at(1.25)),
                ('UPDATE', 'IN_PROGRESS', at(10)),
                ('UPDATE', 'FAILED', at(10.5)),
                ('DELETE', 'IN_PROGRESS', at(20)),
                ('DELETE', 'IN_PROGRESS', at(21)),
                ('DELETE', 'COMPLETE', at(22))]
    assert database.heat_seconds(timeline) == 3.75


def test_heat_seconds_ignores_an_unopened_or_unclosed_action():
    assert database.heat_seconds([('CREATE', 'COMPLETE', at(1)),
                                  ('DELETE', 'IN_PROGRESS', at(5))]) == 0.0
    assert database.heat_seconds([]) == 0.0


#: The root's own events (physical_resource_id is the stack's id), one
#: event of a resource and one of another stack, as Heat stores them
#: through SQLAlchemy's DateTime on SQLite.
EVENTS = [
    (1, 'root', 'CREATE', 'IN_PROGRESS', 'root', '2024-05-01 10:00:00.250000'),
    (2, 'root', 'CREATE', 'IN_PROGRESS', 'phys', '2024-05-01 10:00:00.500000'),
    (3, 'root', 'CREATE', 'COMPLETE', 'root', '2024-05-01 10:00:01.750000'),
    (4, 'other', 'CREATE', 'IN_PROGRESS', 'other', '2024-05-01 10:00:00'),
]


@pytest.fixture
def event_url(tmp_path):
    path = str(tmp_path / 'heat.sqlite')
    conn = sqlite3.connect(path)
    conn.execute('CREATE TABLE event (id INTEGER NOT NULL, stack_id '
                 'VARCHAR(36), resource_action VARCHAR(255), '
                 'resource_status VARCHAR(255), physical_resource_id '
                 'VARCHAR(255), created_at DATETIME, PRIMARY KEY (id))')
    conn.executemany('INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)', EVENTS)
    conn.commit()
    conn.close()
    return 'sqlite:///' + path


def queries_of(url):
    """The parameters of every query sent to url's engine from now on."""
    asked = []
    sqlalchemy.event.listen(
        database.reader_engine(url), 'before_cursor_execute',
        lambda conn, cursor, statement, parameters, context, many:
        asked.append(list(parameters.values()) if isinstance(
            parameters, dict) else list(parameters)))
    return asked


def test_read_stack_timeline_selects_the_stack_own_events(event_url):
    timeline = database.read_stack_timeline(event_url, 'root')
    assert [(action, status) for action, status, _ in timeline] == [
        ('CREATE', 'IN_PROGRESS'), ('CREATE', 'COMPLETE')]


def test_heat_seconds_of_a_sqlite_timeline(event_url):
    timeline = database.read_stack_timeline(event_url, 'root')
    assert [when for _, _, when in timeline] == [
        datetime.datetime(2024, 5, 1, 10, 0, 0, 250000),
        datetime.datetime(2024, 5, 1, 10, 0, 1, 750000)]
    assert database.heat_seconds(timeline) == 1.5


def test_a_later_read_asks_only_for_the_events_after_those_seen(
        event_url):
    first = database.read_stack_timeline(event_url, 'root')
    conn = sqlite3.connect(event_url[len('sqlite:///'):])
    conn.executemany('INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)', [
        (5, 'other', 'DELETE', 'IN_PROGRESS', 'other',
         '2024-05-01 10:00:03'),
        (6, 'root', 'DELETE', 'IN_PROGRESS', 'root', '2024-05-01 10:00:04'),
    ])
    conn.commit()
    conn.close()
    asked = queries_of(event_url)
    second = database.read_stack_timeline(event_url, 'root')
    assert second == first + [('DELETE', 'IN_PROGRESS',
                               datetime.datetime(2024, 5, 1, 10, 0, 4))]
    # The newest event seen of the stack was 3: nothing before it is read.
    assert sorted(asked[-1], key=str) == [3, 'root', 'root']


def test_a_new_stack_reads_from_the_newest_event_before_its_create(
        event_url):
    newest = database.newest_event_id(event_url)
    assert newest == 4
    database.stack_made_after(event_url, 'new', newest)
    conn = sqlite3.connect(event_url[len('sqlite:///'):])
    conn.execute('INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)',
                 (5, 'new', 'CREATE', 'IN_PROGRESS', 'new',
                  '2024-05-01 10:00:05'))
    conn.commit()
    conn.close()
    asked = queries_of(event_url)
    assert database.read_stack_timeline(event_url, 'new') == [
        ('CREATE', 'IN_PROGRESS', datetime.datetime(2024, 5, 1, 10, 0, 5))]
    # Not one row from before the create request is read.
    assert sorted(asked[-1], key=str) == [4, 'new', 'new']


def test_the_newest_event_of_an_empty_table_is_0(tmp_path):
    url = 'sqlite:///' + str(tmp_path / 'empty.sqlite')
    conn = sqlite3.connect(url[len('sqlite:///'):])
    conn.execute('CREATE TABLE event (id INTEGER PRIMARY KEY)')
    conn.close()
    assert database.newest_event_id(url) == 0


def test_sqlite_gets_no_notice_trigger_and_its_watch_polls(
        event_url, monkeypatch):
    engine = database.reader_engine(event_url)
    assert notices.install(engine) is False
    assert notices.notifying(engine) is False
    slept = []
    monkeypatch.setattr(notices.time, 'sleep', slept.append)
    with notices.Watch(event_url, 'root') as watch:
        assert watch.conn is None
        assert [e[:2] for e in watch.timeline()] == [
            ('CREATE', 'IN_PROGRESS'), ('CREATE', 'COMPLETE')]
        assert watch.pause(0.25) is False
    assert slept == [0.25]
    assert (watch.woken, watch.pauses) == (0, 1)


def test_notice_channel_fits_postgresql_names():
    # PostgreSQL truncates identifiers past 63 bytes: a LISTEN on a
    # longer name would never meet the trigger's pg_notify.
    assert len(notices.channel('6d0c3b8e-0b5a-4bd4-9b34-0c9f2a4f0a11')) \
        <= 63
