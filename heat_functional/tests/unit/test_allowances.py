"""Every shipped allowance is no wider than the differences it names.

Each allowance in parity-allowances.yaml lists the differences it was
written for (``examples``, as runs showed them). For each example:

- it is excused (the allowance still covers what it was written for);
- the same location with another value is not: every side the allowance
  constrains is changed in turn, and every allowance constrains a side;
- a sibling location is not: the last component of the location that
  the allowance names literally is changed (``events['<stack>']`` to
  ``events['hf_sibling']``; where the allowance matches every key of a
  family, as ``events*`` does, the family itself is changed:
  ``hf_sibling['copy']``). A location pattern of ``*`` alone fails.
"""

import re

import pytest

from heat_functional import config
from heat_functional import parity

ALLOWANCES = parity.load_allowances(config.ALLOWANCES_FILE)
EXAMPLES = [(a, example) for a in ALLOWANCES
            for example in a.get('examples') or [{}]]
SIBLING = 'hf_sibling'
COMPONENT = re.compile(r"^[^.\[]+|\.[^.\[]+|\[[^\]]*\]")


def _ids(value):
    allowance, example = value
    return '%s:%s' % (allowance['id'], example.get('location'))


def _covered(allowance, location, legacy, convergence):
    difference = {'location': location, 'legacy': legacy,
                  'convergence': convergence}
    return parity.allowance_matches(allowance, '_any_template',
                                    _scenario(allowance), difference)


def _scenario(allowance):
    return allowance.get('scenario', 'lifecycle/x').replace('*', 'x')


def components(location):
    return COMPONENT.findall(location)


def with_component(parts, index):
    part = parts[index]
    if part.startswith('['):
        replaced = "['%s']" % SIBLING
    elif part.startswith('.'):
        replaced = '.' + SIBLING
    else:
        replaced = SIBLING
    return ''.join(parts[:index] + [replaced] + parts[index + 1:])


def test_every_allowance_names_its_examples_and_a_narrow_location():
    for allowance in ALLOWANCES:
        assert allowance.get('examples'), allowance['id']
        for pattern in parity.location_patterns(allowance):
            assert pattern.strip('*'), (allowance['id'], pattern)


def test_components_put_back_together():
    for location in ("events['group/<stack>']", 'resources.a.status',
                     'second_update', "outputs['a b'].x"):
        assert ''.join(components(location)) == location


@pytest.mark.parametrize('case', EXAMPLES, ids=_ids)
def test_the_example_is_excused(case):
    allowance, example = case
    assert _covered(allowance, example['location'], example['legacy'],
                    example['convergence'])


@pytest.mark.parametrize('case', EXAMPLES, ids=_ids)
def test_another_value_is_not_excused(case):
    allowance, example = case
    sides = [side for side in ('legacy', 'convergence')
             if side in allowance or
             (side == 'convergence' and 'convergence_appends' in allowance)]
    assert sides, '%s excuses any value' % allowance['id']
    for side in sides:
        changed = dict(example, **{side: 'hf-another-value'})
        assert not _covered(allowance, changed['location'],
                            changed['legacy'], changed['convergence']), side


@pytest.mark.parametrize('case', EXAMPLES, ids=_ids)
def test_a_sibling_location_is_not_excused(case):
    allowance, example = case
    parts = components(example['location'])
    for index in reversed(range(len(parts))):
        sibling = with_component(parts, index)
        if not _covered(allowance, sibling, example['legacy'],
                        example['convergence']):
            return
        assert any('*' in p for p in parity.location_patterns(allowance)), (
            '%s excuses the sibling %s' % (allowance['id'], sibling))
    pytest.fail('%s excuses every sibling of %s'
                % (allowance['id'], example['location']))
