"""The ``[heat_functional]`` group of tempest.conf, and what it describes.

The group says what ``heat-functional gate --target external`` says on its
command line (doc/source/external.rst), so the tempest tests reach the
deployment through the same external target:

- ``paths``: the paths to run (legacy, convergence);
- each *cell* (a path, or a toggle cell ``flip-on``/``flip-back`` of the
  flag lifecycle suite) is a cloud of clouds.yaml (``clouds``, read from
  ``clouds_file`` or openstacksdk's usual places), or a keystone region
  (``regions``) reached with tempest's own credentials: ``[identity]
  uri_v3`` and ``[auth] admin_username``, ``admin_password``,
  ``admin_project_name``, ``admin_domain_name``;
- ``flag_source``: ``db`` reads each stack's ``convergence`` flag from
  the cell's database (``db_urls``, read-only URLs); ``none`` reads no
  flag, and the report says so;
- ``toggle_command`` and ``migrate_command``: the operator commands of
  the flip and migrate scenarios (``{convergence_engine}``, ``{cloud}``
  and ``{stack_id}`` are substituted);
- ``scenarios``, ``templates_dir`` and ``templates``: the scenarios, the
  corpus and the templates of it to run;
- ``report_dir``, ``verdict_timeout``, ``verdict_idle``: where the parity
  verdict writes its report, and how long it waits for the other
  workers' cases.

The functions below turn the group into the external target's
description; every inconsistency is a ConfigError naming the option.
"""

import os

from oslo_config import cfg

from heat_functional import config
from heat_functional import corpus
from heat_functional import discovery

GROUP = 'heat_functional'
group = cfg.OptGroup(name=GROUP,
                     title='heat-functional: parity of Heat\'s legacy and '
                     'convergence paths')

#: Every cell a cloud or region may be given for.
CELLS = config.PATH_NAMES + tuple(config.TOGGLES)
FLAG_SOURCES = ('db', 'none')
#: The scenarios the plugin offers as tempest tests.
SCENARIOS = ('lifecycle', 'flip', 'migrate')
#: Name of the cloud a region becomes in the clouds.yaml written from
#: tempest's credentials (``{cloud}`` in the operator commands).
CLOUD_PREFIX = config.CLOUD_PREFIX
#: tempest.conf's options the clouds of ``regions`` are made of.
TEMPEST_OPTIONS = {
    'auth_url': '[identity] uri_v3',
    'username': '[auth] admin_username',
    'password': '[auth] admin_password',
    'project_name': '[auth] admin_project_name',
}

