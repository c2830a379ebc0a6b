"""Unit tests of benchmarks/flake_rate.py's aggregation."""

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
