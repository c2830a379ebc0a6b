"""Unit tests of heat_functional.shards and the plugin's use of it: the
K/N syntax, the split (deterministic, every template in exactly one
shard, balanced by count or by measured cost, the median for a template
not measured), the cost report, the fingerprint, the refusal of an
empty shard, and which shard runs a case (both paths of a template's
pairs together; the cases of no template in shard 1 only)."""

import collections
import json
import random

import pytest

from heat_functional import config
from heat_functional import corpus
from heat_functional import discovery
from heat_functional import plan
from heat_functional import plugin
from heat_functional import run_spec
from heat_functional import shards

NAMES = ['t%02d' % n for n in range(11)]


def test_parse():
    assert shards.parse('2/4') == (2, 4)
    assert shards.parse(' 1/1 ') == (1, 1)
    for bad in ('0/2', '3/2', '2', 'a/b', '1/0', '-1/2', ''):
        with pytest.raises(shards.ShardError, match='K/N'):
            shards.parse(bad)


@pytest.mark.parametrize('count', [1, 2, 3, 5, 11])
def test_every_template_in_exactly_one_shard(count):
    bins = shards.split(NAMES, count)
    assert len(bins) == count
    placed = collections.Counter(n for names in bins for n in names)
    assert placed == collections.Counter(NAMES)


def test_by_count_the_shards_differ_by_at_most_one():
    sizes = [len(b) for b in shards.split(NAMES, 3)]
    assert sorted(sizes) == [3, 4, 4]


def test_the_split_is_the_same_whatever_the_input_order():
    costs = {n: float(i % 4 + 1) for i, n in enumerate(NAMES)}
    expected = [set(b) for b in shards.split(NAMES, 3, costs)]
    for seed in range(5):
        shuffled = list(NAMES)
        random.Random(seed).shuffle(shuffled)
        assert [set(b) for b in shards.split(shuffled, 3, costs)] == \
            expected


def test_a_shard_keeps_the_corpus_order():
    bins = shards.split(NAMES, 2)
    for names in bins:
        assert names == sorted(names)


def test_balanced_by_cost_longest_first():
    costs = {'a': 10, 'b': 9, 'c': 8, 'd': 3, 'e': 2, 'f': 1}
    bins = shards.split(sorted(costs), 2, costs)
    loads = [sum(costs[n] for n in names) for names in bins]
    assert loads == [16, 17]
    assert bins == [['a', 'd', 'e', 'f'], ['b', 'c']]
    assert [len(b) for b in shards.split(sorted(costs), 2)] == [3, 3]


def test_a_template_not_measured_costs_the_median():
    costs = shards.template_costs(['a', 'b', 'c', 'new'],
                                  {'a': 1, 'b': 5, 'c': 30, 'gone': 99})
    assert costs == {'a': 1, 'b': 5, 'c': 30, 'new': 5}


def test_without_measured_templates_every_template_costs_one():
    assert shards.template_costs(['a', 'b'], {'other': 4}) == {
        'a': 1.0, 'b': 1.0}


def test_costs_of_a_report_sum_a_templates_cases():
    report = {'cases': [
        {'template': 'a', 'duration_s': 2.5},
        {'template': 'a', 'duration_s': 1.5},
        {'template': 'b', 'duration_s': 4},
        {'template': '-', 'duration_s': 9},
        {'template': None, 'duration_s': 9},
        {'template': 'c', 'duration_s': None}]}
    assert shards.costs_of(report) == {'a': 4.0, 'b': 4.0}


def test_load_costs_says_what_is_wrong(tmp_path):
    missing = tmp_path / 'none.json'
    with pytest.raises(shards.ShardError, match='none.json'):
        shards.load_costs(str(missing))
    broken = tmp_path / 'broken.json'
    broken.write_text('{')
    with pytest.raises(shards.ShardError, match='not JSON'):
        shards.load_costs(str(broken))
    other = tmp_path / 'other.json'
    other.write_text('[1, 2]')
    with pytest.raises(shards.ShardError, match='not a report.json'):
        shards.load_costs(str(other))
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps({'cases': [{'template': 'a'}]}))
    with pytest.raises(shards.ShardError, match='measured no template'):
        shards.load_costs(str(empty))


