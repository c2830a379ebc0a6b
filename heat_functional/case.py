"""A test case's record: what it ran, observed and checked, and how long.

Each scenario test gets a ``Case`` (the ``case`` fixture). It names the
case (template, scenario, path), times its phases, checks the flag of
every stack it created, and becomes ``cases/<id>.json`` with its outcome
when the test ends (``plugin.py``); ``report.py`` builds the report from
those records.
"""

import contextlib
import re
import secrets
import time

import pytest

from heat_functional import client
from heat_functional import config as settings
from heat_functional import plan


class UnmetRequirement(pytest.skip.Exception):
    """A skip because the target lacks what the case needs (a service a
    template ``requires:``, a toggle cell, a way to migrate): the report
    lists such cases apart and does not count them against the suite's
    share of skips (``accounting.py``)."""

    #: The record's ``skip_kind``.
    skip_kind = 'unmet'


class Moot(pytest.skip.Exception):
    """A skip because the step has nothing to act on: an earlier step of
    the lifecycle left it nothing, as that step's outcome allows (a
    rejected create: no stack exists; a failed create that gets no
    update-self), or the template gives the action nothing (no resource
    with an id to adopt or to mark unhealthy). Listed apart, not counted
    against the suite's share of skips; a step moot on one path only
    still leaves its parity pair incomplete."""

    skip_kind = 'moot'


def unmet(reason):
    """Skip the running case: the target cannot serve it (`reason`)."""
    raise UnmetRequirement(msg=reason, pytrace=False)


def moot(reason):
    """Skip the running case: its lifecycle left it nothing to act on."""
    raise Moot(msg=reason, pytrace=False)


