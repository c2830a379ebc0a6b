"""The text summary of a report: one screen, printed after a run.

``render`` makes it: a row per template with, for each path, its steps
(``passed``, or the steps that did not pass) and parity over them, then
a column per other scenario (flag lifecycle); then the counts, noise,
who ran, case time, and the verdict with its reasons. It only shows
what ``report.build`` decided (report.html is ``htmlreport.py``).
"""

import collections

from heat_functional import known_bugs as known_bugs_module
from heat_functional import performance
from heat_functional import plan
from heat_functional import records
from heat_functional.results import noise
from heat_functional.results import pairing
from heat_functional.results import verdict


def timing_lines(report):
    """The report table's line about case time, paired cases only."""
    measured = report.get('timings')
    sides = pairing.parity_sides(report.get('paths') or ())
    if not measured or not sides or not measured['paired']['pairs']:
        return []
    paired = measured['paired']
    line = ('case time over %d paired cases: %s; %s/%s ratio %s' % (
        paired['pairs'], ', '.join('%s %.0f s' % (p, paired['case_time_s'][p])
                                   for p in sides),
        sides[1], sides[0], paired['ratio']))
    if measured['single_path']['cases']:
        line += ' (%d single-path cases apart: %.0f s)' % (
            measured['single_path']['cases'],
            sum(measured['single_path']['case_time_s'].values()))
    return [line]


def _path_cell(outcomes):
    """One path's steps of a template: 'passed', or the steps that failed
    or errored by name and how many were skipped."""
    bad = ['%s %s' % ('%s r%d' % step if isinstance(step, tuple) else step,
                      outcome) for step, outcome in outcomes.items()
           if outcome in ('failed', 'error')]
    skipped = sum(1 for outcome in outcomes.values() if outcome == 'skipped')
    if skipped:
        bad.append('%d skipped' % skipped)
    return '; '.join(bad) if bad else 'passed'


def _parity_cell(entries):
    """A template's parity over its steps, naming the steps not equal."""
    def steps(selected):
        return ', '.join(e['scenario'] if e.get('reference') else
                         plan.step_of(e['scenario']) for e in selected)
    entries = [e for e in entries if not e.get('not_compared')]
    different = [e for e in entries if not e['equal'] and
                 not e['allowed'] and not e.get('incomplete')]
    incomplete = [e for e in entries if e.get('incomplete')]
    allowed = sum(1 for e in entries if e['allowed'])
    if different or incomplete:
        return '; '.join(
            text for text in (
                different and 'DIFFERENT: ' + steps(different),
                incomplete and 'incomplete: ' + steps(incomplete)) if text)
    if not entries:
        return '-'
    return 'equal' + (' (%d allowed)' % allowed if allowed else '')


def noise_lines(report):
    """The report table's lines about noise: the noise pass, if one ran,
    and the locations noisy on both paths, compared by shape."""
    lines = []
    second = report.get('noise_pass')
    if second:
        lines.append('noise pass: the create of %d template(s) ran once '
                     'more per path (%.0f s)' % (len(second['templates']),
                                                 second['duration_s']))
    found = noise.listed(report)
    if found:
        lines.append('%s: %d location(s)' % (noise.TITLE, len(found)))
        lines += ['  %s %s %s: %s' % (entry['template'], entry['scenario'],
                                      item['location'], item['shape'])
                  for entry, item in found[:10]]
        if len(found) > 10:
            lines.append('  ... and %d more in report.json'
                         % (len(found) - 10))
    return lines


def coverage_lines(report):
    """Who ran, per suite and path, where not every planned case did."""
    rows = [r for r in report.get('coverage') or [] if r['ran_share'] < 1]
    if not rows:
        return ['every planned case ran (%s)' % report['planned']] if \
            report.get('planned') else []
    lines = ['planned cases that ran:']
    for row in rows:
        others = ', '.join('%d %s' % (row.get(k, 0), k) for k in (
            'skipped', 'unmet', 'xfail', 'moot', 'missing') if row.get(k))
        lines.append('  %s on %s: %d of %d (%s)' % (
            row['suite'], row['path'], row['ran'], row['planned'], others))
    return lines


def failed_alike_lines(report):
    """The pairs held to parity only that failed alike on both paths,
    with each path's reason (alike.py)."""
    rows = report.get('failed_alike') or []
    if not rows:
        return []
    lines = ['failed alike on both paths (held to parity only: no '
             'expect in a sidecar, no --strict): %d' % len(rows)]
    for row in rows:
        lines.append('  %s/%s: %s' % (row['template'], row['scenario'],
                                      ', '.join(sorted(set(
                                          row['status'].values())))))
        lines += ['    %s: %s' % (path, verdict.first_line(reason))
                  for path, reason in sorted(row['reasons'].items())]
    return lines


