"""known_bugs.py and the requests resent past a known Heat race.

The shipped entries are whole (reason, source, evidence); a race's
pattern explains what Heat said in the run that showed it and nothing
unrelated; the driver resends only such rejections, records only those
that went away, and raises a rejection that comes back every time as Heat
gave it; a race met reaches the case record and the report, and blocks
the default only when its entry says so.
"""

import json

import pytest
from heatclient import exc as heat_exc

from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import known_bugs
from heat_functional.results import report
from heat_functional.results import table
from heat_functional.results import verdict

YAQL_RACE = 'yaql-parser-shared-by-threads'
#: What Heat said in the CI run that showed the race (a valid template).
SEEN = ('Heat answered 400 (StackValidationFailed): '
        'outputs.big_team.condition: Bad expression Parse error: '
        'unexpected end of statement.')


DROPPED_PARAMETER = 'legacy-update-stores-new-environment-with-old-template'
#: What Heat said in the CI run that showed it (the restore's wait).
SEEN_DROPPED = ('Heat answered 400 (UserParameterMissing): The Parameter '
                '(heat_functional_after_snapshot_value) was not provided.')


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(config, 'RACE_RESEND_PAUSE', 0)


def heat_error(cls, message, kind='StackValidationFailed'):
    body = {'error': {'message': message, 'type': kind}}
    return cls(message=json.dumps(body))


def race_error():
    return heat_error(heat_exc.HTTPBadRequest,
                      'outputs.big_team.condition: Bad expression Parse '
                      'error: unexpected end of statement.')


@pytest.mark.parametrize('bug', known_bugs.load(), ids=lambda b: b['id'])
def test_every_shipped_bug_says_why_and_where(bug):
    for field in ('id', 'title', 'reason', 'source'):
        assert str(bug.get(field) or '').strip(), field
    assert bug.get('rule') or bug.get('resend')
    if bug.get('resend'):
        assert str(bug.get('evidence') or '').strip()
    if bug.get('blocks_default') is False:
        assert str(bug.get('why_not_blocking') or '').strip()


def test_the_yaql_race_explains_what_heat_said_when_it_showed():
    assert known_bugs.race(SEEN, 400) == YAQL_RACE
    assert known_bugs.race("Bad expression 'Lexer' object has no attribute "
                           "'lexmatch'", 400) == YAQL_RACE


def test_the_dropped_parameter_explains_what_heat_said_when_it_showed():
    assert known_bugs.race(SEEN_DROPPED, 400) == DROPPED_PARAMETER


@pytest.mark.parametrize('message, status', [
    (SEEN, 500),
    (SEEN_DROPPED, 500),
    ('Heat answered 400 (StackValidationFailed): The Parameter (p) was '
     'invalid: not a number', 400),
    ('Heat answered 400 (StackValidationFailed): The Resource Type '
     '(OS::No::Thing) could not be found.', 400),
    ('Bad expression Lexical error: illegal character', 400),
    (None, None),
])
def test_nothing_else_is_taken_for_the_race(message, status):
    assert known_bugs.race(message, status) is None


class Deployment(object):
    def __init__(self, heat=None):
        self.heat = heat

    def client(self, path):
        return self.heat

    def check_alive(self, path):
        pass


def answers(*script):
    """A function answering each call with the next of `script` (raised
    when it is an exception)."""
    calls = []

    def function(*args, **kwargs):
        answer = script[len(calls)]
        calls.append(args)
        if isinstance(answer, Exception):
            raise answer
        return answer
    function.calls = calls
    return function


def test_a_rejection_the_race_explains_is_sent_again_and_recorded():
    driver = client.StackDriver(Deployment(), 'legacy', 'team')
    create = answers(race_error(), {'stack': {'id': 's1'}})
    assert driver.call('create', create) == {'stack': {'id': 's1'}}
    assert len(create.calls) == 2
    assert driver.race_resends == [{
        'step': 'create', 'path': 'legacy', 'bug': YAQL_RACE,
        'heat_said': 'Heat answered 400 (StackValidationFailed): '
                     'outputs.big_team.condition: Bad expression Parse '
                     'error: unexpected end of statement.'}]


def test_a_rejection_that_comes_back_every_time_is_heats_answer():
    driver = client.StackDriver(Deployment(), 'legacy', 'team')
    create = answers(*[race_error()] * (config.RACE_RESENDS + 1))
    with pytest.raises(client.Rejected) as raised:
        driver.call('create', create)
    assert len(create.calls) == config.RACE_RESENDS + 1
    assert raised.value.status == 400
    assert 'Bad expression Parse error' in str(raised.value)
    assert driver.race_resends == []


def test_any_other_rejection_is_not_sent_again():
    driver = client.StackDriver(Deployment(), 'legacy', 'team')
    create = answers(heat_error(heat_exc.HTTPBadRequest, 'bad template'),
                     {'stack': {'id': 's1'}})
    with pytest.raises(client.Rejected):
        driver.call('create', create)
    assert len(create.calls) == 1
    assert driver.race_resends == []


def test_each_resend_waits_twice_as_long_as_the_one_before(monkeypatch):
    monkeypatch.setattr(config, 'RACE_RESEND_PAUSE', 0.2)
    monkeypatch.setattr(config, 'RACE_RESENDS', 3)
    pauses = []
    monkeypatch.setattr(client.time, 'sleep', pauses.append)
    driver = client.StackDriver(Deployment(), 'legacy', 'team')
    driver.call('create', answers(race_error(), race_error(), race_error(),
                                  {'stack': {'id': 's1'}}))
    assert pauses == [0.2, 0.4, 0.8]


