"""Unit tests of the noise pass (heat_functional.noise_pass and its use
by the command line, the pytest plugin and the plan).

When it runs (not with --no-noise-pass, --repeat above 1, after an
interrupted or broken run, or when no create differs); the pytest
command and spec it runs with (the lifecycle suite's create alone, as
repetition 2, no -k, few workers); the plan it extends; and a whole
gate with a fake pytest: the pass's records beside the run's, the
report of both, a Ctrl-C during the pass.
"""

import contextlib
import os
import signal

import pytest

from heat_functional import cli
from heat_functional import config
from heat_functional import noise_pass
from heat_functional import plan
from heat_functional import plugin
from heat_functional import records
from heat_functional import run_spec
from heat_functional.results import report
from heat_functional.tests.unit.results import test_noise
from heat_functional.tests.unit.results import test_repeats

DIFFERS = {'parity': [{'template': 'random', 'scenario': 'lifecycle/create',
                       'differences': [{'location': 'outputs.value'}],
                       'equal': False, 'allowed': False}],
           'interrupted': None}


def parse(*argv):
    return cli.build_parser().parse_args(list(argv))


# -- when ---------------------------------------------------------------------
def test_it_runs_after_a_run_whose_create_differs():
    assert noise_pass.templates(parse('gate'), DIFFERS, 1) == ['random']
    assert noise_pass.templates(parse('run'), DIFFERS, 0) == ['random']


@pytest.mark.parametrize('argv, status, interrupted', [
    (('gate', '--no-noise-pass'), 1, None),
    (('gate', '--repeat', '2'), 1, None),
    (('gate',), 2, None),
    (('gate',), -9, None),
    (('gate',), 3, None),
    (('gate',), 1, 'stopped by SIGINT'),
])
def test_it_does_not_run(argv, status, interrupted):
    found = dict(DIFFERS, interrupted=interrupted)
    assert noise_pass.templates(parse(*argv), found, status) == []


def test_nothing_to_learn_after_equal_creates():
    assert noise_pass.templates(parse('gate'), {'parity': []}, 0) == []


# -- how --------------------------------------------------------------------
def test_its_spec_selects_the_templates_as_the_noise_pass(monkeypatch):
    monkeypatch.delenv(config.RUN_SPEC_ENV, raising=False)
    args = parse('gate', '--only', 'random,other,third', '--strict')
    env = cli.pytest_environment(args, '/r')
    changed = noise_pass.environment(env, ['random', 'other'])
    spec = run_spec.current(changed)
    assert spec.noise_pass and spec.only == 'random,other'
    assert spec.strict and spec.report_dir == '/r'
    assert not run_spec.current(env).noise_pass  # the run's is untouched


@pytest.mark.parametrize('workers, chosen, expected', [
    ('12', ['a'], '2'), ('12', ['a', 'b', 'c', 'd', 'e', 'f', 'g'], '12'),
    ('3', ['a', 'b'], '3'), ('0', ['a'], '0'), ('auto', ['a'], 'auto'),
])
def test_its_command_line(workers, chosen, expected):
    args = parse('gate', '-n', workers, '-k', 'test_lifecycle', '--',
                 '--timeout', '60')
    changed = noise_pass.arguments(args, chosen)
    assert changed.workers == expected and changed.keyword is None
    assert args.workers == workers and args.keyword == 'test_lifecycle'
    argv = cli.pytest_command(changed, '/r', os.path.join(
        cli.SCENARIOS_DIR, cli.LIFECYCLE_SUITE), config.NOISE_PASS_JUNIT_XML)
    assert argv[3].endswith('scenarios/test_lifecycle.py')
    assert '/r/junit-noise-pass.xml' in argv and '-k' not in argv
    assert argv[-2:] == ['--timeout', '60']


def test_the_lifecycle_is_its_create_alone_as_repetition_2(
        monkeypatch, tmp_path):
    spec = run_spec.RunSpec(report_dir=str(tmp_path / 'r'),
                            templates_dir=str(tmp_path), noise_pass=True)
    (tmp_path / 'group.yaml').write_text(
        'heat_template_version: 2021-04-16\nresources: {}\n')
    monkeypatch.setenv(config.RUN_SPEC_ENV, spec.to_json())
    metafunc = test_repeats.FakeMetafunc(['template', 'step', 'path',
                                          'repetition'])
    plugin.pytest_generate_tests(metafunc)
    assert [p.id for p in metafunc.values] == [
        'group-create-legacy-r2', 'group-create-convergence-r2']
    assert [p.values[3] for p in metafunc.values] == [2, 2]
    assert metafunc.values[0].marks[0].args == ('group.legacy.r2',)


def test_the_plan_is_extended_once(tmp_path):
    first = plan.make('lifecycle', 't', 'create', 'legacy', 1)
    second = plan.make('lifecycle', 't', 'create', 'legacy', 2,
                       numbered=True)
    plan.write(str(tmp_path), [first], run_id='r')
    plan.extend(str(tmp_path), [second], run_id='r')
    plan.extend(str(tmp_path), [second], run_id='r')  # another worker
    assert [k.case_id for k in plan.read(str(tmp_path))] == [
        'test_lifecycle[t-create-legacy]',
        'test_lifecycle[t-create-legacy-r2]']


