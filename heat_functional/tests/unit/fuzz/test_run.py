"""The fuzz run loop (fuzz/run.py) with a fake executor, the finding of
a case's records (fuzz/execute.first_finding), fuzz.json and the
command's arguments (cli.py's ``fuzz``). No Heat."""

import copy
import json
import os
import threading

import pytest

from heat_functional import cli
from heat_functional import config
from heat_functional import parity
from heat_functional.fuzz import execute
from heat_functional.fuzz import generate
from heat_functional.fuzz import run
from heat_functional.fuzz import schema
from heat_functional.fuzz import signature
from heat_functional.results import pairing

SCHEMAS = schema.load(os.path.join(os.path.dirname(__file__),
                                   'fuzz_schemas.json'))
ALLOWANCES = parity.load_allowances(config.ALLOWANCES_FILE)
DIVERGENCES = signature.load_divergences()
PATHS = list(config.PATH_NAMES)


def make_case(number):
    return generate.case(SCHEMAS, 'unit', number, keystone=False)


def record(case, step, path, outcome='passed', observation=None,
           message=None):
    return {'template': case['name'], 'scenario': 'lifecycle/' + step,
            'path': path, 'outcome': outcome, 'message': message,
            'observation': observation, 'parity': 'pair', 'stacks': []}


def records_of(case, differing_step=None, failing=None):
    """Records of every step on both paths: equal observations, except
    output ``o`` at `differing_step`; `failing` (step, path) failed."""
    found = []
    names = [s['name'] for s in case['steps']] + ['delete']
    for name in names:
        for path in PATHS:
            value = path if name == differing_step else 'same'
            outcome = 'failed' if (name, path) == failing else 'passed'
            found.append(record(case, name, path, outcome,
                                {'stack': 'X_COMPLETE',
                                 'outputs': {'o': value}}))
    return found


def outcome_of(case, differing_step=None, failing=None):
    records = records_of(case, differing_step, failing)
    entries = pairing.compare_pairs(records, PATHS, ALLOWANCES)
    status, finding, later, message = execute.first_finding(
        case, records, entries, PATHS)
    return execute.Outcome(status, finding, records, entries, message,
                           later, 1.0)


# -- first_finding -----------------------------------------------------------

def test_equal_observations_are_no_finding():
    case = make_case(0)
    assert outcome_of(case).status == 'equal'


def test_the_first_differing_step_is_the_finding():
    case = make_case(0)
    outcome = outcome_of(case, differing_step='create')
    assert outcome.status == 'differs'
    assert outcome.finding['scenario'] == 'lifecycle/create'
    assert outcome.finding['step_kind'] == 'create'
    assert outcome.finding['failing'] == []
    assert [d['location'] for d in outcome.finding['entry']['differences']
            ] == ['outputs.o']


def test_a_finding_names_the_definitions_of_its_steps_resources():
    case = make_case(0)
    case['steps'][0]['template']['resources']['kept'] = {
        'type': 'OS::Heat::None', 'condition': 'c'}
    case['steps'][0]['providers']['Fuzz::Extra'] = {'resources': {
        'inner': {'type': 'OS::Heat::Value', 'properties': {}}}}
    found = outcome_of(case, differing_step='create').finding
    assert found['definitions']['kept'] == ['condition', 'type']
    assert found['definitions']['inner'] == ['properties', 'type']
    # the delete's are the last step's, a suite's step's the create's
    last = copy.deepcopy(case['steps'][-1])
    last['template']['resources'] = {'kept': {'type': 'OS::Heat::None'}}
    last['providers'] = {}
    case['steps'].append(dict(last, name='u9-last'))
    assert execute.definitions(case, 'lifecycle/delete') == {
        'kept': ['type']}
    assert execute.definitions(case, 'actions/suspend')['kept'] == [
        'condition', 'type']
    # a name defined in two templates keeps the keys both give it
    case['steps'][0]['providers']['Fuzz::Extra']['resources']['kept'] = {
        'type': 'OS::Heat::None'}
    assert execute.definitions(case, 'lifecycle/create')['kept'] == [
        'type']


def test_a_step_failing_on_one_path_is_a_finding():
    case = make_case(0)
    outcome = outcome_of(case, failing=('delete', 'convergence'))
    assert outcome.status == 'differs'
    assert outcome.finding['scenario'] == 'lifecycle/delete'
    assert outcome.finding['failing'] == ['convergence']


