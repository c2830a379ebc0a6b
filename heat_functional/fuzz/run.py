"""The run loop of ``heat-functional fuzz``: cases, findings, fuzz.json.

``Runner.run()`` runs cases of one seed on ``workers`` threads that
share one deployment: case K is ``generate(K)`` (generate.case, the same
for the same seed and K), run by ``execute(case)`` (execute.py: both
paths, through the gate's lifecycle, observation and comparison code;
the unit tests give a fake). The cases are 0 to count-1 (``--count``),
0, 1, ... until the deadline (``--minutes``: no case starts after it),
or the one ``--case`` names.

A case whose run differs (execute.first_finding) is triaged by
signature.py: explained by an allowance, a known bug or a
``divergences/`` record, it is counted as known. A new one is shrunk
(shrink.py; every candidate re-run by ``execute`` on fresh stacks, and
kept when its signature is the original's), then the minimal case is
run twice more: seen both times it is a new finding, written by
writer.py as a corpus entry under ``findings/`` with
``<name>.finding.json`` beside it (signature, the differing entry,
each path's message and observation, and what each path's Heat logged
about the case's stacks during the step: heat_logs.py, written as
``<name>.<path>.heat.log``). Where the shrunk case does not show it
twice, the generated case is run twice more: seen both times, the
finding is the generated case (the shrinking kept a candidate that
showed it by chance); otherwise it is flaky (seen once, not on
confirmation), listed with its first run and what each confirmation
run showed instead. A second case
with a signature already being shrunk is counted under it. Shrinking
ends early when ``--shrink-budget`` runs are spent or when ``--minutes``
end (the smallest case so far is then confirmed, two more runs at
most); the finding says which (``shrink_cut_short``).

``summary()`` is fuzz.json: what was asked, the cases run and their
rate, per case its seed, number, verdict and signature, the findings
new and known, the flaky ones, and why the run stopped early if it
did, and when (``first_seen``, seconds into the run) each known
explanation was first met. It is rewritten after every case, so a run
stopped by a signal still leaves what ran. ``exit_status`` is the command's.
"""

import dataclasses
import json
import os
import threading
import time

from heat_functional.fuzz import shrink
from heat_functional.fuzz import signature
from heat_functional.fuzz import writer

FUZZ_JSON = 'fuzz.json'
FINDINGS_DIR = 'findings'
FLAKY_DIR = 'flaky'
#: Exit statuses: no new finding, new findings, bad input, a case that
#: could not run or a deployment that did not, stopped by a signal.
EXIT_CLEAN, EXIT_NEW, EXIT_USAGE, EXIT_BROKEN, EXIT_STOPPED = 0, 1, 2, 3, 130
#: How often the main thread looks at its workers (it must stay
#: responsive to Ctrl-C).
JOIN_INTERVAL = 0.5
#: How many confirmations a shrunk case needs.
CONFIRMATIONS = 2


@dataclasses.dataclass(frozen=True)
class Asked(object):
    """What the command was asked for."""

    seed: str
    count: int = None
    minutes: float = None
    case: int = None
    workers: int = 1
    shrink_budget: int = 40

    def numbers(self):
        """The case numbers, in order (unbounded with minutes)."""
        if self.case is not None:
            yield self.case
            return
        number = 0
        while self.count is None or number < self.count:
            yield number
            number += 1


