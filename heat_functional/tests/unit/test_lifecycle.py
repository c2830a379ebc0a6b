"""Unit tests of heat_functional.lifecycle.

Covers ``_expectations`` (status, outputs and replacements against a
step's declaration, declared outputs normalised as observed ones),
``Lifecycle.skip_reason``, the ``Registry`` of a worker's lifecycles and
its clean-up, ``skip_unless_runnable`` (a halted lifecycle's steps fail
at once), and ``run_step`` on a delete step through a fake driver and
case.
"""

import contextlib

import pytest
from heatclient import exc as heat_exc

from heat_functional import client
from heat_functional import corpus
from heat_functional import lifecycle
from heat_functional import observation

TEMPLATE = corpus.Template('/corpus/group.yaml')
OTHER = corpus.Template('/corpus/other.yaml')


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def stack(action='UPDATE', status='COMPLETE', reason='Stack UPDATE done'):
    return Fake(action=action, status=status, stack_status_reason=reason)


def step(name='grow', kind='update', **expect):
    return corpus.Step(name, kind, TEMPLATE.path, expect=expect)


def observed(outputs=None, resources=None):
    return {'stack': 'UPDATE_COMPLETE', 'outputs': outputs or {},
            'resources': resources or {}, 'nested': [], 'events': {}}


def resources(**changes):
    return {name.replace('__', '/'): {'type': 'OS::Heat::None',
                                      'status': 'UPDATE_COMPLETE',
                                      'physical_id': change}
            for name, change in changes.items()}


def expectations(the_step, the_stack, the_observation):
    return lifecycle._expectations(the_step, the_stack, the_observation,
                                   'group', 'legacy')


# -- _expectations -----------------------------------------------------------

def test_expectations_met():
    assert expectations(step(), stack(), observed()) == []


def test_expectations_met_with_outputs_and_replacements():
    the_step = step(outputs={'size': 3, 'names': ['a', 'b']},
                    replaced=['group/0'])
    the_observation = observed(
        outputs={'size': 3, 'names': ['a', 'b'], 'other': 1},
        resources=resources(group='same', group__0='changed'))
    assert expectations(the_step, stack(), the_observation) == []


@pytest.mark.parametrize('kind, declared, action, status, expected', [
    ('update', None, 'UPDATE', 'FAILED', 'UPDATE_COMPLETE'),
    ('update', None, 'ROLLBACK', 'COMPLETE', 'UPDATE_COMPLETE'),
    ('update', 'ROLLBACK_COMPLETE', 'UPDATE', 'FAILED', 'ROLLBACK_COMPLETE'),
    ('create', None, 'CREATE', 'FAILED', 'CREATE_COMPLETE'),
    ('create', 'CREATE_FAILED', 'CREATE', 'COMPLETE', 'CREATE_FAILED'),
])
def test_status_mismatch_names_the_reason(kind, declared, action, status,
                                          expected):
    the_step = step(kind=kind, **({'status': declared} if declared else {}))
    problems = expectations(the_step,
                            stack(action, status, 'Resource failed: boom'),
                            observed())
    assert problems == [
        'grow of group on legacy ended %s_%s, expected %s: Resource '
        'failed: boom' % (action, status, expected)]


def test_expected_failure_is_met():
    the_step = step(status='UPDATE_FAILED')
    assert expectations(the_step, stack('UPDATE', 'FAILED'),
                        observed()) == []


def test_wrong_and_absent_outputs():
    the_step = step(outputs={'size': 3, 'name': 'a', 'gone': None})
    the_observation = observed(outputs={'size': 2, 'name': 'a'})
    assert expectations(the_step, stack(), the_observation) == [
        'grow of group on legacy: output size is 2, expected 3',
        "grow of group on legacy: output gone is '<absent>', expected None"]


def test_an_output_read_again_is_said():
    the_step = step(outputs={'size': 3, 'name': 'a'})
    the_observation = observed(outputs={'size': None, 'name': 'a'})
    assert lifecycle._expectations(
        the_step, stack(), the_observation, 'group', 'legacy',
        reread={'size': 3}) == [
        'grow of group on legacy: output size is None, expected 3 '
        '(read again %s s later: 3)' % lifecycle.config.SETTLE_INTERVAL]


