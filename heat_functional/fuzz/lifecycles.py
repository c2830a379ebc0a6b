"""The steps of a generated case, as the gate's lifecycles run them.

A case's steps are those of a corpus sidecar (corpus.py;
doc/source/corpus.rst): ``create``, updates, and the delete
the gate adds itself. Each step here is plain data: its ``name``
(``u2-swap``), its ``kind`` (what it does to the template: the step
kind of a finding's signature), the whole ``template`` and
``providers`` it sends, its ``parameters`` (a PUT update: the whole
set), ``rollback``, and ``expect`` only where the generator knows the
outcome: a failure injected into a stack that had none
(``CREATE_FAILED``/``UPDATE_FAILED`` with rollback off). Every other
step declares nothing and is held to parity only (alike.py), which is
what the fuzzer measures.

The kinds, weighted toward the engines' known weak spots (see
divergences/): a property changed in place, a replacement
(``update_replace`` or a property that does not allow updates), a
resource added, one removed, a ``depends_on`` swapped or all reversed,
a group's count changed, a provider file changed under the same type
name, the input of a provider whose output a sibling reads, new
parameter values, a failure injected (``fail: true``, or a
``str_replace_strict`` that a parameter's value breaks when it is
resolved: _inject_resolution_failure) and repaired,
an adopted resource's ``external_id`` changed or put back, and the same
template again. A mutation that does not apply to the
template, or whose result has a structural problem (validity.py),
becomes ``again``.
"""

import copy

from heat_functional import config
from heat_functional.fuzz import edit
from heat_functional.fuzz import generate
from heat_functional.fuzz import validity

KINDS = {
    'in-place': 4, 'replace': 3, 'add': 2, 'remove': 2, 'swap': 3,
    'reverse': 1, 'count': 2, 'provider': 2, 'nested-input': 4,
    'params': 2, 'fail': 2, 'again': 1, 'external-id': 2,
}
TEST_RESOURCE = 'OS::Heat::TestResource'
#: Properties whose value must agree with another's (generate.HOOKS
#: sets them together): a mutation leaves them alone.
COUPLED = {'OS::Heat::Value': ('type',),
           'OS::Heat::AutoScalingGroup': ('min_size', 'max_size',
                                          'desired_capacity')}
#: What an external_id change appends (and a second change removes).
CHANGED_ID = '-changed'
#: Other kinds tried when a mutation does not apply, before ``again``.
RETRIES = 4


def steps(rng, builder, create):
    """The steps of a case whose create step is `create`."""
    schemas = builder.schemas
    create = dict(create)
    failed = False
    if rng.random() < 0.15 and _inject_failure(rng, create, schemas,
                                               builder):
        failed = True
        create['kind'] = 'create-fail'
        if not create['rollback']:
            create['expect'] = {'status': 'CREATE_FAILED'}
    else:
        create['kind'] = 'create'
    result = [create]
    names = sorted(KINDS)
    for number in range(1, rng.randint(1, config.FUZZ_MAX_UPDATES) + 1):
        kind = rng.choices(names, [KINDS[n] for n in names])[0]
        if failed and rng.random() < 0.6:
            kind = 'repair'
        elif _changed_ids(result[-1]) and rng.random() < 0.6:
            kind = 'external-id'  # put back (or change another)
        step = mutate(rng, schemas, builder, result[-1], kind)
        for _ in range(RETRIES):
            if step is not None and not _problems(step, schemas):
                break
            kind = rng.choices(names, [KINDS[n] for n in names])[0]
            step = mutate(rng, schemas, builder, result[-1], kind)
        else:
            step = mutate(rng, schemas, builder, result[-1], 'again')
        step['name'] = 'u%d-%s' % (number, step['kind'])
        step['rollback'] = rng.random() < 0.3
        step['expect'] = None
        if step['kind'] == 'fail' and not failed and not step['rollback']:
            step['expect'] = {'status': 'UPDATE_FAILED'}
        failed = failed and step['kind'] != 'repair' or \
            step['kind'] == 'fail'
        result.append(step)
    return result


def _changed_ids(step):
    """Names of the adopted resources whose external_id a step changed.
    """
    return [n for n, d in (step['template'].get('resources') or {}).items()
            if str(d.get('external_id', '')).endswith(CHANGED_ID)]


