"""Unit tests of the flag lifecycle: flag_lifecycle, probe, and a flag
mismatch from the case up to the gate.

A nested stack whose flag differs from its root's makes ``check_flags``
name the stack and its template, ``Case.require`` fails the case, and
the report's verdict fails naming the stack. Also: the step order of the
flip and migrate scenarios, references, detached outcomes handed over to
a test item's case, the migrate step's decisions (migrated, refused,
wrongly accepted), the probe's template change and answers, and the
early flag check right after a flip or a migration (``check_after_change``):
a changed flag fails the next step at once and halts the stack, whose
later steps then fail without touching Heat.
"""

from unittest import mock

import pytest

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import corpus
from heat_functional import flag_lifecycle
from heat_functional import known_bugs
from heat_functional import lifecycle
from heat_functional import probe
from heat_functional.results import report
from heat_functional.results import table

TEMPLATE = corpus.Template('/corpus/group.yaml')


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def flags(root=False, child=False):
    return [
        {'id': 'root', 'name': 'hf-group-flip-on-abc', 'parent': None,
         'depth': 0, 'convergence': root, 'deleted': False, 'source': 'db',
         'action': 'UPDATE', 'status': 'COMPLETE'},
        {'id': 'child', 'name': 'hf-group-flip-on-abc-group-x',
         'parent': 'root', 'depth': 1, 'convergence': child,
         'deleted': False, 'source': 'db', 'action': 'UPDATE',
         'status': 'COMPLETE'},
    ]


class Deployment(object):
    def __init__(self, rows, refuse=None):
        self.rows = rows
        self.refuse = refuse
        self.migrated = []

    def stack_flags(self, path, stack_id):
        return self.rows

    def convergence_engine(self, path):
        return False

    def migrate_convergence(self, path, stack_id):
        if self.refuse:
            raise RuntimeError(self.refuse)
        self.migrated.append(stack_id)
        for row in self.rows:
            row['convergence'] = True
        return {'method': 'heat-manage'}


def detached(scenario='flip-on/grow', path='flip-on'):
    return case_module.Case.detached('test_flip[x]', 'group', scenario, path)


# -- a flag mismatch, from the case to the gate --------------------------

def test_nested_flag_mismatch_fails_the_case_and_the_gate():
    case = detached()
    tree = [{'id': 'root', 'path': ''}, {'id': 'child', 'path': 'group'}]
    problems = case.check_flags(Deployment(flags(child=True)), 'root', tree,
                                False)
    assert problems == ['stack hf-group-flip-on-abc-group-x of group (child) '
                        'has convergence=True, expected False']
    with pytest.raises(pytest.fail.Exception) as failed:
        case.require(problems)
    record = case.record('failed', failed.value.msg, 1.0)
    result = report.build([record], {}, ['legacy', 'convergence'])
    assert result['verdict'] == 'fail'
    assert any('hf-group-flip-on-abc-group-x' in reason and
               'flag mismatch' in reason for reason in result['reasons'])
    assert [(c['name'], c['ok']) for c in result['flag_checks']] == [
        ('hf-group-flip-on-abc', True),
        ('hf-group-flip-on-abc-group-x', False)]


# -- scenario shapes -------------------------------------------------------

def test_flip_and_migrate_steps():
    template = Fake(steps=[Fake(name='create'), Fake(name='grow'),
                           Fake(name='delete')])
    assert flag_lifecycle.flip_steps(template) == [
        'create', 'grow', 'delete', 'new-create', 'new-delete']
    assert flag_lifecycle.migrate_steps(template) == [
        'create', 'migrate', 'grow', 'delete']


def test_reference_names_the_parity_case_of_the_flags_path():
    assert flag_lifecycle.reference('grow', False, 'why') == {
        'scenario': 'lifecycle/grow', 'path': 'legacy', 'why': 'why'}
    assert flag_lifecycle.reference('create', True, 'why')['path'] == \
        'convergence'


def test_detached_outcome_is_handed_over_with_its_failure():
    def work(case):
        case.observation = {'stack': 'UPDATE_COMPLETE'}
        case.require(['it went wrong'])
    outcome = flag_lifecycle.run_detached(work, detached())
    assert outcome.case.elapsed is not None
    item_case = detached()
    item_case.id = 'test_flip[flip-on-group-grow]'
    with pytest.raises(pytest.fail.Exception, match='it went wrong'):
        outcome.hand_over(item_case)
    assert item_case.id == 'test_flip[flip-on-group-grow]'
    assert item_case.observation == {'stack': 'UPDATE_COMPLETE'}
    assert item_case.record('failed', 'x', 99)['duration_s'] == \
        outcome.case.elapsed


