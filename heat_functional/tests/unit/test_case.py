"""Unit tests of heat_functional.case.Case.

Covers what a case takes from its pytest item (id, template, scenario
with the lifecycle step, path) and ``check_deleted``: polling the
deployment's stack rows until they are all marked deleted, or
``DELETE_SETTLE`` seconds have passed.
"""

import time

import pytest

from heat_functional import config
from heat_functional import corpus
from heat_functional import case as case_module

TEMPLATE = corpus.Template('/corpus/group.yaml')


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def item(path='legacy', step_name='delete'):
    """What Case reads of a pytest item of test_lifecycle."""
    step = corpus.Step(step_name, step_name if step_name in (
        'create', 'delete') else 'update', TEMPLATE.path)
    return Fake(name='test_lifecycle[group-%s-%s]' % (step_name, path),
                originalname='test_lifecycle',
                callspec=Fake(params={'template': TEMPLATE, 'step': step,
                                      'path': path}))


def test_case_of_a_lifecycle_step():
    case = case_module.Case(item('convergence', 'grow'))
    assert (case.id, case.template, case.scenario, case.path) == (
        'test_lifecycle[group-grow-convergence]', 'group', 'lifecycle/grow',
        'convergence')


def test_case_of_an_item_without_parameters():
    case = case_module.Case(Fake(name='test_alone', originalname='test_alone'))
    assert (case.id, case.template, case.scenario, case.path) == (
        'test_alone', None, 'alone', None)


def row(stack_id, name, depth, deleted, parent=None, convergence=False,
        action='DELETE', status='COMPLETE'):
    return {'id': stack_id, 'name': name, 'parent': parent,
            'convergence': convergence, 'action': action, 'status': status,
            'deleted': deleted, 'depth': depth, 'source': 'db'}


def tree(deleted, convergence=False):
    return [row('root', 'hf-group-legacy-abc', 0, deleted,
                convergence=convergence),
            row('child', 'hf-group-legacy-abc-group-x', 1, deleted,
                parent='root', convergence=convergence,
                status='IN_PROGRESS')]


class RowsDeployment(object):
    """stack_flags answers the script, one entry a call, then the last."""

    def __init__(self, *script):
        self.script = script
        self.calls = []

    kind = 'embedded'

    def stack_flags(self, path, stack_id):
        self.calls.append((path, stack_id))
        return self.script[min(len(self.calls), len(self.script)) - 1]

    def thread_report(self, path):
        self.calls.append(('thread report', path))
        return 'logs/heat-functional-%s_gurumeditation_1' % path


@pytest.fixture
def settle(monkeypatch):
    monkeypatch.setattr(config, 'STATE_PROBE_INTERVAL', 0)
    monkeypatch.setattr(config, 'DELETE_SETTLE', 0.05)


def test_rows_deleted_on_the_second_poll(settle):
    deployment = RowsDeployment(tree(False), tree(True))
    case = case_module.Case(item())
    assert case.check_deleted(deployment, 'root', False) == []
    assert deployment.calls == [('legacy', 'root')] * 2
    assert case.stacks == [
        {'id': 'root', 'name': 'hf-group-legacy-abc', 'parent': None,
         'path': None, 'depth': 0, 'convergence': False,
         'expected_convergence': False, 'source': 'db', 'deleted': True},
        {'id': 'child', 'name': 'hf-group-legacy-abc-group-x',
         'parent': 'root', 'path': None, 'depth': 1, 'convergence': False,
         'expected_convergence': False, 'source': 'db', 'deleted': True}]


def test_rows_deleted_at_once_are_read_once(settle):
    deployment = RowsDeployment(tree(True, convergence=True))
    case = case_module.Case(item('convergence'))
    assert case.check_deleted(deployment, 'root', True) == []
    assert deployment.calls == [('convergence', 'root')]
    assert [s['expected_convergence'] for s in case.stacks] == [True, True]


def test_rows_are_expected_to_have_the_flag_given(settle):
    rows = tree(True)
    rows[0]['convergence'] = True
    case = case_module.Case(item('legacy'))
    case.check_deleted(RowsDeployment(rows), 'root', True)
    assert [s['expected_convergence'] for s in case.stacks] == [True, True]
    assert [s['convergence'] for s in case.stacks] == [True, False]


def test_rows_never_deleted(settle):
    deployment = RowsDeployment(tree(False))
    case = case_module.Case(item())
    started = time.monotonic()
    problems = case.check_deleted(deployment, 'root', False)
    assert time.monotonic() - started >= config.DELETE_SETTLE
    assert problems == [
        'stack hf-group-legacy-abc of group (root) is still in the database '
        '0.05 s after its delete (DELETE_COMPLETE)',
        'stack hf-group-legacy-abc-group-x of group (child) is still in the '
        'database 0.05 s after its delete (DELETE_IN_PROGRESS)',
        'What every thread of the Heat of legacy was doing: '
        'logs/heat-functional-legacy_gurumeditation_1']
    assert deployment.calls[-1] == ('thread report', 'legacy')
    assert len(deployment.calls) > 1
    assert [s['deleted'] for s in case.stacks] == [False, False]


def test_only_the_rows_left_are_reported(settle):
    rows = tree(True)
    rows[1]['deleted'] = False
    problems = case_module.Case(item()).check_deleted(
        RowsDeployment(rows), 'root', False)
    assert problems == [
        'stack hf-group-legacy-abc-group-x of group (child) is still in the '
        'database 0.05 s after its delete (DELETE_IN_PROGRESS)',
        'What every thread of the Heat of legacy was doing: '
        'logs/heat-functional-legacy_gurumeditation_1']


def test_no_rows_at_all(settle):
    deployment = RowsDeployment([])
    case = case_module.Case(item())
    assert case.check_deleted(deployment, 'root', False) == []
    assert deployment.calls == [('legacy', 'root')]
    assert case.stacks == []
