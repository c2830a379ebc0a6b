"""The fuzzer's generator and lifecycles (heat_functional/fuzz), no Heat.

Generated templates come from the schemas in fuzz_schemas.json, which
tools/capture_fuzz_schemas.py captured from Heat's own code. Every
generated case, for many seeds (Hypothesis), has no structural problem
(validity.py); the checks themselves are shown to fail on broken
templates.
"""

import collections
import copy
import json
import os

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from heat_functional import config
from heat_functional import corpus
from heat_functional.fuzz import generate
from heat_functional.fuzz import lifecycles
from heat_functional.fuzz import schema
from heat_functional.fuzz import validity

FIXTURE = os.path.join(os.path.dirname(__file__), 'fuzz_schemas.json')
SCHEMAS = schema.load(FIXTURE)


def cases(count, seed='s', **kwargs):
    return [generate.case(SCHEMAS, seed, k, **kwargs) for k in range(count)]


def all_templates(case):
    for step in case['steps']:
        yield step['template']
        yield from step['providers'].values()


def resource_definitions(case):
    for template in all_templates(case):
        yield from (template.get('resources') or {}).values()


def test_a_case_depends_on_its_seed_and_number_only():
    alone = generate.case(SCHEMAS, 42, 7)
    cases(7, seed=42)   # others before it change nothing
    assert generate.case(SCHEMAS, 42, 7) == alone
    assert generate.case(SCHEMAS, 42, 8) != alone
    assert generate.case(SCHEMAS, 43, 7) != alone
    assert alone['name'] == 'fuzz_42_7'


def test_a_case_is_plain_json_data():
    for case in cases(40):
        assert json.loads(json.dumps(case)) == case


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10 ** 9), number=st.integers(0, 10 ** 4))
def test_every_generated_case_is_structurally_valid(seed, number):
    case = generate.case(SCHEMAS, seed, number)
    assert validity.case_problems(case, SCHEMAS) == []


def test_the_checks_find_what_is_broken():
    case = generate.case(SCHEMAS, 1, 1)
    good = copy.deepcopy(case['steps'][0]['template'])
    providers = case['steps'][0]['providers']
    assert validity.problems(good, providers, SCHEMAS) == []
    broken = {
        'dangling get_attr': {'x': {'type': 'OS::Heat::TestResource',
                                    'properties': {'value': {
                                        'get_attr': ['nothing', 'o']}}}},
        'cycle': {'a': {'type': 'OS::Heat::None', 'depends_on': 'b'},
                  'b': {'type': 'OS::Heat::None', 'depends_on': ['a']}},
        'required': {'v': {'type': 'OS::Heat::Value'}},
        'range': {'r': {'type': 'OS::Heat::RandomString',
                        'properties': {'length': 0}}},
        'unknown property': {'n': {'type': 'OS::Heat::None',
                                   'properties': {'colour': 'red'}}},
        'not offered': {'s': {'type': 'OS::Nova::Server'}},
        'provider': {'p': {'type': 'Fuzz::Nowhere'}},
    }
    for why, resources in broken.items():
        template = {'heat_template_version': '2015-04-30',
                    'resources': resources}
        assert validity.problems(template, {}, SCHEMAS), why
    late = {'heat_template_version': '2015-04-30', 'resources': {
        'v': {'type': 'OS::Heat::Value', 'properties': {
            'value': {'list_concat': [[1], [2]]}}}}}
    assert 'not a function of this version' in str(
        validity.problems(late, {}, SCHEMAS))


def test_properties_come_from_the_schema_not_the_generator():
    data = json.load(open(FIXTURE))
    test = data['schemas']['OS::Heat::TestResource']['properties']
    test['brand_new'] = {'type': 'string', 'required': False,
                         'update_allowed': True, 'immutable': False}
    del test['update_replace']
    changed = schema.from_json(data)
    used = collections.Counter()
    for number in range(150):
        case = generate.case(changed, 's', number)
        for definition in resource_definitions(case):
            if definition.get('type') == 'OS::Heat::TestResource':
                used.update(list(definition.get('properties') or {}))
        assert validity.case_problems(case, changed) == []
    assert used['brand_new'] > 0
    assert used['update_replace'] == 0


