"""Who ran: every planned case accounted for, and skips counted.

The verdict may speak only of evidence it has. This module holds the
run's records against its plan (``plan.py``) and says what is missing:

- ``missing_records``: a planned case that left no record (its worker
  died, a fixture failed before the case began, the run was stopped)
  gets one here, outcome ``error``, saying why, with what pytest
  reported of it where pytest reported anything;
- ``coverage``: per suite and path, how many planned cases ran, were
  skipped, were skipped because the target lacks what they need
  (``unmet``: listed, not counted against the suite), were skipped
  because an earlier step of their lifecycle left them nothing to act
  on, as its outcome allows (``moot``: a rejected create leaves no
  stack, a failed create gets no update-self; listed, not counted), or
  are missing;
- ``skip_problems``: suites that skipped more than their stated share
  (``config.SKIP_LIMITS``);
- ``exit_status_problems``: what pytest's own exit status says that the
  records do not;
- ``evidence_blockers``: why the flip and migration evidence that "the
  default may change" rests on is missing.
"""

import collections

from heat_functional import config
from heat_functional import plan

#: pytest's exit statuses (pytest.ExitCode), by number.
EXIT_STATUSES = {0: 'ok', 1: 'tests failed', 2: 'interrupted',
                 3: 'internal error', 4: 'usage error', 5: 'no tests ran'}
#: Skips of these kinds are not counted against a suite's share:
#: ``unmet`` (the target lacks what the case needs: listed apart) and
#: ``xfail`` (a declared expected failure, e.g. a gabbit's ``xfail``),
#: ``moot`` (nothing to act on after an earlier step: listed apart).
UNCOUNTED_SKIPS = ('unmet', 'xfail', 'moot')


def suite_of(record, planned_by_id=None):
    """The suite of a record: its own, the plan's, or its scenario's."""
    if record.get('suite'):
        return record['suite']
    key = (planned_by_id or {}).get(record['id'])
    if key is not None:
        return key.suite
    return plan.split_scenario(record['scenario'])[0]


def missing_records(planned, cases, seen=None, interrupted=None):
    """A record (outcome ``error``) for each planned case without one.
    `seen` maps case ids to what pytest reported of them (a crashed
    worker, a failed fixture), where it reported anything."""
    if not planned:
        return []
    recorded = {c['id'] for c in cases}
    made = []
    for key in planned:
        if key.case_id in recorded:
            continue
        why = (seen or {}).get(key.case_id)
        if why is None:
            why = ('never finished: the run was interrupted (%s)'
                   % interrupted if interrupted else
                   'never ran, or ended without writing its record')
        made.append({
            'id': key.case_id, 'suite': key.suite,
            'template': key.template or '-',
            'scenario': plan.scenario(key.suite, key.step),
            'path': key.path, 'repetition': key.repetition,
            'outcome': 'error', 'message': 'no record: %s' % why,
            'missing_record': True, 'stacks': [], 'observation': None,
            'parity': 'none' if key.suite != 'lifecycle' else 'pair',
            'reference': None, 'duration_s': 0.0,
        })
    return made


def _kind(record):
    if record['outcome'] != 'skipped':
        return 'missing' if record.get('missing_record') else 'ran'
    if record.get('skip_kind') in UNCOUNTED_SKIPS:
        return record['skip_kind']
    return 'skipped'


def coverage(cases, planned=None):
    """Rows per (suite, path): planned, ran, skipped (counted), unmet,
    xfail, moot, missing, and ``ran_share`` of the planned cases."""
    by_id = {k.case_id: k for k in planned or []}
    counts = collections.OrderedDict()
    for record in sorted(cases, key=lambda c: (suite_of(c, by_id),
                                               str(c.get('path')))):
        group = (suite_of(record, by_id), record.get('path') or '-')
        row = counts.setdefault(group, collections.Counter())
        row['planned'] += 1
        row[_kind(record)] += 1
    rows = []
    for (suite, path), row in counts.items():
        rows.append({
            'suite': suite, 'path': path, 'planned': row['planned'],
            'ran': row['ran'], 'skipped': row['skipped'],
            'unmet': row['unmet'], 'xfail': row['xfail'],
            'moot': row['moot'], 'missing': row['missing'],
            'ran_share': round(row['ran'] / row['planned'], 4),
        })
    return rows


