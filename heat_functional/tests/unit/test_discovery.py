"""Unit tests of heat_functional.discovery and heat_functional.references.

Covers the shipped corpus (the same case names as the top-level rule
gave, its helpers not cases), roots and helpers through the whole tree
(providers beside parents, nested folders, CFN providers, environments
and their registries, a provider used by two parents, ``root: true``),
what a root's steps apply (environments beside it, given to all, a
sidecar's winning), the directories refused before anything runs
(outside references, URLs, cycles, roots that are not templates,
folded names that collide), the skipped files and their reasons, the
suite settings file, and what ``load`` sends: what heatclient sends for
HOT, plus CFN providers and ``Fn::GetFile``.
"""

import json
import os

from heatclient.common import template_utils
import pytest
import yaml

from heat_functional import config
from heat_functional import corpus
from heat_functional.tests.unit.files import write
from heat_functional import discovery
from heat_functional import references

HOT = 'heat_template_version: 2018-08-31\n'
CFN = 'HeatTemplateFormatVersion: 2012-12-12\n'


def hot(**resources):
    """A HOT template whose resources have the types given."""
    return HOT + 'resources:\n' + ''.join(
        '  %s:\n    type: %s\n' % item for item in sorted(resources.items()))


def names(directory, **kwargs):
    return [t.name for t in discovery.discover(str(directory), **kwargs)]


def refused(directory, **kwargs):
    with pytest.raises(corpus.CorpusError) as err:
        discovery.survey(str(directory), **kwargs)
    return str(err.value)


# -- the shipped corpus ----------------------------------------------------

def top_level_names(directory):
    """The case names of the rule before discovery by references: every
    template file directly in the directory."""
    return sorted(corpus.stem(name) for name in os.listdir(directory)
                  if name.endswith(corpus.TEMPLATE_SUFFIXES) and
                  not name.endswith((corpus.LIFECYCLE_SUFFIX,
                                     corpus.ENV_SUFFIX)))


def test_the_shipped_corpus_keeps_its_case_names():
    assert names(config.SHIPPED_TEMPLATES, environments=[]) == \
        top_level_names(config.SHIPPED_TEMPLATES)


def test_the_shipped_helpers_are_helpers_or_skipped_not_cases():
    found = discovery.survey(config.SHIPPED_TEMPLATES)
    helpers = found.users()
    beneath = [relative for relative in found.kinds if '/' in relative]
    assert beneath
    for relative in beneath:
        assert relative in helpers or relative in found.skipped, relative
    assert 'files/res_deep_3.yaml' in helpers
    assert helpers['files/res_deep_3.yaml'] == ['files/res_deep_2.yaml']


# -- roots and helpers -----------------------------------------------------

def test_providers_beside_their_parent_are_helpers(tmp_path):
    write(tmp_path, 'parent.yaml', hot(a='provider.yaml', b='other.yaml'))
    write(tmp_path, 'provider.yaml', hot(v='OS::Heat::None'))
    write(tmp_path, 'other.yaml', hot(w='provider.yaml'))
    found = discovery.survey(str(tmp_path))
    assert [t.name for t in found.templates] == ['parent']
    assert found.users() == {'provider.yaml': ['other.yaml', 'parent.yaml'],
                             'other.yaml': ['parent.yaml']}
    assert found.to_dict()['cases'] == {'parent': {
        'file': 'parent.yaml', 'environments': [],
        'uses': ['other.yaml', 'provider.yaml']}}


def test_cases_are_named_by_their_path_in_the_tree(tmp_path):
    write(tmp_path, 'topic/one.yaml', hot(a='lib/p.yaml'))
    write(tmp_path, 'topic/lib/p.yaml', hot(b='../../shared/q.yaml'))
    write(tmp_path, 'shared/q.yaml')
    write(tmp_path, 'other/two.yml', hot(c='../shared/q.yaml'))
    found = discovery.survey(str(tmp_path))
    assert [(t.name, os.path.relpath(t.path, str(tmp_path)))
            for t in found.templates] == [
        ('other/two', 'other/two.yml'), ('topic/one', 'topic/one.yaml')]
    assert found.users()['shared/q.yaml'] == ['other/two.yml',
                                              'topic/lib/p.yaml']


