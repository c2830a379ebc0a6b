"""The report: cases, flag checks and parity of a run, and its verdict.

Each case writes a record (``cases/*.json`` in the report directory) as
it ends. After the run, ``build`` gathers the records, pairs the two
paths' observations per (template, scenario), compares them (``parity``),
and computes the verdict:

- ``fail`` if no case ran (or every case was skipped), if the run was
  interrupted (a cell died, Ctrl-C), if any case failed or errored, if
  any stack's flag did not match its path, if any pair is unequal beyond
  its allowances, or if a pair misses one path's observation;
- ``pass`` otherwise. Skipped cases are counted and listed, never passed.

``report.json`` holds it all (``write`` puts ``report.html``, from
``htmlreport``, beside it); ``table`` renders the one-screen summary.
"""

import collections
import json
import os

from heat_functional import accounting
from heat_functional import alike
from heat_functional import config
from heat_functional import htmlreport
from heat_functional import known_bugs as known_bugs_module
from heat_functional import parity
from heat_functional import performance
from heat_functional import plan
from heat_functional import records
from heat_functional import repeats

OUTCOMES = ('passed', 'failed', 'error', 'skipped')
#: build()'s `planned` when the caller accounts for its cases itself.
NOT_ACCOUNTED = object()


def load_cases(report_dir):
    return sorted(records.load(report_dir),
                  key=lambda c: (c['template'] or '', c['scenario'],
                                 c['path'] or '', repeats.repetition(c)))


def flag_mismatches(case):
    """The stacks of a case whose flag is wrong, known Heat bugs aside."""
    return [s for s in case.get('stacks', [])
            if s.get('convergence') != s.get('expected_convergence') and
            not s.get('known_bug')]


def is_paired(case):
    """Whether a case is one side of a legacy/convergence pair (the
    parity suites' cases), rather than compared with a reference case
    (``reference``) or with nothing (``parity: none``)."""
    return not case.get('reference') and case.get('parity') != 'none'


def pair_cases(cases):
    """(template, scenario) -> path -> its cases (one per repetition, in
    order), for every (template, scenario) in the cases."""
    by_pair = collections.OrderedDict()
    for case in sorted(cases, key=repeats.repetition):
        if not is_paired(case):
            continue
        by_pair.setdefault((case['template'], case['scenario']),
                           {}).setdefault(case['path'], []).append(case)
    return by_pair


def _run_name(case, runs):
    """A path, with the repetition where a path ran more than once."""
    if len(runs) < 2:
        return case['path']
    return '%s r%d' % (case['path'], repeats.repetition(case))


def parity_sides(paths):
    """(legacy path, convergence path) by what each path is, whatever
    the order the paths were given in; None unless both ran."""
    legacy = [p for p in paths if config.PATHS.get(p) is False]
    convergence = [p for p in paths if config.PATHS.get(p) is True]
    if not legacy or not convergence:
        return None
    return legacy[0], convergence[0]


def timings(cases, paths):
    """Case time, like with like: the convergence/legacy ratio over the
    paired cases only (same template, scenario and repetition, run on
    both paths); flip, migration and other single-path cases apart."""
    sides = parity_sides(paths)
    by_key = collections.defaultdict(dict)
    for case in cases:
        if case.get('duration_s') is None or case.get('missing_record'):
            continue
        key = (case['template'], case['scenario'], repeats.repetition(case))
        by_key[key][case['path']] = case['duration_s']
    paired = {p: 0.0 for p in (sides or ())}
    single, pairs, singles = {}, 0, 0
    for by_path in by_key.values():
        if sides and all(p in by_path for p in sides):
            pairs += 1
            for p in sides:
                paired[p] += by_path[p]
            continue
        for path, seconds in by_path.items():
            singles += 1
            single[path] = single.get(path, 0.0) + seconds
    legacy_s = sides and paired[sides[0]]
    return {
        'paired': {'pairs': pairs,
                   'case_time_s': {p: round(s, 1) for p, s in paired.items()},
                   'ratio': round(paired[sides[1]] / legacy_s, 2)
                   if legacy_s else None},
        'single_path': {'cases': singles,
                        'case_time_s': {str(p): round(s, 1)
                                        for p, s in sorted(
                                            single.items(), key=str)}},
    }


