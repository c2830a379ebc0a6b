"""Shards merged are the run unsharded (doc/source/shards.rst, "The
proof").

Four small shipped templates' lifecycles are gated unsharded, then as
shard 1/2 and 2/2 one after the other (balanced by the unsharded run's
costs), each with its own deployment and report. The merge of the two
shards must have the same cases, parity entries and verdict as the
unsharded run (``tools/compare_runs.py --same-run --check``), each
template's cases on both paths in one shard, and a merge of shard 1
alone must be refused, naming the missing shard.
"""

import json
import os
import subprocess
import sys

from heat_functional.tests.functional import helpers

#: Four of the cheapest shipped templates (about 20 s of cases each).
TEMPLATES = ('v_named_pike', 'v_named_queens', 'v_named_rocky',
             'v_named_wallaby')
PATHS = ('legacy', 'convergence')
COMPARE_RUNS = os.path.join(helpers.ROOT, 'tools', 'compare_runs.py')


def gate(report_dir, *extra):
    """`heat-functional gate` of the four templates' lifecycles."""
    result = subprocess.run(
        helpers.cli('gate', '--only', ','.join(TEMPLATES), '--db', 'sqlite',
                    '-n', '2', '-k', 'test_lifecycle',
                    '--report-dir', str(report_dir), *extra),
        env=helpers.cli_env(HEAT_FUNCTIONAL_TOGGLES=0),
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return json.loads((report_dir / 'report.json').read_text())


def merge(*directories, out):
    return subprocess.run(
        helpers.cli('report', 'merge', *[str(d) for d in directories],
                    '--report-dir', str(out)),
        env=helpers.cli_env(), capture_output=True, text=True, timeout=300)


def check_shard(report, index, whole):
    """A shard's report: which shard it is, and its templates' cases,
    each on both paths, as the unsharded run ran them."""
    shard = report['shard']
    assert (shard['index'], shard['count']) == (index, 2)
    assert shard['balanced_by'] == 'report.json'
    ran = {(c['template'], c['scenario'], c['path'])
           for c in report['cases']}
    assert ran == {(c['template'], c['scenario'], c['path'])
                   for c in whole['cases']
                   if c['template'] in shard['templates']}
    assert ran == {(t, s, path) for t, s, _ in ran for path in PATHS}
    return shard


def test_merged_shards_are_the_unsharded_run(tmp_path):
    whole = gate(tmp_path / 'whole')
    assert whole['verdict'] == 'pass', whole['reasons']
    assert whole['shard'] is None
    costs = str(tmp_path / 'whole' / 'report.json')
    shards = [check_shard(gate(tmp_path / ('shard%d' % k), '--shard',
                               '%d/2' % k, '--shard-costs', costs), k,
                          whole)
              for k in (1, 2)]
    assert shards[0]['templates'] and shards[1]['templates']
    assert sorted(shards[0]['templates'] + shards[1]['templates']) == \
        list(TEMPLATES)
    assert shards[0]['fingerprint'] == shards[1]['fingerprint']

    merged = merge(tmp_path / 'shard2', tmp_path / 'shard1',
                   out=tmp_path / 'merged')
    assert merged.returncode == 0, merged.stdout[-3000:] + merged.stderr
    assert 'verdict PASS of 2 shards' in merged.stdout
    compared = subprocess.run(
        [sys.executable, COMPARE_RUNS, costs,
         str(tmp_path / 'merged' / 'report.json'), '--same-run', '--check'],
        capture_output=True, text=True, timeout=120)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert '%d cases compared, %d same, 0 different, 0 only in the first, '\
        '0 only in the second' % ((len(whole['cases']),) * 2) in \
        compared.stdout
    assert 'same run: 0 parity and 0 reference entries not alike; ' \
        'verdicts pass / pass' in compared.stdout

    refused = merge(tmp_path / 'shard1', out=tmp_path / 'half')
    assert refused.returncode == 2
    assert 'shard 2 of 2 missing' in refused.stderr
    assert not (tmp_path / 'half' / 'report.json').exists()