def column_of(case):
    """The summary table's column for a case: its path for the parity
    suites, the scenario (``flip-on``, ``migrate``...) for the others."""
    if pairing.is_paired(case):
        return case['path']
    return plan.split_scenario(case['scenario'])[0]


def render(report):
    """The one-screen summary: a row per template; for each path, its steps
    (``passed`` or the steps that did not pass), parity over them, then a
    column per other scenario (flag lifecycle)."""
    paths = list(report['paths'])
    extra = []
    for case in report['cases']:
        column = column_of(case)
        if column not in paths and column not in extra:
            extra.append(column)
    outcomes = collections.OrderedDict()
    repeated = report.get('repeat', 1) > 1
    for case in report['cases']:
        step = plan.step_of(case['scenario'])
        if repeated and case.get('repetition'):
            step = (step, case['repetition'])
        outcomes.setdefault(case['template'], collections.OrderedDict(
            (p, collections.OrderedDict()) for p in paths + extra))
        outcomes[case['template']].setdefault(column_of(case), {})[step] = \
            case['outcome']
    parity_by_template = collections.defaultdict(list)
    for entry in report['parity'] + report.get('references', []):
        parity_by_template[entry['template']].append(entry)
    columns = paths + (['parity'] if len(paths) > 1 else []) + extra
    header = ['template', 'steps'] + columns
    lines = [header]
    for template, by_path in outcomes.items():
        steps = max(len({s[0] if isinstance(s, tuple) else s
                         for s in by_path.get(p, {})})
                    for p in paths) if paths else 0
        row = [template, str(steps)] + [
            _path_cell(by_path[p]) if by_path.get(p) else '-'
            for p in paths]
        if len(paths) > 1:
            row.append(_parity_cell(parity_by_template[template]))
        row += [_path_cell(by_path.get(c, {})) if by_path.get(c) else '-'
                for c in extra]
        lines.append(row)
    widths = [max(len(str(line[i])) for line in lines)
              for i in range(len(header))]
    text = ['  '.join(str(v).ljust(w) for v, w in zip(line, widths)).rstrip()
            for line in lines]
    text.insert(1, '  '.join('-' * w for w in widths))
    summary = report['summary']
    text.append('')
    text.append('cases: %s' % ', '.join('%d %s' % (summary['cases'][o], o)
                                        for o in records.OUTCOMES))
    text.append('flags checked: %d, mismatched: %d, explained by a known '
                'Heat bug: %d' % (summary['flags']['checked'],
                                  summary['flags']['mismatched'],
                                  summary['flags'].get('known_bug', 0)))
    if summary['flags'].get('unverified_cases'):
        text.append('flags NOT read in %d cases (no database URL)'
                    % summary['flags']['unverified_cases'])
    parity_summary = summary['parity']
    if parity_summary['pairs']:
        text.append('parity: %d pairs, %d equal, %d allowed, %d different, '
                    '%d incomplete' % tuple(parity_summary[k] for k in (
                        'pairs', 'equal', 'allowed', 'different',
                        'incomplete')))
    if repeated:
        text.append('noise: %d locations differ between runs of one path '
                    '(up to %d runs); parity pairs with a flaky difference: '
                    '%d' % (len(report.get('noise', [])), report['repeat'],
                            sum(1 for e in report['parity']
                                if e.get('flaky'))))
    text += noise_lines(report)
    references = summary.get('references', {})
    if references.get('pairs'):
        text.append('flag lifecycle against the parity suite: %d compared, '
                    '%d equal, %d allowed, %d different, %d incomplete, %d '
                    'not compared' % tuple(references[k] for k in (
                        'pairs', 'equal', 'allowed', 'different',
                        'incomplete', 'not_compared')))
    text += failed_alike_lines(report)
    text += coverage_lines(report)
    text += timing_lines(report)
    text += performance.text_lines(report.get('performance'))
    text += ['met %s' % known_bugs_module.describe(bug)
             for bug in report.get('known_bugs') or ()
             if bug.get('seen') and bug.get('blocks_default') is False]
    text.append('verdict: %s' % report['verdict'].upper())
    if len(paths) > 1:
        text.append('the default may change: %s'
                    % ('yes' if report['may_change_default'] else 'no'))
        if report['verdict'] == 'pass':
            for blocker in report.get('default_blockers', []):
                text.append('  - %s' % blocker)
    for reason in report['reasons'][:20]:
        text.append('  - %s' % reason)
    if len(report['reasons']) > 20:
        text.append('  ... and %d more reasons in report.json'
                    % (len(report['reasons']) - 20))
    return '\n'.join(text)
