"""Unit tests of heat_functional.report.

Builds case records by hand and checks the verdict of ``build`` (failed
cases, flag mismatches, parity with and without allowances, incomplete
pairs, no cases, interruption, a single path), the summary ``table``,
``write``/``read`` and ``load_cases``.
"""

import json
import os

from heat_functional.results import report
from heat_functional.results import table
from heat_functional.tests.unit import evidence

PATHS = ['legacy', 'convergence']
DESCRIPTION = {
    'kind': 'embedded', 'db': 'sqlite', 'auth': 'noauth', 'ready_s': 3.5,
    'heat_version': '27.0.0',
    'paths': {
        'legacy': {'endpoint': 'http://127.0.0.1:8001/v1/admin',
                   'log_file': '/tmp/logs/legacy.log'},
        'convergence': {'endpoint': 'http://127.0.0.1:8002/v1/admin',
                        'log_file': '/tmp/logs/convergence.log'},
    },
}


def observation(value='a'):
    return {
        'stack': 'CREATE_COMPLETE',
        'outputs': {'value': value},
        'resources': {'thing': {'type': 'OS::Heat::Value',
                                'status': 'CREATE_COMPLETE'}},
        'nested': [],
        'events': {'thing': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']},
    }


def case(template='simple', scenario='create', path='legacy',
         outcome='passed', message=None, convergence=None,
         observation=observation):
    """A case record as the plugin writes it; flags match by default."""
    expected = path == 'convergence'
    if convergence is None:
        convergence = expected
    if callable(observation):
        observation = observation()
    return {
        'id': 'test_%s[%s-%s]' % (scenario, template, path),
        'template': template, 'scenario': scenario, 'path': path,
        'outcome': outcome, 'message': message,
        'stacks': [{'id': 'id-%s-%s' % (template, path),
                    'name': 'hf-%s-%s-abc123' % (template, path),
                    'parent': None, 'path': '', 'depth': 0,
                    'convergence': convergence,
                    'expected_convergence': expected}],
        'observation': observation,
    }


def both(template='simple', scenario='create', **changes):
    """The legacy and convergence cases of one template and scenario."""
    return [case(template, scenario, 'legacy'),
            case(template, scenario, 'convergence', **changes)]


def allowance(location, template='*'):
    return {'id': 'allow-value', 'template': template, 'location': location,
            'reason': 'documented', 'source': 'heat docs'}


# -- verdicts ----------------------------------------------------------------

def test_all_passed_and_equal():
    result = report.build(both() + both('other') + evidence.records(),
                          DESCRIPTION, PATHS)
    assert result['verdict'] == 'pass'
    assert result['reasons'] == []
    assert result['may_change_default'] is True
    assert [(e['template'], e['equal']) for e in result['parity']] == [
        ('simple', True), ('other', True)]
    assert result['summary'] == {
        'cases': {'passed': 7, 'failed': 0, 'error': 0, 'skipped': 0},
        'parity': {'pairs': 2, 'equal': 2, 'allowed': 0, 'different': 0,
                   'incomplete': 0, 'not_compared': 0, 'noisy_by_shape': 0},
        'references': {'pairs': 0, 'equal': 0, 'allowed': 0, 'different': 0,
                       'incomplete': 0, 'not_compared': 0,
                       'noisy_by_shape': 0},
        'flags': {'checked': 4, 'mismatched': 0, 'known_bug': 0,
                  'unverified_cases': 0},
    }


def test_description_fields():
    result = report.build(both(), DESCRIPTION, PATHS, duration_s=12.5)
    assert result['heat_version'] == '27.0.0'
    assert result['deployment'] == {'kind': 'embedded', 'db': 'sqlite',
                                    'auth': 'noauth', 'ready_s': 3.5}
    assert result['paths'] == {
        'legacy': {'convergence_engine': False,
                   'endpoint': 'http://127.0.0.1:8001/v1/admin',
                   'log_file': '/tmp/logs/legacy.log'},
        'convergence': {'convergence_engine': True,
                        'endpoint': 'http://127.0.0.1:8002/v1/admin',
                        'log_file': '/tmp/logs/convergence.log'},
    }
    assert result['duration_s'] == 12.5


def test_failed_case_fails_naming_the_case():
    cases = both(outcome='failed', message='boom\nsecond line')
    result = report.build(cases, DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['may_change_default'] is False
    assert result['reasons'] == [
        'test_create[simple-convergence] failed: boom']


def test_errored_case_fails():
    cases = both(outcome='error', message='setup: no deployment')
    result = report.build(cases, DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'][0] == (
        'test_create[simple-convergence] error: setup: no deployment')


def test_flag_mismatch_fails_naming_the_stack():
    cases = both(convergence=False)
    result = report.build(cases, DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'] == [
        'flag mismatch in test_create[simple-convergence]: stack '
        'hf-simple-convergence-abc123 (id-simple-convergence) of simple '
        'has convergence=False, expected True']
    assert result['summary']['flags'] == {'checked': 2, 'mismatched': 1,
                                          'known_bug': 0,
                                          'unverified_cases': 0}
    assert result['may_change_default'] is False


def test_unequal_observations_without_allowance_fail():
    cases = both(observation=observation('b'))
    result = report.build(cases, DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'] == [
        'parity of simple/create: 1 difference(s), first at outputs.value']
    assert result['summary']['parity']['different'] == 1


def test_unequal_observations_with_covering_allowance_pass():
    cases = both(observation=observation('b')) + evidence.records()
    allowances = [allowance('outputs.value', template='simple')]
    result = report.build(cases, DESCRIPTION, PATHS, allowances)
    assert result['verdict'] == 'pass'
    assert result['may_change_default'] is True
    assert result['parity'][0]['allowed_by'] == ['allow-value']
    assert result['summary']['parity']['allowed'] == 1
    assert result['stale_allowances'] == []


def test_allowance_for_another_template_does_not_cover():
    cases = both(observation=observation('b'))
    allowances = [allowance('outputs.value', template='other')]
    result = report.build(cases, DESCRIPTION, PATHS, allowances)
    assert result['verdict'] == 'fail'
    assert result['stale_allowances'] == ['allow-value']


def test_missing_observation_is_incomplete():
    cases = both(observation=None)
    result = report.build(cases, DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['parity'][0]['incomplete'] == 'no observation on convergence'
    assert result['reasons'] == [
        'parity of simple/create incomplete: no observation on convergence']
    assert result['summary']['parity']['incomplete'] == 1


def test_missing_case_of_one_path_is_incomplete():
    result = report.build([case(path='convergence')], DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'] == [
        'parity of simple/create incomplete: no observation on legacy']


def test_pair_skipped_on_both_paths_has_no_parity_entry():
    cases = both() + [dict(case('skip', path=p, outcome='skipped',
                                observation=None), skip_kind='unmet')
                      for p in PATHS]
    result = report.build(cases, DESCRIPTION, PATHS)
    assert [e['template'] for e in result['parity']] == ['simple']
    assert result['summary']['cases']['skipped'] == 2
    assert result['verdict'] == 'pass'
    assert [u['id'] for u in result['unmet']] == [
        'test_create[skip-legacy]', 'test_create[skip-convergence]']


def test_skips_beyond_a_suites_share_fail():
    cases = both('a', 'lifecycle/create') + [
        case('skip', 'lifecycle/create', path=p, outcome='skipped',
             observation=None, message='not run: something')
        for p in PATHS]
    result = report.build(cases, DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'][0].startswith(
        'lifecycle on convergence skipped 1 of 2 planned cases (at most 0% '
        'may skip), e.g. test_lifecycle/create[skip-convergence]: not run')
    rows = {(r['suite'], r['path']): r for r in result['coverage']}
    assert rows[('lifecycle', 'legacy')]['ran_share'] == 0.5


def test_no_cases_fail():
    result = report.build([], DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'] == ['no case ran']
    assert result['may_change_default'] is False


def test_interrupted_run_fails():
    result = report.build(both(), DESCRIPTION, PATHS,
                          interrupted='cell legacy died')
    assert result['verdict'] == 'fail'
    assert result['reasons'] == [
        'the run was interrupted: cell legacy died']
    assert result['interrupted'] == 'cell legacy died'


def test_one_path_has_no_parity_and_cannot_change_default():
    result = report.build([case(path='legacy')], DESCRIPTION, ['legacy'],
                          [allowance('stack')])
    assert result['verdict'] == 'pass'
    assert result['parity'] == []
    assert result['stale_allowances'] == []
    assert result['may_change_default'] is False
    assert list(result['paths']) == ['legacy']


# -- table -------------------------------------------------------------------

def test_table_of_a_passing_report():
    text = table.render(report.build(both() + both('other'), DESCRIPTION,
                                     PATHS))
    assert 'the default may change: no' in text.splitlines()
    assert ('  - the flip-on flip evidence missing: no such case ran'
            in text.splitlines())
    text = table.render(report.build(
        both() + both('other') + evidence.records(), DESCRIPTION, PATHS))
    lines = text.splitlines()
    assert lines[0].split() == ['template', 'steps', 'legacy',
                                'convergence', 'parity', 'flip', 'migrate']
    assert lines[2].split() == ['simple', '1', 'passed', 'passed', 'equal',
                                '-', '-']
    assert lines[3].split() == ['other', '1', 'passed', 'passed', 'equal',
                                '-', '-']
    assert lines[4].split() == ['flagged', '0', '-', '-', '-', 'passed',
                                'passed']
    assert 'cases: 7 passed, 0 failed, 0 error, 0 skipped' in lines
    assert 'verdict: PASS' in lines
    assert 'the default may change: yes' in lines


def test_table_of_a_failing_report():
    cases = both(observation=observation('b'))
    text = table.render(report.build(cases, DESCRIPTION, PATHS))
    lines = text.splitlines()
    assert lines[2].split() == ['simple', '1', 'passed', 'passed',
                                'DIFFERENT:', 'create']
    assert 'verdict: FAIL' in lines
    assert 'the default may change: no' in lines
    assert ('  - parity of simple/create: 1 difference(s), first at '
            'outputs.value') in lines


def test_table_of_one_path_has_no_parity_column():
    text = table.render(report.build([case()], DESCRIPTION, ['legacy']))
    assert text.splitlines()[0].split() == ['template', 'steps', 'legacy']
    assert 'verdict: PASS' in text
    assert 'the default may change' not in text


def test_table_names_the_steps_that_did_not_pass():
    cases = [case(scenario='lifecycle/create'),
             case(scenario='lifecycle/grow', outcome='failed', message='x'),
             case(scenario='lifecycle/delete', outcome='skipped')]
    text = table.render(report.build(cases, DESCRIPTION, ['legacy']))
    assert text.splitlines()[2].split() == [
        'simple', '3', 'grow', 'failed;', '1', 'skipped']


def test_table_of_allowed_and_incomplete_pairs():
    allowance = {'id': 'a', 'location': 'outputs.value', 'reason': 'r',
                 'source': 's'}
    cases = both(observation=observation('b'))
    cases += [case('half', path='legacy')]
    text = table.render(report.build(cases, DESCRIPTION, PATHS, [allowance]))
    rows = {line.split()[0]: line for line in text.splitlines()[2:4]}
    assert rows['simple'].endswith('equal (1 allowed)')
    assert rows['half'].endswith('incomplete: create')
    assert 'parity: 2 pairs, 0 equal, 1 allowed, 0 different, 1 incomplete' \
        in text


def test_table_shows_at_most_twenty_reasons():
    cases = [case('t%02d' % n, outcome='failed', message='x')
             for n in range(25)]
    text = table.render(report.build(cases, DESCRIPTION, ['legacy']))
    assert text.count('\n  - ') == 20
    assert text.endswith('  ... and 5 more reasons in report.json')


# -- files -------------------------------------------------------------------

def test_write_and_read_round_trip(tmp_path):
    built = report.build(both(), DESCRIPTION, PATHS)
    path = report.write(built, str(tmp_path))
    assert path == os.path.join(str(tmp_path), 'report.json')
    assert not os.path.exists(path + '.tmp')
    assert report.read(str(tmp_path)) == built
    assert report.read(path) == built


def test_load_cases_reads_and_sorts_case_files(tmp_path):
    cases_dir = tmp_path / 'cases'
    cases_dir.mkdir()
    records = both('zeta') + both('alpha')
    for number, record in enumerate(records):
        (cases_dir / ('%d.json' % number)).write_text(json.dumps(record))
    (cases_dir / 'ignored.txt').write_text('not a case')
    loaded = report.load_cases(str(tmp_path))
    assert [(c['template'], c['path']) for c in loaded] == [
        ('alpha', 'convergence'), ('alpha', 'legacy'),
        ('zeta', 'convergence'), ('zeta', 'legacy')]
    assert loaded[1] == records[2]


def test_load_cases_without_cases(tmp_path):
    assert report.load_cases(str(tmp_path)) == []


# -- the flag lifecycle: flag checks and reference comparisons --------------

def flipped(step='grow', cell='flip-on', convergence=False, expected=False,
            observation=observation, reference_path='legacy',
            outcome='passed', message=None):
    """A flip-on case of a stack created before the flip."""
    record = case('simple', '%s/%s' % (cell, step), cell, outcome=outcome,
                  observation=observation, message=message)
    record['stacks'][0].update(convergence=convergence,
                               expected_convergence=expected,
                               name='hf-simple-flip-on-def456',
                               source='db')
    record['reference'] = {'scenario': 'lifecycle/%s' % step,
                           'path': reference_path, 'why': 'before the flip'}
    return record


def test_flag_mismatch_in_a_flip_fails_the_case_and_the_gate():
    result = report.build(both('simple', 'lifecycle/grow') + [
        flipped(convergence=True, outcome='failed',
                message='stack hf-simple-flip-on-def456 of simple (id) '
                'has convergence=True, expected False')],
        DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert any('flag mismatch' in r and 'hf-simple-flip-on-def456' in r and
               'of simple' in r and 'convergence=True, expected False' in r
               for r in result['reasons'])
    assert any('flip-on/grow' in r and 'failed' in r
               for r in result['reasons'])
    assert result['summary']['flags']['mismatched'] == 1
    bad = [c for c in result['flag_checks'] if not c['ok']]
    assert bad == [{
        'case': bad[0]['case'], 'template': 'simple',
        'scenario': 'flip-on/grow', 'cell': 'flip-on',
        'stack_id': 'id-simple-flip-on', 'name': 'hf-simple-flip-on-def456',
        'parent': None, 'expected': False, 'actual': True, 'source': 'db',
        'ok': False, 'known_bug': None}]


def test_reference_case_is_compared_with_its_reference_not_paired():
    result = report.build(both('simple', 'lifecycle/grow') + [flipped()],
                          DESCRIPTION, PATHS)
    assert result['verdict'] == 'pass', result['reasons']
    assert [(e['scenario'], e['equal']) for e in result['parity']] == [
        ('lifecycle/grow', True)]
    assert [(e['scenario'], e['path'], e['equal'])
            for e in result['references']] == [('flip-on/grow', 'flip-on',
                                                True)]
    assert len(result['flag_checks']) == 3


def test_reference_difference_fails_naming_both_sides():
    result = report.build(both('simple', 'lifecycle/grow') + [
        flipped(observation=lambda: observation('b'))], DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert result['reasons'] == [
        'simple/flip-on/grow on flip-on against lifecycle/grow on legacy: '
        '1 difference(s), first at outputs.value']
    assert result['summary']['references']['different'] == 1
    assert 'flip-on/grow' in table.render(result)


def test_reference_not_in_the_run_is_listed_not_failed():
    result = report.build([flipped()], DESCRIPTION, PATHS)
    assert result['verdict'] == 'pass'
    assert result['references'][0]['not_compared'] == (
        'lifecycle/grow on legacy did not run in this session')
    assert result['summary']['references']['not_compared'] == 1


def test_reference_without_observation_is_incomplete():
    result = report.build(both('simple', 'lifecycle/grow') + [
        flipped(observation=None)], DESCRIPTION, PATHS)
    assert result['verdict'] == 'fail'
    assert 'incomplete' in result['reasons'][0]


def test_case_without_parity_is_neither_paired_nor_compared():
    lone = case('simple', 'migrate/migrate', 'legacy', observation=None)
    lone['parity'] = 'none'
    result = report.build(both() + [lone], DESCRIPTION, PATHS)
    assert result['verdict'] == 'pass', result['reasons']
    assert len(result['parity']) == 1 and result['references'] == []


def test_table_has_a_column_per_flag_scenario():
    result = report.build(both('simple', 'lifecycle/grow') + [flipped()],
                          DESCRIPTION, PATHS)
    header = table.render(result).splitlines()[0].split()
    assert header == ['template', 'steps', 'legacy', 'convergence',
                      'parity', 'flip-on']


def test_no_pair_compared_is_no_evidence_that_the_default_may_change():
    """A run of the flip and migration suites only (``-k test_flip``)
    passes, but compared nothing between the paths."""
    result = report.build(evidence.records(), DESCRIPTION, PATHS)
    assert result['verdict'] == 'pass'
    assert result['may_change_default'] is False
    assert result['default_blockers'] == [
        'parity evidence missing: no template was compared on both paths']
    different = report.build(
        both(observation=observation('b')) + evidence.records(),
        DESCRIPTION, PATHS)
    assert 'parity evidence missing: no template was compared on both ' \
        'paths' in different['default_blockers']
