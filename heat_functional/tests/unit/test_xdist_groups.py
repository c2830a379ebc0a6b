"""The installed pytest-xdist keeps an xdist_group on one worker.

Lifecycle steps rely on it (plugin.pytest_generate_tests); pytest 9.2
silently broke it for pytest-xdist 3.8 (pytest-xdist issue 1386), so the
pins are checked here rather than trusted.
"""

import os
import subprocess
import sys
import textwrap

from heat_functional import config

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


ORDERED_CONFTEST = textwrap.dedent('''
    from heat_functional import costs
    from heat_functional import plan
    from heat_functional import plugin

    # Group 0 has the most cases and costs the least; group 3 the
    # reverse.
    TABLE = {'cases': {'test_step[%d-%d]' % (group, step): 10.0 ** group
                       for group in range(4) for step in range(3)}}

    def pytest_collection_modifyitems(config, items):
        items[:] = costs.longest_first(items, plugin.xdist_group_of,
                                       plan.key_of_item, TABLE)
''')

UNEVEN_SUITE = SUITE.replace(
    'for group in range(4) for step in range(3)]',
    'for group in range(4) for step in range(4 - group)]')


def test_the_costliest_group_is_handed_out_first(tmp_path):
    """With --no-loadscope-reorder (cli.pytest_command), pytest-xdist
    hands the groups out in the workers' collection order, which the
    plugin sets by cost (costs.py), not by number of cases."""
    (tmp_path / 'test_groups.py').write_text(UNEVEN_SUITE)
    (tmp_path / 'conftest.py').write_text(ORDERED_CONFTEST)
    log = tmp_path / 'workers.log'
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '-n', '1', '--dist', 'loadgroup', '--no-loadscope-reorder',
         str(tmp_path)],
        env={'WORKERS_LOG': str(log), 'PATH': '',
             'PYTHONPATH': os.path.dirname(config.PACKAGE_DIR)},
        cwd=str(tmp_path),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    groups = [line.split()[0] for line in log.read_text().splitlines()]
    assert groups == ['3', '2', '2', '1', '1', '1', '0', '0', '0', '0']
