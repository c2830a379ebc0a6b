"""Unit tests of heat_functional.results.merge and ``heat-functional
report merge``: the merge of a run's shards, made from hand-written case
records and plans, has the cases, parity entries, coverage, summary and
verdict of the same run unsharded; a shard's own failure and
interruption carry over; performance is summed, the wall time the
longest shard's; and shards that cannot be merged are refused with the
offending directory named (not a shard, no report, records missing,
another run, commit or Heat version, a shard twice, a shard missing)."""

import json
import os

import pytest

from heat_functional import cli
from heat_functional import config
from heat_functional import plan
from heat_functional import records
from heat_functional import shards
from heat_functional.results import merge
from heat_functional.results import report as report_module
from heat_functional.tests.unit import evidence

PATHS = list(config.PATH_NAMES)
DESCRIPTION = {'kind': 'embedded', 'db': 'sqlite', 'auth': 'keystone',
               'ready_s': 3.0, 'heat_version': '27.0.1'}
TEMPLATES = ['alpha', 'beta', 'gamma']
STEPS = ('create', 'update-self', 'delete')
#: What picks the cases, as the spec of every shard gives it.
SELECTION = {'only': None, 'actions': None, 'failures': None,
             'keyword': None, 'paths': PATHS, 'repeat': 1,
             'strict': False, 'toggles': list(config.TOGGLES)}


def observation(value):
    return {'stack': 'CREATE_COMPLETE', 'outputs': {'value': value},
            'resources': {}, 'nested': [], 'events': {}}


def lifecycle(template, step, path, value='same'):
    key = plan.make('lifecycle', template, step, path)
    expected = config.PATHS[path]
    return key, {
        'id': key.case_id, 'suite': 'lifecycle', 'template': template,
        'scenario': plan.scenario('lifecycle', step), 'path': path,
        'outcome': 'passed', 'message': None, 'parity': 'pair',
        'reference': None, 'duration_s': 2.0,
        'stacks': [{'id': '%s-%s' % (key.case_id, path), 'name': 'hf',
                    'parent': None, 'convergence': expected,
                    'expected_convergence': expected}],
        'observation': observation(value)}


def run_cases(differs=()):
    """(keys, records) of a whole run: each template's lifecycle on both
    paths (the convergence side of the templates in `differs` observes
    another value), the flip and migration evidence, a gabbit."""
    made = [lifecycle(t, step, path,
                      'other' if t in differs and path == 'convergence'
                      else 'same')
            for t in TEMPLATES for step in STEPS for path in PATHS]
    for record in evidence.records():
        record = dict(record, template=TEMPLATES[0])
        made.append((plan.CaseKey(record['id'], record['suite'],
                                  record['template'], None, record['path'],
                                  None), record))
    gabbi = {'id': 'test_gabbi[stacks-list-legacy]', 'suite': 'gabbi',
             'template': 'gabbits/stacks', 'scenario': 'gabbi/list',
             'path': 'legacy', 'outcome': 'passed', 'message': None,
             'parity': 'none', 'reference': None, 'stacks': [],
             'observation': None, 'duration_s': 1.0}
    made.append((plan.CaseKey(gabbi['id'], 'gabbi', None, None, 'legacy',
                              None), gabbi))
    return made


def performance(wall, heat):
    return {'cores': 2, 'wall_s': wall, 'samples': 10,
            'sample_interval_s': 0.5, 'cpu_s': {'heat:legacy': heat},
            'groups': {'heat:legacy': {'cpu_s': heat, 'role': 'heat',
                                       'peak_rss_mib': wall}},
            'heat_cpu_s': heat, 'harness_cpu_s': 1.0, 'other_cpu_s': 0.0,
            'postgresql_unattributed_s': 0.0, 'harness_cpu_share': 0.1,
            'efficiency_ratio': 1.0}


