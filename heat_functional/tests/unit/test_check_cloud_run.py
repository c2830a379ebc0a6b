"""Unit tests of tools/check_cloud_run.py: what a run on the devstack-like
deployment must leave true (nothing alive, every engine worked, the run
went through the external target with flags from the databases)."""

import json
import subprocess
import sys

from heat_functional.tests.unit import tools

check_cloud_run = tools.load('check_cloud_run')

WORKED = 'creating TestResource "thing" Stack "hf-abc-legacy" [x]\n'


def _report(**changes):
    report = {'deployment': {'kind': 'external'},
              'flag_checks': [{'source': 'db'}, {'source': 'probe'}],
              'summary': {'flags': {'mismatched': 0}},
              'cases': [{'scenario': s} for s in (
                  'lifecycle', 'flip-on/x', 'flip-back/x', 'migrate/x')]}
    report.update(changes)
    return report


def _gate_dir(tmp_path, logs=(WORKED, WORKED), pids=(), workdir=None,
              report=None):
    directory = tmp_path / 'gate'
    directory.mkdir()
    cells = {}
    for path in ('legacy', 'convergence'):
        engine_logs = []
        for number, text in enumerate(logs):
            log = directory / ('%s-engine-%d.log' % (path, number))
            log.write_text(text)
            engine_logs.append(str(log))
        cells[path] = {'engine_logs': engine_logs}
    (directory / 'cloud.json').write_text(json.dumps({
        'pids': list(pids), 'cells': cells,
        'workdir': workdir or str(tmp_path / 'gone')}))
    (directory / 'report.json').write_text(json.dumps(report or _report()))
    return str(directory)


def test_a_clean_run_has_no_problem(tmp_path):
    assert check_cloud_run.check(_gate_dir(tmp_path)) == []


def test_a_live_process_and_a_left_directory_are_named(tmp_path):
    sleeper = subprocess.Popen([sys.executable, '-c',
                                'import time; time.sleep(60)'])
    try:
        left = tmp_path / 'workdir'
        left.mkdir()
        problems = check_cloud_run.check(_gate_dir(
            tmp_path, pids=[sleeper.pid], workdir=str(left)))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert any('process %d of the deployment is alive' % sleeper.pid in p
               for p in problems)
    assert any('work directory %s is left' % left in p for p in problems)


def test_an_engine_that_created_nothing_is_named(tmp_path):
    problems = check_cloud_run.check(_gate_dir(
        tmp_path, logs=(WORKED, 'creating nothing of ours\n')))
    assert len(problems) == 2  # one engine per path
    assert all('did not share the work' in p for p in problems)


def test_the_report_must_show_the_external_path_and_database_flags(
        tmp_path):
    report = _report(deployment={'kind': 'embedded'},
                     flag_checks=[{'source': 'none'}],
                     summary={'flags': {'mismatched': 2}},
                     cases=[{'scenario': 'lifecycle'}])
    problems = check_cloud_run.check(_gate_dir(tmp_path, report=report))
    text = '\n'.join(problems)
    assert 'did not go through the external target' in text
    assert "flags were read from ['none']" in text
    assert '2 flags mismatched' in text
    assert 'no case of flip-back, flip-on, migrate ran' in text


def test_other_directories_are_checked_for_leftovers_only(tmp_path):
    other = tmp_path / 'deploy'
    other.mkdir()
    (other / 'cloud.json').write_text(json.dumps({
        'pids': [], 'cells': {}, 'workdir': str(tmp_path / 'gone')}))
    assert check_cloud_run.check(None, [str(other)]) == []
    problems = check_cloud_run.check(None, [str(tmp_path / 'missing')])
    assert 'no deployment description' in problems[0]


def test_main_exits_1_on_a_problem(tmp_path, capsys):
    gate = _gate_dir(tmp_path, logs=('',))
    assert check_cloud_run.main(['--gate', gate]) == 1
    assert 'did not share the work' in capsys.readouterr().out
