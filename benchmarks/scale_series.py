#!/usr/bin/env python3
"""Benchmark: how create, update and delete time grow with a stack's size.

Starts an embedded deployment (both paths) and runs three series of
generated templates on each path, one stack at a time:

``flat``
    N ``OS::Heat::TestResource`` in one stack (N = 10, 50, 200);
``spread``
    the same N resources spread over nested stacks of ``--per-stack``
    (10) each: a root of provider resources, each a nested stack;
``depth``
    nesting depth D = 1 to 5: a chain of provider templates, each level
    holding ``--per-level`` (5) resources and the next level.

Each stack is created, updated (every resource's ``value`` changes, in
place) and deleted. For each action it records the wall time (request to
final status, as the harness sees it) and Heat's own time (the root
stack's action window, read from the event rows as
``case.measure_heat_time`` does). An action that fails, or does not end
within ``--timeout`` seconds, is recorded with Heat's status or the
harness's error, marked ``*`` in the table and left out of the plot; the
stack's later actions are not run.

Writes ``scale_series.json``, ``scale_series.txt`` (the table, also
printed) and ``scale_series.svg`` (time against size, one panel per
series; the SVG is generated here, no plotting library) into
``--out``. Timings are measured here, never asserted in tests.

    python benchmarks/scale_series.py [--db sqlite] [--out DIR]
        [--sizes 10,50,200] [--depths 1,2,3,4,5]
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time

from heat_functional import client
from heat_functional import config
from heat_functional import deployment as deployment_module
from heat_functional.deployment import embedded
from heat_functional.deployment.parts import database

VERSION = '2021-04-16'
ACTIONS = ('create', 'update', 'delete')
SERIES = ('flat', 'spread', 'depth')
#: Colours of the paths; dash patterns of the actions.
COLOURS = {'legacy': '#3b6fb6', 'convergence': '#d9822b'}
DASHES = {'create': '', 'update': '6,3', 'delete': '2,3'}


# -- templates ---------------------------------------------------------------
def _resources(count, prefix='r'):
    return {'%s%03d' % (prefix, n): {
        'type': 'OS::Heat::TestResource',
        'properties': {'value': {'get_param': 'value'}}}
        for n in range(count)}


def _template(resources):
    return {'heat_template_version': VERSION,
            'parameters': {'value': {'type': 'string', 'default': 'v1'}},
            'resources': resources}


def flat(size):
    """N resources in one stack: (template, files, resources)."""
    return _template(_resources(size)), {}, size


def spread(size, per_stack):
    """N resources in nested stacks of per_stack each."""
    stacks = max(1, size // per_stack)
    leaf = _template(_resources(per_stack))
    root = _template({'nested%03d' % n: {
        'type': 'leaf.yaml', 'properties': {'value': {'get_param': 'value'}}}
        for n in range(stacks)})
    return root, {'leaf.yaml': json.dumps(leaf)}, stacks * per_stack


def depth(levels, per_level):
    """A chain of `levels` nested stacks below the root, per_level
    resources in each stack, the root included."""
    files = {}
    for level in range(levels, 0, -1):
        resources = _resources(per_level)
        if level < levels:
            resources['deeper'] = {
                'type': 'level%d.yaml' % (level + 1),
                'properties': {'value': {'get_param': 'value'}}}
        files['level%d.yaml' % level] = json.dumps(_template(resources))
    root = _resources(per_level)
    root['deeper'] = {'type': 'level1.yaml',
                      'properties': {'value': {'get_param': 'value'}}}
    return _template(root), files, per_level * (levels + 1)


def configurations(sizes, depths, per_stack, per_level):
    """(series, x, template, files, resources) for every run."""
    for size in sizes:
        yield ('flat', size) + flat(size)
    for size in sizes:
        yield ('spread', size) + spread(size, per_stack)
    for levels in depths:
        yield ('depth', levels) + depth(levels, per_level)


# -- measuring ---------------------------------------------------------------
def _heat_seconds(handle, path, stack_id, since):
    timeline = handle.stack_timeline(path, stack_id) or []
    return round(database.heat_seconds(timeline[since:]), 3), len(timeline)


def _status(stack, gone='DELETE_COMPLETE'):
    return gone if stack is None else '%s_%s' % (stack.action, stack.status)


def measure(handle, path, name, template, files, timeout):
    """Create, update and delete one stack; seconds of each action. An
    action that fails or does not end within `timeout` seconds is
    recorded as such (``status``, ``error``), and the stack is left to
    the deployment's teardown."""
    driver = client.StackDriver(handle, path, name)
    result = {}
    stack_id, seen = None, 0
    for action in ACTIONS:
        started = time.monotonic()
        try:
            if action == 'create':
                stack_id = driver.create(name, template, files=files,
                                         parameters={'value': 'v1'})
                status = _status(driver.wait(stack_id, 'CREATE', 'create',
                                             timeout=timeout))
            elif action == 'update':
                driver.update(stack_id, template, files=files,
                              parameters={'value': 'v2'})
                status = _status(driver.wait(stack_id, 'UPDATE', 'update',
                                             since=seen, timeout=timeout))
            else:
                status = _status(driver.delete(stack_id, timeout=timeout))
        except client.HeatError as error:
            result[action] = {'wall_s': round(time.monotonic() - started, 3),
                              'status': 'ERROR', 'error': str(error),
                              'heat_s': None}
            break
        result[action] = {'wall_s': round(time.monotonic() - started, 3),
                          'status': status}
        result[action]['heat_s'], seen = _heat_seconds(handle, path,
                                                       stack_id, seen)
        if not status.endswith('_COMPLETE'):
            break
    return result


