"""Unit tests of heat_functional.observation.

Covers ``shape``, ``normalise_outputs`` and ``observe`` through a fake
driver: a root stack with a ResourceGroup (a nested stack) and a provider
resource, checking logical paths, the nested list, events keyed by
resource and ``<stack>``, provider types relative to base_url, the
stack tree and physical ids; then ``observe`` relative to a previous step:
each resource's ``physical_id`` (new, same, changed), only the events
written since, and the event ids carried from step to step. Then the
case's own values: one case's stack as each path's cell shows it (other
ids, names, ARNs, URLs, port) observed equal once its ids, names, ARNs
and URLs are replaced by what they are, while a value that differs in
anything else still differs; and ``Placeholders`` on its own.
"""

import hashlib
from urllib import parse
import uuid

import pytest

from heat_functional import client
from heat_functional import observation

BASE_URL = 'file:///corpus/templates/'
ROOT, GROUP, PROVIDER = 'root-id', 'group-id', 'provider-id'
MEMBER = 'member-id'
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
          PROVIDER: (ROOT_NAME + '-thing-y', ROOT),
          MEMBER: (ROOT_NAME + '-group-x-0-z', GROUP)}


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def stack_link(rel, stack_id):
    return {'rel': rel, 'href': '%s/%s/%s' % (HEAT, STACKS[stack_id][0],
                                              stack_id)}


def resource(stack_id, name, rtype, nested_id=None,
             status='CREATE_COMPLETE', physical=None):
    links = [{'rel': 'self', 'href': '%s/x/%s/resources/%s'
              % (HEAT, stack_id, name)}, stack_link('stack', stack_id)]
    if nested_id:
        links.append(stack_link('nested', nested_id))
    return Fake(resource_name=name, resource_type=rtype,
                resource_status=status, links=links,
                physical_resource_id=(physical or nested_id or
                                      'phys-%s' % name))


def event(stack_id, name, status, second, physical=''):
    return Fake(resource_name=name, resource_status=status,
                physical_resource_id=physical, resource_status_reason='x',
                id='event-%s-%s-%s-%s' % (stack_id, name, status, second),
                links=[{'rel': 'self', 'href': '%s/x/%s/events/e'
                        % (HEAT, stack_id)},
                       stack_link('stack', stack_id)],
                event_time='2024-05-01T10:00:%02dZ' % second)


