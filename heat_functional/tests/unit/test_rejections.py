"""Unit tests of rejections as outcomes.

Covers ``client.Rejected`` (what a refusal carries), ``rejections``
(the observation, with ids, the stack name and the template URL
normalised; the checks against a declared rejection), and
``lifecycle`` on a refused create (the refusal is the observation; the
later steps are moot) and a refused update (the stack is observed and
must be unchanged; later steps go on).
"""

import contextlib
import json

from heatclient import exc as heat_exc
import pytest

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import corpus
from heat_functional import lifecycle
from heat_functional import rejections

STACK_ID = '0b7e5d2c-1f3a-4c55-9d8e-2a6b7c8d9e0f'
MESSAGE = ('Property error: resources.facade.properties: the provider '
           'of stack ' + STACK_ID + ' has no output "value"')


def heat_error(cls=heat_exc.HTTPBadRequest, kind='StackValidationFailed',
               message=MESSAGE):
    return cls(json.dumps({'error': {'type': kind, 'message': message}}))


def rejected(cls=heat_exc.HTTPBadRequest, kind='StackValidationFailed',
             message=MESSAGE):
    return client.Rejected('create of t on legacy: ...',
                           heat_error(cls, kind, message))


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


# -- client.Rejected -------------------------------------------------------

def test_a_refused_create_raises_rejected_naming_heats_answer():
    def create(**fields):
        raise heat_error()
    deployment = Fake(client=lambda path: Fake(stacks=Fake(create=create)),
                      timeline_mark=lambda path: None)
    driver = client.StackDriver(deployment, 'legacy', 'facade')
    with pytest.raises(client.Rejected) as raised:
        driver.create('name', {})
    error = raised.value
    assert isinstance(error, client.HeatError)
    assert (error.status, error.error_type, error.heat_message) == (
        400, 'StackValidationFailed', MESSAGE)
    assert str(error) == ('create of facade on legacy: Heat answered 400 '
                          '(StackValidationFailed): ' + MESSAGE)


def test_a_refusal_without_a_body_keeps_the_status():
    error = client.Rejected('x', heat_exc.HTTPNotFound())
    assert error.status == 404
    assert error.error_type is None
    assert error.heat_message


# -- rejections ------------------------------------------------------------

def test_the_observation_normalises_what_differs_between_stacks():
    message = ('stack hf-t-legacy-a1b2c3 (%s): file:///corpus/files/p.yaml '
               'has no output' % STACK_ID)
    refusal = rejected(message=message)
    assert rejections.observe(refusal, 'hf-t-legacy-a1b2c3',
                              'file:///corpus/') == {
        'status': 400, 'error': 'StackValidationFailed',
        'message': 'stack <stack name> (<id>): files/p.yaml has no output'}


def test_two_paths_refusing_alike_observe_alike():
    one = rejections.observe(rejected(message=MESSAGE), 'hf-a', None)
    other = rejections.observe(rejected(message=MESSAGE.replace(
        STACK_ID, '11111111-2222-3333-4444-555555555555')), 'hf-b', None)
    assert one == other


def test_a_declared_rejection_met():
    expected = {'status': 400, 'error': 'has no output'}
    assert rejections.problems(expected, rejected(), 'create of t') == []
    # The error type counts as part of what Heat said.
    assert rejections.problems({'status': 400,
                                'error': 'StackValidationFailed'},
                               rejected(), 'create of t') == []
    assert rejections.problems({'status': 400, 'error': None}, rejected(),
                               'create of t') == []


def test_a_rejection_with_another_status_or_message():
    problems = rejections.problems({'status': 409, 'error': 'in use'},
                                   rejected(), 'create of t on legacy')
    said = '400 (StackValidationFailed): ' + MESSAGE
    assert problems == [
        'create of t on legacy: rejected with 400, expected 409: Heat '
        'answered ' + said,
        "create of t on legacy: the rejection does not say 'in use': Heat "
        "answered " + said]


def test_an_undeclared_rejection_names_heats_message():
    assert rejections.problems(None, rejected(), 'create of t on legacy') == [
        'create of t on legacy: Heat rejected the request, which the '
        'sidecar does not declare (expect: rejected): Heat answered 400 '
        '(StackValidationFailed): ' + MESSAGE]


def test_a_declared_rejection_that_did_not_come():
    assert rejections.accepted({'status': 400, 'error': 'no output'},
                               'create of t on legacy', 'CREATE_COMPLETE') \
        == ["create of t on legacy: Heat accepted the request (the stack "
            "ended CREATE_COMPLETE), but the sidecar declares that it "
            "rejects it with 400 saying 'no output'"]


# -- the lifecycle ---------------------------------------------------------

HOT = 'heat_template_version: 2021-04-16\nresources: {}\n'