def write_run(directory, made, shard=None, **changes):
    """Write a run's records, plan and report as the plugin does."""
    os.makedirs(directory)
    for _, record in made:
        records.write(directory, record)
    plan.write(directory, [key for key, _ in made], run_id='r')
    built = report_module.from_records(
        directory, DESCRIPTION, PATHS, planned=plan.read(directory),
        duration_s=changes.pop('duration_s', 10.0), run_id='r',
        exit_status=0)
    built['performance'] = changes.pop('performance', None)
    built['shard'] = shard
    built.update(changes)
    report_module.write(built, directory)
    return built


def entry(index, count=2, **changes):
    """A shard's ``shard`` in its report."""
    made = {'index': index, 'count': count, 'templates': [],
            'fingerprint': 'f1', 'balanced_by': 'count', 'split': 's1',
            'selection': SELECTION,
            'harness': {'commit': 'c1', 'dirty': False}}
    made.update(changes)
    return made


def in_shard(made, index, count=2):
    """The keys and records a shard of the run runs (shards.split of the
    templates; a case of no template in shard 1)."""
    bins = shards.split(TEMPLATES, count)
    assignment = {'index': index, 'templates': bins[index - 1]}
    return [(k, r) for k, r in made
            if shards.runs_case(assignment, k.template)]


def sharded(tmp_path, made, count=2, per_shard=None):
    """The report directories of the run's `count` shards; `per_shard`:
    shard number -> what its report says otherwise."""
    per_shard = per_shard or {}
    directories = []
    for index in range(1, count + 1):
        directory = str(tmp_path / ('shard%d' % index))
        write_run(directory, in_shard(made, index, count),
                  entry(index, count),
                  **per_shard.get(index, {}))
        directories.append(directory)
    return directories


def same_report(merged, whole):
    for field in ('verdict', 'parity', 'references', 'summary',
                  'coverage', 'flag_checks', 'missing', 'planned',
                  'may_change_default', 'unmet', 'moot', 'failed_alike'):
        assert merged[field] == whole[field], field
    assert [(c['id'], c['outcome']) for c in merged['cases']] == \
        [(c['id'], c['outcome']) for c in whole['cases']]


@pytest.mark.parametrize('count', [2, 3])
def test_merged_shards_are_the_unsharded_run(tmp_path, count):
    made = run_cases()
    whole = write_run(str(tmp_path / 'whole'), made)
    merged = merge.merge(sharded(tmp_path, made, count))
    assert whole['verdict'] == 'pass'
    same_report(merged, whole)
    assert [s['index'] for s in merged['shards']] == list(
        range(1, count + 1))


def test_a_difference_fails_the_merge_as_it_fails_the_run(tmp_path):
    made = run_cases(differs=('beta',))
    whole = write_run(str(tmp_path / 'whole'), made)
    merged = merge.merge(list(reversed(sharded(tmp_path, made))))
    assert whole['verdict'] == 'fail'
    same_report(merged, whole)
    assert [e['template'] for e in merged['parity']
            if not e['equal']] == ['beta'] * 3


def test_a_shards_own_failure_and_interruption_carry_over(tmp_path):
    directories = sharded(tmp_path, run_cases(), 2, {2: {
        'verdict': 'fail', 'reasons': ['pytest was killed by SIGKILL'],
        'interrupted': 'stopped by SIGTERM'}})
    merged = merge.merge(directories)
    assert merged['verdict'] == 'fail'
    assert merged['interrupted'] == 'shard 2/2: stopped by SIGTERM'
    assert any(r.startswith('shard 2/2 (%s) failed on its own: pytest was '
                            'killed by SIGKILL' % directories[1])
               for r in merged['reasons'])


def test_performance_sums_cpu_and_takes_the_longest_wall(tmp_path):
    directories = sharded(tmp_path, run_cases(), 2, {
        1: {'performance': performance(100.0, 50.0), 'duration_s': 120.0},
        2: {'performance': performance(80.0, 40.0), 'duration_s': 90.0}})
    merged = merge.merge(directories)
    measured = merged['performance']
    assert (measured['wall_s'], measured['heat_cpu_s'], measured['cores'],
            measured['groups']['heat:legacy']['cpu_s']) == (
        100.0, 90.0, 4, 90.0)
    assert 'the longest of 2 shards' in measured['wall_is']
    assert merged['duration_s'] == 120.0


