"""Unit tests of heat_functional.results.entry: the one maker of the
comparison entries report.json holds, field by field and in order."""

from heat_functional.results import entry


def _difference(allowed_by=None):
    return {'location': 'outputs.value', 'legacy': 1, 'convergence': 2,
            'allowed_by': allowed_by}


def test_an_equal_pair():
    made = entry.make('t', 'lifecycle/create', [])
    assert list(made) == ['template', 'scenario', 'equal', 'allowed',
                          'differences', 'allowed_by']
    assert made['equal'] and not made['allowed']
    assert not entry.different(made)


def test_an_allowed_and_a_different_pair():
    allowed = entry.make('t', 's', [_difference('allow-1')])
    assert (allowed['equal'], allowed['allowed'], allowed['allowed_by']) \
        == (False, True, ['allow-1'])
    different = entry.make('t', 's', [_difference('allow-1'),
                                      _difference()])
    assert not different['allowed'] and entry.different(different)


def test_an_incomplete_pair_is_neither_equal_nor_different():
    made = entry.make('t', 's', incomplete='no observation on legacy')
    assert list(made) == ['template', 'scenario', 'equal', 'allowed',
                          'differences', 'allowed_by', 'incomplete']
    assert (made['equal'], made['allowed'], made['differences']) == \
        (False, False, [])
    assert not entry.different(made)


def test_a_reference_entry_names_its_case_path_and_reference():
    wanted = {'scenario': 'lifecycle/create', 'path': 'legacy'}
    made = entry.make('t', 'flip-on/create', path='flip-on',
                      reference=wanted, not_compared='did not run')
    assert list(made) == ['template', 'scenario', 'path', 'reference',
                          'equal', 'allowed', 'differences', 'allowed_by',
                          'not_compared']
    assert not made['equal'] and not entry.different(made)


def test_repeated_comparisons_are_counted_last():
    made = entry.make('t', 's', [], comparisons=4)
    assert list(made)[-1] == 'comparisons' and made['comparisons'] == 4


def test_compare_marks_the_allowance_of_each_difference():
    allowances = [{'id': 'a', 'location': 'outputs.*', 'reason': 'r',
                   'source': 's'}]
    made = entry.compare('t', 's', {'outputs': {'x': 1}},
                         {'outputs': {'x': 2}}, allowances)
    assert made['allowed'] and made['allowed_by'] == ['a']


def test_count():
    entries = [entry.make('t', 'a', []),
               entry.make('t', 'b', [_difference('x')]),
               entry.make('t', 'c', [_difference()]),
               entry.make('t', 'd', incomplete='no observation'),
               entry.make('t', 'e', path='p', reference={},
                          not_compared='did not run')]
    assert entry.count(entries) == {
        'pairs': 5, 'equal': 1, 'allowed': 1, 'different': 1,
        'incomplete': 1, 'not_compared': 1, 'noisy_by_shape': 0}
