"""The report of a run: built from its case records, written, read.

Each case writes a record (``cases/*.json`` in the report directory) as
it ends. After the run, ``build`` gathers the records, accounts for the
plan (``accounting.py``), pairs the two paths' observations and compares
them (``pairing.py``), learns the noise of repeated runs
(``repeats.py``), compares by shape the locations noisy on both paths
(``noise.py``) and has the verdict decided (``verdict.py``). Both
runners call ``from_records``, which loads what ``build`` needs from
the run's directory and the package's files.

``report.json`` holds it all (``write`` puts ``report.html``, from
``htmlreport``, beside it); ``table.render`` shows the one-screen
summary.
"""

import collections
import json
import os

from heat_functional import config
from heat_functional import known_bugs as known_bugs_module
from heat_functional import parity
from heat_functional import records
from heat_functional.results import accounting
from heat_functional.results import alike
from heat_functional.results import entry
from heat_functional.results import htmlreport
from heat_functional.results import noise as noise_module
from heat_functional.results import pairing
from heat_functional.results import repeats
from heat_functional.results import verdict as verdict_module

#: build()'s `planned` when the caller accounts for its cases itself.
NOT_ACCOUNTED = object()


def load_cases(report_dir):
    return in_order(records.load(report_dir))


def in_order(cases):
    """Case records in the report's order: template, scenario, path,
    repetition."""
    return sorted(cases, key=lambda c: (c['template'] or '', c['scenario'],
                                        c['path'] or '',
                                        repeats.repetition(c)))


def timings(cases, paths):
    """Case time, like with like: the convergence/legacy ratio over the
    paired cases only (same template, scenario and repetition, run on
    both paths); flip, migration and other single-path cases apart."""
    sides = pairing.parity_sides(paths)
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


def summarise(cases, entries, references=()):
    outcomes = collections.Counter(c['outcome'] for c in cases)
    stacks = [s for c in cases for s in c.get('stacks', [])]
    return {
        'cases': {o: outcomes.get(o, 0) for o in records.OUTCOMES},
        'parity': entry.count(entries),
        'references': entry.count(references),
        'flags': {
            'checked': len(stacks),
            'mismatched': sum(1 for c in cases
                              for _ in verdict_module.flag_mismatches(c)),
            'known_bug': sum(1 for s in stacks if s.get('known_bug')),
            'unverified_cases': sum(1 for c in cases
                                    if c.get('flags_unverified')),
        },
    }


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
    entries = pairing.compare_pairs(cases, paths, allowances)
    references = pairing.compare_references(cases, allowances)
    noise = repeats.learn_noise(cases)
    entries = noise_module.compare_by_shape(entries, noise, cases, paths)
    repeats.mark_flaky(entries + references, noise)
    coverage = accounting.coverage(cases, planned)
    accounted += accounting.skip_problems(coverage, cases)
    accounted += accounting.exit_status_problems(exit_status, cases)
    outcome, reasons = verdict_module.verdict(cases, entries, interrupted,
                                              references, accounted)
    description = description or {}
    bugs = known_bugs_module.seen(cases, known_bugs)
    blockers = verdict_module.default_blockers(outcome, paths, bugs, cases,
                                               entries)
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
                                           pairing.parity_sides(paths)),
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


def from_records(directory, description, paths, **settings):
    """The report of the run whose case records are in `directory`,
    under the package's allowances and known bugs: what both runners
    build (the pytest plugin, the command line when pytest wrote none,
    the tempest verdict). `settings` are ``build``'s keywords."""
    return from_cases(load_cases(directory), description, paths,
                      **settings)


def from_cases(cases, description, paths, **settings):
    """The report of these case records, under the package's allowances
    and known bugs (from_records; the merge of a run's shards)."""
    return build(in_order(cases), description, paths,
                 parity.load_allowances(config.ALLOWANCES_FILE),
                 known_bugs=known_bugs_module.load(config.KNOWN_BUGS_FILE),
                 **settings)


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
