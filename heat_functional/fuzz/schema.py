"""The resource types and property schemas the fuzzer draws from.

They are what the deployment reports, as Heat's API answers them:
``resource_types.list()`` (the offered type names) and
``resource_types.get(type)`` (``EngineService.resource_schema``: each
property's ``type``, ``required``, ``default``, ``constraints``,
``update_allowed``, ``immutable`` and nested ``schema``; each
attribute's ``type``). The generator reads properties only from here,
never from a list of its own, so a Heat whose schemas changed is fuzzed
as it is. ``config.FUZZ_TYPES`` says which of the offered types it uses
(nothing outside the deployment) and how often.

``from_client`` asks a deployment through python-heatclient;
``load``/``dump`` keep the same data as JSON (the unit tests' fixture,
captured in-process from Heat's own code by
tools/capture_fuzz_schemas.py).
"""

import json

from heat_functional import config


class SchemaError(ValueError):
    """The schemas are unusable; the message says which and why."""


class Schemas(object):
    """The offered types and their schemas, as the API reports them."""

    def __init__(self, offered, schemas, heat_version=None):
        self.offered = sorted(offered)
        self.schemas = dict(schemas)
        self.heat_version = heat_version
        for name, schema in self.schemas.items():
            if not isinstance(schema.get('properties'), dict):
                raise SchemaError('resource type %s: its schema has no '
                                  'properties mapping' % name)

    def usable_types(self, keystone=True):
        """{type: weight} of the fuzzer's types the deployment offers
        (with a schema), without those needing keystone if it has none."""
        return {name: weight for name, weight in config.FUZZ_TYPES.items()
                if name in self.schemas and name in self.offered
                and (keystone or name not in config.FUZZ_KEYSTONE_TYPES)}

    def properties(self, type_name):
        return self.schemas[type_name]['properties']

    def attributes(self, type_name):
        return self.schemas[type_name].get('attributes') or {}

    def to_json(self):
        return {'heat_version': self.heat_version,
                'resource_types': self.offered, 'schemas': self.schemas}


def load(path):
    """The schemas kept in a JSON file (see module doc)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as err:
        raise SchemaError('%s: cannot read the schemas: %s' % (path, err))
    return from_json(data, path)


def from_json(data, where='schemas'):
    if not isinstance(data, dict) or 'schemas' not in data:
        raise SchemaError('%s: expected resource_types and schemas' % where)
    return Schemas(data.get('resource_types') or data['schemas'],
                   data['schemas'], data.get('heat_version'))


def dump(schemas, path):
    with open(path, 'w') as f:
        json.dump(schemas.to_json(), f, indent=1, sort_keys=True)
        f.write('\n')


def from_client(heat):
    """The schemas of a deployment, through a python-heatclient Client:
    the offered names, and the schema of each of config.FUZZ_TYPES it
    offers."""
    offered = sorted(str(t.resource_type) if hasattr(t, 'resource_type')
                     else str(t) for t in heat.resource_types.list())
    schemas = {}
    for name in sorted(set(config.FUZZ_TYPES) & set(offered)):
        schemas[name] = dict(heat.resource_types.get(name))
    return Schemas(offered, schemas)