class Runner(object):
    """One fuzz run (module doc)."""

    def __init__(self, asked, generate, execute, allowances, divergences,
                 report_dir, schemas=None, clock=time.monotonic,
                 stop=None):
        self.asked = asked
        self.generate = generate
        self.execute = execute
        self.allowances = allowances
        self.divergences = divergences
        self.report_dir = report_dir
        self.schemas = schemas
        self.clock = clock
        #: Set to stop: no case or step starts after it (the executor
        #: shares it).
        self.stop = stop or threading.Event()
        self.started = clock()
        self.deadline = None if asked.minutes is None else \
            self.started + asked.minutes * 60
        self.interrupted = None
        self.cases = []
        self.new = {}       # signature key -> the new finding
        self.known = {}     # what explains it -> count
        #: what explains it -> the first case it explained, and when
        #: (seconds into the run): how soon a run rediscovers each
        #: known divergence (benchmarks/fuzz_rediscovery.py).
        self.first_seen = {}
        self.flaky = []
        self._numbers = asked.numbers()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._threads = []
        #: Case numbers being run, by worker (listed as interrupted if
        #: the run stops before they end).
        self._running = set()

    # -- the loop ----------------------------------------------------------
    def run(self):
        """Run every case on the workers; returns summary(). The caller
        stops it from outside with stop_now() (a signal)."""
        for index in range(self.asked.workers):
            thread = threading.Thread(target=self._work, daemon=True,
                                      name='fuzz-%d' % index)
            thread.start()
            self._threads.append(thread)
        for thread in self._threads:
            while thread.is_alive():
                thread.join(JOIN_INTERVAL)
        return self.summary()

    def stop_now(self, reason, wait=10):
        """Stop: no new case, no new step; wait `wait` seconds at most
        for the workers (their calls fail once the deployment is gone)."""
        self.interrupted = self.interrupted or reason
        self.stop.set()
        deadline = time.monotonic() + wait
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0, deadline - time.monotonic()))

    def _elapsed(self):
        return round(self.clock() - self.started, 3)

    def _past_deadline(self):
        return self.deadline is not None and self.clock() >= self.deadline

    def _next(self):
        with self._lock:
            if self.stop.is_set() or self._past_deadline():
                return None
            number = next(self._numbers, None)
            if number is not None:
                self._running.add(number)
            return number

    def _work(self):
        while True:
            number = self._next()
            if number is None:
                return
            started = self.clock()
            try:
                row = self.process(number)
            except Exception as error:  # the run goes on; the row says
                row = self._row(number, 'interrupted' if self.stop.is_set()
                                else 'error', message='%s: %s' % (
                                    type(error).__name__, error))
            row['duration_s'] = round(self.clock() - started, 3)
            row['finished_s'] = self._elapsed()
            with self._lock:
                self.cases.append(row)
                self._running.discard(number)
            self.write()

    # -- one case ----------------------------------------------------------
    def process(self, number):
        """The fuzz.json row of case `number`, run and triaged."""
        case = self.generate(number)
        outcome = self.execute(case)
        if outcome.status != 'differs':
            verdict = 'interrupted' if outcome.status == 'stopped' \
                else outcome.status
            row = self._row(number, verdict, message=outcome.message)
            row['outcomes'] = outcomes(outcome.records)
            return row
        finding = outcome.finding
        how, why = signature.explain(finding, self.allowances,
                                     self.divergences)
        sig = signature.unexplained_signature(finding)
        row = self._row(number, 'known', sig, step=finding['scenario'],
                        later=outcome.later)
        row['outcomes'] = outcomes(outcome.records)
        row['ended'] = finding.get('ended')
        if how != 'new':
            label = '%s: %s' % (how, why if isinstance(why, str)
                                else ', '.join(why))
            row['explained_by'] = label
            with self._lock:
                self.known[label] = self.known.get(label, 0) + 1
                self.first_seen.setdefault(label, {
                    'case': number, 'after_s': self._elapsed()})
            return row
        row['verdict'] = self._new_finding(case, outcome, sig)
        return row

    def _row(self, number, verdict, sig=None, message=None, step=None,
             later=0):
        row = {'seed': self.asked.seed, 'case': number, 'verdict': verdict,
               'signature': sig, 'step': step}
        if message:
            row['message'] = message
        if later:
            row['later_differing_steps'] = later
        return row

    def _new_finding(self, case, outcome, sig):
        """Shrink, confirm and write a new finding; its verdict."""
        key = signature.key(sig)
        with self._lock:
            seen = self.new.get(key)
            if seen is not None:
                seen['count'] += 1
                seen['cases'].append(case['number'])
                return 'new'
            self.new[key] = {'signature': sig, 'count': 1,
                             'cases': [case['number']],
                             'state': 'shrinking',
                             'first_after_s': self._elapsed()}
        cut_short = []
        minimal, calls = shrink.shrink(
            case, lambda candidate: self._reproduces(candidate, key,
                                                     cut_short),
            self.schemas, self.asked.shrink_budget)
        if not cut_short and calls >= self.asked.shrink_budget:
            cut_short.append('--shrink-budget (%d runs) spent'
                             % self.asked.shrink_budget)
        with self._lock:
            self.new[key]['shrink_cut_short'] = cut_short[0] if \
                cut_short else None
        try:
            runs = self._confirmations(minimal, key)
            original = []
            if not all(r[1] for r in runs) and minimal != case:
                original = self._confirmations(case, key)
        except shrink.Budget:  # the run stops: keep what was seen
            self._unconfirmed(key, case, outcome)
            return 'new'
        if all(r[1] for r in runs):
            self._confirmed(key, case, minimal, calls, runs[-1][0])
            return 'new'
        if original and all(r[1] for r in original):
            self._confirmed(key, case, case, calls, original[-1][0],
                            note='the shrunk case did not show it on '
                            'confirmation; the generated case did, twice')
            return 'new'
        self._flaky(key, case, outcome, minimal, runs, original)
        return 'flaky'

    def _confirmations(self, candidate, key):
        """[(Outcome, whether it shows signature `key`)] of
        CONFIRMATIONS fresh runs of `candidate`."""
        found = []
        for _ in range(CONFIRMATIONS):
            outcome = self._run_again(candidate)
            found.append((outcome, self._shows(outcome, key)))
        return found

    def _reproduces(self, candidate, key, cut_short):
        """The shrink predicate: a fresh run of `candidate` shows the
        same signature. A stopped run ends the shrinking, and so does
        the end of --minutes: the smallest case so far is then
        confirmed as it is (`cut_short` says why)."""
        if self._past_deadline():
            cut_short.append('the run\'s minutes ended')
            raise shrink.Budget()
        return self._confirm(candidate, key) is not None

    def _confirm(self, candidate, key):
        """A fresh run's Outcome if it shows signature `key`, else
        None; raises shrink.Budget once the run is stopping."""
        outcome = self._run_again(candidate)
        return outcome if self._shows(outcome, key) else None

    def _run_again(self, candidate):
        """A fresh run's Outcome; raises shrink.Budget once the run is
        stopping."""
        if self.stop.is_set():
            raise shrink.Budget()
        outcome = self.execute(candidate)
        if outcome.status == 'stopped':
            raise shrink.Budget()
        return outcome

    @staticmethod
    def _shows(outcome, key):
        return outcome.status == 'differs' and signature.key(
            signature.unexplained_signature(outcome.finding)) == key

    def _confirmed(self, key, case, minimal, calls, outcome, note=None):
        where = self._write_case(FINDINGS_DIR, minimal, outcome)
        with self._lock:
            self.new[key].update(
                state='confirmed', minimal=where, shrink_calls=calls,
                steps=[len(case['steps']), len(minimal['steps'])],
                resources=[_resource_count(case),
                           _resource_count(minimal)])
            if note:
                self.new[key]['note'] = note

    def _unconfirmed(self, key, case, outcome):
        where = self._write_case(FINDINGS_DIR, case, outcome)
        with self._lock:
            self.new[key].update(state='unconfirmed: the run stopped',
                                 minimal=where)

    def _flaky(self, key, case, outcome, minimal, runs, original):
        """Seen once, not on confirmation: the case with its first run,
        and what each confirmation run showed instead."""
        where = self._write_case(FLAKY_DIR, case, outcome)
        with self._lock:
            found = self.new.pop(key)
            self.flaky.append({
                'signature': found['signature'], 'cases': found['cases'],
                'case': where, 'first_run': _finding_text(outcome),
                'confirmations_of_minimal': [seen for _, seen in runs],
                'confirmations_of_case': [seen for _, seen in original],
                'confirmation_runs': [_run_text(run, seen)
                                      for run, seen in runs + original],
                'minimal_steps': len(minimal['steps'])})

    def _write_case(self, folder, case, outcome):
        """The case as a corpus entry under `folder`, with the run's
        finding beside it; its path relative to the report directory."""
        directory = os.path.join(self.report_dir, folder)
        os.makedirs(directory, exist_ok=True)
        writer.write(case, directory)
        detail = dict(_finding_text(outcome),
                      seed=case['seed'], case=case['number'],
                      suites=case.get('suites') or [],
                      reproduce=reproduce_command(case, folder),
                      observations=_observations(outcome),
                      heat_logs=_write_heat_logs(directory, case['name'],
                                                 outcome))
        _write_json(os.path.join(directory,
                                 case['name'] + '.finding.json'), detail)
        return os.path.join(folder, case['name'] + '.yaml')

    # -- fuzz.json ---------------------------------------------------------
    def summary(self):
        with self._lock:
            cases = sorted(self.cases + [
                self._row(n, 'interrupted', message='still running when '
                          'the run stopped') for n in self._running
                if self.interrupted], key=lambda r: r['case'])
            run = [r for r in cases if r['verdict'] != 'interrupted']
            elapsed = round(self.clock() - self.started, 3)
            verdicts = {}
            for row in cases:
                verdicts[row['verdict']] = verdicts.get(row['verdict'],
                                                        0) + 1
            return {
                'asked': dataclasses.asdict(self.asked),
                'duration_s': elapsed,
                'interrupted': self.interrupted,
                'cases_run': len(run),
                'cases_per_minute': round(len(run) * 60 / elapsed, 3)
                if elapsed else None,
                'seconds_per_case': round(sum(
                    r['duration_s'] for r in run) / len(run), 3)
                if run else None,
                'verdicts': verdicts,
                'cases': cases,
                'findings': {
                    'new': [self.new[k] for k in sorted(self.new)],
                    'known': dict(sorted(self.known.items()))},
                'flaky': list(self.flaky),
                'first_seen': dict(sorted(self.first_seen.items())),
            }

    def write(self):
        """fuzz.json, rewritten whole; returns the summary."""
        with self._write_lock:
            summary = self.summary()
            _write_json(os.path.join(self.report_dir, FUZZ_JSON), summary)
        return summary


