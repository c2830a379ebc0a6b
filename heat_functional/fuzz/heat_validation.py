"""Heat's own validation of generated cases, in-process, without a server.

Where openstack-heat is installed (the functional tox environments),
each step's template of a generated case is parsed by Heat's
``Template`` with the step's files and environment, and validated by
``Stack.validate`` (what a create or update runs before it touches
anything), with an admin context and no database. A refusal is a
generator bug: the template is not the valid HOT the fuzzer promises.

Nested stacks are validated against a private SQLite database made by
Heat's migrations (a nested stack's validation counts its tree there).
What cannot run without a deployment is counted apart as ``limited``,
with the reason, never as passed: a group (ResourceGroup,
AutoScalingGroup, ResourceChain) validates its members through the
engine's RPC, and the types behind keystone's catalog
(config.FUZZ_KEYSTONE_TYPES) ask for a service.

    python -m heat_functional.fuzz.heat_validation --database FILE
        [--seed S] [--count N]

prints {checked, limited: {reason: count}, refused: [{case, step,
error}]}. The unit test test_fuzz_heat_validation.py runs it where Heat
is installed (in a process of its own: Heat's configuration is global).
"""

import argparse
import json
import logging
import os
import sys
import warnings

from heat_functional import config
from heat_functional.fuzz import generate
from heat_functional.fuzz import schema

FIXTURE = os.path.join(config.PACKAGE_DIR, 'tests', 'unit', 'fuzz',
                       'fuzz_schemas.json')
#: What Heat raises where validation needs what no server means here.
LIMITS = {
    "'NoneType' object has no attribute 'conf'":
        'a group validates its members through the engine\'s RPC',
    'is not available for resource type': 'type needs a service',
}


def heat_validator(database=None):
    """A function(template, files, environment) that raises what Heat's
    validation raises; with `database` (a file path), on an SQLite
    database there."""
    warnings.simplefilter('ignore')
    logging.disable(logging.CRITICAL)
    from oslo_config import cfg

    from heat.common import config as heat_config  # noqa: F401 (options)
    from heat.common import context
    from heat.engine import environment as heat_environment
    from heat.engine import resources
    from heat.engine import stack as heat_stack
    from heat.engine import template as heat_template
    cfg.CONF([], project='heat')
    if database:
        # A nested stack's validation counts the stacks of its tree
        # in the database: a private SQLite file, made by Heat's own
        # migrations.
        from heat.db import migration
        cfg.CONF.set_override('connection', 'sqlite:///' + database,
                              group='database')
        migration.db_sync()
    resources.initialise()
    admin = context.get_admin_context()

    def validate(template, files, environment):
        parsed = heat_template.Template(
            template, files=files,
            env=heat_environment.Environment(environment))
        parsed.validate()
        heat_stack.Stack(admin, 'fuzz', parsed).validate(
            validate_res_tmpl_only=False)
    return validate


def step_request(step):
    """(template, files, environment) as the writer lays a step out:
    each provider a file mapped by the environment's registry."""
    import yaml
    files, registry = {}, {}
    for type_name, provider in sorted(step['providers'].items()):
        filename = type_name.split('::')[-1].lower() + '.yaml'
        files[filename] = yaml.safe_dump(provider)
        registry[type_name] = filename
    return step['template'], files, {'resource_registry': registry,
                                     'parameters': step['parameters']}


def check(seed, count, schemas, database, keystone=False):
    validate = heat_validator(database)
    result = {'checked': 0, 'limited': {}, 'refused': []}
    for number in range(count):
        case = generate.case(schemas, seed, number, keystone=keystone)
        for step in case['steps']:
            try:
                validate(*step_request(step))
            except Exception as err:  # noqa: B902 (Heat raises many)
                text = '%s: %s' % (type(err).__name__, err)
                limit = [why for mark, why in LIMITS.items()
                         if mark in text]
                if limit:
                    result['limited'][limit[0]] = \
                        result['limited'].get(limit[0], 0) + 1
                    continue
                result['refused'].append({'case': case['name'],
                                          'step': step['name'],
                                          'error': text[:500]})
                continue
            result['checked'] += 1
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', default='1')
    parser.add_argument('--count', type=int, default=50)
    parser.add_argument('--schemas', default=FIXTURE)
    parser.add_argument('--database', required=True,
                        help='an SQLite file to create (nested stacks)')
    args = parser.parse_args(argv)
    result = check(args.seed, args.count, schema.load(args.schemas),
                   args.database)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == '__main__':
    main()
