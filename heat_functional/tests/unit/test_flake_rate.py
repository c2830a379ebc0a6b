"""Unit tests of benchmarks/flake_rate.py's aggregation."""

import json
import os

from heat_functional.tests.unit import tools

flake_rate = tools.load('flake_rate', 'benchmarks')


def report(*cases):
    return {'cases': [dict(id=i, outcome=o, observation=obs, message=m)
                      for i, o, obs, m in cases]}


def test_steady_flaky_failing_and_unsteady_cases():
    runs = [
        report(('a', 'passed', {'x': 1}, None),
               ('b', 'passed', {'x': 1}, None),
               ('c', 'failed', None, 'broken\nmore'),
               ('d', 'passed', {'x': 1}, None)),
        report(('a', 'passed', {'x': 1}, None),
               ('b', 'failed', None, 'timed out'),
               ('c', 'failed', None, 'broken'),
               ('d', 'passed', {'x': 2}, None)),
        None,  # a run that wrote no report
    ]
    cases, summary = flake_rate.aggregate(runs)
    assert cases['a']['passed'] == 2 and cases['a']['runs'] == 3
    assert summary['passed_every_run'] == 0
    assert set(summary['flaky']) == {'a', 'b', 'd'}
    assert summary['flaky']['b'][1] == (2, 'failed', 'timed out')
    assert summary['always_failed'] == ['c']
    assert summary['unsteady'] == ['d']


def test_all_steady():
    runs = [report(('a', 'passed', {'x': 1}, None),
                   ('s', 'skipped', None, 'unmet'))] * 2
    cases, summary = flake_rate.aggregate(runs)
    assert summary['flaky'] == {} and summary['always_failed'] == []
    assert summary['passed_every_run'] == 1
    assert summary['steady_share'] == 0.5


def test_resume_keeps_only_finished_runs_of_the_same_commit(tmp_path):
    run_dir = str(tmp_path / 'run-1')
    os.makedirs(run_dir)
    assert flake_rate.finished_run(run_dir, 'abc', []) is None  # no report
    flake_rate.record_run(run_dir, {'verdict': 'pass', 'commit': 'abc',
                                    'gate_args': []})
    assert flake_rate.finished_run(run_dir, 'abc', []) is None
    with open(os.path.join(run_dir, 'report.json'), 'w') as f:
        json.dump(report(('a', 'passed', {'x': 1}, None)), f)
    summary, kept = flake_rate.finished_run(run_dir, 'abc', [])
    assert summary['verdict'] == 'pass' and kept['cases'][0]['id'] == 'a'
    assert flake_rate.finished_run(run_dir, 'abd', []) is None
    assert flake_rate.finished_run(run_dir, 'abc', ['--db', 'x']) is None
    assert flake_rate.finished_run(run_dir, 'abc-dirty', []) is None