def test_output_with_an_error():
    the_step = step(outputs={'size': 3})
    the_observation = observed(outputs={'size': {'error': 'no value'}})
    assert expectations(the_step, stack(), the_observation) == [
        "grow of group on legacy: output size is {'error': 'no value'}, "
        "expected 3"]


def test_declared_outputs_are_normalised_as_observed_ones():
    """A declared value that is the case's own (an external_id) matches
    its placeholder, and a value may be declared by its placeholder."""
    replace = observation.Placeholders({
        'external-test-0001': '<id of adopted>',
        'hf-group-legacy-3fa9c1': '<stack name>'}).replace
    the_step = step(outputs={'adopted': 'external-test-0001',
                             'role': '<stack name>-role',
                             'joined': ['external-test-0001', 'x']})
    the_observation = observed(outputs={
        'adopted': '<id of adopted>', 'role': '<stack name>-role',
        'joined': ['<id of adopted>', 'x']})
    assert lifecycle._expectations(the_step, stack(), the_observation,
                                   'group', 'legacy', replace) == []


def test_declared_outputs_normalised_still_differ():
    replace = observation.Placeholders({
        'hf-group-legacy-3fa9c1': '<stack name>'}).replace
    the_step = step(outputs={'role': 'hf-group-legacy-3fa9c1-role'})
    the_observation = observed(outputs={'role': '<stack name>-user'})
    assert lifecycle._expectations(the_step, stack(), the_observation,
                                   'group', 'legacy', replace) == [
        "grow of group on legacy: output role is '<stack name>-user', "
        "expected '<stack name>-role'"]


def test_resources_expected_replaced():
    the_step = step(replaced=['group/0', 'group/1', 'group/2', 'rand'])
    the_observation = observed(resources=resources(
        group__0='same', group__1='new', rand='changed'))
    assert expectations(the_step, stack(), the_observation) == [
        'grow of group on legacy: resource group/0 was expected to be '
        'replaced; its physical id is same',
        'grow of group on legacy: resource group/1 was expected to be '
        'replaced; its physical id is new',
        'grow of group on legacy: resource group/2 was expected to be '
        'replaced; its physical id is absent']


def test_every_problem_is_reported_in_order():
    the_step = step(outputs={'size': 3}, replaced=['rand'])
    problems = expectations(the_step, stack('UPDATE', 'FAILED', 'why'),
                            observed(outputs={'size': 2},
                                     resources=resources(rand='same')))
    assert problems == [
        'grow of group on legacy ended UPDATE_FAILED, expected '
        'UPDATE_COMPLETE: why',
        'grow of group on legacy: output size is 2, expected 3',
        'grow of group on legacy: resource rand was expected to be '
        'replaced; its physical id is same']


# -- Lifecycle.skip_reason ---------------------------------------------------

DELETE = corpus.Step('delete', 'delete', TEMPLATE.path)
SHRINK = step('shrink')


def started(stack_id='stack-id', stopped_by=None):
    found = lifecycle.Lifecycle(TEMPLATE, 'legacy', 'driver', False)
    found.stack_id, found.stopped_by = stack_id, stopped_by
    return found


def test_a_new_lifecycle():
    found = lifecycle.Lifecycle(TEMPLATE, 'convergence', 'driver', True)
    assert (found.template, found.path, found.driver,
            found.expected_convergence, found.stack_id, found.stopped_by,
            found.last) == (TEMPLATE, 'convergence', 'driver', True, None,
                            None, None)


def test_skip_reason_of_a_running_lifecycle():
    assert started().skip_reason(SHRINK) is None
    assert started().skip_reason(DELETE) is None


def test_skip_reason_of_a_stopped_lifecycle():
    assert started(stopped_by='grow').skip_reason(SHRINK) == (
        'not run: step grow of group on legacy failed')


def test_delete_runs_after_a_stop():
    assert started(stopped_by='grow').skip_reason(DELETE) is None


