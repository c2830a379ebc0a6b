"""Unit tests of heat_functional.observation.

Covers ``shape``, ``normalise_outputs`` and ``observe`` through a fake
driver: a root stack with a ResourceGroup (a nested stack) and a provider
resource, checking logical paths, the nested list, events keyed by
resource and ``<stack>``, provider types relative to base_url and the
stack tree.
"""

import pytest

from heat_functional import observation

BASE_URL = 'file:///corpus/templates/'
ROOT, GROUP, PROVIDER = 'root-id', 'group-id', 'provider-id'
ROOT_NAME = 'hf-simple-legacy-abc123'
#: Physical ids of resources that are nested stacks, as Heat shows them.
PHYSICAL = {'group': GROUP, 'thing': PROVIDER}


# -- shape and outputs -------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('abcd', {'shape': 'str', 'length': 4}),
    ('', {'shape': 'str', 'length': 0}),
    (42, {'shape': 'number'}),
    (4.5, {'shape': 'number'}),
    (True, {'shape': 'bool'}),
    (None, {'shape': 'NoneType'}),
    ([1, 'ab'], {'shape': 'list', 'items': [{'shape': 'number'},
                                            {'shape': 'str', 'length': 2}]}),
    ({'b': [], 'a': False}, {'shape': 'map', 'items': {
        'a': {'shape': 'bool'}, 'b': {'shape': 'list', 'items': []}}}),
])
def test_shape(value, expected):
    assert observation.shape(value) == expected


def test_shape_ignores_content():
    assert observation.shape({'k': 'abc'}) == observation.shape({'k': 'xyz'})
    assert observation.shape('abc') != observation.shape('abcd')


def test_normalise_outputs():
    outputs = [
        {'output_key': 'plain', 'output_value': {'a': 1}},
        {'output_key': 'secret', 'output_value': 'x7Yq'},
        {'output_key': 'broken', 'output_value': None,
         'output_error': 'The Referenced Attribute is invalid'},
        {'output_key': 'nothing'},
    ]
    assert observation.normalise_outputs(outputs, ['secret']) == {
        'plain': {'a': 1},
        'secret': {'shape': 'str', 'length': 4},
        'broken': {'error': 'The Referenced Attribute is invalid'},
        'nothing': None,
    }


def test_normalise_outputs_error_wins_over_random():
    outputs = [{'output_key': 'r', 'output_error': 'no value'}]
    assert observation.normalise_outputs(outputs, ['r']) == {
        'r': {'error': 'no value'}}


def test_normalise_outputs_of_none():
    assert observation.normalise_outputs(None) == {}


# -- a fake Heat -------------------------------------------------------------
#
# The fake answers like Heat's API: resources and events carry ``links``
# (``stack`` to the stack they belong to, ``nested`` to the nested stack a
# resource owns, each ending in the stack's id), and a listing with
# ``nested_depth`` includes the nested stacks' resources and events.

HEAT = 'http://heat/v1/tenant/stacks'
#: stack id -> (stack name, parent stack id)
STACKS = {ROOT: (ROOT_NAME, None),
          GROUP: (ROOT_NAME + '-group-x', ROOT),
          PROVIDER: (ROOT_NAME + '-thing-y', ROOT)}


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def stack_link(rel, stack_id):
    return {'rel': rel, 'href': '%s/%s/%s' % (HEAT, STACKS[stack_id][0],
                                              stack_id)}


def resource(stack_id, name, rtype, nested_id=None,
             status='CREATE_COMPLETE'):
    links = [{'rel': 'self', 'href': '%s/x/%s/resources/%s'
              % (HEAT, stack_id, name)}, stack_link('stack', stack_id)]
    if nested_id:
        links.append(stack_link('nested', nested_id))
    return Fake(resource_name=name, resource_type=rtype,
                resource_status=status, links=links,
                physical_resource_id=nested_id or 'phys-%s' % name)


def event(stack_id, name, status, second, physical=''):
    return Fake(resource_name=name, resource_status=status,
                physical_resource_id=physical, resource_status_reason='x',
                id='event-%s-%s' % (name, second),
                links=[{'rel': 'self', 'href': '%s/x/%s/events/e'
                        % (HEAT, stack_id)},
                       stack_link('stack', stack_id)],
                event_time='2024-05-01T10:00:%02dZ' % second)


def stack_events(stack_id, start, members):
    """A stack's own start and end events around its members' events."""
    name = STACKS[stack_id][0]
    found = [event(stack_id, name, 'CREATE_IN_PROGRESS', start, stack_id)]
    for offset, member in enumerate(members, 1):
        found += [event(stack_id, member, 'CREATE_IN_PROGRESS',
                        start + offset),
                  event(stack_id, member, 'CREATE_COMPLETE', start + offset,
                        PHYSICAL.get(member, 'phys-%s' % member))]
    found.append(event(stack_id, name, 'CREATE_COMPLETE',
                       start + len(members) + 1, stack_id))
    return found


def _depth_below(stack_id, top):
    """How many levels stack_id is below top, or None if not under it."""
    depth = 0
    while stack_id is not None:
        if stack_id == top:
            return depth
        stack_id, depth = STACKS[stack_id][1], depth + 1
    return None


