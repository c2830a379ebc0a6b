"""Signatures of findings (heat_functional/fuzz/signature.py), and
whether the allowances, known bugs or divergences/ explain them."""

import copy
import glob
import json
import os

import pytest
import yaml

from heat_functional import config
from heat_functional import parity
from heat_functional.fuzz import signature
from heat_functional.results import entry as parity_entry

ALLOWANCES = parity.load_allowances(config.ALLOWANCES_FILE)
DIVERGENCES = signature.load_divergences()


def entry(differences):
    return parity_entry.make('fuzz_1_2', 'lifecycle/u1-nested-input',
                             [dict(d, allowed_by=None) for d in differences])


def finding(differences, step_kind='nested-input', failing=(),
            known_bugs=()):
    return {'template': 'fuzz_1_2', 'scenario': 'lifecycle/u1-' + step_kind,
            'step_kind': step_kind, 'entry': entry(differences),
            'failing': list(failing), 'known_bugs': list(known_bugs)}


STALE_NESTED = [
    {'location': 'outputs.right', 'legacy': 'a+a', 'convergence': 'b+b'},
    {'location': "resources['right/one'].status",
     'legacy': 'CREATE_COMPLETE', 'convergence': 'UPDATE_COMPLETE'},
    {'location': "resources['right/two'].status",
     'legacy': 'CREATE_COMPLETE', 'convergence': 'UPDATE_COMPLETE'},
    {'location': "events['right/one']", 'legacy': [],
     'convergence': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']},
    {'location': "events['right/two']", 'legacy': [],
     'convergence': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']},
]


def renamed(differences, old, new):
    result = copy.deepcopy(differences)
    for difference in result:
        difference['location'] = difference['location'].replace(old, new)
    return result


def test_locations_are_generalised():
    assert signature.generalise("resources['right/one'].status") == \
        "resources['R/R'].status"
    assert signature.generalise("resources['group/0'].status") == \
        "resources['R/N'].status"
    assert signature.generalise("events['<stack>']") == "events['<stack>']"
    assert signature.generalise("events['g/0/<stack>']") == \
        "events['R/N/<stack>']"
    assert signature.generalise('events.copy') == "events['R']"
    assert signature.generalise('outputs.left') == "outputs['O']"
    assert signature.generalise('stack') == 'stack'
    assert signature.generalise('second_update') == 'second_update'


def test_values_are_kinds():
    assert signature.value_kind(parity.ABSENT) == 'absent'
    assert signature.value_kind(None) == 'null'
    assert signature.value_kind('UPDATE_FAILED') == 'UPDATE_FAILED'
    assert signature.value_kind('west+west') == 'string'
    assert signature.value_kind(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']) \
        == '[CREATE_IN_PROGRESS,CREATE_COMPLETE]'
    assert signature.value_kind({'a': 1}) == 'map'
    assert signature.value_kind([1]) == 'list'


def test_two_findings_of_one_bug_share_a_signature():
    first = finding(STALE_NESTED, failing=['legacy'])
    second = finding(renamed(STALE_NESTED, 'right', 'nested3'),
                     failing=['legacy'])
    sign = signature.signature
    assert sign(first['entry'], 'nested-input', ['legacy']) == \
        sign(second['entry'], 'nested-input', ['legacy'])
    other = finding(STALE_NESTED[:1], failing=['legacy'])
    assert sign(other['entry'], 'nested-input', ['legacy']) != \
        sign(first['entry'], 'nested-input', ['legacy'])
    assert sign(first['entry'], 'create', []) != \
        sign(first['entry'], 'nested-input', [])


def test_a_known_divergence_is_counted_not_reported():
    found = finding(renamed(STALE_NESTED, 'right', 'nested2'),
                    failing=['legacy'])
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'nested_output_feeds_sibling lifecycle/rename')


def test_the_same_locations_failing_on_the_other_path_are_new():
    found = finding(STALE_NESTED, failing=['convergence'])
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == ('new',
                                                                 None)


def test_a_divergence_matches_on_its_recorded_locations_and_failures():
    found = finding([{'location': 'stack', 'legacy': 'DELETE_COMPLETE',
                      'convergence': 'DELETE_FAILED'}], step_kind='delete',
                    failing=['convergence'])
    found['scenario'] = 'lifecycle/delete'
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'none_depends_on_swap lifecycle/delete')


def test_a_divergence_whose_locations_vary_needs_at_least_them():
    found = finding([{'location': 'outputs.first', 'legacy': None,
                      'convergence': parity.ABSENT},
                     {'location': "events['<stack>']", 'legacy': [],
                      'convergence': ['ROLLBACK_COMPLETE']}],
                    step_kind='create-fail', failing=['legacy'])
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'failed_create_rolled_back lifecycle/create')
    found['entry']['differences'] = found['entry']['differences'][1:]
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_a_divergence_whose_locations_vary_needs_its_shapes():
    """failed_create_leaves_sibling_uncreated strikes other resources
    from run to run: it lists no location, but each of its shapes."""
    never_started = [
        {'location': 'resources.b.status', 'legacy': 'CREATE_FAILED',
         'convergence': 'INIT_COMPLETE'},
        {'location': 'events.b', 'legacy': [
            'CREATE_IN_PROGRESS', 'CREATE_FAILED'],
         'convergence': parity.ABSENT},
        {'location': 'resources.c.status', 'legacy': 'CREATE_COMPLETE',
         'convergence': 'INIT_COMPLETE'}]
    found = finding(never_started, step_kind='create-fail')
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'failed_create_leaves_sibling_uncreated '
        'lifecycle/create')
    found['entry']['differences'] = entry(never_started[1:])['differences']
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_a_divergence_is_known_by_its_shapes_in_another_shape():
    """Seed rediscover-1's case 141 (differences as its run wrote
    them): the rollback of failed_resource_rolled_back_on_update at an
    ``again`` step, with a dependent resource and an output besides."""
    differences = [
        {'location': "events['<stack>']",
         'legacy': ['UPDATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS',
                    'ROLLBACK_COMPLETE'],
         'convergence': ['UPDATE_IN_PROGRESS', 'UPDATE_FAILED',
                         'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED']},
        {'location': 'events.test3', 'legacy': [
            'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
         'convergence': parity.ABSENT},
        {'location': 'outputs.out2', 'legacy': 'test_string',
         'convergence': None},
        {'location': 'resources.test2.status', 'legacy': 'UPDATE_COMPLETE',
         'convergence': 'CREATE_FAILED'},
        {'location': 'stack', 'legacy': 'ROLLBACK_COMPLETE',
         'convergence': 'ROLLBACK_FAILED'}]
    found = finding(differences, step_kind='again')
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'failed_resource_rolled_back_on_update lifecycle/retry')
    found['failing'] = ['convergence']
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'
    found['failing'] = []
    found['entry']['differences'] = entry(differences[:-1])['differences']
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_an_incomplete_pair_matches_a_divergence_recorded_without_locations():
    found = finding([], step_kind='again', failing=['convergence'])
    found['entry']['incomplete'] = True
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'none_depends_on_swap lifecycle/again')
    found['failing'] = ['legacy']
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == \
        'divergence'   # turn-off of nullable_if_false_on_update
    found['failing'] = ['legacy', 'convergence']
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_an_allowed_difference_is_counted():
    example = ALLOWANCES[0]['examples'][0]
    found = finding([dict(example)], step_kind='replace')
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'allowed', ['replaced-resource-deleted-in-backup-stack'])
    mirrored = dict(example, legacy=example['convergence'],
                    convergence=example['legacy'])
    assert signature.explain(finding([mirrored], step_kind='replace'),
                             ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_a_known_bug_is_counted():
    found = finding([], step_kind='count', known_bugs=[
        'nested-stack-takes-the-option-not-its-root'])
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'known-bug', ['nested-stack-takes-the-option-not-its-root'])


