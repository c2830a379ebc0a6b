"""Operator commands for the devstack-like deployment (``cloud.py``).

The external target that tests the devstack-like deployment is given
these as its toggle and migration commands::

    python -m heat_functional.deployment.operator_commands.cloud \\
        CLOUD_JSON engine {cloud} true|false
    python -m heat_functional.deployment.operator_commands.cloud \\
        CLOUD_JSON migrate {cloud} {stack_id}

``engine`` asks the deployment's owner, over its control server
(``control.py``, with the run's control secret; the description names
the private file that holds it), to stop the cell's engines and start
new ones with ``convergence_engine`` set, and returns once they are up.
``migrate`` runs ``heat-manage migrate_convergence_1`` against the cell
(it reaches the engines over RabbitMQ). On Heat 27.0.1 that call fails
for every stack with NoEngineContextEstablished (doc/source/flags.rst);
the command then runs the same engine method with the transaction
supplied, as the embedded cells do, and says so. See ``command.py`` for
the command line and exit statuses.
"""

import json
import sys
import urllib.error

from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import control
from heat_functional.deployment import control_secret
from heat_functional.deployment import embedded
from heat_functional.deployment.operator_commands import command


def templates(description_file, python=sys.executable):
    """The external target's --toggle-command and --migrate-command for
    the deployment described in `description_file`."""
    return command.templates(description_file, __name__, python)


def _post(url, body, secret):
    try:
        return control.call(url, secret, body=body,
                            timeout=config.OPERATOR_COMMAND_TIMEOUT)
    except control.Refused as refused:
        raise base.DeploymentError(refused.message)
    except urllib.error.URLError as error:
        raise base.DeploymentError('the deployment\'s owner does not answer '
                                   'at %s (%s): is the run still going?'
                                   % (url, error.reason))


def set_engine(description, cell, value):
    """The toggle command: restart a cell's engines with the option."""
    try:
        secret = control_secret.read(description.get('control_secret_file'))
    except control_secret.SecretMissing as error:
        raise base.DeploymentError(str(error))
    return _post('%s/engine/%s' % (description['control'], cell),
                 {'convergence_engine': value.lower() == 'true'}, secret)


def migrate(description, cell, stack_id):
    """The migrate command: heat-manage migrate_convergence_1, against the
    cell's database and engines; on Heat 27.0.1's known failure, the
    engine method with its transaction supplied (``_shim_migrate``)."""
    info = description['cells'][cell]
    refusal = heat_manage([info['heat_conf'], info['manage_conf']],
                          'migrate_convergence_1', stack_id)
    if refusal is None:
        return {'method': 'heat-manage'}
    if embedded.MIGRATION_BUG not in refusal:
        raise base.DeploymentError(refusal)
    _shim_migrate(stack_id)
    return {'method': 'transaction-shim', 'note': embedded.MIGRATION_NOTE}


def manage_argv(conf_files, *args):
    """heat-manage's command line with the given config files."""
    argv = ['heat-manage']
    for conf in conf_files:
        argv += ['--config-file', conf]
    return argv + list(args)


def heat_manage(conf_files, *args):
    """Run heat-manage's main (all its console script runs) in this
    process, which saves starting a second interpreter, the slow part of
    an operator command; returns its error message, or None."""
    # As heat-engine: the threading backend before oslo_service.service.
    from heat_functional.deployment.programs import heat_all  # noqa: F401
    from heat.cmd import manage
    sys.argv = manage_argv(conf_files, *args)
    try:
        manage.main()
    except SystemExit as exit:
        return str(exit.code) if exit.code else None
    return None


def _shim_migrate(stack_id):
    """EngineService.migrate_convergence_1 in this process, configured as
    heat-manage left it, as an engine of the cell would run it (its own
    engine id for the stack locks), in the context that supplies the
    transaction (``programs/heat_all.py``)."""
    from heat_functional.deployment.programs import heat_all
    from oslo_config import cfg
    from heat.common import exception
    from heat.common import service_utils
    from heat.engine import service as engine_service
    from heat.rpc import api as rpc_api
    engine = engine_service.EngineService(cfg.CONF.host,
                                          rpc_api.ENGINE_TOPIC)
    engine.engine_id = service_utils.generate_engine_id()
    try:
        engine.migrate_convergence_1(heat_all.migration_context(), stack_id)
    except exception.NotFound:
        raise base.DeploymentError('Stack with id %s can not be found.'
                                   % stack_id)
    except (exception.NotSupported, exception.ActionNotComplete) as error:
        raise base.DeploymentError(str(error.message))


def _cell(description, cloud):
    return command.cell_of(cloud, description['cells'])


def main(argv=None):
    return command.run(
        argv, command.usage(__name__),
        lambda description, cloud, value: json.dumps(set_engine(
            description, _cell(description, cloud), value)),
        lambda description, cloud, stack_id: json.dumps(migrate(
            description, _cell(description, cloud), stack_id)))


if __name__ == '__main__':
    sys.exit(main())
