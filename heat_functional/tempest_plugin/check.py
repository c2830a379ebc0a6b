"""Run the tempest plugin against a deployment the harness starts
(``tox -e tempest-plugin``, ``tox -e functional-cloud``).

It does what a devstack job does, with a deployment the harness starts
playing the cloud: the embedded cells, or with ``--target cloud`` the
devstack-like deployment (keystone, RabbitMQ, a Heat API and several
heat-engine processes per path):

1. starts the deployment as ``heat-functional deploy`` does, through the
   same owner (``deployment.owner``, with the toggle cells when the flip
   scenario runs; its logs go to the report directory's ``deploy/``),
   and takes the description it publishes, which names its clouds.yaml
   (in the deployment's private work directory: it holds the test
   user's password, which the report directory never shows);
2. writes a tempest.conf for it in a private workspace: tempest's
   ``[identity]`` and ``[auth] admin_*`` take the deployment's test user
   (or, with ``--clouds``, ``[heat_functional] clouds`` names the
   clouds of its clouds.yaml), each path's region, its database URLs as
   the flag source, and its toggle and migration commands (the ones the
   devstack-like deployment describes, or
   ``deployment/operator_commands/embedded.py`` for embedded cells);
3. runs ``tempest run --config-file ... --regex heat_functional``;
4. stops the deployment and removes the workspace, keeping tempest's log
   and the report in the report directory. The reaper
   (``deployment/programs/reaper.py``) that the owner links to stops the
   deployment, and another link stops tempest and removes the workspace,
   should this process be killed first.

The exit status is tempest's; 3 when the deployment does not start or a
part of it dies while tempest runs (the message names the part). Arguments
after ``--`` go to ``tempest run`` (``--concurrency 4``).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

from heat_functional import config
from heat_functional import deployment
from heat_functional.deployment.operator_commands import embedded as \
    embedded_commands
from heat_functional.deployment.programs import reaper as reaper_module
from heat_functional.tempest_plugin import config as plugin_config


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m heat_functional.tempest_plugin.check',
        description='Run the heat-functional tempest plugin against a '
        'deployment it starts.')
    parser.add_argument('--target', choices=('embedded', 'cloud'),
                        default='embedded',
                        help='the deployment: embedded cells, or the '
                        'devstack-like cloud (default: %(default)s)')
    parser.add_argument('--templates', default='',
                        help='comma-separated templates to run (default: '
                        'all of the template directory)')
    parser.add_argument('--templates-dir', default=config.SHIPPED_TEMPLATES,
                        help='template directory (default: %(default)s)')
    parser.add_argument('--scenarios', default=','.join(
        plugin_config.SCENARIOS), help='comma-separated scenarios '
        '(default: %(default)s)')
    parser.add_argument('--db', choices=config.DB_KINDS,
                        default=config.DEFAULT_DB,
                        help='database of the embedded deployment '
                        '(default: %(default)s)')
    parser.add_argument('--clouds', action='store_true',
                        help='reach the paths through the clouds of the '
                        'deployment\'s clouds.yaml, not tempest\'s '
                        'credentials and regions')
    parser.add_argument('--report-dir', default=os.path.join(
        'reports', os.environ.get('TOX_ENV_NAME', 'tempest-plugin')),
        help='where the report, the deployment\'s logs and tempest.log '
        'go (default: %(default)s)')
    parser.add_argument('tempest_args', nargs='*', metavar='TEMPEST_ARG',
                        help='more `tempest run` arguments, after "--"')
    return parser


def _ini(sections):
    lines = []
    for name, options in sections:
        lines.append('[%s]' % name)
        lines += ['%s = %s' % (key, value) for key, value in options
                  if value is not None]
        lines.append('')
    return '\n'.join(lines)


def _pairs(mapping):
    return ','.join('%s:%s' % item for item in mapping.items())


def operator_commands(description, description_file):
    """The (toggle, migrate) command templates for a deployment that
    its owner published (in `description_file`): the devstack-like
    cloud's own (it describes itself as an external target), else the
    embedded cells' operator commands on their description."""
    if description.get('kind') == 'external':
        toggles = [t['command'] for t in description['toggles'].values()]
        return (toggles[0] if toggles else None,
                description['migrate_command'])
    commands = embedded_commands.templates(description_file)
    return commands['toggle_command'], commands['migrate_command']


