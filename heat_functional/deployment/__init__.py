"""Deployments: how the harness reaches Heat on each path.

``attach(description)`` turns a deployment's description (a dict, the
JSON in ``$HEAT_FUNCTIONAL_DEPLOYMENT_JSON``, or the JSON file named by
``$HEAT_FUNCTIONAL_DEPLOYMENT``) into a handle with the interface of
``base.Deployment``. Suites use only that interface.
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
