"""Random valid HOT templates from a seed and a case number.

Case K of seed S is always the same template and lifecycle, whatever
ran before it: each case draws from its own ``random.Random`` seeded
with the text ``"S:K"`` (``case_random``), and nothing else is random.
Everything generated is plain JSON data (dicts, lists, strings, numbers,
booleans), so a case can be stored, compared and written out as is.

The ``Builder`` writes one template: parameters with constraints,
conditions (from HOT 2016-10-14), resources of the types the
deployment offers (schema.py, weighted by ``config.FUZZ_TYPES``),
their properties drawn from each type's schema, values that are
literals or the version's intrinsic functions, ``depends_on`` and
implicit dependencies through ``get_attr``/``get_resource`` (only on
resources made before: the graph has no cycle by construction),
``deletion_policy``, ``update_policy`` for groups, ``external_id``,
and outputs of every kind. Provider templates are nested builders, up
to ``config.FUZZ_MAX_DEPTH`` levels, registered as ``Fuzz::<Name>``
types in the case's environment (writer.py writes their files), so an
update can change a provider file under the same type name.

What the schema cannot say is in the hooks (``HOOKS``): the properties
whose value names another type (a group's member definition, a chain's
types), holds a template (``OS::Heat::Stack``), must agree with
another property (a Value's ``type``, an AutoScalingGroup's sizes), or
would make every case fail (``fail`` is left to the lifecycle's
injected failures). Every other property comes from the schema.
"""

import copy
import random
import string

import yaml

from heat_functional import config
from heat_functional.fuzz import edit

PROVIDER_PREFIX = 'Fuzz::'
WORDS = ('alpha', 'bravo', 'delta', 'echo', 'gamma', 'kilo', 'lima')
#: Resource types a group or chain may hold (where offered), besides
#: provider templates.
MEMBER_TYPES = ('OS::Heat::TestResource', 'OS::Heat::None',
                'OS::Heat::Value', 'OS::Heat::RandomString')
#: Types a resource with external_id may have (Heat adopts the id).
EXTERNAL_TYPES = ('OS::Heat::TestResource', 'OS::Heat::None')
#: Types whose instances may be retained on delete (nothing is left
#: behind but a row of this stack).
RETAINABLE = ('OS::Heat::TestResource', 'OS::Heat::None',
              'OS::Heat::Value', 'OS::Heat::RandomString')
GROUPS = ('OS::Heat::ResourceGroup', 'OS::Heat::AutoScalingGroup',
          'OS::Heat::ResourceChain')
SHORT = {'OS::Heat::TestResource': 'test', 'OS::Heat::None': 'none',
         'OS::Heat::Value': 'value', 'OS::Heat::RandomString': 'random',
         'OS::Heat::ResourceGroup': 'group',
         'OS::Heat::ResourceChain': 'chain',
         'OS::Heat::AutoScalingGroup': 'asg', 'OS::Heat::Stack': 'stack'}


def case_random(seed, number):
    """The random source of case `number` of `seed`: the same for the
    same pair, whatever other cases ran (str seeds hash with SHA-512)."""
    return random.Random('%s:%s' % (seed, number))


def versions_from(version):
    """The HOT versions the fuzzer knows, from `version` on."""
    known = sorted(config.FUZZ_VERSIONS)
    return known[known.index(version):]


def functions_of(version):
    """The functions the fuzzer may use in a template of `version`."""
    known = sorted(config.FUZZ_VERSIONS)
    found = set()
    for name in known[:known.index(version) + 1]:
        found.update(config.FUZZ_VERSIONS[name])
    return found


class Record(object):
    """What a made resource offers to those made after it."""

    def __init__(self, name, type_name, condition=None):
        self.name = name
        self.type = type_name
        self.condition = condition
        #: Attributes that are strings, and lists, of this resource.
        self.strings = []
        self.lists = []
        #: Whether get_resource may name it (not a conditional one).
        self.external = False


