"""One generated case on both paths, through the gate's own code.

``Executor.run(case)`` runs a case (generate.py's plain data) as the
lifecycle suite runs a corpus template, with the same code:

- writer.py writes the case as a corpus entry in a directory of its
  own, and ``discovery.discover`` reads it back as a
  ``corpus.Template`` (its steps: create, the updates, delete);
- on each path, each step is ``lifecycle.run_case`` on a detached
  ``case.Case``, on fresh stacks (a ``lifecycle.Registry`` per run,
  whose leftovers are deleted afterwards); a step that fails stops its
  lifecycle and later steps skip, as in the gate;
- each step's record is ``Case.record``'s, with the outcome the pytest
  plugin would give it (a skip, a failure, an error);
- the pairs are compared by ``results/pairing.compare_pairs`` under the
  allowances, giving ``results/entry.py``'s entries.

``first_finding`` then picks the case's finding: its first step whose
entry differs beyond the allowances, is incomplete (one path left no
observation), or that failed on one path only (a hang is a step that
failed waiting). Later steps of a case are consequences of that one
more often than not (a failed step skips the rest on its path), so they
are counted, not triaged. A step that failed on both paths, alike, is
no parity finding: the case's status says ``failed-alike``. A step
that failed because a path's Heat did not answer (``no_answer``) makes
the case an ``error``: the deployment's failure, not Heat's behaviour.
"""

import itertools
import os
import re
import shutil
import threading
import time

import pytest

from heat_functional import actions
from heat_functional import case as case_module
from heat_functional import discovery
from heat_functional import failures
from heat_functional import lifecycle
from heat_functional import plan
from heat_functional.fuzz import heat_logs
from heat_functional.fuzz import writer
from heat_functional.results import entry as entry_module
from heat_functional.results import pairing

SUITE = 'lifecycle'
#: How a step's message begins when Heat did not answer the harness:
#: the exception (urllib's, http.client's, requests' and keystoneauth's
#: connection errors and timeouts) as the step recorded it. Only the
#: beginning: a hang's message ends with Heat's own log lines, which may
#: name such errors of Heat's.
NO_ANSWER = re.compile(r'(URLError|ConnectionError|ConnectTimeout|'
                       r'ReadTimeout|TimeoutError|RemoteDisconnected|'
                       r'ConnectFailure|ConnectionRefusedError|'
                       r'ConnectionResetError)\b')
#: What a run of a case may end as (Outcome.status).
STATUSES = ('equal', 'differs', 'failed-alike', 'unmet', 'error',
            'stopped')


class Outcome(object):
    """What one run of a case on both paths ended as."""

    def __init__(self, status, finding=None, records=(), entries=(),
                 message=None, later=0, duration_s=None):
        assert status in STATUSES, status
        self.status = status
        #: signature.py's finding (template, scenario, step_kind, entry,
        #: failing, known_bugs) where status is 'differs'.
        self.finding = finding
        self.records = list(records)
        self.entries = list(entries)
        #: Why the case could not run ('unmet', 'error'), or the steps
        #: that failed on both paths ('failed-alike').
        self.message = message
        #: Steps after the finding's that differ too (not triaged).
        self.later = later
        self.duration_s = duration_s
        #: {path: heat_logs.excerpt} of the finding's step.
        self.heat_logs = {}


def step_kinds(case):
    """{step name: its kind} of a generated case, with the delete."""
    kinds = {step['name']: step['kind'] for step in case['steps']}
    kinds['delete'] = 'delete'
    return kinds


def suite_steps(suite):
    """[(suite, step)] of one of a case's suites (generate.suites):
    ``actions``, the actions suite's sequence; ``failures/<sequence>``,
    that sequence's steps, each ``<sequence>/<step>``."""
    if suite == 'actions':
        return [('actions', name) for name in actions.ACTIONS]
    sequence = suite.split('/', 1)[1]
    return [('failures', '%s/%s' % (sequence, name))
            for name in failures.SEQUENCES[sequence]]


def scenarios(case):
    """[(scenario, kind)] of a case, in the order they run: its
    lifecycle's steps (the kind its mutation), then its suites' steps
    (kind ``action:<name>`` or ``failure:<sequence>/<step>``)."""
    found = [(plan.scenario(SUITE, name), kind)
             for name, kind in step_kinds(case).items()]
    for suite in case.get('suites') or ():
        found += [(plan.scenario(head, step), '%s:%s' % (
            'action' if head == 'actions' else 'failure', step))
            for head, step in suite_steps(suite)]
    return found


def failing_paths(records, scenario):
    return sorted(r['path'] for r in records
                  if r['scenario'] == scenario and
                  r['outcome'] in ('failed', 'error'))