def test_a_step_failing_on_both_paths_is_failed_alike():
    case = make_case(0)
    records = records_of(case)
    for r in records:
        if r['scenario'] == 'lifecycle/delete':
            r['outcome'] = 'failed'
            r['message'] = 'stack DELETE_FAILED on ' + r['path']
    entries = pairing.compare_pairs(records, PATHS, ALLOWANCES)
    status, finding, _, message = execute.first_finding(case, records,
                                                        entries, PATHS)
    assert (status, finding) == ('failed-alike', None)
    assert message == (
        'failed on both paths: delete (legacy: stack DELETE_FAILED on '
        'legacy; convergence: stack DELETE_FAILED on convergence)')


def test_a_missing_observation_is_a_finding():
    case = make_case(0)
    records = records_of(case)
    records[1]['observation'] = None  # create on convergence
    entries = pairing.compare_pairs(records, PATHS, ALLOWANCES)
    status, finding, _, _ = execute.first_finding(case, records, entries,
                                                  PATHS)
    assert status == 'differs'
    assert finding['entry']['incomplete']


def test_a_cases_suites_run_after_its_lifecycle():
    case = dict(make_case(0), suites=['actions', 'failures/concurrent'])
    found = execute.scenarios(case)
    lifecycle = [s for s, _ in found if s.startswith('lifecycle/')]
    assert [s for s, _ in found][:len(lifecycle)] == lifecycle
    assert lifecycle[-1] == 'lifecycle/delete'
    assert ('actions/suspend', 'action:suspend') in found
    assert found[-3:] == [
        ('failures/concurrent/create', 'failure:concurrent/create'),
        ('failures/concurrent/update-during-update',
         'failure:concurrent/update-during-update'),
        ('failures/concurrent/delete', 'failure:concurrent/delete')]


def test_an_action_that_differs_is_the_finding_with_its_action():
    case = dict(make_case(0), suites=['actions'])
    records = records_of(case)
    for path in PATHS:
        records.append(dict(record(case, 'x', path, observation={
            'stack': 'SUSPEND_COMPLETE', 'outputs': {'o': path}}),
            scenario='actions/suspend'))
    entries = pairing.compare_pairs(records, PATHS, ALLOWANCES)
    status, finding, _, _ = execute.first_finding(case, records, entries,
                                                  PATHS)
    assert status == 'differs'
    assert finding['scenario'] == 'actions/suspend'
    sig = signature.unexplained_signature(finding)
    assert (sig['action'], sig['step']) == ('suspend', 'action:suspend')


def test_a_finding_says_how_to_run_it_again():
    case = dict(make_case(0), suites=['actions', 'failures/concurrent'])
    assert run.reproduce_command(case, 'findings') == (
        'heat-functional gate --templates findings --only fuzz_unit_0 '
        '--actions fuzz_unit_0 --failures fuzz_unit_0')


def test_a_step_heat_did_not_answer_is_an_error_not_a_finding():
    case = make_case(0)
    records = records_of(case, failing=('create', 'convergence'))
    for r in records:
        if r['outcome'] == 'failed':
            r['message'] = 'URLError: <urlopen error timed out>'
    entries = pairing.compare_pairs(records, PATHS, ALLOWANCES)
    status, finding, _, message = execute.first_finding(case, records,
                                                        entries, PATHS)
    assert (status, finding) == ('error', None)
    assert message == ('create on convergence: Heat did not answer '
                       '(URLError: <urlopen error timed out>)')


def test_a_hang_whose_log_names_a_timeout_is_still_a_finding():
    case = make_case(0)
    records = records_of(case, failing=('create', 'convergence'))
    for r in records:
        if r['outcome'] == 'failed':
            r['message'] = ('create: not finished after 600 s\nThe last '
                            'lines of the log:\n  ERROR ConnectionError: '
                            'keystone')
    entries = pairing.compare_pairs(records, PATHS, ALLOWANCES)
    status, finding, _, _ = execute.first_finding(case, records, entries,
                                                  PATHS)
    assert status == 'differs' and finding['failing'] == ['convergence']


# -- the run loop -------------------------------------------------------------

class FakeExecutor(object):
    """Differs at `step` on every run of the cases in `differing`, and
    on the first run only of those in `flaky`; counts its runs."""

    def __init__(self, differing=(), flaky=(), step='create'):
        self.differing = set(differing)
        self.flaky = set(flaky)
        self.step = step
        self.runs = []
        self.lock = threading.Lock()

    def __call__(self, case):
        with self.lock:
            self.runs.append(case['number'])
            first = self.runs.count(case['number']) == 1
        differs = case['number'] in self.differing or (
            case['number'] in self.flaky and first)
        outcome = outcome_of(case, self.step if differs else None)
        if differs:
            outcome.heat_logs = {
                'legacy': {'lines': ['Stack UPDATE FAILED'], 'left_out': 0},
                'convergence': {'lines': [], 'left_out': 0,
                                'why_none': 'no log here'}}
        return outcome


