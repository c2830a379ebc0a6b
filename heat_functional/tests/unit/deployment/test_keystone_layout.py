"""Unit tests of the embedded keystone's layout (no keystone runs).

The planned catalog, as a token shows it, is resolved with keystoneauth's
own ServiceCatalogV3 the way Heat and the clients do: each path's region
gives that path's orchestration endpoint and an identity endpoint on
every interface. Also: the plan's grants name what it creates, the
per-cell heat.conf options, clouds.yaml and keystone.conf.
"""

import configparser

import pytest
import yaml
from keystoneauth1.access import service_catalog
from keystoneauth1 import exceptions as ks_exceptions

from heat_functional.deployment.parts import keystone

PATHS = ['legacy', 'convergence']
KEYSTONE_URL = 'http://127.0.0.1:5000/v3'
HEAT_URLS = {'legacy': 'http://127.0.0.1:8001',
             'convergence': 'http://127.0.0.1:8002/'}
PROJECT_ID = 'a1b2c3'


@pytest.fixture
def passwords():
    return keystone.new_passwords()


def resolver(heat_urls=HEAT_URLS):
    services = keystone.catalog_services(PATHS, KEYSTONE_URL, heat_urls)
    return service_catalog.ServiceCatalogV3(
        keystone.token_catalog(services, PROJECT_ID))


@pytest.mark.parametrize('interface', keystone.INTERFACES)
def test_each_region_resolves_its_own_orchestration_endpoint(interface):
    catalog = resolver()
    found = {path: catalog.url_for(service_type='orchestration',
                                   interface=interface,
                                   region_name=keystone.region_name(path))
             for path in PATHS}
    assert found == {
        'legacy': 'http://127.0.0.1:8001/v1/a1b2c3',
        'convergence': 'http://127.0.0.1:8002/v1/a1b2c3',
    }


@pytest.mark.parametrize('path', PATHS)
@pytest.mark.parametrize('interface', keystone.INTERFACES)
def test_identity_is_in_every_region(path, interface):
    # keystonemiddleware looks identity up on 'internal', Heat's keystone
    # client in the cell's region.
    assert resolver().url_for(
        service_type='identity', interface=interface,
        region_name=keystone.region_name(path)) == KEYSTONE_URL


def test_regions_are_distinct_and_named_after_paths():
    regions = [keystone.region_name(p) for p in PATHS]
    assert regions == PATHS


def test_a_path_without_a_cell_url_has_no_endpoint_yet():
    catalog = resolver({'legacy': HEAT_URLS['legacy']})
    with pytest.raises(ks_exceptions.EndpointNotFound):
        catalog.url_for(service_type='orchestration', interface='public',
                        region_name='convergence')


def test_catalog_urls_carry_the_project_placeholder():
    services = keystone.catalog_services(PATHS, KEYSTONE_URL, HEAT_URLS)
    heat = [s for s in services if s['type'] == 'orchestration']
    assert len(heat) == 1
    urls = {e['url'] for e in heat[0]['endpoints']}
    assert urls == {'http://127.0.0.1:8001/v1/$(project_id)s',
                    'http://127.0.0.1:8002/v1/$(project_id)s'}
    assert len(heat[0]['endpoints']) == len(PATHS) * 3


def test_plan_grants_name_what_the_plan_creates(passwords):
    plan = keystone.plan(PATHS, KEYSTONE_URL, passwords, HEAT_URLS)
    users = {tuple(u['name']) for u in plan['users']}
    projects = {tuple(p) for p in plan['projects']}
    domains = set(plan['domains']) | {keystone.DEFAULT_DOMAIN}
    roles = set(plan['roles']) | {'admin', 'member', 'reader'}
    assert {d for _, d in users | projects} <= domains
    for grant in plan['grants']:
        assert tuple(grant['user']) in users
        assert grant['role'] in roles
        assert (tuple(grant['project']) in projects if 'project' in grant
                else grant['domain'] in plan['domains'])
    assert plan['regions'] == PATHS


def grants_of(plan, user):
    return [(g['role'], tuple(g.get('project', ())) or g['domain'])
            for g in plan['grants'] if g['user'][0] == user]


