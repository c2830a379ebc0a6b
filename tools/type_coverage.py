"""Which resource types the template corpus exercises on both paths.

Reads a ``report.json`` of a run (``heat-functional run``): its
``resource_types`` (what each path's Heat offers the harness's user) and
its ``cases`` (each passed case's ``observation.resources``, every
resource of the stack and its nested stacks with its ``type``). A type
counts as exercised by a template when it appears in the observations of
passed cases of that template on every path of the run (legacy *and*
convergence). Every type the cells offer that no template exercises must
have its reason in ``tools/type-exclusions.yaml`` (type -> reason).

Writes a reStructuredText table, a row per offered type, to the manual's
generated file ``doc/source/generated/type-coverage.rst`` (through
``generated.py``, the one writer of such files), which
``doc/source/coverage.rst`` includes::

    python tools/type_coverage.py REPORT.json          # update the table
    python tools/type_coverage.py REPORT.json --check  # exit 1 if stale,
                                                       # or a type is
                                                       # neither exercised
                                                       # nor excluded

Run it on the report of a run of the whole corpus, e.g.
``heat-functional run -k test_lifecycle``; a run of part of it exercises
part of the types.
"""

import argparse
import collections
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import generated  # noqa: E402
from heat_functional import config  # noqa: E402

#: The generated file of the manual that holds the table.
TABLE = generated.path('type-coverage')
TOOL = 'tools/type_coverage.py'
EXCLUSIONS = os.path.join(ROOT, 'tools', 'type-exclusions.yaml')
TEMPLATES = os.path.join(ROOT, 'templates')
SIDECAR = '.lifecycle.yaml'


class CoverageError(ValueError):
    """The report cannot give the table (the message says why)."""


def report_paths(report):
    """The paths whose cells offered types, in the report's order."""
    offered = report.get('resource_types') or {}
    ordered = [p for p in report.get('paths') or {} if p in offered]
    return ordered + sorted(p for p in offered if p not in ordered)


def offered_types(report):
    """{type: [paths offering it]} over the run's paths.

    Raises CoverageError when the report lists no types, or a path's
    types could not be listed (a dead cell).
    """
    offered = report.get('resource_types') or {}
    paths = report_paths(report)
    if not paths:
        raise CoverageError('the report lists no resource types (a report '
                            'of an older harness, or of no deployment)')
    types = collections.defaultdict(list)
    for path in paths:
        listed = offered[path]
        if not isinstance(listed, list):
            raise CoverageError('the report has no resource types of %s: '
                                '%s' % (path, listed))
        for name in listed:
            types[name].append(path)
    return dict(types)


def exercised(report, paths):
    """{type: sorted templates} where the type is in the observations of
    passed cases of the template on every one of paths. The resources the
    harness adds to a template (the failures suite's, the probe's, the
    actions' change: config.HARNESS_RESOURCE_PREFIX) are not the
    template's and do not count."""
    seen = collections.defaultdict(lambda: collections.defaultdict(set))
    for case in report.get('cases') or []:
        if case.get('outcome') != 'passed' or case.get('path') not in paths:
            continue
        resources = (case.get('observation') or {}).get('resources') or {}
        for name, resource in resources.items():
            if str(name).startswith(config.HARNESS_RESOURCE_PREFIX):
                continue
            kind = resource.get('type') if isinstance(resource, dict) \
                else None
            if kind:
                seen[kind][case['template']].add(case['path'])
    return {kind: sorted(t for t, on in by_template.items()
                         if on >= set(paths))
            for kind, by_template in seen.items()}


def load_exclusions(path):
    """{type: reason} from the hand-written exclusions file."""
    with open(path) as f:
        loaded = yaml.safe_load(f) or {}
    if not isinstance(loaded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip()
            for k, v in loaded.items()):
        raise CoverageError('%s: expected a mapping of resource type to a '
                            'non-empty reason' % path)
    return {k: ' '.join(v.split()) for k, v in loaded.items()}


