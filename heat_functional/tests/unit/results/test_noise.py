"""Unit tests of heat_functional.results.noise: locations noisy on both
paths compared by shape.

The shape rule on every JSON type; a difference at a location noisy on
both paths with values of one shape is no difference and is listed
apart (report.json, the text table, report.html); a shape difference
stays one; a location noisy on one path only is never excused; the
create's noise carries to a lifecycle's later steps that ran once; and
the choice of the templates whose create the noise pass runs again.
"""

import pytest

from heat_functional import config
from heat_functional import parity
from heat_functional.results import htmlreport
from heat_functional.results import noise
from heat_functional.results import report
from heat_functional.results import table
from heat_functional.tests.unit import evidence

PATHS = list(config.PATH_NAMES)
RANDOM = ['pQ3xZ0aB9kLm2NvR', 'Zk41uUiw0PqlB7cE', 'a8Xn3mRt5LqP0sYv',
          'M2c9Wq7eRt1yUiOp']


def case(path, repetition, value, scenario='lifecycle/create',
         template='random', other='same'):
    step = scenario.split('/')[-1]
    return {
        'id': 'test_lifecycle[%s-%s-%s-r%d]' % (
            template, step, path, repetition),
        'suite': 'lifecycle', 'template': template, 'scenario': scenario,
        'path': path, 'outcome': 'passed', 'message': None,
        'repetition': repetition, 'parity': 'pair', 'reference': None,
        'stacks': [], 'observation': {
            'stack': 'CREATE_COMPLETE',
            'outputs': {'value': value, 'other': other}},
    }


def runs(legacy, convergence, **kwargs):
    """Cases of two runs per path with these output values."""
    return [case(path, number, value, **kwargs)
            for path, values in zip(PATHS, (legacy, convergence))
            for number, value in enumerate(values, 1)]


def build(cases, allowances=()):
    return report.build(cases + evidence.records(), {}, PATHS, allowances)


# -- the shape rule ----------------------------------------------------
@pytest.mark.parametrize('first, second', [
    ('3f2a-9c', 'Zq0b-x1'),
    ('0123', 'abcd'),
    ('', ''),
    (1, 2.5),
    (True, False),
    (None, None),
    (['ab', 1], ['xy', 7]),
    ({'a': 'x1', 'b': [None]}, {'b': [None], 'a': 'Q9'}),
    (parity.ABSENT, parity.ABSENT),
])
def test_same_shape(first, second):
    assert noise.shape(first) == noise.shape(second)
    assert noise.same_shape([first, second])


@pytest.mark.parametrize('first, second', [
    ('abc', 'abcd'),            # length
    ('abc', 'ab-'),             # a separator for a letter
    ('ab-c', 'ab:c'),           # another separator
    ('ab', 1),                  # string and number
    (1, True),                  # number and boolean
    (None, 'x'),
    ('x', parity.ABSENT),
    (['a'], ['a', 'b']),        # list length
    ([1, 'a'], ['a', 1]),       # element shapes in order
    ({'a': 1}, {'b': 1}),       # keys
    ({'a': 1}, {'a': '1'}),     # value shapes
    ({'a': 1}, [1]),
    ('é', 'e'),                 # only ASCII letters and digits are a class
])
def test_different_shape(first, second):
    assert noise.shape(first) != noise.shape(second)
    assert not noise.same_shape([first, second])


def test_uuids_have_one_shape_even_when_a_group_is_all_digits():
    assert noise.same_shape(['1e0bd1b2-1234-4b3c-9f1a-0a1b2c3d4e5f',
                             'ffffffff-abcd-0000-aaaa-999999999999'])
    assert noise.describe(noise.shape('1e0bd1b2-1234')) == 'string A8-A4'


def test_describe():
    assert noise.describe(noise.shape([1, None, {'k': ''}])) == \
        'list[number, null, mapping{k: string (empty)}]'
    assert noise.describe(noise.shape(parity.ABSENT)) == 'absent'
    assert not noise.same_shape([])


# -- both paths, one path ----------------------------------------------
def test_noisy_on_both_paths_and_one_shape_is_no_difference():
    built = build(runs(RANDOM[:2], RANDOM[2:]))
    [entry] = built['parity']
    assert entry['equal'] and entry['differences'] == []
    assert entry['noisy_by_shape'] == [{
        'location': 'outputs.value', 'legacy': RANDOM[:2],
        'convergence': RANDOM[2:], 'shape': 'string A16',
        'allowed_by': None}]
    assert built['verdict'] == 'pass', built['reasons']
    assert built['summary']['parity']['noisy_by_shape'] == 1
    # Noise itself is still listed, one location per path.
    assert [(n['path'], n['location']) for n in built['noise']] == [
        ('legacy', 'outputs.value'), ('convergence', 'outputs.value')]


def test_a_shape_difference_at_a_location_noisy_on_both_paths_stays():
    built = build(runs(RANDOM[:2], ['short', 'other']))
    [entry] = built['parity']
    assert not entry['equal'] and not entry.get('noisy_by_shape')
    [difference] = entry['differences']
    assert difference['location'] == 'outputs.value'
    assert difference['flaky'] is True
    assert built['verdict'] == 'fail'


def test_a_shape_that_varies_between_runs_of_one_path_stays():
    built = build(runs(RANDOM[:2], [RANDOM[2], 'short']))
    assert not built['parity'][0]['equal']
    assert built['verdict'] == 'fail'


