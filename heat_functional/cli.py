"""The ``heat-functional`` command: deploy, run, gate, report.

- ``deploy`` starts the embedded deployment, prints how to reach each
  path (a clouds.yaml and shell variables), and stays up until Ctrl-C;
- ``run`` runs the scenario suites with pytest (xdist workers share one
  deployment, which the pytest controller starts), then, without
  ``--repeat``, the noise pass (``noise_pass.py``), and writes the
  report;
- ``gate`` is ``run`` whose exit status is the verdict: 0 only on pass;
- ``report`` prints the summary table of an existing report.json and
  rebuilds the report.html beside it;
- ``cleanup`` deletes the stacks earlier runs left on external clouds
  (``cleanup.py``);
- ``fuzz`` runs generated templates and lifecycles on both paths and
  shrinks what differs (``fuzz/run.py``, ``fuzz/session.py``).

The command is thin: the suites and the report live in the package.
"""

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time

from heat_functional import config
from heat_functional import corpus
from heat_functional import discovery
from heat_functional import live_runs
from heat_functional import noise_pass
from heat_functional import plan
from heat_functional import records
from heat_functional import run_spec
from heat_functional import shards
from heat_functional.results import htmlreport
from heat_functional.results import report as report_module
from heat_functional.results import table

SCENARIOS_DIR = os.path.join(config.PACKAGE_DIR, 'scenarios')
#: The lifecycle suite's file, which the noise pass runs alone.
LIFECYCLE_SUITE = 'test_lifecycle.py'
DEFAULT_WORKERS = 12


def default_report_dir():
    return os.path.join('reports', os.environ.get('TOX_ENV_NAME', 'run'))


def _paths(text):
    names = [p.strip() for p in text.split(',') if p.strip()]
    unknown = [n for n in names if n not in config.PATHS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            'paths must be a comma-separated list of %s'
            % ', '.join(config.PATH_NAMES))
    return names


def _add_deployment_options(parser):
    parser.add_argument('--db', choices=config.DB_KINDS,
                        default=os.environ.get(config.DB_ENV,
                                               config.DEFAULT_DB),
                        help='database of the embedded cells (default: '
                        '%(default)s)')
    parser.add_argument('--auth', choices=config.AUTH_KINDS,
                        default=os.environ.get(config.AUTH_ENV,
                                               config.DEFAULT_AUTH),
                        help='embedded deployment: a real keystone, or '
                        'Heat\'s noauth pipeline (fewer resource types; '
                        'templates that require keystone skip) (default: '
                        '%(default)s)')
    parser.add_argument('--heat-source', metavar='PATH',
                        default=os.environ.get(config.HEAT_SOURCE_ENV) or
                        None,
                        help='embedded deployment: import Heat from this '
                        'git checkout instead of the installed '
                        'openstack-heat (default: $%s)'
                        % config.HEAT_SOURCE_ENV)
    parser.add_argument('--paths', type=_paths,
                        default=list(config.PATH_NAMES),
                        help='comma-separated paths to run (default: '
                        '%(default)s)')
    parser.add_argument('--report-dir', default=default_report_dir(),
                        help='where report.json, junit.xml and the logs go '
                        '(default: %(default)s)')


def _pair(text):
    """NAME=VALUE from the command line."""
    name, sep, value = text.partition('=')
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError('expected NAME=VALUE, got %r'
                                         % text)
    return name.strip(), value.strip()


def _db_url(text):
    """CLOUD=URL, or CLOUD=@FILE: the URL read from FILE, so that its
    password stays out of the command line (which `ps` shows)."""
    cloud, url = _pair(text)
    if not url.startswith('@'):
        return cloud, url
    try:
        with open(url[1:]) as f:
            url = f.read().strip()
    except OSError as error:
        raise argparse.ArgumentTypeError(
            'cannot read the database URL of %s from %s: %s'
            % (cloud, error.filename, error.strerror))
    if not url:
        raise argparse.ArgumentTypeError(
            'the database URL file of %s is empty' % cloud)
    return cloud, url


def _add_target_options(parser):
    target = parser.add_argument_group(
        'external target', 'run against a real cloud instead of the '
        'embedded deployment (doc/source/external.rst)')
    target.add_argument('--target', choices=('embedded', 'external',
                                             'cloud'),
                        default='embedded',
                        help='the deployment to test: embedded cells, a '
                        'real cloud, or a devstack-like cloud the harness '
                        'starts and tests as an external one '
                        '(doc/source/cloud.rst) (default: %(default)s)')
    target.add_argument('--cloud', type=_pair, action='append', default=[],
                        metavar='PATH=CLOUD',
                        help='the cloud of clouds.yaml serving a path, e.g. '
                        'legacy=devstack-legacy (one per path)')
    target.add_argument('--clouds-file', metavar='FILE',
                        help='clouds.yaml to read (default: openstacksdk\'s '
                        'search: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, '
                        '~/.config/openstack/clouds.yaml, ...)')
    target.add_argument('--toggle', type=_pair, action='append', default=[],
                        metavar='TOGGLE=CLOUD',
                        help='a cloud the flag lifecycle suite may flip: '
                        'flip-on (starts legacy) or flip-back (starts '
                        'convergence); needs --toggle-command')
    target.add_argument('--toggle-command', metavar='CMD',
                        help='sets convergence_engine and restarts Heat, '
                        'returning once it answers; {convergence_engine} '
                        '(true/false) and {cloud} are substituted')
    target.add_argument('--db-url', type=_db_url, action='append',
                        default=[], metavar='CLOUD=URL|CLOUD=@FILE',
                        help='a read-only URL of a cloud\'s Heat database, '
                        'to read the per-stack flag (without one, no flag '
                        'is read and the report says so); @FILE reads the '
                        'URL from FILE, which keeps its password out of '
                        'the command line that ps shows')
    target.add_argument('--migrate-command', metavar='CMD',
                        help='migrates one stack, e.g. "ssh ctl heat-manage '
                        'migrate_convergence_1 {stack_id}"')