@pytest.mark.parametrize('the_step', [SHRINK, DELETE])
def test_skip_reason_without_a_stack(the_step):
    for found in (started(None), started(None, stopped_by='create')):
        assert found.skip_reason(the_step) == (
            'not run: the stack of group on legacy was never created')


# -- Registry ----------------------------------------------------------------

def test_registry_start_and_get():
    registry = lifecycle.Registry()
    assert registry.get(TEMPLATE, 'legacy') is None
    legacy = registry.start(TEMPLATE, 'legacy', 'driver-l', False)
    converged = registry.start(TEMPLATE, 'convergence', 'driver-c', True)
    other = registry.start(OTHER, 'legacy', 'driver-o', False)
    assert registry.get(TEMPLATE, 'legacy') is legacy
    assert registry.get(TEMPLATE, 'convergence') is converged
    assert registry.get(OTHER, 'legacy') is other
    assert (legacy.template, legacy.path, legacy.driver,
            legacy.expected_convergence) == (TEMPLATE, 'legacy', 'driver-l',
                                             False)
    assert converged.expected_convergence is True


def test_registry_get_by_template_name():
    registry = lifecycle.Registry()
    found = registry.start(TEMPLATE, 'legacy', 'driver', False)
    assert registry.get(corpus.Template('/elsewhere/group.yml'),
                        'legacy') is found


def test_registry_start_again_replaces():
    registry = lifecycle.Registry()
    first = registry.start(TEMPLATE, 'legacy', 'driver', False)
    second = registry.start(TEMPLATE, 'legacy', 'driver', False)
    assert second is not first
    assert registry.get(TEMPLATE, 'legacy') is second


class DeletingDriver(object):
    def __init__(self, deleted, error=None):
        self.deleted = deleted
        self.error = error

    def delete(self, stack_id):
        self.deleted.append(stack_id)
        if self.error:
            raise self.error


def test_leftovers_are_the_lifecycles_with_a_stack():
    registry = lifecycle.Registry()
    registry.start(TEMPLATE, 'legacy', 'driver', False)
    left = registry.start(TEMPLATE, 'convergence', 'driver', True)
    left.stack_id = 'stack-c'
    assert registry.leftovers() == [left]


class NamedStacks(object):
    """heatclient's stacks.get by name: the stacks Heat holds."""

    def __init__(self, names):
        self.names = names

    def get(self, name):
        if name not in self.names:
            raise client.HeatError('stack %s not found' % name)
        return Fake(id=self.names[name])


def test_a_create_without_an_answer_is_looked_up_and_deleted():
    # A Ctrl-C while Heat answered the create: the stack may exist.
    registry = lifecycle.Registry()
    deleted = []
    for number, path in enumerate(('legacy', 'convergence')):
        driver = DeletingDriver(deleted)
        driver.heat = Fake(stacks=NamedStacks({'hf-made': 'id-made'}))
        made = registry.start(TEMPLATE, path, driver, False)
        made.stack_name = ('hf-made', 'hf-never-made')[number]
        made.create_unanswered = True
    assert len(registry.leftovers()) == 2
    registry.clean_up()
    assert deleted == ['id-made']
    assert registry.leftovers() == []


@pytest.mark.parametrize('answer, unanswered', [
    (lambda *a, **k: 'stack-id', False),
    (Fake(side=KeyboardInterrupt), True),
    (Fake(side=client.HeatError('500 from Heat')), True),
    (Fake(side=client.Rejected('refused', heat_exc.HTTPBadRequest())),
     False),
])
def test_a_create_is_unanswered_until_heat_gives_its_id(answer,
                                                        unanswered):
    def create(*args, **kwargs):
        if isinstance(answer, Fake):
            raise answer.side
        return answer()
    made = lifecycle.Lifecycle(TEMPLATE, 'legacy', Fake(create=create),
                               False)
    create_step = Fake(kind='create', parameters={}, rollback=False)
    with contextlib.suppress(BaseException):
        lifecycle._request(made, create_step, Fake(stack_name=lambda: 'hf'),
                           'body', {}, {})
    assert made.stack_name == 'hf'
    assert made.create_unanswered is unanswered


