"""Property tests of the verdict (Hypothesis): no injected fault passes.

Hypothesis generates whole runs: templates with their steps, the
observations of each step (the same on both paths), flag rows, the flip
and migration evidence, the plan, with one to three repetitions and the
paths in either order. A clean run must pass and say the default may
change. Then one fault is injected; whatever the run, the verdict must
be *fail* (or, for missing evidence alone, the default must not change):

- a planned case without a record;
- a case that failed or errored;
- one path's difference mirrored (legacy shows what an allowance
  allows convergence only);
- a suite that skipped cases (not for an unmet requirement);
- a repetition outside an allowance's shape;
- a flag that does not match its path;
- pytest's exit status saying what the records do not;
- an interrupted run.
"""

import copy

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from heat_functional import config
from heat_functional import parity
from heat_functional import plan
from heat_functional.results import report
from heat_functional.tests.unit import evidence

ALLOWANCES = parity.load_allowances(config.ALLOWANCES_FILE)
NAMES = st.text(alphabet='abcdefgh_', min_size=1, max_size=6)
VALUES = st.one_of(st.integers(-3, 3), NAMES, st.booleans(), st.none())
CREATED = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']
REPLACED = ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']
FAULTS = ('missing', 'failed', 'error', 'mirrored', 'skipped',
          'repetition', 'flag', 'exit_status', 'interrupted')


@st.composite
def observations(draw):
    resources = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    return {
        'stack': 'CREATE_COMPLETE',
        'outputs': draw(st.dictionaries(NAMES, VALUES, max_size=3)),
        'resources': {r: {'status': 'CREATE_COMPLETE'} for r in resources},
        'events': {r: list(CREATED) for r in resources},
    }


@st.composite
def runs(draw):
    """(cases, planned, paths) of a clean run."""
    templates = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    repeat = draw(st.integers(1, 3))
    paths = draw(st.permutations(list(config.PATH_NAMES)))
    cases, planned = [], []
    for template in templates:
        steps = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
        for step in steps:
            seen = draw(observations())
            for path in paths:
                for repetition in range(1, repeat + 1):
                    case = _record(template, step, path, repetition, seen)
                    cases.append(case)
                    planned.append(plan.CaseKey(
                        case['id'], 'lifecycle', template, step, path,
                        repetition))
    for made in evidence.records():
        cases.append(made)
        planned.append(plan.CaseKey(made['id'], made['suite'],
                                    made['template'], 'create',
                                    made['path'], None))
    return cases, planned, paths


def _record(template, step, path, repetition, seen):
    expected = config.PATHS[path]
    return {
        'id': 'test_lifecycle[%s-%s-%s-r%d]' % (template, step, path,
                                                repetition),
        'suite': 'lifecycle', 'template': template,
        'scenario': 'lifecycle/%s' % step, 'path': path,
        'repetition': repetition, 'outcome': 'passed', 'message': None,
        'parity': 'pair', 'reference': None,
        'stacks': [{'id': 'id-%s' % template, 'name': 'hf-%s' % template,
                    'parent': None, 'convergence': expected,
                    'expected_convergence': expected}],
        'observation': copy.deepcopy(seen),
    }


def _build(cases, planned, paths, **extra):
    return report.build(cases, {}, paths, ALLOWANCES, planned=planned,
                        **extra)


def _lifecycle(cases, path=None):
    return [c for c in cases if c['suite'] == 'lifecycle' and
            (path is None or c['path'] == path)]


def _inject(fault, cases, planned, draw):
    """The run's cases and build arguments with `fault` in them."""
    cases = copy.deepcopy(cases)
    extra = {}
    victim = draw(st.sampled_from(_lifecycle(cases)))
    if fault == 'missing':
        cases = [c for c in cases if c is not victim]
    elif fault in ('failed', 'error'):
        victim.update(outcome=fault, message='broken')
    elif fault == 'skipped':
        victim.update(outcome='skipped', message='not run: a reason',
                      observation=None)
    elif fault == 'flag':
        victim['stacks'][0]['convergence'] = \
            not victim['stacks'][0]['expected_convergence']
    elif fault == 'exit_status':
        extra['exit_status'] = draw(st.sampled_from([1, 3, 4, 5]))
    elif fault == 'interrupted':
        extra['interrupted'] = 'stopped by SIGTERM'
    elif fault == 'mirrored':
        # What the replaced-resource allowance allows convergence alone.
        events = victim['observation']['events']
        resource = sorted(events)[0]
        for case in _lifecycle(cases, 'legacy'):
            if (case['template'], case['scenario']) == (
                    victim['template'], victim['scenario']):
                case['observation']['events'][resource] += REPLACED
    elif fault == 'repetition':
        # Allowed on convergence, but ending DELETE_FAILED in one run.
        siblings = [c for c in _lifecycle(cases, 'convergence')
                    if (c['template'], c['scenario']) ==
                    (victim['template'], victim['scenario'])]
        resource = sorted(victim['observation']['events'])[0]
        for number, case in enumerate(siblings):
            tail = REPLACED if number else ['DELETE_IN_PROGRESS',
                                            'DELETE_FAILED']
            case['observation']['events'][resource] += tail
    return cases, extra


@settings(max_examples=60, deadline=None)
@given(runs())
def test_a_clean_run_passes(run):
    cases, planned, paths = run
    built = _build(cases, planned, paths, exit_status=0)
    assert built['verdict'] == 'pass', built['reasons']
    assert built['may_change_default'] is True, built['default_blockers']


@settings(max_examples=60, deadline=None)
@given(runs(), st.sampled_from(FAULTS), st.data())
def test_no_injected_fault_passes(run, fault, data):
    cases, planned, paths = run
    faulty, extra = _inject(fault, cases, planned, data.draw)
    built = _build(faulty, planned, paths, **extra)
    assert built['verdict'] == 'fail', (fault, built['reasons'])
    assert built['may_change_default'] is False


@settings(max_examples=40, deadline=None)
@given(runs(), st.sampled_from(['flip-on', 'flip-back', 'migrate']))
def test_missing_evidence_never_lets_the_default_change(run, missing):
    cases, planned, paths = run
    kept = [c for c in cases if c['path'] != missing and
            c['suite'] != missing]
    built = report.build(kept, {}, paths, ALLOWANCES)
    assert built['may_change_default'] is False
    assert any('evidence missing' in b for b in built['default_blockers'])