# -- the migrate step ------------------------------------------------------

class Stacks(object):
    def __init__(self, status):
        self.status = status

    def get(self, stack_id):
        return Fake(stack_status=self.status)


def migrating(status, rows, refuse=None):
    driver = Fake(heat=Fake(stacks=Stacks(status)),
                  call=lambda step, function, *args: function(*args))
    life = lifecycle.Lifecycle(TEMPLATE, 'legacy', driver, False)
    life.stack_id = 'root'
    return life, Deployment(rows, refuse)


def test_migrate_converts_a_complete_stack_and_expects_true_after():
    life, deployment = migrating('CREATE_COMPLETE', flags())
    case = detached('migrate/migrate', 'legacy')
    flag_lifecycle.migrate(life, case, deployment)
    assert deployment.migrated == ['root']
    assert life.expected_convergence is True
    assert [s['convergence'] for s in case.stacks] == [True, True]


def test_migrate_expects_a_refusal_for_a_failed_stack():
    life, deployment = migrating(
        'CREATE_FAILED', flags(), refuse='409: Stack x has an action '
        '(CREATE) in progress or failed state.')
    case = detached('migrate/migrate', 'legacy')
    flag_lifecycle.migrate(life, case, deployment)
    assert life.expected_convergence is False
    assert 'refused' in case.migration


def test_migrate_fails_when_heat_accepts_a_failed_stack():
    life, deployment = migrating('UPDATE_FAILED', flags())
    with pytest.raises(pytest.fail.Exception, match='must refuse'):
        flag_lifecycle.migrate(life, detached('migrate/migrate', 'legacy'),
                               deployment)
    assert life.stopped_by == 'migrate'


def test_migrate_fails_when_a_complete_stack_is_refused():
    life, deployment = migrating('UPDATE_COMPLETE', flags(),
                                 refuse='500: NoEngineContextEstablished')
    with pytest.raises(pytest.fail.Exception, match='was refused'):
        flag_lifecycle.migrate(life, detached('migrate/migrate', 'legacy'),
                               deployment)


# -- the probe -------------------------------------------------------------

def test_probe_resource_is_added_to_hot_and_cfn_templates():
    hot = {'heat_template_version': '2021-04-16',
           'resources': {'a': {'type': 'OS::Heat::None'}}}
    probed = probe.with_probe_resource(hot, {'a'})
    assert set(probed['resources']) == {'a', probe.PROBE_RESOURCE}
    assert probed['resources'][probe.PROBE_RESOURCE]['depends_on'] == ['a']
    assert hot['resources'] == {'a': {'type': 'OS::Heat::None'}}
    cfn = {'AWSTemplateFormatVersion': '2010-09-09'}
    probed = probe.with_probe_resource(cfn, {'b', 'a'})
    assert probed['Resources'][probe.PROBE_RESOURCE]['Type'] == \
        'OS::Heat::TestResource'
    assert probed['Resources'][probe.PROBE_RESOURCE]['DependsOn'] == [
        'a', 'b']
    assert 'depends_on' not in probe.with_probe_resource(hot)[
        'resources'][probe.PROBE_RESOURCE]


def test_probe_answers():
    assert probe.answer_means_convergence(True) is True
    assert probe.answer_means_convergence(
        False, 'ActionInProgress: Stack x already has an action') is False
    with pytest.raises(client.HeatError, match='not because an action'):
        probe.answer_means_convergence(False, 'NotSupported: deleting')


def _resource(name, status):
    return mock.Mock(resource_name=name, resource_status=status)


def test_probe_waits_for_its_resource_alone_in_progress():
    name = probe.PROBE_RESOURCE
    probing = _resource(name, 'CREATE_IN_PROGRESS')
    assert client.alone_in_progress(
        [probing, _resource('a', 'UPDATE_COMPLETE')], name)
    assert not client.alone_in_progress(
        [probing, _resource('a', 'UPDATE_IN_PROGRESS')], name)
    assert not client.alone_in_progress(
        [_resource('a', 'UPDATE_COMPLETE')], name)
    assert not client.alone_in_progress(
        [_resource(name, 'CREATE_COMPLETE')], name)