def test_select_names_the_directory_of_nested_cases(tmp_path):
    write(tmp_path, 'topic/deeper/a.yaml')
    templates = discovery.discover(str(tmp_path))
    assert templates[0].corpus_directory == str(tmp_path)
    with pytest.raises(corpus.CorpusError,
                       match='no template named b in %s$' % tmp_path):
        corpus.select(templates, ('b',))


def test_a_provider_used_by_two_parents(tmp_path):
    write(tmp_path, 'a.yaml', hot(x='common.yaml'))
    write(tmp_path, 'b.yaml', hot(y='common.yaml'))
    write(tmp_path, 'common.yaml')
    found = discovery.survey(str(tmp_path))
    assert [t.name for t in found.templates] == ['a', 'b']
    assert found.users() == {'common.yaml': ['a.yaml', 'b.yaml']}


def test_cfn_providers_and_get_file_are_followed(tmp_path):
    write(tmp_path, 'cfn.template', CFN + yaml.safe_dump({'Resources': {
        'p': {'Type': 'cfn_provider.yaml'},
        'd': {'Type': 'AWS::CloudFormation::WaitConditionHandle',
              'Metadata': {'x': {'Fn::GetFile': 'data.txt'}}}}}))
    write(tmp_path, 'cfn_provider.yaml')
    write(tmp_path, 'data.txt', 'text\n')
    found = discovery.survey(str(tmp_path))
    assert [t.name for t in found.templates] == ['cfn']
    assert found.users() == {'cfn_provider.yaml': ['cfn.template'],
                             'data.txt': ['cfn.template']}


def test_a_used_template_named_a_root_runs_too(tmp_path):
    write(tmp_path, 'parent.yaml', hot(a='child.yaml'))
    write(tmp_path, 'child.yaml')
    write(tmp_path, 'child.lifecycle.yaml', {'root': True})
    found = discovery.survey(str(tmp_path))
    assert [t.name for t in found.templates] == ['child', 'parent']
    assert found.users() == {'child.yaml': ['parent.yaml']}


def test_a_sidecar_update_template_is_used_by_its_template(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't_v2.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'updates': [
        {'name': 'back', 'template': 't.yaml'},
        {'name': 'v2', 'template': 't_v2.yaml'}]})
    found = discovery.survey(str(tmp_path))
    assert [t.name for t in found.templates] == ['t']
    assert found.users() == {'t_v2.yaml': ['t.yaml']}


def test_a_nested_sidecar_may_name_files_of_other_folders(tmp_path):
    write(tmp_path, 'topic/t.yaml')
    write(tmp_path, 'shared/t_v2.yaml')
    write(tmp_path, 'shared/values.env.yaml', {'parameters': {}})
    write(tmp_path, 'topic/t.lifecycle.yaml', {
        'environment': '../shared/values.env.yaml',
        'updates': [{'name': 'v2', 'template': '../shared/t_v2.yaml'}]})
    found = discovery.survey(str(tmp_path))
    template, = found.templates
    assert os.path.normpath(template.step('v2').template_file) == str(
        tmp_path / 'shared' / 't_v2.yaml')
    assert [os.path.normpath(path) for path in
            template.steps[0].environments] == [
        str(tmp_path / 'shared' / 'values.env.yaml')]
    assert found.users() == {'shared/t_v2.yaml': ['topic/t.yaml'],
                             'shared/values.env.yaml': ['topic/t.yaml']}
    write(tmp_path, 'topic/t.lifecycle.yaml', {
        'environment': '../../elsewhere.env.yaml'})
    assert "environment '../../elsewhere.env.yaml' resolves to %s, " \
        "outside the template directory %s" % (
            tmp_path.parent / 'elsewhere.env.yaml', tmp_path) in \
        refused(tmp_path)