def test_clean_up_deletes_every_leftover_despite_errors():
    registry = lifecycle.Registry()
    deleted = []
    drivers = [DeletingDriver(deleted, client.HeatError('delete failed')),
               DeletingDriver(deleted, RuntimeError('cell died')),
               DeletingDriver(deleted)]
    for number, driver in enumerate(drivers):
        template = corpus.Template('/corpus/t%d.yaml' % number)
        registry.start(template, 'legacy', driver,
                       False).stack_id = 'stack-%d' % number
    never = registry.start(OTHER, 'legacy', DeletingDriver(deleted), False)
    registry.clean_up()
    assert sorted(deleted) == ['stack-0', 'stack-1', 'stack-2']
    assert registry.leftovers() == []
    assert never.stack_id is None
    registry.clean_up()
    assert len(deleted) == 3


def test_clean_up_only_asks_heat_to_delete_a_halted_stack():
    asked = []
    driver = Fake(delete=lambda stack_id: pytest.fail('waited for it'),
                  heat=Fake(stacks=Fake(delete=asked.append)),
                  call=lambda step, function, *args: function(*args))
    registry = lifecycle.Registry()
    halted = registry.start(TEMPLATE, 'legacy', driver, False)
    halted.stack_id, halted.halted = 'stack-h', 'its flag changed'
    registry.clean_up()
    assert asked == ['stack-h']
    assert registry.leftovers() == []


# -- skip_unless_runnable ----------------------------------------------------

def test_a_step_without_its_lifecycle_fails():
    with pytest.raises(pytest.fail.Exception) as raised:
        lifecycle.skip_unless_runnable(None, SHRINK, TEMPLATE, 'legacy')
    assert raised.value.msg == (
        'step shrink of group on legacy cannot run: its create step did '
        'not run before it in this worker (select whole lifecycles, e.g. '
        '-k group; with pytest-xdist use --dist loadgroup)')
    assert raised.value.pytrace is False


def test_a_delete_without_its_lifecycle_fails():
    with pytest.raises(pytest.fail.Exception) as raised:
        lifecycle.skip_unless_runnable(None, DELETE, OTHER, 'convergence')
    assert raised.value.msg.startswith(
        'step delete of other on convergence cannot run: ')


def test_a_step_after_a_stop_is_skipped():
    with pytest.raises(pytest.skip.Exception) as raised:
        lifecycle.skip_unless_runnable(started(stopped_by='grow'), SHRINK,
                                       TEMPLATE, 'legacy')
    assert raised.value.msg == 'not run: step grow of group on legacy failed'


def test_the_delete_after_a_stop_runs():
    assert lifecycle.skip_unless_runnable(
        started(stopped_by='grow'), DELETE, TEMPLATE, 'legacy') is None


def test_a_step_of_a_stack_never_created_is_skipped():
    with pytest.raises(pytest.skip.Exception) as raised:
        lifecycle.skip_unless_runnable(started(None), DELETE, TEMPLATE,
                                       'legacy')
    assert raised.value.msg == (
        'not run: the stack of group on legacy was never created')


def test_every_step_of_a_halted_lifecycle_fails_at_once():
    halted = started(stopped_by='grow')
    halted.halted = 'the flags of the stack of group on legacy are wrong'
    for the_step in (SHRINK, DELETE):
        with pytest.raises(pytest.fail.Exception) as raised:
            lifecycle.skip_unless_runnable(halted, the_step, TEMPLATE,
                                           'legacy')
        assert raised.value.msg == halted.halted
        assert raised.value.pytrace is False


def test_a_step_of_a_running_lifecycle_runs():
    assert lifecycle.skip_unless_runnable(started(), SHRINK, TEMPLATE,
                                          'legacy') is None


# -- run_step on delete ------------------------------------------------------