def skip_limit(suite, limits=None):
    limits = config.SKIP_LIMITS if limits is None else limits
    return limits.get(suite, limits.get('*', 0.0))


def skip_problems(rows, cases, limits=None):
    """A reason for each (suite, path) that skipped more than its share,
    with the first skip's reason."""
    problems = []
    for row in rows:
        if not row['skipped']:
            continue
        share = row['skipped'] / row['planned']
        limit = skip_limit(row['suite'], limits)
        if share <= limit:
            continue
        first = next((c for c in cases
                      if _kind(c) == 'skipped' and
                      suite_of(c) == row['suite'] and
                      (c.get('path') or '-') == row['path']), None)
        problems.append(
            '%s on %s skipped %d of %d planned cases (at most %d%% may '
            'skip), e.g. %s: %s'
            % (row['suite'], row['path'], row['skipped'], row['planned'],
               round(limit * 100), first and first['id'],
               _first_line(first and first.get('message'))))
    return problems


def unmet(cases):
    """The cases skipped because the target lacks what they need."""
    return [{'id': c['id'], 'template': c['template'], 'path': c['path'],
             'why': c.get('message')}
            for c in cases if c['outcome'] == 'skipped' and
            c.get('skip_kind') == 'unmet']


def moot(cases):
    """The cases skipped because their lifecycle left them nothing to
    act on (case.Moot), each with why."""
    return [{'id': c['id'], 'template': c['template'], 'path': c['path'],
             'why': c.get('message')}
            for c in cases if c['outcome'] == 'skipped' and
            c.get('skip_kind') == 'moot']


def exit_status_problems(exit_status, cases):
    """What pytest's exit status says that the records do not."""
    if exit_status is None or exit_status == 0:
        return []
    name = EXIT_STATUSES.get(exit_status, 'unknown status')
    if exit_status == 1:
        if any(c['outcome'] in ('failed', 'error') for c in cases):
            return []
        return ['pytest reported failed tests (exit status 1) that no case '
                'record shows: see junit.xml']
    if exit_status == 2:
        return []  # the report's ``interrupted`` says it
    return ['pytest ended with exit status %s (%s)' % (exit_status, name)]


def evidence_blockers(cases):
    """Why the run lacks the flip and migration evidence the default's
    change rests on: each toggle flipped with every case of it passed,
    and at least one stack migrated with every migrate case passed."""
    blockers = []
    flips = [c for c in cases if suite_of(c) == 'flip']
    for toggle in config.TOGGLES:
        mine = [c for c in flips if c.get('path') == toggle]
        blockers += _suite_blockers('the %s flip' % toggle, mine)
    migrations = [c for c in cases if suite_of(c) == 'migrate']
    blockers += _suite_blockers('migration', migrations)
    if migrations and not any(
            (c.get('migration') or {}) and
            not (c.get('migration') or {}).get('refused')
            for c in migrations):
        blockers.append('migration evidence missing: no stack was migrated')
    return blockers


def _suite_blockers(what, mine):
    if not mine:
        return ['%s evidence missing: no such case ran' % what]
    bad = [c for c in mine if c['outcome'] != 'passed']
    if not bad:
        return []
    return ['%s evidence missing: %d of %d cases did not pass (%s: %s)'
            % (what, len(bad), len(mine), bad[0]['id'],
               _first_line(bad[0].get('message')) or bad[0]['outcome'])]


def _first_line(text):
    text = (text or '').strip()
    return text.splitlines()[0] if text else ''


def planned_by_id(planned):
    return {k.case_id: k for k in planned or []}