class Case(object):
    """What one test case records, written as ``cases/<id>.json``."""

    def __init__(self, item):
        params = getattr(item, 'callspec', None)
        params = params.params if params else {}
        template = params.get('template')
        step = params.get('step')
        scenario = plan.scenario(item.originalname[len('test_'):],
                                 getattr(step, 'name', step))
        self._start(item.name, getattr(template, 'name', template), scenario,
                    params.get('path'))
        #: Which run of a repeated lifecycle this is (--repeat).
        self.repetition = params.get('repetition')

    @classmethod
    def detached(cls, case_id, template, scenario, path):
        """A case recorded outside a test item (work a scenario runs for
        many items at once); an item takes it over with ``adopt``."""
        case = cls.__new__(cls)
        case._start(case_id, template, scenario, path)
        return case

    def _start(self, case_id, template, scenario, path):
        self.id = case_id
        self.template = template
        self.scenario = scenario
        self.path = path
        #: The case whose observation this one's must equal, for cases
        #: that are not one side of a legacy/convergence pair:
        #: {'scenario': ..., 'path': ..., 'why': ...}.
        self.reference = None
        #: 'pair' for one side of a legacy/convergence pair (by default),
        #: 'none' for a case compared with nothing.
        self.parity = 'pair'
        #: How a migration step migrated the stack (deployment's answer).
        self.migration = None
        self.stacks = []
        self.observation = None
        self.heat_time_s = None
        self.timings = {}
        #: Resources seen in progress or deleted after the action ended.
        self.transient = []
        #: Declared outputs read again after a mismatch (lifecycle.py
        #: _read_outputs_again): evidence of a transient read.
        self.reread = None
        #: Requests Heat refused with 409 while the stack was still locked.
        self.lock_waits = []
        #: Requests sent (or stacks read) again past a known Heat race.
        self.known_races = []
        self.repetition = None
        self.started = time.monotonic()
        #: Seconds the case's work took, where it ran detached.
        self.elapsed = None
        #: Why no flag could be read, where none could.
        self.flags_unverified = None
        #: What the harness did as an agent or signaller (agents.py).
        self.agents = []
        #: Heat's reason for the stack's status at the end of the step.
        self.heat_reason = None
        #: Whether the step was held to parity only, its status unchecked
        #: (its sidecar declares no expect, and no --strict: alike.py).
        self.held_to_parity_only = False
        self._cleanups = []

    def adopt(self, detached):
        """Take over what a detached case recorded (keeps this id)."""
        for name, value in vars(detached).items():
            if name not in ('id', '_cleanups'):
                setattr(self, name, value)

    def stack_name(self):
        name = '%s-%s-%s-%s' % (settings.STACK_PREFIX, self.template,
                                self.path, secrets.token_hex(3))
        return re.sub(r'[^A-Za-z0-9_.-]', '-', name)

    @contextlib.contextmanager
    def timed(self, phase):
        """Record the wall time of a phase of the case (summed if repeated).
        """
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[phase] = round(self.timings.get(phase, 0) +
                                        time.monotonic() - started, 3)

    @contextlib.contextmanager
    def watching(self, driver):
        """Record in this case what `driver` resends past known Heat
        races while the block runs (StackDriver.race_resends)."""
        start = len(driver.race_resends)
        try:
            yield
        finally:
            self.known_races += driver.race_resends[start:]

    def track(self, driver, stack_id):
        """Delete this stack at the end of the case if it still exists."""
        self._cleanups.append((driver, stack_id))

    def _record_stacks(self, flags, expected, logical=None, known=None):
        """Record the flags read against the `expected` flag. `known(row)`
        may give a row another expected flag (a stack already deleted
        before the option changed keeps its old one) or name the known
        Heat bug (``known-bugs.yaml``) that explains its flag: it returns
        ``(expected, bug id or None)``."""
        self.stacks = []
        for f in flags:
            wanted, bug = known(f, expected) if known else (expected, None)
            row = {
                'id': f['id'], 'name': f['name'], 'parent': f['parent'],
                'path': (logical or {}).get(f['id']), 'depth': f['depth'],
                'convergence': f['convergence'],
                'expected_convergence': wanted, 'source': f['source'],
                'deleted': f['deleted'],
            }
            if bug and f['convergence'] != wanted:
                row['known_bug'] = bug
            self.stacks.append(row)

    def check_flags(self, deployment, stack_id, tree, expected, known=None):
        """Read the flag of every live stack under stack_id; record them;
        return one message per stack whose flag is not `expected` (the
        flag the root was created with) and that no known Heat bug
        explains (`known`, see ``_record_stacks``), or that the API shows
        and the database does not."""
        logical = {s['id']: s['path'] for s in tree}
        flags = deployment.stack_flags(self.path, stack_id)
        if flags is None:
            return self._unverified(deployment)
        self._record_stacks([f for f in flags if not f['deleted']],
                            expected, logical, known)
        missing = set(logical) - {s['id'] for s in self.stacks}
        problems = ['stack %s of %s (%s) has convergence=%s, expected %s'
                    % (s['name'], self.template, s['id'], s['convergence'],
                       s['expected_convergence'])
                    for s in self.stacks
                    if s['convergence'] != s['expected_convergence'] and
                    not s.get('known_bug')]
        problems += ['stack %s of %s is shown by the API but has no row in '
                     'the database' % (m, self.template) for m in missing]
        return problems

    def _unverified(self, deployment):
        """The deployment cannot read flags: say so in the record (the
        report counts it), check nothing, claim nothing."""
        self.stacks = []
        self.flags_unverified = ('%s cannot read the flags of %s (no '
                                 'database URL)' % (deployment.kind,
                                                    self.path))
        return []

    def measure_heat_time(self, deployment, stack_id, since=0):
        """Record the seconds Heat spent on the stack's actions (those after
        its first `since` own events), if the deployment can tell them to
        better than a second."""
        from heat_functional.deployment.parts import database
        timeline = deployment.stack_timeline(self.path, stack_id)
        if timeline:
            self.heat_time_s = round(
                database.heat_seconds(timeline[since:]), 3)

    def require(self, problems):
        """Fail the case with every problem found, without a traceback."""
        if problems:
            pytest.fail('\n'.join(problems), pytrace=False)

    def check_deleted(self, deployment, stack_id, expected, known=None):
        """After a delete: every stack row of the tree must be marked
        deleted. Records the rows (their flags still checked against
        `expected`); returns one message per row left.

        Convergence marks the stack DELETE_COMPLETE a moment before it
        soft-deletes the row (Stack.purge_db), so rows get DELETE_SETTLE
        seconds to go, read as often as a stack's status is polled."""
        deadline = time.monotonic() + settings.DELETE_SETTLE
        intervals = client.poll_intervals()
        while True:
            flags = deployment.stack_flags(self.path, stack_id)
            if flags is None:
                return self._unverified(deployment)
            if all(f['deleted'] for f in flags) or \
                    time.monotonic() > deadline:
                break
            time.sleep(next(intervals))
        self._record_stacks(flags, expected, known=known)
        left = ['stack %s of %s (%s) is still in the database %g s after '
                'its delete (%s_%s)' % (f['name'], self.template, f['id'],
                                        settings.DELETE_SETTLE, f['action'],
                                        f['status'])
                for f in flags if not f['deleted']]
        if left:
            left.append(client.threads_line(deployment, self.path))
        return left

    def cleanup(self):
        for driver, stack_id in self._cleanups:
            driver.delete(stack_id)

    def record(self, outcome, message, duration):
        if self.elapsed is not None:
            duration = self.elapsed
        overhead = None
        if self.heat_time_s is not None:
            overhead = round(duration - self.heat_time_s, 3)
        return {
            'id': self.id, 'template': self.template,
            'scenario': self.scenario, 'path': self.path,
            'outcome': outcome, 'duration_s': round(duration, 3),
            'heat_time_s': self.heat_time_s,
            'harness_overhead_s': overhead,
            'timings': self.timings,
            'transient': self.transient,
            'reread': self.reread,
            'lock_waits': self.lock_waits,
            'known_races': self.known_races,
            'message': message, 'stacks': self.stacks,
            'observation': self.observation,
            'reference': self.reference,
            'parity': 'reference' if self.reference else self.parity,
            'migration': self.migration,
            'repetition': self.repetition,
            'flags_unverified': self.flags_unverified,
            'agents': self.agents,
            'heat_reason': self.heat_reason,
            'held_to_parity_only': self.held_to_parity_only,
        }
