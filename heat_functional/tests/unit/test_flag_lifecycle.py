"""Unit tests of the flag lifecycle: flag_lifecycle, probe, and a flag
mismatch from the case up to the gate.

A nested stack whose flag differs from its root's makes ``check_flags``
name the stack and its template, ``Case.require`` fails the case, and
the report's verdict fails naming the stack. Also: the step order of the
flip and migrate scenarios, references, detached outcomes handed over to
a test item's case, the migrate step's decisions (migrated, refused,
wrongly accepted), and the probe's template change and answers.
"""

import pytest

from heat_functional import case as case_module
from heat_functional import client
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
    probed = probe.with_probe_resource(hot)
    assert set(probed['resources']) == {'a', probe.PROBE_RESOURCE}
    assert hot['resources'] == {'a': {'type': 'OS::Heat::None'}}
    cfn = {'AWSTemplateFormatVersion': '2010-09-09'}
    assert probe.with_probe_resource(cfn)['Resources'][
        probe.PROBE_RESOURCE]['Type'] == 'OS::Heat::TestResource'


def test_probe_answers():
    assert probe.answer_means_convergence(True) is True
    assert probe.answer_means_convergence(
        False, 'ActionInProgress: Stack x already has an action') is False
    with pytest.raises(client.HeatError, match='not because an action'):
        probe.answer_means_convergence(False, 'NotSupported: deleting')
