"""Shards: a deterministic 1/N of a run's cases (``--shard K/N``).

The unit of assignment is the template: all its suites, steps, paths,
repetitions and the flag scenarios on it go to one shard, so both paths
of every pair run in the same shard and each shard's report is complete
for its templates. Cases that belong to no template (the gabbits, the
migration refused while a create runs) run in shard 1 only: each must
run exactly once, and the first shard is the one that exists for every
N.

The split (``split``) is a greedy longest-first assignment of template
costs into N bins, ties broken by name and by bin number, so the same
inputs give the same split on every machine. A template's cost is the
sum of its cases' ``duration_s`` in an earlier report.json
(``--shard-costs``; ``costs_of``); a template missing from that report
costs the median of those it has. Without costs every template costs
1: the split is by count.

Each shard's report.json records ``shard`` (``report_entry``): K and N,
its templates, the fingerprint of the whole selected template list
(names and file contents: ``fingerprint``), a digest of the whole split,
how the split was balanced, the options that select the run's cases and
the harness's git commit.
``heat-functional report merge`` (results/merge.py) checks them.
"""

import hashlib
import json
import os
import statistics
import subprocess

from heat_functional import config
from heat_functional import corpus

#: The shard that runs the cases of no template.
FIRST = 1
#: The cost of a template when no earlier report measured any.
UNIT_COST = 1.0
#: How long ``git rev-parse`` may take.
GIT_TIMEOUT = 30


class ShardError(ValueError):
    """A shard that cannot be run; the message says why."""


def parse(text):
    """(K, N) of ``K/N``; ShardError unless 1 <= K <= N."""
    index, slash, count = str(text).strip().partition('/')
    try:
        index, count = int(index), int(count)
    except ValueError:
        index = count = 0
    if not slash or not 1 <= index <= count:
        raise ShardError('a shard is K/N with 1 <= K <= N (e.g. 2/4), got '
                         '%r' % text)
    return index, count


def costs_of(report):
    """Template name -> seconds its cases took in a report (a dict, as
    report.json holds it); cases of no template are left out."""
    costs = {}
    for case in report.get('cases') or []:
        name = case.get('template')
        seconds = case.get('duration_s')
        if not name or name == '-' or seconds is None:
            continue
        costs[name] = costs.get(name, 0.0) + float(seconds)
    return costs


def load_costs(path):
    """costs_of the report.json at `path`; ShardError saying what is
    wrong with the file."""
    try:
        with open(path) as f:
            report = json.load(f)
    except OSError as error:
        raise ShardError('--shard-costs %s: %s' % (path, error.strerror))
    except ValueError as error:
        raise ShardError('--shard-costs %s is not JSON: %s' % (path, error))
    if not isinstance(report, dict) or not isinstance(
            report.get('cases'), list):
        raise ShardError('--shard-costs %s is not a report.json: it has no '
                         'list of cases' % path)
    costs = costs_of(report)
    if not costs:
        raise ShardError('--shard-costs %s measured no template: none of '
                         'its cases has a template and a duration' % path)
    return costs


def template_costs(names, measured=None):
    """The cost of each name: its measured cost, the median of the
    measured ones for a name not measured, UNIT_COST without any."""
    known = {n: c for n, c in (measured or {}).items() if n in names}
    if not known:
        return {name: UNIT_COST for name in names}
    median = statistics.median(known.values())
    return {name: known.get(name, median) for name in names}


def split(names, count, measured=None):
    """N lists of template names (bin 0 is shard 1): each name, most
    costly first (then by name), into the bin with the least cost so far
    (then the lowest number). Each list keeps the order of `names`."""
    costs = template_costs(names, measured)
    loads = [0.0] * count
    chosen = {}
    for name in sorted(names, key=lambda n: (-costs[n], n)):
        where = min(range(count), key=lambda b: (loads[b], b))
        loads[where] += costs[name]
        chosen[name] = where
    return [[n for n in names if chosen[n] == b] for b in range(count)]


def fingerprint(templates):
    """A digest of the selected template list: each name and the bytes of
    its template and sidecar files, in name order."""
    digest = hashlib.sha256()
    for template in sorted(templates, key=lambda t: t.name):
        digest.update(template.name.encode('utf-8') + b'\0')
        for path in (template.path, corpus.lifecycle_path(template.path)):
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def assign(templates, shard, costs_file=None):
    """A shard's assignment, from the selected templates (in the corpus's
    order): index, count, its template names, the fingerprint of the
    whole list, what balanced the split and a digest of the whole split
    (shards of one run share it); ShardError for a shard given no
    template."""
    index, count = shard
    names = [t.name for t in templates]
    measured = load_costs(costs_file) if costs_file else None
    bins = split(names, count, measured)
    if not bins[index - 1]:
        raise ShardError(
            'shard %d/%d gets no template: the run selects %d template%s, '
            'fewer than %d shards' % (index, count, len(names),
                                      '' if len(names) == 1 else 's', count))
    return {'index': index, 'count': count, 'templates': bins[index - 1],
            'fingerprint': fingerprint(templates),
            'balanced_by': os.path.basename(costs_file) if costs_file
            else 'count',
            'split': hashlib.sha256(json.dumps(bins).encode(
                'utf-8')).hexdigest()}


def runs_case(assignment, template):
    """Whether a shard (its assignment) runs a case of `template` (None:
    a case of no template, which shard FIRST runs)."""
    if template is None:
        return assignment['index'] == FIRST
    return template in assignment['templates']


def harness_commit(package_dir=config.PACKAGE_DIR):
    """{commit, dirty} of the git checkout the harness runs from, or None
    when it does not run from one (an installed package)."""
    top = os.path.dirname(package_dir)
    found = _git(top, 'rev-parse', '--show-toplevel')
    if found is None or os.path.realpath(found.strip()) != \
            os.path.realpath(top):
        return None
    commit = _git(top, 'rev-parse', 'HEAD')
    status = _git(top, 'status', '--porcelain', '--untracked-files=no')
    if commit is None:
        return None
    return {'commit': commit.strip(), 'dirty': bool((status or '').strip())}


def _git(directory, *args):
    try:
        done = subprocess.run(['git', '-C', directory] + list(args),
                              capture_output=True, text=True,
                              timeout=GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def selection(spec):
    """What picks a run's cases, besides the templates: the options a
    shard's siblings must share."""
    return {'only': spec.only, 'actions': spec.actions,
            'failures': spec.failures, 'keyword': spec.keyword,
            'paths': list(spec.paths), 'repeat': spec.repeat,
            'strict': spec.strict, 'toggles': spec.toggle_cells()}


def report_entry(spec):
    """The report's ``shard`` of a sharded run's spec, else None: its
    assignment, the options that select its cases and the harness's
    commit."""
    if not spec.shard:
        return None
    return dict(spec.shard, selection=selection(spec),
                harness=harness_commit())