class FakeCase(object):
    def __init__(self):
        self.observation = None
        self.flag_checks = []
        self.transient = []

    @contextlib.contextmanager
    def watching(self, driver):
        yield

    @contextlib.contextmanager
    def timed(self, phase):
        yield

    def stack_name(self):
        return 'hf-t-legacy-a1b2c3'

    def check_flags(self, deployment, stack_id, tree, expected, known=None):
        self.flag_checks.append(stack_id)
        return []

    def require(self, problems):
        if problems:
            pytest.fail('\n'.join(problems), pytrace=False)


class RefusingDriver(object):
    def __init__(self, error):
        self.error = error
        self.lock_waits = []

    def create(self, *args, **kwargs):
        raise self.error

    update = create

    def root_events(self, stack_id):
        return [('CREATE', 'IN_PROGRESS'), ('CREATE', 'COMPLETE')]


def template(tmp_path, declaration):
    (tmp_path / 't.yaml').write_text(HOT)
    return corpus.Template(str(tmp_path / 't.yaml'), declaration)


def test_a_declared_rejected_create_is_its_observation(tmp_path):
    the_template = template(tmp_path, {'expect': {'rejected': 400,
                                                  'error': 'no output'}})
    found = lifecycle.Lifecycle(the_template, 'legacy',
                                RefusingDriver(rejected()), False)
    case = FakeCase()
    lifecycle.run_step(found, the_template.steps[0], case, 'deployment')
    assert case.observation == {'rejected': {
        'status': 400, 'error': 'StackValidationFailed',
        'message': MESSAGE.replace(STACK_ID, '<id>')}}
    assert found.stack_id is None and found.stopped_by is None
    # Its delete has no stack: moot, saying why, not a plain skip.
    delete = the_template.steps[-1]
    with pytest.raises(case_module.Moot) as raised:
        lifecycle.skip_unless_runnable(found, delete, the_template, 'legacy')
    assert raised.value.skip_kind == 'moot'
    assert raised.value.msg == (
        'moot: the create of t on legacy was rejected, so no stack exists '
        'to act on (%s)' % MESSAGE)


def test_an_undeclared_rejected_create_fails_only_its_own_case(tmp_path):
    the_template = template(tmp_path, {})
    found = lifecycle.Lifecycle(the_template, 'legacy',
                                RefusingDriver(rejected()), False)
    case = FakeCase()
    with pytest.raises(pytest.fail.Exception) as raised:
        lifecycle.run_step(found, the_template.steps[0], case, 'deployment')
    assert raised.value.msg == (
        'create of t on legacy: Heat rejected the request, which the '
        'sidecar does not declare (expect: rejected): Heat answered 400 '
        '(StackValidationFailed): ' + MESSAGE)
    assert case.observation['rejected']['status'] == 400
    for later in the_template.steps[1:]:
        with pytest.raises(case_module.Moot):
            lifecycle.skip_unless_runnable(found, later, the_template,
                                           'legacy')


def refused_update(tmp_path, monkeypatch, observation):
    the_template = template(tmp_path, {'updates': [
        {'name': 'bad', 'expect': {'rejected': 400}}, {'name': 'then'}]})
    error = rejected()
    found = lifecycle.Lifecycle(the_template, 'legacy', RefusingDriver(error),
                                False)
    found.stack_id = 'stack-id'
    found.last = Fake(observation={'stack': 'CREATE_COMPLETE'})
    seen = Fake(observation=observation, tree=[])
    monkeypatch.setattr(lifecycle.observation, 'observe',
                        lambda *args, **kwargs: seen)
    return the_template, found


def test_a_refused_update_leaves_the_stack_as_it_was(tmp_path, monkeypatch):
    observed = {'stack': 'CREATE_COMPLETE', 'resources': {}, 'events': {}}
    the_template, found = refused_update(tmp_path, monkeypatch, observed)
    case = FakeCase()
    lifecycle.run_step(found, the_template.step('bad'), case, 'deployment')
    assert case.observation == dict(observed, rejected={
        'status': 400, 'error': 'StackValidationFailed',
        'message': MESSAGE.replace(STACK_ID, '<id>')})
    assert case.flag_checks == ['stack-id']
    assert found.stopped_by is None
    # The later steps go on.
    assert lifecycle.skip_unless_runnable(
        found, the_template.step('then'), the_template, 'legacy') is None


def test_a_refused_update_that_changed_the_stack_fails(tmp_path,
                                                       monkeypatch):
    observed = {'stack': 'UPDATE_FAILED', 'resources': {},
                'events': {'<stack>': ['UPDATE_IN_PROGRESS']}}
    the_template, found = refused_update(tmp_path, monkeypatch, observed)
    with pytest.raises(pytest.fail.Exception) as raised:
        lifecycle.run_step(found, the_template.step('bad'), FakeCase(),
                           'deployment')
    assert raised.value.msg == (
        'bad of t on legacy: the update was rejected, yet the stack is now '
        'UPDATE_FAILED (it was CREATE_COMPLETE)\n'
        'bad of t on legacy: the update was rejected, yet Heat wrote events '
        'for <stack>')
    assert found.stopped_by == 'bad'
