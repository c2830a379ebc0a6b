"""Unit tests of tools/compare_runs.py: two runs compared case by case
(outcome and observation, path with path), cases of one run only, the
summary, --out and --check, a missing report; crafted reports, no Heat."""

import json

from heat_functional.tests.unit import tools

compare_runs = tools.load('compare_runs')


def case(case_id, status='CREATE_COMPLETE', outcome='passed'):
    return {'id': case_id, 'outcome': outcome,
            'observation': {'stack': status, 'outputs': {'n': 1}}}


def write(tmp_path, name, cases):
    path = tmp_path / name
    path.write_text(json.dumps({'cases': cases}))
    return str(path)


def test_same_different_and_unmatched_cases():
    result = compare_runs.compare(
        {'cases': [case('a-legacy'), case('b-legacy', 'CREATE_FAILED'),
                   case('c-legacy', outcome='failed'), case('only-a')]},
        {'cases': [case('a-legacy'), case('b-legacy'), case('c-legacy'),
                   case('only-b')]})
    assert result['compared'] == 3 and result['same'] == 1
    assert result['different'] == [
        {'id': 'b-legacy', 'differences': [
            {'location': 'stack', 'a': 'CREATE_FAILED',
             'b': 'CREATE_COMPLETE'}]},
        {'id': 'c-legacy', 'differences': [
            {'location': 'outcome', 'a': 'failed', 'b': 'passed'}]}]
    assert result['only_in_a'] == ['only-a']
    assert result['only_in_b'] == ['only-b']
    text = compare_runs.summary(result, 'cloud', 'embedded')
    assert '3 cases compared, 1 same, 2 different' in text
    assert 'b-legacy at stack: "CREATE_FAILED" / "CREATE_COMPLETE"' in text


def test_main_writes_json_and_checks(tmp_path, capsys):
    a = write(tmp_path, 'a.json', [case('x', 'CREATE_FAILED')])
    b = write(tmp_path, 'b.json', [case('x')])
    out = tmp_path / 'out.json'
    assert compare_runs.main([a, b, '--out', str(out)]) == 0
    assert json.loads(out.read_text())['different'][0]['id'] == 'x'
    assert compare_runs.main([a, b, '--check']) == 1
    assert compare_runs.main([a, a, '--check']) == 0


def test_missing_report_compares_nothing(tmp_path, capsys):
    a = write(tmp_path, 'a.json', [case('x')])
    assert compare_runs.main([a, str(tmp_path / 'none.json'),
                              '--check']) == 0
    assert 'nothing compared' in capsys.readouterr().out


def parity_entry(template, equal=True, locations=()):
    return {'template': template, 'scenario': 'lifecycle/create',
            'equal': equal, 'allowed': False,
            'differences': [{'location': loc} for loc in locations]}


def report(cases, parity, verdict='pass'):
    return {'cases': cases, 'parity': parity, 'references': [],
            'verdict': verdict}


def test_same_run_compares_parity_entries_and_verdicts(tmp_path, capsys):
    a = report([case('x')], [parity_entry('t'), parity_entry('u')])
    alike = report([case('x')], [parity_entry('u'), parity_entry('t')])
    result = compare_runs.compare_same_run(
        a, alike, compare_runs.compare(a, alike))
    assert compare_runs.same_run_failures(result) == []
    b = report([case('x'), case('y')],
               [parity_entry('t', False, ['outputs.v'])], 'fail')
    result = compare_runs.compare_same_run(a, b, compare_runs.compare(a, b))
    assert compare_runs.same_run_failures(result) == [
        'cases only in b: y',
        'parity entry t lifecycle/create: {"state": "equal", "locations": '
        '[]} / {"state": "different", "locations": ["outputs.v"]}',
        'parity entry u lifecycle/create: {"state": "equal", "locations": '
        '[]} / null',
        'verdict: pass / fail']
    path_a = tmp_path / 'a.json'
    path_a.write_text(json.dumps(a))
    path_b = tmp_path / 'b.json'
    path_b.write_text(json.dumps(b))
    same = tmp_path / 'same.json'
    same.write_text(json.dumps(alike))
    # Without --same-run only the compared case counts: it is the same.
    assert compare_runs.main([str(path_a), str(path_b), '--check']) == 0
    assert compare_runs.main([str(path_a), str(path_b), '--same-run',
                              '--check']) == 1
    assert 'verdicts pass / fail' in capsys.readouterr().out
    assert compare_runs.main([str(path_a), str(same), '--same-run',
                              '--check']) == 0