def runner(tmp_path, executor, **asked):
    asked.setdefault('seed', 'unit')
    asked.setdefault('shrink_budget', 5)
    return run.Runner(run.Asked(**asked), make_case, executor, ALLOWANCES,
                      DIVERGENCES, str(tmp_path), schemas=SCHEMAS)


def test_a_clean_run_says_so(tmp_path):
    executor = FakeExecutor()
    summary = runner(tmp_path, executor, count=4, workers=2).run()
    assert sorted(executor.runs) == [0, 1, 2, 3]
    assert summary['cases_run'] == 4
    assert summary['verdicts'] == {'equal': 4}
    assert summary['findings'] == {'new': [], 'known': {}}
    assert run.exit_status(summary) == run.EXIT_CLEAN
    written = json.loads((tmp_path / run.FUZZ_JSON).read_text())
    assert [c['case'] for c in written['cases']] == [0, 1, 2, 3]
    steps = 2 * (len(make_case(0)['steps']) + 1)
    assert written['cases'][0]['outcomes'] == {'lifecycle':
                                               {'passed': steps}}
    assert all(c['seed'] == 'unit' for c in written['cases'])


def test_a_new_finding_is_shrunk_confirmed_and_written(tmp_path):
    executor = FakeExecutor(differing={1})
    summary = runner(tmp_path, executor, count=3, workers=1).run()
    new, = summary['findings']['new']
    assert new['state'] == 'confirmed'
    assert new['cases'] == [1]
    assert new['shrink_calls'] >= 1
    assert executor.runs.count(1) == 1 + new['shrink_calls'] + 2
    assert new['steps'][1] <= new['steps'][0]
    assert (tmp_path / new['minimal']).is_file()
    detail = json.loads((tmp_path / 'findings' /
                         'fuzz_unit_1.finding.json').read_text())
    assert detail['observations']['legacy']['outputs'] == {'o': 'legacy'}
    assert detail['heat_logs'] == {
        'convergence': {'file': None, 'why_none': 'no log here'},
        'legacy': {'file': 'fuzz_unit_1.legacy.heat.log', 'lines': 1,
                   'left_out': 0}}
    assert (tmp_path / 'findings' / 'fuzz_unit_1.legacy.heat.log'
            ).read_text() == 'Stack UPDATE FAILED\n'
    row, = [c for c in summary['cases'] if c['case'] == 1]
    assert row['verdict'] == 'new'
    assert row['signature']['differences'] == [
        ['outputs[\'O\']', 'string', 'string']]
    assert run.exit_status(summary) == run.EXIT_NEW


def test_a_finding_not_seen_again_is_flaky(tmp_path):
    executor = FakeExecutor(flaky={0})
    summary = runner(tmp_path, executor, count=1).run()
    assert summary['findings']['new'] == []
    flaky, = summary['flaky']
    assert flaky['confirmations_of_minimal'] == [False, False]
    # nothing shrank away: the minimal case is the case, run twice more
    assert flaky['confirmations_of_case'] == []
    assert [r['status'] for r in flaky['confirmation_runs']] == [
        'equal'] * 2
    assert summary['verdicts'] == {'flaky': 1}
    assert run.exit_status(summary) == run.EXIT_CLEAN


def test_a_second_case_of_one_signature_is_counted_not_shrunk(tmp_path):
    executor = FakeExecutor(differing={0, 2})
    summary = runner(tmp_path, executor, count=3, workers=1).run()
    new, = summary['findings']['new']
    assert new['count'] == 2 and new['cases'] == [0, 2]
    assert executor.runs.count(2) == 1


def test_an_allowed_difference_is_known(tmp_path, monkeypatch):
    monkeypatch.setattr(signature, 'explain',
                        lambda *a: ('allowed', ['some-allowance']))
    summary = runner(tmp_path, FakeExecutor(differing={0}), count=1).run()
    assert summary['findings'] == {
        'new': [], 'known': {'allowed: some-allowance': 1}}
    assert summary['cases'][0]['verdict'] == 'known'


def test_case_replays_one_case(tmp_path):
    executor = FakeExecutor()
    runner(tmp_path, executor, case=7).run()
    assert executor.runs == [7]


def test_minutes_stop_starting_cases_at_the_deadline(tmp_path):
    now = [0.0]

    def execute_and_tick(case):
        now[0] += 20
        return outcome_of(case)
    made = run.Runner(run.Asked('unit', minutes=1), make_case,
                      execute_and_tick, ALLOWANCES, DIVERGENCES,
                      str(tmp_path), clock=lambda: now[0])
    summary = made.run()
    assert summary['cases_run'] == 3


