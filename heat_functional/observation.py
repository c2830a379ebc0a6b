"""Observations: what Heat shows of a stack, as path-independent plain data.

An observation is a JSON-able dict that two paths can be compared on:

- ``stack``: the root's ``ACTION_STATUS``;
- ``outputs``: output key -> value, with the case's own values replaced
  by what they are (see below; an output the template declares as
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
two stacks. Where a value observed holds one of the case's own ids or
names, it is replaced by the logical path it belongs to (``Placeholders``):
the physical id of a resource (``<id of group/0>``; a nested stack's id
is its resource's), a stack's name (``<stack name>``, ``<stack name of
group/0>``), ARN (``<arn of thing>``, also URL-quoted: ``<quoted arn of
thing>``) and API URL (``<url of thing>``), the root's as ``<stack id>``,
``<stack arn>``, ``<stack quoted arn>``, ``<stack url>``, and the cell's
endpoint (``<heat endpoint>``, ``<heat api>`` its scheme, host and port),
whole or inside a longer string, the longest first, so that two paths'
observations keep their structure and lose only what differs between any
two stacks. Alongside, ``observe`` returns the stack tree (id and logical
path of every stack, for the flag checks) and what the next step needs.
"""

from concurrent import futures
import json
from urllib import parse

from heat_functional import client
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


class Placeholders(object):
    """Replaces the case's own values (value -> placeholder) in anything
    JSON-able: strings, list items, map keys and values, recursively.

    A whole string that is a known value becomes its placeholder; inside
    longer strings, known values of at least config.MIN_EMBEDDED_VALUE
    characters are replaced, the longest that matches first (a nested
    stack's name before the root's name it starts with).
    """

    def __init__(self, known=None):
        #: value -> placeholder
        self.known = dict(known or {})
        self._embeddable = None

    def replace(self, value):
        if isinstance(value, str):
            return self._in_string(value)
        if isinstance(value, list):
            return [self.replace(item) for item in value]
        if isinstance(value, dict):
            return {self.replace(key): self.replace(item)
                    for key, item in value.items()}
        return value

    def _in_string(self, text):
        if text in self.known:
            return self.known[text]
        # Only the values the text holds are looked for (no regular
        # expression of them all: compiling one takes milliseconds).
        inside = [value for value in self._embeddable_values()
                  if value in text]
        if not inside:
            return text
        parts, start = [], 0
        while True:
            found = _leftmost(text, start, inside)
            if found is None:
                parts.append(text[start:])
                return ''.join(parts)
            at, value = found
            parts += [text[start:at], self.known[value]]
            start = at + len(value)

    def _embeddable_values(self):
        """Values replaced inside longer strings, the longest first."""
        if self._embeddable is None:
            self._embeddable = sorted(
                (value for value in self.known
                 if len(value) >= config.MIN_EMBEDDED_VALUE),
                key=lambda value: (-len(value), value))
        return self._embeddable


def _leftmost(text, start, values):
    """(index, value) of the value found first in text from start, the
    longest at a tie (values come longest first), or None."""
    best = None
    for value in values:
        at = text.find(value, start)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, value)
    return best


def normalise_outputs(outputs, random_outputs=(), placeholders=None):
    """Heat's output list as key -> value, the case's own values replaced
    by their placeholders (a Placeholders), random ones by shape."""
    replace = (placeholders or Placeholders()).replace
    result = {}
    for output in outputs or []:
        key = output['output_key']
        if output.get('output_error'):
            result[key] = {'error': replace(output['output_error'])}
        elif key in random_outputs:
            result[key] = shape(replace(output.get('output_value')))
        else:
            result[key] = replace(output.get('output_value'))
    return result


def _join(prefix, name):
    return '%s/%s' % (prefix, name) if prefix else name


def _link(item, rel):
    """The href of an item's link with that rel, or None."""
    for link in getattr(item, 'links', None) or []:
        if link.get('rel') == rel:
            return link['href'].rstrip('/')
    return None


def _link_id(item, rel):
    """The last segment (an id) of an item's link with that rel, or None."""
    href = _link(item, rel)
    return href.rsplit('/', 1)[-1] if href else None


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


def _stack_values(href):
    """What names a stack, from its API URL ``<endpoint>/stacks/<name>/
    <id>``: {kind: value} for its name, URL, ARN and URL-quoted ARN, and
    the endpoint; ({}, None) for any other URL."""
    endpoint, found, rest = href.rpartition('/stacks/')
    name, _, stack_id = rest.partition('/')
    if not found or not name or not stack_id or '/' in stack_id:
        return {}, None
    tenant = endpoint.rsplit('/', 1)[-1]
    arn = 'arn:openstack:heat::%s:stacks/%s/%s' % (tenant, name, stack_id)
    return {'stack name': name, 'url': href, 'arn': arn,
            'quoted arn': parse.quote(arn)}, endpoint


