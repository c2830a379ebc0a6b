"""The deployment the tempest tests run against: one handle per worker.

``[heat_functional]`` (``config.py``) becomes the external target's
description; with ``regions``, the clouds are first written from
tempest's credentials to a clouds.yaml that only this user can read, in
a private temporary directory removed when the worker exits. The
credentials are checked once per worker, so that wrong ones are one
clear error (naming keystone and the cloud) in every case, not a
different failure in each.
"""

import atexit
import os
import shutil
import tempfile

import yaml

from heat_functional import deployment as deployment_module
from heat_functional.deployment import external
from heat_functional.tempest_plugin import config as plugin_config

_state = {}


def _write_clouds(clouds):
    directory = tempfile.mkdtemp(prefix='hf-tempest-')
    atexit.register(shutil.rmtree, directory, True)
    path = os.path.join(directory, 'clouds.yaml')
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                           0o600), 'w') as f:
        yaml.safe_dump(clouds, f, default_flow_style=False)
    return path


def description(conf):
    """The target's description from tempest's configuration."""
    section = conf.heat_functional
    clouds_file = None
    if not section.clouds:
        clouds_file = _write_clouds(plugin_config.tempest_clouds(section,
                                                                 conf))
    return plugin_config.describe(section, clouds_file)


def deployment(conf):
    """This worker's handle on the target. Raises ConfigError or
    DeploymentError, the same one on every call, if there is none."""
    if 'error' in _state:
        raise _state['error']
    if 'handle' not in _state:
        try:
            described = description(conf)
            external.check_credentials(described)
        except (plugin_config.ConfigError,
                deployment_module.DeploymentError) as error:
            _state['error'] = error
            raise
        _state['description'] = described
        _state['handle'] = deployment_module.attach(described)
        atexit.register(_state['handle'].close)
    return _state['handle']


def current_description():
    """The description ``deployment`` attached to, or None."""
    return _state.get('description')