class FakeHeat(object):
    def __init__(self, resources, events, outputs=()):
        self.calls = []
        root = Fake(id=ROOT, stack_name=ROOT_NAME, action='CREATE',
                    status='COMPLETE', outputs=list(outputs))
        self.stacks = Fake(get=lambda stack_id: {ROOT: root}[stack_id])
        self.resources = Fake(list=self._lister('resources', resources))
        self.events = Fake(list=self._lister('events', events))

    def _lister(self, kind, by_stack):
        def list_(stack_id, nested_depth=0, **kwargs):
            self.calls.append((kind, stack_id, dict(
                kwargs, nested_depth=nested_depth)))
            found = []
            for owner, items in by_stack.items():
                depth = _depth_below(owner, stack_id)
                if depth is not None and depth <= nested_depth:
                    found.extend(items)
            return found
        return list_


class FakeDriver(object):
    def __init__(self, heat):
        self.heat = heat
        self.steps = []

    def call(self, step, fn, *args, **kwargs):
        self.steps.append(step)
        return fn(*args, **kwargs)


def tree_driver():
    """root: group (2 members), thing (provider), rand."""
    resources = {
        ROOT: [resource(ROOT, 'thing', BASE_URL + 'lib/provider.yaml',
                        PROVIDER),
               resource(ROOT, 'rand', 'OS::Heat::RandomString'),
               resource(ROOT, 'group', 'OS::Heat::ResourceGroup', GROUP)],
        GROUP: [resource(GROUP, '1', 'OS::Heat::RandomString'),
                resource(GROUP, '0', 'OS::Heat::RandomString',
                         status='CREATE_FAILED')],
        PROVIDER: [resource(PROVIDER, 'value', 'OS::Heat::Value')],
    }
    events = {
        ROOT: stack_events(ROOT, 0, ['group', 'thing', 'rand']),
        GROUP: stack_events(GROUP, 1, ['0', '1']),
        PROVIDER: stack_events(PROVIDER, 2, ['value']),
    }
    outputs = [{'output_key': 'value', 'output_value': 'v'},
               {'output_key': 'secret', 'output_value': 'abc'}]
    return FakeDriver(FakeHeat(resources, events, outputs))


IN_OUT = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']


def observe_tree(base_url=BASE_URL):
    driver = tree_driver()
    return driver, observation.observe(driver, ROOT, ['secret'], base_url)


# -- observe -----------------------------------------------------------------

def test_observe_stack_and_outputs():
    _, (observed, _) = observe_tree()
    assert observed['stack'] == 'CREATE_COMPLETE'
    assert observed['outputs'] == {'value': 'v',
                                   'secret': {'shape': 'str', 'length': 3}}


def test_observe_resources_by_logical_path():
    _, (observed, _) = observe_tree()
    assert observed['resources'] == {
        'group': {'type': 'OS::Heat::ResourceGroup',
                  'status': 'CREATE_COMPLETE'},
        'group/0': {'type': 'OS::Heat::RandomString',
                    'status': 'CREATE_FAILED'},
        'group/1': {'type': 'OS::Heat::RandomString',
                    'status': 'CREATE_COMPLETE'},
        'rand': {'type': 'OS::Heat::RandomString',
                 'status': 'CREATE_COMPLETE'},
        'thing': {'type': 'lib/provider.yaml', 'status': 'CREATE_COMPLETE'},
        'thing/value': {'type': 'OS::Heat::Value',
                        'status': 'CREATE_COMPLETE'},
    }
    assert list(observed['resources']) == sorted(observed['resources'])


def test_observe_nested():
    _, (observed, _) = observe_tree()
    assert observed['nested'] == ['group', 'thing']


def test_observe_events_per_resource_and_stack():
    _, (observed, _) = observe_tree()
    assert observed['events'] == {
        '<stack>': IN_OUT, 'group': IN_OUT, 'rand': IN_OUT, 'thing': IN_OUT,
        'group/<stack>': IN_OUT, 'group/0': IN_OUT, 'group/1': IN_OUT,
        'thing/<stack>': IN_OUT, 'thing/value': IN_OUT,
    }
    assert list(observed['events']) == sorted(observed['events'])


def test_observe_stack_tree_root_first():
    _, (_, stacks) = observe_tree()
    assert stacks == [{'id': ROOT, 'path': ''},
                      {'id': GROUP, 'path': 'group'},
                      {'id': PROVIDER, 'path': 'thing'}]


def test_observe_lists_events_ascending():
    driver, _ = observe_tree()
    event_calls = [c for c in driver.heat.calls if c[0] == 'events']
    assert event_calls
    assert all(kwargs['sort_dir'] == 'asc' for _, _, kwargs in event_calls)
    assert sorted(set(driver.steps)) == ['event list', 'resource list',
                                         'show']


def test_observe_without_base_url_keeps_absolute_types():
    _, (observed, _) = observe_tree(base_url=None)
    assert observed['resources']['thing']['type'] == (
        BASE_URL + 'lib/provider.yaml')


def test_observe_stack_without_events_or_resources():
    heat = FakeHeat({ROOT: []}, {ROOT: []})
    observed, stacks = observation.observe(FakeDriver(heat), ROOT)
    assert observed == {'stack': 'CREATE_COMPLETE', 'outputs': {},
                        'resources': {}, 'nested': [], 'events': {}}
    assert stacks == [{'id': ROOT, 'path': ''}]


def test_resource_without_nested_link_is_not_nested():
    pending = resource(ROOT, 'group', 'OS::Heat::ResourceGroup')
    heat = FakeHeat({ROOT: [pending]}, {ROOT: []})
    observed, stacks = observation.observe(FakeDriver(heat), ROOT)
    assert observed['nested'] == []
    assert stacks == [{'id': ROOT, 'path': ''}]
