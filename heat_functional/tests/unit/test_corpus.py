"""Unit tests of heat_functional.corpus.

Covers discovery (which files are templates, order, missing or empty
directories), lifecycle sidecars (valid values, broken ones carried as
the template's error), the names a corpus refuses (two files of one
case name, names folded in record files), sidecar paths that leave the
directory (refused, symbolic links followed), ``Template.load`` (errors
naming the file,
provider and get_file files as str keyed by file:// URL, environments)
and ``base_url``; the steps of a lifecycle (create, declared updates or
``update-self``, delete: files, parameters, environments, expectations)
and the validation of ``updates``.
"""

import os
from urllib import parse
from urllib import request

import pytest
import yaml

from heat_functional import corpus
from heat_functional import discovery
from heat_functional.tests.unit.files import write

TEMPLATE = 'heat_template_version: 2018-08-31\n'


def only_template(directory):
    templates = discovery.discover(str(directory))
    assert len(templates) == 1
    return templates[0]


def file_url(path):
    return parse.urljoin('file:', request.pathname2url(str(path)))


# -- discovery ---------------------------------------------------------------

def test_discovery_picks_unused_templates_of_the_tree_sorted(tmp_path):
    for name in ('zeta.yaml', 'alpha.template', 'mid.yml', 'beta.yaml',
                 'beta.lifecycle.yaml', 'prod.env.yaml', '.hidden.yaml',
                 'notes.txt', 'README', 'lib/provider.yaml',
                 'sub/inner.yaml', '.git/x.yaml'):
        write(tmp_path, name)
    write(tmp_path, 'beta.yaml', TEMPLATE + 'resources:\n  p:\n'
          '    type: lib/provider.yaml\n')
    write(tmp_path, 'beta.lifecycle.yaml', {'description': 'the beta'})
    templates = discovery.discover(str(tmp_path))
    assert [t.name for t in templates] == ['alpha', 'beta', 'mid',
                                           'sub/inner', 'zeta']
    assert [os.path.relpath(t.path, str(tmp_path)) for t in templates] == [
        'alpha.template', 'beta.yaml', 'mid.yml', 'sub/inner.yaml',
        'zeta.yaml']
    assert all(t.error is None for t in templates)
    assert templates[1].lifecycle == {'description': 'the beta'}


def test_select_keeps_the_corpus_order_and_names_unknown_names(tmp_path):
    for name in ('a.yaml', 'b.yaml', 'c.yaml'):
        write(tmp_path, name)
    templates = discovery.discover(str(tmp_path))
    assert corpus.select(templates, None) == templates
    assert [t.name for t in corpus.select(templates, ('c', 'a'))] == \
        ['a', 'c']
    with pytest.raises(corpus.CorpusError,
                       match='no template named x, y in %s' % tmp_path):
        corpus.select(templates, ('a', 'x', 'y'))


def test_discovery_of_a_missing_directory(tmp_path):
    missing = str(tmp_path / 'missing')
    with pytest.raises(corpus.CorpusError, match='does not exist') as err:
        discovery.discover(missing)
    assert missing in str(err.value)


def test_discovery_of_an_empty_directory(tmp_path):
    write(tmp_path, 'only.env.yaml')
    with pytest.raises(corpus.CorpusError, match='holds no template'):
        discovery.discover(str(tmp_path))


@pytest.mark.parametrize('first, second, case', [
    ('x.yaml', 'x.yml', 'x'),
    ('x.template', 'x.yaml', 'x'),
    ('a b.yaml', 'a_b.yaml', 'a_b'),
    ('a-b.yaml', 'a_b.yaml', 'a_b'),
    ('A.yaml', 'a.yaml', 'a'),
])
def test_files_of_one_case_name_are_refused_naming_both(
        tmp_path, first, second, case):
    for name in (first, second, 'unrelated.yaml'):
        write(tmp_path, name)
    with pytest.raises(corpus.CorpusError) as err:
        discovery.discover(str(tmp_path))
    assert ("template directory %s: '%s' and '%s' collide as case '%s': "
            "rename one of each" % (tmp_path, first, second, case)
            ) in str(err.value)
    assert 'unrelated' not in str(err.value)


