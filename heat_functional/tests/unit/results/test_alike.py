"""Unit tests of "no sidecar, no expectation beyond parity".

Covers ``lifecycle._expectations`` and ``observe_and_check``'s record of
a step held to parity only (its status unchecked unless --strict),
``Lifecycle.moot_reason`` (a failed create gets no update-self unless
the sidecar declares updates), ``alike.failed_alike`` and the report:
a pair that failed alike passes and is listed apart with each path's
reason; a pair where one path failed is a difference that fails the
gate; moot skips are listed and not counted.
"""

import contextlib

import pytest

from heat_functional import corpus
from heat_functional import lifecycle
from heat_functional.results import accounting
from heat_functional.results import alike
from heat_functional.results import pairing
from heat_functional.results import report
from heat_functional.results import table

PATHS = ['legacy', 'convergence']


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def failed_stack(reason='Resource CREATE failed: boom'):
    return Fake(action='CREATE', status='FAILED',
                stack_status_reason=reason)


def observed(status='CREATE_FAILED'):
    return {'stack': status, 'outputs': {}, 'resources': {}, 'nested': [],
            'events': {}}


# -- status checks held to parity only -------------------------------------

PLAIN = corpus.Template('/corpus/plain.yaml')


def test_an_undeclared_step_held_to_parity_only_is_not_checked():
    create = PLAIN.steps[0]
    assert not create.declared
    assert lifecycle._expectations(create, failed_stack(),
                                   observed(), 'plain', 'legacy',
                                   held_to_status=False) == []
    # --strict: today's rule.
    assert lifecycle._expectations(create, failed_stack(), observed(),
                                   'plain', 'legacy') == [
        'create of plain on legacy ended CREATE_FAILED, expected '
        'CREATE_COMPLETE: Resource CREATE failed: boom']


class RecordingCase(object):
    def __init__(self):
        self.transient = []
        self.observation = None
        self.heat_reason = None
        self.held_to_parity_only = False

    def timed(self, phase):
        return contextlib.nullcontext()

    def check_flags(self, *args, **kwargs):
        return []


@pytest.mark.parametrize('strict, declaration, held, problems', [
    ('0', {}, False, 0),
    ('1', {}, True, 1),
    ('0', {'expect': {'status': 'CREATE_COMPLETE'}}, True, 1),
])
def test_observe_and_check_records_how_the_step_was_held(
        monkeypatch, strict, declaration, held, problems):
    monkeypatch.setenv(lifecycle.config.STRICT_ENV, strict)
    template = corpus.Template('/corpus/plain.yaml', declaration)
    found = lifecycle.Lifecycle(template, 'legacy', 'driver', False)
    found.stack_id = 'stack-id'
    monkeypatch.setattr(lifecycle.observation, 'observe',
                        lambda *a, **k: Fake(
                            observation=observed(), tree=[],
                            placeholders=lifecycle.observation.Placeholders(
                                {})))
    case = RecordingCase()
    found_problems = lifecycle.observe_and_check(
        found, template.steps[0], failed_stack(), case, 'deployment')
    assert len(found_problems) == problems
    assert case.held_to_parity_only is not held
    assert case.heat_reason == 'Resource CREATE failed: boom'


def test_an_undeclared_failed_create_leaves_the_suites_nothing(
        monkeypatch):
    """actions and failures need a complete stack: after an undeclared
    create that failed (held to parity only) their steps are moot; after
    a declared one, or a create that completed, they are not."""
    monkeypatch.setenv(lifecycle.config.STRICT_ENV, '0')
    found = lifecycle.Lifecycle(PLAIN, 'legacy', 'driver', False)
    assert found.parity_only and found.incomplete_stack() is None
    found.created, found.create_held_to_parity_only = 'CREATE_FAILED', True
    assert 'moot: the create of plain on legacy ended CREATE_FAILED' in \
        found.incomplete_stack()
    found.created = 'CREATE_COMPLETE'
    assert found.incomplete_stack() is None
    found.created, found.create_held_to_parity_only = 'CREATE_FAILED', False
    assert found.incomplete_stack() is None


# -- a failed create gets no update-self -----------------------------------

def created(template, status):
    found = lifecycle.Lifecycle(template, 'legacy', 'driver', False)
    found.stack_id, found.created = 'stack-id', status
    return found


def test_a_failed_create_makes_update_self_moot():
    found = created(PLAIN, 'CREATE_FAILED')
    update_self = PLAIN.step('update-self')
    assert found.moot_reason(update_self) == (
        'moot: the create of plain on legacy ended CREATE_FAILED, and a '
        'failed create gets no update-self unless its sidecar declares '
        'updates')
    with pytest.raises(lifecycle.case_module.Moot):
        lifecycle.skip_unless_runnable(found, update_self, PLAIN, 'legacy')
    # The delete still runs.
    assert lifecycle.skip_unless_runnable(found, PLAIN.steps[-1], PLAIN,
                                          'legacy') is None


