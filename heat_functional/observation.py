"""Observations: what Heat shows of a stack, as path-independent plain data.

An observation is a JSON-able dict that two paths can be compared on:

- ``stack``: the root's ``ACTION_STATUS``;
- ``outputs``: output key -> value (an output the template declares as
  random is replaced by its shape; an output Heat could not resolve by
  ``{"error": ...}``);
- ``resources``: logical path -> ``{"type", "status"}``, where the logical
  path joins resource names through nested stacks (``group/0/server``);
- ``nested``: logical paths of the resources that are nested stacks;
- ``events``: logical path -> that resource's own sequence of
  ``ACTION_STATUS`` (the interleaving across resources differs by design
  and is not recorded); ``<stack>`` stands for a stack's own events.

No ids, names of stacks, timestamps or reasons: those differ between any
two stacks. Alongside, ``observe`` returns the stack tree (id and logical
path of every stack, for the flag checks) and Heat's own time for the
stack (first to last event).
"""

import datetime

STACK_KEY = '<stack>'


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


def _nested_stack_id(resource):
    for link in getattr(resource, 'links', None) or []:
        if link.get('rel') == 'nested':
            return resource.physical_resource_id or None
    return None


def walk_stacks(call, heat, stack_id):
    """The tree of stacks under stack_id with their resources.

    Returns a list of ``(logical_path, stack_id, resources)``, root first,
    where ``call(step, function, *args)`` makes each API call (so the
    caller decides how failures read).
    """
    tree = []
    pending = [('', stack_id)]
    while pending:
        path, current = pending.pop(0)
        resources = call('resource list', heat.resources.list, current)
        tree.append((path, current, resources))
        for resource in sorted(resources, key=lambda r: r.resource_name):
            nested_id = _nested_stack_id(resource)
            if nested_id:
                pending.append((_join(path, resource.resource_name),
                                nested_id))
    return tree


def _relative_type(resource_type, base_url):
    """A provider file's type relative to the template's directory.

    heatclient sends provider templates under absolute ``file://`` URLs,
    which name the machine's directories; observations must not.
    """
    if base_url and resource_type.startswith(base_url):
        return resource_type[len(base_url):]
    return resource_type


def _parse_time(text):
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def observe(driver, stack_id, random_outputs=(), base_url=None):
    """Observe a stack through the API.

    base_url, when given, is the ``file://`` URL of the template's
    directory, stripped from provider types.

    Returns ``(observation, stacks, heat_time_s)``: the observation dict
    described above, the stack tree as ``[{"id", "path"}]`` and the seconds
    between the first and last event of the whole tree (None without
    events).
    """
    heat = driver.heat
    stack = driver.call('show', heat.stacks.get, stack_id)
    tree = walk_stacks(driver.call, heat, stack_id)
    resources, nested, events = {}, [], {}
    times = []
    for path, current, stack_resources in tree:
        for resource in stack_resources:
            logical = _join(path, resource.resource_name)
            resources[logical] = {'type': _relative_type(
                                      resource.resource_type, base_url),
                                  'status': resource.resource_status}
            if _nested_stack_id(resource):
                nested.append(logical)
        stack_events = driver.call('event list', heat.events.list, current,
                                   sort_dir='asc')
        own_name = stack.stack_name if not path else None
        for event in stack_events:
            times.append(_parse_time(getattr(event, 'event_time', None)))
            is_stack = (event.physical_resource_id == current or
                        event.resource_name == own_name)
            key = _join(path, STACK_KEY if is_stack else event.resource_name)
            events.setdefault(key, []).append(event.resource_status)
    times = [t for t in times if t is not None]
    heat_time = (max(times) - min(times)).total_seconds() if times else None
    observation = {
        'stack': '%s_%s' % (stack.action, stack.status),
        'outputs': normalise_outputs(getattr(stack, 'outputs', None),
                                     random_outputs),
        'resources': dict(sorted(resources.items())),
        'nested': sorted(nested),
        'events': dict(sorted(events.items())),
    }
    stacks = [{'id': current, 'path': path} for path, current, _ in tree]
    return observation, stacks, heat_time