def test_plan_gives_heat_what_it_needs(passwords):
    plan = keystone.plan(PATHS, KEYSTONE_URL, passwords)
    assert 'heat_stack_user' in plan['roles']
    assert 'heat_stack_owner' in plan['roles']
    assert grants_of(plan, keystone.HEAT_USER) == [
        ('admin', (keystone.SERVICE_PROJECT, keystone.DEFAULT_DOMAIN))]
    assert grants_of(plan, keystone.STACK_DOMAIN_ADMIN) == [
        ('admin', keystone.STACK_USER_DOMAIN)]
    assert ([keystone.STACK_DOMAIN_ADMIN, keystone.STACK_USER_DOMAIN]
            in [u['name'] for u in plan['users']])
    test_project = (keystone.TEST_PROJECT, keystone.DEFAULT_DOMAIN)
    assert sorted(grants_of(plan, keystone.TEST_USER)) == [
        ('admin', test_project), ('heat_stack_owner', test_project),
        ('member', test_project)]
    assert {u['name'][0]: u['password'] for u in plan['users']} == {
        user: passwords[user] for user in (
            keystone.HEAT_USER, keystone.STACK_DOMAIN_ADMIN,
            keystone.TEST_USER)}


@pytest.mark.parametrize('path', PATHS)
def test_heat_options_per_cell(path, passwords):
    options = keystone.heat_options(path, KEYSTONE_URL, passwords)
    default = options['DEFAULT']
    assert default['region_name_for_services'] == path
    assert default['deferred_auth_method'] == 'trusts'
    assert default['stack_user_domain_name'] == keystone.STACK_USER_DOMAIN
    assert default['stack_domain_admin'] == keystone.STACK_DOMAIN_ADMIN
    assert (default['stack_domain_admin_password']
            == passwords[keystone.STACK_DOMAIN_ADMIN])
    assert options['paste_deploy'] == {'flavor': ''}
    authtoken = options['keystone_authtoken']
    assert authtoken['www_authenticate_uri'] == KEYSTONE_URL
    assert authtoken['auth_url'] == 'http://127.0.0.1:5000'
    assert authtoken['username'] == keystone.HEAT_USER
    assert authtoken['password'] == passwords[keystone.HEAT_USER]
    assert authtoken['project_name'] == keystone.SERVICE_PROJECT
    assert authtoken['region_name'] == path
    assert options['trustee']['username'] == keystone.HEAT_USER
    assert options['trustee']['auth_type'] == 'password'
    assert options['clients_keystone'] == {'auth_uri':
                                           'http://127.0.0.1:5000'}
    assert options['ec2authtoken'] == {'auth_uri': KEYSTONE_URL}


def test_heat_options_write_as_ini(passwords):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict(keystone.heat_options('legacy', KEYSTONE_URL,
                                           passwords))
    assert parser.get('trustee', 'user_domain_name') == 'Default'
    assert parser.get('paste_deploy', 'flavor') == ''


def test_authtoken_region_has_identity(passwords):
    for path in PATHS:
        region = keystone.heat_options(
            path, KEYSTONE_URL, passwords)['keystone_authtoken']['region_name']
        assert resolver().url_for(service_type='identity',
                                  interface='internal', region_name=region)


def test_clouds_one_per_path(passwords):
    clouds = keystone.clouds(PATHS, KEYSTONE_URL, passwords)['clouds']
    assert sorted(clouds) == ['heat-functional-convergence',
                              'heat-functional-legacy']
    for path in PATHS:
        cloud = clouds['heat-functional-%s' % path]
        assert cloud['region_name'] == path
        assert cloud['identity_api_version'] == 3
        assert cloud['auth_type'] == 'password'
        assert cloud['auth'] == {
            'auth_url': KEYSTONE_URL,
            'username': keystone.TEST_USER,
            'password': passwords[keystone.TEST_USER],
            'project_name': keystone.TEST_PROJECT,
            'user_domain_name': 'Default',
            'project_domain_name': 'Default',
        }


def test_clouds_yaml_round_trips(passwords):
    text = keystone.clouds_yaml(PATHS, KEYSTONE_URL, passwords)
    assert yaml.safe_load(text) == keystone.clouds(PATHS, KEYSTONE_URL,
                                                   passwords)


def test_new_passwords_are_random():
    first, second = keystone.new_passwords(), keystone.new_passwords()
    assert set(first) == set(second)
    assert not set(first.values()) & set(second.values())


def test_keystone_conf(tmp_path):
    text = keystone.keystone_conf(str(tmp_path), 'sqlite:///k.db',
                                  str(tmp_path / 'k.log'))
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    assert parser.get('token', 'provider') == 'fernet'
    assert parser.get('database', 'connection') == 'sqlite:///k.db'
    for section in ('fernet_tokens', 'fernet_receipts', 'credential'):
        assert parser.get(section, 'key_repository').startswith(
            str(tmp_path))
    assert parser.getboolean('cache', 'enabled')
