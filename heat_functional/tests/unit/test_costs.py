"""costs.py: the cost table of a report, and the order it gives."""

import json

import pytest

from heat_functional import config
from heat_functional import costs
from heat_functional import plan


def case(case_id, suite, scenario, seconds):
    return {'id': case_id, 'suite': suite, 'scenario': scenario,
            'duration_s': seconds}


REPORT = {
    'run_id': 'r1', 'heat_version': '27.0.1', 'duration_s': 900.0,
    'performance': {'cores': 2},
    'cases': [
        case('test_lifecycle[a-create-legacy]', 'lifecycle',
             'lifecycle/create', 2.0),
        case('test_lifecycle[b-create-legacy]', 'lifecycle',
             'lifecycle/create', 4.0),
        case('test_lifecycle[b-grow-legacy]', 'lifecycle',
             'lifecycle/grow', 9.0),
        case('test_failures[a-timeout-create-legacy]', 'failures',
             'failures/timeout/create', 60.0),
        case('test_probe[a-legacy]', 'probe', 'probe', 20.0),
        case('test_gabbi[x-legacy]', 'gabbi', 'gabbi/x', None),
    ]}


def key(case_id, suite, step=None):
    return plan.CaseKey(case_id, suite, 't', step, 'legacy', None)


def test_table_of_a_report():
    table = costs.table_of(REPORT)
    assert table['cases'] == {
        'test_failures[a-timeout-create-legacy]': 60.0,
        'test_lifecycle[a-create-legacy]': 2.0,
        'test_lifecycle[b-create-legacy]': 4.0,
        'test_lifecycle[b-grow-legacy]': 9.0,
        'test_probe[a-legacy]': 20.0}
    assert table['steps'] == {'failures/timeout/create': 60.0,
                              'lifecycle/create': 3.0,
                              'lifecycle/grow': 9.0, 'probe/': 20.0}
    assert table['suites'] == {'failures': 60.0, 'lifecycle': 4.0,
                               'probe': 20.0}
    assert table['median'] == 9.0
    assert table['measured_by']['run_id'] == 'r1'
    assert table['cores'] == 2


@pytest.mark.parametrize('case_id,suite,step,seconds', [
    ('test_lifecycle[b-grow-legacy]', 'lifecycle', 'grow', 9.0),
    ('test_lifecycle[new-create-legacy]', 'lifecycle', 'create', 3.0),
    ('test_lifecycle[new-shrink-legacy]', 'lifecycle', 'shrink', 4.0),
    ('test_actions[new-check-legacy]', 'actions', 'check', 9.0),
], ids=['case', 'step', 'suite', 'all'])
def test_expected_seconds_falls_back_from_case_to_step_suite_and_all(
        case_id, suite, step, seconds):
    table = costs.table_of(REPORT)
    assert costs.expected_seconds(table, key(case_id, suite, step)) == \
        seconds


def test_an_empty_table_gives_every_case_the_same_cost():
    assert costs.expected_seconds(
        {}, key('test_x', 'x')) == costs.UNMEASURED_SECONDS


class Item:
    def __init__(self, name, group, seconds):
        self.name, self.group, self.seconds = name, group, seconds

    def __repr__(self):
        return self.name


def order(items):
    table = {'cases': {item.name: item.seconds for item in items}}
    return [item.name for item in costs.longest_first(
        items, lambda item: item.group, lambda item: key(item.name, 's'),
        table)]


def test_longest_units_first_each_whole_and_in_its_own_order():
    items = [Item('a1', 'a', 1), Item('b1', 'b', 1), Item('a2', 'a', 1),
             Item('lone', None, 30), Item('b2', 'b', 5), Item('a3', 'a', 1),
             Item('c1', 'c', 20)]
    # b: 6 s; a: 3 s; the lone case and c come first.
    assert order(items) == ['lone', 'c1', 'b1', 'b2', 'a1', 'a2', 'a3']


def test_ties_keep_the_order_of_the_first_item():
    items = [Item('x', None, 2), Item('g1', 'g', 1), Item('y', None, 2),
             Item('g2', 'g', 1)]
    assert order(items) == ['x', 'g1', 'g2', 'y']


def test_an_empty_table_keeps_the_order_of_units_of_equal_size():
    items = [Item('a1', 'a', 0), Item('b1', 'b', 0), Item('a2', 'a', 0)]
    assert [i.name for i in costs.longest_first(
        items, lambda i: i.group, lambda i: key(i.name, 's'), {})] == \
        ['a1', 'a2', 'b1']


def test_the_shipped_table_measures_the_shipped_corpus():
    """The table beside the code is what tools/case_costs.py writes, and
    it measures most of the main job's cases (a stale table only orders
    less well; this says when it has gone far out of date)."""
    with open(config.CASE_COSTS_FILE) as f:
        table = json.load(f)
    assert set(table) == {'measured_by', 'cores', 'median', 'suites',
                          'steps', 'cases'}
    assert len(table['cases']) > 1000
    assert all(seconds >= 0 for seconds in table['cases'].values())
    assert costs.shipped() == table


class Mark:
    def __init__(self, group):
        self.args = (group,)


class PytestItem:
    """What the plugin reads of a pytest item: its name, function and
    xdist_group mark."""

    def __init__(self, name, group=None):
        self.name, self.originalname, self.callspec = name, 'test_x', None
        self.group = group

    def get_closest_marker(self, name):
        return Mark(self.group) if name == 'xdist_group' and \
            self.group else None

    def iter_markers(self, name):
        return []


class PytestConfig:
    def __init__(self, worker):
        if worker:
            self.workerinput = {'workerid': 'gw0'}


def test_the_plugin_orders_a_workers_items_by_cost(monkeypatch):
    from heat_functional import plugin
    from heat_functional import run_spec
    monkeypatch.setattr(plugin, 'spec', lambda: run_spec.RunSpec(
        report_dir='/nowhere'))
    monkeypatch.setattr(costs, 'shipped', lambda: {
        'cases': {'short': 1.0, 'long': 50.0}})
    for worker, expected in ((True, ['long', 'short']),
                             (False, ['short', 'long'])):
        items = [PytestItem('short', 'a'), PytestItem('long', 'b')]
        plugin.pytest_collection_modifyitems(PytestConfig(worker), items)
        assert [item.name for item in items] == expected
