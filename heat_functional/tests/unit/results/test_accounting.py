"""Unit tests of heat_functional.accounting: planned cases without a
record, skips per suite, pytest's exit status, the default's evidence;
and of report.build over them."""

from heat_functional import plan
from heat_functional.results import accounting
from heat_functional.results import report
from heat_functional.results import table
from heat_functional.tests.unit import evidence

PATHS = ['legacy', 'convergence']


def key(template, step, path, suite='lifecycle'):
    return plan.CaseKey('test_%s[%s-%s-%s]' % (suite, template, step, path),
                        suite, template, step, path, None)


def record(k, outcome='passed', observation=None, **extra):
    return dict({
        'id': k.case_id, 'suite': k.suite, 'template': k.template,
        'scenario': '%s/%s' % (k.suite, k.step), 'path': k.path,
        'outcome': outcome, 'message': None, 'stacks': [],
        'observation': observation or {'stack': 'CREATE_COMPLETE'},
    }, **extra)


def test_a_planned_case_without_record_fails_and_is_named():
    planned = [key('t', 'create', p) for p in PATHS] + [
        key('t', 'create', 'flip-on', suite='flip')]
    cases = [record(k) for k in planned[:2]]
    built = report.build(cases, {}, PATHS, planned=planned,
                         seen={'test_flip[t-create-flip-on]':
                               "worker 'gw1' crashed while running it"})
    assert built['verdict'] == 'fail'
    assert built['missing'] == ['test_flip[t-create-flip-on]']
    assert ("test_flip[t-create-flip-on] error: no record: worker 'gw1' "
            "crashed while running it") in built['reasons']
    made = [c for c in built['cases'] if c.get('missing_record')]
    assert made[0]['outcome'] == 'error'


def test_a_missing_side_of_a_pair_makes_the_pair_incomplete():
    planned = [key('t', 'create', p) for p in PATHS]
    built = report.build([record(planned[0])], {}, PATHS, planned=planned,
                         interrupted='stopped by SIGTERM')
    assert built['verdict'] == 'fail'
    assert built['parity'][0]['incomplete'] == \
        'no observation on convergence'
    assert any('never finished: the run was interrupted (stopped by '
               'SIGTERM)' in r for r in built['reasons'])


def test_no_plan_fails():
    planned = [key('t', 'create', p) for p in PATHS]
    built = report.build([record(k) for k in planned], {}, PATHS,
                         planned=None)
    assert built['verdict'] == 'fail'
    assert built['reasons'] == ['no plan was written: which cases the run '
                                'meant to run is unknown']


def test_coverage_per_suite_and_path():
    planned = [key('t%d' % i, 'create', p) for i in range(4)
               for p in PATHS]
    cases = [record(k) for k in planned[:6]] + [
        record(planned[6], 'skipped', skip_kind='unmet',
               message='t3 requires keystone: noauth'),
        record(planned[7], 'skipped', message='not run: who knows')]
    rows = {(r['suite'], r['path']): r
            for r in accounting.coverage(cases, planned)}
    assert rows[('lifecycle', 'legacy')] == {
        'suite': 'lifecycle', 'path': 'legacy', 'planned': 4, 'ran': 3,
        'skipped': 0, 'unmet': 1, 'xfail': 0, 'moot': 0, 'missing': 0,
        'ran_share': 0.75}
    assert rows[('lifecycle', 'convergence')]['skipped'] == 1
    problems = accounting.skip_problems(list(rows.values()), cases)
    assert problems == [
        'lifecycle on convergence skipped 1 of 4 planned cases (at most 0% '
        'may skip), e.g. test_lifecycle[t3-create-convergence]: not run: '
        'who knows']


def test_a_share_within_the_limit_passes():
    cases = [record(key('t%d' % i, 'act', 'legacy', suite='actions'))
             for i in range(9)] + [
        record(key('t9', 'act', 'legacy', suite='actions'), 'skipped',
               message='nothing to adopt')]
    rows = accounting.coverage(cases)
    assert accounting.skip_problems(rows, cases) == []
    assert accounting.skip_problems(rows, cases, {'*': 0.05}) != []