def known_bugs(records, scenario):
    return sorted({row['known_bug'] for r in records
                   if r['scenario'] == scenario
                   for row in r.get('stacks') or [] if row.get('known_bug')})


def first_finding(case, records, entries, paths):
    """(the Outcome's status, the first finding or None, how many later
    steps differ too, message) of a case's records and entries (module
    doc)."""
    unanswered = no_answer(records)
    if unanswered:
        return 'error', None, 0, unanswered
    by_scenario = {e['scenario']: e for e in entries}
    differing, alike = [], []
    for scenario, kind in scenarios(case):
        entry = by_scenario.get(scenario)
        failing = failing_paths(records, scenario)
        differs = entry is not None and (entry_module.different(entry) or
                                         bool(entry.get('incomplete')))
        if differs or len(failing) == 1:
            differing.append(_finding(case, scenario, kind, entry,
                                      failing, records))
        elif len(failing) == len(paths):
            alike.append(scenario)
    if differing:
        return 'differs', differing[0], len(differing) - 1, None
    if alike:
        return 'failed-alike', None, 0, 'failed on both paths: %s%s' % (
            ', '.join(_short(s) for s in alike),
            _said(records, alike[0]))
    return 'equal', None, 0, None


def no_answer(records):
    """Why the case could not be compared: a step failed because a
    path's Heat did not answer (a connection refused, reset or timed
    out), or None. Such a failure is the deployment's, not a behaviour
    of Heat's to compare: a fuzz run whose convergence cell had stopped
    answering reported every later case as a new finding, and one
    matched a recorded divergence whose record is a failing step."""
    for record in records:
        message = record.get('message') or ''
        if record['outcome'] in ('failed', 'error') and \
                NO_ANSWER.match(message.strip()):
            return '%s on %s: Heat did not answer (%s)' % (
                _short(record['scenario']), record['path'],
                message.strip().splitlines()[0][:300])
    return None


def _short(scenario):
    """A lifecycle step by its name, a suite's step by its scenario."""
    head, step = plan.split_scenario(scenario)
    return step if head == SUITE else scenario


def _said(records, scenario, length=300):
    """What each path's failure of a step said, shortened."""
    said = ['%s: %s' % (r['path'], (r.get('message') or '').strip()[:length])
            for r in records if r['scenario'] == scenario]
    return ' (%s)' % '; '.join(said) if said else ''


def definitions(case, scenario):
    """{resource name: the keys its definition has in every template of
    the step (the step's own and its providers) that defines it}: what
    a divergence's ``defined_with`` asks of a finding (signature.py).
    A lifecycle step's templates are its own; the delete's, the last
    step's; a suite's step runs on the create's."""
    head, name = plan.split_scenario(scenario)
    steps = case['steps']
    step = steps[-1] if name == 'delete' else steps[0]
    if head == SUITE:
        step = next((s for s in steps if s['name'] == name), step)
    found = {}
    for template in [step['template']] + list(step['providers'].values()):
        for resource, definition in (
                (template or {}).get('resources') or {}).items():
            keys = set(definition or {})
            found[resource] = keys & found.get(resource, keys)
    return {resource: sorted(keys) for resource, keys in found.items()}


def ended(records, scenario):
    """{path: the stack status the step ended in there} (None where the
    path has no observation of it): what a divergence's
    ``ended_within`` asks of a finding (signature.py)."""
    return {r['path']: (r.get('observation') or {}).get('stack')
            for r in records if r['scenario'] == scenario}


def _finding(case, scenario, kind, entry, failing, records):
    if entry is None:
        entry = entry_module.make(case['name'], scenario, [])
    return {'template': case['name'], 'scenario': scenario,
            'step_kind': kind, 'entry': entry, 'failing': failing,
            'definitions': definitions(case, scenario),
            'ended': ended(records, scenario),
            'known_bugs': known_bugs(records, scenario),
            'messages': {r['path']: r['message'] for r in records
                         if r['scenario'] == scenario and r['message']}}