def test_every_collision_is_named(tmp_path):
    for name in ('x.yaml', 'x.yml', 'y.yaml', 'y.template', 'z.yaml'):
        write(tmp_path, name)
    with pytest.raises(corpus.CorpusError) as err:
        discovery.discover(str(tmp_path))
    assert "'x.yaml' and 'x.yml' collide as case 'x'; " \
        "'y.template' and 'y.yaml' collide as case 'y'" in str(err.value)


@pytest.mark.parametrize('filename', [
    'a b.yaml', 'v1.2.yaml', 'with-dash.yml', 'caf\u00e9.template'])
def test_names_not_safe_as_case_names_are_refused(tmp_path, filename):
    write(tmp_path, 'fine_Name_2.yaml')
    write(tmp_path, filename)
    with pytest.raises(corpus.CorpusError) as err:
        discovery.discover(str(tmp_path))
    assert ("template directory %s: %r: a case name (the file's path "
            "without its extension) must be letters, digits and \"_\" only"
            % (tmp_path, filename)) in str(err.value)
    assert 'fine_Name_2' not in str(err.value)


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


def test_requires(tmp_path):
    write(tmp_path, 'k.yaml')
    write(tmp_path, 'k.lifecycle.yaml', {'requires': ['keystone']})
    assert only_template(tmp_path).requires == ['keystone']


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
    ({'requires': ['nova']}, 'requires nova; a template may require keystone'),
    ('- a list\n', 'expected a mapping, got list'),
    ('parameters: {unclosed\n', 'not valid YAML'),
])
def test_broken_sidecar_is_carried_as_error(tmp_path, sidecar, message):
    write(tmp_path, 'good.yaml')
    write(tmp_path, 'bad.yaml')
    sidecar_path = write(tmp_path, 'bad.lifecycle.yaml', sidecar)
    bad, good = discovery.discover(str(tmp_path))
    assert (bad.name, good.name) == ('bad', 'good')
    assert good.error is None
    assert bad.error.startswith(sidecar_path)
    assert message in bad.error
    with pytest.raises(corpus.CorpusError) as err:
        bad.load()
    assert str(err.value) == bad.error


# -- sidecar paths -----------------------------------------------------------

def update(**fields):
    return {'updates': [{'name': 'first'}, dict({'name': 'grow'}, **fields)]}


@pytest.mark.parametrize('sidecar, where, path', [
    ({'environment': '../e.env.yaml'}, 'environment', '../e.env.yaml'),
    ({'environment': '/etc/passwd'}, 'environment', '/etc/passwd'),
    (update(template='../../etc/passwd'), 'update 2 (grow): template',
     '../../etc/passwd'),
    (update(environment='files/../../e.env.yaml'),
     'update 2 (grow): environment', 'files/../../e.env.yaml'),
])
def test_a_sidecar_path_leaving_the_directory_is_refused(tmp_path, sidecar,
                                                         where, path):
    corpus_dir = tmp_path / 'corpus'
    write(corpus_dir, 'good.yaml')
    write(corpus_dir, 't.yaml')
    write(tmp_path, 'e.env.yaml', 'parameters: {}\n')
    sidecar_path = write(corpus_dir, 't.lifecycle.yaml', sidecar)
    with pytest.raises(corpus.CorpusError) as err:
        discovery.discover(str(corpus_dir))
    assert str(err.value).startswith(
        'template t: %s: %s %r resolves to ' % (sidecar_path, where, path))
    assert 'outside the template directory %s' % corpus_dir in str(err.value)