def exit_status(summary):
    """The command's exit status for a summary (module constants)."""
    if summary['findings']['new']:
        return EXIT_NEW
    if summary['interrupted']:
        return EXIT_STOPPED
    if summary['verdicts'].get('error'):
        return EXIT_BROKEN
    return EXIT_CLEAN


def _finding_text(outcome):
    """What a run's finding says, for a reader."""
    finding = outcome.finding or {}
    entry = finding.get('entry') or {}
    return {'step': finding.get('scenario'),
            'step_kind': finding.get('step_kind'),
            'failing': finding.get('failing'),
            'messages': finding.get('messages'),
            'incomplete': entry.get('incomplete'),
            'differences': entry.get('differences')}


def _run_text(outcome, seen):
    """What a confirmation run showed: its status, and its finding's
    step, signature and differences where it differed."""
    text = {'status': outcome.status, 'showed_the_signature': seen}
    if outcome.finding:
        text.update(_finding_text(outcome), signature=(
            signature.unexplained_signature(outcome.finding)))
    elif outcome.message:
        text['message'] = outcome.message
    return text


def _observations(outcome):
    """{path: observation} of the finding's step."""
    scenario = (outcome.finding or {}).get('scenario')
    return {r['path']: r.get('observation') for r in outcome.records
            if r['scenario'] == scenario}


