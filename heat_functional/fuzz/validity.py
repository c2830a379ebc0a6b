"""Structural validity of a generated template, checked without Heat.

``problems(template, providers, schemas)`` lists what would make Heat
refuse a template, or make it fail for a reason the fuzzer did not
mean: a version the fuzzer does not know; a function the version lacks
(config.FUZZ_VERSIONS); a ``get_resource``/``get_attr``/``depends_on``
naming no resource, or a conditional resource from outside its
condition; a ``get_param`` of no parameter; an unknown condition; a
dependency cycle; a resource type neither offered (schema.py) nor a
provider of the case; a property the type's schema (or the provider's
parameters) does not have; a required property or provider parameter
missing; a literal outside its constraints; an attribute the type
does not have. Providers are checked the same way, recursively.

Every generated template must have none (the unit tests check many
seeds); lifecycles.py and shrink.py drop candidates that have some.
Where openstack-heat is installed, a unit test also parses generated
templates with Heat's own Template class.
"""

from heat_functional import config
from heat_functional.fuzz import edit
from heat_functional.fuzz import generate

FUNCTION_NAMES = {'get_param', 'get_attr', 'get_resource', 'list_join',
                  'str_replace', 'repeat', 'digest', 'str_split',
                  'map_merge', 'if', 'equals', 'not', 'and', 'or',
                  'map_replace', 'filter', 'str_replace_strict',
                  'contains', 'list_concat', 'list_concat_unique',
                  'str_replace_vstrict', 'make_url', 'yaql',
                  'get_file', 'resource_facade'}
PSEUDO_PARAMETERS = ('OS::stack_name', 'OS::stack_id', 'OS::project_id')


def problems(template, providers, schemas, where='template'):
    """What is wrong with a template (empty when nothing is)."""
    found = []
    version = str(template.get('heat_template_version'))
    if version not in config.FUZZ_VERSIONS:
        return ['%s: unknown heat_template_version %s' % (where, version)]
    allowed = generate.functions_of(version)
    resources = template.get('resources') or {}
    parameters = template.get('parameters') or {}
    conditions = template.get('conditions') or {}
    found += _functions(template, allowed, where)
    for name, definition in sorted(resources.items()):
        found += _resource(name, definition, template, providers, schemas,
                           '%s: resource %s' % (where, name))
    for name, definition in sorted((template.get('outputs') or {}).items()):
        found += _references(definition.get('value'),
                             definition.get('condition'), resources,
                             parameters, '%s: output %s' % (where, name))
        if definition.get('condition') and \
                definition['condition'] not in conditions:
            found.append('%s: output %s: unknown condition %s'
                         % (where, name, definition['condition']))
    for name, expression in sorted(conditions.items()):
        found += _condition_names(expression, conditions,
                                  '%s: condition %s' % (where, name))
    if edit.has_cycle(edit.requires(template)):
        found.append('%s: a dependency cycle' % where)
    return found


def case_problems(case, schemas):
    """Every problem of every step's template and providers."""
    found = []
    for step in case['steps']:
        where = '%s step %s' % (case['name'], step['name'])
        found += problems(step['template'], step['providers'], schemas,
                          where)
        for type_name, provider in sorted(step['providers'].items()):
            found += problems(provider, step['providers'], schemas,
                              '%s provider %s' % (where, type_name))
    return found


def _functions(node, allowed, where):
    found = []
    if isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            if key in FUNCTION_NAMES and key not in allowed:
                found.append('%s: %s is not a function of this version'
                             % (where, key))
            if key == 'list_join' and isinstance(value, list) and \
                    len(value) == 2 and not isinstance(value[1], (list,
                                                                  dict)):
                found.append('%s: list_join of %r, not a list'
                             % (where, value[1]))
            if key == 'if' and isinstance(value, list) and \
                    len(value) == 2 and 'if/2' not in allowed:
                found.append('%s: a two-argument if needs 2021-04-16'
                             % where)
        for value in node.values():
            found += _functions(value, allowed, where)
    elif isinstance(node, list):
        for item in node:
            found += _functions(item, allowed, where)
    return found


def _resource(name, definition, template, providers, schemas, where):
    found = []
    resources = template.get('resources') or {}
    parameters = template.get('parameters') or {}
    condition = definition.get('condition')
    if condition and condition not in (template.get('conditions') or {}):
        found.append('%s: unknown condition %s' % (where, condition))
    for target in edit.depends_on(definition):
        found += _target(target, condition, resources, where, 'depends_on')
    if 'external_id' in definition and definition.get('depends_on'):
        found.append('%s: an external resource cannot have depends_on'
                     % where)
    found += _references({k: v for k, v in definition.items()
                          if k != 'depends_on'}, condition, resources,
                         parameters, where)
    found += _typed(definition.get('type'), definition.get('properties'),
                    providers, schemas, where,
                    external='external_id' in definition)
    for member in _members(definition):
        found += _typed(member.get('type'), member.get('properties'),
                        providers, schemas, where + ': member')
    return found


