"""Template surgery shared by the lifecycles and the shrinker.

What a template's parts name (``references``), and the edits that keep
a template valid while they change it: removing a resource rewrites
what names it (a ``get_resource``/``get_attr`` becomes a literal
string, a ``depends_on`` entry goes, an output reading it goes), so
every candidate the shrinker tries, and every update the lifecycle
generator makes, is a template Heat accepts.
"""

import copy

REFERENCE_FUNCTIONS = ('get_resource', 'get_attr')


def walk_references(node):
    """(function, resource name) of every get_resource/get_attr in a
    value, nested ones included."""
    if isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            if key == 'get_resource' and isinstance(value, str):
                yield key, value
            elif key == 'get_attr' and isinstance(value, list) and value:
                yield key, value[0]
        for value in node.values():
            yield from walk_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_references(item)


def walk_params(node):
    """The parameter name of every get_param in a value."""
    if isinstance(node, dict):
        if len(node) == 1 and 'get_param' in node:
            value = node['get_param']
            yield value[0] if isinstance(value, list) else value
            return
        for value in node.values():
            yield from walk_params(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_params(item)


def needed(graph, name):
    """The resources `name` needs in a ``requires`` graph, directly or
    not."""
    found, todo = set(), [name]
    while todo:
        for required in graph.get(todo.pop(), ()):
            if required not in found:
                found.add(required)
                todo.append(required)
    return found


def depends_on(definition):
    """The explicit depends_on of a resource definition, as a list."""
    found = definition.get('depends_on') or []
    return [found] if isinstance(found, str) else list(found)


def requires(template):
    """{resource: set of resources it needs} (explicit and implicit)."""
    resources = template.get('resources') or {}
    graph = {}
    for name, definition in resources.items():
        needs = set(depends_on(definition))
        for _, target in walk_references({
                k: v for k, v in definition.items() if k != 'depends_on'}):
            needs.add(target)
        graph[name] = needs
    return graph


def has_cycle(graph):
    state = {}

    def visit(node):
        state[node] = 1
        for target in graph.get(node, ()):
            if state.get(target) == 1:
                return True
            if target not in state and visit(target):
                return True
        state[node] = 2
        return False
    return any(visit(n) for n in sorted(graph) if n not in state)


def _names(node, name):
    return isinstance(node, dict) and any(
        t == name for _, t in walk_references(node)) and len(node) == 1 \
        and next(iter(node)) in REFERENCE_FUNCTIONS


def replace_references(node, name):
    """A copy of a value with each reference to resource `name` made a
    literal string (``gone-<name>``), or a list of one where list_join
    joined it."""
    if isinstance(node, dict):
        joined = node.get('list_join')
        if len(node) == 1 and isinstance(joined, list) and \
                len(joined) == 2 and _names(joined[1], name):
            return {'list_join': [joined[0], ['gone-%s' % name]]}
        if len(node) == 1:
            (key, value), = node.items()
            target = value if key == 'get_resource' else (
                value[0] if key == 'get_attr' and isinstance(value, list)
                and value else None)
            if key in REFERENCE_FUNCTIONS and target == name:
                return 'gone-%s' % name
        return {k: replace_references(v, name) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_references(item, name) for item in node]
    return node


def without_resource(template, name):
    """A copy of a template without resource `name`: depends_on entries
    on it go, outputs reading it go, other references become literals."""
    changed = copy.deepcopy(template)
    resources = changed.get('resources') or {}
    resources.pop(name, None)
    for other, definition in list(resources.items()):
        kept = [n for n in depends_on(definition) if n != name]
        definition.pop('depends_on', None)
        resources[other] = replace_references(definition, name)
        if kept:
            resources[other]['depends_on'] = kept
    outputs = changed.get('outputs') or {}
    for output, definition in list(outputs.items()):
        if any(t == name for _, t in walk_references(definition)):
            del outputs[output]
    return _tidy(changed)


def without_output(template, name):
    changed = copy.deepcopy(template)
    (changed.get('outputs') or {}).pop(name, None)
    return _tidy(changed)


def without_property(template, resource, prop):
    changed = copy.deepcopy(template)
    definition = (changed.get('resources') or {}).get(resource)
    if definition and prop in (definition.get('properties') or {}):
        del definition['properties'][prop]
        if not definition['properties']:
            del definition['properties']
    return changed


def without_dependency(template, resource, target):
    changed = copy.deepcopy(template)
    definition = (changed.get('resources') or {}).get(resource)
    if definition:
        kept = [n for n in depends_on(definition) if n != target]
        definition.pop('depends_on', None)
        if kept:
            definition['depends_on'] = kept
    return changed


def without_key(template, resource, key):
    """Without a resource's condition, deletion_policy, update_policy,
    metadata or external_id."""
    changed = copy.deepcopy(template)
    definition = (changed.get('resources') or {}).get(resource)
    if definition:
        definition.pop(key, None)
    return changed


def without_parameter(template, name, value):
    """A copy of a template without parameter `name`; each get_param of
    it becomes `value` (what the step passed, or its default)."""
    changed = copy.deepcopy(template)
    (changed.get('parameters') or {}).pop(name, None)
    return _tidy(_inline_param(changed, name, value))


def _inline_param(node, name, value):
    if isinstance(node, dict):
        if node == {'get_param': name}:
            return copy.deepcopy(value)
        return {k: _inline_param(v, name, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_param(item, name, value) for item in node]
    return node


def without_condition(template, name, value=True):
    """A copy without condition `name`: resources and outputs with it
    are kept (value True) or removed (False); an ``if`` on it takes its
    branch; other conditions naming it become the literal."""
    changed = copy.deepcopy(template)
    (changed.get('conditions') or {}).pop(name, None)
    for section in ('resources', 'outputs'):
        for item, definition in list((changed.get(section) or {}).items()):
            if definition.get('condition') == name:
                if value:
                    del definition['condition']
                elif section == 'resources':
                    changed = without_resource(changed, item)
                else:
                    del changed[section][item]
    return _tidy(_resolve_if(changed, name, value))


def _resolve_if(node, name, value):
    if isinstance(node, dict):
        if len(node) == 1 and isinstance(node.get('if'), list) and \
                node['if'] and node['if'][0] == name:
            branches = node['if'][1:]
            if value:
                return _resolve_if(branches[0], name, value)
            return _resolve_if(branches[1], name, value) \
                if len(branches) > 1 else None
        return {k: _resolve_if(v, name, value) for k, v in node.items()
                if _resolve_if(v, name, value) is not None or v is None}
    if isinstance(node, list):
        return [_resolve_if(item, name, value) for item in node]
    if node == name:
        return value
    return node


def _tidy(template):
    for section in ('parameters', 'conditions', 'outputs', 'resources'):
        if section in template and not template[section]:
            del template[section]
    return template