def test_a_symbolic_link_out_of_the_directory_is_refused(tmp_path):
    corpus_dir = tmp_path / 'corpus'
    write(corpus_dir, 't.yaml')
    outside = write(tmp_path, 'secret.yaml')
    (corpus_dir / 'files').mkdir()
    (corpus_dir / 'files' / 'v2.yaml').symlink_to(outside)
    write(corpus_dir, 't.lifecycle.yaml', update(template='files/v2.yaml'))
    with pytest.raises(corpus.CorpusError,
                       match="update 2 \\(grow\\): template 'files/v2.yaml' "
                       "resolves to %s, outside" % outside):
        discovery.discover(str(corpus_dir))


def test_sidecar_paths_inside_the_directory_are_kept(tmp_path):
    corpus_dir = tmp_path / 'corpus'
    write(corpus_dir, 't.yaml')
    write(corpus_dir, 'files/v2.yaml')
    write(corpus_dir, 'files/t.env.yaml', 'parameters: {}\n')
    (corpus_dir / 'files' / 'link.yaml').symlink_to(corpus_dir / 't.yaml')
    write(corpus_dir, 't.lifecycle.yaml', {
        'environment': 'files/t.env.yaml',
        'updates': [{'name': 'a', 'template': 'files/../files/v2.yaml'},
                    {'name': 'b', 'template': 'files/link.yaml'},
                    {'name': 'c', 'environment': str(corpus_dir / 'files' /
                                                     't.env.yaml')}]})
    template = only_template(corpus_dir)
    assert template.error is None
    assert [s.template_file for s in template.steps[1:3]] == [
        str(corpus_dir / 'files/../files/v2.yaml'),
        str(corpus_dir / 'files/link.yaml')]


def test_a_broken_sidecar_is_carried_before_its_paths_are_read(tmp_path):
    # Its paths cannot be trusted to be strings: the validation error is
    # the template's, as for any broken sidecar.
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'environment': ['../x']})
    assert "'environment' must be a str" in only_template(tmp_path).error


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
    template = only_template(tmp_path)   # its cases fail, naming it
    assert path in template.error and 'not valid YAML' in template.error
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


# -- steps -------------------------------------------------------------------

def step_summary(step):
    return (step.name, step.kind, step.template_file, step.parameters,
            step.environment, step.rollback, step.expected_status,
            step.expected_outputs, step.expected_replaced)


def test_steps_without_sidecar(tmp_path):
    path = write(tmp_path, 'plain.yaml')
    steps = only_template(tmp_path).steps
    assert [step_summary(s) for s in steps] == [
        ('create', 'create', path, {}, None, False, 'CREATE_COMPLETE',
         None, None),
        ('update-self', 'update', path, {}, None, False, 'UPDATE_COMPLETE',
         None, None),
        ('delete', 'delete', path, {}, None, False, 'DELETE_COMPLETE',
         None, None)]
    assert steps[1].description == ('an update to the same template and '
                                    'parameters')
    assert [repr(s) for s in steps] == [
        '<Step create>', '<Step update-self>', '<Step delete>']


def test_sidecar_without_updates_gets_update_self(tmp_path):
    path = write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {
        'description': 'with parameters', 'parameters': {'n': 2},
        'environment': 'env/e.yaml', 'rollback': True,
        'expect': {'status': 'CREATE_COMPLETE', 'outputs': {'a': 1}}})
    create, update, delete = only_template(tmp_path).steps
    environment = str(tmp_path / 'env' / 'e.yaml')
    assert step_summary(create) == (
        'create', 'create', path, {'n': 2}, environment, True,
        'CREATE_COMPLETE', {'a': 1}, None)
    assert create.description == 'with parameters'
    # The same template and parameters; the create's expectations are its
    # own.
    assert step_summary(update) == (
        'update-self', 'update', path, {'n': 2}, environment, False,
        'UPDATE_COMPLETE', None, None)
    assert step_summary(delete) == (
        'delete', 'delete', path, {}, None, False, 'DELETE_COMPLETE', None,
        None)


