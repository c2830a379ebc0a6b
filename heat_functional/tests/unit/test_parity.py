"""Unit tests of heat_functional.parity.

Covers ``differences`` (locations, both values, the ABSENT marker),
``compare`` with allowances and their scope, ``stale_allowances``,
``load_allowances`` (validation, missing file) and the shipped
parity-allowances.yaml.
"""

import copy
import os

import pytest
import yaml

from heat_functional import config
from heat_functional import parity
from heat_functional.results import entry as entry_module

ABSENT = parity.ABSENT


def observation():
    """A small but complete observation of a stack with a nested group."""
    return {
        'stack': 'CREATE_COMPLETE',
        'outputs': {'value': 'a', 'count': 2},
        'resources': {
            'group': {'type': 'OS::Heat::ResourceGroup',
                      'status': 'CREATE_COMPLETE'},
            'group/0': {'type': 'OS::Heat::RandomString',
                        'status': 'CREATE_COMPLETE'},
        },
        'nested': ['group'],
        'events': {
            '<stack>': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
            'group': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
            'group/0': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
            'group/<stack>': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
        },
    }


def pair():
    """Two equal observations, to be made different by a test."""
    return observation(), observation()


def allowance(location, **scope):
    entry = {'id': scope.pop('id', 'allow-1'), 'location': location,
             'reason': 'documented behaviour', 'source': 'heat docs'}
    entry.update(scope)
    return entry


def write_yaml(tmp_path, data):
    path = tmp_path / 'allowances.yaml'
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return str(path)


# -- differences -------------------------------------------------------------

def test_equal_observations_have_no_difference():
    legacy, convergence = pair()
    assert parity.differences(legacy, convergence) == []


def test_missing_output():
    legacy, convergence = pair()
    del convergence['outputs']['count']
    assert parity.differences(legacy, convergence) == [
        {'location': 'outputs.count', 'legacy': 2, 'convergence': ABSENT}]


def test_changed_output_value():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    assert parity.differences(legacy, convergence) == [
        {'location': 'outputs.value', 'legacy': 'a', 'convergence': 'b'}]


def test_extra_resource_is_reported_whole():
    legacy, convergence = pair()
    extra = {'type': 'OS::Heat::RandomString', 'status': 'CREATE_COMPLETE'}
    convergence['resources']['group/1'] = extra
    assert parity.differences(legacy, convergence) == [
        {'location': "resources['group/1']", 'legacy': ABSENT,
         'convergence': extra}]


def test_different_resource_status():
    legacy, convergence = pair()
    convergence['resources']['group/0']['status'] = 'CREATE_FAILED'
    assert parity.differences(legacy, convergence) == [
        {'location': "resources['group/0'].status",
         'legacy': 'CREATE_COMPLETE', 'convergence': 'CREATE_FAILED'}]


def test_different_event_sequence_is_compared_whole():
    legacy, convergence = pair()
    convergence['events']['group/0'] = ['CREATE_IN_PROGRESS',
                                        'CREATE_FAILED']
    assert parity.differences(legacy, convergence) == [
        {'location': "events['group/0']",
         'legacy': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
         'convergence': ['CREATE_IN_PROGRESS', 'CREATE_FAILED']}]


def test_resource_type_change():
    legacy, convergence = pair()
    convergence['resources']['group/0']['type'] = 'OS::Heat::Value'
    assert parity.differences(legacy, convergence) == [
        {'location': "resources['group/0'].type",
         'legacy': 'OS::Heat::RandomString',
         'convergence': 'OS::Heat::Value'}]