def test_a_type_the_deployment_does_not_offer_is_never_used():
    data = json.load(open(FIXTURE))
    data['resource_types'].remove('OS::Heat::ResourceChain')
    narrower = schema.from_json(data)
    for case in [generate.case(narrower, 's', k) for k in range(100)]:
        assert 'OS::Heat::ResourceChain' not in generate.used_types(
            case['steps'])


def test_without_keystone_no_type_needs_it():
    for case in cases(100, keystone=False):
        assert not generate.used_types(case['steps']) & set(
            config.FUZZ_KEYSTONE_TYPES)
        assert case['requires'] == []
    needing = [c for c in cases(100) if c['requires']]
    assert needing and all(generate.used_types(c['steps']) & set(
        config.FUZZ_KEYSTONE_TYPES) for c in needing)


def test_what_the_generator_covers():
    """Over a few hundred cases: every type, several levels of
    providers, conditions, dependencies, policies, every step kind."""
    seen = collections.Counter()
    for case in cases(300):
        seen['version ' + case['version']] += 1
        for step in case['steps']:
            seen['step ' + step['kind']] += 1
        for template in all_templates(case):
            if template.get('conditions'):
                seen['conditions'] += 1
        for definition in resource_definitions(case):
            seen[definition['type']] += 1
            for key in ('depends_on', 'deletion_policy', 'update_policy',
                        'external_id', 'condition'):
                seen[key] += key in definition
        seen['depth %d' % max([0] + [
            int(t[len('Fuzz::P'):]) for t in
            case['steps'][0]['providers']])] += 1
    for type_name in config.FUZZ_TYPES:
        assert seen[type_name], type_name
    for version in config.FUZZ_VERSIONS:
        assert seen['version ' + version], version
    for kind in set(lifecycles.MUTATIONS) | {'create', 'create-fail'}:
        assert seen['step ' + kind], kind
    for key in ('conditions', 'depends_on', 'deletion_policy',
                'update_policy', 'external_id', 'condition', 'depth 3'):
        assert seen[key], key


def functions_used(node):
    found = collections.Counter()
    if isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            found[key] += 1
            if key == 'if' and isinstance(value, list) and len(value) == 2:
                found['if/2'] += 1
        for value in node.values():
            found.update(functions_used(value))
    elif isinstance(node, list):
        for item in node:
            found.update(functions_used(item))
    return found


def test_every_function_the_configuration_names_is_used():
    used = collections.Counter()
    for case in cases(300):
        for template in all_templates(case):
            used.update(functions_used(template))
    for version, functions in config.FUZZ_VERSIONS.items():
        for function in functions:
            assert used[function], (version, function)


def test_steps_are_a_valid_sidecar_lifecycle():
    for case in cases(100):
        names = [step['name'] for step in case['steps']]
        assert names[0] == 'create' and len(set(names)) == len(names)
        for name in names[1:]:
            assert corpus.STEP_NAME.fullmatch(name)
            assert name not in corpus.RESERVED_STEPS


def test_expectations_only_where_the_generator_knows_them():
    declared = collections.Counter()
    for case in cases(300):
        failed = False
        for step in case['steps']:
            if step['expect'] is not None:
                declared[step['kind']] += 1
                assert not failed and not step['rollback']
                assert step['kind'] in ('fail', 'create-fail')
                assert step['expect'] == {'status': {
                    'fail': 'UPDATE_FAILED',
                    'create-fail': 'CREATE_FAILED'}[step['kind']]}
            failed = (failed and step['kind'] != 'repair' or
                      step['kind'] in ('fail', 'create-fail'))
    assert declared['fail'] and declared['create-fail']


def breaking(step):
    """The resources of a step's resolution failures whose parameter
    still breaks them (lifecycles._inject_resolution_failure)."""
    return [parameter[len('p_'):]
            for parameter in lifecycles._resolution_failures(step)
            if step['parameters'].get(parameter, lifecycles.BREAKING)
            == lifecycles.BREAKING]


