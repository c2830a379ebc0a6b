"""The embedded keystone's clouds, read without openstacksdk.

embedded.own_cloud reads the clouds.yaml that keystone.clouds_yaml
wrote: each cell's cloud gives the same password auth, region and
interface that openstacksdk would, one session per process and cloud,
a new one when the file changes, and a clear error for a cloud that is
not there.
"""

import os

import pytest
from keystoneauth1.identity import generic

from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import embedded
from heat_functional.deployment.parts import keystone

KEYSTONE_URL = 'http://127.0.0.1:5000/v3'


def clouds_file(tmp_path, paths=('legacy', 'convergence')):
    passwords = {keystone.TEST_USER: 'secret'}
    path = tmp_path / 'clouds.yaml'
    path.write_text(keystone.clouds_yaml(paths, KEYSTONE_URL, passwords))
    return str(path)


def test_each_cell_gets_its_clouds_auth_region_and_interface(tmp_path):
    path = clouds_file(tmp_path)
    for cell in ('legacy', 'convergence'):
        cloud = embedded.own_cloud(path, keystone.CLOUD_PREFIX + cell)
        auth = cloud['session'].auth
        assert isinstance(auth, generic.Password)
        assert (auth.auth_url, auth._username, auth._password,
                auth._project_name) == (KEYSTONE_URL, keystone.TEST_USER,
                                        'secret', keystone.TEST_PROJECT)
        assert cloud['region_name'] == keystone.region_name(cell)
        assert cloud['interface'] == 'public'
        assert cloud['session'].app_name == config.USER_AGENT


def test_one_session_per_cloud_until_the_file_changes(tmp_path):
    path = clouds_file(tmp_path)
    name = keystone.CLOUD_PREFIX + 'legacy'
    first = embedded.own_cloud(path, name)
    assert embedded.own_cloud(path, name) is first
    assert embedded.own_cloud(path, keystone.CLOUD_PREFIX +
                              'convergence') is not first
    stamp = os.stat(path).st_mtime_ns
    os.utime(path, ns=(stamp + 10 ** 9, stamp + 10 ** 9))
    assert embedded.own_cloud(path, name) is not first


@pytest.mark.parametrize('cloud', ['heat-functional-nowhere', None])
def test_a_cloud_not_in_the_file_is_a_clear_error(tmp_path, cloud):
    path = clouds_file(tmp_path) if cloud else str(tmp_path / 'missing')
    with pytest.raises(base.DeploymentError) as raised:
        embedded.own_cloud(path, cloud or 'heat-functional-legacy')
    assert ('nowhere' if cloud else 'missing') in str(raised.value)