@pytest.mark.parametrize('expect', [
    {'status': 'CREATE_FAILED'}, {'status': 'ROLLBACK_COMPLETE'},
    {'rejected': 400, 'error': 'StackValidationFailed'}])
def test_a_create_declared_to_fail_gets_no_update_self(tmp_path, expect):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'expect': expect})
    assert [s.name for s in only_template(tmp_path).steps] == [
        'create', 'delete']


def test_a_create_declared_to_fail_keeps_its_declared_updates(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {
        'expect': {'status': 'CREATE_FAILED'},
        'updates': [{'name': 'fix', 'parameters': {'fail': False}}]})
    assert [s.name for s in only_template(tmp_path).steps] == [
        'create', 'fix', 'delete']


def test_declared_and_undeclared_steps(tmp_path):
    """Only a step with an expect is declared; the others are held to
    parity only unless --strict (lifecycle.py)."""
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {
        'expect': {'outputs': {'a': 1}},
        'updates': [{'name': 'a'}, {'name': 'b', 'expect': {}}]})
    steps = only_template(tmp_path).steps
    assert [(s.name, s.declared) for s in steps] == [
        ('create', True), ('a', False), ('b', True), ('delete', False)]
    write(tmp_path, 'plain.yaml')
    plain = corpus.Template(str(tmp_path / 'plain.yaml'))
    assert [s.declared for s in plain.steps] == [False, False, False]


def test_a_rejected_step(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'updates': [
        {'name': 'bad', 'expect': {'rejected': 400}},
        {'name': 'then', 'expect': {'status': 'UPDATE_COMPLETE'}}]})
    create, bad, then, delete = only_template(tmp_path).steps
    assert bad.expected_rejection == {'status': 400, 'error': None}
    assert bad.expected_status is None
    assert create.expected_rejection is None
    assert then.expected_rejection is None
    assert then.expected_status == 'UPDATE_COMPLETE'


def test_empty_updates_has_no_update(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'updates': []})
    assert [(s.name, s.kind) for s in only_template(tmp_path).steps] == [
        ('create', 'create'), ('delete', 'delete')]


GROUP_LIFECYCLE = {
    'parameters': {'count': 2},
    'environment': 'files/group.env.yaml',
    'updates': [
        {'name': 'grow', 'description': 'one member more',
         'parameters': {'count': 3},
         'expect': {'outputs': {'size': 3}, 'replaced': ['group/0']}},
        {'name': 'v2', 'template': 'files/group_v2.yaml',
         'environment': 'files/other.env.yaml', 'rollback': True,
         'expect': {'status': 'ROLLBACK_COMPLETE'}},
        {'name': 'same_again', 'parameters': {}},
    ],
}


def test_declared_updates_in_order(tmp_path):
    path = write(tmp_path, 'group.yaml')
    write(tmp_path, 'group.lifecycle.yaml', GROUP_LIFECYCLE)
    template = only_template(tmp_path)
    files = str(tmp_path / 'files')
    environment = os.path.join(files, 'group.env.yaml')
    assert [step_summary(s) for s in template.steps] == [
        ('create', 'create', path, {'count': 2}, environment, False,
         'CREATE_COMPLETE', None, None),
        ('grow', 'update', path, {'count': 3}, environment, False,
         'UPDATE_COMPLETE', {'size': 3}, ['group/0']),
        # Without parameters, the create's; its own template and
        # environment, relative to the template's directory.
        ('v2', 'update', os.path.join(files, 'group_v2.yaml'), {'count': 2},
         os.path.join(files, 'other.env.yaml'), True, 'ROLLBACK_COMPLETE',
         None, None),
        # An empty parameter set is a parameter set (a PUT update).
        ('same_again', 'update', path, {}, environment, False,
         'UPDATE_COMPLETE', None, None),
        ('delete', 'delete', path, {}, None, False, 'DELETE_COMPLETE', None,
         None)]
    assert template.step('grow').description == 'one member more'
    assert template.step('v2').description is None