def timing_lines(report):
    """The report table's line about case time, paired cases only."""
    measured = report.get('timings')
    sides = parity_sides(report.get('paths') or ())
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


def compare_pairs(cases, paths, allowances):
    """One parity entry per (template, scenario) run on both paths; with
    repetitions, every run of one path against every run of the other
    (``repeats.compare_runs``)."""
    sides = parity_sides(paths)
    if sides is None:
        return []
    legacy_path, convergence_path = sides
    entries = []
    for (template, scenario), by_path in pair_cases(cases).items():
        runs = {p: by_path.get(p) or [None]
                for p in (legacy_path, convergence_path)}
        if all(c is not None and c.get('outcome') == 'skipped'
               for p in runs for c in runs[p]):
            continue
        missing = [p if c is None else _run_name(c, runs[p])
                   for p in (legacy_path, convergence_path)
                   for c in runs[p]
                   if c is None or c.get('observation') is None]
        if missing:
            entries.append({
                'template': template, 'scenario': scenario, 'equal': False,
                'allowed': False, 'differences': [], 'allowed_by': [],
                'incomplete': 'no observation on %s' % ', '.join(missing),
            })
            continue
        entries.append(repeats.compare_runs(
            template, scenario,
            [c['observation'] for c in runs[legacy_path]],
            [c['observation'] for c in runs[convergence_path]], allowances))
    return entries


def compare_references(cases, allowances):
    """One entry per case that names a reference case (the flag lifecycle
    suite's): its observation against the reference's, as a parity entry
    whose two sides are the reference and the case. A reference that did
    not run in this session is listed, not compared, and fails nothing;
    one that ran without an observation makes the entry incomplete."""
    index = {}
    for c in sorted(cases, key=repeats.repetition):  # repetition 1 first
        index.setdefault((c['template'], c['scenario'], c['path']), c)
    entries = []
    for case in cases:
        wanted = case.get('reference')
        if not wanted or case['outcome'] == 'skipped':
            continue
        key = (case['template'], wanted['scenario'], wanted['path'])
        entry = {'template': case['template'], 'scenario': case['scenario'],
                 'path': case['path'], 'reference': wanted,
                 'equal': False, 'allowed': False, 'differences': [],
                 'allowed_by': []}
        found = index.get(key)
        if found is None:
            entry['not_compared'] = ('%s on %s did not run in this session'
                                     % (wanted['scenario'], wanted['path']))
        elif found.get('observation') is None or \
                case.get('observation') is None:
            entry['incomplete'] = 'no observation on %s' % ', '.join(
                '%s (%s)' % (c['scenario'], c['path'])
                for c in (found, case) if c.get('observation') is None)
        else:
            entry.update(parity.compare(
                case['template'], case['scenario'], found['observation'],
                case['observation'], allowances))
        entries.append(entry)
    return entries


def flag_checks(cases):
    """Every flag check of the run, one row per stack and case."""
    return [{'case': c['id'], 'template': c['template'],
             'scenario': c['scenario'], 'cell': c['path'],
             'stack_id': s['id'], 'name': s.get('name'),
             'parent': s.get('parent'),
             'expected': s.get('expected_convergence'),
             'actual': s.get('convergence'), 'source': s.get('source'),
             'ok': s.get('convergence') == s.get('expected_convergence'),
             'known_bug': s.get('known_bug')}
            for c in cases for s in c.get('stacks', [])]