def test_performance_of_a_shard_missing_leaves_none(tmp_path):
    directories = sharded(tmp_path, run_cases(), 2, {
        1: {'performance': performance(100.0, 50.0)}})
    assert merge.merge(directories)['performance'] is None


def refused(directories, *words):
    with pytest.raises(merge.MergeError) as raised:
        merge.merge(directories)
    for word in words:
        assert word in str(raised.value), str(raised.value)
    return str(raised.value)


def test_a_missing_shard_is_refused(tmp_path):
    first, _ = sharded(tmp_path, run_cases())
    refused([first], 'shard 2 of 2 missing', first, 'shard 1/2')


def test_a_shard_given_twice_is_refused(tmp_path):
    first, second = sharded(tmp_path, run_cases())
    refused([first, second, first], '%s and %s are both shard 1/2'
            % (first, first))


@pytest.mark.parametrize('field,value,words', [
    ('fingerprint', 'f2', 'selected templates'),
    ('split', 's2', 'split of templates'),
    ('count', 3, 'number of shards'),
    ('selection', dict(SELECTION, keyword='lifecycle'), 'options'),
    ('harness', {'commit': 'c2', 'dirty': False}, 'harness commit'),
])
def test_a_shard_of_another_run_is_refused(tmp_path, field, value, words):
    made = run_cases()
    first = str(tmp_path / 'first')
    write_run(first, in_shard(made, 1), entry(1))
    other = str(tmp_path / 'other')
    write_run(other, in_shard(made, 2), entry(2, **{field: value}))
    refused([first, other], '%s is not a shard of the same run as %s'
            % (other, first), words)


def test_another_heat_version_is_refused(tmp_path):
    made = run_cases()
    first = str(tmp_path / 'first')
    write_run(first, in_shard(made, 1), entry(1))
    other = str(tmp_path / 'other')
    write_run(other, in_shard(made, 2), entry(2), heat_version='28.0.0')
    refused([first, other], other, 'Heat version', '28.0.0', '27.0.1')


def test_not_a_shard_no_report_and_lost_records_are_refused(tmp_path):
    made = run_cases()
    whole = str(tmp_path / 'whole')
    write_run(whole, made)
    refused([whole], whole, 'not a shard')
    empty = str(tmp_path / 'empty')
    os.makedirs(empty)
    refused([empty], empty, 'no shard report')
    first, second = sharded(tmp_path, made)
    os.remove(os.path.join(records.cases_dir(second), sorted(os.listdir(
        records.cases_dir(second)))[0]))
    refused([first, second], second, 'case records')
    with open(os.path.join(first, config.REPORT_JSON), 'w') as f:
        f.write('{')
    refused([first], first, 'not JSON')
    refused([], 'give the report directories')


def test_the_command_merges_and_refuses(tmp_path, capsys):
    first, second = sharded(tmp_path, run_cases())
    out = str(tmp_path / 'merged')
    assert cli.main(['report', 'merge', first, second,
                     '--report-dir', out]) == 0
    merged = report_module.read(out)
    assert merged['verdict'] == 'pass' and len(merged['shards']) == 2
    assert os.path.exists(os.path.join(out, 'report.html'))
    assert 'verdict PASS of 2 shards' in capsys.readouterr().out
    assert cli.main(['report', 'merge', first, '--report-dir',
                     str(tmp_path / 'half')]) == 2
    error = capsys.readouterr().err
    assert 'report merge: shard 2 of 2 missing' in error
    assert not os.path.exists(str(tmp_path / 'half'))
    assert cli.main(['report', 'merge', first, second]) == 2
    assert 'needs --report-dir' in capsys.readouterr().err
    assert cli.main(['report', os.path.join(out, 'report.json'),
                     first]) == 2


def test_a_failed_merge_exits_one(tmp_path):
    made = run_cases(differs=('alpha',))
    first, second = sharded(tmp_path, made)
    assert cli.main(['report', 'merge', first, second, '--report-dir',
                     str(tmp_path / 'merged')]) == 1
    with open(str(tmp_path / 'merged' / 'report.json')) as f:
        assert json.load(f)['verdict'] == 'fail'
