"""Unit tests of heat_functional.corpus.

Covers discovery (which files are templates, order, missing or empty
directories), lifecycle sidecars (valid values, broken ones carried as
the template's error), ``Template.load`` (errors naming the file,
provider and get_file files as str keyed by file:// URL, environments)
and ``base_url``.
"""

import os
from urllib import parse
from urllib import request

import pytest
import yaml

from heat_functional import corpus

TEMPLATE = 'heat_template_version: 2018-08-31\n'


def write(directory, name, text=TEMPLATE):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if isinstance(text, str) else yaml.safe_dump(text))
    return str(path)


def only_template(directory):
    templates = corpus.discover(str(directory))
    assert len(templates) == 1
    return templates[0]


def file_url(path):
    return parse.urljoin('file:', request.pathname2url(str(path)))


# -- discovery ---------------------------------------------------------------

def test_discovery_picks_top_level_templates_sorted(tmp_path):
    for name in ('zeta.yaml', 'alpha.template', 'mid.yml', 'beta.yaml',
                 'beta.lifecycle.yaml', 'prod.env.yaml', '.hidden.yaml',
                 'notes.txt', 'README', 'lib/provider.yaml',
                 'sub.yaml/inner.yaml'):
        write(tmp_path, name)
    write(tmp_path, 'beta.lifecycle.yaml', {'description': 'the beta'})
    templates = corpus.discover(str(tmp_path))
    assert [t.name for t in templates] == ['alpha', 'beta', 'mid', 'zeta']
    assert [os.path.basename(t.path) for t in templates] == [
        'alpha.template', 'beta.yaml', 'mid.yml', 'zeta.yaml']
    assert all(t.error is None for t in templates)
    assert templates[1].lifecycle == {'description': 'the beta'}


def test_discovery_of_a_missing_directory(tmp_path):
    missing = str(tmp_path / 'missing')
    with pytest.raises(corpus.CorpusError, match='does not exist') as err:
        corpus.discover(missing)
    assert missing in str(err.value)


def test_discovery_of_an_empty_directory(tmp_path):
    write(tmp_path, 'only.env.yaml')
    with pytest.raises(corpus.CorpusError, match='holds no template'):
        corpus.discover(str(tmp_path))


def test_template_name_path_and_directory(tmp_path):
    write(tmp_path, 'simple.yaml')
    template = only_template(tmp_path)
    assert (template.name, template.path, template.directory) == (
        'simple', str(tmp_path / 'simple.yaml'), str(tmp_path))
    assert repr(template) == '<Template simple>'


# -- sidecars ----------------------------------------------------------------

def test_template_without_sidecar_has_defaults(tmp_path):
    write(tmp_path, 'plain.yaml')
    template = only_template(tmp_path)
    assert template.lifecycle == {}
    assert template.parameters == {}
    assert template.random_outputs == []
    assert template.expected_status == 'CREATE_COMPLETE'
    assert template.expected_outputs is None


def test_sidecar_values_flow_into_the_template(tmp_path):
    write(tmp_path, 'rand.yaml')
    write(tmp_path, 'rand.lifecycle.yaml', {
        'description': 'a random string',
        'parameters': {'length': 8},
        'random_outputs': ['value'],
        'expect': {'status': 'CREATE_FAILED',
                   'outputs': {'length': 8}},
    })
    template = only_template(tmp_path)
    assert template.error is None
    assert template.parameters == {'length': 8}
    assert template.random_outputs == ['value']
    assert template.expected_status == 'CREATE_FAILED'
    assert template.expected_outputs == {'length': 8}


def test_sidecar_of_a_template_file(tmp_path):
    write(tmp_path, 'old.template')
    write(tmp_path, 'old.lifecycle.yaml', {'parameters': {'a': 'b'}})
    assert only_template(tmp_path).parameters == {'a': 'b'}


def test_expect_without_status_defaults_to_create_complete(tmp_path):
    write(tmp_path, 'x.yaml')
    write(tmp_path, 'x.lifecycle.yaml', {'expect': {'outputs': {'a': 1}}})
    template = only_template(tmp_path)
    assert template.expected_status == 'CREATE_COMPLETE'
    assert template.expected_outputs == {'a': 1}


