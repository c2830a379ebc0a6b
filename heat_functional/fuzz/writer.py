"""A case written out as a ready corpus entry.

``write(case, directory)`` writes ``<name>.yaml`` (the create
template), ``<name>.lifecycle.yaml`` (its sidecar: create parameters,
rollback, ``requires``, and each update with its template, environment,
parameters, rollback and ``expect`` where declared) and, under
``<name>_files/``, each update's template, each step's environment and
the provider templates. A provider is a ``Fuzz::<Name>`` type mapped by
the step's environment (``resource_registry``) to its file, so an update
can change a provider's file under the same type name; a provider whose
content differs between steps gets one file per content. Outputs that
may carry a ``RandomString``'s value or a MultipartMime's config
(``random_outputs``: each carries a random draw) are declared
``random_outputs`` in the sidecar: the gate compares them by shape, as
each path draws its own value. The directory
is then a corpus that ``discovery.discover`` accepts (a unit test checks
it) and that ``heat-functional gate --templates DIR`` runs.
"""

import hashlib
import json
import os

import yaml

from heat_functional.fuzz import edit

#: Types whose values are drawn anew on each path: a RandomString's
#: string, and a MultipartMime's config, a MIME message whose boundary
#: Python's email package draws at random each time Heat renders it
#: (heat/engine/resources/openstack/heat/multi_part.py; seed
#: rediscover-1's case 19 showed two boundaries as a difference).
RANDOM_TYPES = ('OS::Heat::RandomString', 'OS::Heat::MultipartMime')


def write(case, directory):
    """Write `case` into `directory`; returns the template's path."""
    name = case['name']
    files = os.path.join(directory, name + '_files')
    os.makedirs(files, exist_ok=True)
    provider_files = _provider_files(case)
    create = case['steps'][0]
    sidecar = {'description': 'Generated case %s of seed %s (heat-'
               'functional fuzz).' % (case['number'], case['seed'])}
    if create['parameters']:
        sidecar['parameters'] = create['parameters']
    if case.get('requires'):
        sidecar['requires'] = list(case['requires'])
    randoms = random_outputs(case)
    if randoms:
        sidecar['random_outputs'] = randoms
    if create.get('rollback'):
        sidecar['rollback'] = True
    if create.get('expect'):
        sidecar['expect'] = create['expect']
    if create['providers']:
        sidecar['environment'] = _environment(
            files, name, 'create', create, provider_files)
    updates = []
    for step in case['steps'][1:]:
        stem = step['name'].replace('-', '_')
        _dump(step['template'], os.path.join(files, stem + '.yaml'))
        update = {'name': step['name'],
                  'description': 'fuzz step kind %s' % step['kind'],
                  'template': '%s_files/%s.yaml' % (name, stem),
                  'parameters': step['parameters']}
        if step['providers']:
            update['environment'] = _environment(
                files, name, stem, step, provider_files)
        if step.get('rollback'):
            update['rollback'] = True
        if step.get('expect'):
            update['expect'] = step['expect']
        updates.append(update)
    sidecar['updates'] = updates
    path = os.path.join(directory, name + '.yaml')
    _dump(create['template'], path)
    _dump(sidecar, os.path.join(directory, name + '.lifecycle.yaml'))
    return path


def _provider_files(case):
    """{(type, content digest): file name} of every provider version."""
    found = {}
    for step in case['steps']:
        for type_name, template in sorted(step['providers'].items()):
            digest = hashlib.sha256(json.dumps(
                template, sort_keys=True).encode()).hexdigest()[:8]
            found.setdefault((type_name, digest), None)
    names = {}
    for type_name, digest in sorted(found):
        base = type_name.split('::')[-1].lower()
        versions = [d for t, d in found if t == type_name]
        names[(type_name, digest)] = base + '.yaml' if len(versions) == 1 \
            else '%s_%s.yaml' % (base, digest)
    return names


def _environment(files, name, stem, step, provider_files):
    registry = {}
    for type_name, template in sorted(step['providers'].items()):
        digest = hashlib.sha256(json.dumps(
            template, sort_keys=True).encode()).hexdigest()[:8]
        filename = provider_files[(type_name, digest)]
        _dump(template, os.path.join(files, filename))
        registry[type_name] = filename
    _dump({'resource_registry': registry},
          os.path.join(files, stem + '.env.yaml'))
    return '%s_files/%s.env.yaml' % (name, stem)


def _dump(data, path):
    with open(path, 'w') as f:
        yaml.safe_dump(data, f, default_flow_style=False, sort_keys=False)


def random_outputs(case):
    """The outputs of any step's template that may carry a random
    value: those naming a resource that is, holds (a group's or chain's
    members, a provider's or a remote stack's template) or reads one."""
    found = set()
    for step in case['steps']:
        random_types = _random_providers(step['providers'])
        resources = _random_resources(step['template'], random_types)
        for name, output in (step['template'].get('outputs') or
                             {}).items():
            if any(target in resources for _, target in
                   edit.walk_references(output.get('value'))):
                found.add(name)
    return sorted(found)


def _mentions(node, names):
    text = json.dumps(node)
    return any('"%s"' % name in text for name in names)


def _random_providers(providers):
    """The provider types whose templates hold a random value, at any
    depth (a provider may use another)."""
    random_types = set(RANDOM_TYPES)
    changed = True
    while changed:
        changed = False
        for type_name, template in providers.items():
            if type_name not in random_types and \
                    _mentions(template, random_types):
                random_types.add(type_name)
                changed = True
    return random_types


def _random_resources(template, random_types):
    resources = template.get('resources') or {}
    found = {name for name, definition in resources.items()
             if _mentions(definition, random_types)}
    graph = {name: {target for _, target in edit.walk_references(
        {k: v for k, v in definition.items() if k != 'depends_on'})}
        for name, definition in resources.items()}
    changed = True
    while changed:
        changed = False
        for name, needs in graph.items():
            if name not in found and needs & found:
                found.add(name)
                changed = True
    return found
