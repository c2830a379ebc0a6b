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
(``heat-functional-<cell>``). Exit status 0 on success; otherwise Heat's
answer on stderr, as heat-manage would print it.
"""

import json
import shlex
import sys

from heat_functional.deployment import base
from heat_functional.deployment import embedded

CLOUD_PREFIX = 'heat-functional-'


def operator_commands(description_file, module=__name__,
                      python=sys.executable):
    """The external target's --toggle-command and --migrate-command:
    `module`'s operator commands on a deployment's description."""
    head = ' '.join(shlex.quote(part) for part in (
        python, '-m', module, description_file))
    return {'toggle_command': head + ' engine {cloud} {convergence_engine}',
            'migrate_command': head + ' migrate {cloud} {stack_id}'}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 4 or argv[1] not in ('engine', 'migrate'):
        sys.stderr.write(__doc__)
        return 2
    description_file, command, cloud, value = argv
    with open(description_file) as f:
        handle = embedded.EmbeddedDeployment(json.load(f))
    cell = cloud[len(CLOUD_PREFIX):] if cloud.startswith(CLOUD_PREFIX) \
        else cloud
    try:
        if command == 'engine':
            handle.restart(cell, value.lower() == 'true')
            print('%s: convergence_engine=%s'
                  % (cell, handle.convergence_engine(cell)))
        else:
            print(json.dumps(handle.migrate_convergence(cell, value)))
    except base.DeploymentError as error:
        sys.stderr.write('%s\n' % error)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