class Builder(object):
    """Writes one template (the root, a provider, or a remote stack's)."""

    def __init__(self, rng, schemas, version, keystone=True, depth=0,
                 providers=None, files_allowed=True):
        self.rng = rng
        self.schemas = schemas
        self.version = version
        self.functions = functions_of(version)
        self.keystone = keystone
        self.depth = depth
        #: {provider type: template} shared by every builder of a case.
        self.providers = {} if providers is None else providers
        self.files_allowed = files_allowed
        self.parameters = {}
        self.conditions = {}
        self.resources = {}
        self.records = {}
        self.outputs = {}
        self.types = schemas.usable_types(keystone)

    # -- the whole template ------------------------------------------------

    def build(self, resources=None, outputs=None):
        rng = self.rng
        for _ in range(rng.randint(0, 3)):
            self.add_parameter()
        if 'if' in self.functions and rng.random() < 0.5:
            self.add_conditions()
        count = resources if resources is not None else \
            rng.randint(1, max(1, config.FUZZ_MAX_RESOURCES - 2 * self.depth))
        for _ in range(count):
            self.add_resource()
        if rng.random() < 0.6:
            self.add_consumer()
        for _ in range(outputs if outputs is not None
                       else rng.randint(1, 4)):
            self.add_output()
        return self.template()

    def template(self):
        body = {'heat_template_version': self.version}
        for key, value in (('parameters', self.parameters),
                           ('conditions', self.conditions),
                           ('resources', self.resources),
                           ('outputs', self.outputs)):
            if value:
                body[key] = value
        return body

    def fresh(self, prefix, taken):
        number = 1
        while '%s%d' % (prefix, number) in taken:
            number += 1
        return '%s%d' % (prefix, number)

    def adopt(self, template, providers):
        """Go on from a template written before (an update's base):
        later additions read its parameters, conditions and resources."""
        self.version = template['heat_template_version']
        self.functions = functions_of(self.version)
        self.providers = providers
        for section in ('parameters', 'conditions', 'resources',
                        'outputs'):
            setattr(self, section, copy.deepcopy(template.get(section)
                                                 or {}))
        self.records = {}
        for name, definition in sorted(self.resources.items()):
            record = Record(name, definition.get('type'),
                            definition.get('condition'))
            self.offer(record, definition)
            self.records[name] = record
        return self

    # -- parameters and conditions -----------------------------------------

    def add_parameter(self, kind=None):
        rng = self.rng
        kind = kind or rng.choice(['string', 'string', 'number', 'boolean',
                                   'comma_delimited_list', 'json'])
        name = self.fresh('p_' + kind.split('_')[0], self.parameters)
        definition = {'type': kind}
        if kind == 'string':
            choice = rng.choice(['allowed', 'length', 'pattern', 'plain'])
            default = rng.choice(WORDS)
            if choice == 'allowed':
                definition['constraints'] = [
                    {'allowed_values': sorted(rng.sample(WORDS, 3))}]
                default = definition['constraints'][0]['allowed_values'][0]
            elif choice == 'length':
                definition['constraints'] = [{'length': {'min': 1,
                                                         'max': 12}}]
            elif choice == 'pattern':
                definition['constraints'] = [{'allowed_pattern': '[a-z]+'}]
            definition['default'] = default
        elif kind == 'number':
            definition['constraints'] = [{'range': {'min': 0, 'max': 3}}]
            definition['default'] = rng.randint(0, 3)
        elif kind == 'boolean':
            definition['default'] = rng.random() < 0.5
        elif kind == 'comma_delimited_list':
            definition['default'] = ','.join(rng.sample(WORDS, 2))
        else:
            definition['default'] = {rng.choice(WORDS): rng.choice(WORDS)}
        self.parameters[name] = definition
        return name

    def params_of(self, kind):
        return sorted(n for n, d in self.parameters.items()
                      if d['type'] == kind)

    def add_conditions(self):
        rng = self.rng
        flag = (self.params_of('boolean') or
                [self.add_parameter('boolean')])[0]
        self.conditions['c_flag'] = {'get_param': flag}
        words = [n for n in self.params_of('string')
                 if 'allowed_values' in str(self.parameters[n])]
        if words:
            allowed = self.parameters[words[0]]['constraints'][0][
                'allowed_values']
            self.conditions['c_word'] = {
                'equals': [{'get_param': words[0]}, rng.choice(allowed)]}
            if 'contains' in self.functions and rng.random() < 0.5:
                self.conditions['c_word'] = {'contains': [
                    {'get_param': words[0]}, sorted(rng.sample(allowed,
                                                               2))]}
        self.conditions['c_not'] = {'not': 'c_flag'}
        if len(self.conditions) > 2 and rng.random() < 0.5:
            combine = rng.choice(['and', 'or'])
            self.conditions['c_' + combine] = {
                combine: ['c_flag', 'c_word']}

    # -- resources ---------------------------------------------------------

    def choose_type(self):
        weights = dict(self.types)
        if self.files_allowed and self.depth < config.FUZZ_MAX_DEPTH:
            weights['<provider>'] = config.FUZZ_PROVIDER_WEIGHT
        if self.depth >= 1:
            for heavy in GROUPS + ('OS::Heat::Stack',):
                weights.pop(heavy, None)
        names = sorted(weights)
        return self.rng.choices(names, [weights[n] for n in names])[0]

    def add_resource(self, type_name=None):
        rng = self.rng
        type_name = type_name or self.choose_type()
        if type_name == '<provider>':
            type_name = self.new_provider()
        short = SHORT.get(type_name) or (
            'nested' if type_name.startswith(PROVIDER_PREFIX) else 'config')
        name = self.fresh(short, self.resources)
        condition = None
        if self.conditions and rng.random() < 0.2:
            condition = rng.choice(sorted(self.conditions))
        record = Record(name, type_name, condition)
        definition = {'type': type_name}
        properties = self.properties_for(type_name, record)
        if properties:
            definition['properties'] = properties
        if condition:
            definition['condition'] = condition
        self.decorate(definition, record)
        self.resources[name] = definition
        self.records[name] = record
        self.offer(record, definition)
        return name

    def add_consumer(self):
        """A TestResource fed by a provider's nested output that no
        sibling reads yet: an update that changes the provider's input
        must reach it (divergences/nested_output_feeds_sibling)."""
        read = {t for d in self.resources.values()
                for _, t in edit.walk_references(d)}
        fed = [r for n, r in sorted(self.records.items())
               if r.type.startswith(PROVIDER_PREFIX) and r.strings
               and n not in read and r.condition is None]
        if not fed or 'OS::Heat::TestResource' not in self.types:
            return None
        source = self.rng.choice(fed)
        name = self.fresh('test', self.resources)
        self.resources[name] = {'type': 'OS::Heat::TestResource',
                                'properties': {'value': {'get_attr': [
                                    source.name,
                                    self.rng.choice(source.strings)]}}}
        record = Record(name, 'OS::Heat::TestResource')
        self.offer(record, self.resources[name])
        self.records[name] = record
        return name

    def decorate(self, definition, record):
        """depends_on, deletion_policy, update_policy, external_id,
        metadata: each sometimes."""
        rng = self.rng
        earlier = self.reachable(record.condition)
        earlier = [n for n in earlier if n != record.name]
        external = (record.type in EXTERNAL_TYPES and
                    self.version >= '2017-02-24' and rng.random() < 0.15)
        if external:
            definition['external_id'] = 'fuzz-%s-%d' % (
                record.name, rng.randint(1, 99))
            definition.pop('properties', None)
            return
        if earlier and rng.random() < 0.4:
            chosen = sorted(rng.sample(earlier, rng.randint(
                1, min(2, len(earlier)))))
            definition['depends_on'] = chosen[0] if len(chosen) == 1 and \
                rng.random() < 0.5 else chosen
        if rng.random() < 0.2:
            definition['deletion_policy'] = rng.choice(
                ['Delete', 'Retain'] if record.type in RETAINABLE
                else ['Delete'])
        if record.type == 'OS::Heat::ResourceGroup' and rng.random() < 0.5:
            definition['update_policy'] = self.group_update_policy()
        if rng.random() < 0.15:
            definition['metadata'] = {rng.choice(WORDS): rng.choice(WORDS)}

    def group_update_policy(self):
        rng = self.rng
        policy = {}
        if rng.random() < 0.7:
            policy['rolling_update'] = {
                'max_batch_size': rng.randint(1, 2),
                'min_in_service': rng.randint(0, 1), 'pause_time': 0}
        if rng.random() < 0.5 or not policy:
            policy['batch_create'] = {'max_batch_size': rng.randint(1, 2),
                                      'pause_time': 0}
        return policy

    def reachable(self, condition):
        """Resources a resource (or output) with `condition` may name:
        those without a condition, and those with the same one."""
        return sorted(n for n, r in self.records.items()
                      if r.condition in (None, condition))

    def offer(self, record, definition):
        """Which attributes of a made resource later ones may read."""
        if record.type.startswith(PROVIDER_PREFIX):
            nested = self.providers[record.type]
            record.strings = sorted(nested.get('outputs') or {})
            return
        attributes = self.schemas.attributes(record.type)
        for name, schema in sorted(attributes.items()):
            kind = schema.get('type')
            if name == 'show':
                continue
            if kind in (None, 'string'):
                record.strings.append(name)
            elif kind == 'list':
                record.lists.append(name)
        if record.type == 'OS::Heat::Value':
            value_type = (definition.get('properties') or {}).get('type')
            if value_type != 'string':
                record.strings.remove('value')
        if record.type == 'OS::Heat::Stack':
            record.strings = []

    def new_provider(self):
        """A provider template one level down, registered by type."""
        type_name = PROVIDER_PREFIX + self.fresh(
            'P', {t[len(PROVIDER_PREFIX):] for t in self.providers})
        self.providers[type_name] = None      # the name is taken
        nested = Builder(self.rng, self.schemas, self.rng.choice(
            versions_from(self.version)), self.keystone, self.depth + 1,
            self.providers)
        template = nested.build(resources=self.rng.randint(1, 2))
        for name in nested.params_of('string')[:1]:
            template['parameters'][name].pop('default', None)
            # an output the input reaches, for a sibling to read
            # (divergences/nested_output_feeds_sibling)
            outputs = template.setdefault('outputs', {})
            outputs[nested.fresh('out', outputs)] = {'value': {
                'list_join': ['+', [{'get_param': name},
                                    {'get_param': name}]]}}
        self.providers[type_name] = template
        return type_name

    # -- property values ---------------------------------------------------

    def properties_for(self, type_name, record):
        if type_name.startswith(PROVIDER_PREFIX):
            return self.provider_properties(type_name, record)
        schema = self.schemas.properties(type_name)
        avoided = config.FUZZ_AVOID_PROPERTIES.get(type_name, {})
        hook = HOOKS.get(type_name)
        values = _in_schema(hook(self, record) if hook else {}, schema)
        values = {name: self.nullable(value, schema[name])
                  if isinstance(value, str) else value
                  for name, value in values.items()}
        for name, prop in sorted(schema.items()):
            if name in values or name in avoided:
                continue
            if prop.get('required') or self.rng.random() < 0.35:
                value = self.value_for(prop, record)
                if value is not None:
                    values[name] = self.nullable(value, prop)
        return {k: v for k, v in values.items() if v is not None}

    def nullable(self, value, prop):
        """Sometimes a two-argument ``if`` (HOT 2021-04-16) around an
        optional property's value: false drops the property."""
        if ('if/2' in self.functions and self.conditions and
                not prop.get('required') and self.rng.random() < 0.3):
            return {'if': [self.rng.choice(sorted(self.conditions)), value]}
        return value

    def provider_properties(self, type_name, record):
        template = self.providers[type_name]
        values = {}
        for name, definition in sorted(
                (template.get('parameters') or {}).items()):
            if 'default' not in definition or self.rng.random() < 0.5:
                values[name] = self.parameter_value(definition, record)
        return values

    def parameter_value(self, definition, record):
        """A value a parameter of this definition accepts."""
        constraints = definition.get('constraints') or [{}]
        if definition['type'] == 'string':
            allowed = constraints[0].get('allowed_values')
            if allowed:
                return self.rng.choice(allowed)
            if set(constraints[0]) & {'allowed_pattern', 'length'}:
                return self.rng.choice(WORDS)
            return self.string_value(record)
        prop = {'type': {'number': 'integer', 'json': 'map',
                         'comma_delimited_list': 'list'}.get(
                             definition['type'], definition['type'])}
        if definition['type'] == 'number':
            prop['constraints'] = constraints
        return self.literal(prop)

    def value_for(self, prop, record, literal_only=False):
        """A value of a property's schema: a literal within its
        constraints or, for strings, numbers and booleans, sometimes a
        function; None where nothing valid can be drawn."""
        kind = prop.get('type')
        constraints = prop.get('constraints') or []
        picky = [c for c in constraints
                 if 'allowed_pattern' in c or 'custom_constraint' in c]
        if picky:
            return prop.get('default')
        allowed = [c['allowed_values'] for c in constraints
                   if 'allowed_values' in c]
        if allowed:
            return self.rng.choice(allowed[0])
        if literal_only:
            return self.literal(prop)
        if kind == 'string' and not any('length' in c for c in constraints):
            return self.string_value(record)
        if kind in ('boolean', 'integer', 'number') and \
                self.rng.random() < 0.25:
            typed = {'boolean': 'boolean'}.get(kind, 'number')
            names = self.params_of(typed)
            if names and kind == 'boolean':
                return {'get_param': self.rng.choice(names)}
        return self.literal(prop)

    def literal(self, prop):
        rng = self.rng
        kind = prop.get('type')
        bounds = {}
        for constraint in prop.get('constraints') or []:
            bounds.update(constraint.get('range') or {})
            bounds.update({'l' + k: v for k, v in
                           (constraint.get('length') or {}).items()})
        for constraint in prop.get('constraints') or []:
            if 'allowed_values' in constraint:
                return rng.choice(constraint['allowed_values'])
        if kind == 'boolean':
            return rng.random() < 0.5
        if kind in ('integer', 'number'):
            low = max(bounds.get('min', 0), 0)
            high = min(bounds.get('max', config.FUZZ_MAX_WAIT_SECS),
                       low + 15)
            return rng.randint(int(low), int(high))
        if kind == 'string':
            low = max(bounds.get('lmin', 1), 1)
            high = min(bounds.get('lmax', 10), 10)
            return ''.join(rng.choice(string.ascii_lowercase)
                           for _ in range(rng.randint(low, max(low, high))))
        if kind == 'list':
            item = (prop.get('schema') or {}).get('*', {'type': 'string'})
            low = max(bounds.get('lmin', 0), 0)
            return [self.literal(item)
                    for _ in range(rng.randint(low, max(low, 2)))]
        if kind == 'map':
            inner = prop.get('schema')
            if inner:
                return self.typed_default({
                    name: self.literal(sub)
                    for name, sub in sorted(inner.items())
                    if sub.get('required') or rng.random() < 0.4
                    if not _picky(sub)}, inner)
            return {rng.choice(WORDS): rng.choice(WORDS)}
        return rng.choice([rng.choice(WORDS), {'k': rng.choice(WORDS)},
                           [rng.choice(WORDS)]])

    def typed_default(self, values, schema=None):
        """A map that gives a ``type`` (a parameter type's name) and a
        ``default`` of no schema type, its default made of that type:
        Heat checks the one against the other when the resource is
        created, not when the template is validated (a software config's
        inputs: software_config_io.InputConfig), so a default of
        another type fails the create on both paths, and what else of
        the stack runs first is then the engines' timing (seed
        rediscover-1's case 70). A map without its ``type`` has the
        type its `schema` defaults to (``String`` for an input: seed
        rediscover-1's case 136 of 2026-12-04, a list default)."""
        type_name = values.get('type') or (
            (schema or {}).get('type') or {}).get('default')
        if 'default' not in values or not type_name:
            return values
        make = TYPED_DEFAULTS.get(type_name)
        values = dict(values)
        if make is None:
            del values['default']
        else:
            values['default'] = make(self.rng)
        return values

    def string_value(self, record, depth=0):
        """A string: a literal, or one of the version's functions that
        gives a string, reading parameters and earlier resources."""
        rng = self.rng
        options = ['word'] * 3
        strings = self.params_of('string')
        sources = [r for n, r in sorted(self.records.items())
                   if n in self.reachable(record.condition)
                   and n != record.name]
        if strings:
            options.append('param')
        if any(r.strings for r in sources):
            options += ['attr'] * 3
        if sources:
            options.append('resource')
        if any(r.lists for r in sources):
            options.append('joined_list')
        if depth < 2:
            options += ['str_replace', 'list_join', 'digest']
            for function in ('if', 'str_split', 'repeat', 'list_concat',
                             'str_replace_strict', 'str_replace_vstrict',
                             'filter', 'list_concat_unique'):
                if function in self.functions:
                    options.append(function)
        choice = rng.choice(options)
        inner = (lambda: self.string_value(record, depth + 1))
        if choice == 'word':
            return rng.choice(WORDS)
        if choice == 'param':
            return {'get_param': rng.choice(strings)}
        if choice == 'attr':
            source = rng.choice([r for r in sources if r.strings])
            return {'get_attr': [source.name, rng.choice(source.strings)]}
        if choice == 'resource':
            return {'get_resource': rng.choice(sources).name}
        if choice == 'joined_list':
            source = rng.choice([r for r in sources if r.lists])
            return {'list_join': [',', {'get_attr': [
                source.name, rng.choice(source.lists)]}]}
        if choice == 'str_replace':
            return {'str_replace': {'template': 'x-$a-y',
                                    'params': {'$a': inner()}}}
        if choice == 'str_replace_strict':
            return {choice: {'template': 'w-$a', 'params': {'$a': inner()}}}
        if choice == 'str_replace_vstrict':
            # Heat checks vstrict's values at validation too, when
            # attributes are still None: only what is known.
            return {choice: {'template': 'v-$a', 'params': {
                '$a': rng.choice(WORDS)}}}
        if choice == 'list_join':
            return {'list_join': ['-', [inner(), inner()]]}
        if choice == 'digest':
            # Heat checks digest's arguments once resolved, at validation
            # too, when attributes are still None: only what is known.
            static = rng.choice(WORDS)
            return {'digest': ['sha256', static]}
        if choice == 'str_split':
            return {'list_join': ['+', {'str_split': [',', 'a,b,c']}]}
        if choice == 'repeat':
            return {'list_join': [',', {'repeat': {
                'for_each': {'%w%': sorted(rng.sample(WORDS, 2))},
                'template': 'r-%w%'}}]}
        if choice == 'filter':
            kept = sorted(rng.sample(WORDS, 3))
            return {'list_join': [',', {'filter': [[kept[0]], kept]}]}
        if choice == 'list_concat_unique':
            word = rng.choice(WORDS)
            return {'list_join': [',', {'list_concat_unique': [
                [word], [word, inner()]]}]}
        if choice == 'list_concat':
            return {'list_join': [',', {'list_concat': [[inner()],
                                                        [inner()]]}]}
        condition = rng.choice(sorted(self.conditions)) \
            if self.conditions else None
        if condition is None:
            return rng.choice(WORDS)
        return {'if': [condition, inner(), inner()]}

    # -- outputs -----------------------------------------------------------

    def add_output(self):
        rng = self.rng
        name = self.fresh('out', self.outputs)
        condition = None
        if self.conditions and rng.random() < 0.2:
            condition = rng.choice(sorted(self.conditions))
        record = Record('<output>', None, condition)
        kind = rng.choice(['string', 'string', 'member', 'resource',
                           'param'])
        sources = [self.records[n] for n in self.reachable(condition)]
        groups = [r for r in sources if r.type == 'OS::Heat::ResourceGroup'
                  and self.member_strings(r)]
        if kind == 'member' and groups:
            group = rng.choice(groups)
            value = {'get_attr': [group.name,
                                  rng.choice(self.member_strings(group))]}
        elif kind == 'resource' and sources:
            value = {'get_resource': rng.choice(sources).name}
        elif kind == 'param' and self.parameters:
            value = {'get_param': rng.choice(sorted(self.parameters))}
        else:
            value = self.string_value(record)
        self.outputs[name] = {'value': value}
        if condition:
            self.outputs[name]['condition'] = condition
        return name

    def member_strings(self, group):
        member = self.resources[group.name]['properties'][
            'resource_def']['type']
        if member.startswith(PROVIDER_PREFIX):
            return sorted(self.providers[member].get('outputs') or {})
        if member in ('OS::Heat::TestResource',):
            return ['output']
        return []