def test_probe_names_resources_lost_or_replaced():
    before = {(None, 'left'): 'id1', (None, 'right'): 'id2',
              ('id1', 'one'): 'id3'}
    assert probe.lost_resources(before, dict(before)) == []
    after = {(None, 'right'): 'id2', ('id1', 'one'): 'other'}
    assert probe.lost_resources(before, after) == [
        'left (of the root)', 'one (of id1)']


# -- the known bug of nested stacks created after a change ----------------

def test_known_bug_explains_only_new_nested_stacks_with_the_option():
    before = flags(root=True, child=True)
    deployment = Deployment(before)
    life = lifecycle.Lifecycle(TEMPLATE, 'legacy', None, True)
    life.stack_id = 'root'
    flag_lifecycle.known_after_change(deployment, life, option=False)
    new = dict(before[1], id='grown', name='hf-group-x-group-new',
               convergence=False)
    old_wrong = dict(before[1], convergence=False)
    bug = flag_lifecycle.NESTED_TAKES_OPTION
    assert life.known_flag_bug(new, True) == (True, bug)
    assert life.known_flag_bug(old_wrong, True) == (True, None)
    assert life.known_flag_bug(dict(new, convergence=True), True) == (
        True, None)
    assert life.known_flag_bug(dict(new, depth=0), True) == (True, None)

    deployment.rows = [before[0], old_wrong, new]
    case = detached('migrate/grow', 'legacy')
    problems = case.check_flags(deployment, 'root', [], True,
                                life.known_flag_bug)
    assert problems == ['stack hf-group-flip-on-abc-group-x of group (child) '
                        'has convergence=False, expected True']
    assert [s.get('known_bug') for s in case.stacks] == [
        None, None, flag_lifecycle.NESTED_TAKES_OPTION]


def test_known_bug_seen_passes_the_gate_but_blocks_the_default():
    case = detached('migrate/grow', 'legacy')
    case.parity = 'none'
    deployment = Deployment(flags(root=True, child=False))
    case.check_flags(deployment, 'root', [], True,
                     lambda row, expected: (expected, (
                         flag_lifecycle.NESTED_TAKES_OPTION
                         if row['depth'] else None)))
    bugs = known_bugs.load()
    assert flag_lifecycle.NESTED_TAKES_OPTION in [b['id'] for b in bugs]
    result = report.build([case.record('passed', None, 1.0)], {},
                          ['legacy', 'convergence'], known_bugs=bugs)
    assert result['verdict'] == 'pass'
    assert result['may_change_default'] is False
    assert any(b.startswith('known Heat bug %s'
                            % flag_lifecycle.NESTED_TAKES_OPTION)
               for b in result['default_blockers'])
    assert result['summary']['flags']['known_bug'] == 1
    assert [b['id'] for b in result['known_bugs'] if b['seen']] == [
        flag_lifecycle.NESTED_TAKES_OPTION]
    assert 'known Heat bug' in table.render(result)


def test_rows_deleted_before_the_change_keep_their_old_flag():
    rows = flags(root=False, child=False)
    rows[1]['deleted'] = True       # e.g. a legacy backup stack
    deployment = Deployment(rows)
    life = lifecycle.Lifecycle(TEMPLATE, 'legacy', None, False)
    life.stack_id = 'root'
    flag_lifecycle.known_after_change(deployment, life, option=False)
    deployment.rows = [dict(rows[0], convergence=True, deleted=True),
                       rows[1]]
    case = detached('migrate/delete', 'legacy')
    assert case.check_deleted(deployment, 'root', True,
                              life.known_flag_bug) == []
    assert [(s['convergence'], s['expected_convergence'])
            for s in case.stacks] == [(True, True), (False, False)]


# -- evidence right after a change: the early flag check ------------------

class StepRan(Exception):
    """A step of SHAPED began to run (it loads its template first)."""


def _begin():
    raise StepRan()


def steps(*kinds):
    return [Fake(name=name, kind=kind, load=_begin) for name, kind in kinds]


SHAPED = Fake(name='group', requires=[], error=None, steps=steps(
    ('create', 'create'), ('grow', 'update'), ('shrink', 'update'),
    ('delete', 'delete')))