def _removes_while_refused(previous, step):
    """Whether a step that Heat refuses at once (an adopted resource's
    external_id still changed) also removes resources. Both engines
    start removing a resource that no other needs as the update starts,
    beside the refused one, and a depends_on cannot order a resource
    that the template no longer has: whether it is gone when the refusal
    stops the update is the engines' timing (seed rediscover-1's case
    58: removed on convergence only)."""
    kept = step['template'].get('resources') or {}
    removed = set(previous['template'].get('resources') or {}) - set(kept)
    return bool(removed and _changed_ids(step))


def _problems(step, schemas):
    found = validity.problems(step['template'], step['providers'],
                              schemas)
    for provider in step['providers'].values():
        found += validity.problems(provider, step['providers'], schemas)
    return found


def mutate(rng, schemas, builder, previous, kind):
    """The next step: `previous` changed by a mutation of `kind`, or
    None where that mutation does not apply."""
    step = {'kind': kind, 'template': copy.deepcopy(previous['template']),
            'providers': copy.deepcopy(previous['providers']),
            'parameters': dict(previous['parameters'])}
    changed = MUTATIONS[kind](rng, schemas, builder, step)
    if not changed or _removes_while_refused(previous, step):
        return None
    for name, definition in sorted(step['template'].get('resources',
                                                        {}).items()):
        if (definition.get('properties') or {}).get('fail') is True:
            _runs_last(step['template'], name)  # still failing, or anew
    for parameter in _resolution_failures(step):
        name = parameter[len('p_'):]
        if step['parameters'].get(parameter) != {} and \
                name in step['template'].get('resources', {}):
            _runs_last(step['template'], name)
    for name in _changed_ids(step):
        _runs_first(step['template'], name)
    return step


def _top(template, type_name=None, free=True):
    """Names of unconditioned resources (of a type), not external."""
    return sorted(n for n, d in (template.get('resources') or {}).items()
                  if (type_name is None or d.get('type') == type_name)
                  and not (free and ('condition' in d or
                                     'external_id' in d)))


def _has(schemas, type_name, prop):
    return type_name in schemas.schemas and \
        prop in schemas.properties(type_name)


#: A resolution failure: its resources' and parameter's names start so.
STRICT = 'strict'
#: The parameter's value that breaks the substitution: a parameter the
#: template does not hold.
BREAKING = {'$missing': '!'}


def _inject_failure(rng, step, schemas, builder):
    """A failure in the step: one of its TestResources made to fail
    (``fail: true``), or, one time in three, a resolution failure."""
    if rng.random() < 1 / 3 and \
            _inject_resolution_failure(rng, step, schemas, builder):
        return True
    if not _has(schemas, TEST_RESOURCE, 'fail'):
        return False
    names = [n for n in _top(step['template'], TEST_RESOURCE)
             if (step['template']['resources'][n].get('properties')
                 or {}).get('fail') is not True]
    if not names:
        return False
    chosen = rng.choice(names)
    definition = step['template']['resources'][chosen]
    definition.setdefault('properties', {})['fail'] = True
    _runs_last(step['template'], chosen)
    return True


def _inject_resolution_failure(rng, step, schemas, builder):
    """A Value whose ``str_replace_strict`` merges in, through
    ``get_attr``, a map that a json parameter gives another Value: with
    the parameter's value BREAKING it names a param the template does
    not hold, which Heat finds only when it resolves the property, after
    the other Value exists (divergences/failed_create_repaired_by_update:
    legacy cannot update such a stack any more, convergence repairs it).
    A ``repair`` step gives the parameter ``{}``."""
    if 'OS::Heat::Value' not in schemas.schemas or not {
            'str_replace_strict', 'map_merge'} <= set(builder.functions):
        return False
    template = step['template']
    resources = template.setdefault('resources', {})
    parameters = template.setdefault('parameters', {})
    name = builder.fresh(STRICT, resources)
    source, parameter = name + '_src', 'p_' + name
    if source in resources or parameter in parameters:
        return False
    parameters[parameter] = {'type': 'json', 'default': dict(BREAKING)}
    resources[source] = {'type': 'OS::Heat::Value', 'properties': {
        'type': 'json', 'value': {'extra': {'get_param': parameter}}}}
    resources[name] = {'type': 'OS::Heat::Value', 'properties': {
        'type': 'string', 'value': {'str_replace_strict': {
            'template': 'w-$a', 'params': {'map_merge': [
                {'$a': rng.choice(generate.WORDS)},
                {'get_attr': [source, 'value', 'extra']}]}}}}}
    step['parameters'].pop(parameter, None)
    _runs_last(template, name)
    return True