def test_a_stop_ends_the_run_and_writes_what_ran(tmp_path):
    made = None

    def execute_then_stop(case):
        if case['number'] == 1:
            made.stop_now('stopped by SIGTERM', wait=0)
            return execute.Outcome('stopped')
        return outcome_of(case)
    made = run.Runner(run.Asked('unit', count=50), make_case,
                      execute_then_stop, ALLOWANCES, DIVERGENCES,
                      str(tmp_path))
    summary = made.run()
    assert summary['interrupted'] == 'stopped by SIGTERM'
    assert summary['verdicts'] == {'equal': 1, 'interrupted': 1}
    assert summary['cases_run'] == 1
    assert run.exit_status(summary) == run.EXIT_STOPPED
    written = json.loads((tmp_path / run.FUZZ_JSON).read_text())
    assert written['interrupted'] == 'stopped by SIGTERM'


def test_a_broken_case_is_an_error_and_the_run_goes_on(tmp_path):
    def broken(case):
        if case['number'] == 0:
            raise ValueError('no such thing')
        return outcome_of(case)
    made = run.Runner(run.Asked('unit', count=2), make_case, broken,
                      ALLOWANCES, DIVERGENCES, str(tmp_path))
    summary = made.run()
    assert summary['verdicts'] == {'equal': 1, 'error': 1}
    assert summary['cases'][0]['message'] == 'ValueError: no such thing'
    assert run.exit_status(summary) == run.EXIT_BROKEN


def test_describe_names_the_findings(tmp_path):
    summary = runner(tmp_path, FakeExecutor(differing={0}), count=1).run()
    text = run.describe(summary, str(tmp_path))
    assert 'new findings: 1' in text
    assert 'findings/fuzz_unit_0.yaml' in text


# -- the command's arguments --------------------------------------------------

def test_fuzz_arguments():
    args = cli.build_parser().parse_args(
        ['fuzz', '--seed', 'S', '--count', '3', '-n', '2', '--db',
         'sqlite'])
    assert (args.seed, args.count, args.minutes, args.case, args.workers,
            args.db, args.report_dir) == (
        'S', 3, None, None, 2, 'sqlite', config.FUZZ_REPORT_DIR)
    assert cli.build_parser().parse_args(
        ['fuzz', '--seed', 'S', '--count', '1', '--shrink-budget', '0']
    ).shrink_budget == 0


def test_a_fuzz_runs_waits_follow_its_stack_timeout(monkeypatch, tmp_path):
    parser = cli.build_parser()
    assert parser.parse_args(['fuzz', '--seed', 'S', '--count', '1']
                             ).stack_timeout == config.FUZZ_STACK_TIMEOUT
    seen = []
    monkeypatch.setattr(config, 'STACK_TIMEOUT', 600.0)
    monkeypatch.setattr(
        'heat_functional.fuzz.session.run',
        lambda *args: seen.append(config.STACK_TIMEOUT) or {})
    monkeypatch.setattr(run, 'describe', lambda summary, report_dir: '')
    monkeypatch.setattr(run, 'exit_status', lambda summary: 0)
    assert cli.main(['fuzz', '--seed', 'S', '--count', '1',
                     '--stack-timeout', '45', '--report-dir',
                     str(tmp_path)]) == 0
    assert seen == [45]


def test_a_budget_of_no_runs_confirms_the_case_as_generated(tmp_path):
    executor = FakeExecutor(differing={0})
    summary = runner(tmp_path, executor, count=1, shrink_budget=0).run()
    new, = summary['findings']['new']
    assert new['state'] == 'confirmed' and new['shrink_calls'] == 0
    assert new['shrink_cut_short'] == '--shrink-budget (0 runs) spent'
    assert executor.runs == [0, 0, 0]


