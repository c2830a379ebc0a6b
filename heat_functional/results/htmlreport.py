"""report.html: the report of a run as one page for people.

``render(report)`` turns a report.json dict, and nothing else, into one
self-contained HTML page: inline CSS, a few lines of inline JavaScript to
filter the matrix and open what a link points into, inline SVG for the
timing bars; no network, so it opens from disk or from a CI artifact.
The content needs no script: what is folded is a ``<details>``. The page
answers the reader's questions in this order:

- the verdict, why the default may not change (``default_blockers``),
  then the verdict's reasons (the first REASONS_SHOWN, the rest folded),
  the summary counts, the deployment and a link to each cell's log file,
  relative to the report directory (``log_href``) so that the links of
  a published CI artifact work;
- a summary of each template: one row per template, a cell per suite
  (its cases' outcomes and its pairs' parity), linking to the template's
  part of the matrix;
- the matrix of template x step with each path's outcome and the pair's
  parity, folded per template (a template with a failure or an unequal
  pair opens), filterable by outcome and by parity, also from the
  address: ``report.html#show=o-failed,o-error,p-unequal`` shows only
  the rows with a failed or errored case whose pair is unequal;
- what failed, with the case's message;
- for every pair that is not equal, its differences side by side
  (location, legacy value, convergence value), grouped by what covers
  them: pairs without an observation first, then the differences no
  allowance covers, then each allowance once, with its reason and
  source, and the pairs it covers under it (folded);
- noise (differences seen between repeated runs of one path, with each
  run's value) and flaky differences, when the report has them; the
  locations noisy on both paths, compared by shape (``noise.py``), with
  each path's values by run, and the noise pass that ran; with
  ``--repeat`` the matrix and timings have a row per repetition;
- the flag lifecycle suite's comparisons with their reference cases that
  are not equal, side by side and grouped the same way, labelled with
  the reference;
- the known Heat bugs the flag checks met (and those they did not);
- the flag checks, case by case, as the tree of nested stacks, where a
  flag explained by a known Heat bug is marked as such, apart from
  mismatches;
- who ran: planned and run cases per suite and path, the cases skipped
  for a stated reason, the pairs that failed alike on both paths;
- per-path timings of every step, the convergence/legacy ratio, and bars.

Cases of other suites (their own paths, such as cells whose flag flips)
get their own columns in the matrix and stay out of the timings.

Everything taken from the report is HTML-escaped. ``write`` puts
``report.html`` beside ``report.json``.
"""

import collections
import difflib
import html
import json
import os
import re
import urllib.parse

from heat_functional import config
from heat_functional import known_bugs
from heat_functional.results import noise as noise_module