def tempest_conf(description, description_file, args, workspace):
    """tempest.conf's text for the description (in `description_file`)
    of a started deployment, and the clouds.yaml it names."""
    clouds_file = description['clouds_file']
    with open(clouds_file) as f:
        clouds = yaml.safe_load(f)['clouds']
    cells = dict(description['paths'], **description.get('toggles', {}))
    toggle_command, migrate_command = operator_commands(description,
                                                        description_file)
    auth = clouds[cells[list(description['paths'])[0]]['cloud']]['auth']
    plugin = [
        ('paths', ','.join(description['paths'])),
        ('db_urls', _pairs({c: i['db_url'] for c, i in cells.items()})),
        ('toggle_command', toggle_command),
        ('migrate_command', migrate_command),
        ('scenarios', args.scenarios),
        ('templates_dir', os.path.abspath(args.templates_dir)),
        ('templates', args.templates or None),
        ('report_dir', os.path.abspath(args.report_dir)),
    ]
    if args.clouds:
        plugin[:0] = [('clouds', _pairs({c: i['cloud']
                                         for c, i in cells.items()})),
                      ('clouds_file', clouds_file)]
    else:
        plugin[:0] = [('regions', _pairs({c: c for c in cells}))]
    return _ini([
        ('DEFAULT', [('log_dir', os.path.abspath(args.report_dir)),
                     ('log_file', 'tempest.log')]),
        ('oslo_concurrency', [('lock_path', os.path.join(workspace,
                                                         'locks'))]),
        ('identity', [('uri_v3', auth['auth_url']),
                      ('auth_version', 'v3')]),
        ('auth', [('use_dynamic_credentials', 'false'),
                  ('admin_username', auth['username']),
                  ('admin_password', auth['password']),
                  ('admin_project_name', auth['project_name']),
                  ('admin_domain_name', auth['user_domain_name'])]),
        (plugin_config.GROUP, plugin),
    ])


def deployment_owner(args, directory, on_death):
    """The owner of the deployment to test, as ``heat-functional deploy``
    makes it (with the toggle cells when the flip scenario runs)."""
    toggles = list(config.TOGGLES) if 'flip' in args.scenarios.split(',') \
        else []
    return deployment.owner_for(args.target, directory, toggles=toggles,
                                db=args.db, on_death=on_death)


def published(owner):
    """Start the deployment; the description it publishes, and its file."""
    owner.start()
    description_file = owner.publish()
    with open(description_file) as f:
        return json.load(f), description_file


def run_tempest(workspace, tempest_args, reaper):
    """``tempest run`` of the plugin's tests; its exit status."""
    argv = [sys.executable, '-m', 'tempest.cmd.main', 'run',
            '--config-file', os.path.join(workspace, 'tempest.conf'),
            '--regex', 'heat_functional'] + list(tempest_args)
    process = subprocess.Popen(argv, cwd=workspace, start_new_session=True)
    reaper.group(process)
    try:
        return process.wait()
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGINT)
        process.wait()
        raise


def _terminated(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    os.makedirs(args.report_dir, exist_ok=True)
    deploy_dir = os.path.join(os.path.abspath(args.report_dir), 'deploy')
    os.makedirs(deploy_dir, exist_ok=True)
    workspace = tempfile.mkdtemp(prefix='hf-tempest-')
    # Tempest's and the workspace's reaper link (the owner has its own):
    # it stops tempest and removes the workspace should this process die.
    reaper = reaper_module.Link()
    reaper.directory(workspace)
    died = []

    def on_death(message):  # interrupts tempest: see KeyboardInterrupt
        died.append(message)
        os.kill(os.getpid(), signal.SIGTERM)

    owner = None
    try:
        owner = deployment_owner(args, deploy_dir, on_death)
        started = time.monotonic()
        description, description_file = published(owner)
        print('deployment ready in %.1f s' % (time.monotonic() - started),
              flush=True)
        path = os.path.join(workspace, 'tempest.conf')
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600),
                       'w') as f:
            f.write(tempest_conf(description, description_file, args,
                                 workspace))
        started = time.monotonic()
        status = run_tempest(workspace, args.tempest_args, reaper)
        print('tempest run ended with %d in %.1f s'
              % (status, time.monotonic() - started), flush=True)
        return status
    except deployment.DeploymentError as error:
        sys.stderr.write('the deployment did not start: %s\n' % error)
        return 3
    except KeyboardInterrupt:
        if died:
            sys.stderr.write('the deployment died: %s\n' % died[0])
            return 3
        return 130
    finally:
        if owner is not None:
            owner.close()
        shutil.rmtree(workspace, ignore_errors=True)
        reaper.done()


if __name__ == '__main__':
    sys.exit(main())