class FakeCase(object):
    def __init__(self, left_rows=()):
        self.left_rows = list(left_rows)
        self.calls = []
        self.observation = None
        self.reread = None

    @contextlib.contextmanager
    def watching(self, driver):
        yield

    @contextlib.contextmanager
    def timed(self, phase):
        self.calls.append(('timed', phase))
        yield

    def measure_heat_time(self, deployment, stack_id, since=0):
        self.calls.append(('measure', deployment, stack_id, since))

    def check_deleted(self, deployment, stack_id, expected, known=None):
        self.calls.append(('check_deleted', deployment, stack_id, expected))
        return self.left_rows

    def require(self, problems):
        if problems:
            pytest.fail('\n'.join(problems), pytrace=False)


class DeleteDriver(object):
    def __init__(self, left=None):
        self.left = left
        self.deleted = []
        self.lock_waits = []

    def root_events(self, stack_id):
        return [('CREATE', 'IN_PROGRESS'), ('CREATE', 'COMPLETE')]

    def delete(self, stack_id):
        self.deleted.append(stack_id)
        return self.left


def delete_lifecycle(driver, stopped_by=None):
    found = lifecycle.Lifecycle(TEMPLATE, 'legacy', driver, False)
    found.stack_id, found.stopped_by = 'stack-id', stopped_by
    return found


def test_run_delete():
    driver, case = DeleteDriver(), FakeCase()
    found = delete_lifecycle(driver, stopped_by='grow')
    lifecycle.run_step(found, DELETE, case, 'deployment')
    assert driver.deleted == ['stack-id']
    assert found.stack_id is None
    assert found.stopped_by == 'grow'
    assert case.observation == {'stack': 'DELETE_COMPLETE'}
    assert case.calls == [('timed', 'delete'),
                          ('measure', 'deployment', 'stack-id', 2),
                          ('timed', 'flags'),
                          ('check_deleted', 'deployment', 'stack-id', False)]


def test_run_delete_that_failed_stops_the_lifecycle():
    driver = DeleteDriver(left=stack('DELETE', 'FAILED', 'in use'))
    case = FakeCase(['stack x is still in the database'])
    found = delete_lifecycle(driver)
    with pytest.raises(pytest.fail.Exception) as raised:
        lifecycle.run_step(found, DELETE, case, 'deployment')
    assert raised.value.msg == (
        'delete of group on legacy ended DELETE_FAILED: in use\n'
        'stack x is still in the database')
    assert case.observation == {'stack': 'DELETE_FAILED'}
    assert found.stopped_by == 'delete'
    assert found.stack_id is None


def test_run_step_that_raises_stops_the_lifecycle():
    class Broken(DeleteDriver):
        def delete(self, stack_id):
            raise client.HeatError('delete of group on legacy: boom')
    found = delete_lifecycle(Broken())
    with pytest.raises(client.HeatError):
        lifecycle.run_step(found, DELETE, FakeCase(), 'deployment')
    assert found.stopped_by == 'delete'
    assert found.stack_id == 'stack-id'  # left for the clean-up


# -- settling ----------------------------------------------------------------

class Observed(object):
    def __init__(self, events=None, **statuses):
        self.observation = {'resources': {
            name: {'status': status} for name, status in statuses.items()},
            'events': events or {}}


class SettleCase(object):
    def __init__(self):
        self.transient = []
        self.timings = {}


def settle(monkeypatch, *observations):
    queue = list(observations)
    calls = []

    def observe(*args, **kwargs):
        calls.append(args)
        return queue.pop(0) if len(queue) > 1 else queue[0]
    monkeypatch.setattr(lifecycle.observation, 'observe', observe)
    monkeypatch.setattr(lifecycle.config, 'SETTLE_INTERVAL', 0)
    found = lifecycle.Lifecycle(TEMPLATE, 'convergence', 'driver', True)
    found.stack_id = 'stack-id'
    case = SettleCase()
    return lifecycle._settled_observation(found, case), case, calls


def test_a_settled_stack_is_observed_once(monkeypatch):
    settled = Observed(a='UPDATE_COMPLETE')
    observed, case, calls = settle(monkeypatch, settled)
    assert observed is settled
    assert len(calls) == 1
    assert case.transient == [] and 'settle' not in case.timings