FOUR = ('v_named_pike', 'v_named_queens', 'v_named_rocky',
        'v_named_wallaby')
TEMPLATE = 'heat_template_version: %s\nresources: {}\n'


@pytest.fixture(scope='module')
def directory(tmp_path_factory):
    """A corpus of the four template names (and one more), discovered
    once."""
    made = tmp_path_factory.mktemp('corpus')
    for name in FOUR + ('z_other',):
        (made / ('%s.yaml' % name)).write_text(TEMPLATE % '2018-08-31')
    return str(made)


@pytest.fixture(scope='module')
def corpus_of(directory):
    found = discovery.discover(directory, [])
    return lambda names: corpus.select(found, names)


def test_assign_a_shard_and_its_run_wide_fields(tmp_path, corpus_of):
    templates = corpus_of(FOUR)
    first = shards.assign(templates, (1, 2))
    second = shards.assign(templates, (2, 2))
    assert first['templates'] == ['v_named_pike', 'v_named_rocky']
    assert second['templates'] == ['v_named_queens', 'v_named_wallaby']
    assert (first['index'], first['count'], first['balanced_by']) == (
        1, 2, 'count')
    for field in ('fingerprint', 'split'):
        assert first[field] == second[field]
    costs = tmp_path / 'report.json'
    costs.write_text(json.dumps({'cases': [
        {'template': 'v_named_pike', 'duration_s': 100},
        {'template': 'v_named_queens', 'duration_s': 1},
        {'template': 'v_named_rocky', 'duration_s': 1}]}))
    weighed = shards.assign(templates, (1, 2), str(costs))
    assert weighed['balanced_by'] == 'report.json'
    assert weighed['templates'] == ['v_named_pike']
    assert weighed['split'] != first['split']


def test_a_shard_with_no_template_is_refused(corpus_of):
    with pytest.raises(shards.ShardError,
                       match='shard 3/3 gets no template: the run selects '
                       '2 templates, fewer than 3 shards'):
        shards.assign(corpus_of(FOUR[:2]), (3, 3))


def test_the_fingerprint_follows_names_and_contents(tmp_path):
    for name in ('a', 'b'):
        (tmp_path / ('%s.yaml' % name)).write_text(TEMPLATE % '2018-08-31')
    templates = discovery.discover(str(tmp_path), [])
    before = shards.fingerprint(templates)
    assert shards.fingerprint(list(reversed(templates))) == before
    assert shards.fingerprint(templates[:1]) != before
    (tmp_path / 'b.yaml').write_text(TEMPLATE % '2021-04-16')
    assert shards.fingerprint(templates) != before


def keys(templates):
    """A plan's keys: each template's lifecycle on both paths, its flips
    and migration; gabbits and the refused migration (no template)."""
    made = []
    for name in templates:
        for step in ('create', 'update-self', 'delete'):
            made += [plan.make('lifecycle', name, step, path)
                     for path in config.PATH_NAMES]
            made += [plan.make('flip', name, step, toggle)
                     for toggle in config.TOGGLES]
            made.append(plan.make('migrate', name, step))
    made += [plan.CaseKey('test_gabbi[stacks-list-%s]' % path, 'gabbi',
                          None, None, path, None)
             for path in config.PATH_NAMES]
    made.append(plan.CaseKey('test_migration_refused_while_in_progress',
                             'migration_refused_while_in_progress', None,
                             None, None, None))
    return made


@pytest.mark.parametrize('count', [1, 2, 3])
def test_every_case_in_exactly_one_shard_pairs_together(
        count, corpus_of):
    templates = corpus_of(FOUR)
    assignments = [shards.assign(templates, (k, count))
                   for k in range(1, count + 1)]
    planned = keys(FOUR)
    runs = {key.case_id: [a['index'] for a in assignments
                          if shards.runs_case(a, key.template)]
            for key in planned}
    assert all(len(where) == 1 for where in runs.values()), runs
    by_pair = collections.defaultdict(set)
    for key in planned:
        by_pair[(key.template, key.step)].update(runs[key.case_id])
    assert all(len(where) == 1 for where in by_pair.values())
    assert runs['test_migration_refused_while_in_progress'] == [1]