@pytest.mark.parametrize('argv, error', [
    (['--count', '3'], '--seed'),
    (['--seed', '1', '--count', '0'], 'at least 1'),
    (['--seed', '1', '--minutes', '0'], 'more than 0'),
    (['--seed', '1', '--case', '-1'], 'case number'),
    (['--seed', '1', '--count', '2', '--case', '1'], 'not allowed'),
    (['--seed', ' ', '--count', '2'], 'seed must not be empty'),
    (['--seed', '1', '--count', '2', '--shrink-budget', '-1'],
     'number of runs'),
    (['--seed', '1', '--count', '2', '--stack-timeout', '0'],
     'at least 1'),
])
def test_fuzz_rejects_bad_arguments(argv, error, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(['fuzz'] + argv)
    assert exited.value.code == 2
    assert error in capsys.readouterr().err


def test_fuzz_needs_how_many(capsys):
    assert cli.main(['fuzz', '--seed', '1']) == run.EXIT_USAGE
    assert '--count N, --minutes M or --case K' in capsys.readouterr().err


def test_fuzz_rejects_a_heat_source_that_is_not_one(tmp_path, capsys):
    assert cli.main(['fuzz', '--seed', '1', '--count', '1',
                     '--heat-source', str(tmp_path)]) == run.EXIT_USAGE
    assert 'is not a Heat checkout' in capsys.readouterr().err


def test_a_case_still_running_at_a_stop_is_listed_interrupted(tmp_path):
    started, release = threading.Event(), threading.Event()

    def stuck(case):
        started.set()
        release.wait(10)
        return execute.Outcome('stopped')
    made = run.Runner(run.Asked('unit', count=3), make_case, stuck,
                      ALLOWANCES, DIVERGENCES, str(tmp_path))
    loop = threading.Thread(target=made.run)
    loop.start()
    assert started.wait(10)
    made.stop_now('stopped by SIGINT', wait=0)
    summary = made.write()
    release.set()
    loop.join(10)
    assert [(c['case'], c['verdict']) for c in summary['cases']] == [
        (0, 'interrupted')]
    assert summary['cases_run'] == 0


def test_an_error_once_the_run_stops_is_an_interruption(tmp_path):
    made = None

    def fails_when_stopped(case):
        made.stop.set()  # as a signal does, while the case runs
        raise ConnectionError('the deployment is gone')
    made = run.Runner(run.Asked('unit', count=3), make_case,
                      fails_when_stopped, ALLOWANCES, DIVERGENCES,
                      str(tmp_path))
    summary = made.run()
    assert summary['verdicts'] == {'interrupted': 1}


def test_the_end_of_minutes_ends_shrinking_and_confirms_the_rest(tmp_path):
    now = [0.0]
    executor = FakeExecutor(differing={0})

    def execute_and_tick(case):
        now[0] += 25
        return executor(case)
    made = run.Runner(run.Asked('unit', minutes=1, shrink_budget=40),
                      make_case, execute_and_tick, ALLOWANCES,
                      DIVERGENCES, str(tmp_path), schemas=SCHEMAS,
                      clock=lambda: now[0])
    summary = made.run()
    new, = summary['findings']['new']
    assert new['state'] == 'confirmed'
    assert new['shrink_cut_short'] == "the run's minutes ended"
    # the case (25 s), shrink runs until 60 s, then two confirmations
    assert new['shrink_calls'] == 2
    assert executor.runs == [0] * 5  # the case, 2 shrink runs, 2 more
    assert summary['cases'][0]['finished_s'] == 125


def test_first_seen_says_when_each_explanation_was_first_met(
        tmp_path, monkeypatch):
    monkeypatch.setattr(signature, 'explain',
                        lambda *a: ('divergence', 'some_template step'))
    now = [0.0]

    def execute_and_tick(case):
        now[0] += 10
        return outcome_of(case, 'create' if case['number'] else None)
    made = run.Runner(run.Asked('unit', count=3), make_case,
                      execute_and_tick, ALLOWANCES, DIVERGENCES,
                      str(tmp_path), clock=lambda: now[0])
    summary = made.run()
    assert summary['first_seen'] == {
        'divergence: some_template step': {'case': 1, 'after_s': 20}}
    assert summary['findings']['known'] == {
        'divergence: some_template step': 2}


def test_a_shrunk_case_that_does_not_confirm_falls_back_to_the_case(
        tmp_path):
    """The shrinker kept a candidate that showed the difference once by
    chance; the generated case shows it every time."""
    original = make_case(1)
    executor = FakeExecutor(differing={1})

    def only_the_whole_case(case):
        if case != original:
            executor.runs.append(case['number'])
            seen = len([n for n in executor.runs if n == 1])
            # shrink candidates differ once (by chance), then never
            return outcome_of(case, 'create' if seen == 2 else None)
        return executor(case)
    made = run.Runner(run.Asked('unit', case=1, shrink_budget=5),
                      make_case, only_the_whole_case, ALLOWANCES,
                      DIVERGENCES, str(tmp_path), schemas=SCHEMAS)
    summary = made.run()
    new, = summary['findings']['new']
    assert new['state'] == 'confirmed'
    assert 'generated case did' in new['note']
    assert new['steps'][0] == new['steps'][1]
    assert summary['flaky'] == []
