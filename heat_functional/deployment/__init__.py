"""Deployments: how the harness reaches Heat on each path.

``attach(description)`` turns a deployment's description (a dict, the
JSON in ``$HEAT_FUNCTIONAL_DEPLOYMENT_JSON``, or the JSON file named by
``$HEAT_FUNCTIONAL_DEPLOYMENT``) into a handle with the interface of
``base.Deployment``. Suites use only that interface.

``owner_for(target, ...)`` makes the owner of a deployment the harness
starts (``owner.py``: the embedded cells, or the devstack-like cloud);
the pytest plugin, the command line's ``deploy`` and ``gate --target
cloud``, and the tempest plugin's check all start theirs through it.
"""

import json
import os

from heat_functional import config
from heat_functional.deployment import base

Deployment = base.Deployment
DeploymentError = base.DeploymentError
CellDied = base.CellDied


def _kinds():
    from heat_functional.deployment import embedded
    from heat_functional.deployment import external
    return {'embedded': embedded.EmbeddedDeployment,
            'external': external.ExternalDeployment}


def owner_for(target, report_dir, paths=config.PATH_NAMES, toggles=(),
              db=config.DEFAULT_DB, auth=config.DEFAULT_AUTH,
              heat_source=None, on_death=None):
    """The owner of a deployment to start: embedded cells (`target`
    'embedded', on database `db`, `auth`, Heat from `heat_source`), or
    the devstack-like cloud ('cloud'); a cell per path and per toggle
    cell of the flag lifecycle suite (`toggles`). on_death is called with
    a message should a part die while it is up."""
    if target == 'cloud':
        from heat_functional.deployment import cloud
        return cloud.CloudDeployment(report_dir, paths, toggles,
                                     on_death=on_death)
    from heat_functional.deployment import embedded
    return embedded.EmbeddedCells(
        report_dir, db=db, paths=paths, on_death=on_death,
        toggles=toggles, auth=auth, heat_source=heat_source)


def attach(description):
    """A handle on the deployment a description describes."""
    kinds = _kinds()
    kind = description.get('kind')
    if kind not in kinds:
        raise DeploymentError('unknown deployment kind %r (known: %s)'
                              % (kind, ', '.join(sorted(kinds))))
    return kinds[kind](description)


def given():
    """Whether the environment names a deployment to attach to."""
    return bool(os.environ.get(config.DEPLOYMENT_JSON_ENV) or
                os.environ.get(config.DEPLOYMENT_ENV))


def load_description(path=None):
    """The description in path, in $HEAT_FUNCTIONAL_DEPLOYMENT_JSON, or in
    the file $HEAT_FUNCTIONAL_DEPLOYMENT."""
    if path is None and os.environ.get(config.DEPLOYMENT_JSON_ENV):
        return json.loads(os.environ[config.DEPLOYMENT_JSON_ENV])
    path = path or os.environ.get(config.DEPLOYMENT_ENV)
    if not path:
        return None
    with open(path) as f:
        return json.load(f)