def _in_schema(values, schema):
    """A hook's values, only for properties the schema has (a Heat
    without one of them is fuzzed without it)."""
    return {k: v for k, v in values.items() if k in schema}


#: A value of each parameter type, for a default typed by a sibling
#: ``type`` (Builder.typed_default).
TYPED_DEFAULTS = {
    'String': lambda rng: rng.choice(WORDS),
    'Number': lambda rng: rng.randint(0, 9),
    'Boolean': lambda rng: rng.random() < 0.5,
    'Json': lambda rng: {'k': rng.choice(WORDS)},
    'CommaDelimitedList': lambda rng: ','.join(rng.sample(WORDS, 2)),
}


def _picky(prop):
    return any('allowed_pattern' in c or 'custom_constraint' in c
               for c in prop.get('constraints') or [])


# -- hooks: what the schema cannot say ------------------------------------

def _member(builder):
    """A member type for a group or chain, and its properties."""
    rng = builder.rng
    choices = [t for t in MEMBER_TYPES if t in builder.types]
    if builder.depth + 1 < config.FUZZ_MAX_DEPTH and rng.random() < 0.3:
        type_name = builder.new_provider()
        record = Record('<member>', type_name)
        return type_name, builder.provider_properties(type_name, record)
    type_name = rng.choice(choices)
    record = Record('<member>', type_name)
    hook = HOOKS.get(type_name)
    values = _in_schema(hook(builder, record, literal_only=True) if hook
                        else {}, builder.schemas.properties(type_name))
    avoided = config.FUZZ_AVOID_PROPERTIES.get(type_name, {})
    for name, prop in sorted(builder.schemas.properties(type_name).items()):
        if name in values or name in avoided or _picky(prop):
            continue
        if prop.get('required') or rng.random() < 0.3:
            values[name] = builder.value_for(prop, record, literal_only=True)
    if type_name == 'OS::Heat::TestResource' and rng.random() < 0.5:
        values['value'] = 'member-%index%'
    return type_name, {k: v for k, v in values.items() if v is not None}