def _resolution_failures(step):
    """The parameters of a step's resolution failures (their names)."""
    return sorted(n for n, d in (step['template'].get('parameters')
                                 or {}).items()
                  if n.startswith('p_' + STRICT) and d['type'] == 'json')


def _runs_last(template, name):
    """Make resource `name` depend on every unconditioned resource that
    does not need it, so that it fails only once they are done (in the
    step that injects the failure, and in every later step that still
    has it).

    Otherwise what happens to the resources independent of the failing
    one depends on timing, and the two paths' timing differs by design:
    legacy lets the tasks already running when a task fails finish
    (``scheduler.DependencyTaskGroup``'s ``error_wait_time``), while
    convergence starts no resource once the stack has failed (its
    traversal stops; ``WorkerService.stop_traversal`` lets only those in
    progress finish). Seed r1's cases 17 and 21 showed an
    AutoScalingGroup updated on legacy and untouched on convergence
    that way. The failures suite's fail resource depends on every
    top-level resource for the same reason (failures.py)."""
    graph = edit.requires(template)
    needing = {name}
    grown = True
    while grown:
        more = {n for n, needs in graph.items() if needs & needing}
        grown = not more <= needing
        needing |= more
    resources = template['resources']
    wanted = [n for n in _top(template) if n not in needing and
              n not in graph[name]]
    if wanted:
        resources[name]['depends_on'] = sorted(
            set(edit.depends_on(resources[name])) | set(wanted))


def _runs_first(template, name):
    """Make every unconditioned resource that `name` does not need
    depend on it: an adopted resource whose external_id changed, which
    fails at once (Heat refuses the change in Resource.update, at every
    update that still asks for it) and cannot itself have depends_on
    (validity.py). Failing first, it leaves nothing else of the step
    started on either path; otherwise the two paths' timing decides
    (see _runs_last): seed rediscover-1's case 78 showed a nested stack
    updated on legacy only. A resource the step removes cannot be
    ordered so: _removes_while_refused."""
    needed = edit.needed(edit.requires(template), name)
    resources = template['resources']
    for other in _top(template):
        if other != name and other not in needed:
            resources[other]['depends_on'] = sorted(
                set(edit.depends_on(resources[other])) | {name})


def _again(rng, schemas, builder, step):
    return True


def _fail(rng, schemas, builder, step):
    return _inject_failure(rng, step, schemas, builder)


def _repair(rng, schemas, builder, step):
    for definition in (step['template'].get('resources') or {}).values():
        (definition.get('properties') or {}).pop('fail', None)
    for parameter in _resolution_failures(step):
        step['parameters'][parameter] = {}
    return True


def _updatable(schemas, definition, allowed):
    type_name = definition.get('type', '')
    if type_name.startswith(generate.PROVIDER_PREFIX) or \
            type_name not in schemas.schemas:
        return []
    avoided = config.FUZZ_AVOID_PROPERTIES.get(type_name, {})
    return sorted(name for name, prop in
                  schemas.properties(type_name).items()
                  if bool(prop.get('update_allowed')) == allowed and
                  not prop.get('immutable') and name not in avoided and
                  name != 'fail' and
                  name not in COUPLED.get(type_name, ()) and
                  prop.get('type') in
                  ('string', 'integer', 'number', 'boolean'))


def _change_property(rng, schemas, builder, step, allowed):
    template = step['template']
    candidates = [(n, p) for n in _top(template, free=False)
                  for p in _updatable(schemas, template['resources'][n],
                                      allowed)]
    if not candidates:
        return False
    name, prop = rng.choice(candidates)
    definition = template['resources'][name]
    schema = schemas.properties(definition['type'])[prop]
    properties = definition.setdefault('properties', {})
    old = properties.get(prop, schema.get('default'))
    for _ in range(5):
        new = builder.value_for(schema, generate.Record(name, None),
                                literal_only=True)
        if new != old:
            properties[prop] = new
            return True
    return False