def test_an_injected_failure_is_a_literal_fail_or_a_strict_substitution():
    kinds = set()
    for case in cases(200):
        for step in case['steps']:
            if step['kind'] not in ('fail', 'create-fail'):
                continue
            failing = [n for n, d in step['template']['resources'].items()
                       if (d.get('properties') or {}).get('fail') is True]
            assert failing or breaking(step)
            kinds.update(['fail'] * bool(failing) +
                         ['resolution'] * bool(breaking(step)))
            for name in failing:
                definition = step['template']['resources'][name]
                assert definition['type'] == 'OS::Heat::TestResource'
                assert 'condition' not in definition
    assert kinds == {'fail', 'resolution'}


def test_a_resolution_failure_breaks_until_its_repair():
    seen = 0
    for case in cases(300):
        for before, step in zip(case['steps'], case['steps'][1:]):
            if step['kind'] != 'repair' or not breaking(before):
                continue
            seen += 1
            assert not breaking(step)
            for parameter in lifecycles._resolution_failures(step):
                assert step['parameters'][parameter] == {}
            name = breaking(before)[0]
            value = step['template']['resources'][name]['properties'][
                'value']['str_replace_strict']
            assert value['params']['map_merge'][1] == {
                'get_attr': [name + '_src', 'value', 'extra']}
    assert seen


@pytest.mark.parametrize('fails', [
    lambda d: (d.get('properties') or {}).get('fail') is True,
    lambda d: str(d.get('external_id', '')).endswith('-changed'),
], ids=['injected', 'external-id-changed'])
def test_nothing_independent_of_a_failing_resource_races_it(fails):
    """An injected failure comes after what does not need it
    (lifecycles._runs_last); a changed external_id, which Heat refuses,
    before (lifecycles._runs_first)."""
    from heat_functional.fuzz import edit
    seen = 0
    for case in cases(300):
        for step in case['steps']:
            template = step['template']
            graph = edit.requires(template)
            for name, definition in template['resources'].items():
                if not fails(definition):
                    continue
                seen += 1
                for other, other_definition in template['resources'].items():
                    if other == name or 'condition' in other_definition or \
                            'external_id' in other_definition:
                        continue
                    assert needs(graph, name, other) or \
                        needs(graph, other, name), (case['name'], other)
    assert seen > 5


def needs(graph, name, other):
    """Whether `name` needs `other`, directly or not."""
    todo, done = [name], set()
    while todo:
        current = todo.pop()
        if other in graph.get(current, ()):
            return True
        done.add(current)
        todo += [n for n in graph.get(current, ()) if n not in done]
    return False


@pytest.mark.parametrize('kind', sorted(lifecycles.MUTATIONS))
def test_each_mutation_changes_what_it_says(kind):
    import random
    changed = 0
    for case in cases(60):
        rng = random.Random(kind)
        builder = generate.Builder(rng, SCHEMAS, case['version'])
        step = lifecycles.mutate(rng, SCHEMAS, builder, case['steps'][0],
                                 kind)
        if step is None:
            continue
        before = case['steps'][0]
        same = (step['template'] == before['template'] and
                step['providers'] == before['providers'] and
                step['parameters'] == before['parameters'])
        if kind in ('again', 'repair'):
            continue
        assert not same, kind
        changed += 1
    assert changed or kind in ('again', 'repair', 'nested-input')


def test_suites_are_drawn_apart_from_the_template(monkeypatch):
    plain = [generate.case(SCHEMAS, 'suites', k) for k in range(40)]
    drawn = [c['suites'] for c in plain]
    assert ['actions'] in drawn or ['actions'] in [s[:1] for s in drawn]
    assert any(s and s[-1].startswith('failures/') for s in drawn)
    assert [] in drawn
    assert all(s.split('/')[-1] in config.FUZZ_FAILURE_SEQUENCES
               for c in drawn for s in c if s.startswith('failures/'))
    monkeypatch.setitem(config.FUZZ_SUITES, 'actions', 1.0)
    monkeypatch.setitem(config.FUZZ_SUITES, 'failures', 1.0)
    every = [generate.case(SCHEMAS, 'suites', k) for k in range(40)]
    assert all(c['suites'][0] == 'actions' and len(c['suites']) == 2
               for c in every)
    # the templates and lifecycles are the same whatever the suites
    assert [c['steps'] for c in every] == [c['steps'] for c in plain]


