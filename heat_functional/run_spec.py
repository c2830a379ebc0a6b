"""The run spec: everything a run was asked for, written once, read once.

``heat-functional run`` and ``gate`` turn their command line into one
``RunSpec`` (``cli.run_spec_of``) and hand it to pytest, whose
pytest-xdist workers inherit it, as JSON in ONE environment variable,
``$HEAT_FUNCTIONAL_RUN_SPEC`` (config.RUN_SPEC_ENV). The suites and the
pytest plugin read it through ``current()``, which parses it once per
process.

pytest started by hand on the suites has no spec: ``current()`` then
makes one from the variables such a run may set, each described in
config.py (``$HEAT_FUNCTIONAL_PATHS``, ``_DB``, ``_AUTH``,
``_TEMPLATES``, ``_ENVIRONMENTS``, ``_ONLY``, ``_ACTIONS``,
``_FAILURES``, ``_REPEAT``, ``_STRICT``, ``_HEAT_SOURCE``, ``_TOGGLES``,
``_REPORT_DIR``). Where a spec is given, those variables are not read.
"""

import dataclasses
import functools
import json
import os

from heat_functional import config


@dataclasses.dataclass(frozen=True)
class RunSpec(object):
    """What one run was asked for."""

    #: Where the report, case records and logs go (absolute).
    report_dir: str
    #: The paths to run, in order.
    paths: tuple = tuple(config.PATH_NAMES)
    #: The embedded deployment's database and authentication.
    db: str = config.DEFAULT_DB
    auth: str = config.DEFAULT_AUTH
    #: The template directory.
    templates_dir: str = config.SHIPPED_TEMPLATES
    #: Environment files applied to every template, in order (absolute).
    environments: tuple = ()
    #: --only, --actions, --failures as given: comma-separated template
    #: names, "all", or None (config.template_names reads them).
    only: str = None
    actions: str = None
    failures: str = None
    #: Runs of each lifecycle per path (--repeat).
    repeat: int = 1
    #: Hold steps without a declared expect to the default status.
    strict: bool = False
    #: A Heat checkout the embedded cells import Heat from, or None.
    heat_source: str = None
    #: Whether the embedded deployment may start the toggle cells.
    toggles: bool = True
    #: Whether this is the noise pass (noise_pass.py): the lifecycle's
    #: create only, as repetition config.NOISE_PASS_REPETITION, beside
    #: the records and plan of the run it follows.
    noise_pass: bool = False
    #: The pytest -k expression that selects cases (-k), or None.
    keyword: str = None
    #: With --shard K/N, this shard's assignment (shards.assign: index,
    #: count, templates, fingerprint, balanced_by, split), else None.
    shard: dict = None

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        fields = json.loads(text)
        for name in ('paths', 'environments'):
            fields[name] = tuple(fields[name])
        return cls(**fields)

    def toggle_cells(self):
        """The toggle cells this run starts: both, when both paths run
        and toggles are not turned off ($HEAT_FUNCTIONAL_TOGGLES=0)."""
        if not self.toggles or set(self.paths) != set(config.PATH_NAMES):
            return []
        return list(config.TOGGLES)

    def only_templates(self):
        """The template names every suite is limited to, or None."""
        return config.template_names(self.only, None)

    def action_templates(self, shipped=True):
        """The template names the actions suite runs on, or None for all.
        config.ACTION_TEMPLATES name shipped templates: on another
        directory (shipped False) the default is all."""
        return config.template_names(
            self.actions, config.ACTION_TEMPLATES if shipped else None)

    def failure_templates(self, shipped=True):
        """The template names the failures suite runs on, or None for all
        (the default on a directory other than the shipped one)."""
        return config.template_names(
            self.failures, config.FAILURE_TEMPLATES if shipped else None)

    def probe_templates(self, shipped=True):
        """The template names the probe runs on, or None for all (on a
        directory other than the shipped one)."""
        return config.PROBE_TEMPLATES if shipped else None


def current(environ=None):
    """This run's spec: $HEAT_FUNCTIONAL_RUN_SPEC's, else one made from
    the variables a by-hand pytest run may set."""
    environ = os.environ if environ is None else environ
    text = environ.get(config.RUN_SPEC_ENV)
    if text:
        return _parsed(text)
    return from_variables(environ)


@functools.lru_cache(maxsize=4)
def _parsed(text):
    return RunSpec.from_json(text)


def export(spec, environ):
    """Put the spec into `environ` (a child's environment)."""
    environ[config.RUN_SPEC_ENV] = spec.to_json()
    return environ


def from_variables(environ):
    """The spec a by-hand pytest run's variables describe."""
    raw_environments = environ.get(config.ENVIRONMENTS_ENV)
    return RunSpec(
        report_dir=os.path.abspath(environ.get(
            config.REPORT_DIR_ENV, os.path.join('reports', 'run'))),
        paths=tuple(_paths(environ.get(config.PATHS_ENV, ''))),
        db=environ.get(config.DB_ENV, config.DEFAULT_DB),
        auth=environ.get(config.AUTH_ENV, config.DEFAULT_AUTH),
        templates_dir=(environ.get(config.TEMPLATES_ENV) or
                       config.SHIPPED_TEMPLATES),
        environments=tuple(json.loads(raw_environments)
                           if raw_environments else ()),
        only=environ.get(config.ONLY_ENV),
        actions=environ.get(config.ACTIONS_ENV),
        failures=environ.get(config.FAILURES_ENV),
        repeat=max(1, int(environ.get(config.REPEAT_ENV) or 1)),
        strict=environ.get(config.STRICT_ENV) == '1',
        heat_source=environ.get(config.HEAT_SOURCE_ENV) or None,
        toggles=toggles_wanted(environ))


def toggles_wanted(environ):
    """Whether $HEAT_FUNCTIONAL_TOGGLES lets a run start toggle cells."""
    return environ.get(config.TOGGLES_ENV, '1') != '0'


def _paths(raw):
    """Path names from comma-separated text; every path for none."""
    names = [p.strip() for p in raw.split(',') if p.strip()]
    if not names:
        return list(config.PATH_NAMES)
    unknown = [n for n in names if n not in config.PATHS]
    if unknown:
        raise ValueError('unknown path(s) %s; known paths: %s'
                         % (', '.join(unknown), ', '.join(config.PATH_NAMES)))
    return names