def _stack_placeholder(kind, path):
    """``<stack url>`` for the root, ``<url of group>`` below (and
    ``<stack name>``, ``<stack name of group>``)."""
    if not path:
        return '<%s>' % (kind if kind.startswith('stack ') else
                         'stack ' + kind)
    return '<%s of %s>' % (kind, path)


def case_values(root, listed, paths, physical_ids, renames=()):
    """The case's own values -> their placeholders (see Placeholders).

    root is the root stack as shown, listed its nested resource list,
    paths stack id -> raw logical path, physical_ids raw logical path ->
    physical id, renames those of scaling-group members (member_renames),
    applied to the placeholders' paths. Where one value names two things,
    the root's names come first, then resources' ids, then nested stacks'
    names, each by path.
    """
    known = {}

    def add(value, placeholder):
        if value and isinstance(value, str):
            known.setdefault(value, placeholder)

    add(root.id, '<stack id>')
    add(root.stack_name, '<stack name>')
    links = {root.id: _link(root, 'self')}
    for resource in listed:
        href = _link(resource, 'nested')
        if href:
            links[href.rsplit('/', 1)[-1]] = href
    for path, physical_id in sorted(physical_ids.items()):
        add(physical_id, '<id of %s>' % _rename(path, renames))
    for stack_id, path in sorted(paths.items(), key=lambda item: item[1]):
        values, endpoint = _stack_values(links.get(stack_id) or '')
        path = _rename(path, renames)
        add(stack_id, '<id of %s>' % path if path else '<stack id>')
        for kind, value in sorted(values.items()):
            add(value, _stack_placeholder(kind, path))
        if not path and endpoint:
            add(endpoint, '<heat endpoint>')
            add(_origin(endpoint), '<heat api>')
    return known


def _origin(url):
    """``scheme://host:port`` of a URL."""
    parts = parse.urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc) if parts.netloc else None


def member_renames(resources, events):
    """(old, new) logical path of each randomly named member of a scaling
    group, the longest old path first (see canonical_members)."""
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
    renames.sort(key=lambda pair: -len(pair[0]))
    return renames


def canonical_members(resources, nested, events, renames=None):
    """Rename the randomly named members of scaling groups.

    A member is keyed ``<group>/#<n>``, numbered in the order of its own
    entry and events (so that equal members line up whatever their
    names); everything under a member follows its new name. renames, when
    given, are member_renames' of these resources and events.
    """
    if renames is None:
        renames = member_renames(resources, events)
    if not renames:
        return resources, nested, events
    return ({_rename(p, renames): v for p, v in resources.items()},
            sorted(_rename(p, renames) for p in nested),
            {_rename(p, renames): v for p, v in events.items()})


class Observed(object):
    """What observe() found: the observation, and what the next step of a
    lifecycle needs to be observed relative to this one."""

    def __init__(self, observation, tree, physical_ids, event_ids,
                 placeholders=None):
        self.observation = observation
        #: ``[{"id", "path"}]`` of every stack, root first.
        self.tree = tree
        #: logical path -> physical resource id.
        self.physical_ids = physical_ids
        #: ids of every event seen so far (this step's and earlier ones).
        self.event_ids = event_ids
        #: the case's own values and what replaces them (Placeholders),
        #: for anything else observed of this stack as it is now.
        self.placeholders = placeholders or Placeholders()


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
        stack = pool.submit(driver.show, stack_id)
        named = client.identifier(stack_id)
        listed = pool.submit(driver.call, 'resource list',
                             heat.resources.list, named,
                             nested_depth=config.MAX_NESTED_DEPTH)
        logged = pool.submit(driver.call, 'event list', heat.events.list,
                             named, nested_depth=config.MAX_NESTED_DEPTH,
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
    renames = member_renames(resources, events)
    resources, nested, events = canonical_members(resources, nested, events,
                                                  renames)
    placeholders = Placeholders(case_values(stack, listed, paths,
                                            physical_ids, renames))
    observation = {
        'stack': '%s_%s' % (stack.action, stack.status),
        'outputs': normalise_outputs(getattr(stack, 'outputs', None),
                                     random_outputs, placeholders),
        'resources': dict(sorted(resources.items())),
        'nested': sorted(nested),
        'events': dict(sorted(events.items())),
    }
    tree = sorted(({'id': i, 'path': p} for i, p in paths.items()),
                  key=lambda s: s['path'])
    return Observed(observation, tree, physical_ids, event_ids,
                    placeholders)
