"""Unit tests of benchmarks/fuzz_rediscovery.py's reading of fuzz.json."""

from heat_functional.tests.unit import tools

rediscovery = tools.load('fuzz_rediscovery', 'benchmarks')

NAMES = ['a_divergence', 'b_divergence', 'c_divergence', 'd_divergence']


def summary(seed, duration, first_seen, new=0):
    return {'asked': {'seed': seed, 'minutes': 1, 'workers': 2},
            'duration_s': duration, 'cases_run': 3,
            'cases_per_minute': 3.0, 'verdicts': {'equal': 3},
            'findings': {'new': [{}] * new, 'known': {}},
            'first_seen': first_seen, 'cases': []}


def test_each_entry_is_timed_from_the_start_of_the_first_seed():
    runs = [
        summary('s1', 60.0, {
            'divergence: b_divergence lifecycle/create':
                {'case': 4, 'after_s': 50.0},
            'allowed: some-allowance': {'case': 0, 'after_s': 1.0}}),
        summary('s2', 60.0, {
            'divergence: b_divergence lifecycle/grow':
                {'case': 1, 'after_s': 5.0},
            'divergence: a_divergence lifecycle/create':
                {'case': 2, 'after_s': 30.0}}, new=1)]
    result = rediscovery.report(runs, NAMES)
    assert result['entries']['b_divergence'] == {
        'seconds': 50.0, 'seed': 's1', 'case': 4,
        'step': 'lifecycle/create'}
    assert result['entries']['a_divergence']['seconds'] == 90.0
    assert result['entries']['c_divergence'] is None
    assert (result['rediscovered'], result['of']) == (2, 4)
    assert result['at_least_half'] is True
    assert result['new_findings'] == 1
    assert result['seconds_run'] == 120.0
    assert 'not rediscovered' in rediscovery.text(result)


def test_fewer_than_half_is_said():
    result = rediscovery.report([summary('s1', 60.0, {})], NAMES)
    assert result['rediscovered'] == 0
    assert result['at_least_half'] is False


def test_the_entries_are_the_records_of_divergences():
    assert 'nested_output_feeds_sibling' in rediscovery.entries()


def test_todays_records_are_read_from_the_cases_signatures():
    """A record written after the run counts from the case that showed
    it (its signature is in fuzz.json)."""
    records = {('a_divergence', 'lifecycle/again'): {
        'compare': 'exact', 'action': 'update', 'failing': [],
        'locations': ["resources['R'].status"]}}
    run = summary('s1', 60.0, {})
    run['cases'] = [
        {'case': 3, 'finished_s': 40.0, 'signature': {
            'action': 'update', 'failing': [], 'incomplete': False,
            'differences': [["resources['R'].status", 'UPDATE_COMPLETE',
                             'CREATE_COMPLETE']]}},
        {'case': 1, 'finished_s': 20.0, 'signature': None}]
    result = rediscovery.report([run], NAMES, records)
    assert result['entries']['a_divergence'] is None
    assert result['entries_by_todays_records']['a_divergence'] == {
        'seconds': 40.0, 'seed': 's1', 'case': 3,
        'step': 'lifecycle/again'}
    assert result['rediscovered_by_todays_records'] == 1