def _test_resource(builder, record, literal_only=False):
    rng = builder.rng
    values = {}
    if rng.random() < 0.8:
        values['value'] = rng.choice(WORDS) if literal_only else \
            builder.string_value(record)
    values['fail'] = None
    if rng.random() < 0.3:
        values['update_replace'] = rng.random() < 0.5
    return values


def _value(builder, record, literal_only=False):
    rng = builder.rng
    kind = rng.choice(['string', 'string', 'json', None])
    if kind == 'string':
        value = rng.choice(WORDS) if literal_only else \
            builder.string_value(record)
        return {'type': 'string', 'value': value}
    if kind == 'json':
        value = {rng.choice(WORDS): rng.choice(WORDS)}
        if not literal_only and 'map_merge' in builder.functions:
            value = {'map_merge': [value, {'k': builder.string_value(
                record)}]}
        if not literal_only and 'map_replace' in builder.functions and \
                rng.random() < 0.4:
            value = {'map_replace': [value, {'keys': {'k': 'renamed'}}]}
        return {'type': 'json', 'value': value}
    return {'type': None, 'value': rng.choice(WORDS) if literal_only
            else builder.string_value(record)}


def _random_string(builder, record, literal_only=False):
    return {'length': builder.rng.randint(4, 16)}


def _resource_group(builder, record, literal_only=False):
    rng = builder.rng
    member, properties = _member(builder)
    definition = {'type': member}
    if properties:
        definition['properties'] = properties
    counts = builder.params_of('number')
    count = {'get_param': rng.choice(counts)} \
        if counts and rng.random() < 0.5 else rng.randint(0, 3)
    return {'count': count, 'resource_def': definition,
            'removal_policies': None, 'index_var': None,
            'removal_policies_mode': None}