class ShownStacks(object):
    """stacks.get answering each call with the next of `answers`."""

    def __init__(self, *answers):
        self.get = answers_with_keywords(*answers)


def answers_with_keywords(*script):
    function = answers(*script)

    def get(stack_id, **kwargs):
        return function(stack_id)
    get.calls = function.calls
    return get


def dropped_parameter_error():
    return heat_error(heat_exc.HTTPBadRequest, 'The Parameter (p) was not '
                      'provided.', kind='UserParameterMissing')


def test_a_wait_reads_the_stack_again_past_the_dropped_parameter():
    finished = Stack()
    finished.status = 'COMPLETE'
    stacks = ShownStacks(dropped_parameter_error(), finished)
    driver = client.StackDriver(Deployment(Heat(stacks)), 'legacy', 't')
    assert driver._show('s1', 'restore') is finished
    assert len(stacks.get.calls) == 2
    assert [(r['step'], r['bug']) for r in driver.race_resends] == [
        ('restore', DROPPED_PARAMETER)]


def test_a_parameter_missing_every_time_is_heats_answer():
    stacks = ShownStacks(*[dropped_parameter_error()] *
                         (config.RACE_RESENDS + 1))
    driver = client.StackDriver(Deployment(Heat(stacks)), 'legacy', 't')
    with pytest.raises(client.Rejected) as raised:
        driver._show('s1', 'restore')
    assert 'The Parameter (p) was not provided' in str(raised.value)
    assert driver.race_resends == []


def test_an_update_past_a_locked_stack_and_the_race():
    driver = client.StackDriver(Deployment(), 'legacy', 'team')
    update = answers(race_error(), None)
    driver.retry_while_locked('grow', update, 's1')
    assert [r['step'] for r in driver.race_resends] == ['grow']


class Stack(object):
    def __init__(self, *outputs):
        self.outputs = list(outputs)


class Stacks(object):
    def __init__(self, *shown):
        self.shown = list(shown)
        self.calls = 0

    def get(self, stack_id):
        self.calls += 1
        return self.shown.pop(0)


class Heat(object):
    def __init__(self, stacks):
        self.stacks = stacks


RACED = {'output_key': 'big_team', 'output_value': None,
         'output_error': 'Bad expression Parse error: unexpected end of '
                         'statement.'}
GOOD = {'output_key': 'big_team', 'output_value': 'ann & bob'}


def test_an_output_the_race_spoiled_is_read_again():
    stacks = Stacks(Stack(RACED), Stack(GOOD))
    driver = client.StackDriver(Deployment(Heat(stacks)), 'convergence', 't')
    assert driver.show('s1').outputs == [GOOD]
    assert driver.race_resends == [{
        'step': 'show (output big_team)', 'bug': YAQL_RACE,
        'heat_said': RACED['output_error'], 'path': 'convergence'}]


def test_an_output_error_every_read_shows_is_the_stacks():
    stacks = Stacks(*[Stack(RACED)] * (config.RACE_RESENDS + 1))
    driver = client.StackDriver(Deployment(Heat(stacks)), 'convergence', 't')
    assert driver.show('s1').outputs == [RACED]
    assert stacks.calls == config.RACE_RESENDS + 1
    assert driver.race_resends == []


def test_a_case_records_what_its_steps_resent_and_nothing_else():
    driver = client.StackDriver(Deployment(), 'legacy', 'team')
    driver.race_resends.append({'step': 'create', 'bug': YAQL_RACE})
    case = case_module.Case.__new__(case_module.Case)
    case.known_races = []
    with case.watching(driver):
        driver.race_resends.append({'step': 'grow', 'bug': YAQL_RACE})
    driver.race_resends.append({'step': 'shrink', 'bug': YAQL_RACE})
    assert case.known_races == [{'step': 'grow', 'bug': YAQL_RACE}]


def race_case(case_id='lifecycle/grow'):
    return {'id': case_id, 'known_races': [{'step': 'grow',
                                            'bug': YAQL_RACE}]}


def test_seen_counts_resends_and_their_cases():
    bugs = known_bugs.seen([race_case('a'), race_case('b'), {'id': 'c'}],
                           known_bugs.load())
    entry = [b for b in bugs if b['id'] == YAQL_RACE][0]
    assert (entry['seen'], entry['resends'], entry['stacks'],
            entry['cases']) == (True, 2, 0, ['a', 'b'])
    assert known_bugs.counts(entry) == '2 requests resent'


def test_a_race_that_does_not_block_is_listed_but_not_a_blocker():
    bugs = known_bugs.seen([race_case()], known_bugs.load())
    assert known_bugs.blocking(bugs) == []
    blockers = verdict.default_blockers('pass', ['legacy', 'convergence'],
                                        bugs)
    assert not any(YAQL_RACE in b for b in blockers)


def test_a_blocking_bug_seen_blocks_the_default():
    bugs = [{'id': 'b1', 'title': 'x', 'seen': True, 'stacks': 0,
             'resends': 3, 'cases': ['c']}]
    assert 'known Heat bug b1: x (3 requests resent)' in \
        verdict.default_blockers('pass', ['legacy', 'convergence'], bugs)


def test_the_summary_names_a_race_met_even_where_it_does_not_block():
    built = report.build([dict(race_case(), template='t', scenario='s',
                               path='legacy', outcome='passed',
                               stacks=[])],
                         {}, ['legacy', 'convergence'],
                         known_bugs=known_bugs.load())
    assert 'met known Heat bug %s' % YAQL_RACE in table.render(built)