def external_description(args):
    """The external target's description from the command line."""
    from heat_functional.deployment import external
    clouds = dict(args.cloud)
    missing = [p for p in args.paths if p not in clouds]
    if missing:
        raise SystemExit('heat-functional: --target external needs --cloud '
                         'PATH=CLOUD for %s' % ', '.join(missing))
    toggles = {}
    for name, cloud in args.toggle:
        if name not in config.TOGGLES:
            raise SystemExit('heat-functional: unknown toggle %r (toggles: '
                             '%s)' % (name, ', '.join(config.TOGGLES)))
        if not args.toggle_command:
            raise SystemExit('heat-functional: --toggle needs '
                             '--toggle-command')
        toggles[name] = (cloud, args.toggle_command)
    return external.describe(
        {p: clouds[p] for p in args.paths}, toggles, dict(args.db_url),
        args.migrate_command, args.clouds_file and
        os.path.abspath(args.clouds_file))


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('expected a whole number of at '
                                         'least 1, got %r' % text)
    return value


def _minutes(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value < float('inf'):  # nan compares false
        raise argparse.ArgumentTypeError('expected minutes (a finite '
                                         'number of at least 0), got %r'
                                         % text)
    return value


def _add_cleanup_command(commands):
    cleanup = commands.add_parser(
        'cleanup', help='delete the stacks earlier runs left on external '
        'clouds (only stacks carrying the harness\'s tag)',
        epilog=_manual('external', 'Leftovers'))
    cleanup.add_argument('--cloud', type=_pair, action='append', default=[],
                         metavar='PATH=CLOUD',
                         help='a cloud of clouds.yaml to clean, named as '
                         'for the gate, e.g. legacy=devstack-legacy')
    cleanup.add_argument('--toggle', type=_pair, action='append',
                         default=[], metavar='TOGGLE=CLOUD',
                         help='a toggle\'s cloud to clean too')
    cleanup.add_argument('--clouds-file', metavar='FILE',
                         help='clouds.yaml to read (default: openstacksdk\'s '
                         'search)')
    cleanup.add_argument('--run', metavar='ID',
                         help='only the stacks of this run (its run_id in '
                         'report.json)')
    cleanup.add_argument('--older-than', type=_minutes, metavar='MINUTES',
                         help='leave every run one of whose stacks changed '
                         'within the last MINUTES (default: %s; with '
                         '--run, no limit); runs alive on this machine '
                         'are always left' % config.CLEANUP_OLDER_THAN)
    cleanup.add_argument('--dry-run', action='store_true',
                         help='list what would be deleted; delete nothing')


def _not_negative(text, what):
    """A whole number of at least 0 from `text`, or a usage error
    naming `what` it is."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError('expected %s (a whole number of at '
                                         'least 0), got %r' % (what, text))
    return value


def _runs(text):
    return _not_negative(text, 'a number of runs')


def _whole(text):
    return _not_negative(text, 'a case number')


def _some_minutes(text):
    value = _minutes(text)
    if value <= 0:
        raise argparse.ArgumentTypeError('expected minutes (more than 0), '
                                         'got %r' % text)
    return value


def _seed(text):
    if not text.strip():
        raise argparse.ArgumentTypeError('the seed must not be empty')
    return text


def _add_fuzz_command(commands):
    fuzz = commands.add_parser(
        'fuzz', help='run generated templates and lifecycles on both '
        'paths; shrink and write what differs', epilog=_manual('fuzz'))
    fuzz.add_argument('--seed', required=True, type=_seed,
                      help='the seed: case K of seed S is the same '
                      'template and lifecycle on every run')
    howmany = fuzz.add_mutually_exclusive_group()
    howmany.add_argument('--count', type=_positive, metavar='N',
                         help='run cases 0 to N-1')
    howmany.add_argument('--minutes', type=_some_minutes, metavar='M',
                         help='run cases 0, 1, ... until M minutes have '
                         'passed (no case starts after)')
    howmany.add_argument('--case', type=_whole, metavar='K',
                         help='run case K of the seed alone (a replay)')
    fuzz.add_argument('-n', '--workers', type=_positive,
                      default=config.FUZZ_WORKERS,
                      help='cases run at once, on threads sharing the '
                      'deployment (default: %(default)s)')
    fuzz.add_argument('--shrink-budget', type=_runs,
                      default=config.FUZZ_SHRINK_BUDGET,
                      help='re-runs the shrinker may make per new finding; '
                      '0 confirms a finding as it was generated (default: '
                      '%(default)s)')
    fuzz.add_argument('--stack-timeout', type=_positive, metavar='S',
                      default=config.FUZZ_STACK_TIMEOUT,
                      help='seconds a step may take before it counts as '
                      'a hang (default: %%(default)s, or $%s)'
                      % config.STACK_TIMEOUT_ENV)
    _add_deployment_options(fuzz)
    fuzz.set_defaults(report_dir=config.FUZZ_REPORT_DIR,
                      paths=list(config.PATH_NAMES))


def _shard(text):
    try:
        return shards.parse(text)
    except shards.ShardError as error:
        raise argparse.ArgumentTypeError(str(error))


def _add_shard_options(parser):
    sharding = parser.add_argument_group(
        'shards', 'run a deterministic 1/N of the cases, whole templates '
        'at a time; "report merge" joins the N reports '
        '(doc/source/shards.rst)')
    sharding.add_argument('--shard', type=_shard, metavar='K/N',
                          help='run shard K of N: its templates (all '
                          'their suites, steps and paths) and, in shard '
                          '1, the cases of no template')
    sharding.add_argument('--shard-costs', metavar='REPORT_JSON',
                          help='balance the shards by the time each '
                          'template\'s cases took in this earlier '
                          'report.json (default: by template count)')


def _manual(page, section=None):
    """Where --help sends the reader for the whole story: a page of the
    manual (config.MANUAL_DIR of a source checkout; tox -e docs builds
    it)."""
    where = '%s/%s.rst' % (config.MANUAL_DIR, page)
    if section:
        where += ', "%s"' % section
    return 'The manual: %s (tox -e docs builds it).' % where


def build_parser():
    parser = argparse.ArgumentParser(
        prog='heat-functional',
        description='Run Heat templates on the legacy and the convergence '
        'path and gate on their parity.', epilog=_manual('index'))
    commands = parser.add_subparsers(dest='command', required=True)

    deploy = commands.add_parser(
        'deploy', help='start both cells and stay up until Ctrl-C',
        epilog=_manual('embedded'))
    _add_deployment_options(deploy)
    deploy.add_argument('--toggles', action='store_true',
                        help='also start the toggle cells (%s)'
                        % ', '.join(config.TOGGLES))
    deploy.add_argument('--target', choices=('embedded', 'cloud'),
                        default='embedded',
                        help='the embedded cells, or the devstack-like '
                        'deployment (doc/source/cloud.rst) (default: '
                        '%(default)s)')

    for name, text in (('run', 'run the suites and write the report'),
                       ('gate', 'run, then exit non-zero unless the verdict '
                        'is pass')):
        command = commands.add_parser(name, help=text,
                                      epilog=_manual('running'))
        _add_deployment_options(command)
        command.add_argument('--templates', metavar='DIR',
                             help='template directory (default: the '
                             'shipped templates/)')
        command.add_argument('--environment', metavar='FILE',
                             action='append', default=[],
                             help='an environment applied to every '
                             'template, before its own; repeatable, merged '
                             'in order as Heat merges -e files')
        _add_target_options(command)
        command.add_argument('--only', metavar='TEMPLATES',
                             help='only these templates of the template '
                             'directory, in every suite: comma-separated '
                             'names, or "all" (default: all)')
        command.add_argument('--actions', metavar='TEMPLATES',
                             help='templates the actions suite runs on: '
                             '"all", or comma-separated names (default: '
                             'one of each kind, config.ACTION_TEMPLATES)')
        command.add_argument('--failures', metavar='TEMPLATES',
                             help='templates the failures suite runs on: '
                             '"all", or comma-separated names (default: '
                             'config.FAILURE_TEMPLATES)')
        command.add_argument('-n', '--workers', default=str(DEFAULT_WORKERS),
                             help='pytest-xdist workers, or "0" for none '
                             '(default: %(default)s)')
        command.add_argument('--repeat', type=_positive, default=1,
                             metavar='N',
                             help='run each lifecycle N times per path, on '
                             'fresh stacks, to learn what varies between '
                             'runs (noise); other suites run once '
                             '(default: %(default)s)')
        command.add_argument('--no-noise-pass', dest='noise_pass',
                             action='store_false',
                             help='without --repeat, do not run the create '
                             'of the templates whose create differs once '
                             'more per path to learn their noise (see '
                             'doc/source/parity.rst) (default: it runs)')
        command.add_argument('--strict', action='store_true',
                             help='hold a template without a sidecar (or '
                             'a step whose sidecar declares no expect) to '
                             'CREATE_COMPLETE / UPDATE_COMPLETE; without '
                             'it, such a step is held to parity only, and '
                             'a failure on both paths alike is listed '
                             'apart (default: off)')
        command.add_argument('-k', dest='keyword', metavar='EXPR',
                             help='only cases matching this pytest -k '
                             'expression')
        _add_shard_options(command)
        command.add_argument('pytest_args', nargs='*', metavar='PYTEST_ARG',
                             help='more pytest arguments, after "--"')

    _add_cleanup_command(commands)
    _add_fuzz_command(commands)

    show = commands.add_parser(
        'report', help='print the summary of a report.json; rebuild '
        'report.html beside it; or "report merge DIR... --report-dir OUT": '
        'one report and verdict from the report directories of a run\'s N '
        'shards', epilog=_manual('shards', 'Merging'))
    show.add_argument('report_json', metavar='REPORT_JSON | merge',
                      help='a report.json (or its directory), or "merge"')
    show.add_argument('shard_dirs', nargs='*', metavar='DIR',
                      help='merge: the report directories of a run\'s '
                      'shards, all of them')
    show.add_argument('--report-dir', dest='merged_dir', metavar='OUT',
                      help='merge: where the merged report goes')
    return parser


# -- deploy ----------------------------------------------------------------
def source_note(description):
    """Where the cells' Heat comes from, when it is a checkout."""
    heat_source = description.get('heat_source')
    if not heat_source:
        return ''
    return '\n  Heat imported from %s, commit %s%s (version %s)' % (
        heat_source['path'], heat_source['commit'],
        ' with uncommitted changes' if heat_source['dirty'] else '',
        heat_source.get('version'))


def clouds_note(clouds_file):
    """Where deploy's clouds.yaml is (it is not shown: it may hold the
    test user's password)."""
    return ('clouds.yaml (one cloud per cell, heat-functional-<cell>; '
            'readable by you only, outside the report directory): %s'
            % clouds_file)


def embedded_ready(cells, description_file):
    """What deploy says once embedded cells are up."""
    description = cells.description
    clouds_file = description['clouds_file']
    lines = ['heat-functional: Heat %s ready in %.1f s (%s database)%s'
             % (description['heat_version'], description['ready_s'],
                description['db'], source_note(description))]
    shown = dict(description['paths'], **description['toggles'])
    for path, info in shown.items():
        lines.append('  %-12s %s  (convergence_engine=%s, log %s)'
                     % (path, info['endpoint'],
                        str(info['convergence_engine']).lower(),
                        info['log_file']))
    first = list(description['paths'])[0]
    lines.append('\n%s\n' % clouds_note(clouds_file))
    lines.append('For example:\n  export OS_CLIENT_CONFIG_FILE=%s\n'
                 '  openstack --os-cloud heat-functional-%s stack list\n'
                 '  curl %s/stacks\n'
                 '\nSuites can attach to it: export %s=%s'
                 % (clouds_file, first,
                    description['paths'][first]['endpoint'],
                    config.DEPLOYMENT_ENV, description_file))
    return '\n'.join(lines)


def cloud_ready(owner, description_file):
    """What deploy says once the devstack-like deployment is up (its
    external description, in `description_file`, is what the tempest
    plugin's check reads; a person is shown the owner's own)."""
    external = owner.as_external()
    lines = ['heat-functional: devstack-like deployment of Heat %s ready '
             'in %.1f s; it is described in %s\n\n%s\n\nTest it as a '
             'real cloud:\n  heat-functional gate --target external '
             '--clouds-file %s'
             % (owner.description['heat_version'],
                owner.description['ready_s'], owner.description_file,
                clouds_note(owner.clouds_file), owner.clouds_file)]
    for option in ('cloud', 'toggle', 'db_url'):
        for name, value in external[option]:
            lines.append('    --%s %s=%s'
                         % (option.replace('_', '-'), name, value))
    for option in ('toggle_command', 'migrate_command'):
        lines.append('    --%s "%s"' % (option.replace('_', '-'),
                                        external[option]))
    return '\n'.join(lines)


def deploy(args):
    """deploy: start the deployment, say how to reach it (and test it as
    a real cloud), stay up until Ctrl-C or until a part of it dies."""
    from heat_functional import deployment
    dead = threading.Event()

    def on_death(message):
        sys.stderr.write('\nheat-functional: %s\n' % message)
        dead.set()

    try:
        owner = deployment.owner_for(
            args.target, args.report_dir, args.paths,
            list(config.TOGGLES) if args.toggles else [], db=args.db,
            auth=args.auth, heat_source=args.heat_source, on_death=on_death)
    except deployment.DeploymentError as error:
        sys.stderr.write('heat-functional: %s\n' % error)
        return 2
    try:
        owner.start()
        description_file = owner.publish()
        ready = cloud_ready if args.target == 'cloud' else embedded_ready
        print(ready(owner, description_file))
        print('\nCtrl-C stops everything.')
        sys.stdout.flush()
        dead.wait()
        return 1
    except deployment.DeploymentError as error:
        sys.stderr.write('heat-functional: %s\n' % error)
        return 3
    except KeyboardInterrupt:
        return 0
    finally:
        owner.close()


# -- run and gate ----------------------------------------------------------
def pytest_command(args, report_dir, suites=SCENARIOS_DIR,
                   junit=config.JUNIT_XML):
    argv = [sys.executable, '-m', 'pytest', suites,
            '-p', 'no:cacheprovider', '-r', 'fEs', '--tb=short',
            '--junitxml', os.path.join(report_dir, junit),
            '-o', 'junit_suite_name=heat-functional',
            # progress.py shows how far the run is; no percentages.
            '-o', 'console_output_style=classic',
            '-W', 'ignore::DeprecationWarning',
            # openstacksdk warns about an optional metrics library at
            # every cloud it loads.
            '-W', 'ignore:Support for InfluxDB']
    if args.workers not in ('0', ''):
        # A worker that dies stops the run (plugin.pytest_testnodedown):
        # its cases and their stacks cannot be taken over by another.
        # The plugin orders the groups by cost (costs.py); pytest-xdist
        # keeps that order only when told not to sort by size.
        argv += ['-n', args.workers, '--dist', 'loadgroup',
                 '--no-loadscope-reorder', '--max-worker-restart', '0']
    if args.keyword:
        argv += ['-k', args.keyword]
    return argv + list(args.pytest_args)


def run_spec_of(args, report_dir):
    """What `run` or `gate` was asked for (run_spec.py). Where --only,
    --actions, --failures or --templates is left out, the variable a
    user may set in its stead (config.py) counts, as before the spec."""
    environ = os.environ
    spec = run_spec.RunSpec(
        report_dir=report_dir, paths=tuple(args.paths), db=args.db,
        auth=args.auth,
        templates_dir=(os.path.abspath(args.templates) if args.templates
                       else environ.get(config.TEMPLATES_ENV) or
                       config.SHIPPED_TEMPLATES),
        environments=tuple(global_environments(args)),
        only=getattr(args, 'only', None) or environ.get(config.ONLY_ENV),
        actions=(getattr(args, 'actions', None) or
                 environ.get(config.ACTIONS_ENV)),
        failures=(getattr(args, 'failures', None) or
                  environ.get(config.FAILURES_ENV)),
        repeat=args.repeat, strict=bool(getattr(args, 'strict', False)),
        heat_source=checked_heat_source(args) if args.heat_source else None,
        toggles=run_spec.toggles_wanted(environ),
        keyword=getattr(args, 'keyword', None))
    return dataclasses.replace(spec, shard=shard_of(args, spec))


def pytest_environment(args, report_dir, external=None):
    """pytest's environment: this one, with the run spec and the run id;
    with an external target, its description: `external` (that of the
    devstack-like deployment this command started), else the one the
    command line gives (external_description)."""
    env = run_spec.export(run_spec_of(args, report_dir), dict(os.environ))
    try:
        env[config.RUN_ID_ENV] = config.run_id()
    except ValueError as error:
        raise SystemExit('heat-functional: $%s: %s'
                         % (config.RUN_ID_ENV, error))
    # The pytest controller starts (and owns) an embedded deployment; an
    # external one is described here and only attached to.
    env.pop(config.DEPLOYMENT_ENV, None)
    env.pop(config.DEPLOYMENT_JSON_ENV, None)
    if external is not None or args.target == 'external':
        from heat_functional.deployment import base
        from heat_functional.deployment import external as external_module
        description = external or external_description(args)
        try:
            external_module.check_credentials(description)
        except base.DeploymentError as error:
            raise SystemExit('heat-functional: %s' % error)
        # Database URLs may hold passwords: the description goes to
        # pytest in its environment; what is kept in the report directory
        # is redacted.
        text = json.dumps(description, indent=2)
        with open(os.path.join(report_dir, config.DESCRIPTION_JSON),
                  'w') as f:
            f.write(external_module.redact(text))
        env[config.DEPLOYMENT_JSON_ENV] = text
    return env


def checked_heat_source(args):
    """The absolute path of --heat-source, once known to be a Heat
    checkout; SystemExit saying why not."""
    from heat_functional.deployment import base
    from heat_functional.deployment.parts import source
    if args.target != 'embedded':
        raise SystemExit('heat-functional: --heat-source applies to the '
                         'embedded deployment only')
    try:
        return source.check_checkout(args.heat_source)
    except base.DeploymentError as error:
        raise SystemExit('heat-functional: %s' % error)


def run_on_cloud(args, report_dir):
    """--target cloud: start the devstack-like deployment, run the
    external target on the clouds.yaml and commands it wrote, stop it."""
    from heat_functional import deployment
    from heat_functional.deployment import cloud
    given = [option for option in ('cloud', 'toggle', 'db_url',
                                   'toggle_command', 'migrate_command',
                                   'clouds_file') if getattr(args, option)]
    if given:
        raise SystemExit('heat-functional: --target cloud writes its own '
                         'clouds.yaml and commands; drop --%s'
                         % ', --'.join(o.replace('_', '-') for o in given))
    owner = deployment.owner_for(
        'cloud', args.report_dir, args.paths, cloud.toggles_for(args.paths),
        on_death=lambda message: _cloud_died(message, report_dir))
    try:
        owner.start()
    except deployment.DeploymentError as error:
        sys.stderr.write('heat-functional: the devstack-like deployment did '
                         'not start: %s\n' % error)
        return 3
    except KeyboardInterrupt:
        return 130
    try:
        print('heat-functional: devstack-like deployment ready in %.1f s '
              '(%s)' % (owner.description['ready_s'], owner.description_file))
        sys.stdout.flush()
        return run_suites(args, report_dir, owner.external_description())
    finally:
        owner.close()


def _cloud_died(message, report_dir):
    """A part of the devstack-like deployment died: say which, note it
    in `report_dir` for the report's ``interrupted`` (the plugin reads
    it), and stop the run as SIGTERM does (run() passes it on to
    pytest)."""
    sys.stderr.write('\nheat-functional: %s\n' % message)
    sys.stderr.flush()
    records.note_interruption(report_dir, message)
    os.kill(os.getpid(), signal.SIGTERM)


def global_environments(args):
    """The --environment files, as absolute paths, in order."""
    return [os.path.abspath(path)
            for path in getattr(args, 'environment', None) or []]


def environment_problem(args):
    """What is wrong with an --environment file, or None."""
    from heatclient.common import environment_format
    for path in global_environments(args):
        try:
            with open(path) as f:
                environment_format.parse(f.read())
        except (OSError, ValueError) as error:
            return '--environment %s: %s' % (path, error)
    return None


def selection_problem(args):
    """What is wrong with --templates, --environment and --only, or
    None."""
    if args.templates and not os.path.isdir(args.templates):
        return 'template directory %s does not exist' % args.templates
    problem = environment_problem(args)
    if problem:
        return problem
    try:
        templates = discovery.discover(
            args.templates or config.SHIPPED_TEMPLATES,
            environments=global_environments(args))
    except corpus.CorpusError as error:
        return str(error)
    try:
        corpus.select(templates, config.template_names(args.only))
    except corpus.CorpusError as error:
        return '--only: %s' % error
    return None


def shard_of(args, spec):
    """The shard assignment (shards.assign) of a run whose spec, but for
    its shard, is `spec`; None unsharded. shards.ShardError says why a
    shard cannot run."""
    if getattr(args, 'shard_costs', None) and not args.shard:
        raise shards.ShardError('--shard-costs needs --shard K/N')
    if not getattr(args, 'shard', None):
        return None
    templates = corpus.select(
        discovery.discover(spec.templates_dir,
                           environments=list(spec.environments)),
        spec.only_templates())
    return shards.assign(templates, args.shard, args.shard_costs)


def shard_problem(args, report_dir):
    """Why the asked shard cannot run (no template for it, a bad
    --shard-costs), or None."""
    try:
        run_spec_of(args, report_dir)
    except shards.ShardError as error:
        return str(error)
    return None


def run(args):
    report_dir = os.path.abspath(args.report_dir)
    os.makedirs(report_dir, exist_ok=True)
    if os.path.exists(os.path.join(report_dir, config.REPORT_JSON)):
        os.remove(os.path.join(report_dir, config.REPORT_JSON))
    records.forget_interruption(report_dir)  # an earlier run's
    problem = (selection_problem(args) or paths_problem(args) or
               shard_problem(args, report_dir))
    if problem:
        sys.stderr.write('heat-functional: %s\n' % problem)
        return 2
    if args.target == 'cloud':
        return run_on_cloud(args, report_dir)
    return run_suites(args, report_dir)


def run_suites(args, report_dir, external=None):
    """Run pytest on the suites and finish the report; the exit status.
    `external`: the description of a deployment this command started
    (run_on_cloud)."""
    env = pytest_environment(args, report_dir, external)
    print('heat-functional: run %s; its stacks are tagged %s%s'
          % (env[config.RUN_ID_ENV], config.RUN_TAG_PREFIX,
             env[config.RUN_ID_ENV]))
    sys.stdout.flush()
    try:
        registration = live_runs.register(env[config.RUN_ID_ENV])
    except live_runs.LiveRunsError as error:
        sys.stderr.write('heat-functional: %s\n' % error)
        return 2
    with registration:  # `cleanup` leaves a live run's stacks alone
        status, stopped_by = run_pytest(pytest_command(args, report_dir),
                                        env, report_dir)
        result = finish_report(args, report_dir, status, stopped_by)
        chosen = noise_pass.templates(args, result, status)
        if chosen and not stopped_by:
            result, status, stopped_by = run_noise_pass(
                args, report_dir, env, chosen, result, status)
    print('heat-functional: verdict %s; report %s'
          % (result['verdict'].upper(), os.path.join(report_dir,
                                                     config.REPORT_JSON)))
    if stopped_by:
        return 128 + stopped_by
    if args.command == 'gate':
        return 0 if result['verdict'] == 'pass' else 1
    return status if status >= 0 else 128 - status


def run_noise_pass(args, report_dir, env, chosen, first, first_status):
    """The noise pass (noise_pass.py) after the run whose report is
    `first`: (the report of the whole run, the exit status, the signal
    that stopped the pass or None)."""
    print('heat-functional: noise pass: the create of %d template(s) once '
          'more per path: %s' % (len(chosen), ', '.join(chosen)))
    sys.stdout.flush()
    # The pass's pytest writes the report anew; one killed before it
    # does leaves finish_report to build it from the records.
    os.remove(os.path.join(report_dir, config.REPORT_JSON))
    started = time.monotonic()
    status, stopped_by = run_pytest(
        pytest_command(noise_pass.arguments(args, chosen), report_dir,
                       os.path.join(SCENARIOS_DIR, LIFECYCLE_SUITE),
                       config.NOISE_PASS_JUNIT_XML),
        noise_pass.environment(env, chosen), report_dir)
    final = finish_report(args, report_dir, status, stopped_by)
    merged, reasons = noise_pass.merge(first, final, first_status, chosen,
                                       time.monotonic() - started)
    merged = report_module.amend(merged, reasons)
    report_module.write(merged, report_dir)
    print('heat-functional: noise pass done in %.0f s'
          % merged['noise_pass']['duration_s'])
    return merged, status or first_status, stopped_by


def paths_problem(args):
    """The gate compares two paths: it needs both, each once."""
    if args.command != 'gate':
        return None
    if len(set(args.paths)) != len(args.paths):
        return '--paths names a path twice: %s' % ','.join(args.paths)
    missing = [p for p in config.PATH_NAMES if p not in args.paths]
    if missing:
        return ('the gate compares the %s paths; --paths leaves out %s '
                '(use "heat-functional run" to run one path)'
                % (' and '.join(config.PATH_NAMES), ', '.join(missing)))
    return None


def run_pytest(argv, env, report_dir):
    """Run pytest in a process group of its own; (exit status, the signal
    that stopped the run or None).

    A Ctrl-C or SIGTERM reaching this command is passed on to the whole
    group as SIGINT (what a terminal's Ctrl-C does), with the reason in
    the report directory (config.INTERRUPTED_TXT) for the report's
    ``interrupted``. pytest then gets INTERRUPT_GRACE seconds to stop
    and write its report; after that the group is killed and the report
    is written here (``finish_report``). If this command dies, pytest
    gets SIGTERM (PR_SET_PDEATHSIG) and stops the same way."""
    process = subprocess.Popen(argv, env=env, start_new_session=True,
                               preexec_fn=_terminate_with_parent)
    stopped_by = None
    while True:
        try:
            if stopped_by is None:
                return process.wait(), None
            return process.wait(timeout=config.INTERRUPT_GRACE), stopped_by
        except KeyboardInterrupt:
            if stopped_by is None:
                stopped_by = _Terminated.signal()
                _note_interruption(report_dir, stopped_by)
                _signal_group(process, signal.SIGINT)
        except subprocess.TimeoutExpired:
            sys.stderr.write('heat-functional: pytest did not stop within '
                             '%d s; killing it\n' % config.INTERRUPT_GRACE)
            _signal_group(process, signal.SIGKILL)
            return process.wait(), stopped_by


def _terminate_with_parent():
    """In the child: SIGTERM when the parent dies (Linux's prctl)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _note_interruption(report_dir, signum):
    """Leave why the run stops for the report (unless a dead part of the
    deployment said so first)."""
    records.note_interruption(report_dir, 'stopped by %s'
                              % signal.Signals(signum).name, replace=False)


def finish_report(args, report_dir, status, stopped_by):
    """The run's report, with what only this command knows: a signal it
    received, pytest's final exit status, or a pytest that wrote no
    report at all (killed): then the report is built here from the case
    records and the plan."""
    interrupted = records.interruption(report_dir)
    if interrupted is None and stopped_by:
        interrupted = 'stopped by %s' % signal.Signals(stopped_by).name
    reasons = []
    if status < 0:
        reasons.append('pytest was killed by %s'
                       % signal.Signals(-status).name)
    elif status not in (0, 1, 2):
        reasons.append('pytest ended with exit status %d' % status)
    path = os.path.join(report_dir, config.REPORT_JSON)
    if os.path.exists(path):
        result = report_module.read(path)
        if status == 1 and result['verdict'] == 'pass':
            reasons.append('pytest exited with status 1 (tests failed) '
                           'but the records show no failure: see %s'
                           % config.JUNIT_XML)
        amended = report_module.amend(result, reasons, interrupted)
        if amended != result:
            report_module.write(amended, report_dir)
        return amended
    sys.stderr.write('heat-functional: pytest ended with status %s and '
                     'wrote no report; building it from the case records '
                     'in %s\n' % (status, report_dir))
    built = report_module.from_records(
        report_dir, _description(report_dir), args.paths,
        interrupted=interrupted or 'pytest ended without a report',
        run_id=os.environ.get(config.RUN_ID_ENV),
        planned=plan.read(report_dir), exit_status=status)
    built['corpus'] = discovery.read(report_dir)
    built['shard'] = shards.report_entry(run_spec_of(args, report_dir))
    built = report_module.amend(built, reasons)
    report_module.write(built, report_dir)
    return built


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def _description(report_dir):
    """What the report directory says of the deployment, if anything."""
    text = _read(os.path.join(report_dir, config.DESCRIPTION_JSON))
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def show_report(args):
    """``report REPORT_JSON`` or ``report merge DIR... --report-dir
    OUT``."""
    if args.report_json == 'merge' and (args.shard_dirs or
                                        args.merged_dir):
        return merge_reports(args.shard_dirs, args.merged_dir)
    if args.shard_dirs or args.merged_dir:
        sys.stderr.write('heat-functional: report takes one report.json, '
                         'or "merge DIR... --report-dir OUT"\n')
        return 2
    try:
        result = report_module.read(args.report_json)
    except (OSError, ValueError) as err:
        sys.stderr.write('heat-functional: cannot read %s: %s\n'
                         % (args.report_json, err))
        return 2
    print(table.render(result))
    directory = args.report_json if os.path.isdir(args.report_json) else \
        os.path.dirname(os.path.abspath(args.report_json))
    sys.stderr.write('report.html: %s\n' % htmlreport.write(result,
                                                            directory))
    return 0 if result['verdict'] == 'pass' else 1


def merge_reports(directories, out):
    """One report and verdict from the shards' report directories; exit
    status 0 on pass, 1 on fail, 2 for shards that cannot be merged."""
    from heat_functional.results import merge
    if not out:
        sys.stderr.write('heat-functional: report merge needs --report-dir '
                         'OUT, where the merged report goes\n')
        return 2
    try:
        merged = merge.merge(directories)
    except merge.MergeError as error:
        sys.stderr.write('heat-functional: report merge: %s\n' % error)
        return 2
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    path = report_module.write(merged, out)
    print(table.render(merged))
    print('heat-functional: verdict %s of %d shards; report %s'
          % (merged['verdict'].upper(), len(directories), path))
    return 0 if merged['verdict'] == 'pass' else 1


def fuzz(args):
    """fuzz: one deployment, the cases, fuzz.json; the exit status says
    whether a new finding appeared (fuzz/run.py)."""
    from heat_functional.deployment import base
    from heat_functional.deployment.parts import source
    from heat_functional.fuzz import run as fuzz_run
    from heat_functional.fuzz import session
    if args.count is None and args.minutes is None and args.case is None:
        sys.stderr.write('heat-functional fuzz: give --count N, --minutes '
                         'M or --case K\n')
        return fuzz_run.EXIT_USAGE
    if args.paths != list(config.PATH_NAMES):
        sys.stderr.write('heat-functional fuzz: runs both paths; --paths '
                         'does not apply\n')
        return fuzz_run.EXIT_USAGE
    try:
        heat_source = args.heat_source and source.check_checkout(
            args.heat_source)
    except base.DeploymentError as error:
        sys.stderr.write('heat-functional fuzz: %s\n' % error)
        return fuzz_run.EXIT_USAGE
    asked = fuzz_run.Asked(args.seed, args.count, args.minutes, args.case,
                           args.workers, args.shrink_budget)
    # Every wait of this process reads it when it starts (client.wait).
    config.STACK_TIMEOUT = args.stack_timeout
    report_dir = os.path.abspath(args.report_dir)
    os.makedirs(report_dir, exist_ok=True)
    try:
        summary = session.run(asked, report_dir, args.db, args.auth,
                              heat_source)
    except base.DeploymentError as error:
        sys.stderr.write('heat-functional fuzz: %s\n' % error)
        return fuzz_run.EXIT_BROKEN
    except KeyboardInterrupt:
        sys.stderr.write('heat-functional fuzz: stopped before any case '
                         'ran\n')
        return fuzz_run.EXIT_STOPPED
    print(fuzz_run.describe(summary, report_dir))
    return fuzz_run.exit_status(summary)


def cleanup(args):
    from heat_functional import cleanup as cleanup_module
    if args.clouds_file:
        args.clouds_file = os.path.abspath(args.clouds_file)
    return cleanup_module.run(args)


class _Terminated(object):
    """Turns SIGTERM into an orderly stop, like Ctrl-C."""

    received = False

    @classmethod
    def handler(cls, signum, frame):
        cls.received = True
        raise KeyboardInterrupt

    @classmethod
    def signal(cls):
        """The signal behind the KeyboardInterrupt being handled."""
        return signal.SIGTERM if cls.received else signal.SIGINT


def main(argv=None):
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _Terminated.handler)
    # `heat-functional report ... | head` ends quietly.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    commands = {'deploy': deploy, 'run': run, 'gate': run,
                'report': show_report, 'cleanup': cleanup, 'fuzz': fuzz}
    return commands[args.command](args)


if __name__ == '__main__':
    sys.exit(main())
