"""The command line the operator commands share, and their templates.

Both deployments' commands read the description their owner wrote::

    python -m MODULE DESCRIPTION_JSON engine {cloud} {convergence_engine}
    python -m MODULE DESCRIPTION_JSON migrate {cloud} {stack_id}

``{cloud}`` is a cloud name of the clouds.yaml the deployment wrote
(``heat-functional-<cell>``). Exit status 0 on success; otherwise one
line on stderr (Heat's answer, as heat-manage would print it) and 1; a
wrong command line prints the usage and exits 2.
"""

import json
import shlex
import sys

from heat_functional import config
from heat_functional.deployment import base

CLOUD_PREFIX = config.CLOUD_PREFIX


def templates(description_file, module, python=sys.executable):
    """The external target's --toggle-command and --migrate-command:
    `module`'s operator commands on a deployment's description."""
    head = ' '.join(shlex.quote(part) for part in (
        python, '-m', module, description_file))
    return {'toggle_command': head + ' engine {cloud} {convergence_engine}',
            'migrate_command': head + ' migrate {cloud} {stack_id}'}


def usage(module):
    """What a wrong command line is told."""
    return ('usage: python -m %s DESCRIPTION_JSON (engine CLOUD true|false '
            '| migrate CLOUD STACK_ID)\n' % module)


def cell_of(cloud, cells):
    """The cell a cloud name of the clouds.yaml stands for."""
    name = cloud[len(CLOUD_PREFIX):] if cloud.startswith(CLOUD_PREFIX) \
        else cloud
    if name not in cells:
        raise base.DeploymentError('no cell %r in this deployment (it has '
                                   '%s)' % (name, ', '.join(sorted(cells))))
    return name


def run(argv, usage_text, engine, migrate):
    """An operator command's main. `engine` and `migrate` take
    (description, cloud, value) and return what to print; a
    DeploymentError, or a description that cannot be read, is one line on
    stderr and exit status 1; a wrong command line, `usage_text` and 2."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 4 or argv[1] not in ('engine', 'migrate'):
        sys.stderr.write(usage_text)
        return 2
    description_file, command, cloud, value = argv
    try:
        with open(description_file) as f:
            description = json.load(f)
        action = engine if command == 'engine' else migrate
        print(action(description, cloud, value))
    except (OSError, ValueError, base.DeploymentError) as error:
        sys.stderr.write('%s\n' % error)
        return 1
    return 0
