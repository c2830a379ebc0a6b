"""Unit tests of heat_functional.plan: case keys from pytest items, and
the plan file."""

import collections

import pytest

from heat_functional import plan

Named = collections.namedtuple('Named', 'name')
CallSpec = collections.namedtuple('CallSpec', 'params')


class Item(object):
    def __init__(self, name, originalname, **params):
        self.name = name
        self.originalname = originalname
        self.callspec = CallSpec(params)


def test_lifecycle_key():
    item = Item('test_lifecycle[t-create-legacy-r2]', 'test_lifecycle',
                template=Named('t'), step=Named('create'), path='legacy',
                repetition=2)
    assert plan.key_of_item(item) == plan.CaseKey(
        'test_lifecycle[t-create-legacy-r2]', 'lifecycle', 't', 'create',
        'legacy', 2)


def test_flip_key_takes_the_toggle_as_its_path():
    item = Item('test_flip[flip-on-t-create]', 'test_flip',
                toggle='flip-on', template=Named('t'), step='create')
    key = plan.key_of_item(item)
    assert (key.suite, key.path, key.step) == ('flip', 'flip-on', 'create')


def test_unparametrised_item():
    item = Item('test_migration_refused_while_in_progress',
                'test_migration_refused_while_in_progress')
    item.callspec = None
    key = plan.key_of_item(item)
    assert key.suite == 'migration_refused_while_in_progress'
    assert key.template is None and key.path is None


class Marked(Item):
    def __init__(self, *reasons):
        super().__init__('test_actions[NOTSET]', 'test_actions')
        self.reasons = reasons

    def iter_markers(self, name):
        assert name == 'skip'
        return [Mark(reason) for reason in self.reasons]


class Mark(object):
    def __init__(self, reason):
        self.kwargs = {'reason': reason}


def test_an_empty_parametrisation_is_nothing_to_run():
    assert plan.nothing_to_run(Marked(
        'got empty parameter set for (template, step, path)'))
    assert not plan.nothing_to_run(Marked('needs keystone'))
    assert not plan.nothing_to_run(Marked())


def test_write_read_round_trip(tmp_path):
    keys = [plan.CaseKey('a', 'lifecycle', 't', 'create', 'legacy', None),
            plan.CaseKey('b', 'flip', 't', 'create', 'flip-on', None)]
    plan.write(str(tmp_path), keys, run_id='r1')
    assert plan.read(str(tmp_path)) == keys
    plan.remove(str(tmp_path))
    assert plan.read(str(tmp_path)) is None


def test_case_ids_of_reported_node_ids():
    assert plan.case_id_of_nodeid(
        'heat_functional/scenarios/test_lifecycle.py::'
        'test_lifecycle[good-update-self-legacy]@good.legacy') == \
        'test_lifecycle[good-update-self-legacy]'
    assert plan.case_id_of_nodeid(
        'x.py::test_migration_refused_while_in_progress') \
        == 'test_migration_refused_while_in_progress'


# -- ids, groups and scenarios: the formats both runners share ------------
@pytest.mark.parametrize('key, case_id, group', [
    (plan.make('lifecycle', 'rg', 'grow', 'legacy', 1),
     'test_lifecycle[rg-grow-legacy]', 'rg.legacy'),
    (plan.make('lifecycle', 'rg', 'grow', 'legacy', 2, numbered=True),
     'test_lifecycle[rg-grow-legacy-r2]', 'rg.legacy.r2'),
    (plan.make('flip', 'rg', 'new_create', 'flip-on'),
     'test_flip[flip-on-rg-new_create]', 'flip.flip-on'),
    (plan.make('migrate', 'rg', 'migrate'),
     'test_migrate[rg-migrate]', 'migrate.rg'),
    (plan.make('probe', 'rg', path='convergence'),
     'test_probe[rg-convergence]', None),
    (plan.make('actions', 'rg', 'suspend', 'legacy'),
     'test_actions[rg-suspend-legacy]', 'actions.rg.legacy'),
    (plan.make('failures', 'rg', 'rollback/create', 'legacy'),
     'test_failures[rg-rollback-create-legacy]',
     'failures.rg.rollback.legacy'),
])
def test_ids_and_groups(key, case_id, group):
    assert key.case_id == case_id
    assert plan.xdist_group(key, numbered=key.repetition == 2) == group
    assert plan.suite_of_case_id(case_id) == key.suite


def test_the_param_id_is_the_case_id_between_brackets():
    key = plan.make('lifecycle', 'rg', 'grow', 'legacy', 3, numbered=True)
    assert key.case_id == 'test_lifecycle[%s]' % plan.param_id(
        key, numbered=True)
    assert plan.param_id(key) == 'rg-grow-legacy'


@pytest.mark.parametrize('head, step, text', [
    ('lifecycle', 'grow', 'lifecycle/grow'),
    ('flip-on', 'create', 'flip-on/create'),
    ('failures', 'rollback/create', 'failures/rollback/create'),
    ('probe', None, 'probe'),
])
def test_scenarios_split_back(head, step, text):
    assert plan.scenario(head, step) == text
    assert plan.split_scenario(text) == (head, step or '')
    assert plan.step_of(text) == (step or head).split('/')[-1]
