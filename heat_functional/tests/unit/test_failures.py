"""Unit tests of the failures suite's pure parts: which sequences run on
a template, the resources it adds to a template (HOT and CFN, after the
template's own resources), the template selection, and the allowances
that cover where the paths are designed to differ."""

import pytest

from heat_functional import config
from heat_functional import corpus
from heat_functional import failures
from heat_functional import parity
from heat_functional import run_spec


class Template(object):
    def __init__(self, name):
        self.name = name


HOT = {'heat_template_version': '2021-04-16',
       'conditions': {'off': False},
       'resources': {'a': {'type': 'OS::Heat::None'},
                     'b': {'type': 'OS::Heat::None', 'depends_on': 'a'},
                     'maybe': {'type': 'OS::Heat::None', 'condition': 'off'}}}
CFN = {'AWSTemplateFormatVersion': '2010-09-09',
       'Resources': {'x': {'Type': 'OS::Heat::None'},
                     'y': {'Type': 'OS::Heat::None', 'Condition': 'c'}}}


def test_every_sequence_starts_with_a_create_and_ends_with_a_delete():
    for name, steps in failures.SEQUENCES.items():
        assert 'create' in steps[0] or steps[0] == 'delete-during-create'
        assert steps[-1].startswith('delete'), name
        assert all(step in failures._STEPS for step in steps)


def test_the_timeout_sequence_runs_only_on_its_templates():
    chosen = config.TIMEOUT_TEMPLATES[0]
    assert 'timeout' in failures.sequences_for(Template(chosen))
    other = failures.sequences_for(Template('not-' + chosen))
    assert 'timeout' not in other and 'update-failures' in other


def test_added_resources_come_after_every_unconditional_resource():
    failing = failures._fail_body(HOT)
    added = failing['resources'][failures.FAIL_RESOURCE]
    assert added == {'type': 'OS::Heat::TestResource',
                     'properties': {'fail': True}, 'depends_on': ['a', 'b']}
    assert failures.FAIL_RESOURCE not in HOT['resources']
    slow = failures._slow_body(CFN, 7)['Resources'][failures.SLOW_RESOURCE]
    assert slow == {'Type': 'OS::Heat::TestResource',
                    'Properties': {'action_wait_secs': {'create': 7}},
                    'DependsOn': ['x']}


def test_top_level_resources_of_an_empty_template():
    assert corpus.top_level_resources({'heat_template_version': 'x'}) == []
    body = corpus.with_resource({'heat_template_version': 'x'}, 'r', 'T', {})
    assert body['resources'] == {'r': {'type': 'T', 'properties': {}}}


@pytest.mark.parametrize('raw,chosen', [
    ('', config.FAILURE_TEMPLATES), ('all', None), ('a, b', ('a', 'b'))])
def test_failure_templates_from_the_environment(monkeypatch, raw, chosen):
    monkeypatch.delenv(config.RUN_SPEC_ENV, raising=False)
    monkeypatch.setenv(config.FAILURES_ENV, raw)
    assert run_spec.current().failure_templates() == chosen


def _covered(scenario, location, legacy, convergence):
    rules = parity.load_allowances(config.ALLOWANCES_FILE)
    difference = {'location': location, 'legacy': legacy,
                  'convergence': convergence}
    return [rule['id'] for rule in rules
            if parity.allowance_matches(rule, 't', scenario, difference)]


def test_update_during_update_is_allowed_only_in_its_scenario():
    scenario = 'failures/concurrent/update-during-update'
    assert _covered(scenario, 'second_update', 'refused', 'accepted') == [
        'update-during-update-second-update']
    assert _covered('lifecycle/grow', 'second_update', 'refused',
                    'accepted') == []
    # The template's own outputs are compared as usual there.
    assert _covered(scenario, 'outputs.value', 'a', 'b') == []


def test_a_rolled_back_update_may_lack_only_the_failed_event_on_legacy():
    legacy = ['UPDATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS',
              'ROLLBACK_COMPLETE']
    convergence = legacy[:1] + ['UPDATE_FAILED'] + legacy[1:]
    assert _covered('lifecycle/x', "events['<stack>']", legacy,
                    convergence) == [
        'rolled-back-update-writes-no-failed-event-on-legacy']
    assert _covered('lifecycle/x', "events['<stack>']", legacy,
                    legacy + ['UPDATE_FAILED']) == []


def test_a_rolled_back_create_may_lack_only_outputs_on_convergence():
    scenario = 'failures/create-failure-rollback/create-fail-rollback'
    assert _covered(scenario, 'outputs.value', None, parity.ABSENT) == [
        'create-rollback-deletes-legacy-stack']
    assert _covered(scenario, 'outputs.value', None, 'other') == []


def test_a_cancelled_update_may_clean_up_twice_on_convergence_only():
    scenario = 'failures/update-failures/cancel-update'
    once = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_IN_PROGRESS',
            'DELETE_COMPLETE']
    location = 'events.' + failures.SLOW_RESOURCE
    assert _covered(scenario, location, once, once + ['DELETE_COMPLETE']) == [
        'cancelled-update-cleans-up-twice-on-convergence']
    assert _covered(scenario, location, once + ['DELETE_COMPLETE'], once) == []


def test_a_cancelled_update_may_show_one_stray_complete_on_convergence():
    rolled_back = ['UPDATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS',
                   'ROLLBACK_COMPLETE']
    stray = rolled_back[:2] + ['UPDATE_COMPLETE'] + rolled_back[2:]
    scenario = 'failures/update-failures/cancel-update'
    assert _covered(scenario, "events['<stack>']", rolled_back, stray) == [
        'cancelled-update-completes-late-on-convergence']
    assert _covered(scenario, "events['<stack>']", stray, rolled_back) == []
    failed = ['UPDATE_IN_PROGRESS', 'UPDATE_FAILED']
    assert _covered('failures/update-failures/cancel-without-rollback',
                    "events['<stack>']", failed,
                    failed[:1] + ['UPDATE_COMPLETE'] + failed[1:]) == [
        'cancelled-update-completes-before-failing-on-convergence']
