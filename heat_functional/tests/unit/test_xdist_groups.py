"""The installed pytest-xdist keeps an xdist_group on one worker.

Lifecycle steps rely on it (plugin.pytest_generate_tests); pytest 9.2
silently broke it for pytest-xdist 3.8 (pytest-xdist issue 1386), so the
pins are checked here rather than trusted.
"""

import subprocess
import sys
import textwrap

SUITE = textwrap.dedent('''
    import os
    import pytest

    CASES = [pytest.param(group, step, id='%s-%s' % (group, step),
                          marks=pytest.mark.xdist_group('g%s' % group))
             for group in range(4) for step in range(3)]

    @pytest.mark.parametrize('group,step', CASES)
    def test_step(group, step):
        with open(os.environ['WORKERS_LOG'], 'a') as log:
            log.write('%s %s %s\\n' % (group, step,
                                       os.environ['PYTEST_XDIST_WORKER']))
''')


def test_each_group_runs_on_one_worker_in_order(tmp_path):
    (tmp_path / 'test_groups.py').write_text(SUITE)
    log = tmp_path / 'workers.log'
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '-n', '3', '--dist', 'loadgroup', str(tmp_path)],
        env={'WORKERS_LOG': str(log), 'PATH': ''}, cwd=str(tmp_path),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [line.split() for line in log.read_text().splitlines()]
    assert len(runs) == 12
    for group in '0123':
        steps = [(step, worker) for g, step, worker in runs if g == group]
        assert [step for step, _ in steps] == ['0', '1', '2']
        assert len({worker for _, worker in steps}) == 1, steps
