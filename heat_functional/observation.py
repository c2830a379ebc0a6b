"""Observations: what Heat shows of a stack, as path-independent plain data.

An observation is a JSON-able dict that two paths can be compared on:

- ``stack``: the root's ``ACTION_STATUS``;
- ``outputs``: output key -> value (an output the template declares as
  random is replaced by its shape; an output Heat could not resolve by
  ``{"error": ...}``);
- ``resources``: logical path -> ``{"type", "status", "physical_id"}``,
  where the logical path joins resource names through nested stacks
  (``group/0/server``) and ``physical_id`` says whether the resource is
  ``new``, the ``same`` or ``changed`` (replaced) since the previous step
  of its lifecycle;
- ``nested``: logical paths of the resources that are nested stacks;
  members of scaling groups, which Heat names at random, are keyed
  ``<group>/#<n>`` instead (see ``canonical_members``);
- ``events``: logical path -> that resource's own sequence of
  ``ACTION_STATUS`` since the previous step (the interleaving across
  resources differs by design and is not recorded); ``<stack>`` stands
  for a stack's own events.

No ids, names of stacks, timestamps or reasons: those differ between any
two stacks. Alongside, ``observe`` returns the stack tree (id and logical
path of every stack, for the flag checks) and what the next step needs.
"""

from concurrent import futures
import json

from heat_functional import config

STACK_KEY = '<stack>'
#: Resource types whose members Heat names at random (short_id): their
#: members are compared as a set, renamed ``#0``, ``#1``... in the order
#: of what they look like, not by name.
SCALING_GROUPS = ('OS::Heat::AutoScalingGroup', 'OS::Heat::InstanceGroup',
                  'AWS::AutoScaling::AutoScalingGroup')


def shape(value):
    """A value's shape: its type and size, recursively, not its content."""
    if isinstance(value, str):
        return {'shape': 'str', 'length': len(value)}
    if isinstance(value, bool) or value is None:
        return {'shape': type(value).__name__}
    if isinstance(value, (int, float)):
        return {'shape': 'number'}
    if isinstance(value, list):
        return {'shape': 'list', 'items': [shape(v) for v in value]}
    if isinstance(value, dict):
        return {'shape': 'map', 'items': {k: shape(v)
                                          for k, v in sorted(value.items())}}
    return {'shape': type(value).__name__}


def normalise_outputs(outputs, random_outputs=()):
    """Heat's output list as key -> value, random ones by shape."""
    result = {}
    for output in outputs or []:
        key = output['output_key']
        if output.get('output_error'):
            result[key] = {'error': output['output_error']}
        elif key in random_outputs:
            result[key] = shape(output.get('output_value'))
        else:
            result[key] = output.get('output_value')
    return result


def _join(prefix, name):
    return '%s/%s' % (prefix, name) if prefix else name


def _link_id(item, rel):
    """The last segment (an id) of an item's link with that rel, or None."""
    for link in getattr(item, 'links', None) or []:
        if link.get('rel') == rel:
            return link['href'].rstrip('/').rsplit('/', 1)[-1]
    return None


def stack_paths(root_id, resources):
    """Stack id -> logical path ('' for the root) from a nested listing."""
    owner_of = {}
    for resource in resources:
        nested_id = _link_id(resource, 'nested')
        if nested_id:
            owner_of[nested_id] = (_link_id(resource, 'stack'),
                                   resource.resource_name)
    paths = {root_id: ''}

    def path_of(stack_id):
        if stack_id not in paths:
            owner, name = owner_of[stack_id]
            paths[stack_id] = _join(path_of(owner), name)
        return paths[stack_id]

    for stack_id in owner_of:
        path_of(stack_id)
    return paths


def _relative_type(resource_type, base_url):
    """A provider file's type relative to the template's directory.

    heatclient sends provider templates under absolute ``file://`` URLs,
    which name the machine's directories; observations must not.
    """
    if base_url and resource_type.startswith(base_url):
        return resource_type[len(base_url):]
    return resource_type


def _rename(path, renames):
    """path with its longest renamed prefix replaced."""
    for old, new in renames:
        if path == old or path.startswith(old + '/'):
            return new + path[len(old):]
    return path