def test_exit_status_the_records_do_not_show():
    passed = [record(key('t', 'create', 'legacy'))]
    failed = [record(key('t', 'create', 'legacy'), 'failed')]
    assert accounting.exit_status_problems(0, passed) == []
    assert accounting.exit_status_problems(1, failed) == []
    assert accounting.exit_status_problems(1, passed) == [
        'pytest reported failed tests (exit status 1) that no case record '
        'shows: see junit.xml']
    assert accounting.exit_status_problems(3, failed) == [
        'pytest ended with exit status 3 (internal error)']


def test_the_default_needs_flips_and_a_migration():
    planned = [key('t', 'create', p) for p in PATHS]
    cases = [record(k) for k in planned]
    built = report.build(cases, {}, PATHS, planned=planned)
    assert built['verdict'] == 'pass'
    assert built['may_change_default'] is False
    assert built['default_blockers'] == [
        'the flip-on flip evidence missing: no such case ran',
        'the flip-back flip evidence missing: no such case ran',
        'migration evidence missing: no such case ran']
    flags = evidence.records()
    built = report.build(cases + flags, {}, PATHS)
    assert built['may_change_default'] is True
    refused = [dict(c, migration={'refused': 'no'}) if c['suite'] ==
               'migrate' else c for c in flags]
    built = report.build(cases + refused, {}, PATHS)
    assert built['default_blockers'] == [
        'migration evidence missing: no stack was migrated']
    skipped = [dict(c, outcome='skipped', skip_kind='unmet',
                    message='no toggle cell') if c['path'] == 'flip-on'
               else c for c in flags]
    built = report.build(cases + skipped, {}, PATHS)
    assert built['verdict'] == 'pass'
    assert built['default_blockers'] == [
        'the flip-on flip evidence missing: 1 of 1 cases did not pass '
        '(test_flip[flip-on-create]: no toggle cell)']


def test_amend_fails_a_passing_report():
    planned = [key('t', 'create', p) for p in PATHS]
    built = report.build([record(k) for k in planned] + evidence.records(),
                         {}, PATHS, planned=planned)
    assert built['verdict'] == 'pass'
    amended = report.amend(built, ['pytest was killed by SIGKILL'],
                           interrupted='stopped by SIGTERM')
    assert amended['verdict'] == 'fail'
    assert amended['interrupted'] == 'stopped by SIGTERM'
    assert amended['reasons'][:2] == [
        'the run was interrupted: stopped by SIGTERM',
        'pytest was killed by SIGKILL']
    assert amended['may_change_default'] is False
    assert report.amend(amended, ['pytest was killed by SIGKILL']) == \
        amended


def test_the_summary_and_the_page_say_who_ran():
    from heat_functional.results import htmlreport
    planned = [key('t%d' % i, 'create', p) for i in range(2)
               for p in PATHS]
    cases = [record(k) for k in planned[:3]] + [
        record(planned[3], 'skipped', skip_kind='unmet',
               message='t1 requires keystone: noauth')]
    built = report.build(cases, {}, PATHS, planned=planned)
    text = table.render(built)
    assert 'planned cases that ran:' in text.splitlines()
    assert '  lifecycle on convergence: 1 of 2 (1 unmet)' in \
        text.splitlines()
    page = htmlreport.render(built)
    assert 'id="coverage"' in page
    assert 't1 requires keystone: noauth' in page
    everything = report.build(cases[:3], {}, PATHS, planned=planned[:3])
    assert 'every planned case ran (3)' in table.render(everything)


def test_a_page_of_cases_left_without_template_renders():
    from heat_functional.results import htmlreport
    planned = [plan.CaseKey('test_migration_refused_while_in_progress',
                            'migration_refused_while_in_progress', None,
                            None, None, None),
               key('t', 'create', 'legacy')]
    built = report.build([], {}, PATHS, planned=planned,
                         interrupted='stopped by SIGINT')
    assert built['cases'][0]['template'] == '-'
    assert 'stopped by SIGINT' in htmlreport.render(built)