def test_triage_lists_each_new_signature_once_with_its_count():
    new = [{'location': 'outputs.x', 'legacy': 'a', 'convergence': None}]
    findings = [finding(new), finding(renamed(new, 'x', 'y')),
                finding(renamed(STALE_NESTED, 'right', 'n'),
                        failing=['legacy'])]
    result = signature.triage(findings, ALLOWANCES, DIVERGENCES)
    assert len(result['new']) == 1
    assert result['new'][0]['count'] == 2
    assert result['new'][0]['signature']['differences'] == [
        ["outputs['O']", 'string', 'null']]
    assert result['known'] == {
        'divergence: nested_output_feeds_sibling lifecycle/rename': 1}


def test_every_divergence_is_loaded():
    templates = {template for template, _ in DIVERGENCES}
    assert templates == {
        'external_id_back_after_failed_change',
        'failed_create_repaired_by_update', 'failed_create_rolled_back',
        'nested_output_feeds_sibling', 'none_depends_on_swap',
        'nullable_if_false_on_update',
        'conditional_resource_updated_unchanged',
        'failed_resource_rolled_back_on_update',
        'conditional_member_updated_by_batch',
        'failed_create_leaves_sibling_uncreated',
        'failed_update_keeps_old_template'}


def test_the_fuzzers_own_finding_is_known_once_recorded():
    """Seed r1's case 16 (differences as its run wrote them) is
    conditional_resource_updated_unchanged."""
    found = finding([
        {'location': 'events.value1', 'legacy': [
            'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
         'convergence': parity.ABSENT},
        {'location': 'resources.value1.status',
         'legacy': 'UPDATE_COMPLETE', 'convergence': 'CREATE_COMPLETE'}],
        step_kind='in-place')
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence',
        'conditional_resource_updated_unchanged lifecycle/again')