def _in_place(rng, schemas, builder, step):
    return _change_property(rng, schemas, builder, step, True)


def _replace(rng, schemas, builder, step):
    template = step['template']
    tests = _top(template, TEST_RESOURCE, free=False)
    if tests and rng.random() < 0.6 and \
            _has(schemas, TEST_RESOURCE, 'update_replace'):
        definition = template['resources'][rng.choice(tests)]
        properties = definition.setdefault('properties', {})
        properties['update_replace'] = True
        properties['value'] = 'replaced-%d' % rng.randint(1, 99)
        return True
    return _change_property(rng, schemas, builder, step, False)


def _add(rng, schemas, builder, step):
    if len(step['template'].get('resources') or {}) >= \
            config.FUZZ_MAX_RESOURCES:
        return False
    base = generate.Builder(rng, schemas, step['template'][
        'heat_template_version'], builder.keystone).adopt(
            step['template'], step['providers'])
    base.add_resource()
    if rng.random() < 0.5:
        base.add_output()
    step['template'] = base.template()
    return True


def _remove(rng, schemas, builder, step):
    names = sorted(step['template'].get('resources') or {})
    if len(names) < 2:
        return False
    step['template'] = edit.without_resource(step['template'],
                                             rng.choice(names))
    return True


def _swap(rng, schemas, builder, step):
    """Reverse one explicit depends_on, or add one between two
    resources that do not reference each other."""
    template = step['template']
    graph = edit.requires(template)
    resources = template.get('resources') or {}
    edges = [(a, b) for a in sorted(resources)
             for b in edit.depends_on(resources[a])]
    if edges:
        source, target = rng.choice(edges)
        trial = edit.without_dependency(template, source, target)
        trial['resources'][target]['depends_on'] = sorted(
            set(edit.depends_on(trial['resources'][target])) | {source})
    else:
        free = _top(template)
        pairs = [(a, b) for a in free for b in free if a != b and
                 b not in graph[a] and a not in graph[b]]
        if not pairs:
            return False
        source, target = rng.choice(pairs)
        trial = copy.deepcopy(template)
        trial['resources'][source]['depends_on'] = [target]
    if edit.has_cycle(edit.requires(trial)) or \
            'external_id' in trial['resources'][target]:
        return False
    step['template'] = trial
    return True


def _reverse(rng, schemas, builder, step):
    template = copy.deepcopy(step['template'])
    resources = template.get('resources') or {}
    edges = [(a, b) for a in sorted(resources)
             for b in edit.depends_on(resources[a])]
    if not edges:
        return False
    for definition in resources.values():
        definition.pop('depends_on', None)
    for source, target in edges:
        if 'external_id' in resources[target]:
            return False
        resources[target].setdefault('depends_on', []).append(source)
    if edit.has_cycle(edit.requires(template)):
        return False
    step['template'] = template
    return True


def _count(rng, schemas, builder, step):
    template = step['template']
    groups = _top(template, 'OS::Heat::ResourceGroup', free=False)
    scaling = _top(template, 'OS::Heat::AutoScalingGroup', free=False)
    if groups:
        properties = template['resources'][rng.choice(groups)][
            'properties']
        count = properties.get('count')
        if isinstance(count, dict):
            name = count['get_param']
            now = step['parameters'].get(
                name, template['parameters'][name].get('default', 0))
            step['parameters'][name] = (now + rng.randint(1, 3)) % 4
        else:
            properties['count'] = ((count or 0) + rng.randint(1, 3)) % 4
        return True
    if scaling:
        properties = template['resources'][rng.choice(scaling)][
            'properties']
        low = (properties.get('min_size', 0) + rng.randint(1, 2)) % 3
        properties.update({'min_size': low, 'max_size': low + 1})
        properties.pop('desired_capacity', None)
        return True
    return False