REPORT_HTML = 'report.html'
OUTCOMES = ('passed', 'failed', 'error', 'skipped')
PARITIES = ('equal', 'allowed', 'unequal', 'incomplete', 'none')
#: Colours of the paths' bars; paths beyond these share the last.
BAR_COLOURS = ('#3b6fb6', '#d9822b', '#6a6a6a')
BAR_WIDTH = 220
#: The verdict's reasons shown at the top; the rest are folded under them.
REASONS_SHOWN = 10
#: Statuses from the worst down: a template's summary takes the first met.
WORST = ('error', 'failed', 'incomplete', 'unequal', 'skipped', 'allowed')
#: The statuses that open a template's part of the matrix.
BAD = WORST[:4]
#: The groups of differences that come before the allowances' own.
INCOMPLETE, NOT_ALLOWED = (0, ''), (1, '')

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 2em 3em;color:#222}
h1{margin:.6em 0 .2em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 7px;text-align:left;
vertical-align:top}
th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}
pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
code{font-size:12px}
.verdict{display:inline-block;padding:.2em .8em;border-radius:4px;
color:#fff;font-weight:bold;letter-spacing:.05em}
.v-pass{background:#2e7d32}.v-fail{background:#c62828}
.passed,.equal{color:#2e7d32}.allowed{color:#8a6d00}
.failed,.error,.unequal,.incomplete,.bad{color:#c62828;font-weight:bold}
.skipped,.none{color:#777}
.reasons li{margin:.15em 0}
.cards span{display:inline-block;margin:0 1.5em .3em 0}
#filters label{margin-right:.8em;white-space:nowrap}
#filters{position:sticky;top:0;background:#fff;padding:.4em 0;
border-bottom:1px solid #eee}
mark{background:#ffe08a}
.side{width:100%}.side td{width:40%}.side td.loc{width:20%}
.num{text-align:right;white-space:nowrap}
.tree,.tree ul{list-style:none;margin:0;padding-left:1.2em}
.tree{padding-left:0}.small{color:#666;font-size:12px}
.flaky{background:#e1e8f5;border-radius:3px;padding:0 .3em}
.known{color:#6b3fa0;font-weight:bold}
.kb{background:#efe6f8;color:#6b3fa0;border-radius:3px;padding:0 .3em;
font-size:12px}.blockers{color:#8a6d00}
details{margin:.2em 0}summary{cursor:pointer}
.legend i{display:inline-block;width:1em;height:.8em;margin:0 .3em}
#matrix details>table{margin:.2em 0 .6em 1.2em}h4{margin:.8em 0 .2em}
.group{margin-left:1em}#templates{font-size:12px}
"""

SCRIPT = """
function hfFilter(){var on={},all=true;
document.querySelectorAll('#filters input').forEach(function(c){
on[c.value]=c.checked;all=all&&c.checked;});var n=0;
document.querySelectorAll('#matrix details').forEach(function(d){var k=0;
d.querySelectorAll('tbody tr').forEach(function(r){
var o=r.dataset.outcomes.split(' ').some(function(x){return on['o-'+x];});
r.hidden=!(o&&on['p-'+r.dataset.parity]);if(!r.hidden)k++;});
d.hidden=!k;if(k&&!all)d.open=true;n+=k;});
document.getElementById('shown').textContent=n;}
function hfReveal(){var t;try{
t=document.getElementById(decodeURIComponent(location.hash.slice(1)));
}catch(x){}for(var e=t;e;e=e.parentElement)if(e.tagName=='DETAILS')e.open=true;
if(t)t.scrollIntoView();}
function hfInit(){var m=/^#show=(.*)$/.exec(location.hash);if(m){
var v=decodeURIComponent(m[1]).split(',');
document.querySelectorAll('#filters input').forEach(function(c){
var g=c.value.slice(0,2);
if(v.some(function(x){return x.slice(0,2)==g;}))
c.checked=v.indexOf(c.value)>=0;});}hfFilter();hfReveal();
window.addEventListener('hashchange',hfReveal);}
"""


def esc(value):
    """Text for HTML: escaped, quotes included; None becomes ''."""
    return html.escape('' if value is None else str(value), quote=True)


def _tag(name, content, **attributes):
    """An element; attribute values are escaped, content is already HTML.
    A trailing underscore in an attribute name is dropped (class_)."""
    attrs = ''.join(' %s="%s"' % (key.rstrip('_').replace('_', '-'),
                                  esc(value))
                    for key, value in attributes.items() if value is not None)
    return '<%s%s>%s</%s>' % (name, attrs, content, name)


def _table(header, rows, **attributes):
    head = _tag('thead', _tag('tr', ''.join(_tag('th', esc(h))
                                            for h in header)))
    body = _tag('tbody', ''.join(rows))
    return _tag('table', head + body, **attributes)


def _anchor(prefix, *parts):
    """A stable element id made of the parts' safe characters."""
    return prefix + '-' + re.sub(r'[^A-Za-z0-9_-]+', '_', '-'.join(parts))


def step_label(scenario):
    """A lifecycle's step by its name (``grow``), other suites' cases by
    their whole scenario (``flip-on/grow``)."""
    suite, _, step = scenario.partition('/')
    return step if suite == 'lifecycle' else scenario


def _step_order(scenario):
    """Lifecycles first, then the other suites; in each, create first,
    delete last, the other steps in between."""
    suite, _, step = scenario.partition('/')
    return (suite != 'lifecycle', suite,
            {'create': 0, 'delete': 2}.get(step, 1), step)


def run_paths(report):
    """The paths the run compared (legacy, convergence)."""
    return list(report.get('paths') or {}) or sorted(
        {str(c.get('path')) for c in report.get('cases', [])})


def paths_of(report):
    """The run's paths, then any other a case ran on (cells of other
    suites)."""
    paths = run_paths(report)
    for case in report.get('cases', []):
        if case.get('path') not in paths:
            paths.append(case.get('path'))
    return paths


def parity_status(entry):
    """equal, allowed, unequal or incomplete; 'none' without an entry."""
    if entry is None:
        return 'none'
    if entry.get('incomplete'):
        return 'incomplete'
    if entry.get('equal'):
        return 'equal'
    return 'allowed' if entry.get('allowed') else 'unequal'


def _pairs(report):
    """(template, scenario, repetition) -> {path: case}, in template, step
    and repetition order; the repetition is None unless the run repeated
    its lifecycles (--repeat)."""
    repeated = (report.get('repeat') or 1) > 1
    pairs = {}
    for case in report.get('cases', []):
        repetition = case.get('repetition') if repeated else None
        pairs.setdefault((case['template'], case['scenario'], repetition),
                         {})[case['path']] = case
    order = sorted(pairs, key=lambda k: (str(k[0]), _step_order(k[1]),
                                         k[2] or 0))
    return collections.OrderedDict((key, pairs[key]) for key in order)


def row_label(scenario, repetition):
    """A matrix row's step, with its repetition where there are several."""
    label = step_label(scenario)
    return '%s r%d' % (label, repetition) if repetition else label


def _entries(report):
    """(template, scenario) -> the pair's parity entry, or the reference
    comparison of another suite's case."""
    found = {(e['template'], e['scenario']): e
             for e in report.get('references', [])
             if not e.get('not_compared')}
    found.update({(e['template'], e['scenario']): e
                  for e in report.get('parity', [])})
    return found


# -- head: verdict, reasons, summary, deployment ---------------------------
def _head(report, base_dir):
    verdict = report.get('verdict') or 'unknown'
    parts = [_tag('h1', 'heat-functional report ' + _tag(
        'span', esc(verdict.upper()), class_='verdict v-' + esc(verdict)))]
    if len(paths_of(report)) > 1:
        parts.append(_tag('p', 'The default may change: <b>%s</b>' % (
            'yes' if report.get('may_change_default') else 'no')))
        blockers = report.get('default_blockers') or []
        if blockers:
            parts.append(_tag('ul', ''.join(
                _tag('li', esc(b)) for b in blockers), class_='blockers',
                id='blockers'))
    if report.get('interrupted'):
        parts.append(_tag('p', 'Interrupted: ' + esc(report['interrupted']),
                          class_='bad'))
    parts.append(_reasons(report.get('reasons') or []))
    parts.append(_summary(report))
    parts.append(_deployment(report, base_dir))
    return ''.join(parts)


def _reasons(reasons):
    """The verdict's reasons: the first REASONS_SHOWN, the rest folded."""
    if not reasons:
        return ''

    def listing(some):
        return _tag('ul', ''.join(_tag('li', esc(r)) for r in some),
                    class_='reasons')
    shown, more = reasons[:REASONS_SHOWN], reasons[REASONS_SHOWN:]
    if not more:
        return listing(shown)
    return listing(shown) + _tag('details', _tag(
        'summary', '%d more reasons' % len(more)) + listing(more))


def _coverage(report):
    """Per suite and path: the planned cases and how many ran, skipped,
    could not run on this target (unmet) or left no record."""
    rows = report.get('coverage') or []
    if not rows:
        return ''
    header = ('suite', 'path', 'planned', 'ran', 'skipped', 'unmet',
              'xfail', 'moot', 'missing', 'ran')
    body = [_tag('tr', ''.join(_tag('td', esc(r.get(k, 0)))
                               for k in header[:-1])
                 + _tag('td', '%d %%' % round(100 * r['ran_share'])))
            for r in rows]
    parts = [_tag('h2', 'Who ran'), _table(header, body, id='coverage')]
    parts.append(_skipped_list(report.get('unmet'),
                               '%d cases the target cannot serve'))
    parts.append(_skipped_list(report.get('moot'),
                               '%d steps left nothing to act on'))
    parts.append(_failed_alike(report))
    return ''.join(parts)


def _skipped_list(skipped, summary):
    """Cases skipped for a stated reason (``id``, ``why``), folded."""
    if not skipped:
        return ''
    return _tag('details', _tag('summary', summary % len(skipped)) + _tag(
        'ul', ''.join(_tag('li', esc('%s: %s' % (s['id'], s['why'])))
                      for s in skipped)))


def _failed_alike(report):
    """The pairs held to parity only that failed alike on both paths:
    equal, so they pass, but listed with Heat's reason on each path."""
    rows = report.get('failed_alike') or []
    if not rows:
        return ''
    header = ('template', 'step', 'status', 'path', 'Heat\'s reason')
    body = [_tag('tr', ''.join(_tag('td', esc(value)) for value in (
        row['template'], step_label(row['scenario']), row['status'][path],
        path, row['reasons'][path])))
        for row in rows for path in sorted(row['reasons'])]
    return (_tag('h2', 'Failed alike on both paths') +
            _tag('p', 'Held to parity only (no expect in a sidecar, no '
                 '--strict): both paths ended in the same failure, so '
                 'the pair is equal.') +
            _table(header, body, id='failed-alike'))


def _summary(report):
    summary = report.get('summary') or {}
    cases = summary.get('cases', {})
    parity = summary.get('parity', {})
    flags = summary.get('flags', {})
    spans = ['cases: ' + ', '.join('%s %s' % (esc(cases.get(o, 0)), o)
                                   for o in OUTCOMES)]
    if parity.get('pairs'):
        spans.append('parity: ' + ', '.join(
            '%s %s' % (esc(parity.get(k, 0)), k) for k in (
                'pairs', 'equal', 'allowed', 'different', 'incomplete')))
    spans.append('flags checked: %s, mismatched: %s' % (
        esc(flags.get('checked', 0)), esc(flags.get('mismatched', 0))))
    if flags.get('known_bug'):
        spans.append('explained by a known Heat bug: %s'
                     % esc(flags['known_bug']))
    references = summary.get('references', {})
    if references.get('pairs'):
        spans.append('against references: ' + ', '.join(
            '%s %s' % (esc(references.get(k, 0)), k) for k in (
                'pairs', 'equal', 'allowed', 'different', 'incomplete',
                'not_compared')))
    if (report.get('repeat') or 1) > 1:
        spans.append('repeat: %s, noise: %s locations' % (
            esc(report['repeat']), len(report.get('noise') or [])))
    if report.get('duration_s') is not None:
        spans.append('run: %s s' % esc(report['duration_s']))
    if report.get('stale_allowances'):
        spans.append('stale allowances: ' + esc(', '.join(
            report['stale_allowances'])))
    return _tag('p', ''.join(_tag('span', s) for s in spans), class_='cards')


def log_href(log_file, base_dir=None):
    """A link to a log file, relative to the report directory wherever
    that directory is read from: the file's place when it lies in
    base_dir, else ``logs/<name>`` when the run wrote it into its report
    directory's logs/ (config.LOGS_DIR) or base_dir's logs/ holds a file
    of that name; a file: URL only for a log outside any report
    directory."""
    target = None
    if base_dir:
        base = os.path.abspath(base_dir)
        absolute = os.path.abspath(log_file)
        if absolute.startswith(base + os.sep):
            target = os.path.relpath(absolute, base).replace(os.sep, '/')
    name = os.path.basename(os.path.normpath(log_file))
    in_logs = os.path.basename(os.path.dirname(
        os.path.normpath(log_file))) == config.LOGS_DIR
    moved = base_dir and os.path.exists(
        os.path.join(base_dir, config.LOGS_DIR, name))
    if target is None and (in_logs or moved):
        target = '%s/%s' % (config.LOGS_DIR, name)
    if target:
        return urllib.parse.quote(target)
    return 'file://' + urllib.parse.quote(os.path.abspath(log_file))


def _log_link(log_file, base_dir):
    """A link to a log file, named by where it links; the path the run
    wrote it to is its title."""
    href = log_href(log_file, base_dir)
    text = log_file if href.startswith('file:') else \
        urllib.parse.unquote(href)
    return _tag('a', esc(text), href=href,
                title=None if text == log_file else log_file)


def _deployment(report, base_dir):
    deployment = report.get('deployment') or {}
    values = (report.get('heat_version'), deployment.get('kind'),
              deployment.get('db'), deployment.get('auth'),
              deployment.get('ready_s'))
    text = ('Heat %s; %s deployment, %s database, %s auth, ready in %s s'
            % tuple(esc(v) for v in values))
    rows = []
    for path, info in (report.get('paths') or {}).items():
        log_file = info.get('log_file')
        log = _log_link(log_file, base_dir) if log_file else ''
        rows.append(_tag('tr', ''.join(_tag('td', cell) for cell in (
            esc(path), esc(info.get('convergence_engine')),
            esc(info.get('endpoint')), log))))
    table = _table(('path', 'convergence_engine', 'endpoint', 'log file'),
                   rows, id='cells')
    return _tag('p', text, class_='small') + table


# -- the matrix -------------------------------------------------------------
def _filters():
    boxes = ['show rows with an outcome of:']
    boxes += [_tag('label', '<input type="checkbox" value="o-%s" checked '
                   'onchange="hfFilter()"> %s' % (o, o)) for o in OUTCOMES]
    boxes.append(' and parity:')
    boxes += [_tag('label', '<input type="checkbox" value="p-%s" checked '
                   'onchange="hfFilter()"> %s' % (p, p)) for p in PARITIES]
    boxes.append('(<span id="shown"></span> rows shown)')
    return _tag('div', ' '.join(boxes), id='filters')


def _outcome_cell(case):
    if case is None:
        return _tag('td', '-', class_='none')
    outcome = case.get('outcome')
    text = esc(outcome)
    if outcome in ('failed', 'error', 'skipped') and case.get('message'):
        text = _tag('a', text, href='#' + _anchor('case', case['id']),
                    title=(case['message'].strip().splitlines() or [''])[0])
    return _tag('td', text, class_=outcome)


def _parity_cell(entry):
    status = parity_status(entry)
    text = esc(status)
    if status in ('allowed', 'unequal', 'incomplete'):
        text = _tag('a', text, href='#' + _anchor(
            'ref' if entry.get('reference') else 'pair', entry['template'],
            entry['scenario']))
    if entry is not None and entry.get('reference'):
        text += ' ' + _tag('span', 'vs ' + esc(_reference_label(entry)),
                           class_='small')
    return _tag('td', text, class_=status)


def suite_of(scenario):
    """A case's suite, as its scenario names it (lifecycle, flip-on)."""
    return str(scenario).partition('/')[0]


def _by_template(report):
    """template -> its matrix rows, (scenario, repetition, {path: case}),
    in template, step and repetition order."""
    found = collections.OrderedDict()
    for (template, scenario, repetition), by_path in _pairs(report).items():
        found.setdefault(template, []).append(
            (scenario, repetition, by_path))
    return found


def _entries_of(template, rows, entries):
    """The parity entries of a template's rows, one per scenario."""
    scenarios = collections.OrderedDict.fromkeys(s for s, _, _ in rows)
    return [entries[(template, s)] for s in scenarios
            if (template, s) in entries]


def tally(cases, entries):
    """What some cases and their parity entries came to: (text, the
    worst status). The text counts the outcomes, then, if there are
    entries, says 'equal' or counts the statuses other than equal."""
    outcomes = collections.Counter(str(c.get('outcome')) for c in cases)
    names = [o for o in OUTCOMES if o in outcomes] + sorted(
        set(outcomes) - set(OUTCOMES))
    text = ', '.join('%d %s' % (outcomes[o], o) for o in names)
    statuses = collections.Counter(parity_status(e) for e in entries)
    if entries:
        text += '; ' + (', '.join('%d %s' % (statuses[s], s)
                                  for s in PARITIES[1:] if statuses[s])
                        or 'equal')
    found = set(outcomes) | set(statuses)
    return text, next((s for s in WORST if s in found), 'passed')


def _template_cell(template, rows, entries):
    """A suite's cell of a template's summary row."""
    if not rows:
        return _tag('td', '')
    cases = [c for _, _, by_path in rows for c in by_path.values()]
    text, worst = tally(cases, _entries_of(template, rows, entries))
    # Lines break between the counts, never inside one: the columns stay
    # narrow enough for a row of every suite to fit the window.
    return _tag('td', re.sub(r'(\d) ', r'\1&nbsp;', esc(text)),
                class_=worst)


def _templates(report):
    """One row per template, a cell per suite: its cases' outcomes and
    its pairs' parity; the template links to its part of the matrix."""
    by_template = _by_template(report)
    if not by_template:
        return ''
    entries = _entries(report)
    suites = sorted({suite_of(s) for rows in by_template.values()
                     for s, _, _ in rows}, key=lambda s: (s != 'lifecycle',
                                                          s))
    body = []
    for template, rows in by_template.items():
        by_suite = collections.defaultdict(list)
        for row in rows:
            by_suite[suite_of(row[0])].append(row)
        cells = [_tag('td', _tag('a', esc(template), href='#' + _anchor(
            'tmpl', str(template))))]
        cells += [_template_cell(template, by_suite[suite], entries)
                  for suite in suites]
        body.append(_tag('tr', ''.join(cells)))
    return (_tag('h2', 'Templates', id='templates-title') +
            _tag('p', 'Per template and suite: the outcomes of its cases '
                 'on every path, then the parity of its pairs.',
                 class_='small') +
            _table(['template'] + suites, body, id='templates'))


def _matrix_row(template, row, paths, entries):
    scenario, repetition, by_path = row
    entry = entries.get((template, scenario))
    outcomes = sorted({c.get('outcome') for c in by_path.values()})
    cells = [_tag('td', esc(row_label(scenario, repetition)))]
    cells += [_outcome_cell(by_path.get(p)) for p in paths]
    if len(paths) > 1:
        cells.append(_parity_cell(entry))
    return _tag('tr', ''.join(cells), data_outcomes=' '.join(outcomes),
                data_parity=parity_status(entry))


def _template_matrix(template, rows, paths, entries):
    """A template's steps, folded under what they came to; open when
    something failed or a pair is unequal or incomplete."""
    cases = [c for _, _, by_path in rows for c in by_path.values()]
    text, worst = tally(cases, _entries_of(template, rows, entries))
    summary = _tag('summary', _tag('b', esc(template)) + ' ' + _tag(
        'span', esc(text), class_=worst))
    header = ['step'] + [str(p) for p in paths] + (
        ['parity'] if len(paths) > 1 else [])
    table = _table(header, [_matrix_row(template, row, paths, entries)
                            for row in rows])
    return '<details id="%s"%s>%s%s</details>' % (
        _anchor('tmpl', str(template)), ' open' if worst in BAD else '',
        summary, table)


def _matrix(report):
    paths = paths_of(report)
    entries = _entries(report)
    tables = [_template_matrix(template, rows, paths, entries)
              for template, rows in _by_template(report).items()]
    # In a section of its own, the filters stick to the top of the window
    # while the matrix is in view, and only then.
    return _tag('section', _tag('h2', 'Matrix', id='matrix-title') +
                _filters() + _tag('div', ''.join(tables), id='matrix'))


# -- failures -----------------------------------------------------------
def _failures(report):
    failed = [c for c in report.get('cases', [])
              if c.get('outcome') in ('failed', 'error', 'skipped')]
    if not failed:
        return ''
    rows = [_tag('tr', _tag('td', esc(c['id']), id=_anchor('case', c['id'])) +
                 _tag('td', esc(c.get('outcome')), class_=c.get('outcome')) +
                 _tag('td', _tag('pre', esc(c.get('message')))))
            for c in failed]
    return _tag('h2', 'Cases that did not pass') + _table(
        ('case', 'outcome', 'message'), rows)


# -- differences side by side ------------------------------------------------
def _value_lines(value):
    return json.dumps(value, indent=1, sort_keys=True,
                      default=str).splitlines()


def side_by_side(legacy, convergence):
    """Both values as JSON text, HTML-escaped, the lines that differ
    marked; returns (legacy_html, convergence_html)."""
    left, right = _value_lines(legacy), _value_lines(convergence)
    left_out, right_out = [], []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        wrap = (lambda s: esc(s)) if op == 'equal' else (
            lambda s: _tag('mark', esc(s)))
        left_out += [wrap(line) for line in left[i1:i2]]
        right_out += [wrap(line) for line in right[j1:j2]]
    return '\n'.join(left_out), '\n'.join(right_out)


def _difference_row(difference, comparisons=None):
    legacy, convergence = side_by_side(difference.get('legacy'),
                                       difference.get('convergence'))
    location = _tag('code', esc(difference.get('location')))
    if difference.get('flaky'):
        location += ' ' + _tag('span', 'flaky', class_='flaky',
                               title='this location is noise: it differs '
                               'between runs of one path')
    if difference.get('seen_in') is not None:
        location += _tag('p', 'in %s of %s comparisons' % (
            esc(difference['seen_in']), esc(comparisons)), class_='small')
    return _tag('tr', _tag('td', location, class_='loc') +
                _tag('td', _tag('pre', legacy)) +
                _tag('td', _tag('pre', convergence)))


def _allowances(report):
    """id -> allowance, from the report's allowances if it lists them."""
    found = report.get('allowances') or []
    if isinstance(found, dict):
        return found
    return {a.get('id'): a for a in found if isinstance(a, dict)}


def _groups(entries):
    """group -> entry index -> the entry's differences in that group.
    Groups, in this order: (0, '') the pairs without an observation of
    one side, (1, '') the differences no allowance covers, (2, id) those
    each allowance covers."""
    groups = collections.defaultdict(collections.OrderedDict)
    for index, entry in enumerate(entries):
        if entry.get('incomplete'):
            groups[INCOMPLETE][index] = []
        for difference in entry.get('differences') or []:
            allowance = difference.get('allowed_by')
            group = (2, str(allowance)) if allowance else NOT_ALLOWED
            groups[group].setdefault(index, []).append(difference)
        if not any(index in members for members in groups.values()):
            groups[NOT_ALLOWED][index] = []
    return collections.OrderedDict((g, groups[g]) for g in sorted(groups))


def _group_anchor(prefix, group):
    if group == INCOMPLETE:
        return _anchor(prefix, 'incomplete')
    if group == NOT_ALLOWED:
        return _anchor(prefix, 'not-allowed')
    return _anchor(prefix + '-by', group[1])


def _group_name(group):
    if group == INCOMPLETE:
        return _tag('span', 'incomplete', class_='incomplete')
    if group == NOT_ALLOWED:
        return _tag('span', 'not allowed', class_='bad')
    return 'allowed by ' + _tag('b', esc(group[1]), class_='allowed')


def _count(number, noun):
    """'1 pair', '2 pairs'."""
    return '%d %s%s' % (number, noun, '' if number == 1 else 's')


def _group_head(group, members, allowances):
    """The group's heading, counts, and an allowance's reason and source,
    once."""
    differences = sum(len(d) for d in members.values())
    counts = _count(len(members), 'pair')
    if group != INCOMPLETE:
        counts = '%s in %s' % (_count(differences, 'difference'), counts)
    parts = [_tag('h3', _group_name(group) + ': ' + counts)]
    allowance = {}
    if group[0] == 2:
        allowance = allowances.get(group[1]) or {}
    if allowance.get('reason'):
        parts.append(_tag('p', esc(allowance['reason'])))
    if allowance.get('source'):
        parts.append(_tag('p', 'source: ' + esc(allowance['source']),
                          class_='small'))
    return ''.join(parts)


def _pair_block(entry, differences, sides, note=None, anchor=None,
                elsewhere=''):
    """A pair's (or a reference comparison's) differences of one group
    side by side; `sides` names the two columns. The pair's first block
    has its anchor and says why it is incomplete; `elsewhere` links to
    the pair's other groups."""
    status = parity_status(entry)
    title = '%s / %s: %s' % (esc(entry['template']), esc(entry['scenario']),
                             _tag('span', esc(status), class_=status))
    if anchor and entry.get('incomplete'):
        title += ': ' + _tag('span', esc(entry['incomplete']),
                             class_='bad')
    parts = [_tag('h4', title, id=anchor)]
    if note:
        parts.append(_tag('p', note, class_='small'))
    if elsewhere:
        parts.append(_tag('p', 'more of this pair: ' + elsewhere,
                          class_='small'))
    rows = [_difference_row(d, entry.get('comparisons'))
            for d in differences]
    if rows:
        parts.append(_table(('location',) + tuple(sides), rows,
                            class_='side'))
    return ''.join(parts)


def _grouped(entries, allowances, prefix, sides_of, note_of):
    """The entries' differences side by side, grouped (``_groups``); the
    groups of allowances folded. A pair's first block has its anchor
    (``prefix``-template-scenario), its other blocks link to its other
    groups."""
    groups = _groups(entries)
    homes = collections.defaultdict(list)
    for group, members in groups.items():
        for index in members:
            homes[index].append(group)
    parts = []
    for group, members in groups.items():
        blocks = [_pair_block(
            entries[index], differences, sides_of(entries[index]),
            note_of(entries[index]), _home_anchor(
                prefix, entries[index], homes[index], group),
            _elsewhere(prefix, homes[index], group))
            for index, differences in members.items()]
        parts.append(_tag('section', _group_head(
            group, members, allowances) + '<details%s>%s%s</details>' % (
                '' if group[0] == 2 else ' open',
                _tag('summary', 'the ' + _count(len(members), 'pair')),
                ''.join(blocks)), class_='group',
            id=_group_anchor(prefix + 's', group)))
    return ''.join(parts)


def _home_anchor(prefix, entry, homes, group):
    """The pair's anchor if `group` is the first of its `homes`."""
    if homes[0] != group:
        return None
    return _anchor(prefix, entry['template'], entry['scenario'])


def _elsewhere(prefix, homes, group):
    """Links to the pair's groups other than `group`."""
    return ', '.join(_tag('a', _group_name(g), href='#' + _group_anchor(
        prefix + 's', g)) for g in homes if g != group)


def _reference_label(entry):
    reference = entry.get('reference') or {}
    return '%s on %s' % (reference.get('scenario'), reference.get('path'))


def _reference_sides(entry):
    return ('reference: %s' % _reference_label(entry),
            '%s on %s' % (entry['scenario'], entry.get('path')))


def _reference_note(entry):
    reference = entry.get('reference') or {}
    return 'reference %s%s' % (
        esc(_reference_label(entry)),
        ': ' + esc(reference['why']) if reference.get('why') else '')


def _references(report):
    """The flag lifecycle suite's comparisons that are not equal, each
    against its reference case of the parity suite, side by side."""
    entries = [e for e in report.get('references', [])
               if parity_status(e) != 'equal' and not e.get('not_compared')]
    skipped = [e for e in report.get('references', [])
               if e.get('not_compared')]
    if not entries and not skipped:
        return ''
    parts = [_tag('h2', 'Against the reference cases', id='references'),
             _tag('p', 'Cases of the flag lifecycle suite whose observation '
                  'must equal a case of the parity suite (the reference).',
                  class_='small'),
             _grouped(entries, _allowances(report), 'ref', _reference_sides,
                      _reference_note)]
    if skipped:
        parts.append(_tag('p', '%d not compared (their reference did not '
                          'run in this session), e.g. %s / %s: %s' % (
                              len(skipped), esc(skipped[0]['template']),
                              esc(skipped[0]['scenario']),
                              esc(skipped[0]['not_compared'])),
                          class_='small'))
    return ''.join(parts)


def _known_bugs(report):
    """The known Heat bugs, with how many stacks and cases showed each."""
    bugs = report.get('known_bugs') or []
    if not bugs:
        return ''
    rows = []
    for bug in bugs:
        cases = bug.get('cases') or []
        seen = ('%s in %d cases' % (esc(known_bugs.counts(bug)), len(cases))
                if bug.get('seen') else 'not seen in this run')
        if cases:
            seen += _tag('details', _tag('summary', 'cases') + _tag(
                'ul', ''.join(_tag('li', _tag('code', esc(c)))
                              for c in cases)))
        rows.append(_tag('tr', ''.join((
            _tag('td', _tag('b', esc(' '.join(str(bug.get('title') or
                                                  '').split())),
                            class_='known') +
                 _tag('p', _tag('code', esc(bug.get('id'))),
                      class_='small')),
            _tag('td', esc(bug.get('reason')) + (
                _tag('p', 'Does not block the default: ' +
                     esc(bug.get('why_not_blocking')), class_='small')
                if bug.get('blocks_default') is False else '')),
            _tag('td', esc(bug.get('source'))),
            _tag('td', seen, class_='known' if bug.get('seen') else
                 'none')))))
    return _tag('h2', 'Known Heat bugs', id='known-bugs') + _tag(
        'p', 'Flag checks that these bugs explain do not fail their case; '
        'a request that a known race made Heat reject was sent again, and '
        'counts only where the rejection went away. Each bug seen means '
        'the default may not change, unless its reason says why not.',
        class_='small') + _table(('bug', 'reason', 'source', 'seen'), rows,
                                 id='known-bugs-table')


def _row(*cells):
    return _tag('tr', ''.join(_tag('td', cell) for cell in cells))


def _corpus(report):
    """What discovery found: each case's file and environments, the
    helpers and who uses them, the files skipped and why."""
    found = report.get('corpus')
    if not found:
        return ''
    cases = [_row(_tag('code', esc(name)), _tag('code', esc(case.get(
        'file'))), esc(', '.join(case.get('environments') or []) or 'none'))
        for name, case in sorted((found.get('cases') or {}).items())]
    helpers = [_row(_tag('code', esc(path)), esc(', '.join(users)))
               for path, users in sorted((found.get('helpers') or
                                          {}).items())]
    skipped = [_row(_tag('code', esc(path)), esc(why))
               for path, why in sorted((found.get('skipped') or
                                        {}).items())]
    parts = [_tag('h2', 'Template directory', id='corpus'),
             _tag('p', _tag('code', esc(found.get('directory'))),
                  class_='small'),
             _table(('case', 'file', 'environments'), cases,
                    id='corpus-cases')]
    if helpers:
        parts += [_tag('p', 'Helpers, sent with the cases that use them:'),
                  _table(('file', 'used by'), helpers,
                         id='corpus-helpers')]
    if skipped:
        parts += [_tag('p', 'Skipped:'),
                  _table(('file', 'why'), skipped, id='corpus-skipped')]
    return ''.join(parts)


def _differences(report):
    entries = [e for e in report.get('parity', [])
               if parity_status(e) != 'equal']
    if not entries:
        return ''
    paths = paths_of(report)
    sides = (paths[0] if paths else 'legacy',
             paths[1] if len(paths) > 1 else 'convergence')
    return _tag('h2', 'Differences', id='differences') + _tag(
        'p', 'The pairs that are not equal, grouped by what covers their '
        'differences: first the pairs without an observation of one '
        'path, then the differences no allowance covers, then each '
        'allowance with its reason and the pairs it covers (folded).',
        class_='small') + _grouped(entries, _allowances(report), 'pair',
                                   lambda entry: sides, lambda entry: None)


def _noise_values(noise):
    values = noise.get('values') or []
    runs = noise.get('repetitions') or range(1, len(values) + 1)
    return ''.join(_tag('pre', 'r%s: %s' % (esc(run), esc(json.dumps(
        value, sort_keys=True, default=str)))) for run, value in zip(
            runs, values))


def _noise(report):
    """Differences seen between repeated runs of one path (noise) and the
    flaky differences between paths, when the report has them."""
    noise = report.get('noise') or []
    flaky = [(e, d) for e in report.get('parity', [])
             for d in e.get('differences') or [] if d.get('flaky')]
    if not noise and not flaky:
        return ''
    parts = [_tag('h2', 'Noise and flaky differences', id='noise')]
    if noise:
        rows = [_tag('tr', ''.join(_tag('td', esc(n.get(k))) for k in (
            'template', 'scenario', 'path')) + _tag('td', _tag(
                'code', esc(n.get('location')))) + _tag('td', _noise_values(
                    n))) for n in noise]
        parts.append(_tag('p', 'Seen to change between runs of one path '
                          '(candidates for normalisation rules, each with '
                          'its reason):'))
        parts.append(_table(('template', 'scenario', 'path', 'location',
                             'values by run'), rows, id='noise-table'))
    if flaky:
        rows = [_tag('tr', ''.join(_tag('td', esc(v)) for v in (
            e['template'], e['scenario'], d.get('location'))))
            for e, d in flaky]
        parts.append(_tag('p', 'Differences between the paths that come and '
                          'go:'))
        parts.append(_table(('template', 'scenario', 'location'), rows,
                            id='flaky-table'))
    return ''.join(parts)


def _by_shape_values(values):
    return ''.join(_tag('pre', 'r%d: %s' % (run, esc(json.dumps(
        value, sort_keys=True, default=str))))
        for run, value in enumerate(values, 1))


def _noisy_by_shape(report):
    """The locations noisy on both paths, compared by shape (noise.py),
    with each path's values by run, and the noise pass that ran."""
    found = noise_module.listed(report)
    second = report.get('noise_pass')
    if not found and not second:
        return ''
    parts = [_tag('h2', esc(noise_module.TITLE.capitalize()),
                  id='noisy-by-shape')]
    if second:
        parts.append(_tag('p', esc(
            'Noise pass: the create of %d template(s) ran once more per '
            'path (%s s): %s' % (len(second['templates']),
                                 second['duration_s'],
                                 ', '.join(second['templates'])))))
    if found:
        rows = [_tag('tr', ''.join(_tag('td', esc(v)) for v in (
            e['template'], e['scenario'])) + _tag('td', _tag(
                'code', esc(item['location']))) + _tag(
                    'td', esc(item['shape'])) + ''.join(
                        _tag('td', _by_shape_values(item[side]))
                        for side in ('legacy', 'convergence')))
            for e, item in found]
        parts.append(_tag('p', 'Each differs between two runs of the same '
                          'path on both paths, so the paths are held to '
                          'the same shape there, not the same value:'))
        parts.append(_table(('template', 'scenario', 'location', 'shape',
                             'legacy by run', 'convergence by run'), rows,
                            id='noisy-by-shape-table'))
    return ''.join(parts)


# -- flags -----------------------------------------------------------------
def _stack_line(stack):
    mismatch = stack.get('convergence') != stack.get('expected_convergence')
    known = mismatch and stack.get('known_bug')
    name = stack.get('path') or ('<root>' if stack.get('parent') is None
                                 else stack.get('name'))
    text = '%s convergence=%s expected=%s' % (
        _tag('b', esc(name)), esc(stack.get('convergence')),
        esc(stack.get('expected_convergence')))
    details = 'depth %s, %s, source %s%s' % (
        esc(stack.get('depth')), esc(stack.get('name')), esc(
            stack.get('source')), ', deleted' if stack.get('deleted') else '')
    if known:
        return _tag('span', text, class_='known') + ' ' + _tag(
            'span', 'known bug', class_='kb', title=stack['known_bug']) + \
            ' ' + _tag('span', details, class_='small', title=stack.get('id'))
    return _tag('span', text, class_='bad' if mismatch else None) + \
        ' ' + _tag('span', details, class_='small', title=stack.get('id'))


def stack_tree(stacks):
    """The stacks as nested lists, each under its parent; stacks whose
    parent is not among them are roots."""
    ids = {s.get('id') for s in stacks}
    children = collections.defaultdict(list)
    for stack in stacks:
        parent = stack.get('parent')
        children[parent if parent in ids else None].append(stack)

    def branch(parent):
        items = [_tag('li', _stack_line(s) + branch(s.get('id')))
                 for s in children.get(parent, [])]
        return _tag('ul', ''.join(items)) if items else ''
    return branch(None).replace('<ul>', '<ul class="tree">', 1)


def _flags_of_template(template, cases):
    wrong = [s for c in cases for s in c.get('stacks', [])
             if s.get('convergence') != s.get('expected_convergence')]
    mismatched = any(not s.get('known_bug') for s in wrong)
    known = len(wrong) - sum(1 for s in wrong if not s.get('known_bug'))
    count = sum(len(c.get('stacks', [])) for c in cases)
    repeated = _repeated(cases)
    rows = [_tag('tr', _tag('td', esc(row_label(
        c['scenario'], c.get('repetition') if repeated else None))) +
                 _tag('td', esc(c['path'])) +
                 _tag('td', stack_tree(c.get('stacks', []))))
            for c in sorted(cases, key=lambda c: (
                _step_order(c['scenario']), c.get('repetition') or 0,
                str(c['path'])))]
    summary = '%s: %d stack checks%s%s' % (
        esc(template), count,
        ' ' + _tag('span', 'MISMATCH', class_='bad') if mismatched else '',
        ' ' + _tag('span', '%d explained by a known bug' % known,
                   class_='kb') if known else '')
    return '<details%s>%s%s</details>' % (
        ' open' if mismatched else '', _tag('summary', summary),
        _table(('step', 'path', 'stacks'), rows))


def _repeated(cases):
    return any((c.get('repetition') or 1) > 1 for c in cases)


def _flags(report):
    by_template = collections.OrderedDict()
    for case in report.get('cases', []):
        if case.get('stacks'):
            by_template.setdefault(case['template'], []).append(case)
    if not by_template:
        return ''
    return _tag('h2', 'Flag checks', id='flags') + _tag(
        'p', 'Every stack and nested stack each case created, with its '
        'convergence flag and the flag expected of its path; a flag '
        'that a known Heat bug explains is marked ' + _tag(
            'span', 'known bug', class_='kb') + ', apart from mismatches.',
        class_='small') + ''.join(
        _flags_of_template(t, cs) for t, cs in by_template.items())


# -- timings -----------------------------------------------------------
def _seconds(value):
    return '' if value is None else '%.2f' % value


def ratio(numerator, denominator):
    """numerator / denominator as text ('1.25'), '' when undefined."""
    if numerator is None or not denominator:
        return ''
    return '%.2f' % (numerator / denominator)


def bars(cases, paths, scale):
    """An inline SVG: one bar per path, its whole duration light and the
    part Heat spent darker; `scale` seconds fill BAR_WIDTH."""
    height = 9
    shapes = []
    for row, path in enumerate(paths):
        case = cases.get(path) or {}
        colour = BAR_COLOURS[min(row, len(BAR_COLOURS) - 1)]
        y = row * (height + 2)
        for seconds, opacity in ((case.get('duration_s'), '0.35'),
                                 (case.get('heat_time_s'), '1')):
            if seconds:
                width = max(1, round(BAR_WIDTH * seconds / scale, 1))
                shapes.append(
                    '<rect x="0" y="%d" width="%s" height="%d" fill="%s" '
                    'fill-opacity="%s"><title>%s %s s</title></rect>' % (
                        y, width, height, colour, opacity, esc(path),
                        esc(seconds)))
    return '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" ' \
        'role="img">%s</svg>' % (BAR_WIDTH, len(paths) * (height + 2),
                                 ''.join(shapes))


def _timing_row(template, scenario, by_path, paths, scale, repetition=None):
    cells = [_tag('td', esc(template)),
             _tag('td', esc(row_label(scenario, repetition)))]
    numbers = []
    for path in paths:
        case = by_path.get(path) or {}
        numbers += [_seconds(case.get(k)) for k in (
            'duration_s', 'heat_time_s', 'harness_overhead_s')]
    if len(paths) > 1:
        first, second = by_path.get(paths[0]) or {}, \
            by_path.get(paths[1]) or {}
        numbers += [ratio(second.get(k), first.get(k))
                    for k in ('duration_s', 'heat_time_s')]
    cells += [_tag('td', n, class_='num') for n in numbers]
    cells.append(_tag('td', bars(by_path, paths, scale)))
    return _tag('tr', ''.join(cells))


def _timing_head(paths):
    """Two header rows: the paths (and the ratio) over their columns."""
    def th(text, **attributes):
        return _tag('th', esc(text), **attributes)
    top = [th('template', rowspan=2), th('step', rowspan=2)]
    top += [th(p, colspan=3) for p in paths]
    below = [th(k) for _ in paths for k in ('case s', 'heat s',
                                            'overhead s')]
    if len(paths) > 1:
        top.append(th('%s / %s' % (paths[1], paths[0]), colspan=2))
        below += [th('case'), th('heat')]
    top.append(th('bars', rowspan=2))
    return _tag('thead', _tag('tr', ''.join(top)) +
                _tag('tr', ''.join(below)))


def _legend(paths):
    items = ['<i style="background:%s"></i>%s' % (
        BAR_COLOURS[min(n, len(BAR_COLOURS) - 1)], esc(p))
        for n, p in enumerate(paths)]
    return _tag('p', ' '.join(items) + ' &mdash; light: the whole case, '
                'dark: the time Heat spent on its actions', class_='legend')


def _totals(report):
    """Case time like with like: over the paired cases, and apart the
    cases that ran on one path only (report.json's ``timings``)."""
    measured = report.get('timings')
    if not measured:
        return ''
    paired = measured['paired']
    text = 'Case time over %s paired cases: %s' % (
        esc(paired['pairs']), ', '.join(
            '%s %.1f s' % (esc(p), s)
            for p, s in paired['case_time_s'].items()))
    names = list(paired['case_time_s'])
    if len(names) == 2 and paired['case_time_s'][names[0]]:
        text += '; %s/%s: %s' % (esc(names[1]), esc(names[0]), ratio(
            paired['case_time_s'][names[1]], paired['case_time_s'][names[0]]))
    single = measured['single_path']
    if single['cases']:
        text += '. Single-path cases (flip, migration and others), apart: ' \
            '%s cases, %s' % (esc(single['cases']), ', '.join(
                '%s %.1f s' % (esc(p), s)
                for p, s in single['case_time_s'].items()))
    return _tag('p', text + '.')


def _timings(report):
    """Cases on the run's paths, step by step."""
    paths = run_paths(report)
    pairs = collections.OrderedDict(
        (key, {p: c for p, c in by_path.items() if p in paths})
        for key, by_path in _pairs(report).items()
        if any(p in paths for p in by_path))
    if not pairs:
        return ''
    scale = max([c.get('duration_s') or 0 for by_path in pairs.values()
                 for c in by_path.values()] + [0.001])
    rows = [_timing_row(t, s, by_path, paths, scale, r)
            for (t, s, r), by_path in pairs.items()]
    table = _tag('table', _timing_head(paths) + _tag('tbody', ''.join(rows)),
                 id='timings-table')
    return (_tag('h2', 'Timings', id='timings') + _totals(report) +
            _legend(paths) + table)


# -- where the CPU went ----------------------------------------------------
def _performance(report):
    """CPU and peak memory per process group, and the efficiency ratio
    (report.json's ``performance``)."""
    measured = report.get('performance')
    if not measured:
        return ''
    share = measured.get('harness_cpu_share')
    summary = _tag('p', (
        'Wall time %s s on %s cores. Heat %s CPU s, harness %s CPU s '
        '(%s of all measured), other %s CPU s. Efficiency ratio (wall time '
        '&divide; Heat CPU per core; 1.0 means the run took no longer than '
        'Heat&rsquo;s own work needs): %s.') % (
            esc(measured['wall_s']), esc(measured['cores']),
            esc(measured['heat_cpu_s']), esc(measured['harness_cpu_s']),
            '%.1f %%' % (100 * share) if share is not None else 'n/a',
            esc(measured['other_cpu_s']),
            esc(measured['efficiency_ratio'] if measured['efficiency_ratio']
                is not None else 'n/a')) + (
            ' Merged shards: the wall time is %s.' % esc(measured['wall_is'])
            if measured.get('wall_is') else ''))
    split = measured.get('keystone_split')
    if split and not isinstance(split, list):
        summary += _tag('p', (
            'keystone spent %s CPU s on Heat&rsquo;s own requests (its '
            'trusts, stack domain projects and users, domain admin '
            'tokens): counted as Heat&rsquo;s, in <code>%s</code>. With all '
            'of keystone counted as the harness&rsquo;s, its share would be '
            '%.1f %% and the efficiency ratio %s.') % (
                esc(measured['cpu_s'].get('keystone-for-heat', 0.0)),
                'keystone-for-heat',
                100 * (measured.get('harness_cpu_share_keystone_whole') or 0),
                esc(measured.get('efficiency_ratio_keystone_whole'))))
    total = sum(g['cpu_s'] for g in measured['groups'].values()) or 1
    rows = [_tag('tr', ''.join((
        _tag('td', _tag('code', esc(name))), _tag('td', esc(group['role'])),
        _tag('td', esc(group['cpu_s']), class_='num'),
        _tag('td', '%.1f %%' % (100 * group['cpu_s'] / total),
             class_='num'),
        _tag('td', esc(group['peak_rss_mib']), class_='num'))))
        for name, group in sorted(measured['groups'].items(),
                                  key=lambda i: -i[1]['cpu_s'])]
    return _tag('h2', 'Where the CPU went', id='performance') + summary + \
        _table(('process group', 'role', 'CPU s', 'share', 'peak MiB'),
               rows, id='performance-table')


# -- the page -------------------------------------------------------------
def render(report, base_dir=None):
    """The whole page as a string. base_dir, the directory the page will
    be in, makes the links to log files relative where it can."""
    body = ''.join(part for part in (
        _head(report, base_dir), _templates(report), _matrix(report),
        _failures(report), _differences(report), _references(report),
        _noise(report), _noisy_by_shape(report), _known_bugs(report),
        _flags(report), _coverage(report), _corpus(report),
        _timings(report), _performance(report)) if part)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta http-equiv="Content-Security-Policy" content="'
            "default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'\">"
            '<title>heat-functional: %s</title><style>%s</style></head>'
            '<body>%s<script>%s hfInit();</script></body></html>\n'
            % (esc((report.get('verdict') or 'unknown').upper()), CSS, body,
               SCRIPT))


def write(report, report_dir):
    """Write report.html into report_dir; returns its path."""
    path = os.path.join(report_dir, REPORT_HTML)
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(render(report, report_dir))
    os.replace(tmp, path)
    return path