def run(args, workdir):
    cells = embedded.EmbeddedCells(os.path.join(workdir, 'cells'),
                                   db=args.db)
    description = cells.start()
    rows = []
    try:
        handle = deployment_module.attach(description)
        for series, x, template, files, resources in configurations(
                args.sizes, args.depths, args.per_stack, args.per_level):
            for path in config.PATH_NAMES:
                name = 'hf-scale-%s-%s-%s' % (series, x, path)
                sys.stderr.write('%s %s on %s...\n' % (series, x, path))
                rows.append(dict(series=series, x=x, resources=resources,
                                 path=path, **measure(handle, path, name,
                                                      template, files,
                                                      args.timeout)))
        handle.close()
    finally:
        cells.close()
    return description, rows


# -- output ------------------------------------------------------------------
def table(rows):
    """The results as a text table: a row per (series, size), the wall
    and Heat time of each action on each path."""
    header = ['series', 'x', 'res']
    for path in config.PATH_NAMES:
        header += ['%s %s' % (path, a) for a in ACTIONS]
    lines = [header]
    keys = []
    for row in rows:
        if (row['series'], row['x']) not in keys:
            keys.append((row['series'], row['x']))
    for series, x in keys:
        by_path = {r['path']: r for r in rows
                   if (r['series'], r['x']) == (series, x)}
        line = [series, str(x), str(next(iter(by_path.values()))[
            'resources'])]
        for path in config.PATH_NAMES:
            for action in ACTIONS:
                done = by_path.get(path, {}).get(action)
                if not done:
                    line.append('-')
                elif not done['status'].endswith('_COMPLETE'):
                    line.append('%s*' % done['status'])
                else:
                    line.append('%.1f/%.1f' % (done['wall_s'],
                                               done['heat_s'] or 0))
        lines.append(line)
    widths = [max(len(line[i]) for line in lines)
              for i in range(len(header))]
    text = ['  '.join(v.rjust(w) for v, w in zip(line, widths))
            for line in lines]
    text.insert(1, '  '.join('-' * w for w in widths))
    notes = ['%s %s %s on %s: %s' % (r['series'], r['x'], a, r['path'],
                                     r[a].get('error') or r[a]['status'])
             for r in rows for a in ACTIONS
             if a in r and not r[a]['status'].endswith('_COMPLETE')]
    return '\n'.join(text) + ('\n\nwall/heat seconds; x is the number of '
                              'resources (flat, spread) or the nesting '
                              'depth (depth)\n') + ''.join(
                                  '* %s\n' % n for n in notes)