def test_the_report_keeps_what_the_run_measured():
    first = {'duration_s': 100.0, 'pytest_exit_status': 1,
             'performance': {'cpu': 1}, 'resource_types': {'legacy': []}}
    final = {'duration_s': 20.0, 'pytest_exit_status': 0,
             'performance': {'cpu': 2}, 'cases': [], 'verdict': 'pass'}
    merged, reasons = noise_pass.merge(first, final, 1, ['t'], 20.04)
    assert merged['duration_s'] == 120.04
    assert merged['pytest_exit_status'] == 1
    assert merged['performance'] == {'cpu': 1}
    assert merged['resource_types'] == {'legacy': []}
    assert merged['noise_pass'] == {
        'templates': ['t'], 'duration_s': 20.0, 'pytest_exit_status': 0,
        'performance': {'cpu': 2}}
    # Status 1 with no failed record: the run's pytest said more.
    assert reasons == ['pytest reported failed tests (exit status 1) that '
                       'no case record shows: see junit.xml']


# -- a whole gate, with a fake pytest ----------------------------------
class FakePytest(object):
    """Writes the records (and plan, and report) the real sessions would:
    the run's RandomString creates, then the noise pass's. `stop` makes
    the pass end as a Ctrl-C does."""

    def __init__(self, stop=False):
        self.calls = []
        self.stop = stop

    def __call__(self, argv, env, report_dir):
        self.calls.append((argv, run_spec.current(env)))
        spec = self.calls[-1][1]
        repetition = 2 if spec.noise_pass else 1
        values = test_noise.RANDOM[repetition - 1::2]
        cases = [dict(test_noise.case(path, repetition, value),
                      id=plan.make('lifecycle', 'random', 'create', path,
                                   repetition, spec.noise_pass).case_id)
                 for path, value in zip(config.PATH_NAMES, values)]
        keys = [plan.make('lifecycle', 'random', 'create', c['path'],
                          repetition, spec.noise_pass) for c in cases]
        (plan.extend if spec.noise_pass else plan.write)(report_dir, keys)
        interrupted = None
        if self.stop:
            cases = cases[:1]
            interrupted = records.interruption(report_dir) or \
                'stopped by SIGINT'
        for made in cases:
            records.write(report_dir, made)
        report.write(report.from_records(
            report_dir, None, list(config.PATH_NAMES),
            planned=plan.read(report_dir), interrupted=interrupted,
            exit_status=2 if self.stop else 0), report_dir)
        if self.stop:
            return 2, signal.SIGINT
        # Every case passed: the difference is the report's, not pytest's.
        return 0, None


def gate(monkeypatch, tmp_path, fake, *options):
    monkeypatch.setattr(cli, 'run_pytest', fake)
    monkeypatch.setattr(cli.live_runs, 'register',
                        lambda run_id: contextlib.nullcontext())
    monkeypatch.delenv(config.RUN_SPEC_ENV, raising=False)
    args = parse('gate', '--report-dir', str(tmp_path), *options)
    return cli.run_suites(args, str(tmp_path))


def test_a_gate_learns_the_noise_and_passes_by_shape(monkeypatch, tmp_path):
    fake = FakePytest()
    status = gate(monkeypatch, tmp_path, fake)
    assert len(fake.calls) == 2
    argv, spec = fake.calls[1]
    assert spec.noise_pass and spec.only == 'random'
    assert argv[3].endswith('test_lifecycle.py')
    built = report.read(str(tmp_path))
    assert built['verdict'] == 'pass', built['reasons']
    assert status == 0
    assert built['noise_pass']['templates'] == ['random']
    assert built['planned'] == 4 and built['missing'] == []
    [entry] = built['parity']
    assert entry['comparisons'] == 4
    assert entry['noisy_by_shape'][0]['legacy'] == test_noise.RANDOM[:2]


def test_without_the_pass_the_same_gate_fails(monkeypatch, tmp_path):
    fake = FakePytest()
    status = gate(monkeypatch, tmp_path, fake, '--no-noise-pass')
    assert len(fake.calls) == 1 and status == 1  # the gate's verdict
    built = report.read(str(tmp_path))
    assert built['verdict'] == 'fail' and 'noise_pass' not in built


def test_a_ctrl_c_during_the_pass_still_writes_the_report(
        monkeypatch, tmp_path):
    fake = FakePytest()

    def stop_in_the_pass(argv, env, report_dir):
        if fake.calls:
            fake.stop = True
            records.note_interruption(report_dir, 'stopped by SIGINT')
        return fake(argv, env, report_dir)
    status = gate(monkeypatch, tmp_path, stop_in_the_pass)
    assert status == 128 + signal.SIGINT
    built = report.read(str(tmp_path))
    assert built['verdict'] == 'fail'
    assert built['interrupted'] == 'stopped by SIGINT'
    assert built['missing'] == [
        'test_lifecycle[random-create-convergence-r2]']
    assert built['noise_pass']['templates'] == ['random']
