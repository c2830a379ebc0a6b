"""Operator commands for an embedded deployment used as an external one.

``heat-functional deploy --toggles`` starts cells and writes clouds.yaml;
``heat-functional gate --target external`` can then test them through
clouds.yaml exactly as it tests a real cloud. What a real cloud's operator
does over ssh (set the option and restart Heat, run heat-manage), these
commands do through the cells' harness routes::

    python -m heat_functional.deployment.operator_commands.embedded \\
        DEPLOYMENT_JSON engine {cloud} {convergence_engine}
    python -m heat_functional.deployment.operator_commands.embedded \\
        DEPLOYMENT_JSON migrate {cloud} {stack_id}

The routes need the run's control secret, which the command reads from
the private file the description names (``control_secret.py``): only the
deployment's user can run them. See ``command.py`` for the command line
and exit statuses.
"""

import json
import sys

from heat_functional.deployment import embedded
from heat_functional.deployment.operator_commands import command


def templates(description_file, python=sys.executable):
    """The external target's --toggle-command and --migrate-command for
    embedded cells described in `description_file`."""
    return command.templates(description_file, __name__, python)


def _handle_and_cell(description, cloud):
    cells = dict(description['paths'], **description.get('toggles', {}))
    return (embedded.EmbeddedDeployment(description),
            command.cell_of(cloud, cells))


def _engine(description, cloud, value):
    handle, cell = _handle_and_cell(description, cloud)
    handle.restart(cell, value.lower() == 'true')
    return '%s: convergence_engine=%s' % (cell,
                                          handle.convergence_engine(cell))


def _migrate(description, cloud, stack_id):
    handle, cell = _handle_and_cell(description, cloud)
    return json.dumps(handle.migrate_convergence(cell, stack_id))


def main(argv=None):
    return command.run(argv, command.usage(__name__), _engine, _migrate)


if __name__ == '__main__':
    sys.exit(main())
