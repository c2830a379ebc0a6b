"""The shrinker (heat_functional/fuzz/shrink.py) with synthetic
predicates: it must reach the known minimal case, keep every candidate
valid, and stay within its budget."""

import os

from heat_functional.fuzz import edit
from heat_functional.fuzz import generate
from heat_functional.fuzz import schema
from heat_functional.fuzz import shrink
from heat_functional.fuzz import validity

SCHEMAS = schema.load(os.path.join(os.path.dirname(__file__),
                                   'fuzz_schemas.json'))


def test_ddmin_finds_the_one_minimal_subset():
    calls = []

    def interesting(kept):
        calls.append(kept)
        return {3, 11, 17} <= set(kept)
    assert shrink.ddmin(list(range(20)), interesting) == [3, 11, 17]
    assert len(calls) < 60


def test_ddmin_keeps_everything_when_everything_matters():
    assert shrink.ddmin([1, 2, 3], lambda kept: len(kept) == 3) == [1, 2, 3]


def test_ddmin_can_drop_everything():
    assert shrink.ddmin([1, 2, 3, 4], lambda kept: True) == []


def big_case():
    """A case with much that the synthetic bug does not need: the bug
    needs a TestResource with update_replace true that depends on a
    ResourceGroup, and the update that changes its value."""
    template = {
        'heat_template_version': '2016-10-14',
        'parameters': {'word': {'type': 'string', 'default': 'alpha'},
                       'count': {'type': 'number', 'default': 2},
                       'flag': {'type': 'boolean', 'default': True}},
        'conditions': {'c_flag': {'get_param': 'flag'}},
        'resources': {
            'group': {'type': 'OS::Heat::ResourceGroup',
                      'properties': {'count': {'get_param': 'count'},
                                     'resource_def': {
                                         'type': 'OS::Heat::None'}}},
            'value': {'type': 'OS::Heat::Value',
                      'properties': {'value': {'get_param': 'word'}}},
            'other': {'type': 'OS::Heat::TestResource',
                      'condition': 'c_flag',
                      'properties': {'value': 'x'}},
            'target': {'type': 'OS::Heat::TestResource',
                       'depends_on': ['group', 'value'],
                       'deletion_policy': 'Retain',
                       'metadata': {'k': 'v'},
                       'properties': {
                           'update_replace': True,
                           'value': {'get_attr': ['value', 'value']},
                           'action_wait_secs': {'create': 1}}},
            'random': {'type': 'OS::Heat::RandomString',
                       'properties': {'length': 8}},
        },
        'outputs': {'a': {'value': {'get_attr': ['target', 'output']}},
                    'b': {'value': {'get_attr': ['random', 'value']}},
                    'c': {'value': {'get_param': 'word'}}},
    }

    def step(name, kind, value):
        changed = edit.without_property(template, 'target', 'value')
        changed['resources']['target']['properties']['value'] = value
        return {'name': name, 'kind': kind, 'template': changed,
                'providers': {}, 'parameters': {'word': 'bravo'},
                'rollback': False, 'expect': None}
    steps = [step('create', 'create', 'one'),
             step('u1-again', 'again', 'one'),
             step('u2-in-place', 'in-place', 'two'),
             step('u3-again', 'again', 'two')]
    return {'name': 'big', 'seed': 0, 'number': 0, 'version': '2016-10-14',
            'requires': [], 'steps': steps}


def needs_group(template, name):
    graph = edit.requires(template)
    resources = template.get('resources') or {}
    seen, todo = set(), list(graph.get(name, ()))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(graph.get(current, ()))
    return any(resources.get(n, {}).get('type') ==
               'OS::Heat::ResourceGroup' for n in seen)


def replacing_after_group(case):
    """The synthetic bug: an update changes the value of a TestResource
    with update_replace true that depends on a ResourceGroup."""
    for before, after in zip(case['steps'], case['steps'][1:]):
        for name, definition in (after['template'].get('resources')
                                 or {}).items():
            props = definition.get('properties') or {}
            old = ((before['template'].get('resources') or {}).get(name)
                   or {}).get('properties') or {}
            if definition['type'] == 'OS::Heat::TestResource' and \
                    props.get('update_replace') is True and \
                    props.get('value') != old.get('value') and \
                    needs_group(after['template'], name):
                return True
    return False


def test_shrink_reaches_the_known_minimum():
    case = big_case()
    assert replacing_after_group(case)
    small, calls = shrink.shrink(case, replacing_after_group, SCHEMAS)
    # two steps: the create and one update that changes the value
    # (u2-in-place or u3-again: either is as small)
    assert len(small['steps']) == 2
    values = [s['template']['resources']['target']['properties']['value']
              for s in small['steps']]
    assert values == ['one', 'two']
    for step in small['steps']:
        template = step['template']
        assert set(template) == {'heat_template_version', 'resources'}
        resources = template['resources']
        assert sorted(resources) == ['group', 'target']
        assert resources['target']['depends_on'] == ['group']
        assert sorted(resources['target']['properties']) == [
            'update_replace', 'value']
        # count goes too (the default, 1, still makes a group); the
        # member definition is required
        assert resources['group']['properties'] == {
            'resource_def': {'type': 'OS::Heat::None'}}
        assert set(resources['group']) == {'type', 'properties'}
    assert validity.case_problems(small, SCHEMAS) == []
    assert calls < 200


def test_every_candidate_tried_is_valid():
    tried = []

    def predicate(case):
        tried.append(case)
        return replacing_after_group(case)
    shrink.shrink(big_case(), predicate, SCHEMAS)
    assert tried
    assert all(validity.case_problems(c, SCHEMAS) == [] for c in tried)


def test_a_generated_case_shrinks_to_one_resource():
    case = next(c for c in (generate.case(SCHEMAS, 9, k)
                            for k in range(50))
                if len(c['steps'][0]['template']['resources']) > 3 and
                any(d['type'] == 'OS::Heat::RandomString' for d in
                    c['steps'][0]['template']['resources'].values()))

    def has_random_string(candidate):
        return any(d['type'] == 'OS::Heat::RandomString'
                   for d in candidate['steps'][0]['template'].get(
                       'resources', {}).values())
    small, _ = shrink.shrink(case, has_random_string, SCHEMAS)
    template = small['steps'][0]['template']
    assert [d['type'] for d in template['resources'].values()] == [
        'OS::Heat::RandomString']
    assert 'properties' not in list(template['resources'].values())[0]
    assert len(small['steps']) == 1 and not small['steps'][0]['providers']


def test_the_budget_bounds_the_runs():
    calls = []

    def predicate(case):
        calls.append(1)
        return replacing_after_group(case)
    small, count = shrink.shrink(big_case(), predicate, SCHEMAS, budget=5)
    assert count == len(calls) == 5
    assert replacing_after_group(small)


def test_removing_a_resource_rewrites_what_names_it():
    template = big_case()['steps'][0]['template']
    changed = edit.without_resource(template, 'value')
    target = changed['resources']['target']
    assert target['depends_on'] == ['group']
    assert target['properties']['value'] == 'one'
    changed = edit.without_resource(template, 'target')
    assert 'a' not in changed['outputs']
    assert validity.problems(changed, {}, SCHEMAS) == []


def test_a_suite_the_difference_does_not_need_is_dropped():
    case = dict(generate.case(SCHEMAS, 9, 0),
                suites=['actions', 'failures/concurrent'])

    def needs_actions(candidate):
        return 'actions' in candidate.get('suites', ())
    small, _ = shrink.shrink(case, needs_actions, SCHEMAS)
    assert small['suites'] == ['actions']
