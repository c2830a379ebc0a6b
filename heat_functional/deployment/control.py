"""Operator commands for an embedded deployment used as an external one.

``heat-functional deploy --toggles`` starts cells and writes clouds.yaml;
``heat-functional gate --target external`` can then test them through
clouds.yaml exactly as it tests a real cloud. What a real cloud's operator
does over ssh (set the option and restart Heat, run heat-manage), these
commands do through the cells' harness routes::

    python -m heat_functional.deployment.control DEPLOYMENT_JSON \\
        engine {cloud} {convergence_engine}
    python -m heat_functional.deployment.control DEPLOYMENT_JSON \\
        migrate {cloud} {stack_id}

``{cloud}`` is a cloud name of the clouds.yaml that ``deploy`` wrote
(``heat-functional-<cell>``). The routes need the run's control secret,
which the command reads from the private file the description names
(``control_secret.py``): only the deployment's user can run them. Exit
status 0 on success; otherwise Heat's answer on stderr, as heat-manage
would print it.
"""

import json
import shlex
import sys

from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import embedded

CLOUD_PREFIX = config.CLOUD_PREFIX


def operator_commands(description_file, module=__name__,
                      python=sys.executable):
    """The external target's --toggle-command and --migrate-command:
    `module`'s operator commands on a deployment's description."""
    head = ' '.join(shlex.quote(part) for part in (
        python, '-m', module, description_file))
    return {'toggle_command': head + ' engine {cloud} {convergence_engine}',
            'migrate_command': head + ' migrate {cloud} {stack_id}'}


def cell_of(cloud, cells):
    """The cell a cloud name of the clouds.yaml stands for."""
    name = cloud[len(CLOUD_PREFIX):] if cloud.startswith(CLOUD_PREFIX) \
        else cloud
    if name not in cells:
        raise base.DeploymentError('no cell %r in this deployment (it has '
                                   '%s)' % (name, ', '.join(sorted(cells))))
    return name


def run(argv, usage, engine, migrate):
    """An operator command's main: ``DESCRIPTION engine CLOUD true|false``
    or ``DESCRIPTION migrate CLOUD STACK_ID``. `engine` and `migrate`
    take (description, cloud, value) and return what to print; a
    DeploymentError, or a description that cannot be read, is one line on
    stderr and exit status 1; a wrong command line, `usage` and 2."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 4 or argv[1] not in ('engine', 'migrate'):
        sys.stderr.write(usage)
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


def _handle_and_cell(description, cloud):
    cells = dict(description['paths'], **description.get('toggles', {}))
    return embedded.EmbeddedDeployment(description), cell_of(cloud, cells)


def _engine(description, cloud, value):
    handle, cell = _handle_and_cell(description, cloud)
    handle.restart(cell, value.lower() == 'true')
    return '%s: convergence_engine=%s' % (cell,
                                          handle.convergence_engine(cell))


def _migrate(description, cloud, stack_id):
    handle, cell = _handle_and_cell(description, cloud)
    return json.dumps(handle.migrate_convergence(cell, stack_id))


def main(argv=None):
    return run(argv, __doc__, _engine, _migrate)


if __name__ == '__main__':
    sys.exit(main())