def _autoscaling_group(builder, record, literal_only=False):
    rng = builder.rng
    member, properties = _member(builder)
    low = rng.randint(0, 2)
    values = {'min_size': low, 'max_size': low + rng.randint(0, 2),
              'resource': {'type': member}, 'cooldown': None}
    if properties:
        values['resource']['properties'] = properties
    values['desired_capacity'] = None
    if rng.random() < 0.5:
        values['desired_capacity'] = rng.randint(low, values['max_size'])
    if rng.random() < 0.4:
        values['rolling_updates'] = {
            'max_batch_size': rng.randint(1, 2),
            'min_in_service': 0, 'pause_time': 0}
    else:
        values['rolling_updates'] = None
    return values


def _resource_chain(builder, record, literal_only=False):
    rng = builder.rng
    choices = [t for t in MEMBER_TYPES if t in builder.types and not any(
        p.get('required') for p in builder.schemas.properties(t).values())]
    types = [rng.choice(choices) for _ in range(rng.randint(1, 3))]
    values = {'resources': types, 'concurrent': rng.random() < 0.5,
              'resource_properties': None}
    if set(types) == {'OS::Heat::TestResource'} and rng.random() < 0.5:
        values['resource_properties'] = {'value': rng.choice(WORDS)}
    return values


def _stack(builder, record, literal_only=False):
    """A remote stack: its template is text, without provider files
    (OS::Heat::Stack sends none)."""
    nested = Builder(builder.rng, builder.schemas, builder.version,
                     keystone=False, depth=config.FUZZ_MAX_DEPTH,
                     files_allowed=False)
    template = nested.build(resources=builder.rng.randint(1, 2))
    parameters = {name: builder.literal({'type': 'string'})
                  for name, definition in
                  sorted((template.get('parameters') or {}).items())
                  if definition['type'] == 'string'
                  and not definition.get('constraints')
                  and builder.rng.random() < 0.5}
    return {'template': yaml.safe_dump(template, default_flow_style=False,
                                       sort_keys=True),
            'parameters': parameters, 'context': None, 'timeout': None}


