"""Unit tests of repeated runs (``--repeat``): heat_functional.repeats and
how the report uses it.

Crafted case records, several runs per path: noise learned from runs of
one path, never counted as a parity difference; flaky marking of parity
differences at noisy locations; a flaky difference fails the gate unless
an allowance covers it; one run per path gives exactly the report of
before; the command line, the lifecycle ids and the progress line.
"""

import copy
import types

import pytest

from heat_functional import cli
from heat_functional import config
from heat_functional import parity
from heat_functional import plugin
from heat_functional import progress
from heat_functional import run_spec
from heat_functional.results import entry as entry_module
from heat_functional.results import repeats
from heat_functional.results import report
from heat_functional.results import table

PATHS = ['legacy', 'convergence']


def observation(value='a', order=('x', 'y'), extra=None):
    resources = {'thing': {'type': 'OS::Heat::Value',
                           'status': 'CREATE_COMPLETE'}}
    if extra:
        resources[extra] = {'type': 'OS::Heat::None',
                            'status': 'CREATE_COMPLETE'}
    return {
        'stack': 'CREATE_COMPLETE',
        'outputs': {'value': value, 'order': list(order)},
        'resources': resources,
        'events': {'thing': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']},
    }


def case(path='legacy', repetition=1, scenario='lifecycle/create',
         template='simple', outcome='passed', **changes):
    expected = path == 'convergence'
    suffix = '-r%d' % repetition if repetition else ''
    return {
        'id': 'test_lifecycle[%s-%s-%s%s]' % (
            template, scenario.split('/')[-1], path, suffix),
        'template': template, 'scenario': scenario, 'path': path,
        'outcome': outcome, 'message': None, 'repetition': repetition,
        'parity': 'pair', 'reference': None,
        'stacks': [{'id': 'id-%s' % path, 'name': 'hf-%s' % path,
                    'parent': None, 'convergence': expected,
                    'expected_convergence': expected}],
        'observation': observation(**changes),
    }


def build(cases, allowances=()):
    return report.build(cases, {}, PATHS, allowances)


# -- noise -------------------------------------------------------------
def test_noise_is_learned_from_runs_of_one_path():
    cases = [case('legacy', 1, order=('x', 'y')),
             case('legacy', 2, order=('y', 'x')),
             case('convergence', 1), case('convergence', 2)]
    noise = repeats.learn_noise(cases)
    assert noise == [{
        'template': 'simple', 'scenario': 'lifecycle/create',
        'path': 'legacy', 'location': 'outputs.order',
        'repetitions': [1, 2], 'values': [['x', 'y'], ['y', 'x']]}]


def test_noise_is_reported_and_never_a_parity_difference():
    # Legacy varies between its own runs, convergence agrees with one of
    # them each time: not a single legacy/convergence comparison is
    # equal, and still the runs of each path say it is noise.
    cases = [case('legacy', 1, value='a'), case('legacy', 2, value='b'),
             case('convergence', 1, value='a'),
             case('convergence', 2, value='a')]
    built = build(cases)
    assert [(n['path'], n['location'], n['values'])
            for n in built['noise']] == [('legacy', 'outputs.value',
                                          ['a', 'b'])]
    assert built['repeat'] == 2
    [entry] = built['parity']
    assert entry['comparisons'] == 4
    [difference] = entry['differences']
    assert difference['location'] == 'outputs.value'
    assert difference['seen_in'] == 2 and difference['flaky'] is True
    assert entry['flaky'] == 1


def test_noise_of_a_whole_resource_keeps_the_outermost_location():
    cases = [case('legacy', 1), case('legacy', 2, extra='group/0'),
             case('legacy', 3, extra='group/0')]
    [noise] = repeats.learn_noise(cases)
    assert noise['location'] == "resources['group/0']"
    assert noise['values'][0] == parity.ABSENT
    assert noise['values'][1] == {'type': 'OS::Heat::None',
                                  'status': 'CREATE_COMPLETE'}
    # A run that differs inside the resource too adds no inner location.
    cases[2]['observation']['resources']['group/0']['status'] = 'X'
    [noise] = repeats.learn_noise(cases)
    assert noise['location'] == "resources['group/0']"


def test_no_noise_when_runs_agree_or_run_once():
    same = [case('legacy', 1), case('legacy', 2), case('convergence', 1),
            case('convergence', 2)]
    assert repeats.learn_noise(same) == []
    assert build(same)['verdict'] == 'pass'
    assert repeats.learn_noise([case('legacy', 1, value='a'),
                                case('legacy', 1, value='b',
                                     template='other')]) == []


def test_value_at_follows_locations():
    value = {'resources': {'group/0': {'status': 'X'}}, 'a': {'b': 1}}
    assert repeats.value_at(value, "resources['group/0'].status") == 'X'
    assert repeats.value_at(value, 'a.b') == 1
    assert repeats.value_at(value, 'a.c') == parity.ABSENT
    assert repeats.value_at(value, 'a.b.c') == parity.ABSENT
    assert repeats.value_at(value, '<root>') is value


def test_locations_overlap_only_on_their_boundaries():
    assert repeats.overlaps("resources['a']", "resources['a'].status")
    assert repeats.overlaps('outputs.value', 'outputs.value')
    assert not repeats.overlaps('outputs.value', 'outputs.values')


# -- flaky -------------------------------------------------------------
def test_flaky_difference_fails_the_gate_without_an_allowance():
    cases = [case('legacy', 1, value='a'), case('legacy', 2, value='b'),
             case('convergence', 1, value='a'),
             case('convergence', 2, value='a')]
    built = build(cases)
    assert built['verdict'] == 'fail'
    assert built['reasons'] == [
        'parity of simple/lifecycle/create: 1 difference(s), first at '
        'outputs.value (1 flaky: the location is noise)']
    assert 'pairs with a flaky difference: 1' in table.render(built)


def test_flaky_difference_with_an_allowance_passes():
    allowance = {'id': 'value-varies', 'location': 'outputs.value',
                 'reason': 'documented', 'source': 'docs'}
    cases = [case('legacy', 1, value='a'), case('legacy', 2, value='b'),
             case('convergence', 1, value='a'),
             case('convergence', 2, value='a')]
    built = build(cases, [allowance])
    assert built['verdict'] == 'pass', built['reasons']
    [difference] = built['parity'][0]['differences']
    assert difference['flaky'] and difference['allowed_by'] == 'value-varies'
    assert built['stale_allowances'] == []


def test_a_steady_difference_is_not_flaky():
    # outputs.order is noise on legacy, outputs.value differs steadily.
    cases = [case('legacy', 1, value='a', order=('x', 'y')),
             case('legacy', 2, value='a', order=('y', 'x'))]
    cases += [case('convergence', r, value='b') for r in (1, 2)]
    built = build(cases)
    [entry] = built['parity']
    value, order = [d for d in entry['differences']
                    if d['location'] in ('outputs.value', 'outputs.order')]
    assert value['location'] == 'outputs.value'
    assert 'flaky' not in value and order['flaky'] is True
    assert value['seen_in'] == 4


def test_every_run_against_every_run_finds_what_numbering_hides():
    # Convergence r2 equals legacy r2 and r1 equals r1, yet legacy r1
    # against convergence r2 differs: the location is flaky. (The two
    # values differ in shape, so it is not compared by shape.)
    cases = [case('legacy', 1, value='a'), case('legacy', 2, value='b:c'),
             case('convergence', 1, value='a'),
             case('convergence', 2, value='b:c')]
    [entry] = build(cases)['parity']
    assert [d['location'] for d in entry['differences']] == ['outputs.value']
    assert entry['differences'][0]['seen_in'] == 2
    assert entry['differences'][0]['flaky'] is True


def test_reference_entries_are_marked_flaky_by_their_reference():
    cases = [case('legacy', 1, value='a'), case('legacy', 2, value='b'),
             case('convergence', 1, value='a'),
             case('convergence', 2, value='b')]
    flip = case('flip-on', None, scenario='flip-on/create', value='b')
    flip['parity'] = 'reference'
    flip['reference'] = {'scenario': 'lifecycle/create', 'path': 'legacy',
                         'why': 'created on legacy'}
    built = build(cases + [flip])
    [entry] = built['references']
    # Compared with repetition 1 of the reference, flaky there.
    assert entry['differences'][0]['legacy'] == 'a'
    assert entry['differences'][0]['flaky'] is True


def test_a_missing_observation_of_one_run_makes_the_pair_incomplete():
    cases = [case('legacy', 1), case('legacy', 2, outcome='failed'),
             case('convergence', 1), case('convergence', 2)]
    cases[1]['observation'] = None
    [entry] = build(cases)['parity']
    assert entry['incomplete'] == 'no observation on legacy r2'


# -- one run per path: as before -------------------------------------------
def test_repeat_one_is_unchanged():
    cases = [case('legacy', 1, value='a'), case('convergence', 1, value='b'),
             case('legacy', 1, scenario='lifecycle/delete'),
             case('convergence', 1, scenario='lifecycle/delete')]
    old_style = copy.deepcopy(cases)
    for record in old_style:
        del record['repetition']
    built = build(cases)
    assert built['noise'] == [] and built['repeat'] == 1
    assert built == dict(build(old_style), cases=built['cases'])
    expected = [entry_module.compare('simple', c['scenario'],
                                     cases[n]['observation'],
                                     cases[n + 1]['observation'])
                for n, c in ((0, cases[0]), (2, cases[2]))]
    assert built['parity'] == expected
    assert all('flaky' not in d for e in built['parity']
               for d in e['differences'])
    assert 'noise' not in table.render(built)


# -- command line, ids, progress ----------------------------------------------
def test_repeat_option():
    args = cli.build_parser().parse_args(['gate', '--repeat', '3'])
    assert args.repeat == 3
    assert cli.build_parser().parse_args(['run']).repeat == 1
    env = cli.pytest_environment(args, '/r')
    assert run_spec.current(env).repeat == 3
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(['run', '--repeat', '0'])


class FakeMetafunc(object):
    def __init__(self, fixturenames):
        self.fixturenames = fixturenames
        self.function = types.SimpleNamespace(__name__='test_lifecycle')

    def parametrize(self, names, values):
        self.names, self.values = names, values


def _lifecycle_params(monkeypatch, tmp_path, repeat):
    (tmp_path / 'group.yaml').write_text(
        'heat_template_version: 2021-04-16\nresources: {}\n')
    monkeypatch.setenv(config.REPEAT_ENV, str(repeat))
    monkeypatch.setenv(config.PATHS_ENV, 'legacy,convergence')
    monkeypatch.setenv(config.TEMPLATES_ENV, str(tmp_path))
    metafunc = FakeMetafunc(['template', 'step', 'path', 'repetition'])
    plugin.pytest_generate_tests(metafunc)
    return metafunc


def test_lifecycle_ids_and_groups_with_repeat(monkeypatch, tmp_path):
    metafunc = _lifecycle_params(monkeypatch, tmp_path, 2)
    ids = [p.id for p in metafunc.values]
    assert ids[:2] == ['group-create-legacy-r1', 'group-create-convergence-r1']
    assert 'group-delete-legacy-r2' in ids and len(ids) == 12
    update = [p for p in metafunc.values
              if p.id == 'group-update-self-convergence-r2'][0]
    assert update.marks[0].args == ('group.convergence.r2',)
    assert update.values[3] == 2


def test_lifecycle_ids_and_groups_without_repeat(monkeypatch, tmp_path):
    metafunc = _lifecycle_params(monkeypatch, tmp_path, 1)
    assert [p.id for p in metafunc.values] == [
        'group-%s-%s' % (step, path)
        for step in ('create', 'update-self', 'delete') for path in PATHS]
    assert metafunc.values[2].marks[0].args == ('group.legacy',)
    assert metafunc.values[2].values[3] == 1


def test_progress_counts_a_pair_once_every_run_finished():
    shown = progress.Progress(PATHS, repeat=2, stream=open('/dev/null', 'w'),
                              interactive=False)
    for path in ('legacy-r1', 'legacy-r2', 'convergence-r1'):
        shown.count(types.SimpleNamespace(
            failed=False, when='teardown',
            nodeid='t.py::test_lifecycle[x-grow-%s]@g' % path))
    assert shown.pairs == 0
    shown.count(types.SimpleNamespace(
        failed=False, when='teardown',
        nodeid='t.py::test_lifecycle[x-grow-convergence-r2]@g'))
    assert shown.pairs == 1
    shown.count(types.SimpleNamespace(
        failed=False, when='teardown', nodeid='t.py::test_gabbi[f-a-legacy]'))
    shown.count(types.SimpleNamespace(
        failed=False, when='teardown',
        nodeid='t.py::test_gabbi[f-a-convergence]'))
    assert shown.pairs == 2


# -- allowances per comparison -----------------------------------------
DELETES = {'id': 'replaced-deleted', 'location': 'events*',
           'legacy': '*"CREATE_COMPLETE"]',
           'convergence_appends': ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'],
           'reason': 'documented', 'source': 'heat'}
CREATED = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']


def with_events(events, **kwargs):
    made = case(**kwargs)
    made['observation']['events']['thing'] = events
    return made


def test_an_allowance_must_cover_every_comparison_that_differs():
    # Convergence r1 shows the allowed extra DELETE; r2 ends DELETE_FAILED.
    cases = [with_events(CREATED, path='legacy', repetition=r)
             for r in (1, 2)]
    cases += [
        with_events(CREATED + ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'],
                    path='convergence', repetition=1),
        with_events(CREATED + ['DELETE_IN_PROGRESS', 'DELETE_FAILED'],
                    path='convergence', repetition=2)]
    built = build(cases, [DELETES])
    assert built['verdict'] == 'fail'
    [difference] = built['parity'][0]['differences']
    assert difference['allowed_by'] is None
    assert (difference['seen_in'], difference['allowed_in']) == (4, 2)
    # The values shown are those of a comparison the allowance missed.
    assert difference['convergence'][-1] == 'DELETE_FAILED'


def test_an_allowance_covering_every_comparison_excuses():
    cases = [with_events(CREATED, path='legacy', repetition=r)
             for r in (1, 2)]
    cases += [with_events(CREATED + ['DELETE_IN_PROGRESS',
                                     'DELETE_COMPLETE'],
                          path='convergence', repetition=r) for r in (1, 2)]
    built = build(cases, [DELETES])
    assert built['verdict'] == 'pass', built['reasons']
    [difference] = built['parity'][0]['differences']
    assert difference['allowed_by'] == 'replaced-deleted'


def test_sides_follow_path_names_not_the_order_given():
    # Legacy shows the extra DELETE events: the mirror image of what the
    # allowance describes, whatever order the paths were given in.
    cases = [with_events(CREATED + ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'],
                         path='legacy', repetition=None),
             with_events(CREATED, path='convergence', repetition=None)]
    for paths in (['legacy', 'convergence'], ['convergence', 'legacy']):
        built = report.build(cases, {}, paths, [DELETES])
        assert built['verdict'] == 'fail', paths
    mirrored = [dict(c, path={'legacy': 'convergence',
                              'convergence': 'legacy'}[c['path']])
                for c in cases]
    for paths in (['legacy', 'convergence'], ['convergence', 'legacy']):
        built = report.build(mirrored, {}, paths, [DELETES])
        assert built['parity'][0]['allowed'], paths
