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