class Untouchable(object):
    """A driver no step may use: a halted lifecycle runs nothing (its
    bookkeeping of resent requests may be read)."""

    race_resends = []

    def __getattr__(self, name):
        raise AssertionError('a halted lifecycle used its driver (%s)'
                             % name)


def old_stack(expected=False):
    life = lifecycle.Lifecycle(SHAPED, 'flip-on', Untouchable(), expected)
    life.stack_id = 'root'
    return life


def test_early_check_of_right_flags_records_them_and_lets_steps_run():
    life = old_stack()
    case = detached()
    assert flag_lifecycle.check_after_change(
        life, case, Deployment(flags()), 'right after the flip') == []
    assert life.halted is None
    assert [(s['id'], s['convergence'], s['expected_convergence'])
            for s in case.stacks] == [('root', False, False),
                                      ('child', False, False)]


def test_early_check_of_a_changed_flag_names_it_and_halts_the_stack():
    life = old_stack()
    case = detached()
    problems = flag_lifecycle.check_after_change(
        life, case, Deployment(flags(root=True, child=True)),
        'right after the flip of flip-on to convergence_engine=True')
    assert problems == [
        'stack hf-group-flip-on-abc of group (root) has convergence=True, '
        'expected False',
        'stack hf-group-flip-on-abc-group-x of group (child) has '
        'convergence=True, expected False']
    assert life.halted.splitlines() == [
        'the flags of the stack of group on flip-on are wrong right after '
        'the flip of flip-on to convergence_engine=True:',
        '  ' + problems[0], '  ' + problems[1],
        'not run, nor any later step of that stack (delete included): a '
        'step on a stack whose path changed under it can wait until the '
        'stack timeout']
    # The flags go to the record, as after any step.
    assert [s['convergence'] for s in case.stacks] == [True, True]
    # Every later step fails at once, delete included: failed, not skipped.
    for step in SHAPED.steps[1:]:
        with pytest.raises(pytest.fail.Exception) as failed:
            lifecycle.skip_unless_runnable(life, step, SHAPED, 'flip-on')
        assert failed.value.msg == life.halted


def test_early_check_halts_even_a_stopped_lifecycle_with_a_failure():
    life = old_stack()
    life.stopped_by = 'create'
    flag_lifecycle.check_after_change(life, detached(),
                                      Deployment(flags(root=True)), 'now')
    with pytest.raises(pytest.fail.Exception):
        lifecycle.skip_unless_runnable(life, SHAPED.steps[1], SHAPED,
                                       'flip-on')


def test_early_check_explains_a_known_bug_without_halting():
    life = old_stack()
    life.known_flag_bug = lambda row, expected: (expected, (
        flag_lifecycle.NESTED_TAKES_OPTION if row['depth'] else None))
    case = detached()
    assert flag_lifecycle.check_after_change(
        life, case, Deployment(flags(child=True)), 'now') == []
    assert life.halted is None
    assert case.stacks[1]['known_bug'] == flag_lifecycle.NESTED_TAKES_OPTION


def test_early_check_of_flags_it_cannot_read_halts_the_stack():
    class Broken(Deployment):
        def stack_flags(self, path, stack_id):
            raise RuntimeError('database gone')
    life = old_stack()
    problems = flag_lifecycle.check_after_change(life, detached(),
                                                 Broken([]), 'now')
    assert problems == ['the flags of group (root) could not be read: '
                        'RuntimeError: database gone']
    assert life.halted


def test_early_check_without_a_flag_reader_claims_nothing():
    class Blind(Deployment):
        kind = 'external'

        def stack_flags(self, path, stack_id):
            return None
    life = old_stack()
    case = detached()
    assert flag_lifecycle.check_after_change(life, case, Blind([]),
                                             'now') == []
    assert life.halted is None
    assert case.flags_unverified


class FlipCell(Deployment):
    """The toggle cell flip-on, restarted with the option flipped."""

    toggles = {'flip-on': False}

    def __init__(self, rows):
        super(FlipCell, self).__init__(rows)
        self.engine = False

    def restart(self, path, convergence_engine):
        self.engine = convergence_engine

    def convergence_engine(self, path):
        return self.engine


def flipped(rows_after):
    deployment = FlipCell(flags())
    flip = flag_lifecycle.Flip(deployment, 'flip-on', [SHAPED], 1)
    flip.lifecycles[('group', 'old')] = old_stack()
    flip._flip()
    deployment.rows = rows_after
    flip._check_old_stacks()
    flip._old_steps(SHAPED)
    return flip