def test_a_nested_input_change_prefers_an_input_the_sibling_reads():
    """The trigger of divergences/nested_output_feeds_sibling: the
    changed input reaches, through the provider's resources too, an
    output that a sibling reads."""
    provider = {
        'parameters': {'fed': {'type': 'string'},
                       'direct': {'type': 'string'},
                       'unread': {'type': 'string'}},
        'resources': {'inner': {'type': 'OS::Heat::Value', 'properties': {
            'value': {'get_param': 'fed'}}}},
        'outputs': {'joined': {'value': {'list_join': ['+', [
            {'get_attr': ['inner', 'value']}, {'get_param': ['direct']}]]}},
            'other': {'value': {'get_param': 'unread'}}}}
    template = {'resources': {
        'left': {'type': 'Fuzz::P1', 'properties': {
            'fed': 'a', 'direct': 'b', 'unread': 'c'}},
        'right': {'type': 'OS::Heat::Value', 'properties': {
            'value': {'get_attr': ['left', 'joined']}}}}}
    assert lifecycles._read_outputs(template, 'left') == {'joined'}
    assert lifecycles._read_outputs(template, 'right') == set()
    assert lifecycles._feeding(provider, {'joined'}) == {'fed', 'direct'}
    assert lifecycles._feeding(provider, {'other'}) == {'unread'}
    assert lifecycles._feeding(provider, set()) == set()


#: Python types a software config input's default may have, per type.
INPUT_TYPES = {'String': str, 'Number': int, 'Boolean': bool, 'Json': dict,
               'CommaDelimitedList': str}


def test_a_typed_input_default_is_of_its_type():
    """Heat checks a software config input's default against its type
    when the resource is created (software_config_io.InputConfig)."""
    seen = set()
    for case in cases(300):
        for definition in resource_definitions(case):
            for entry in (definition.get('properties') or {}).get(
                    'inputs') or ():
                if isinstance(entry, dict) and 'default' in entry:
                    # no type: Heat's input schema says String
                    kind = entry.get('type', 'String')
                    assert isinstance(entry['default'],
                                      INPUT_TYPES[kind]), entry
                    seen.add(kind)
    assert seen


@pytest.mark.parametrize('values, expected', [
    ({'type': 'Number', 'default': {'k': 'kilo'}}, int),
    ({'type': 'Boolean', 'default': 'alpha'}, bool),
    ({'type': 'Json', 'default': 3}, dict),
    ({'type': 'CommaDelimitedList', 'default': {}}, str),
    ({'type': 'Unheard', 'default': 'alpha'}, None),
])
def test_typed_default_follows_the_type(values, expected):
    import random
    builder = generate.Builder(random.Random(1), SCHEMAS, '2018-08-31')
    typed = builder.typed_default(values)
    if expected is None:
        assert 'default' not in typed
    else:
        assert isinstance(typed['default'], expected)
    assert builder.typed_default({'default': [1]}) == {'default': [1]}
    # without its type, the map's schema says which (an input's: String)
    inputs = SCHEMAS.properties('OS::Heat::StructuredConfig')['inputs']
    untyped = builder.typed_default({'default': [1]},
                                    inputs['schema']['*']['schema'])
    assert isinstance(untyped['default'], str)


def test_no_step_heat_refuses_at_once_removes_a_resource():
    """Removing a resource races an external_id change that Heat
    refuses at once (lifecycles._removes_while_refused)."""
    refused = 0
    for case in cases(300):
        for previous, step in zip(case['steps'], case['steps'][1:]):
            if not lifecycles._changed_ids(step):
                continue
            refused += 1
            assert set(previous['template']['resources']) <= set(
                step['template']['resources']), (case['name'], step['name'])
    assert refused > 5