opts = [
    cfg.ListOpt('paths', default=list(config.PATH_NAMES),
                help='The paths to run, of: %s. Each needs a cloud '
                '(clouds) or a region (regions).'
                % ', '.join(config.PATH_NAMES)),
    cfg.DictOpt('clouds', default={},
                help='Cell -> cloud of clouds.yaml serving it, e.g. '
                '"legacy:devstack-legacy,convergence:devstack". Cells are '
                'the paths and the toggle cells (%s) of the flip '
                'scenarios. When set, regions is ignored.'
                % ', '.join(config.TOGGLES)),
    cfg.StrOpt('clouds_file',
               help='The clouds.yaml to read (default: openstacksdk\'s '
               'search: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, '
               '~/.config/openstack/clouds.yaml, /etc/openstack/).'),
    cfg.DictOpt('regions', default={},
                help='Cell -> keystone region holding its orchestration '
                'endpoint, reached with tempest\'s admin credentials '
                '([auth] admin_*) at [identity] uri_v3, e.g. '
                '"legacy:RegionLegacy,convergence:RegionOne". Used when '
                'clouds is empty.'),
    cfg.StrOpt('flag_source', default='db', choices=FLAG_SOURCES,
               help='Where the per-stack convergence flag is read: "db" '
               'from each cell\'s database (db_urls), "none" not at all '
               '(the report then says that no flag was verified and that '
               'the default may not change).'),
    cfg.DictOpt('db_urls', default={}, secret=True,
                help='Cell -> read-only SQLAlchemy URL of its Heat '
                'database, e.g. "legacy:mysql+pymysql://reader:pw@ctl/'
                'heat". Every cell needs one when flag_source is db.'),
    cfg.StrOpt('toggle_command',
               help='Sets convergence_engine on a toggle cell and restarts '
               'its Heat, returning once Heat answers; {convergence_engine}'
               ' (true/false) and {cloud} are substituted. Needed when a '
               'toggle cell is given.'),
    cfg.StrOpt('migrate_command',
               help='Migrates one stack, e.g. "ssh ctl sudo heat-manage '
               'migrate_convergence_1 {stack_id}" ({cloud} is '
               'substituted too). Without it the migrate scenario skips, '
               'saying why.'),
    cfg.ListOpt('scenarios', default=list(SCENARIOS),
                help='The scenarios to run, of: %s (lifecycle: every '
                'template on every path, compared by the parity verdict; '
                'flip and migrate: the flag lifecycle suite\'s). The '
                'parity verdict expects every case of them.'
                % ', '.join(SCENARIOS)),
    cfg.StrOpt('templates_dir', default=config.SHIPPED_TEMPLATES,
               help='The template directory (a corpus: '
               'doc/source/corpus.rst).'),
    cfg.ListOpt('templates', default=[],
                help='The templates of templates_dir to run, by name '
                '(default: all of them).'),
    cfg.StrOpt('report_dir', default='heat-functional-report',
               help='Where the parity verdict writes report.json, '
               'report.html and the cases, relative to the directory '
               'tempest runs in (its workspace).'),
    cfg.IntOpt('verdict_timeout', default=3600, min=1,
               help='Seconds the parity verdict waits, at most, for the '
               'cases the other tempest workers run.'),
    cfg.IntOpt('verdict_idle', default=120, min=1,
               help='The parity verdict stops waiting for missing cases '
               'once no case has run or ended for this many seconds.'),
]


class ConfigError(ValueError):
    """[heat_functional] cannot describe a deployment; says which option."""


def _option(name):
    return '[%s] %s' % (GROUP, name)


def not_configured(section):
    """Why the plugin's tests cannot run at all (no cell is given), or
    None when the group names a cloud or region."""
    if section.clouds or section.regions:
        return None
    return ('heat-functional is not configured: set %s (or %s) in '
            'tempest.conf to the clouds serving the legacy and convergence '
            'paths' % (_option('clouds'), _option('regions')))


def selected_paths(section):
    """The paths to run, in config.PATHS order."""
    names = [p.strip() for p in section.paths if p.strip()]
    unknown = [p for p in names if p not in config.PATHS]
    if not names or unknown:
        raise ConfigError('%s must list some of %s (got %s)'
                          % (_option('paths'), ', '.join(config.PATH_NAMES),
                             ', '.join(section.paths) or 'nothing'))
    return [p for p in config.PATH_NAMES if p in names]


def _check_cells(mapping, name):
    unknown = sorted(set(mapping) - set(CELLS))
    if unknown:
        raise ConfigError('%s names unknown cell(s) %s; cells are %s'
                          % (_option(name), ', '.join(unknown),
                             ', '.join(CELLS)))


def cells(section):
    """Cell -> its cloud name: the paths to run and the toggle cells
    given; the clouds of clouds.yaml, or for regions the clouds that
    ``tempest_clouds`` writes."""
    source = 'clouds' if section.clouds else 'regions'
    given = dict(section.clouds or section.regions)
    _check_cells(given, source)
    paths = selected_paths(section)
    missing = [p for p in paths if not given.get(p)]
    if missing:
        raise ConfigError('%s gives no %s for path(s) %s'
                          % (_option(source), source[:-1],
                             ', '.join(missing)))
    chosen = paths + [t for t in config.TOGGLES if given.get(t)]
    if source == 'clouds':
        return {cell: given[cell] for cell in chosen}
    return {cell: CLOUD_PREFIX + cell for cell in chosen}


