"""A finding's Heat log lines (fuzz/heat_logs.py): the step's stretch of
a shared log, the lines of the case's stacks and of their requests."""

from heat_functional.fuzz import heat_logs

MINE = 'hf-fuzz_s_3-legacy-'
CTX = '[req-%s req-%s user project - - default default]'
REQ_A = 'aaaaaaaa-0000-0000-0000-000000000001'
REQ_B = 'bbbbbbbb-0000-0000-0000-000000000002'
REQ_C = 'cccccccc-0000-0000-0000-000000000003'


def line(level, request, text):
    return '2026-12-04 07:33:52.514 2192 %s heat.engine.stack %s %s' % (
        level, CTX % (request, request), text)


LOG = [
    line('INFO', REQ_C, 'Stack CREATE started (hf-fuzz_s_1-legacy-0a0b0c)'),
    line('INFO', REQ_A, 'Updating stack %s9f8e7d' % MINE),
    line('INFO', REQ_C, 'Resource x for stack hf-fuzz_s_1-legacy-0a0b0c'),
    line('ERROR', REQ_A, 'Traceback (most recent call last):'),
    line('ERROR', REQ_A, '  ValueError: Cannot convert Ellipsis'),
    line('INFO', REQ_B, 'Resource y for stack 1234-nested-id updated'),
    line('INFO', REQ_C, 'Stack CREATE COMPLETE (hf-fuzz_s_1-legacy-0a0b0c)'),
]


def write(tmp_path, lines):
    log = tmp_path / 'legacy.log'
    log.write_text('early line of another step\n' +
                   ''.join(x + '\n' for x in lines))
    return str(log), len('early line of another step\n')


def test_the_lines_of_the_case_and_of_its_requests(tmp_path):
    log, start = write(tmp_path, LOG)
    found = heat_logs.excerpt(log, [start, heat_logs.offset(log)],
                              [MINE, '1234-nested-id'])
    assert found == {'lines': LOG[1:2] + LOG[3:6], 'left_out': 0}


def test_only_the_steps_stretch_is_read(tmp_path):
    log, start = write(tmp_path, LOG)
    found = heat_logs.excerpt(log, [0, start], [MINE, 'another step'])
    assert found['lines'] == ['early line of another step']


def test_the_last_lines_are_kept_past_the_limit(tmp_path):
    lines = [line('INFO', REQ_A, '%s resource %d' % (MINE, n))
             for n in range(10)]
    log, start = write(tmp_path, lines)
    found = heat_logs.excerpt(log, [start, heat_logs.offset(log)], [MINE],
                              limit=4)
    assert found == {'lines': lines[6:], 'left_out': 6}


def test_no_log_or_no_span_gives_none(tmp_path):
    log, start = write(tmp_path, LOG)
    assert heat_logs.excerpt(None, [0, 10], [MINE]) is None
    assert heat_logs.excerpt(log, None, [MINE]) is None
    assert heat_logs.offset(None) is None
    assert heat_logs.offset(str(tmp_path / 'not-yet.log')) == 0
    assert heat_logs.span(None, 10) is None


def test_the_root_prefix_is_the_case_stack_names_start():
    assert heat_logs.root_prefix('fuzz_s_3', 'legacy') == MINE


class Deployment(object):
    def __init__(self, logs):
        self.logs = logs

    def log_file(self, path):
        return self.logs.get(path)


def test_the_executor_takes_each_paths_lines_of_the_step(tmp_path):
    from heat_functional.fuzz import execute
    log, start = write(tmp_path, LOG)
    records = [
        {'path': 'legacy', 'scenario': 'lifecycle/create',
         'stacks': [{'id': '1234-nested-id', 'name': 'n'}],  # too short
         'log_span': [0, start]},
        {'path': 'legacy', 'scenario': 'lifecycle/grow', 'stacks': [],
         'log_span': [start, heat_logs.offset(log)]},
        {'path': 'convergence', 'scenario': 'lifecycle/grow', 'stacks': [],
         'log_span': None}]
    executor = execute.Executor(Deployment({'legacy': log}), str(tmp_path),
                                ['legacy', 'convergence'], [])
    found = executor._heat_logs('fuzz_s_3', records, 'lifecycle/grow')
    assert found['legacy'] == {'lines': LOG[1:2] + LOG[3:6],
                               'left_out': 0}
    assert found['convergence']['lines'] == []
    assert 'keeps no Heat log' in found['convergence']['why_none']
