"""One report and one verdict from the report directories of a run's shards.

``heat-functional report merge DIR... --report-dir OUT`` (shards.py
splits a run; doc/source/shards.rst). Each directory is one shard's:
its report.json (whose ``shard`` says which shard of which run it is),
its case records (``cases/``) and its plan (``plan.json``). The merged
report is built as a normal one is (``report.from_cases``: accounting,
pairing, repeats, verdict) from all the shards' records held against all
their plans, so the same cases give the same parity entries and verdict
as one unsharded run.

Shards that cannot be merged are refused (``MergeError``, naming the
directory): a directory that is not a shard's, shards of different runs
(the selected templates' fingerprint, the number of shards, the split,
the options that select cases), of different harness commits or Heat
versions or Heat checkouts, a shard given twice, or a shard missing.

What only a shard's own report knows is kept: a shard whose report
failed fails the merged verdict too, with its reasons (pytest's exit
status, a signal...); a shard interrupted makes the merged report
interrupted. Performance: CPU seconds are summed over the shards and
the wall time is the longest shard's (``performance.merged``).
"""

import collections
import os

from heat_functional import config
from heat_functional import performance
from heat_functional import plan
from heat_functional import records
from heat_functional.results import report as report_module

#: What the shards of one run share, and how a refusal names it.
SAME_RUN = (('fingerprint', 'selected templates (fingerprint)'),
            ('count', 'number of shards'),
            ('split', 'split of templates into shards'),
            ('selection', 'options selecting the cases'))

Shard = collections.namedtuple('Shard', 'directory report cases planned')


class MergeError(ValueError):
    """Shards that cannot be merged; the message names the directory."""


def load(directory):
    """A shard's report, case records and plan; MergeError unless the
    directory holds a shard's report whose records are all there."""
    path = os.path.join(directory, config.REPORT_JSON)
    try:
        report = report_module.read(path)
    except OSError as error:
        raise MergeError('%s: no shard report: %s' % (directory,
                                                      error.strerror))
    except ValueError as error:
        raise MergeError('%s: %s is not JSON: %s'
                         % (directory, config.REPORT_JSON, error))
    if not isinstance(report, dict) or not report.get('shard'):
        raise MergeError('%s: its report is not a shard\'s (the run had no '
                         '--shard K/N)' % directory)
    cases = records.load(directory)
    recorded = [c['id'] for c in report.get('cases') or []
                if not c.get('missing_record')]
    if sorted(recorded) != sorted(c['id'] for c in cases):
        raise MergeError(
            '%s: its case records (%s/) are not those its report was built '
            'from (%d records, %d in the report)'
            % (directory, config.CASES_DIR, len(cases), len(recorded)))
    return Shard(directory, report, cases, plan.read(directory))


def _name(shard):
    return 'shard %d/%d' % (shard.report['shard']['index'],
                            shard.report['shard']['count'])


def _heat_commit(report):
    return (report.get('heat_source') or {}).get('commit')


def _harness_commit(report):
    return (report['shard'].get('harness') or {}).get('commit')


def _identity(report):
    """(what, value) pairs two shards of one run share."""
    pairs = [(what, report['shard'].get(field)) for field, what in SAME_RUN]
    return pairs + [('harness commit', _harness_commit(report)),
                    ('Heat version', report.get('heat_version')),
                    ('Heat checkout commit', _heat_commit(report))]


def check(shards):
    """MergeError unless the shards are all N shards of one run, each
    once."""
    first = shards[0]
    for other in shards[1:]:
        for (what, mine), (_, theirs) in zip(_identity(first.report),
                                             _identity(other.report)):
            if mine != theirs:
                raise MergeError(
                    '%s is not a shard of the same run as %s: the %s '
                    'differ (%s against %s)' % (other.directory,
                                                first.directory, what,
                                                theirs, mine))
    by_index = {}
    for shard in shards:
        index = shard.report['shard']['index']
        if index in by_index:
            raise MergeError('%s and %s are both %s'
                             % (by_index[index].directory, shard.directory,
                                _name(shard)))
        by_index[index] = shard
    count = first.report['shard']['count']
    missing = [k for k in range(1, count + 1) if k not in by_index]
    if missing:
        raise MergeError(
            'shard %s of %d missing: the merge needs the report directories '
            'of all %d shards (given: %s)' % (
                ', '.join(str(k) for k in missing), count, count,
                ', '.join('%s (%s)' % (s.directory, _name(s))
                          for s in shards)))


def description_of(report):
    """What build needs of the deployment, as a shard's report holds it
    (each shard had its own: endpoints and logs are the shards')."""
    return dict(report.get('deployment') or {},
                heat_version=report.get('heat_version'),
                heat_source=report.get('heat_source'))


def _interrupted(shards):
    said = ['%s: %s' % (_name(s), s.report['interrupted'])
            for s in shards if s.report.get('interrupted')]
    return '; '.join(said) or None


def _planned(shards):
    """All the shards' plans, or None when one wrote none (then the
    merged report says so and fails, as a run without a plan does)."""
    if any(s.planned is None for s in shards):
        return None
    return [key for s in shards for key in s.planned]


def _shard_failures(shards):
    """A reason for each shard whose own report failed: what only it
    knew (pytest's exit status, a signal) stays in the verdict."""
    return ['%s (%s) failed on its own: %s'
            % (_name(s), s.directory,
               '; '.join(s.report.get('reasons') or []) or 'no reason given')
            for s in shards if s.report.get('verdict') != 'pass']


def _shard_rows(shards):
    return [{'index': s.report['shard']['index'],
             'count': s.report['shard']['count'],
             'directory': os.path.abspath(s.directory),
             'run_id': s.report.get('run_id'),
             'verdict': s.report.get('verdict'),
             'duration_s': s.report.get('duration_s'),
             'templates': s.report['shard'].get('templates'),
             'paths': s.report.get('paths')} for s in shards]


def merge(directories):
    """The merged report (a dict, as report.json holds it) of the shards'
    report directories; MergeError when they cannot be merged."""
    if not directories:
        raise MergeError('give the report directories of all the shards')
    shards = [load(d) for d in directories]
    check(shards)
    shards.sort(key=lambda s: s.report['shard']['index'])
    first = shards[0].report
    durations = [s.report.get('duration_s') for s in shards]
    merged = report_module.from_cases(
        [c for s in shards for c in s.cases], description_of(first),
        list(first.get('paths') or config.PATH_NAMES),
        interrupted=_interrupted(shards),
        duration_s=max(durations) if None not in durations else None,
        planned=_planned(shards))
    merged['resource_types'] = first.get('resource_types')
    merged['corpus'] = first.get('corpus')
    merged['performance'] = performance.merged(
        [s.report.get('performance') for s in shards])
    merged['shard'] = None
    merged['shards'] = _shard_rows(shards)
    return report_module.amend(merged, _shard_failures(shards))