def test_a_divergence_is_known_by_its_heat_log_in_any_shape():
    """none_depends_on_swap's cause after a swap, seen as a rolled-back
    removal (seed r1, case 26): other locations, no failing case, and
    convergence's log names the cycle."""
    differences = [
        {'location': "events['<stack>']",
         'legacy': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
         'convergence': ['UPDATE_IN_PROGRESS', 'UPDATE_FAILED',
                         'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED']},
        {'location': 'stack', 'legacy': 'UPDATE_COMPLETE',
         'convergence': 'ROLLBACK_FAILED'}]
    found = finding(differences, step_kind='remove')
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'
    found['heat_logs'] = {
        'legacy': {'lines': ['Stack UPDATE COMPLETE'], 'left_out': 0},
        'convergence': {'lines': [
            'ERROR heat.engine.service CircularDependencyException: '
            'Circular Dependency Found: {ConvergenceNode(...)}'],
            'left_out': 0}}
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'none_depends_on_swap heat-log')
    # the pattern on the other path only explains nothing
    found['heat_logs'] = {'legacy': found['heat_logs']['convergence'],
                          'convergence': {'lines': [], 'left_out': 0}}
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_a_record_at_any_depth_knows_its_cause_in_a_nested_stack():
    """conditional_resource_updated_unchanged in a provider's provider
    (seed rediscover-1, case 7)."""
    nested = [
        {'location': "events['nested1/nested1/value1']",
         'legacy': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
         'convergence': parity.ABSENT},
        {'location': "resources['nested1/nested1/value1'].status",
         'legacy': 'UPDATE_COMPLETE', 'convergence': 'CREATE_COMPLETE'}]
    assert signature.explain(finding(nested, step_kind='again'),
                             ALLOWANCES, DIVERGENCES) == (
        'divergence',
        'conditional_resource_updated_unchanged lifecycle/again')
    # another location beside it is something else
    more = nested + [{'location': 'outputs.x', 'legacy': 'a',
                      'convergence': 'b'}]
    assert signature.explain(finding(more, step_kind='again'),
                             ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_at_any_depth_keeps_heats_own_levels():
    assert signature.at_any_depth("resources['R/N/R'].status") == \
        "resources['*'].status"
    assert signature.at_any_depth("events['R/<stack>']") == \
        "events['R/<stack>']"
    assert signature.at_any_depth("outputs['O']") == "outputs['O']"


def test_a_batched_groups_conditional_member_is_known_at_create():
    """Seed rediscover-1's case 74: a member's conditional resource."""
    differences = [
        {'location': "events['group1/0/test1']",
         'legacy': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                    'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
         'convergence': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']},
        {'location': "resources['group1/0/test1'].status",
         'legacy': 'UPDATE_COMPLETE', 'convergence': 'CREATE_COMPLETE'}]
    found = dict(finding(differences, step_kind='create'),
                 scenario='lifecycle/create')
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'conditional_member_updated_by_batch lifecycle/create')


#: Seed rediscover-1's case 106: at a ``remove`` step legacy updated a
#: kept Value with a condition that holds, convergence left it alone;
#: both were UPDATE_COMPLETE already, so only its events differ.
CONDITIONAL_KEPT = [
    {'location': 'events.value1',
     'legacy': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
     'convergence': parity.ABSENT}]


def test_a_divergence_is_known_by_the_definition_of_what_it_strikes():
    found = dict(finding(CONDITIONAL_KEPT, step_kind='remove'),
                 definitions={'value1': ['condition', 'properties', 'type'],
                              'plain': ['properties', 'type']})
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence',
        'conditional_resource_updated_unchanged lifecycle/again')
    # in a group member, the batched group's record comes first
    member = dict(found, entry=entry(renamed(
        CONDITIONAL_KEPT, 'events.value1', "events['group/0/value1']")))
    assert signature.explain(member, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'conditional_member_updated_by_batch lifecycle/again')