def _members(definition):
    properties = definition.get('properties') or {}
    for key in ('resource_def', 'resource'):
        if isinstance(properties.get(key), dict):
            yield properties[key]
    if isinstance(properties.get('resources'), list):
        for type_name in properties['resources']:
            yield {'type': type_name}


def _typed(type_name, properties, providers, schemas, where,
           external=False):
    """Whether the properties fit the type's schema (or provider)."""
    properties = properties or {}
    if not isinstance(type_name, str):
        return ['%s: no type' % where]
    if type_name.startswith(generate.PROVIDER_PREFIX):
        if type_name not in providers:
            return ['%s: provider %s is not among the case\'s files'
                    % (where, type_name)]
        params = providers[type_name].get('parameters') or {}
        found = ['%s: provider %s has no parameter %s'
                 % (where, type_name, p) for p in sorted(properties)
                 if p not in params]
        found += ['%s: provider parameter %s is required' % (where, p)
                  for p, d in sorted(params.items())
                  if 'default' not in d and p not in properties
                  and not external]
        return found
    if type_name not in schemas.schemas or \
            type_name not in schemas.offered:
        return ['%s: type %s is not offered' % (where, type_name)]
    schema = schemas.properties(type_name)
    found = ['%s: %s has no property %s' % (where, type_name, p)
             for p in sorted(properties) if p not in schema]
    if not external:
        found += ['%s: required property %s missing' % (where, p)
                  for p, s in sorted(schema.items())
                  if s.get('required') and p not in properties]
    for name, value in sorted(properties.items()):
        if name in schema:
            found += _within(value, schema[name], '%s: %s' % (where, name))
    return found


def _within(value, prop, where):
    """Problems of a literal against its schema (functions pass)."""
    if isinstance(value, dict) and len(value) == 1 and \
            next(iter(value)) in FUNCTION_NAMES:
        return []
    kind = prop.get('type')
    expected = {'string': str, 'boolean': bool, 'integer': int,
                'number': (int, float), 'list': list, 'map': dict}
    if kind in expected and not isinstance(value, expected[kind]) or \
            kind in ('integer', 'number') and isinstance(value, bool):
        return ['%s: %r is not a %s' % (where, value, kind)]
    found = []
    for constraint in prop.get('constraints') or []:
        if 'allowed_values' in constraint and \
                value not in constraint['allowed_values']:
            found.append('%s: %r is not allowed' % (where, value))
        bounds = constraint.get('range') or {}
        if isinstance(value, (int, float)) and (
                value < bounds.get('min', value) or
                value > bounds.get('max', value)):
            found.append('%s: %r is out of range' % (where, value))
        length = constraint.get('length') or {}
        if hasattr(value, '__len__') and (
                len(value) < length.get('min', 0) or
                len(value) > length.get('max', len(value))):
            found.append('%s: the length of %r is out of range'
                         % (where, value))
    inner = prop.get('schema') or {}
    if kind == 'list' and '*' in inner and isinstance(value, list):
        for number, item in enumerate(value):
            found += _within(item, inner['*'], '%s[%d]' % (where, number))
    if kind == 'map' and inner and isinstance(value, dict):
        found += ['%s: no key %s' % (where, k) for k in sorted(value)
                  if k not in inner]
        found += ['%s: %s is required' % (where, k)
                  for k, s in sorted(inner.items())
                  if s.get('required') and k not in value]
        for key, item in sorted(value.items()):
            if key in inner:
                found += _within(item, inner[key], '%s.%s' % (where, key))
    return found


def _references(node, condition, resources, parameters, where):
    found = []
    for function, target in edit.walk_references(node):
        found += _target(target, condition, resources, where, function)
    for name in edit.walk_params(node):
        if name not in parameters and name not in PSEUDO_PARAMETERS:
            found.append('%s: get_param of no parameter %s' % (where, name))
    return found


def _target(target, condition, resources, where, how):
    if target not in resources:
        return ['%s: %s names no resource %s' % (where, how, target)]
    other = resources[target].get('condition')
    if other and other != condition:
        return ['%s: %s names %s, which has condition %s'
                % (where, how, target, other)]
    return []


def _condition_names(expression, conditions, where):
    found = []
    if isinstance(expression, str) and expression not in conditions:
        found.append('%s: unknown condition %s' % (where, expression))
    elif isinstance(expression, dict):
        for key, value in expression.items():
            if key in ('not',):
                found += _condition_names(value, conditions, where)
            elif key in ('and', 'or'):
                for item in value:
                    found += _condition_names(item, conditions, where)
    return found
