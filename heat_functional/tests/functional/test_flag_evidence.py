"""Evidence as soon as it exists: a flag changed by the flip is named at
once, and a step that hangs shows what the stack and its cell were doing.

These run the real ``heat-functional`` on the embedded real Heat
(SQLite, noauth, one template) and read its report:

- the toggle cell ``flip-on`` runs a broken Heat (``convert_on_restart``):
  its engine, restarted with ``convergence_engine`` on, turns every live
  stack into a convergence stack, and an update or a delete of such a
  stack never ends. The flip case must fail within seconds, naming the
  stack and both flag values, and so must every later step of that
  stack, instead of each waiting for the stack timeout;
- a create that outlasts the stack timeout fails with the stack's last
  events, nested stacks included, and the tail of the cell's log.
"""

import json
import os
import subprocess

from heat_functional import config
from heat_functional.tests.functional import convert_on_restart
from heat_functional.tests.functional import helpers

#: Seconds a step may wait here. Without the early flag check, each step
#: of the converted stack would wait this long (an update of it never
#: ends), which the flip test would see in its cases' durations.
STACK_TIMEOUT = 60
#: What "within seconds" means for a case the early check fails.
FAST = 10
TEMPLATE = 'res_test_resource'
#: A group whose member's create outlasts HANG_TIMEOUT by 10 s, and then
#: ends: the delete that follows, which waits for it (Heat's threading
#: backend cannot stop it), does not wait long.
SLOW_GROUP = """heat_template_version: 2021-04-16
resources:
  group:
    type: OS::Heat::ResourceGroup
    properties:
      count: 1
      resource_def:
        type: OS::Heat::TestResource
        properties:
          action_wait_secs:
            create: 25
"""
HANG_TIMEOUT = 15


def _failing_run(tmp_path, env, command, *args):
    """Run ``heat-functional COMMAND``, which must fail; its report and
    report directory."""
    report_dir = tmp_path / 'report'
    result = subprocess.run(
        helpers.cli(command, '--db', 'sqlite', '--auth', 'noauth',
                    '--report-dir', str(report_dir), '-n', '1', *args),
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert 'Traceback' not in result.stdout
    report = json.loads((report_dir / 'report.json').read_text())
    return report, report_dir


def _broken_flip_env(tmp_path):
    """The run's environment: the flip-on cell's Heat broken, every
    other process as it is."""
    fault = tmp_path / 'fault'
    fault.mkdir()
    (fault / 'sitecustomize.py').write_text(convert_on_restart.SITECUSTOMIZE)
    env = helpers.cli_env(HEAT_FUNCTIONAL_STACK_TIMEOUT=STACK_TIMEOUT,
                          **{convert_on_restart.CELL_ENV: 'flip-on'})
    env['PYTHONPATH'] = os.pathsep.join([str(fault), env['PYTHONPATH']])
    return env


def test_a_flag_changed_by_the_flip_fails_the_flip_case_at_once(tmp_path):
    report, report_dir = _failing_run(
        tmp_path, _broken_flip_env(tmp_path), 'gate', '--only', TEMPLATE,
        '-k', 'test_flip and flip-on')

    log = (report_dir / 'logs' / 'flip-on.log').read_text()
    assert convert_on_restart.LOG_LINE % 1 in log, 'the fault did not act'
    cases = {c['scenario'].split('/', 1)[1]: c for c in report['cases']
             if c['path'] == 'flip-on'}
    assert cases['create']['outcome'] == 'passed'
    old = cases['create']['stacks'][0]
    changed = ('stack %s of %s (%s) has convergence=True, expected False'
               % (old['name'], TEMPLATE, old['id']))
    first = cases['in-place']
    assert first['outcome'] == 'failed'
    assert first['message'].splitlines() == [
        'the flags of the stack of %s on flip-on are wrong right after the '
        'flip of flip-on to convergence_engine=True:' % TEMPLATE,
        '  ' + changed,
        'not run, nor any later step of that stack (delete included): a '
        'step on a stack whose path changed under it can wait until the '
        'stack timeout']
    assert [(s['id'], s['convergence'], s['expected_convergence'])
            for s in first['stacks']] == [(old['id'], True, False)]
    for step in ('in-place', 'update-replace', 'replace-value', 'delete'):
        assert cases[step]['outcome'] == 'failed', step
        assert cases[step]['message'] == first['message'], step
        assert cases[step]['duration_s'] < FAST, step
    # The flip itself worked: a new stack gets the new flag and passes.
    for step in ('new-create', 'new-delete'):
        assert cases[step]['outcome'] == 'passed', cases[step]['message']
    assert [(c['name'], c['actual'], c['expected'])
            for c in report['flag_checks'] if not c['ok']] == [
        (old['name'], True, False)]
    assert report['verdict'] == 'fail'


def test_a_step_that_hangs_shows_the_stacks_events_and_the_cells_log(
        tmp_path):
    templates = tmp_path / 'templates'
    templates.mkdir()
    (templates / 'slow_group.yaml').write_text(SLOW_GROUP)
    env = helpers.cli_env(HEAT_FUNCTIONAL_STACK_TIMEOUT=HANG_TIMEOUT,
                          HEAT_FUNCTIONAL_TOGGLES=0)
    report, _ = _failing_run(tmp_path, env, 'run', '--templates',
                             str(templates), '--paths', 'legacy',
                             '-k', 'test_lifecycle')

    create = [c for c in report['cases']
              if c['scenario'] == 'lifecycle/create'][0]
    assert create['outcome'] == 'failed'
    lines = create['message'].splitlines()
    assert lines[0] == (
        "create of slow_group on legacy: not finished after %s s (waited "
        "for CREATE to finish; the stack's last event: CREATE_IN_PROGRESS)"
        % float(HANG_TIMEOUT))
    assert lines[1] == ("The stack's last events (oldest first, nested "
                        "stacks included):")
    log_header = [n for n, line in enumerate(lines)
                  if line.startswith('The last lines of the log of legacy')]
    assert log_header, create['message']
    events = lines[2:log_header[0]]
    # The root's start, the group's, and its member's in the nested stack.
    assert any('  group  CREATE_IN_PROGRESS' in e for e in events), events
    assert any('-group-' in e and '/0  CREATE_IN_PROGRESS' in e
               for e in events), events
    tail = lines[log_header[0] + 1:-1]
    assert 0 < len(tail) <= config.LOG_TAIL_LINES
    assert all(line.startswith('  ') for line in tail)
    # And what every thread of the cell was doing at that moment.
    threads = lines[-1]
    assert threads.startswith('What every thread of the Heat of legacy was '
                              'doing: '), threads
    report_file = threads.split(': ', 1)[1]
    assert 'Guru Meditation' in open(report_file).read()