def _multipart(builder, record, literal_only=False):
    configs = [r.name for n, r in sorted(builder.records.items())
               if r.type in ('OS::Heat::SoftwareConfig',
                             'OS::Heat::CloudConfig')
               and r.condition in (None, record.condition)]
    parts = [{'config': {'get_resource': name}} for name in configs[:2]]
    return {'parts': parts or [{'config': builder.rng.choice(WORDS)}]}


def _component(builder, record, literal_only=False):
    return {'configs': [{'actions': ['CREATE'], 'tool': 'script',
                         'config': builder.string_value(record)}]}


def _software_config(builder, record, literal_only=False):
    return {'config': builder.string_value(record),
            'group': builder.rng.choice(['script', 'Heat::Ungrouped'])}


HOOKS = {
    'OS::Heat::TestResource': _test_resource,
    'OS::Heat::Value': _value,
    'OS::Heat::RandomString': _random_string,
    'OS::Heat::ResourceGroup': _resource_group,
    'OS::Heat::AutoScalingGroup': _autoscaling_group,
    'OS::Heat::ResourceChain': _resource_chain,
    'OS::Heat::Stack': _stack,
    'OS::Heat::MultipartMime': _multipart,
    'OS::Heat::SoftwareComponent': _component,
    'OS::Heat::SoftwareConfig': _software_config,
}