def test_noisy_on_one_path_only_is_never_excused():
    # Convergence gives the same value twice, legacy a random one each
    # time, of the same shape: still a difference (marked flaky).
    built = build(runs(RANDOM[:2], [RANDOM[2], RANDOM[2]]))
    [entry] = built['parity']
    assert not entry.get('noisy_by_shape')
    [difference] = entry['differences']
    assert difference['flaky'] is True and not difference['allowed_by']
    assert [n['path'] for n in built['noise']] == ['legacy']
    assert built['verdict'] == 'fail'
    assert 'flaky' in built['reasons'][0]


def test_a_steady_difference_beside_noise_stays():
    cases = runs(RANDOM[:2], RANDOM[2:])
    for c in cases[2:]:
        c['observation']['outputs']['other'] = 'changed'
    built = build(cases)
    [entry] = built['parity']
    assert [d['location'] for d in entry['differences']] == [
        'outputs.other']
    assert [n['location'] for n in entry['noisy_by_shape']] == [
        'outputs.value']
    assert built['verdict'] == 'fail'


def test_an_allowed_difference_is_explained_by_noise_instead():
    allowance = {'id': 'value-differs', 'location': 'outputs.value',
                 'reason': 'r', 'source': 's'}
    built = build(runs(RANDOM[:2], RANDOM[2:]), [allowance])
    [entry] = built['parity']
    assert entry['equal'] and entry['allowed_by'] == []
    assert entry['noisy_by_shape'][0]['allowed_by'] == 'value-differs'
    assert built['stale_allowances'] == ['value-differs']


def test_one_run_per_path_compares_values():
    cases = [c for c in runs(RANDOM[:2], RANDOM[2:])
             if c['repetition'] == 1]
    built = build(cases)
    assert built['noise'] == [] and built['verdict'] == 'fail'
    assert not built['parity'][0].get('noisy_by_shape')


def test_the_creates_noise_carries_to_later_steps_that_ran_once():
    cases = runs(RANDOM[:2], RANDOM[2:])
    later = [case(path, 1, value, scenario='lifecycle/update-self')
             for path, value in zip(PATHS, (RANDOM[0], RANDOM[2]))]
    built = build(cases + later)
    update = [e for e in built['parity']
              if e['scenario'] == 'lifecycle/update-self'][0]
    assert update['equal']
    assert update['noisy_by_shape'][0]['legacy'] == [RANDOM[0]]
    assert built['verdict'] == 'pass', built['reasons']


def test_a_later_step_with_runs_of_its_own_uses_its_own_noise():
    # --repeat 2: the update ran twice per path and agreed with itself,
    # so the create's noise says nothing of it.
    cases = runs(RANDOM[:2], RANDOM[2:])
    cases += [case(path, number, value, scenario='lifecycle/update-self')
              for path, value in zip(PATHS, (RANDOM[0], RANDOM[2]))
              for number in (1, 2)]
    built = build(cases)
    update = [e for e in built['parity']
              if e['scenario'] == 'lifecycle/update-self'][0]
    assert not update['equal'] and not update.get('noisy_by_shape')
    assert built['verdict'] == 'fail'


def test_other_suites_do_not_borrow_the_creates_noise():
    cases = runs(RANDOM[:2], RANDOM[2:])
    cases += [dict(case(path, 1, value, scenario='actions/check'),
                   suite='actions')
              for path, value in zip(PATHS, (RANDOM[0], RANDOM[2]))]
    built = build(cases)
    check = [e for e in built['parity']
             if e['scenario'] == 'actions/check'][0]
    assert not check['equal']


# -- the noise pass's templates ---------------------------------------
def entry(template, scenario='lifecycle/create', differences=(),
          **extra):
    return dict({'template': template, 'scenario': scenario,
                 'differences': list(differences),
                 'equal': not differences, 'allowed': False}, **extra)


DIFFERENCE = {'location': 'outputs.value', 'legacy': 'a',
              'convergence': 'b', 'allowed_by': None}


def test_second_pass_templates_are_those_whose_create_differs():
    allowed = dict(DIFFERENCE, allowed_by='some-allowance')
    found = noise.second_pass_templates({'parity': [
        entry('equal'),
        entry('differs', differences=[DIFFERENCE]),
        entry('allowed', differences=[allowed], equal=False,
              allowed=True),
        entry('update_differs', scenario='lifecycle/grow',
              differences=[DIFFERENCE]),
        entry('actions_differ', scenario='actions/check',
              differences=[DIFFERENCE]),
        entry('incomplete', equal=False, incomplete='no observation'),
    ]})
    assert found == ['differs', 'allowed']
    assert noise.second_pass_templates({'parity': []}) == []


# -- the report --------------------------------------------------------
def test_the_table_lists_them_apart():
    built = build(runs(RANDOM[:2], RANDOM[2:]))
    built['noise_pass'] = {'templates': ['random'], 'duration_s': 12.3}
    text = table.render(built)
    assert 'noise pass: the create of 1 template(s) ran once more per ' \
        'path (12 s)' in text
    assert 'noisy on both paths, compared by shape: 1 location(s)' in text
    assert 'random lifecycle/create outputs.value: string A16' in text


def test_the_page_lists_them_with_each_paths_values():
    built = build(runs(RANDOM[:2], RANDOM[2:]))
    page = htmlreport.render(built)
    assert 'Noisy on both paths, compared by shape' in page
    section = page.split('id="noisy-by-shape-table"')[1].split(
        '</table>')[0]
    for number, value in ((1, RANDOM[0]), (2, RANDOM[1]), (1, RANDOM[2]),
                          (2, RANDOM[3])):
        assert 'r%d: &quot;%s&quot;' % (number, value) in section
    assert 'string A16' in section


def test_nothing_listed_without_such_locations():
    built = build(runs(['a', 'a'], ['a', 'a']))
    assert 'noisy on both paths' not in table.render(built)
    assert 'noisy-by-shape' not in htmlreport.render(built)