def svg(rows, width=300, height=220, margin=42):
    """Time against size: a panel per series, a line per path and
    action (wall time), as one self-contained SVG."""
    panels = []
    for number, series in enumerate(SERIES):
        selected = [r for r in rows if r['series'] == series]
        if not selected:
            continue
        xs = sorted({r['x'] for r in selected})
        top = max([r[a]['wall_s'] for r in selected for a in ACTIONS
                   if a in r] + [0.1])
        left = number * (width + margin) + margin

        def px(x):
            if len(xs) == 1:
                return left + width / 2
            return left + width * (x - xs[0]) / (xs[-1] - xs[0])

        def py(seconds):
            return margin + height - height * seconds / top
        parts = ['<text x="%d" y="%d" font-weight="bold">%s</text>'
                 % (left, margin - 18, series),
                 '<rect x="%d" y="%d" width="%d" height="%d" fill="none" '
                 'stroke="#999"/>' % (left, margin, width, height)]
        for tick in range(5):
            seconds = top * tick / 4
            parts.append('<text x="%d" y="%.1f" font-size="10" '
                         'text-anchor="end">%.3g s</text>'
                         % (left - 4, py(seconds) + 3, seconds))
        for x in xs:
            parts.append('<text x="%.1f" y="%d" font-size="10" '
                         'text-anchor="middle">%s</text>'
                         % (px(x), margin + height + 13, x))
        parts.append('<text x="%d" y="%d" font-size="10" text-anchor='
                     '"middle">%s</text>' % (
                         left + width / 2, margin + height + 27,
                         'nesting depth' if series == 'depth'
                         else 'resources'))
        for path in config.PATH_NAMES:
            for action in ACTIONS:
                points = sorted((r['x'], r[action]['wall_s'])
                                for r in selected if r['path'] == path and
                                r.get(action, {}).get('status', '')
                                .endswith('_COMPLETE'))
                if not points:
                    continue
                dash = DASHES[action]
                parts.append(
                    '<polyline fill="none" stroke="%s" stroke-width="2"%s '
                    'points="%s"><title>%s %s</title></polyline>' % (
                        COLOURS.get(path, '#666'),
                        ' stroke-dasharray="%s"' % dash if dash else '',
                        ' '.join('%.1f,%.1f' % (px(x), py(s))
                                 for x, s in points), path, action))
                parts += ['<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s">'
                          '<title>%s %s, %s: %s s</title></circle>' % (
                              px(x), py(s), COLOURS.get(path, '#666'),
                              path, action, x, s) for x, s in points]
        panels.append(''.join(parts))
    legend = []
    for n, (path, action) in enumerate(
            (p, a) for p in config.PATH_NAMES for a in ACTIONS):
        x = margin + n * 120
        y = 2 * margin + height + 10
        dash = DASHES[action]
        legend.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" '
                      'stroke-width="2"%s/><text x="%d" y="%d" font-size="11"'
                      '>%s %s</text>' % (
                          x, y, x + 24, y, COLOURS.get(path, '#666'),
                          ' stroke-dasharray="%s"' % dash if dash else '',
                          x + 28, y + 4, path, action))
    total_width = len(SERIES) * (width + margin) + margin
    total_height = 2 * margin + height + 30
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'font-family="sans-serif" font-size="12">'
            '<rect width="100%%" height="100%%" fill="#fff"/>%s%s</svg>\n'
            % (total_width, total_height, ''.join(panels),
               ''.join(legend)))


def _numbers(text):
    return [int(v) for v in text.split(',') if v.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', choices=config.DB_KINDS,
                        default=config.DEFAULT_DB)
    parser.add_argument('--sizes', type=_numbers, default=[10, 50, 200])
    parser.add_argument('--depths', type=_numbers, default=[1, 2, 3, 4, 5])
    parser.add_argument('--per-stack', type=int, default=10)
    parser.add_argument('--per-level', type=int, default=5)
    parser.add_argument('--timeout', type=float, default=300,
                        help='seconds an action may take (default: '
                        '%(default)s)')
    parser.add_argument('--out', default=os.path.join('reports',
                                                      'benchmarks'))
    parser.add_argument('--replot', metavar='JSON',
                        help='no run: write the table and plot again from '
                        'an earlier scale_series.json')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.replot:
        with open(args.replot) as f:
            result = json.load(f)
        write(result, args.out)
        return
    started = time.monotonic()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix='hf-scale-') as workdir:
        description, rows = run(args, workdir)
    result = {
        'heat_version': description['heat_version'],
        'db': args.db,
        'cpus': os.cpu_count(),
        'machine': platform.machine(),
        'python': platform.python_version(),
        'load_before': [round(v, 2) for v in load_before],
        'load_after': [round(v, 2) for v in os.getloadavg()],
        'duration_s': round(time.monotonic() - started, 1),
        'rows': rows,
    }
    write(result, args.out)


def write(result, out):
    """The JSON, the table and the plot into out; the table printed."""
    text = table(result['rows'])
    for name, content in (('scale_series.json', json.dumps(result,
                                                           indent=2)),
                          ('scale_series.txt', text),
                          ('scale_series.svg', svg(result['rows']))):
        with open(os.path.join(out, name), 'w') as f:
            f.write(content)
    print(text)
    print('Heat %s, %s, %d cpus, load %s before, %s after, %.0f s in all'
          % (result['heat_version'], result['db'], result['cpus'],
             result['load_before'], result['load_after'],
             result['duration_s']))


if __name__ == '__main__':
    main()