def templates_not_run(report, templates_dir):
    """The shipped templates (those with a lifecycle sidecar) that have
    no lifecycle case in the report: a run of part of the corpus (``-k``,
    ``--templates``) shows part of the types."""
    try:
        shipped = {name[:-len(SIDECAR)] for name in os.listdir(templates_dir)
                   if name.endswith(SIDECAR)}
    except OSError:
        return []
    ran = {case.get('template') for case in report.get('cases') or []
           if str(case.get('scenario', '')).startswith('lifecycle/')}
    return sorted(shipped - ran)


Row = collections.namedtuple('Row', 'type templates reason paths')


def coverage(report, exclusions):
    """(rows, problems): a row per offered type, sorted; the problems
    ``--check`` fails on: types neither exercised nor excluded, and
    exclusions of types that are exercised."""
    offered = offered_types(report)
    paths = report_paths(report)
    done = exercised(report, paths)
    rows, problems = [], []
    for kind in sorted(offered):
        templates = done.get(kind) or []
        reason = exclusions.get(kind)
        if templates and reason:
            problems.append('%s is excluded (%s) but exercised by %s: drop '
                            'its exclusion' % (kind, reason,
                                               ', '.join(templates)))
        elif not templates and not reason:
            problems.append('%s is offered but neither exercised on %s nor '
                            'excluded (tools/type-exclusions.yaml)'
                            % (kind, ' and '.join(paths)))
        rows.append(Row(kind, templates, None if templates else reason,
                        offered[kind]))
    return rows, problems


def table(rows, report):
    paths = report_paths(report)
    lines = [
        '.. list-table:: Resource types Heat %s offers the harness\'s user '
        'and the templates exercising them on %s'
        % (report.get('heat_version') or '(unknown version)',
           ' and '.join(paths)),
        '   :header-rows: 1',
        '',
        '   * - Resource type',
        '     - Templates, or why none',
    ]
    for row in rows:
        if row.templates:
            cell = ', '.join(row.templates)
        else:
            cell = '*not exercised*: %s' % (
                row.reason or '**no reason given**')
        if set(row.paths) != set(paths):
            cell += ' (offered on %s only)' % ', '.join(row.paths)
        lines += ['   * - ``%s``' % row.type, '     - %s' % cell]
    done = sum(1 for row in rows if row.templates)
    lines += ['', '%d of %d offered types exercised on %s; %d excluded.'
              % (done, len(rows), ' and '.join(paths),
                 sum(1 for row in rows if not row.templates and
                     row.reason))]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('report', help='report.json of a run')
    parser.add_argument('--out', default=TABLE,
                        help='the table\'s file (default: the manual\'s, '
                        '%(default)s)')
    parser.add_argument('--exclusions', default=EXCLUSIONS)
    parser.add_argument('--templates', default=TEMPLATES,
                        help='the corpus the report should have run '
                        '(default: the shipped templates/)')
    parser.add_argument('--check', action='store_true',
                        help='change nothing; exit 1 if the table differs '
                        'from the report\'s, or a type is neither '
                        'exercised nor excluded')
    args = parser.parse_args(argv)
    try:
        with open(args.report) as f:
            report = json.load(f)
        rows, problems = coverage(report, load_exclusions(args.exclusions))
        wanted = generated.text(table(rows, report), TOOL)
        changed = generated.update(args.out, wanted, check=args.check)
    except (CoverageError, OSError, ValueError, yaml.YAMLError) as error:
        print('type_coverage: %s' % error, file=sys.stderr)
        return 2
    done = sum(1 for row in rows if row.templates)
    print('%d of %d offered resource types exercised on both paths'
          % (done, len(rows)))
    for problem in problems:
        print('  %s' % problem, file=sys.stderr)
    not_run = templates_not_run(report, args.templates)
    if problems and not_run:
        print('the report is of part of the corpus: %d shipped templates '
              'ran no lifecycle (%s); the table needs a run of all of them'
              % (len(not_run), ', '.join(not_run[:5]) +
                 (', ...' if len(not_run) > 5 else '')), file=sys.stderr)
    if args.check:
        if changed:
            problems.append('stale table')
            print('the table in %s differs from the report\'s; run '
                  'tools/type_coverage.py %s' % (args.out, args.report),
                  file=sys.stderr)
        return 1 if problems else 0
    if changed:
        print('updated %s' % args.out)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