def test_step_by_name(tmp_path):
    write(tmp_path, 'group.yaml')
    write(tmp_path, 'group.lifecycle.yaml', GROUP_LIFECYCLE)
    template = only_template(tmp_path)
    assert [template.step(n).name for n in ('create', 'v2', 'delete')] == [
        'create', 'v2', 'delete']
    with pytest.raises(KeyError):
        template.step('update-self')


def test_step_files_are_absolute_for_a_relative_corpus(tmp_path,
                                                       monkeypatch):
    write(tmp_path, 'corpus/group.yaml')
    write(tmp_path, 'corpus/group.lifecycle.yaml', GROUP_LIFECYCLE)
    monkeypatch.chdir(tmp_path)
    steps = only_template('corpus').steps
    corpus_dir = str(tmp_path / 'corpus')
    assert [s.template_file for s in steps] == [
        os.path.join(corpus_dir, name) for name in (
            'group.yaml', 'group.yaml', 'files/group_v2.yaml', 'group.yaml',
            'group.yaml')]
    assert steps[2].environment == os.path.join(corpus_dir,
                                                'files/other.env.yaml')


def test_step_parameters_are_a_copy(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'parameters': {'n': 1}})
    template = only_template(tmp_path)
    template.steps[1].parameters['n'] = 99
    assert template.lifecycle['parameters'] == {'n': 1}
    assert [s.parameters for s in template.steps] == [{'n': 1}, {'n': 1},
                                                      {}]


def test_load_of_an_update_to_another_template(tmp_path):
    write(tmp_path, 't.yaml', TEMPLATE + 'description: one\n')
    write(tmp_path, 'files/t2.yaml', TEMPLATE + 'description: two\n')
    write(tmp_path, 'files/two.env.yaml', {'parameter_defaults': {'x': 2}})
    write(tmp_path, 't.lifecycle.yaml', {'updates': [
        {'name': 'two', 'template': 'files/t2.yaml',
         'environment': 'files/two.env.yaml'}]})
    template = only_template(tmp_path)
    body, files, environment = template.step('two').load()
    assert body['description'] == 'two'
    assert files == {}
    assert environment == {'parameter_defaults': {'x': 2}}
    assert template.load()[0]['description'] == 'one'


def test_step_load_of_a_missing_template_names_it(tmp_path):
    write(tmp_path, 't.yaml')
    write(tmp_path, 't.lifecycle.yaml', {'updates': [
        {'name': 'gone', 'template': 'files/none.yaml'}]})
    with pytest.raises(corpus.CorpusError) as err:
        only_template(tmp_path).step('gone').load()
    assert str(tmp_path / 'files' / 'none.yaml') in str(err.value)


# -- validation of updates ---------------------------------------------------

NAME_RULE = ('must be lower-case letters, digits, "-" or "_", and not '
             'create or delete')
UPDATE_KEYS = ('(known: agents, description, environment, expect, name, '
               'parameters, rollback, signal, template)')
EXPECT_KEYS = ('(known: error, outputs, rejected, replaced, signal, '
               'status)')