def test_a_complete_create_keeps_update_self():
    assert created(PLAIN, 'CREATE_COMPLETE').moot_reason(
        PLAIN.step('update-self')) is None


def test_declared_updates_run_after_a_failed_create():
    template = corpus.Template('/corpus/t.yaml', {'updates': [
        {'name': 'update-self'}]})
    assert created(template, 'CREATE_FAILED').moot_reason(
        template.step('update-self')) is None


# -- failed alike in the report --------------------------------------------

def record(path, status='CREATE_FAILED', held=True, outcome='passed',
           scenario='lifecycle/create', template='plain', reason=None):
    return {
        'id': 'test_lifecycle[%s-%s-%s]' % (template, scenario, path),
        'template': template, 'scenario': scenario, 'path': path,
        'suite': 'lifecycle', 'outcome': outcome, 'message': None,
        'stacks': [], 'observation': observed(status),
        'held_to_parity_only': held,
        'heat_reason': reason or 'boom on %s' % path,
    }


def test_failed_alike_is_equal_and_listed_apart_with_each_reason():
    cases = [record('legacy'), record('convergence')]
    built = report.build(cases, {}, PATHS)
    assert built['verdict'] == 'pass'
    assert built['summary']['parity']['equal'] == 1
    assert built['failed_alike'] == [{
        'template': 'plain', 'scenario': 'lifecycle/create',
        'status': {'legacy': 'CREATE_FAILED',
                   'convergence': 'CREATE_FAILED'},
        'reasons': {'legacy': 'boom on legacy',
                    'convergence': 'boom on convergence'}}]
    text = table.render(built)
    assert ('failed alike on both paths (held to parity only: no expect '
            'in a sidecar, no --strict): 1') in text
    assert '  plain/lifecycle/create: CREATE_FAILED' in text
    assert '    legacy: boom on legacy' in text


def test_a_failure_on_one_path_only_is_a_difference():
    cases = [record('legacy'), record('convergence', 'CREATE_COMPLETE')]
    built = report.build(cases, {}, PATHS)
    assert built['verdict'] == 'fail'
    assert built['failed_alike'] == []
    assert any(r.startswith('parity of plain/lifecycle/create: 1 '
                            'difference(s), first at stack')
               for r in built['reasons'])


def test_a_declared_failure_is_not_failed_alike():
    cases = [record('legacy', held=False), record('convergence', held=False)]
    assert alike.failed_alike(cases, pairing.compare_pairs(cases, PATHS, ()),
                              ('legacy', 'convergence')) == []


def test_a_rolled_back_update_is_a_failure():
    assert alike.is_failure('ROLLBACK_COMPLETE')
    assert alike.is_failure('UPDATE_FAILED')
    assert not alike.is_failure('UPDATE_COMPLETE')
    assert not alike.is_failure(None)


def test_moot_skips_are_listed_and_not_counted():
    cases = [record('legacy', 'CREATE_COMPLETE', held=False),
             record('convergence', 'CREATE_COMPLETE', held=False)]
    for path in PATHS:
        skipped = record(path, scenario='lifecycle/update-self',
                         outcome='skipped')
        skipped.update(observation=None, skip_kind='moot',
                       message='moot: the create ended CREATE_FAILED')
        cases.append(skipped)
    built = report.build(cases, {}, PATHS)
    assert built['verdict'] == 'pass'
    assert [m['why'] for m in built['moot']] == [
        'moot: the create ended CREATE_FAILED'] * 2
    rows = accounting.coverage(cases)
    assert [(r['ran'], r['moot'], r['skipped']) for r in rows] == [
        (1, 1, 0), (1, 1, 0)]
    assert accounting.skip_problems(rows, cases) == []


@pytest.mark.parametrize('longrepr, reason', [
    (('case.py', 46, 'heat_functional.case.Moot: moot: no stack'),
     'moot: no stack'),
    (('case.py', 30, 'heat_functional.case.UnmetRequirement: t requires '
      'keystone'), 't requires keystone'),
    (('x.py', 1, 'Skipped: not run: step grow failed'),
     'Skipped: not run: step grow failed'),
])
def test_the_skip_reason_of_a_kind_of_skip_is_its_message(longrepr, reason):
    from heat_functional import plugin
    assert plugin._skip_reason(Fake(longrepr=longrepr)) == reason
