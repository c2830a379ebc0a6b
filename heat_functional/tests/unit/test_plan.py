"""Unit tests of heat_functional.plan: case keys from pytest items, and
the plan file."""

import collections

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