def test_flip_fails_every_later_step_of_a_stack_whose_flag_changed():
    flip = flipped(flags(root=True, child=False))
    first = flip.outcomes[('group', 'grow')]
    assert isinstance(first.error, pytest.fail.Exception)
    assert 'stack hf-group-flip-on-abc of group (root) has ' \
        'convergence=True, expected False' in first.error.msg
    assert 'right after the flip of flip-on to convergence_engine=True' \
        in first.error.msg
    assert [(s['id'], s['convergence'], s['expected_convergence'])
            for s in first.case.stacks] == [('root', True, False),
                                            ('child', False, False)]
    assert first.case.elapsed < 5
    for name in ('shrink', 'delete'):
        later = flip.outcomes[('group', name)]
        assert isinstance(later.error, pytest.fail.Exception), name
        assert later.error.msg == first.error.msg
    item_case = detached()
    with pytest.raises(pytest.fail.Exception):
        first.hand_over(item_case)
    assert item_case.stacks == first.case.stacks


def test_flip_with_sticky_flags_runs_the_steps_on_the_checked_case():
    flip = flipped(flags())
    assert flip.lifecycles[('group', 'old')].halted is None
    first = flip.outcomes[('group', 'grow')]
    # The step ran, on the case that holds the flags read right after
    # the flip.
    assert isinstance(first.error, StepRan)
    assert [s['convergence'] for s in first.case.stacks] == [False, False]
    assert 'flags' in first.case.timings


def test_a_halted_stack_is_only_asked_to_go_at_clean_up():
    asked = []
    driver = Fake(heat=Fake(stacks=Fake(delete=asked.append)),
                  call=lambda step, function, *args: function(*args),
                  delete=lambda stack_id: pytest.fail('waited for a '
                                                      'delete'))
    life = lifecycle.Lifecycle(SHAPED, 'flip-on', driver, False)
    life.stack_id, life.halted = 'root', 'its flags changed'
    flip = flag_lifecycle.Flip(FlipCell(flags()), 'flip-on', [SHAPED], 1)
    flip.lifecycles[('group', 'old')] = life
    flip.clean_up()
    assert asked == ['root']


# -- the migrate scenario: right after the migration, and before each step

class HalfMigration(Deployment):
    """Heat that converts the root only, leaving a nested stack legacy."""

    paths = ['legacy', 'convergence']
    cannot_migrate = None

    def lacks(self, requirement):
        return None

    def migrate_convergence(self, path, stack_id):
        self.rows[0]['convergence'] = True
        return {'method': 'heat-manage'}


def test_a_wrong_flag_right_after_the_migration_halts_the_stack():
    life, _ = migrating('CREATE_COMPLETE', flags())
    life_rows = flags()
    deployment = HalfMigration(life_rows)
    with pytest.raises(pytest.fail.Exception) as failed:
        flag_lifecycle.migrate(life, detached('migrate/migrate', 'legacy'),
                               deployment)
    assert 'stack hf-group-flip-on-abc-group-x of group (child) has ' \
        'convergence=False, expected True' in failed.value.msg
    assert life_rows[1]['convergence'] is False
    assert life.halted and 'right after its migration' in life.halted
    with pytest.raises(pytest.fail.Exception):
        lifecycle.skip_unless_runnable(life, Fake(name='delete',
                                                  kind='delete'),
                                       TEMPLATE, 'legacy')


def test_migrate_scenario_checks_the_flags_before_each_later_step():
    deployment = HalfMigration(flags(root=True, child=True))
    migrations = lifecycle.Registry()
    life = migrations.start(SHAPED, 'legacy', Untouchable(), True)
    life.stack_id = 'root'
    deployment.rows[0]['convergence'] = False   # changed behind its back
    case = detached('migrate/grow', 'legacy')
    with pytest.raises(pytest.fail.Exception) as failed:
        flag_lifecycle.run_migrate_case(SHAPED, 'grow', deployment,
                                        migrations, case)
    assert 'wrong before step grow' in failed.value.msg
    assert 'stack hf-group-flip-on-abc of group (root) has ' \
        'convergence=False, expected True' in failed.value.msg
    assert [s['convergence'] for s in case.stacks] == [False, True]