def test_without_the_definition_the_same_effect_is_new():
    plain = dict(finding(CONDITIONAL_KEPT, step_kind='remove'),
                 definitions={'value1': ['properties', 'type']})
    assert signature.explain(plain, ALLOWANCES, DIVERGENCES)[0] == 'new'
    unknown = finding(CONDITIONAL_KEPT, step_kind='remove')
    assert 'definitions' not in unknown
    assert signature.explain(unknown, ALLOWANCES, DIVERGENCES)[0] == 'new'
    # another difference beside it is something else
    more = dict(finding(CONDITIONAL_KEPT + [
        {'location': 'outputs.x', 'legacy': 'a', 'convergence': 'b'}],
        step_kind='remove'), definitions={'value1': ['condition']})
    assert signature.explain(more, ALLOWANCES, DIVERGENCES)[0] == 'new'
    # a conditional resource beside one without: not all are conditional
    both = dict(finding(CONDITIONAL_KEPT + renamed(
        CONDITIONAL_KEPT, 'value1', 'plain'), step_kind='remove'),
        definitions={'value1': ['condition'], 'plain': ['type']})
    assert signature.explain(both, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_a_record_defined_with_keys_strikes_only_resources_with_them():
    """A record's ``defined_with`` holds for its own templates: every
    resource its locations name is defined with those keys (in the
    divergence's template or a file under divergences/files)."""
    with open(os.path.join(config.DIVERGENCES_DIR, 'expected.json')) as f:
        expected = json.load(f)
    templates = glob.glob(os.path.join(config.DIVERGENCES_DIR, '*.yaml'))
    templates += glob.glob(os.path.join(config.DIVERGENCES_DIR, 'files',
                                        '*.yaml'))
    definitions = {}
    for path in templates:
        with open(path) as f:
            resources = (yaml.safe_load(f) or {}).get('resources') or {}
        for name, definition in resources.items():
            definitions.setdefault(name, []).append(set(definition))
    checked = 0
    for template, record in expected.items():
        keys = set(record.get('defined_with') or ())
        if not keys:
            continue
        named = signature.resource_names(
            [{'location': location}
             for locations in record['differences'].values()
             for location in locations])
        assert named, template
        for name in named:
            found = definitions.get(name)
            assert found and all(keys <= one for one in found), \
                (template, name)
            checked += 1
    assert checked >= 2


# -- a record by the state its step ends in -----------------------------------

#: Seed rediscover-1's case 99, as its run wrote it: an update that
#: removes an output fails on both paths; legacy still shows the output.
OUTPUT_KEPT = [{'location': 'outputs.out1', 'legacy': 'x-alpha-y',
                'convergence': parity.ABSENT}]
FAILED_BOTH = {'legacy': 'UPDATE_FAILED', 'convergence': 'UPDATE_FAILED'}
KEEPS_OLD = ('divergence',
             'failed_update_keeps_old_template lifecycle/fails')


def test_a_failed_updates_kept_template_is_known_in_any_shape():
    found = dict(finding(OUTPUT_KEPT, step_kind='remove'),
                 ended=FAILED_BOTH)
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == KEEPS_OLD
    # case 72: an output and a resource the update adds
    added = dict(finding([
        {'location': 'outputs.new', 'legacy': parity.ABSENT,
         'convergence': 'v'},
        {'location': 'resources.r9', 'legacy': parity.ABSENT,
         'convergence': {'status': 'INIT_COMPLETE'}}], step_kind='add'),
        ended=FAILED_BOTH)
    assert signature.explain(added, ALLOWANCES, DIVERGENCES) == KEEPS_OLD


def test_the_same_difference_after_another_ending_is_new():
    for ended in ({'legacy': 'UPDATE_COMPLETE',
                   'convergence': 'UPDATE_COMPLETE'},
                  {'legacy': 'UPDATE_FAILED', 'convergence': None},
                  {'legacy': 'UPDATE_FAILED'}, None):
        found = dict(finding(OUTPUT_KEPT, step_kind='remove'), ended=ended)
        assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == \
            'new', ended


def test_a_difference_of_another_kind_after_a_failed_update_is_new():
    found = dict(finding(OUTPUT_KEPT + [
        {'location': 'outputs.out2', 'legacy': 'a', 'convergence': 'b'}],
        step_kind='remove'), ended=FAILED_BOTH)
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'
    # a step failing on one path only is another kind of step
    failing = dict(finding(OUTPUT_KEPT, step_kind='remove',
                           failing=['convergence']), ended=FAILED_BOTH)
    assert signature.explain(failing, ALLOWANCES, DIVERGENCES)[0] == 'new'


def test_a_hang_named_by_its_heat_log_is_not_another_records_bare_step():
    """A legacy update that never ended (no observation there) matches
    failed_create_rolled_back's bare incomplete step too; the Heat log
    that names nullable_if_false_on_update's cause comes first."""
    hung = finding([], step_kind='provider', failing=['legacy'])
    hung['entry']['incomplete'] = True
    assert signature.explain(hung, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'failed_create_rolled_back lifecycle/build')
    hung['heat_logs'] = {'legacy': {'lines': [
        'ERROR heat.engine.resource ... Cannot convert Ellipsis to '
        'primitive']}}
    assert signature.explain(hung, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'nullable_if_false_on_update heat-log')


def test_siblings_a_failed_create_never_started_are_known_at_any_depth():
    """Seed rediscover-1's case 102 (2026-12-05), as its run wrote it:
    one broken leaf failed on both paths; legacy had created its
    siblings (a group and a chain with their members), convergence
    never started them. failed_create_leaves_sibling_uncreated, by its
    ``ended_within``; reported as flaky before, since the siblings
    convergence drops change from run to run."""
    done = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']
    differences = [
        {'location': location, 'legacy': done,
         'convergence': parity.ABSENT}
        for location in ('events.chain1', "events['chain1/0']",
                         "events['chain1/<stack>']", 'events.group1',
                         "events['group1/1']", 'events.value1')]
    differences += [
        {'location': 'resources.%s.status' % name,
         'legacy': 'CREATE_COMPLETE', 'convergence': 'INIT_COMPLETE'}
        for name in ('chain1', 'group1', 'test1', 'value1')]
    differences += [
        {'location': "resources['group1/0']", 'legacy': {'status': 'x'},
         'convergence': parity.ABSENT},
        {'location': 'nested', 'legacy': ['chain1', 'group1', 'nested1'],
         'convergence': ['nested1']}]
    failed = {'legacy': 'CREATE_FAILED', 'convergence': 'CREATE_FAILED'}
    found = dict(finding(differences, step_kind='create'), ended=failed)
    assert signature.explain(found, ALLOWANCES, DIVERGENCES) == (
        'divergence', 'failed_create_leaves_sibling_uncreated '
        'lifecycle/create')
    # the same differences after a create that succeeded are new
    found['ended'] = {'legacy': 'CREATE_COMPLETE',
                      'convergence': 'CREATE_COMPLETE'}
    assert signature.explain(found, ALLOWANCES, DIVERGENCES)[0] == 'new'


@pytest.mark.parametrize('location, depth_free', [
    ("events['R/N/<stack>']", "events['*/<stack>']"),
    ("resources['R/N'].status", "resources['*'].status"),
    ("events['<stack>']", "events['<stack>']"),
    ("outputs['O']", "outputs['O']"),
])
def test_depth_free_locations(location, depth_free):
    assert signature.depth_free(location) == depth_free
