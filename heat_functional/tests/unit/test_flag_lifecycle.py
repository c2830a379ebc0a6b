"""Unit tests of the flag lifecycle: flag_lifecycle, probe, and a flag
mismatch from the case up to the gate.

A nested stack whose flag differs from its root's makes ``check_flags``
name the stack and its template, ``Case.require`` fails the case, and
the report's verdict fails naming the stack. Also: the step order of the
flip and migrate scenarios, references, detached outcomes handed over to
a test item's case, the migrate step's decisions (migrated, refused,
wrongly accepted), and the probe's template change and answers.
"""

from unittest import mock

import pytest

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import corpus
from heat_functional import flag_lifecycle
from heat_functional import lifecycle
from heat_functional import probe
from heat_functional import report

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
    bugs = report.load_known_bugs(config.KNOWN_BUGS_FILE)
    assert [b['id'] for b in bugs] == [flag_lifecycle.NESTED_TAKES_OPTION]
    result = report.build([case.record('passed', None, 1.0)], {},
                          ['legacy', 'convergence'], known_bugs=bugs)
    assert result['verdict'] == 'pass'
    assert result['may_change_default'] is False
    assert any(b.startswith('known Heat bug %s'
                            % flag_lifecycle.NESTED_TAKES_OPTION)
               for b in result['default_blockers'])
    assert result['summary']['flags']['known_bug'] == 1
    assert result['known_bugs'][0]['seen'] is True
    assert 'known Heat bug' in report.table(result)


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