@pytest.mark.parametrize('declaration, message', [
    ({'expect': {'rejected': '400'}},
     "x: expect: 'rejected' must be a int, got str"),
    ({'expect': {'rejected': 200}},
     'x: expect: rejected must be an HTTP error status (400 to 599), got '
     '200'),
    ({'expect': {'rejected': True}},
     'x: expect: rejected must be an HTTP error status (400 to 599), got '
     'True'),
    ({'expect': {'error': 'Invalid'}},
     'x: expect: error is the message of a rejection: it needs rejected '
     '(an HTTP status)'),
    ({'expect': {'rejected': 400, 'status': 'CREATE_FAILED'}},
     'x: expect: a rejected request leaves no outcome to check (drop '
     'status)'),
    ({'expect': {'rejected': 400}, 'updates': [{'name': 'a'}]},
     'x: a rejected create leaves no stack to update (drop updates)'),
    ({'updates': [{'name': 'a', 'expect': {'rejected': 409,
                                           'outputs': {}}}]},
     'x: update 1: expect: a rejected request leaves no outcome to check '
     '(drop outputs)'),
    ({'updates': [{'name': 'a', 'signal': {'resource': 'r'},
                   'expect': {'rejected': 400}}]},
     'x: update 1: a signal step cannot be rejected (drop rejected)'),
    ({'updates': {'name': 'a'}}, "x: 'updates' must be a list, got dict"),
    ({'updates': None}, "x: 'updates' must be a list, got NoneType"),
    ({'updates': ['grow']}, 'x: update 1: expected a mapping, got str'),
    ({'updates': [{'name': 'a', 'paramters': {}}]},
     "x: update 1: unknown key 'paramters' " + UPDATE_KEYS),
    ({'updates': [{'random_outputs': []}]},
     "x: update 1: unknown key 'random_outputs' " + UPDATE_KEYS),
    ({'updates': [{'description': 'no name'}]},
     'x: update 1: every update needs a name'),
    ({'updates': [{'name': ''}]}, 'x: update 1: every update needs a name'),
    ({'updates': [{'name': 'a'}, {}]},
     'x: update 2: every update needs a name'),
    ({'updates': [{'name': 'create'}]},
     "x: update 1: name 'create' " + NAME_RULE),
    ({'updates': [{'name': 'delete'}]},
     "x: update 1: name 'delete' " + NAME_RULE),
    ({'updates': [{'name': 'Grow'}]}, "x: update 1: name 'Grow' " + NAME_RULE),
    ({'updates': [{'name': 'grow up'}]},
     "x: update 1: name 'grow up' " + NAME_RULE),
    ({'updates': [{'name': '-grow'}]},
     "x: update 1: name '-grow' " + NAME_RULE),
    ({'updates': [{'name': 'grow.2'}]},
     "x: update 1: name 'grow.2' " + NAME_RULE),
    ({'updates': [{'name': 'grow/2'}]},
     "x: update 1: name 'grow/2' " + NAME_RULE),
    ({'updates': [{'name': 'grow'}, {'name': 'shrink'}, {'name': 'grow'}]},
     "x: update 3: a step named 'grow' comes twice"),
    ({'updates': [{'name': 5}]},
     "x: update 1: 'name' must be a str, got int"),
    ({'updates': [{'name': 'a', 'parameters': ['n']}]},
     "x: update 1: 'parameters' must be a dict, got list"),
    ({'updates': [{'name': 'a', 'template': 3}]},
     "x: update 1: 'template' must be a str, got int"),
    ({'updates': [{'name': 'a', 'environment': ['e.yaml']}]},
     "x: update 1: 'environment' must be a str, got list"),
    ({'updates': [{'name': 'a', 'rollback': 'yes'}]},
     "x: update 1: 'rollback' must be a bool, got str"),
    ({'updates': [{'name': 'a', 'expect': 'UPDATE_COMPLETE'}]},
     "x: update 1: 'expect' must be a dict, got str"),
    ({'updates': [{'name': 'a', 'expect': {'replace': ['r']}}]},
     "x: update 1: expect: unknown key 'replace' " + EXPECT_KEYS),
    ({'updates': [{'name': 'a', 'expect': {'replaced': 'group/0'}}]},
     "x: update 1: expect: 'replaced' must be a list, got str"),
    ({'updates': [{'name': 'a', 'expect': {'outputs': [1]}}]},
     "x: update 1: expect: 'outputs' must be a dict, got list"),
    ({'updates': [{'name': 'a'}, {'name': 'b', 'expect': {'status': 1}}]},
     "x: update 2: expect: 'status' must be a str, got int"),
    ({'rollback': 'no'}, "x: 'rollback' must be a bool, got str"),
    ({'expect': {'replaced': 'r'}},
     "x: expect: 'replaced' must be a list, got str"),
])
def test_validate_lifecycle_rejects(declaration, message):
    with pytest.raises(corpus.CorpusError) as err:
        corpus.validate_lifecycle(declaration, 'x')
    assert str(err.value) == message