def _spec(monkeypatch, shard, directory=config.SHIPPED_TEMPLATES):
    spec = run_spec.RunSpec(report_dir='/nowhere', only=','.join(FOUR),
                            templates_dir=directory, shard=shard)
    monkeypatch.setattr(plugin, 'spec', lambda: spec)
    return spec


def test_the_plugin_parametrises_a_shards_templates_only(
        monkeypatch, corpus_of, directory):
    templates = corpus_of(FOUR)
    seen = []
    for index in (1, 2):
        _spec(monkeypatch, shards.assign(templates, (index, 2)), directory)
        seen.append([t.name for t in plugin.selected_templates()])
    assert seen[0] and seen[1]
    assert sorted(seen[0] + seen[1]) == list(FOUR)
    _spec(monkeypatch, None, directory)
    assert [t.name for t in plugin.selected_templates()] == list(FOUR)


Named = collections.namedtuple('Named', 'name')
CallSpec = collections.namedtuple('CallSpec', 'params')


class Item(object):
    def __init__(self, **params):
        self.callspec = CallSpec(params) if params else None

    def iter_markers(self, name):
        return []


class Config(object):
    def __init__(self):
        self.deselected = []
        self.hook = self

    def pytest_deselected(self, items):
        self.deselected += items


@pytest.mark.parametrize('index', [1, 2])
def test_cases_of_no_template_run_in_shard_one_only(
        monkeypatch, index, corpus_of):
    _spec(monkeypatch, shards.assign(corpus_of(FOUR), (index, 2)))
    lifecycle = Item(template=Named('x'), step=Named('create'),
                     path='legacy')
    gabbi = Item(gabbit=Named('list'), path='legacy')
    refused = Item()
    items = [lifecycle, gabbi, refused]
    config_ = Config()
    plugin.pytest_collection_modifyitems(config_, items)
    if index == 1:
        assert items == [lifecycle, gabbi, refused]
        assert config_.deselected == []
    else:
        assert items == [lifecycle]
        assert config_.deselected == [gabbi, refused]


def test_unsharded_the_plugin_deselects_nothing(monkeypatch):
    _spec(monkeypatch, None)
    items = [Item(gabbit=Named('list'), path='legacy'), Item()]
    plugin.pytest_collection_modifyitems(Config(), items)
    assert len(items) == 2


def test_the_report_entry_records_the_selection_and_commit(
        monkeypatch, corpus_of):
    monkeypatch.setattr(shards, 'harness_commit',
                        lambda: {'commit': 'abc', 'dirty': False})
    assignment = shards.assign(corpus_of(FOUR), (2, 2))
    spec = run_spec.RunSpec(report_dir='/r', only='a', keyword='lifecycle',
                            repeat=2, strict=True, shard=assignment)
    entry = shards.report_entry(spec)
    assert entry['index'] == 2 and entry['harness']['commit'] == 'abc'
    assert entry['selection'] == {
        'only': 'a', 'actions': None, 'failures': None,
        'keyword': 'lifecycle', 'paths': list(config.PATH_NAMES),
        'repeat': 2, 'strict': True, 'toggles': list(config.TOGGLES)}
    assert shards.report_entry(run_spec.RunSpec(report_dir='/r')) is None


def test_a_spec_with_a_shard_survives_json(corpus_of):
    assignment = shards.assign(corpus_of(FOUR), (1, 2))
    spec = run_spec.RunSpec(report_dir='/r', shard=assignment, keyword='k')
    assert run_spec.RunSpec.from_json(spec.to_json()) == spec


def test_the_harness_commit_of_this_checkout():
    found = shards.harness_commit()
    if found is not None:  # an installed package has none
        assert len(found['commit']) == 40
    assert shards.harness_commit('/') is None