def canonical_members(resources, nested, events):
    """Rename the randomly named members of scaling groups.

    A member is keyed ``<group>/#<n>``, numbered in the order of its own
    entry and events (so that equal members line up whatever their
    names); everything under a member follows its new name.
    """
    renames = []
    for group, entry in sorted(resources.items()):
        if entry['type'] not in SCALING_GROUPS:
            continue
        # Members still listed, and members only their events remember
        # (deleted by this step).
        members = {path for path in list(resources) + list(events)
                   if path.rpartition('/')[0] == group and
                   path.rpartition('/')[2] != STACK_KEY}
        members = sorted(members, key=lambda member: json.dumps(
            [resources.get(member), events.get(member)], sort_keys=True))
        renames += [(member, '%s/#%d' % (group, number))
                    for number, member in enumerate(members)]
    if not renames:
        return resources, nested, events
    renames.sort(key=lambda pair: -len(pair[0]))
    return ({_rename(p, renames): v for p, v in resources.items()},
            sorted(_rename(p, renames) for p in nested),
            {_rename(p, renames): v for p, v in events.items()})


class Observed(object):
    """What observe() found: the observation, and what the next step of a
    lifecycle needs to be observed relative to this one."""

    def __init__(self, observation, tree, physical_ids, event_ids):
        self.observation = observation
        #: ``[{"id", "path"}]`` of every stack, root first.
        self.tree = tree
        #: logical path -> physical resource id.
        self.physical_ids = physical_ids
        #: ids of every event seen so far (this step's and earlier ones).
        self.event_ids = event_ids


def _physical_change(before, now, previous_ids):
    if previous_ids is None or not before:
        return 'new'
    return 'same' if before == now else 'changed'


def observe(driver, stack_id, random_outputs=(), base_url=None,
            previous=None):
    """Observe a stack through the API, in three concurrent calls.

    base_url, when given, is the ``file://`` URL of the template's
    directory, stripped from provider types. previous, the Observed of the
    lifecycle's previous step, makes this observation relative to it:
    each resource's ``physical_id`` says ``same``, ``changed`` (replaced)
    or ``new``, and only events Heat wrote since then are recorded.

    Returns an Observed.
    """
    heat = driver.heat
    with futures.ThreadPoolExecutor(3) as pool:
        stack = pool.submit(driver.call, 'show', heat.stacks.get, stack_id)
        listed = pool.submit(driver.call, 'resource list',
                             heat.resources.list, stack_id,
                             nested_depth=config.MAX_NESTED_DEPTH)
        logged = pool.submit(driver.call, 'event list', heat.events.list,
                             stack_id, nested_depth=config.MAX_NESTED_DEPTH,
                             sort_dir='asc')
        stack, listed, logged = stack.result(), listed.result(), \
            logged.result()
    previous_ids = previous.physical_ids if previous else None
    seen = set(previous.event_ids) if previous else set()
    paths = stack_paths(stack_id, listed)
    resources, nested, events, physical_ids = {}, [], {}, {}
    for resource in listed:
        logical = _join(paths[_link_id(resource, 'stack')],
                        resource.resource_name)
        physical_ids[logical] = resource.physical_resource_id
        resources[logical] = {
            'type': _relative_type(resource.resource_type, base_url),
            'status': resource.resource_status,
            'physical_id': _physical_change(
                (previous_ids or {}).get(logical),
                resource.physical_resource_id, previous_ids)}
        if _link_id(resource, 'nested'):
            nested.append(logical)
    event_ids = set(seen)
    for event in logged:
        event_ids.add(event.id)
        if event.id in seen:
            continue
        owner = _link_id(event, 'stack')
        name = (STACK_KEY if event.physical_resource_id == owner
                else event.resource_name)
        events.setdefault(_join(paths.get(owner, owner), name),
                          []).append(event.resource_status)
    resources, nested, events = canonical_members(resources, nested, events)
    observation = {
        'stack': '%s_%s' % (stack.action, stack.status),
        'outputs': normalise_outputs(getattr(stack, 'outputs', None),
                                     random_outputs),
        'resources': dict(sorted(resources.items())),
        'nested': sorted(nested),
        'events': dict(sorted(events.items())),
    }
    tree = sorted(({'id': i, 'path': p} for i, p in paths.items()),
                  key=lambda s: s['path'])
    return Observed(observation, tree, physical_ids, event_ids)