def test_what_is_skipped_and_why(tmp_path):
    write(tmp_path, 'run.yaml', hot(a='helper.yaml'))
    write(tmp_path, 'helper.yaml')
    write(tmp_path, 'helper.lifecycle.yaml', {'description': 'h'})
    write(tmp_path, 'run.lifecycle.yaml', {'description': 'r'})
    write(tmp_path, 'orphan.lifecycle.yaml', {'description': 'o'})
    write(tmp_path, 'prod.env.yaml', {'parameters': {}})
    write(tmp_path, 'notes.txt', 'x')
    skipped = discovery.survey(str(tmp_path)).skipped
    assert sorted(skipped) == ['helper.lifecycle.yaml', 'notes.txt',
                               'orphan.lifecycle.yaml', 'prod.env.yaml']
    assert 'root: true' in skipped['helper.lifecycle.yaml']
    assert skipped['orphan.lifecycle.yaml'] == 'a sidecar of no template'
    assert 'an environment no template uses' in skipped['prod.env.yaml']
    assert 'not a template' in skipped['notes.txt']


# -- environments ----------------------------------------------------------

def test_the_environment_beside_a_template_is_applied(tmp_path):
    write(tmp_path, 'web.yaml', hot(a='My::Thing'))
    write(tmp_path, 'web.env.yaml', {
        'parameter_defaults': {'n': 2},
        'resource_registry': {'My::Thing': 'lib/thing.yaml'}})
    write(tmp_path, 'lib/thing.yaml')
    found = discovery.survey(str(tmp_path))
    template, = found.templates
    create = template.steps[0]
    assert create.environments == [str(tmp_path / 'web.env.yaml')]
    assert found.users() == {'web.env.yaml': ['web.yaml'],
                             'lib/thing.yaml': ['web.env.yaml']}
    assert found.to_dict()['cases']['web']['environments'] == [
        'web.env.yaml']
    body, files, environment = template.load()
    url = references.file_url(str(tmp_path / 'lib' / 'thing.yaml'))
    assert environment['resource_registry'] == {'My::Thing': url}
    assert environment['parameter_defaults'] == {'n': 2}
    assert json.loads(files[url]) == {'heat_template_version': '2018-08-31'}


def test_an_env_file_beside_a_template(tmp_path):
    write(tmp_path, 'web.yaml')
    write(tmp_path, 'web.env', {'parameters': {'n': 1}})
    template, = discovery.discover(str(tmp_path))
    assert template.steps[0].environments == [str(tmp_path / 'web.env')]


def test_given_environments_come_first_and_the_sidecar_wins(tmp_path):
    everywhere = write(tmp_path, 'all.env.yaml',
                       {'parameter_defaults': {'n': 1, 'm': 1}})
    write(tmp_path, 'a.yaml')
    write(tmp_path, 'a.env.yaml', {'parameter_defaults': {'n': 2}})
    write(tmp_path, 'b.yaml')
    write(tmp_path, 'b.env.yaml', {'parameter_defaults': {'n': 2}})
    write(tmp_path, 'b.lifecycle.yaml', {'environment': 'own.env.yaml'})
    write(tmp_path, 'own.env.yaml', {'parameter_defaults': {'n': 3}})
    found = discovery.survey(str(tmp_path), [everywhere])
    a, b = found.templates
    assert a.steps[0].environments == [everywhere,
                                       str(tmp_path / 'a.env.yaml')]
    assert a.load()[2]['parameter_defaults'] == {'n': 2, 'm': 1}
    assert b.steps[0].environments == [everywhere,
                                       str(tmp_path / 'own.env.yaml')]
    assert b.load()[2]['parameter_defaults'] == {'n': 3, 'm': 1}
    assert found.users()['all.env.yaml'] == [discovery.GLOBAL_USER]
    assert 'b.env.yaml' in found.skipped


def test_environments_given_by_configuration(tmp_path, monkeypatch):
    everywhere = write(tmp_path, 'elsewhere/e.env.yaml', {'parameters': {}})
    write(tmp_path, 'corpus/t.yaml')
    monkeypatch.setenv(config.ENVIRONMENTS_ENV, json.dumps([everywhere]))
    template, = discovery.discover(str(tmp_path / 'corpus'))
    assert template.steps[0].environments == [everywhere]


# -- directories refused ---------------------------------------------------

def test_a_reference_outside_the_directory_is_refused(tmp_path):
    write(tmp_path, 'outside.yaml')
    write(tmp_path, 'corpus/t.yaml', hot(a='../outside.yaml'))
    message = refused(tmp_path / 'corpus')
    assert "cannot be run: t.yaml uses '../outside.yaml' (type), which " \
        "resolves to %s, outside the directory" % (
            tmp_path / 'outside.yaml') in message