def _provider(rng, schemas, builder, step):
    """Change a provider file under the same type name: one of its
    resources' properties, or one more output."""
    if not step['providers']:
        return False
    type_name = rng.choice(sorted(step['providers']))
    inner = {'template': step['providers'][type_name],
             'providers': step['providers'], 'parameters': {}}
    nested = generate.Builder(rng, schemas, inner['template'][
        'heat_template_version'], builder.keystone, depth=1).adopt(
            inner['template'], step['providers'])
    if rng.random() < 0.5 and _in_place(rng, schemas, nested, inner):
        step['providers'][type_name] = inner['template']
        return True
    nested.add_output()
    step['providers'][type_name] = nested.template()
    return True


def _nested_input(rng, schemas, builder, step):
    """Change what a provider resource whose outputs a sibling reads
    is given."""
    template = step['template']
    resources = template.get('resources') or {}
    read = {t for n, d in resources.items()
            for _, t in edit.walk_references(d)}
    providers = [n for n in sorted(read & set(resources))
                 if resources[n]['type'].startswith(
                     generate.PROVIDER_PREFIX)
                 and resources[n].get('properties')]
    if not providers:
        return False
    name = rng.choice(providers)
    chosen = resources[name]
    properties = chosen['properties']
    provider = step['providers'][chosen['type']]
    read = _read_outputs(template, name)
    feeding = sorted(set(properties) & _feeding(provider, read))
    # the trigger of nested_output_feeds_sibling: an input that reaches
    # an output the sibling reads
    key = rng.choice(feeding if feeding and rng.random() < 0.8
                     else sorted(properties))
    definition = provider['parameters'][key]
    for _ in range(5):
        value = builder.parameter_value(definition, generate.Record(
            '<input>', None))
        if value != properties[key]:
            properties[key] = value
            return True
    return False


def _read_outputs(template, name):
    """The attributes of resource `name` that its siblings and the
    outputs read with get_attr."""
    read = set()
    todo = [d for n, d in (template.get('resources') or {}).items()
            if n != name] + [template.get('outputs') or {}]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            attr = node.get('get_attr') if len(node) == 1 else None
            if isinstance(attr, list) and len(attr) > 1 and \
                    attr[0] == name and isinstance(attr[1], str):
                read.add(attr[1])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return read


def _feeding(provider, outputs):
    """The parameters of a provider template that its `outputs` depend
    on, through its resources' properties too."""
    resources = provider.get('resources') or {}
    values = [(provider.get('outputs') or {}).get(o) for o in sorted(outputs)]
    found, seen = set(), set()
    while values:
        value = values.pop()
        found.update(p for p in edit.walk_params(value) if isinstance(p, str))
        for _, target in edit.walk_references(value):
            if target in resources and target not in seen:
                seen.add(target)
                values.append(resources[target])
    return found


def _external_id(rng, schemas, builder, step):
    """Change an adopted resource's external_id, or put the first one
    back (Heat refuses the change: divergences/
    external_id_back_after_failed_change)."""
    resources = step['template'].get('resources') or {}
    adopted = sorted(n for n, d in resources.items() if 'external_id' in d)
    if not adopted:
        return False
    definition = resources[rng.choice(adopted)]
    current = definition['external_id']
    definition['external_id'] = current[:-len(CHANGED_ID)] \
        if current.endswith(CHANGED_ID) else current + CHANGED_ID
    return True


def _params(rng, schemas, builder, step):
    parameters = step['template'].get('parameters') or {}
    if not parameters:
        return False
    values = generate.create_parameters(rng, step['template'])
    # a repaired resolution failure stays repaired
    values.update({n: v for n, v in step['parameters'].items()
                   if n in _resolution_failures(step)})
    flags = sorted(n for n, d in parameters.items()
                   if d['type'] == 'boolean')
    if flags and rng.random() < 0.6:
        # a condition's flag turned: conditional resources, outputs and
        # property values come and go
        flag = rng.choice(flags)
        values[flag] = not step['parameters'].get(
            flag, parameters[flag].get('default', False))
    if values == step['parameters']:
        return False
    step['parameters'] = values
    return True


MUTATIONS = {
    'in-place': _in_place, 'replace': _replace, 'add': _add,
    'remove': _remove, 'swap': _swap, 'reverse': _reverse,
    'count': _count, 'provider': _provider, 'nested-input': _nested_input,
    'params': _params, 'fail': _fail, 'repair': _repair, 'again': _again,
    'external-id': _external_id,
}