def verdict(cases, entries, interrupted=None, references=(),
            accounted=()):
    """('pass' or 'fail', reasons); `accounted` are the reasons of the
    run's accounting (missing records, skips, pytest's exit status)."""
    reasons = []
    if interrupted:
        reasons.append('the run was interrupted: %s' % interrupted)
    reasons += list(accounted)
    if not any(case['outcome'] != 'skipped' for case in cases):
        reasons.append('no case ran' + (' (all %d skipped)' % len(cases)
                                        if cases else ''))
    for case in cases:
        if case['outcome'] in ('failed', 'error'):
            reasons.append('%s %s: %s' % (case['id'], case['outcome'],
                                          _first_line(case.get('message'))))
        for stack in flag_mismatches(case):
            reasons.append(
                'flag mismatch in %s: stack %s (%s) of %s has '
                'convergence=%s, expected %s'
                % (case['id'], stack.get('name'), stack['id'],
                   case['template'], stack.get('convergence'),
                   stack.get('expected_convergence')))
    for entry in entries:
        if entry.get('incomplete'):
            reasons.append('parity of %s/%s incomplete: %s' % (
                entry['template'], entry['scenario'], entry['incomplete']))
        elif not entry['equal'] and not entry['allowed']:
            unallowed = [d for d in entry['differences']
                         if not d['allowed_by']]
            reasons.append('parity of %s/%s: %d difference(s), first at %s%s'
                           % (entry['template'], entry['scenario'],
                              len(unallowed), unallowed[0]['location'],
                              _flaky_note(entry)))
    for entry in references:
        where = '%s/%s on %s against %s on %s' % (
            entry['template'], entry['scenario'], entry['path'],
            entry['reference']['scenario'], entry['reference']['path'])
        if entry.get('incomplete'):
            reasons.append('%s incomplete: %s' % (where,
                                                  entry['incomplete']))
        elif not entry.get('not_compared') and not entry['equal'] and \
                not entry['allowed']:
            unallowed = [d for d in entry['differences']
                         if not d['allowed_by']]
            reasons.append('%s: %d difference(s), first at %s%s'
                           % (where, len(unallowed),
                              unallowed[0]['location'], _flaky_note(entry)))
    return ('fail' if reasons else 'pass'), reasons


def _flaky_note(entry):
    flaky = repeats.flaky_count(entry)
    return ' (%d flaky: the location is noise)' % flaky if flaky else ''


def _first_line(text):
    return (text or '').strip().splitlines()[0] if (text or '').strip() \
        else ''


def _count(entries):
    return {
        'pairs': len(entries),
        'equal': sum(1 for e in entries if e['equal']),
        'allowed': sum(1 for e in entries if e['allowed']),
        'different': sum(1 for e in entries if not e['equal'] and
                         not e['allowed'] and not e.get('incomplete') and
                         not e.get('not_compared')),
        'incomplete': sum(1 for e in entries if e.get('incomplete')),
        'not_compared': sum(1 for e in entries if e.get('not_compared')),
    }


def summarise(cases, entries, references=()):
    outcomes = collections.Counter(c['outcome'] for c in cases)
    stacks = [s for c in cases for s in c.get('stacks', [])]
    return {
        'cases': {o: outcomes.get(o, 0) for o in OUTCOMES},
        'parity': _count(entries),
        'references': _count(references),
        'flags': {
            'checked': len(stacks),
            'mismatched': sum(1 for c in cases for _ in flag_mismatches(c)),
            'known_bug': sum(1 for s in stacks if s.get('known_bug')),
            'unverified_cases': sum(1 for c in cases
                                    if c.get('flags_unverified')),
        },
    }


def default_blockers(outcome, paths, bugs, cases=(), entries=None):
    """Why the default may not change, beyond the verdict: missing
    parity, flag, flip or migration evidence, one path only, known bugs.
    `entries`, the parity entries, when the caller compared pairs."""
    blockers = []
    if entries is not None and not any(
            e.get('equal') or e.get('allowed') for e in entries):
        blockers.append('parity evidence missing: no template was compared '
                        'on both paths')
    blockers += accounting.evidence_blockers(cases)
    unverified = [c for c in cases if c.get('flags_unverified')]
    if unverified:
        blockers.append('no flag was read in %d cases: %s'
                        % (len(unverified), unverified[0]['flags_unverified']))
    if outcome != 'pass':
        blockers.append('the verdict is %s' % outcome)
    if len(paths) < 2:
        blockers.append('only %s ran' % ', '.join(paths))
    blockers += [known_bugs_module.describe(b)
                 for b in known_bugs_module.blocking(bugs)]
    return blockers