def db_urls(section, chosen):
    """Cloud -> database URL of each chosen cell (the flag source)."""
    _check_cells(section.db_urls, 'db_urls')
    if section.flag_source == 'none':
        return {}
    missing = [cell for cell in chosen if not section.db_urls.get(cell)]
    if missing:
        raise ConfigError('%s is db, but %s has no URL for %s (give one, '
                          'or set flag_source = none to read no flag)'
                          % (_option('flag_source'), _option('db_urls'),
                             ', '.join(missing)))
    return {cloud: section.db_urls[cell] for cell, cloud in chosen.items()}


def _check_shared(section, chosen):
    """Paths on one cloud (run in phases, the option flipped between
    them: doc/source/tempest-plugin.rst) need the flags: nothing else shows
    which path a case really ran on."""
    paths = [p for p in config.PATH_NAMES if p in chosen]
    if len({chosen[p] for p in paths}) < len(paths) and \
            section.flag_source == 'none':
        raise ConfigError('paths %s share one cloud: only the flags read '
                          'from its database show which path each case '
                          'ran on; set %s = db and give %s'
                          % (', '.join(paths), _option('flag_source'),
                             _option('db_urls')))


def describe(section, clouds_file=None):
    """The external target's description (``external.describe``).

    clouds_file: the clouds.yaml to read; by default the group's
    ``clouds_file`` (regions need the file ``tempest_clouds`` wrote)."""
    from heat_functional.deployment import external
    chosen = cells(section)
    toggles = [t for t in config.TOGGLES if t in chosen]
    if toggles and not section.toggle_command:
        raise ConfigError('toggle cell(s) %s need %s'
                          % (', '.join(toggles), _option('toggle_command')))
    _check_shared(section, chosen)
    clouds_file = clouds_file or section.clouds_file
    if section.clouds and clouds_file and not os.path.isfile(clouds_file):
        raise ConfigError('%s: no file %s' % (_option('clouds_file'),
                                              clouds_file))
    return external.describe(
        {p: chosen[p] for p in config.PATH_NAMES if p in chosen},
        {t: (chosen[t], section.toggle_command) for t in toggles},
        db_urls(section, chosen), section.migrate_command or None,
        clouds_file and os.path.abspath(clouds_file))


def tempest_clouds(section, conf):
    """clouds.yaml's content for ``regions``: one cloud per cell, as
    tempest's admin user, in the cell's region."""
    auth = {
        'auth_url': conf.identity.uri_v3,
        'username': conf.auth.admin_username,
        'password': conf.auth.admin_password,
        'project_name': conf.auth.admin_project_name,
    }
    missing = [TEMPEST_OPTIONS[k] for k in sorted(auth) if not auth[k]]
    if missing:
        raise ConfigError('%s uses tempest\'s credentials, but %s not set'
                          % (_option('regions'), ', '.join(missing)))
    domain = conf.auth.admin_domain_name or \
        conf.identity.default_credentials_domain_name
    auth.update(user_domain_name=domain, project_domain_name=domain)
    clouds = {}
    for cell, cloud in cells(section).items():
        clouds[cloud] = {
            'auth_type': 'password', 'auth': dict(auth),
            'region_name': section.regions[cell],
            'identity_api_version': 3, 'interface': 'public',
            'verify': not conf.identity.disable_ssl_certificate_validation,
        }
        if conf.identity.ca_certificates_file:
            clouds[cloud]['cacert'] = conf.identity.ca_certificates_file
    return {'clouds': clouds}


def selected_scenarios(section):
    """The scenarios to run, in SCENARIOS order."""
    names = [n.strip() for n in section.scenarios if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if not names or unknown:
        raise ConfigError('%s must list some of %s (got %s)'
                          % (_option('scenarios'), ', '.join(SCENARIOS),
                             ', '.join(section.scenarios) or 'nothing'))
    return [n for n in SCENARIOS if n in names]


def selected_templates(section):
    """The templates to run, in the corpus's order. Raises ConfigError
    for names the corpus lacks, CorpusError for a bad directory."""
    templates = discovery.discover(section.templates_dir)
    wanted = [n.strip() for n in section.templates if n.strip()]
    try:
        return corpus.select(templates, wanted or None)
    except corpus.CorpusError as error:
        raise ConfigError('%s: %s' % (_option('templates'), error))
