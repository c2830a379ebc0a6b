"""The generator makes the shapes of the known divergences.

Each divergence of divergences/ is a template and lifecycle of a
particular shape. Before the fuzzer runs on Heat (where the benchmark
will measure the time to rediscover each), these tests show that a
thousand generated cases of a fixed seed hold each shape at least once:
a generator that lost one (a mutation dropped, a weight set to zero)
fails here. Every divergence's shape is generated.
"""

import os

import pytest

from heat_functional.fuzz import edit
from heat_functional.fuzz import generate
from heat_functional.fuzz import schema

SCHEMAS = schema.load(os.path.join(os.path.dirname(__file__),
                                   'fuzz_schemas.json'))
COUNT = 1000


def resources(step):
    return step['template'].get('resources') or {}


def none_depends_on_swap(case):
    """A swap or reversal of depends_on between a None and another
    resource, followed by another update."""
    steps = case['steps']
    for number in range(1, len(steps) - 1):
        if steps[number]['kind'] not in ('swap', 'reverse'):
            continue
        before, after = resources(steps[number - 1]), resources(
            steps[number])
        for name, definition in after.items():
            for target in edit.depends_on(definition):
                if name in edit.depends_on(before.get(target, {})) and \
                        'OS::Heat::None' in (definition['type'],
                                             after[target]['type']):
                    return True
    return False


def nested_output_feeds_sibling(case):
    """An update that changes the input of a provider resource whose
    nested output a sibling reads."""
    for before, step in zip(case['steps'], case['steps'][1:]):
        if step['kind'] != 'nested-input':
            continue
        after = resources(step)
        for definition in after.values():
            for function, target in edit.walk_references(definition):
                if function == 'get_attr' and target in after and \
                        after[target]['type'].startswith('Fuzz::') and \
                        after[target].get('properties') != resources(
                            before).get(target, {}).get('properties'):
                    return True
    return False


def failed_create_rolled_back(case):
    create = case['steps'][0]
    return (create['kind'] == 'create-fail' and create['rollback'] and
            len(case['steps']) > 1)


def _two_argument_if(node):
    if isinstance(node, dict):
        if len(node) == 1 and isinstance(node.get('if'), list) and \
                len(node['if']) == 2:
            return True
        return any(_two_argument_if(v) for v in node.values())
    if isinstance(node, list):
        return any(_two_argument_if(v) for v in node)
    return False


def nullable_if_false_on_update(case):
    """A two-argument if on a property, and an update of the
    parameters (which may turn its condition)."""
    return _two_argument_if(case['steps'][0]['template']) and any(
        step['kind'] == 'params' for step in case['steps'][1:])


def external_id_back_after_failed_change(case):
    """An adopted resource's external_id changed, then put back."""
    return sum(step['kind'] == 'external-id'
               for step in case['steps']) >= 2


def conditional_resource_updated_unchanged(case):
    """A resource with a condition, then an update that keeps it (the
    generator found this one itself)."""
    steps = case['steps']
    for before, step in zip(steps, steps[1:]):
        if step['kind'].startswith('create'):
            continue
        for name, definition in resources(step).items():
            if 'condition' in definition and name in resources(before):
                return True
    return False


def failed_resource_rolled_back_on_update(case):
    """A create that fails with rollback off, then an update with
    rollback on that keeps the failing resource (the generator found
    this one itself)."""
    steps = case['steps']
    if steps[0]['kind'] != 'create-fail' or steps[0]['rollback']:
        return False
    return len(steps) > 1 and steps[1]['rollback'] and \
        steps[1]['kind'] != 'repair'


def conditional_member_updated_by_batch(case):
    """A group created in batches whose members are providers (which
    may hold conditional resources)."""
    for definition in resources(case['steps'][0]).values():
        policy = (definition.get('update_policy') or {})
        member = (definition.get('properties') or {}).get(
            'resource_def') or {}
        if 'batch_create' in policy and \
                member.get('type', '').startswith('Fuzz::'):
            return True
    return False


def failed_create_leaves_sibling_uncreated(case):
    """A create meant to fail (a TestResource with fail true) in which
    the failing resource and another one depend on nothing: convergence
    triggers such leaves one a second and drops those not yet triggered
    when the first fails."""
    first = case['steps'][0]['template']
    graph = edit.requires(first)
    leaves = [name for name, required in graph.items() if not required]
    failing = [name for name in leaves
               if (resources(case['steps'][0])[name].get('properties') or
                   {}).get('fail') is True]
    return bool(failing) and len(leaves) > 1


def failed_create_repaired_by_update(case):
    """A create that fails on a ``str_replace_strict`` whose parameters
    arrive through ``get_attr`` and miss its template, then an update
    that repairs it (the parameter that broke it emptied)."""
    steps = case['steps']
    for name, definition in resources(steps[0]).items():
        value = (definition.get('properties') or {}).get('value')
        strict = isinstance(value, dict) and value.get('str_replace_strict')
        merged = strict and (strict.get('params') or {}).get('map_merge')
        if not merged or not any('get_attr' in part for part in merged):
            continue
        parameter = 'p_' + name
        if steps[0]['kind'] == 'create-fail' and any(
                step['parameters'].get(parameter) == {}
                for step in steps[1:]):
            return True
    return False


def failed_update_keeps_old_template(case):
    """An update that fails (a resource still made to fail) and adds or
    removes an output or a resource: legacy keeps the old template's,
    convergence shows the new one's."""
    steps = case['steps']
    for before, step in zip(steps, steps[1:]):
        failing = any((d.get('properties') or {}).get('fail') is True
                      for d in resources(step).values())
        outputs = [set(s['template'].get('outputs') or {})
                   for s in (before, step)]
        if failing and (set(resources(before)) != set(resources(step)) or
                        outputs[0] != outputs[1]):
            return True
    return False


SHAPES = (none_depends_on_swap, nested_output_feeds_sibling,
          failed_create_rolled_back, nullable_if_false_on_update,
          external_id_back_after_failed_change,
          conditional_resource_updated_unchanged,
          failed_resource_rolled_back_on_update,
          conditional_member_updated_by_batch,
          failed_create_leaves_sibling_uncreated,
          failed_create_repaired_by_update,
          failed_update_keeps_old_template)


@pytest.fixture(scope='module')
def generated():
    return [generate.case(SCHEMAS, 'shapes', k) for k in range(COUNT)]


@pytest.mark.parametrize('shape', SHAPES, ids=lambda f: f.__name__)
def test_the_shape_of_a_known_divergence_is_generated(shape, generated):
    assert any(shape(case) for case in generated), shape.__name__


def test_every_divergence_has_a_shape():
    names = {f.__name__ for f in SHAPES}
    directory = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                             'divergences')
    recorded = {name[:-len('.lifecycle.yaml')]
                for name in os.listdir(directory)
                if name.endswith('.lifecycle.yaml')}
    assert recorded == names