def build(cases, description, paths, allowances=(), interrupted=None,
          duration_s=None, known_bugs=(), run_id=None,
          planned=NOT_ACCOUNTED, seen=None, exit_status=None):
    """The whole report as a dict (doc/source/report.rst lists the fields).

    `planned` is the run's plan (a list of ``plan.CaseKey``; None when
    no plan was written, which fails the run; leave it out only where
    the caller accounts for the cases itself, as the tempest verdict
    does), `seen` what pytest reported of cases that may have left no
    record, `exit_status` pytest's own exit status."""
    accounted = []
    if planned is None:
        accounted.append('no plan was written: which cases the run meant '
                         'to run is unknown')
    if planned is NOT_ACCOUNTED or planned is None:
        planned = None
    cases = list(cases) + accounting.missing_records(planned, cases, seen,
                                                     interrupted)
    entries = compare_pairs(cases, paths, allowances)
    references = compare_references(cases, allowances)
    noise = repeats.learn_noise(cases)
    repeats.mark_flaky(entries + references, noise)
    coverage = accounting.coverage(cases, planned)
    accounted += accounting.skip_problems(coverage, cases)
    accounted += accounting.exit_status_problems(exit_status, cases)
    outcome, reasons = verdict(cases, entries, interrupted, references,
                               accounted)
    description = description or {}
    bugs = known_bugs_module.seen(cases, known_bugs)
    blockers = default_blockers(outcome, paths, bugs, cases, entries)
    return {
        'verdict': outcome,
        'reasons': reasons,
        'may_change_default': not blockers,
        'default_blockers': blockers,
        'known_bugs': bugs,
        'heat_version': description.get('heat_version'),
        'heat_source': description.get('heat_source'),
        'run_id': run_id,
        'deployment': {k: description.get(k)
                       for k in ('kind', 'db', 'auth', 'ready_s')},
        'paths': {p: {
            'convergence_engine': config.PATHS.get(p),
            'endpoint': description.get('paths', {}).get(p, {}).get(
                'endpoint'),
            'log_file': description.get('paths', {}).get(p, {}).get(
                'log_file'),
        } for p in paths},
        'interrupted': interrupted,
        'duration_s': duration_s,
        'pytest_exit_status': exit_status,
        'planned': None if planned is None else len(planned),
        'missing': [c['id'] for c in cases if c.get('missing_record')],
        'coverage': coverage,
        'timings': timings(cases, paths),
        'unmet': accounting.unmet(cases),
        'moot': accounting.moot(cases),
        'failed_alike': alike.failed_alike(cases, entries,
                                           parity_sides(paths)),
        'summary': summarise(cases, entries, references),
        'cases': cases,
        'parity': entries,
        'references': references,
        'flag_checks': flag_checks(cases),
        'repeat': max([repeats.repetition(c) for c in cases] + [1]),
        'noise': noise,
        'stale_allowances': parity.stale_allowances(
            allowances, entries + references) if entries else [],
        'allowances': list(allowances),
    }


def amend(report, reasons, interrupted=None):
    """A report that fails for `reasons` too (what only the command that
    ran pytest knows: a signal, pytest's final exit status)."""
    report = dict(report)
    if interrupted and not report.get('interrupted'):
        report['interrupted'] = interrupted
        reasons = ['the run was interrupted: %s' % interrupted] + \
            list(reasons)
    new = [r for r in reasons if r not in report['reasons']]
    if not new:
        return report
    report['reasons'] = new + report['reasons']
    report['verdict'] = 'fail'
    report['may_change_default'] = False
    if 'the verdict is fail' not in report['default_blockers']:
        report['default_blockers'] = report['default_blockers'] + [
            'the verdict is fail']
    return report


def write(report, report_dir):
    path = os.path.join(report_dir, config.REPORT_JSON)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(report, f, indent=2, sort_keys=False, default=str)
    os.replace(tmp, path)
    htmlreport.write(report, report_dir)
    return path


def read(path):
    """A report from its report.json, or from the directory holding it."""
    if os.path.isdir(path):
        path = os.path.join(path, config.REPORT_JSON)
    with open(path) as f:
        return json.load(f)


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
        lines += ['    %s: %s' % (path, _first_line(reason))
                  for path, reason in sorted(row['reasons'].items())]
    return lines


def column_of(case):
    """The summary table's column for a case: its path for the parity
    suites, the scenario (``flip-on``, ``migrate``...) for the others."""
    if is_paired(case):
        return case['path']
    return plan.split_scenario(case['scenario'])[0]


def table(report):
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
                                        for o in OUTCOMES))
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
                    '(--repeat %d); parity pairs with a flaky difference: '
                    '%d' % (len(report.get('noise', [])), report['repeat'],
                            sum(1 for e in report['parity']
                                if e.get('flaky'))))
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