def test_a_symbolic_link_out_of_the_directory_is_refused(tmp_path):
    write(tmp_path, 'secret.txt', 'x')
    write(tmp_path, 'corpus/t.yaml', HOT + 'outputs:\n  o:\n    value: '
          '{get_file: link.txt}\n')
    os.symlink(str(tmp_path / 'secret.txt'), str(tmp_path / 'corpus' /
                                                 'link.txt'))
    assert 'outside the directory' in refused(tmp_path / 'corpus')


def test_a_registry_entry_outside_the_directory_is_refused(tmp_path):
    write(tmp_path, 'corpus/t.yaml')
    write(tmp_path, 'corpus/t.env.yaml', {
        'resource_registry': {'My::X': '/etc/x.yaml'}})
    assert "t.env.yaml uses '/etc/x.yaml' (resource_registry)" in \
        refused(tmp_path / 'corpus')


def test_a_url_is_refused(tmp_path):
    write(tmp_path, 't.yaml', hot(a='http://example.com/p.yaml'))
    assert 'a URL: only files inside the directory are sent' in \
        refused(tmp_path)


def test_a_cycle_of_references_is_refused(tmp_path):
    write(tmp_path, 'root.yaml', hot(a='a.yaml'))
    write(tmp_path, 'a.yaml', hot(b='b.yaml'))
    write(tmp_path, 'b.yaml', hot(a='a.yaml'))
    assert 'a cycle of references: a.yaml -> b.yaml -> a.yaml' in \
        refused(tmp_path)


def test_a_root_that_is_not_a_template_is_refused(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 'config.yaml', {'jobs': ['x']})
    assert 'config.yaml is used by no file and is not a template' in \
        refused(tmp_path)


def test_a_missing_file_fails_only_the_template_using_it(tmp_path):
    write(tmp_path, 'fine.yaml')
    write(tmp_path, 'broken.yaml', hot(a='lib/missing.yaml'))
    fine, broken = sorted(discovery.discover(str(tmp_path)),
                          key=lambda t: t.name != 'fine')
    assert fine.load()[1] == {}
    with pytest.raises(corpus.CorpusError) as err:
        broken.load()
    assert str(tmp_path / 'broken.yaml') in str(err.value)
    assert str(tmp_path / 'lib' / 'missing.yaml') in str(err.value)


def test_a_used_non_template_yaml_is_a_helper(tmp_path):
    write(tmp_path, 't.yaml', HOT + 'outputs:\n  o:\n    value: '
          '{get_file: data.yaml}\n')
    write(tmp_path, 'data.yaml', {'jobs': ['x']})
    assert names(tmp_path) == ['t']


def test_names_that_collide_once_folded_are_refused(tmp_path):
    write(tmp_path, 'a/b.yaml')
    write(tmp_path, 'a_b.yaml')
    assert "'a/b.yaml' and 'a_b.yaml' collide as case 'a_b'" in \
        refused(tmp_path)


def test_a_folder_name_unsafe_as_a_case_name_is_refused(tmp_path):
    write(tmp_path, 'my-topic/t.yaml')
    assert "'my-topic/t.yaml': a case name" in refused(tmp_path)


# -- suite settings --------------------------------------------------------

def test_suite_settings_name_cases(tmp_path):
    write(tmp_path, 'a.yaml')
    write(tmp_path, 'b/c.yaml')
    write(tmp_path, config.SUITE_SETTINGS_FILE, {'actions': ['b/c'],
                                                 'probe': []})
    found = discovery.survey(str(tmp_path))
    assert found.suites == {'actions': ['b/c'], 'probe': []}
    assert [t.name for t in found.templates] == ['a', 'b/c']
    assert config.SUITE_SETTINGS_FILE not in found.skipped


@pytest.mark.parametrize('settings, message', [
    ({'actions': ['nope']}, 'actions: no case named nope'),
    ({'actionz': ['a']}, 'expected a mapping of actions, failures, probe'),
    ({'probe': 'a'}, 'probe must be a list of case names'),
])
def test_bad_suite_settings_are_refused(tmp_path, settings, message):
    write(tmp_path, 'a.yaml')
    write(tmp_path, config.SUITE_SETTINGS_FILE, settings)
    assert message in refused(tmp_path)


