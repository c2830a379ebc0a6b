"""A generated case written as a corpus entry (fuzz/writer.py): the
gate's own discovery accepts it, and every step sends what the case
holds."""

import os

import yaml

from heat_functional import discovery
from heat_functional.fuzz import generate
from heat_functional.fuzz import schema
from heat_functional.fuzz import writer

SCHEMAS = schema.load(os.path.join(os.path.dirname(__file__),
                                   'fuzz_schemas.json'))


def with_changed_provider():
    """A case one of whose updates changes a provider's file."""
    for number in range(300):
        case = generate.case(SCHEMAS, 5, number)
        if any(step['kind'] == 'provider' for step in case['steps']):
            return case
    raise AssertionError('no provider step in 300 cases')


def test_written_cases_are_a_corpus_discover_accepts(tmp_path):
    written = [generate.case(SCHEMAS, 3, k) for k in range(12)]
    written.append(with_changed_provider())
    for case in written:
        writer.write(case, str(tmp_path))
    templates = discovery.discover(str(tmp_path), environments=[])
    assert sorted(t.name for t in templates) == sorted(
        c['name'] for c in written)
    by_name = {t.name: t for t in templates}
    for case in written:
        template = by_name[case['name']]
        assert template.error is None
        steps = template.steps
        assert [s.name for s in steps] == [
            s['name'] for s in case['steps']] + ['delete']
        for step, generated in zip(steps, case['steps']):
            assert step.rollback == generated['rollback']
            assert step.declared == (generated['expect'] is not None)
            if generated['expect']:
                assert step.expected_status == \
                    generated['expect']['status']
            assert step.parameters == generated['parameters']
            assert template.requires == case['requires']
            check_sent(step, generated)


def check_sent(step, generated):
    """The step's files are the case's template and providers."""
    with open(step.template_file) as f:
        assert yaml.safe_load(f) == generated['template']
    if not generated['providers']:
        assert step.environment is None
        return
    with open(step.environment) as f:
        registry = yaml.safe_load(f)['resource_registry']
    assert sorted(registry) == sorted(generated['providers'])
    for type_name, filename in registry.items():
        path = os.path.join(os.path.dirname(step.environment), filename)
        with open(path) as f:
            assert yaml.safe_load(f) == generated['providers'][type_name]


def test_a_changed_provider_keeps_its_type_and_gets_a_file(tmp_path):
    case = with_changed_provider()
    writer.write(case, str(tmp_path))
    template, = discovery.discover(str(tmp_path), environments=[])
    changed = [s for s in case['steps'] if s['kind'] == 'provider'][0]
    index = case['steps'].index(changed)
    before, after = template.steps[index - 1], template.steps[index]
    registries = []
    for step in (before, after):
        with open(step.environment) as f:
            registries.append(yaml.safe_load(f)['resource_registry'])
    assert sorted(registries[0]) == sorted(registries[1])
    assert registries[0] != registries[1]


def test_a_step_loads_as_the_gate_sends_it(tmp_path):
    case = with_changed_provider()
    writer.write(case, str(tmp_path))
    template, = discovery.discover(str(tmp_path), environments=[])
    for step in template.steps[:-1]:
        body, files, environment = step.load()
        registry = environment.get('resource_registry', {})
        for type_name in registry:
            assert registry[type_name] in files


def _step(template, providers=None):
    return {'name': 'create', 'kind': 'create', 'template': template,
            'providers': providers or {}, 'parameters': {},
            'rollback': False, 'expect': None}


def test_outputs_that_may_carry_a_random_value_are_declared(tmp_path):
    template = {
        'heat_template_version': '2018-08-31',
        'resources': {
            'chain': {'type': 'OS::Heat::ResourceChain', 'properties': {
                'resources': ['OS::Heat::None', 'OS::Heat::RandomString']}},
            'reader': {'type': 'OS::Heat::Value', 'properties': {
                'value': {'get_attr': ['chain', 'refs']}}},
            'after': {'type': 'OS::Heat::None', 'depends_on': ['chain']},
            'nested': {'type': 'Fuzz::Outer'},
            'plain': {'type': 'OS::Heat::None'}},
        'outputs': {
            'through_value': {'value': {'get_attr': ['reader', 'value']}},
            'only_after': {'value': {'get_resource': 'after'}},
            'from_provider': {'value': {'get_attr': ['nested', 'o']}},
            'plain': {'value': {'get_resource': 'plain'}}}}
    providers = {
        'Fuzz::Outer': {'resources': {'i': {'type': 'Fuzz::Inner'}}},
        'Fuzz::Inner': {'resources': {'r': {
            'type': 'OS::Heat::RandomString'}}}}
    case = {'name': 'fuzz_x_0', 'seed': 'x', 'number': 0,
            'steps': [_step(template, providers)]}
    assert writer.random_outputs(case) == ['from_provider', 'through_value']
    writer.write(case, str(tmp_path))
    template, = discovery.discover(str(tmp_path), environments=[])
    assert template.random_outputs == ['from_provider', 'through_value']


def test_a_multipart_configs_output_is_random_too():
    """Its MIME boundary is drawn on each render (seed rediscover-1,
    case 19)."""
    template = {
        'heat_template_version': '2018-08-31',
        'resources': {
            'config': {'type': 'OS::Heat::MultipartMime',
                       'properties': {'parts': []}},
            'plain': {'type': 'OS::Heat::SoftwareConfig'}},
        'outputs': {
            'mime': {'value': {'get_attr': ['config', 'config']}},
            'plain': {'value': {'get_attr': ['plain', 'config']}}}}
    case = {'name': 'fuzz_x_1', 'seed': 'x', 'number': 1,
            'steps': [_step(template)]}
    assert writer.random_outputs(case) == ['mime']