class Executor(object):
    """Runs cases on a deployment handle's paths (module doc)."""

    def __init__(self, deployment, work_dir, paths, allowances,
                 stop=None):
        self.deployment = deployment
        self.work_dir = work_dir
        self.paths = list(paths)
        self.allowances = allowances
        #: Set when the run stops: no further step starts.
        self.stop = stop or threading.Event()
        self._attempts = itertools.count(1)
        self._lock = threading.Lock()

    def run(self, case):
        """The Outcome of one run of `case` on every path."""
        started = time.monotonic()
        directory = self._directory()
        try:
            template = self._written(case, directory)
            for requirement in template.requires:
                why = self.deployment.lacks(requirement)
                if why:
                    return Outcome('unmet', message=why)
            records = []
            for path in self.paths:
                records += self._lifecycle(template, path)
                for suite in case.get('suites') or ():
                    records += self._suite(template, suite, path)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        if self.stop.is_set():
            return Outcome('stopped', records=records)
        entries = pairing.compare_pairs(records, self.paths,
                                        self.allowances)
        status, finding, later, message = first_finding(
            case, records, entries, self.paths)
        outcome = Outcome(status, finding, records, entries, message,
                          later, round(time.monotonic() - started, 3))
        if finding is not None:
            outcome.heat_logs = self._heat_logs(template.name, records,
                                                finding['scenario'])
            finding['heat_logs'] = outcome.heat_logs
        return outcome

    def _heat_logs(self, template_name, records, scenario):
        """{path: what its Heat logged about the case's stacks during
        the step} (heat_logs.py), or a reason where it keeps no log."""
        found = {}
        for path in self.paths:
            mine = [r for r in records if r['path'] == path]
            step = [r for r in mine if r['scenario'] == scenario]
            marks = [heat_logs.root_prefix(template_name, path)] + [
                row[key] for r in mine for row in r.get('stacks') or []
                for key in ('id', 'name')]
            excerpt = heat_logs.excerpt(
                self.deployment.log_file(path),
                step[0].get('log_span') if step else None, marks)
            found[path] = excerpt or {
                'lines': [], 'left_out': 0,
                'why_none': 'the target keeps no Heat log the harness '
                'reads' if not self.deployment.log_file(path) else
                'the step did not run on this path'}
        return found

    def _directory(self):
        """A directory of this run's own under the work directory."""
        with self._lock:
            attempt = next(self._attempts)
        directory = os.path.join(self.work_dir, 'a%d' % attempt)
        os.makedirs(directory)
        return directory

    @staticmethod
    def _written(case, directory):
        """The case written into `directory`, read back."""
        writer.write(case, directory)
        found = [t for t in discovery.discover(directory, environments=[])
                 if t.name == case['name']]
        return found[0]

    def _lifecycle(self, template, path):
        """The records of `template`'s steps on `path`, in order."""
        registry = lifecycle.Registry()
        try:
            return self._steps(template, path, [
                (plan.scenario(SUITE, step.name),
                 lambda recorded, step=step: lifecycle.run_case(
                     template, step, path, 1, self.deployment, registry,
                     recorded))
                for step in template.steps])
        finally:
            registry.clean_up()

    def _suite(self, template, suite, path):
        """The records of one of the case's suites (suite_steps) on
        `path`, run as the actions or failures suite runs them on a
        corpus template; none where that suite does not apply to the
        case (its create is meant to fail)."""
        if actions.applies_to(template):
            return []
        registry, runs = lifecycle.Registry(), {}
        run_one = {'actions': lambda step, recorded: actions.run_case(
            template, step, path, self.deployment, registry, recorded),
            'failures': lambda step, recorded: failures.run_case(
                template, step, path, self.deployment, runs, recorded)}
        try:
            return self._steps(template, path, [
                (plan.scenario(head, step),
                 lambda recorded, head=head, step=step: run_one[head](
                     step, recorded))
                for head, step in suite_steps(suite)])
        finally:
            for each in [registry] + list(runs.values()):
                each.clean_up()

    def _steps(self, template, path, steps):
        """The records of [(scenario, run(recorded case))] on `path`, in
        order; none once the run is stopping."""
        records = []
        for scenario, run_step in steps:
            if self.stop.is_set():
                break
            records.append(self._step(template, scenario, path,
                                      run_step))
        return records

    def _step(self, template, scenario, path, run_step):
        case_id = '%s-%s-%s' % (template.name, scenario.replace('/', '-'),
                                path)
        recorded = case_module.Case.detached(case_id, template.name,
                                             scenario, path)
        outcome, message, skip_kind = 'passed', None, None
        log_file = self.deployment.log_file(path)
        log_before = heat_logs.offset(log_file)
        try:
            run_step(recorded)
        except pytest.skip.Exception as skipped:
            outcome, message = 'skipped', skipped.msg
            skip_kind = getattr(skipped, 'skip_kind', None)
        except pytest.fail.Exception as failed:
            outcome, message = 'failed', failed.msg
        except Exception as error:  # as the plugin records it: failed
            outcome, message = 'failed', '%s: %s' % (
                type(error).__name__, error)
        finally:
            recorded.cleanup()
        record = recorded.record(outcome, message,
                                 time.monotonic() - recorded.started)
        record.update(suite=plan.split_scenario(scenario)[0],
                      skip_kind=skip_kind,
                      log_span=heat_logs.span(log_before,
                                              heat_logs.offset(log_file)))
        return record