@pytest.mark.parametrize('sidecar, message', [
    ({'parameter': {}}, "unknown key 'parameter'"),
    ({'random_outputs': 'value'}, "'random_outputs' must be a list, got str"),
    ({'expect': {'state': 'x'}}, "expect: unknown key 'state'"),
    ({'expect': {'status': 1}}, "expect: 'status' must be a str, got int"),
    ({'expect': []}, "'expect' must be a dict, got list"),
    ('- a list\n', 'expected a mapping, got list'),
    ('parameters: {unclosed\n', 'not valid YAML'),
])
def test_broken_sidecar_is_carried_as_error(tmp_path, sidecar, message):
    write(tmp_path, 'good.yaml')
    write(tmp_path, 'bad.yaml')
    sidecar_path = write(tmp_path, 'bad.lifecycle.yaml', sidecar)
    bad, good = corpus.discover(str(tmp_path))
    assert (bad.name, good.name) == ('bad', 'good')
    assert good.error is None
    assert bad.error.startswith(sidecar_path)
    assert message in bad.error
    with pytest.raises(corpus.CorpusError) as err:
        bad.load()
    assert str(err.value) == bad.error


# -- load --------------------------------------------------------------------

def test_load_of_a_plain_template(tmp_path):
    write(tmp_path, 'plain.yaml', TEMPLATE + 'outputs:\n  a:\n    value: 1\n')
    template, files, environment = only_template(tmp_path).load()
    assert template == {'heat_template_version': '2018-08-31',
                        'outputs': {'a': {'value': 1}}}
    assert files == {}
    assert environment == {}


def test_load_of_invalid_yaml_names_the_file(tmp_path):
    path = write(tmp_path, 'broken.yaml', TEMPLATE + 'resources: [oops\n')
    template = only_template(tmp_path)
    assert template.error is None
    with pytest.raises(corpus.CorpusError) as err:
        template.load()
    assert path in str(err.value)


def test_load_of_a_missing_environment_names_the_template(tmp_path):
    path = write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'environment': 'env/none.yaml'})
    with pytest.raises(corpus.CorpusError) as err:
        only_template(tmp_path).load()
    assert path in str(err.value)


def test_load_with_provider_and_get_file(tmp_path):
    write(tmp_path, 'lib/provider.yaml',
          TEMPLATE + 'resources:\n  v:\n    type: OS::Heat::None\n')
    write(tmp_path, 'lib/data.txt', 'some text\n')
    write(tmp_path, 'uses.yaml', {
        'heat_template_version': '2018-08-31',
        'resources': {
            'thing': {'type': 'lib/provider.yaml'},
            'data': {'type': 'OS::Heat::Value',
                     'properties': {'value': {'get_file': 'lib/data.txt'}}},
        },
    })
    template, files, _ = only_template(tmp_path).load()
    provider_url = file_url(tmp_path / 'lib' / 'provider.yaml')
    data_url = file_url(tmp_path / 'lib' / 'data.txt')
    assert sorted(files) == sorted([provider_url, data_url])
    assert all(isinstance(content, str) for content in files.values())
    assert files[data_url] == 'some text\n'
    assert yaml.safe_load(files[provider_url])['resources'] == {
        'v': {'type': 'OS::Heat::None'}}
    assert template['resources']['thing']['type'] == provider_url


def test_load_with_environment(tmp_path):
    write(tmp_path, 'env/values.yaml', {'parameter_defaults': {'n': 3}})
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'environment': 'env/values.yaml'})
    _, _, environment = only_template(tmp_path).load()
    assert environment['parameter_defaults'] == {'n': 3}


# -- base_url ----------------------------------------------------------------

def test_base_url_is_the_file_url_of_the_directory(tmp_path):
    write(tmp_path, 't.yaml')
    template = only_template(tmp_path)
    assert template.base_url == 'file://%s/' % tmp_path
    assert template.base_url.endswith('/')


def test_base_url_prefixes_provider_urls(tmp_path):
    write(tmp_path, 'lib/p.yaml')
    write(tmp_path, 't.yaml', TEMPLATE + 'resources:\n  p:\n'
          '    type: lib/p.yaml\n')
    template = only_template(tmp_path)
    _, files, _ = template.load()
    assert [url[len(template.base_url):] for url in files
            if url.startswith(template.base_url)] == ['lib/p.yaml']


def test_base_url_of_a_relative_corpus_directory(tmp_path, monkeypatch):
    write(tmp_path, 'corpus/t.yaml')
    monkeypatch.chdir(tmp_path)
    template = only_template('corpus')
    assert template.base_url == 'file://%s/corpus/' % tmp_path