def test_a_deleted_resource_still_listed_is_waited_for(monkeypatch):
    settled = Observed(a='UPDATE_COMPLETE')
    observed, case, calls = settle(
        monkeypatch, Observed(a='UPDATE_COMPLETE', b='DELETE_COMPLETE'),
        Observed(a='UPDATE_IN_PROGRESS'), settled)
    assert observed is settled
    assert len(calls) == 3
    assert case.transient == ['a']
    assert case.timings['settle'] >= 0


def test_a_status_whose_closing_event_is_not_listed_yet_is_waited_for(
        monkeypatch):
    lagging = Observed(events={'slow': ['CREATE_IN_PROGRESS']},
                       slow='CREATE_COMPLETE')
    settled = Observed(events={'slow': ['CREATE_IN_PROGRESS',
                                        'CREATE_COMPLETE']},
                       slow='CREATE_COMPLETE')
    observed, case, calls = settle(monkeypatch, lagging, settled)
    assert observed is settled
    assert case.transient == ['slow']
    # A replaced resource's events end with the old one's DELETE: settled.
    replaced = Observed(events={'r': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                                      'DELETE_IN_PROGRESS',
                                      'DELETE_COMPLETE']},
                        r='CREATE_COMPLETE')
    observed, case, calls = settle(monkeypatch, replaced)
    assert observed is replaced and len(calls) == 1


def test_a_state_that_never_settles_is_kept_as_it_is(monkeypatch):
    monkeypatch.setattr(lifecycle.config, 'SETTLE_TIMEOUT', 0.05)
    stuck = Observed(a='DELETE_COMPLETE')
    observed, case, calls = settle(monkeypatch, stuck)
    assert observed is stuck
    assert len(calls) >= 2
    assert case.transient == ['a']


def test_a_template_requiring_keystone_skips_on_noauth_naming_why():
    from heat_functional.deployment import embedded
    template = Fake(name='software', requires=['keystone'])
    noauth = embedded.EmbeddedDeployment({'kind': 'embedded',
                                          'auth': 'noauth', 'paths': {}})
    with pytest.raises(pytest.skip.Exception, match='requires keystone: '
                       'the embedded deployment runs without keystone'):
        lifecycle.skip_unless_offered(template, noauth)
    with_keystone = embedded.EmbeddedDeployment(
        {'kind': 'embedded', 'auth': 'keystone', 'paths': {}})
    lifecycle.skip_unless_offered(template, with_keystone)


# -- outputs read again -------------------------------------------------------

class Read(object):
    """An Observed with outputs, placeholders replacing nothing."""
    def __init__(self, **outputs):
        self.observation = {'stack': 'UPDATE_COMPLETE', 'outputs': outputs}
        self.placeholders = observation.Placeholders({})


def read_again(monkeypatch, first, *later):
    calls = []

    def observe(*args, **kwargs):
        calls.append(args)
        return later[len(calls) - 1]
    monkeypatch.setattr(lifecycle.observation, 'observe', observe)
    monkeypatch.setattr(lifecycle.config, 'SETTLE_INTERVAL', 0)
    found = lifecycle.Lifecycle(TEMPLATE, 'convergence', 'driver', True)
    found.stack_id = 'stack-id'
    case = FakeCase()
    reread = lifecycle._read_outputs_again(
        found, step(outputs={'fp': 'x:22', 'size': 3}), first, case)
    return reread, case, calls


def test_matching_outputs_are_not_read_again(monkeypatch):
    reread, case, calls = read_again(monkeypatch, Read(fp='x:22', size=3))
    assert reread == {} and calls == []
    assert case.reread is None


def test_a_mismatch_is_read_again_and_recorded(monkeypatch):
    reread, case, calls = read_again(monkeypatch, Read(fp=None, size=3),
                                     Read(fp='x:22', size=3))
    assert len(calls) == 1
    assert reread == {'fp': 'x:22'}
    assert case.reread == {'after_s': 0, 'outputs': {'fp': 'x:22'},
                           'stack': 'UPDATE_COMPLETE'}