# -- what is sent ----------------------------------------------------------

def test_hot_is_sent_as_heatclient_sends_it(tmp_path):
    write(tmp_path, 'topic/parent.yaml', HOT + yaml.safe_dump({'resources': {
        'a': {'type': 'lib/p.yaml'},
        'g': {'type': 'OS::Heat::ResourceGroup', 'properties': {
            'resource_def': {'type': 'lib/p.yaml'}}},
        'v': {'type': 'OS::Heat::Value', 'properties': {
            'value': {'get_file': '../data/d.txt'}}}}}))
    write(tmp_path, 'topic/lib/p.yaml', HOT + 'outputs:\n  o:\n    value: '
          '{get_file: ../../data/e.json}\n')
    write(tmp_path, 'data/d.txt', 'd\n')
    write(tmp_path, 'data/e.json', '{"e": 1}')
    path = str(tmp_path / 'topic' / 'parent.yaml')
    files, body = template_utils.get_template_contents(template_file=path)
    assert references.load_template(path) == (body, files)
    assert len(files) == 3


def test_cfn_providers_are_sent_unlike_heatclient(tmp_path):
    path = write(tmp_path, 'parent.template', CFN + yaml.safe_dump({
        'Resources': {'p': {'Type': 'provider.yaml'}}}))
    write(tmp_path, 'provider.yaml', HOT + 'outputs:\n  o:\n    value: '
          '{get_file: data.txt}\n')
    write(tmp_path, 'data.txt', 'd\n')
    assert template_utils.get_template_contents(template_file=path)[0] == {}
    body, files = references.load_template(path)
    provider = references.file_url(str(tmp_path / 'provider.yaml'))
    data = references.file_url(str(tmp_path / 'data.txt'))
    assert body['Resources']['p']['Type'] == provider
    assert sorted(files) == sorted([provider, data])
    assert json.loads(files[provider])['outputs']['o']['value'] == {
        'get_file': data}


# -- corpus.json -----------------------------------------------------------

def test_corpus_json_is_written_and_read_back(tmp_path):
    write(tmp_path, 'corpus/a.yaml', hot(p='p.yaml'))
    write(tmp_path, 'corpus/p.yaml')
    reports = tmp_path / 'reports'
    reports.mkdir()
    assert discovery.read(str(reports)) is None
    found = discovery.survey(str(tmp_path / 'corpus'))
    path = discovery.write(str(reports), found)
    assert os.path.basename(path) == config.CORPUS_JSON
    assert discovery.read(str(reports)) == json.loads(json.dumps(
        found.to_dict()))
    assert discovery.read(str(reports))['helpers'] == {'p.yaml': ['a.yaml']}
    discovery.remove(str(reports))
    discovery.remove(str(reports))
    assert discovery.read(str(reports)) is None


# -- one survey per process ------------------------------------------------

def test_an_unchanged_directory_is_surveyed_once(tmp_path):
    write(tmp_path, 'one.yaml', hot(a='OS::Heat::None'))
    first = discovery.cached_survey(str(tmp_path))
    assert discovery.cached_survey(str(tmp_path)) is first
    assert [t.name for t in first.templates] == ['one']


@pytest.mark.parametrize('change', ['add', 'edit', 'environment'])
def test_a_changed_file_is_surveyed_again(tmp_path, change):
    write(tmp_path, 'one.yaml', hot(a='OS::Heat::None'))
    environment = write(tmp_path.parent, 'all.env.yaml',
                        'parameter_defaults: {}\n')
    first = discovery.cached_survey(str(tmp_path), [environment])
    if change == 'add':
        write(tmp_path, 'two.yaml', hot(b='OS::Heat::None'))
    elif change == 'edit':
        write(tmp_path, 'one.yaml', hot(a='OS::Heat::None',
                                        b='OS::Heat::None'))
    else:
        write(tmp_path.parent, 'all.env.yaml',
              'parameter_defaults: {x: 1}\n')
    again = discovery.cached_survey(str(tmp_path), [environment])
    assert again is not first
    assert again.to_dict() == discovery.survey(
        str(tmp_path), [environment]).to_dict()