def outcomes(records):
    """{suite: {outcome: how many steps}} of a run's records, both paths
    together: what a case's verdict rests on (a case whose suites were
    all skipped shows it here)."""
    found = {}
    for record in records:
        counts = found.setdefault(record.get('suite') or 'lifecycle', {})
        counts[record['outcome']] = counts.get(record['outcome'], 0) + 1
    return found


def reproduce_command(case, folder):
    """The gate command that runs a written case again, its suites
    included (run from the report directory)."""
    command = ['heat-functional', 'gate', '--templates', folder,
               '--only', case['name']]
    for suite in case.get('suites') or ():
        command += ['--%s' % suite.split('/')[0], case['name']]
    return ' '.join(command)


def _write_heat_logs(directory, name, outcome):
    """Each path's Heat log lines of the finding's step, as
    ``<name>.<path>.heat.log`` beside the finding; {path: what was
    written, or why nothing was}."""
    written = {}
    for path, excerpt in sorted(outcome.heat_logs.items()):
        if excerpt.get('why_none'):
            written[path] = {'file': None, 'why_none': excerpt['why_none']}
            continue
        filename = '%s.%s.heat.log' % (name, path)
        with open(os.path.join(directory, filename), 'w') as f:
            f.writelines(line + '\n' for line in excerpt['lines'])
        written[path] = {'file': filename, 'lines': len(excerpt['lines']),
                         'left_out': excerpt['left_out']}
    return written


def _resource_count(case):
    return len(case['steps'][0]['template'].get('resources') or {})


def _write_json(path, data):
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True, default=str)
    os.replace(tmp, path)


def describe(summary, report_dir):
    """What a run found, in a few lines for the terminal."""
    lines = ['heat-functional fuzz: %d case(s) run in %.1f s (%s per '
             'minute, %s s per case)%s' % (
                 summary['cases_run'], summary['duration_s'],
                 summary['cases_per_minute'], summary['seconds_per_case'],
                 '; stopped: %s' % summary['interrupted']
                 if summary['interrupted'] else ''),
             '  verdicts: %s' % (', '.join(
                 '%s %d' % item for item in sorted(
                     summary['verdicts'].items())) or 'none')]
    findings = summary['findings']
    lines.append('  new findings: %d' % len(findings['new']))
    for found in findings['new']:
        lines.append('    %s (cases %s): %s' % (
            found.get('minimal', '?'), ', '.join(map(str, found['cases'])),
            signature.key(found['signature'])))
    for label, count in findings['known'].items():
        lines.append('  known, %s: %d' % (label, count))
    for flaky in summary['flaky']:
        lines.append('  flaky (not seen on confirmation): %s' % flaky['case'])
    lines.append('  fuzz.json: %s' % os.path.join(report_dir, FUZZ_JSON))
    return '\n'.join(lines)