@pytest.mark.parametrize('name', ['grow', 'grow-2', 'v2_shrink', '0',
                                  'update-self', 'a' * 60])
def test_validate_lifecycle_accepts_step_names(name):
    corpus.validate_lifecycle({'updates': [{'name': name}]}, 'x')


def test_validate_lifecycle_accepts_a_full_declaration():
    corpus.validate_lifecycle(GROUP_LIFECYCLE, 'x')
    corpus.validate_lifecycle({'updates': []}, 'x')
    corpus.validate_lifecycle({}, 'x')


def test_validate_lifecycle_rejects_a_name_ending_in_a_newline():
    with pytest.raises(corpus.CorpusError):
        corpus.validate_lifecycle({'updates': [{'name': 'grow\n'}]}, 'x')


@pytest.mark.parametrize('updates, message', [
    ([{'name': 'create'}], "update 1: name 'create' " + NAME_RULE),
    ([{'name': 'a'}, {'name': 'a'}], "update 2: a step named 'a' comes "
     "twice"),
    ([{'parameters': {}}], 'update 1: every update needs a name'),
    ([{'name': 'a', 'expect': {'state': 'x'}}],
     "update 1: expect: unknown key 'state' " + EXPECT_KEYS),
])
def test_broken_updates_are_carried_as_error(tmp_path, updates, message):
    write(tmp_path, 'good.yaml')
    write(tmp_path, 'bad.yaml')
    sidecar_path = write(tmp_path, 'bad.lifecycle.yaml', {'updates': updates})
    bad, good = discovery.discover(str(tmp_path))
    assert good.error is None
    assert [s.name for s in good.steps] == ['create', 'update-self',
                                            'delete']
    assert bad.error == '%s: %s' % (sidecar_path, message)
    assert bad.lifecycle == {}


# -- agents and signal steps -------------------------------------------------

def test_agents_and_signal_steps(tmp_path):
    write(tmp_path, 'w.yaml')
    write(tmp_path, 'w.lifecycle.yaml', {
        'agents': [{'signal': 'handle', 'after': 'wait',
                    'data': {'status': 'SUCCESS'}}],
        'updates': [{'name': 'scale-up', 'signal': {'resource': 'up'}},
                    {'name': 'redeploy', 'parameters': {'a': 1},
                     'agents': [{'deploy': 'server', 'status_code': 0}]}]})
    create, scale, redeploy, _ = only_template(tmp_path).steps
    assert create.agents == [{'signal': 'handle', 'after': 'wait',
                              'data': {'status': 'SUCCESS'}}]
    assert (scale.kind, scale.signal, scale.expected_status) == (
        'signal', {'resource': 'up'}, None)
    assert redeploy.kind == 'update' and redeploy.agents[0]['deploy'] == \
        'server'


@pytest.mark.parametrize('update, message', [
    ({'name': 's', 'signal': {'data': {}}}, 'signal needs a resource'),
    ({'name': 's', 'signal': {'resource': 'p'}, 'parameters': {}},
     'a signal step changes nothing else (drop parameters)'),
    ({'name': 'u', 'agents': [{'signal': 'h', 'deploy': 's'}]},
     'give either signal (a handle) or deploy (a server)'),
    ({'name': 'u', 'agents': [{'wait': 'h'}]}, "agent 1: unknown key 'wait'"),
])
def test_bad_agents_and_signals_are_named(tmp_path, update, message):
    write(tmp_path, 'b.yaml')
    write(tmp_path, 'b.lifecycle.yaml', {'updates': [update]})
    assert message in only_template(tmp_path).error