def stack_events(stack_id, start, members, action='CREATE'):
    """A stack's own start and end events around its members' events."""
    name = STACKS[stack_id][0]
    found = [event(stack_id, name, action + '_IN_PROGRESS', start,
                   stack_id)]
    for offset, member in enumerate(members, 1):
        found += [event(stack_id, member, action + '_IN_PROGRESS',
                        start + offset),
                  event(stack_id, member, action + '_COMPLETE',
                        start + offset,
                        PHYSICAL.get(member, 'phys-%s' % member))]
    found.append(event(stack_id, name, action + '_COMPLETE',
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
    def __init__(self, resources, events, outputs=(), action='CREATE'):
        self.calls = []
        root = Fake(id=ROOT, stack_name=ROOT_NAME, action=action,
                    status='COMPLETE', outputs=list(outputs))
        self.stacks = Fake(get=lambda stack_id: {ROOT: root}[stack_id])
        self.resources = Fake(list=self._lister('resources', resources))
        self.events = Fake(list=self._lister('events', events))

    def _lister(self, kind, by_stack):
        def list_(stack_id, nested_depth=0, **kwargs):
            self.calls.append((kind, stack_id, dict(
                kwargs, nested_depth=nested_depth)))
            stack_id = stack_id.rsplit('/', 1)[-1]  # name/id, as Heat
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

    def show(self, stack_id):
        return self.call('show', self.heat.stacks.get, stack_id)


def tree_resources():
    """root: group (2 members), thing (provider), rand."""
    return {
        ROOT: [resource(ROOT, 'thing', BASE_URL + 'lib/provider.yaml',
                        PROVIDER),
               resource(ROOT, 'rand', 'OS::Heat::RandomString'),
               resource(ROOT, 'group', 'OS::Heat::ResourceGroup', GROUP)],
        GROUP: [resource(GROUP, '1', 'OS::Heat::RandomString'),
                resource(GROUP, '0', 'OS::Heat::RandomString',
                         status='CREATE_FAILED')],
        PROVIDER: [resource(PROVIDER, 'value', 'OS::Heat::Value')],
    }


def tree_events():
    return {
        ROOT: stack_events(ROOT, 0, ['group', 'thing', 'rand']),
        GROUP: stack_events(GROUP, 1, ['0', '1']),
        PROVIDER: stack_events(PROVIDER, 2, ['value']),
    }


def tree_driver():
    outputs = [{'output_key': 'value', 'output_value': 'v'},
               {'output_key': 'secret', 'output_value': 'abc'}]
    return FakeDriver(FakeHeat(tree_resources(), tree_events(), outputs))


IN_OUT = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']


def observe_tree(base_url=BASE_URL):
    driver = tree_driver()
    return driver, observation.observe(driver, ROOT, ['secret'], base_url)


# -- observe -----------------------------------------------------------------

def test_observe_names_a_stack_this_process_made(monkeypatch):
    """name/id, so that heatclient sends no lookup before each list."""
    monkeypatch.setattr(client, '_NAMES', {ROOT: ROOT_NAME})
    driver, _ = observe_tree()
    assert sorted((kind, stack_id) for kind, stack_id, _ in
                  driver.heat.calls) == [
        ('events', '%s/%s' % (ROOT_NAME, ROOT)),
        ('resources', '%s/%s' % (ROOT_NAME, ROOT))]


def test_observe_stack_and_outputs():
    observed = observe_tree()[1].observation
    assert observed['stack'] == 'CREATE_COMPLETE'
    assert observed['outputs'] == {'value': 'v',
                                   'secret': {'shape': 'str', 'length': 3}}


def test_observe_resources_by_logical_path():
    observed = observe_tree()[1].observation
    assert observed['resources'] == {
        'group': {'type': 'OS::Heat::ResourceGroup',
                  'status': 'CREATE_COMPLETE', 'physical_id': 'new'},
        'group/0': {'type': 'OS::Heat::RandomString',
                    'status': 'CREATE_FAILED', 'physical_id': 'new'},
        'group/1': {'type': 'OS::Heat::RandomString',
                    'status': 'CREATE_COMPLETE', 'physical_id': 'new'},
        'rand': {'type': 'OS::Heat::RandomString',
                 'status': 'CREATE_COMPLETE', 'physical_id': 'new'},
        'thing': {'type': 'lib/provider.yaml', 'status': 'CREATE_COMPLETE',
                  'physical_id': 'new'},
        'thing/value': {'type': 'OS::Heat::Value',
                        'status': 'CREATE_COMPLETE', 'physical_id': 'new'},
    }
    assert list(observed['resources']) == sorted(observed['resources'])


def test_observe_nested():
    observed = observe_tree()[1].observation
    assert observed['nested'] == ['group', 'thing']


def test_observe_events_per_resource_and_stack():
    observed = observe_tree()[1].observation
    assert observed['events'] == {
        '<stack>': IN_OUT, 'group': IN_OUT, 'rand': IN_OUT, 'thing': IN_OUT,
        'group/<stack>': IN_OUT, 'group/0': IN_OUT, 'group/1': IN_OUT,
        'thing/<stack>': IN_OUT, 'thing/value': IN_OUT,
    }
    assert list(observed['events']) == sorted(observed['events'])


def test_observe_stack_tree_root_first():
    stacks = observe_tree()[1].tree
    assert stacks == [{'id': ROOT, 'path': ''},
                      {'id': GROUP, 'path': 'group'},
                      {'id': PROVIDER, 'path': 'thing'}]


def test_observe_stack_tree_of_a_stack_nested_twice():
    resources = tree_resources()
    resources[GROUP][1] = resource(GROUP, '0', 'lib/member.yaml', MEMBER)
    resources[MEMBER] = [resource(MEMBER, 'leaf', 'OS::Heat::None')]
    found = observation.observe(FakeDriver(FakeHeat(resources, {})), ROOT,
                                base_url=BASE_URL)
    assert found.tree == [{'id': ROOT, 'path': ''},
                          {'id': GROUP, 'path': 'group'},
                          {'id': MEMBER, 'path': 'group/0'},
                          {'id': PROVIDER, 'path': 'thing'}]
    assert found.observation['nested'] == ['group', 'group/0', 'thing']
    assert found.physical_ids['group/0'] == MEMBER
    assert found.physical_ids['group/0/leaf'] == 'phys-leaf'
    assert found.observation['resources']['group/0/leaf'] == {
        'type': 'OS::Heat::None', 'status': 'CREATE_COMPLETE',
        'physical_id': 'new'}


def test_observe_lists_events_ascending():
    driver, _ = observe_tree()
    event_calls = [c for c in driver.heat.calls if c[0] == 'events']
    assert event_calls
    assert all(kwargs['sort_dir'] == 'asc' for _, _, kwargs in event_calls)
    assert sorted(set(driver.steps)) == ['event list', 'resource list',
                                         'show']


def test_observe_without_base_url_keeps_absolute_types():
    observed = observe_tree(base_url=None)[1].observation
    assert observed['resources']['thing']['type'] == (
        BASE_URL + 'lib/provider.yaml')


def test_observe_stack_without_events_or_resources():
    heat = FakeHeat({ROOT: []}, {ROOT: []})
    found = observation.observe(FakeDriver(heat), ROOT)
    observed, stacks = found.observation, found.tree
    assert observed == {'stack': 'CREATE_COMPLETE', 'outputs': {},
                        'resources': {}, 'nested': [], 'events': {}}
    assert stacks == [{'id': ROOT, 'path': ''}]


def test_resource_without_nested_link_is_not_nested():
    pending = resource(ROOT, 'group', 'OS::Heat::ResourceGroup')
    heat = FakeHeat({ROOT: [pending]}, {ROOT: []})
    found = observation.observe(FakeDriver(heat), ROOT)
    observed, stacks = found.observation, found.tree
    assert observed['nested'] == []
    assert stacks == [{'id': ROOT, 'path': ''}]


def test_observe_returns_physical_ids_by_logical_path():
    found = observe_tree()[1]
    assert found.physical_ids == {
        'group': GROUP, 'group/0': 'phys-0', 'group/1': 'phys-1',
        'rand': 'phys-rand', 'thing': PROVIDER, 'thing/value': 'phys-value'}


def test_observe_returns_the_id_of_every_event():
    found = observe_tree()[1]
    assert found.event_ids == event_ids(tree_events())
    assert len(found.event_ids) == 8 + 6 + 4


# -- relative to the previous step -------------------------------------------
#
# A second step of the tree's lifecycle: an update that replaced ``rand``,
# added ``extra`` to the root and member ``2`` to the group.

def event_ids(by_stack):
    return {e.id for events in by_stack.values() for e in events}


def resources_after_update():
    resources = tree_resources()
    resources[ROOT] = [r for r in resources[ROOT] if r.resource_name != 'rand']
    resources[ROOT] += [
        resource(ROOT, 'rand', 'OS::Heat::RandomString',
                 physical='phys-rand-2'),
        resource(ROOT, 'extra', 'OS::Heat::Value')]
    resources[GROUP].append(resource(GROUP, '2', 'OS::Heat::RandomString'))
    return resources


def update_events(stack_id, second, created):
    """A stack's update that creates resources `created`."""
    name = STACKS[stack_id][0]
    found = [event(stack_id, name, 'UPDATE_IN_PROGRESS', second, stack_id)]
    for member in created:
        found += [event(stack_id, member, 'CREATE_IN_PROGRESS', second + 1),
                  event(stack_id, member, 'CREATE_COMPLETE', second + 1,
                        'phys-%s-new' % member)]
    found.append(event(stack_id, name, 'UPDATE_COMPLETE', second + 2,
                       stack_id))
    return found


def events_after_update():
    events = tree_events()
    events[ROOT] += update_events(ROOT, 20, ['rand', 'extra'])
    events[GROUP] += update_events(GROUP, 21, ['2'])
    return events


def next_step(previous, resources, events, action='UPDATE'):
    heat = FakeHeat(resources, events, action=action)
    return observation.observe(FakeDriver(heat), ROOT, (), BASE_URL,
                               previous=previous)


def physical_changes(found):
    return {path: entry['physical_id']
            for path, entry in found.observation['resources'].items()}


def test_physical_id_same_changed_or_new_since_the_previous_step():
    first = observe_tree()[1]
    second = next_step(first, resources_after_update(), events_after_update())
    assert physical_changes(second) == {
        'extra': 'new', 'group': 'same', 'group/0': 'same',
        'group/1': 'same', 'group/2': 'new', 'rand': 'changed',
        'thing': 'same', 'thing/value': 'same'}
    assert second.observation['stack'] == 'UPDATE_COMPLETE'
    assert second.physical_ids['rand'] == 'phys-rand-2'
    assert second.physical_ids['extra'] == 'phys-extra'


def test_physical_id_is_relative_to_the_previous_step_not_the_first():
    first = observe_tree()[1]
    second = next_step(first, resources_after_update(), events_after_update())
    third = next_step(second, resources_after_update(),
                      events_after_update())
    assert set(physical_changes(third).values()) == {'same'}
    assert len(physical_changes(third)) == 8


def test_resource_added_in_a_later_step_is_new():
    first = observe_tree()[1]
    second = next_step(first, tree_resources(), tree_events())
    resources = tree_resources()
    resources[PROVIDER].append(resource(PROVIDER, 'late', 'OS::Heat::None'))
    third = next_step(second, resources, tree_events())
    assert physical_changes(second)['rand'] == 'same'
    assert 'thing/late' not in physical_changes(second)
    assert physical_changes(third) == {
        'group': 'same', 'group/0': 'same', 'group/1': 'same',
        'rand': 'same', 'thing': 'same', 'thing/late': 'new',
        'thing/value': 'same'}


def test_resource_removed_and_added_back_is_new():
    first = observe_tree()[1]
    resources = tree_resources()
    resources[ROOT] = [r for r in resources[ROOT] if r.resource_name != 'rand']
    second = next_step(first, resources, tree_events())
    third = next_step(second, tree_resources(), tree_events())
    assert 'rand' not in physical_changes(second)
    assert physical_changes(third)['rand'] == 'new'


def test_events_since_the_previous_step_only():
    first = observe_tree()[1]
    second = next_step(first, resources_after_update(), events_after_update())
    update = ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']
    assert second.observation['events'] == {
        '<stack>': update, 'extra': IN_OUT, 'rand': IN_OUT,
        'group/<stack>': update, 'group/2': IN_OUT}


def test_an_old_event_is_not_recorded_again_a_new_one_is():
    first = observe_tree()[1]
    events = tree_events()
    # The same status as the create's, in a new event (a new id).
    events[ROOT].append(event(ROOT, 'rand', 'CREATE_COMPLETE', 30,
                              'phys-rand'))
    second = next_step(first, tree_resources(), events, action='CREATE')
    assert second.observation['events'] == {'rand': ['CREATE_COMPLETE']}


def test_no_events_since_the_previous_step():
    first = observe_tree()[1]
    second = next_step(first, tree_resources(), tree_events())
    assert second.observation['events'] == {}
    assert second.event_ids == first.event_ids


def test_event_ids_accumulate_across_steps():
    first = observe_tree()[1]
    after = events_after_update()
    second = next_step(first, resources_after_update(), after)
    assert second.event_ids == event_ids(after)
    assert first.event_ids == event_ids(tree_events())
    # Heat purged the older events: the ids seen before are still known.
    last = event(ROOT, ROOT_NAME, 'CHECK_COMPLETE', 40, ROOT)
    purged = {ROOT: update_events(ROOT, 20, ['rand', 'extra']) + [last]}
    third = next_step(second, resources_after_update(), purged)
    assert third.event_ids == event_ids(after) | {last.id}
    assert third.observation['events'] == {'<stack>': ['CHECK_COMPLETE']}
    assert second.event_ids == event_ids(after)


# -- scaling-group members ----------------------------------------------------

def group_observation(names, deleted=()):
    resources = {'asg': {'type': 'OS::Heat::AutoScalingGroup',
                         'status': 'UPDATE_COMPLETE', 'physical_id': 'same'},
                 'other': {'type': 'OS::Heat::None',
                           'status': 'CREATE_COMPLETE', 'physical_id': 'new'}}
    events = {'asg/<stack>': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']}
    nested = ['asg']
    for number, name in enumerate(names):
        path = 'asg/' + name
        resources[path] = {'type': 'member.yaml', 'physical_id': 'same',
                           'status': 'UPDATE_COMPLETE' if number else
                           'CREATE_COMPLETE'}
        resources[path + '/inner'] = {'type': 'OS::Heat::Value',
                                      'status': 'CREATE_COMPLETE',
                                      'physical_id': 'same'}
        nested.append(path)
        if number:
            events[path] = ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']
    for name in deleted:
        events['asg/' + name] = ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']
    return resources, sorted(nested), events


def test_members_with_other_random_names_line_up():
    legacy = observation.canonical_members(
        *group_observation(['abc', 'zzz'], deleted=['old']))
    convergence = observation.canonical_members(
        *group_observation(['qqq', 'aaa'], deleted=['gone']))
    assert legacy == convergence
    resources, nested, events = legacy
    # The deleted member (events only) sorts first, then the two listed.
    assert sorted(resources) == ['asg', 'asg/#1', 'asg/#1/inner', 'asg/#2',
                                 'asg/#2/inner', 'other']
    assert nested == ['asg', 'asg/#1', 'asg/#2']
    assert events['asg/#0'] == ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']
    assert events['asg/#2'] == ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']
    assert 'asg/<stack>' in events
    assert not [p for p in list(resources) + nested + list(events)
                if p.startswith(('asg/abc', 'asg/zzz', 'asg/old'))]


def test_members_that_differ_still_differ():
    legacy = observation.canonical_members(*group_observation(['a', 'b']))
    resources, nested, events = group_observation(['c', 'd'])
    resources['asg/d']['status'] = 'UPDATE_FAILED'
    convergence = observation.canonical_members(resources, nested, events)
    assert legacy[0] != convergence[0]


def test_observations_without_groups_are_left_alone():
    resources = {'a': {'type': 'OS::Heat::None', 'status': 'CREATE_COMPLETE',
                       'physical_id': 'new'}}
    events = {'a': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']}
    assert observation.canonical_members(resources, [], events) == (
        resources, [], events)


# -- the case's own values, replaced by what they are -------------------------
#
# One case's stack as each path's cell shows it: the same template, every
# id, name, ARN and URL different (another port, another root name, other
# uuids and short ids), as Heat makes them.

TENANT = '5f0c2e8a91d34b7a8e6f0a1b2c3d4e5f'
PATHS = {
    'legacy': {'port': 40111, 'suffix': '3fa9c1', 'n': 1},
    'convergence': {'port': 40112, 'suffix': 'b07e42', 'n': 2},
}


def _digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def uuid_of(n, what):
    """A uuid, different per path (n) and per thing."""
    return str(uuid.UUID(_digest(n, what)[:32], version=4))


def short_of(n, what):
    """A Heat short id (12 characters of base32) per path and thing."""
    alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
    number = int(_digest('short', n, what), 16)
    return ''.join(alphabet[(number >> (5 * i)) % 32] for i in range(12))


class Cell(object):
    """One path's view of the case: ids and names of its stacks."""

    def __init__(self, path):
        found = PATHS[path]
        self.n = found['n']
        self.endpoint = 'http://127.0.0.1:%d/v1/%s' % (found['port'], TENANT)
        self.names = {'': 'hf-values-%s-%s' % (path, found['suffix'])}
        self.ids = {'': uuid_of(self.n, 'root')}

    def nest(self, path):
        parent, _, name = path.rpartition('/')
        self.names[path] = '%s-%s-%s' % (self.names[parent], name,
                                         short_of(self.n, path))
        self.ids[path] = uuid_of(self.n, path)

    def url(self, path=''):
        return '%s/stacks/%s/%s' % (self.endpoint, self.names[path],
                                    self.ids[path])

    def arn(self, path=''):
        return 'arn:openstack:heat::%s:stacks/%s/%s' % (
            TENANT, self.names[path], self.ids[path])

    def physical_name(self, path):
        parent, _, name = path.rpartition('/')
        return '%s-%s-%s' % (self.names[parent], name,
                             short_of(self.n, path))

    def link(self, rel, path):
        return {'rel': rel, 'href': self.url(path)}

    def resource(self, path, rtype, physical, nested=False):
        parent, _, name = path.rpartition('/')
        links = [{'rel': 'self', 'href': self.url(parent) + '/resources/' +
                  name}, self.link('stack', parent)]
        if nested:
            links.append(self.link('nested', path))
        return Fake(resource_name=name, resource_type=rtype, links=links,
                    resource_status='CREATE_COMPLETE',
                    physical_resource_id=physical)


def case_on(path, changes=None):
    """(driver, cell): the case's stack on one path, as Heat shows it.

    root: value (an OS::Heat::Value), thing (a provider: a nested stack
    with an OS::Heat::None), group (a ResourceGroup whose member 0 is a
    provider with a Value), asg (an AutoScalingGroup with one randomly
    named member), rand (a RandomString). changes: output key -> value,
    replacing what the template would output.
    """
    cell = Cell(path)
    member = short_of(cell.n, 'asg-member')
    for nested in ('thing', 'group', 'group/0', 'asg'):
        cell.nest(nested)
    listed = [
        cell.resource('value', 'OS::Heat::Value',
                      cell.physical_name('value')),
        cell.resource('thing', BASE_URL + 'thing.yaml', cell.ids['thing'],
                      nested=True),
        cell.resource('thing/inner', 'OS::Heat::None',
                      uuid_of(cell.n, 'inner')),
        cell.resource('group', 'OS::Heat::ResourceGroup', cell.ids['group'],
                      nested=True),
        cell.resource('group/0', BASE_URL + 'member.yaml',
                      cell.ids['group/0'], nested=True),
        cell.resource('group/0/leaf', 'OS::Heat::Value',
                      cell.physical_name('group/0/leaf')),
        cell.resource('asg', 'OS::Heat::AutoScalingGroup', cell.ids['asg'],
                      nested=True),
        cell.resource('asg/' + member, 'OS::Heat::None',
                      uuid_of(cell.n, 'asg-member')),
        cell.resource('rand', 'OS::Heat::RandomString',
                      cell.physical_name('rand')),
    ]
    outputs = dict({
        'value_id': cell.physical_name('value'),
        'thing_ref': cell.arn('thing'),
        'thing_id': cell.ids['thing'],
        'stack_id': cell.ids[''],
        'stack_name': cell.names[''],
        'stack_arn': cell.arn(),
        'role_name': cell.names[''] + '-role',
        'member_stack_name': cell.names['group/0'],
        'leaf_in_text': 'the leaf is %s.' % cell.physical_name(
            'group/0/leaf'),
        'resource_url': cell.url() + '/resources/value',
        'signal_url': 'http://127.0.0.1:8000/v1/waitcondition/' +
        parse.quote(cell.arn('thing') + '/resources/handle'),
        'endpoint': cell.endpoint + '/stacks',
        'signal': cell.endpoint.replace(TENANT, 'stack-user-project') +
        '/stacks/' + cell.names[''],
        'show': {'id': uuid_of(cell.n, 'inner'),
                 'name': cell.names['thing'] + '-inner',
                 'links': [{'rel': 'self', 'href': cell.url('thing')}],
                 'enabled': True},
        'members': [uuid_of(cell.n, 'asg-member')],
        'ids_by_name': {cell.physical_name('value'): 'value'},
        'random': 'random-%d' % cell.n,
        'plain': 'one',
    }, **(changes or {}))
    root = Fake(id=cell.ids[''], stack_name=cell.names[''], action='CREATE',
                status='COMPLETE', links=[cell.link('self', '')],
                outputs=[{'output_key': key, 'output_value': value}
                         for key, value in sorted(outputs.items())])
    heat = Fake(stacks=Fake(get=lambda stack_id: root),
                resources=Fake(list=lambda *args, **kwargs: listed),
                events=Fake(list=lambda *args, **kwargs: []))
    return FakeDriver(heat), cell


def observe_on(path, changes=None):
    driver, cell = case_on(path, changes)
    return observation.observe(driver, cell.ids[''], ['random'], BASE_URL)


def test_the_cases_own_values_compare_equal_on_both_paths():
    legacy = observe_on('legacy')
    convergence = observe_on('convergence')
    assert legacy.physical_ids != convergence.physical_ids
    assert legacy.observation == convergence.observation


def test_the_cases_own_values_are_replaced_by_what_they_are():
    outputs = observe_on('legacy').observation['outputs']
    assert outputs == {
        'value_id': '<id of value>',
        'thing_ref': '<arn of thing>',
        'thing_id': '<id of thing>',
        'stack_id': '<stack id>',
        'stack_name': '<stack name>',
        'stack_arn': '<stack arn>',
        'role_name': '<stack name>-role',
        'member_stack_name': '<stack name of group/0>',
        'leaf_in_text': 'the leaf is <id of group/0/leaf>.',
        'resource_url': '<stack url>/resources/value',
        'signal_url': 'http://127.0.0.1:8000/v1/waitcondition/'
                      '<quoted arn of thing>/resources/handle',
        'endpoint': '<heat endpoint>/stacks',
        'signal': '<heat api>/v1/stack-user-project/stacks/<stack name>',
        'show': {'id': '<id of thing/inner>',
                 'name': '<stack name of thing>-inner',
                 'links': [{'rel': 'self', 'href': '<url of thing>'}],
                 'enabled': True},
        'members': ['<id of asg/#0>'],
        'ids_by_name': {'<id of value>': 'value'},
        'random': {'shape': 'str', 'length': 8},
        'plain': 'one',
    }


@pytest.mark.parametrize('key, value', [
    # A value that is not the case's own, on one path only.
    ('plain', 'two'),
    # The case's own name, with something else around it.
    ('role_name', 'hf-values-convergence-b07e42-rol'),
    # Another resource's id than on the other path.
    ('value_id', uuid_of(2, 'inner')),
    # A nested stack's id where the other path has its ARN.
    ('thing_ref', None),
    # An id of something that is not the case's.
    ('thing_id', '11111111-2222-4333-8444-555555555555'),
    # The right URL of another resource.
    ('resource_url', None),
    # A random value of another length.
    ('random', 'random-22'),
])
def test_a_value_differing_in_anything_else_still_differs(key, value):
    cell = Cell('convergence')
    for nested in ('thing', 'group', 'group/0', 'asg'):
        cell.nest(nested)
    value = {'thing_ref': cell.ids['thing'],
             'resource_url': cell.url() + '/resources/rand'}.get(key, value)
    legacy = observe_on('legacy').observation['outputs']
    convergence = observe_on('convergence', {key: value}).observation[
        'outputs']
    assert legacy[key] != convergence[key]
    assert {k: v for k, v in legacy.items() if k != key} == {
        k: v for k, v in convergence.items() if k != key}


def test_observed_carries_its_placeholders_for_other_observations():
    found = observe_on('legacy')
    cell = case_on('legacy')[1]
    assert found.placeholders.replace(
        {'reason': 'Stack %s failed' % cell.names['group']}) == {
            'reason': 'Stack <stack name of group> failed'}


# -- Placeholders -------------------------------------------------------------

def test_placeholders_longest_match_first():
    root = 'hf-values-legacy-3fa9c1'
    nested = root + '-group-abcdefghijkl'
    placeholders = observation.Placeholders({
        root: '<stack name>', nested: '<stack name of group>'})
    assert placeholders.replace('%s-0-xyz and %s-role' % (nested, root)) == (
        '<stack name of group>-0-xyz and <stack name>-role')
    assert placeholders.replace('%s/%s/%s' % (root, nested, root)) == (
        '<stack name>/<stack name of group>/<stack name>')


def test_placeholders_short_values_only_as_whole_strings():
    placeholders = observation.Placeholders({'ext-1': '<id of adopted>'})
    assert placeholders.replace('ext-1') == '<id of adopted>'
    assert placeholders.replace('next-10') == 'next-10'
    assert placeholders.replace(['ext-1', {'ext-1': 'ext-1x'}]) == [
        '<id of adopted>', {'<id of adopted>': 'ext-1x'}]


def test_placeholders_leave_other_values_alone():
    placeholders = observation.Placeholders({'a-long-id-0001': '<id of a>'})
    value = {'n': 3, 'f': 1.5, 'b': False, 'none': None, 's': 'other',
             'l': [1, 'x']}
    assert placeholders.replace(value) == value
    assert observation.Placeholders().replace(value) == value


def test_random_outputs_take_their_shape_after_replacement():
    legacy, convergence = (
        observation.Placeholders({name: '<stack name>'})
        for name in ('hf-x-legacy-3fa9c1', 'hf-x-convergence-b07e42'))
    assert observation.normalise_outputs(
        [{'output_key': 'r', 'output_value': 'hf-x-legacy-3fa9c1-k2j'}],
        ['r'], legacy) == observation.normalise_outputs(
        [{'output_key': 'r', 'output_value': 'hf-x-convergence-b07e42-q7z'}],
        ['r'], convergence)


def test_output_errors_have_the_cases_values_replaced():
    placeholders = observation.Placeholders(
        {'hf-x-legacy-3fa9c1': '<stack name>'})
    outputs = [{'output_key': 'e', 'output_error':
                'Stack hf-x-legacy-3fa9c1 has no resource x'}]
    assert observation.normalise_outputs(outputs, (), placeholders) == {
        'e': {'error': 'Stack <stack name> has no resource x'}}