def test_stack_own_events_location():
    legacy, convergence = pair()
    del legacy['events']['group/<stack>']
    assert parity.differences(legacy, convergence) == [
        {'location': "events['group/<stack>']", 'legacy': ABSENT,
         'convergence': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']}]


def test_all_differences_at_once_sorted_by_location():
    legacy, convergence = pair()
    del convergence['outputs']['count']
    convergence['outputs']['value'] = 'b'
    convergence['resources']['group/0']['status'] = 'CREATE_FAILED'
    convergence['stack'] = 'CREATE_FAILED'
    found = parity.differences(legacy, convergence)
    assert [d['location'] for d in found] == [
        'outputs.count', 'outputs.value', "resources['group/0'].status",
        'stack']
    assert found[-1] == {'location': 'stack', 'legacy': 'CREATE_COMPLETE',
                         'convergence': 'CREATE_FAILED'}


def test_different_scalars_at_the_root():
    assert parity.differences('a', 'b') == [
        {'location': '<root>', 'legacy': 'a', 'convergence': 'b'}]


def test_differences_do_not_modify_the_observations():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    before = copy.deepcopy((legacy, convergence))
    parity.differences(legacy, convergence)
    assert (legacy, convergence) == before


# -- compare and allowances --------------------------------------------------

def test_compare_equal():
    legacy, convergence = pair()
    assert entry_module.compare('tmpl', 'create', legacy, convergence) == {
              'template': 'tmpl', 'scenario': 'create', 'equal': True,
              'allowed': False, 'differences': [], 'allowed_by': []}


def test_compare_unequal_without_allowance():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    entry = entry_module.compare('tmpl', 'create', legacy, convergence)
    assert (entry['equal'], entry['allowed'], entry['allowed_by']) == (
        False, False, [])
    assert entry['differences'] == [
        {'location': 'outputs.value', 'legacy': 'a', 'convergence': 'b',
         'allowed_by': None}]


def test_allowance_covers_its_difference():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    allowances = [allowance('outputs.value', template='tmpl')]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 allowances)
    assert (entry['equal'], entry['allowed']) == (False, True)
    assert entry['allowed_by'] == ['allow-1']
    assert entry['differences'][0]['allowed_by'] == 'allow-1'


def test_allowance_does_not_cover_a_second_difference_outside_scope():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    del convergence['outputs']['count']
    allowances = [allowance('outputs.value')]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 allowances)
    assert entry['allowed'] is False
    assert {d['location']: d['allowed_by']
            for d in entry['differences']} == {
        'outputs.count': None, 'outputs.value': 'allow-1'}
    assert entry['allowed_by'] == ['allow-1']


def test_allowance_does_not_cover_another_template():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    allowances = [allowance('outputs.value', template='tmpl')]
    entry = entry_module.compare('other', 'create', legacy, convergence,
                                 allowances)
    assert entry['allowed'] is False
    assert entry['differences'][0]['allowed_by'] is None


def test_allowance_does_not_cover_another_scenario():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    allowances = [allowance('outputs.value', scenario='update*')]
    assert entry_module.compare('tmpl', 'create', legacy, convergence,
                                allowances)['allowed'] is False
    assert entry_module.compare('tmpl', 'update_replace', legacy, convergence,
                                allowances)['allowed'] is True


def test_allowance_star_is_the_only_wildcard():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    del convergence['outputs']['count']
    allowances = [allowance('outputs.*', template='tm*')]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 allowances)
    assert entry['allowed'] is True
    assert [d['allowed_by'] for d in entry['differences']] == [
        'allow-1', 'allow-1']
    literal = [allowance('outputs.*', template='tm?l')]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 literal)
    assert entry['allowed'] is False


def test_first_matching_allowance_wins():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    allowances = [allowance('outputs.value', id='first'),
                  allowance('outputs.*', id='second')]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 allowances)
    assert entry['allowed_by'] == ['first']


def test_allowance_with_exact_bracketed_location():
    legacy, convergence = pair()
    convergence['resources']['group/0']['status'] = 'CREATE_FAILED'
    allowances = [allowance("resources['group/0'].status")]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 allowances)
    assert entry['allowed'] is True


def test_allowance_with_documented_bracketed_pattern():
    legacy, convergence = pair()
    convergence['events']['group/0'] = ['CREATE_IN_PROGRESS',
                                        'CREATE_FAILED']
    allowances = [allowance("events['group/*']")]
    entry = entry_module.compare('tmpl', 'create', legacy, convergence,
                                 allowances)
    assert entry['allowed'] is True


def test_stale_allowances_lists_those_that_covered_nothing():
    legacy, convergence = pair()
    convergence['outputs']['value'] = 'b'
    allowances = [allowance('outputs.value', id='used'),
                  allowance('stack', id='unused')]
    entries = [entry_module.compare('tmpl', 'create', legacy, convergence,
                                    allowances)]
    assert parity.stale_allowances(allowances, entries) == ['unused']


def test_stale_allowances_all_stale_without_differences():
    legacy, convergence = pair()
    allowances = [allowance('stack', id='a'), allowance('nested', id='b')]
    entries = [entry_module.compare('tmpl', 'create', legacy, convergence,
                                    allowances)]
    assert parity.stale_allowances(allowances, entries) == ['a', 'b']


# -- load_allowances ---------------------------------------------------------

def test_load_allowances_valid_file(tmp_path):
    entries = [allowance('outputs.value', template='t*', scenario='create')]
    assert parity.load_allowances(write_yaml(tmp_path, entries)) == entries


def test_load_allowances_missing_file(tmp_path):
    assert parity.load_allowances(str(tmp_path / 'nothing.yaml')) == []


def test_load_allowances_empty_file(tmp_path):
    assert parity.load_allowances(write_yaml(tmp_path, '')) == []


