"""Unit tests of the pure parts of heat_functional.actions: which
templates the sequence applies to, previews and abandon data made
comparable across paths, and the resources Heat could not adopt."""

from heat_functional import actions
from heat_functional import config


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def test_applies_to_templates_whose_create_completes_without_agents():
    plain = [Fake(agents=[]), Fake(agents=[])]
    assert actions.applies_to(Fake(error=None, name='t', steps=plain,
                                   expected_status='CREATE_COMPLETE')) is None
    why = actions.applies_to(Fake(error=None, name='t', steps=plain,
                                  expected_status='CREATE_FAILED'))
    assert 'meant to end CREATE_FAILED' in why
    why = actions.applies_to(Fake(error=None, name='t', steps=[
        Fake(agents=[{'deploy': 'server'}])],
        expected_status='CREATE_COMPLETE'))
    assert 'needs the harness as an agent' in why


def test_preview_resources_flatten_nested_and_hide_made_up_names():
    preview = [
        {'resource_name': 'group', 'resource_type': 'OS::Heat::ResourceGroup'},
        [{'resource_name': '0', 'resource_type': 'OS::Heat::None'},
         {'resource_name': 'abcdef123456',
          'resource_type': 'file:///t/files/member.yaml'}],
    ]
    assert actions.preview_resources(preview, 'file:///t/') == [
        ['#', 'files/member.yaml'], ['0', 'OS::Heat::None'],
        ['group', 'OS::Heat::ResourceGroup']]


def test_abandoned_shape_keeps_names_types_and_states_only():
    data = {'action': 'UPDATE', 'status': 'COMPLETE', 'id': 'x', 'resources': {
        'group': {'type': 'OS::Heat::AutoScalingGroup', 'action': 'CREATE',
                  'status': 'COMPLETE', 'resource_id': 'n1', 'resources': {
                      'zzzzzzzzzzzz': {'type': 'OS::Heat::Value',
                                       'action': 'CREATE',
                                       'status': 'COMPLETE',
                                       'resource_id': 'v1'},
                      'aaaaaaaaaaaa': {'type': 'OS::Heat::Value',
                                       'action': 'UPDATE',
                                       'status': 'COMPLETE'}}}}}
    assert actions.abandoned_shape(data) == {
        'stack': 'UPDATE_COMPLETE', 'resources': {
            'group': ['OS::Heat::AutoScalingGroup', 'CREATE', 'COMPLETE'],
            'group/#1': ['OS::Heat::Value', 'UPDATE', 'COMPLETE'],
            'group/#2': ['OS::Heat::Value', 'CREATE', 'COMPLETE']}}
    assert actions.without_ids(data) == ['group/aaaaaaaaaaaa']


class Item(object):
    def __init__(self, id):
        self.id = id


def test_reads_pages_one_at_a_time_and_reads_the_whole_list_once():
    items = [Item(i) for i in 'abc']
    calls = []

    def list_page(limit=None, marker=None):
        calls.append((limit, marker))
        if limit is None:
            return list(items)
        start = [i.id for i in items].index(marker) + 1 if marker else 0
        return items[start:start + limit]
    paged, whole = actions._paged(list_page)
    assert [i.id for i in paged] == ['a', 'b', 'c'] == [i.id for i in whole]
    assert calls == [(1, None), (1, 'a'), (1, 'b'), (1, 'c'), (None, None)]


def test_this_runs_tag_is_observed_by_its_shape(monkeypatch):
    monkeypatch.setenv(config.RUN_ID_ENV, 'ci-1')
    assert actions.observed_tags(['x', 'hf-run-ci-1', 'hf-run-ci-0', 'hf']) \
        == ['hf', 'hf-run-<run>', 'hf-run-ci-0', 'x']
    assert actions.observed_tags(None) == []


def test_the_change_marker_is_a_parameter_a_resource_and_an_output():
    hot = {'heat_template_version': '2021-04-16',
           'resources': {'a': {'type': 'OS::Heat::None'}}}
    marker, parameter = actions.CHANGE_MARKER, actions.CHANGE_PARAMETER
    changed = actions.with_change_marker(hot)
    assert changed['parameters'] == {parameter: {'type': 'string'}}
    assert changed['resources'][marker] == {
        'type': 'OS::Heat::TestResource',
        'properties': {'value': {'get_param': parameter}}}
    assert changed['outputs'] == {
        marker: {'value': {'get_attr': [marker, 'output']}}}
    assert 'parameters' not in hot and marker not in hot['resources']
    cfn = {'AWSTemplateFormatVersion': '2010-09-09',
           'Parameters': {'Env': {'Type': 'String'}},
           'Resources': {}, 'Outputs': {'X': {'Value': 'x'}}}
    changed = actions.with_change_marker(cfn)
    assert changed['Parameters'][parameter] == {'Type': 'String'}
    assert changed['Resources'][marker]['Properties'] == {
        'value': {'Ref': parameter}}
    assert changed['Outputs'] == {
        'X': {'Value': 'x'},
        marker: {'Value': {'Fn::GetAtt': [marker, 'output']}}}
    assert list(cfn['Outputs']) == ['X']


def step(name, kind='update', status='UPDATE_COMPLETE', replaced=None,
         agents=()):
    return Fake(name=name, kind=kind, expected_status=status,
                expected_replaced=replaced, agents=list(agents))


def test_the_change_sends_an_update_that_replaces_if_there_is_one():
    create = step('create', 'create', 'CREATE_COMPLETE')
    steps = [create, step('in-place'), step('fails', status='UPDATE_FAILED',
                                            replaced=['x']),
             step('agent', replaced=['x'], agents=[{'deploy': 'x'}]),
             step('replace', replaced=['x']), step('delete', 'delete')]
    assert actions.change_step(Fake(steps=steps)).name == 'replace'
    assert actions.change_step(Fake(steps=steps[:2])).name == 'in-place'
    assert actions.change_step(Fake(steps=[create, step(
        'signal', 'signal', None)])).name == 'create'


def test_an_adopt_with_nothing_to_adopt_is_moot_not_a_skip():
    """A template whose resources Heat gave no id (a provider, a Value)
    gives adopt nothing to act on: listed as moot, not counted against
    the actions suite's share of skips."""
    import pytest
    from heat_functional import case as case_module
    lifecycle = Fake(abandoned={'resources': {'named': {
        'type': 'OS::Heat::Value', 'action': 'CREATE',
        'status': 'COMPLETE'}}}, template=Fake(name='web'), path='legacy')
    with pytest.raises(case_module.Moot) as raised:
        actions._adopt(lifecycle, None, None)
    assert 'Heat adopts only resources with an id; named of web' in str(
        raised.value)
    assert raised.value.skip_kind == 'moot'
    lifecycle.abandoned = None  # the abandon itself did not run: a skip
    with pytest.raises(pytest.skip.Exception) as raised:
        actions._adopt(lifecycle, None, None)
    assert not isinstance(raised.value, case_module.Moot)