# -- a whole case ---------------------------------------------------------

def case_name(seed, number):
    return 'fuzz_%s_%d' % (''.join(c if c.isalnum() else '_'
                                   for c in str(seed)), number)


def case(schemas, seed, number, keystone=True):
    """Case `number` of `seed`: its name, the template, the providers,
    and its lifecycle's steps (lifecycles.py), as plain data."""
    from heat_functional.fuzz import lifecycles
    rng = case_random(seed, number)
    version = rng.choice(sorted(config.FUZZ_VERSIONS))
    builder = Builder(rng, schemas, version, keystone)
    template = builder.build()
    create = {'name': 'create', 'kind': 'create', 'template': template,
              'providers': {k: v for k, v in builder.providers.items()},
              'parameters': create_parameters(rng, template),
              'rollback': rng.random() < 0.2, 'expect': None}
    steps = lifecycles.steps(rng, builder, create)
    used = used_types(steps)
    return {'name': case_name(seed, number), 'seed': seed,
            'number': number, 'version': version,
            'requires': ['keystone'] if used & set(
                config.FUZZ_KEYSTONE_TYPES) else [],
            'steps': steps, 'suites': suites(seed, number)}


def suites(seed, number):
    """The stack-action sequences case `number` of `seed` also goes
    through (config.FUZZ_SUITES): ``actions``, and ``failures/<one
    sequence>``. From a random source of their own, so that adding them
    left every seed's templates and lifecycles as they were."""
    rng = random.Random('%s:%s:suites' % (seed, number))
    chosen = []
    if rng.random() < config.FUZZ_SUITES['actions']:
        chosen.append('actions')
    if rng.random() < config.FUZZ_SUITES['failures']:
        chosen.append('failures/' + rng.choice(
            config.FUZZ_FAILURE_SEQUENCES))
    return chosen


def create_parameters(rng, template):
    """Values for some of the template's parameters (the rest take
    their defaults)."""
    values = {}
    for name, definition in sorted((template.get('parameters') or
                                    {}).items()):
        if rng.random() < 0.3:
            constraints = definition.get('constraints') or [{}]
            allowed = constraints[0].get('allowed_values')
            if allowed:
                values[name] = rng.choice(allowed)
            elif definition['type'] == 'number':
                values[name] = rng.randint(0, 3)
            elif definition['type'] == 'boolean':
                values[name] = rng.random() < 0.5
            elif definition['type'] == 'string':
                values[name] = rng.choice(WORDS)
    return values


def used_types(steps):
    """Every resource type any step's templates use, nested included."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'type' and isinstance(value, str):
                    found.add(value)
                if key == 'resources' and isinstance(value, list):
                    found.update(v for v in value if isinstance(v, str))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    for step in steps:
        walk(step['template'])
        walk(step['providers'])
    return found