@pytest.mark.parametrize('missing', ['reason', 'source', 'id', 'location'])
def test_load_allowances_rejects_entry_without(tmp_path, missing):
    entry = allowance('outputs.value')
    del entry[missing]
    path = write_yaml(tmp_path, [entry])
    with pytest.raises(parity.AllowanceError) as err:
        parity.load_allowances(path)
    assert str(err.value).startswith('%s: allowance 1:' % path)
    assert repr(missing) in str(err.value)


def test_load_allowances_rejects_blank_reason(tmp_path):
    entry = allowance('outputs.value', reason='   ')
    with pytest.raises(parity.AllowanceError, match="'reason' is required"):
        parity.load_allowances(write_yaml(tmp_path, [entry]))


def test_load_allowances_rejects_unknown_key(tmp_path):
    entries = [allowance('stack'), allowance('outputs.*', comment='x')]
    with pytest.raises(parity.AllowanceError,
                       match=r'allowance 2: unknown key\(s\) comment'):
        parity.load_allowances(write_yaml(tmp_path, entries))


def test_load_allowances_rejects_a_mapping_at_top(tmp_path):
    with pytest.raises(parity.AllowanceError,
                       match='expected a list of allowances'):
        parity.load_allowances(write_yaml(tmp_path, {'id': 'x'}))


def test_load_allowances_rejects_invalid_yaml(tmp_path):
    with pytest.raises(parity.AllowanceError, match='not valid YAML'):
        parity.load_allowances(write_yaml(tmp_path, '- [unclosed\n'))


def test_shipped_allowances_file_parses():
    assert os.path.isfile(config.ALLOWANCES_FILE)
    entries = parity.load_allowances(config.ALLOWANCES_FILE)
    assert isinstance(entries, list)
    ids = [entry['id'] for entry in entries]
    assert len(ids) == len(set(ids))


def test_convergence_appends_covers_only_the_same_sequence_plus_its_tail():
    rule = {'id': 'tail', 'location': 'events*', 'reason': 'r',
            'source': 's', 'legacy': '*"CREATE_COMPLETE"]',
            'convergence_appends': ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']}
    created = ['CREATE_IN_PROGRESS', 'SIGNAL_IN_PROGRESS', 'CREATE_COMPLETE']
    covered = {'location': "events.deploy", 'legacy': created,
               'convergence': created + ['DELETE_IN_PROGRESS',
                                         'DELETE_COMPLETE']}
    assert parity.allowance_matches(rule, 't', 's', covered)
    other_prefix = dict(covered, convergence=['CREATE_IN_PROGRESS',
                                              'CREATE_COMPLETE',
                                              'DELETE_IN_PROGRESS',
                                              'DELETE_COMPLETE'])
    assert not parity.allowance_matches(rule, 't', 's', other_prefix)
    other_tail = dict(covered, convergence=created + ['DELETE_IN_PROGRESS'])
    assert not parity.allowance_matches(rule, 't', 's', other_tail)
    twice = dict(covered, convergence=created + ['DELETE_IN_PROGRESS',
                                                 'DELETE_COMPLETE'] * 2)
    assert not parity.allowance_matches(rule, 't', 's', twice)


def test_repeated_tail_covers_that_many_whole_tails_or_more():
    pair = ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']
    rule = {'id': 'tails', 'location': 'events*', 'reason': 'r',
            'source': 's', 'convergence_appends': pair, 'repeated': 2}
    created = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']

    def covers(convergence):
        return parity.allowance_matches(
            rule, 't', 's', {'location': 'events.res', 'legacy': created,
                             'convergence': convergence})

    assert covers(created + pair * 2)
    assert covers(created + pair * 3)
    assert not covers(created + pair)
    assert not covers(created + pair * 2 + ['DELETE_IN_PROGRESS'])
    assert not covers(created + pair + ['DELETE_COMPLETE',
                                        'DELETE_IN_PROGRESS'])
    assert not covers(['CREATE_IN_PROGRESS'] + pair * 2)


@pytest.mark.parametrize('repeated', [0, True, '2', 1.5])
def test_repeated_must_be_a_whole_number_with_a_tail(tmp_path, repeated):
    bad = tmp_path / 'allowances.yaml'
    bad.write_text(yaml.safe_dump([{
        'id': 'x', 'location': 'events*', 'reason': 'r', 'source': 's',
        'convergence_appends': ['DELETE_COMPLETE'], 'repeated': repeated}]))
    with pytest.raises(parity.AllowanceError, match='repeated'):
        parity.load_allowances(str(bad))
    bad.write_text(yaml.safe_dump([{
        'id': 'x', 'location': 'events*', 'reason': 'r', 'source': 's',
        'repeated': 2}]))
    with pytest.raises(parity.AllowanceError, match='repeated'):
        parity.load_allowances(str(bad))
