#!/usr/bin/env python3
"""Capture the resource schemas the fuzz generator draws from, in-process.

Writes the JSON that Heat's API answers for ``resource_types.list()``
and ``resource_types.get(type)`` (``EngineService.resource_schema`` in
heat/engine/service.py), built by the same code from the installed
Heat's registry, without a server or a database, for the types in
``config.FUZZ_TYPES``. The unit tests of ``heat_functional/fuzz`` use
it as their fixture (heat_functional/tests/unit/fuzz/fuzz_schemas.json);
at run time the generator asks the deployment instead (fuzz/schema.py).

    python tools/capture_fuzz_schemas.py [OUTPUT]

Needs openstack-heat installed (the functional tox environments).
"""

import itertools
import json
import os
import sys

from heat_functional import config

DEFAULT_OUTPUT = os.path.join(config.PACKAGE_DIR, 'tests', 'unit', 'fuzz',
                              'fuzz_schemas.json')


def heat_environment():
    """Heat's global environment, its plugins loaded."""
    from oslo_config import cfg

    from heat.common import config as heat_config  # noqa: F401 (options)
    from heat.engine import resources
    cfg.CONF([], project='heat')
    resources.initialise()
    return resources.global_env()


def type_schema(environment, type_name):
    """What ``EngineService.resource_schema`` answers for a type."""
    from heat.engine import attributes
    from heat.engine import properties
    from heat.engine import support
    resource_class = environment.get_class(type_name)
    found = {}
    for name, legacy in resource_class.properties_schema.items():
        schema = properties.Schema.from_legacy(legacy)
        if schema.implemented and \
                schema.support_status.status != support.HIDDEN:
            found[name] = dict(schema)
    attrs = {}
    for name, data in itertools.chain(
            resource_class.attributes_schema.items(),
            resource_class.base_attributes_schema.items()):
        schema = attributes.Schema.from_attribute(data)
        if schema.support_status.status != support.HIDDEN:
            attrs[name] = dict(schema)
    return {'resource_type': type_name, 'properties': found,
            'attributes': attrs,
            'support_status': resource_class.support_status.to_dict()}


def capture():
    import heat.version
    environment = heat_environment()
    types = sorted(config.FUZZ_TYPES)
    return {
        'heat_version': heat.version.version_info.version_string(),
        'resource_types': types,
        'schemas': {name: type_schema(environment, name) for name in types},
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    output = argv[0] if argv else DEFAULT_OUTPUT
    captured = capture()
    with open(output, 'w') as f:
        json.dump(captured, f, indent=1, sort_keys=True, default=str)
        f.write('\n')
    print('%d schemas of Heat %s written to %s' % (
        len(captured['schemas']), captured['heat_version'], output))


if __name__ == '__main__':
    main()
