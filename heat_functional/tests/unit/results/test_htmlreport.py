"""Unit tests of heat_functional.htmlreport.

Renders reports built (with ``report.build``) from crafted case records:
all equal; unequal without and with an allowance; a flag mismatch in a
nested tree; noise and flaky differences; text that needs escaping. Checks
that the right things appear, escaped, in a page that is well formed and
needs no network; that the page, parsed, answers in order (verdict,
blockers, reasons, a row per template, the matrix folded per template);
that differences are grouped by allowance, each allowance's reason once;
that log links are relative to the report directory wherever the page
is written; and that ``report.write`` and ``heat-functional report``
write report.html beside report.json.
"""

import html.parser
import os
import re

from heat_functional import cli
from heat_functional import discovery
from heat_functional.results import htmlreport
from heat_functional.results import report
from heat_functional.tests.unit import evidence

PATHS = ['legacy', 'convergence']
DESCRIPTION = {
    'kind': 'embedded', 'db': 'sqlite', 'auth': 'noauth', 'ready_s': 3.5,
    'heat_version': '27.0.0',
    'paths': {
        'legacy': {'endpoint': 'http://127.0.0.1:8001/v1/admin',
                   'log_file': '/srv/run/logs/legacy.log'},
        'convergence': {'endpoint': 'http://127.0.0.1:8002/v1/admin',
                        'log_file': '/srv/run/logs/convergence.log'},
    },
}
VOID = {'meta', 'input', 'br', 'rect'}


def observation(value='a'):
    return {'stack': 'CREATE_COMPLETE', 'outputs': {'value': value},
            'events': {'thing': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']}}


def stacks(path, convergence=None):
    """A root and a nested stack under it; flags match unless told."""
    expected = path == 'convergence'
    flag = expected if convergence is None else convergence
    return [
        {'id': 'root-%s' % path, 'name': 'hf-t-%s' % path, 'parent': None,
         'path': '', 'depth': 0, 'convergence': expected,
         'expected_convergence': expected, 'source': 'db'},
        {'id': 'child-%s' % path, 'name': 'hf-t-%s-group' % path,
         'parent': 'root-%s' % path, 'path': 'group', 'depth': 1,
         'convergence': flag, 'expected_convergence': expected,
         'source': 'db'},
    ]


def case(template='simple', step='create', path='legacy', value='a',
         outcome='passed', message=None, convergence=None):
    return {
        'id': 'test_lifecycle[%s-%s-%s]' % (template, step, path),
        'template': template, 'scenario': 'lifecycle/' + step, 'path': path,
        'outcome': outcome, 'message': message,
        'duration_s': 2.0 if path == 'legacy' else 3.0,
        'heat_time_s': 1.5 if path == 'legacy' else 2.5,
        'harness_overhead_s': 0.5,
        'stacks': stacks(path, convergence),
        'observation': observation(value),
    }


def both(template='simple', step='create', **convergence_changes):
    return [case(template, step, 'legacy'),
            case(template, step, 'convergence', **convergence_changes)]


ALLOWANCE = {'id': 'value-may-differ', 'location': 'outputs.value',
             'reason': 'documented: <the value> & more',
             'source': 'heat docs'}


def render(cases, allowed=(), base_dir=None, **extra):
    built = report.build(cases, DESCRIPTION, PATHS, allowed,
                         duration_s=12.5)
    built.update(extra)
    return htmlreport.render(built, base_dir)


class Checker(html.parser.HTMLParser):
    """Checks that elements nest properly; collects ids and the text."""

    def __init__(self):
        super().__init__()
        self.open, self.ids, self.text, self.scripts = [], set(), [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        assert 'src' not in attrs and tag != 'link', (tag, attrs)
        if attrs.get('id'):
            assert attrs['id'] not in self.ids, attrs['id']
            self.ids.add(attrs['id'])
        self.scripts += tag == 'script'
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag not in VOID:
            assert self.open and self.open.pop() == tag, tag

    def handle_data(self, data):
        self.text.append(data)


class Elements(html.parser.HTMLParser):
    """Each element of a tag, as its attributes and its text, in order."""

    def __init__(self, tag):
        super().__init__()
        self.tag, self.found, self.depth = tag, [], 0

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self.depth += 1
            self.found.append((dict(attrs), []))
        elif self.depth and tag not in VOID:
            self.found[-1][1].append('<%s>' % tag)

    def handle_endtag(self, tag):
        if tag == self.tag:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.found[-1][1].append(data)


def elements(page, tag):
    """(attributes, text) of each element of a tag; in its text, the
    start tags of the elements inside it are kept (``<td>``)."""
    parser = Elements(tag)
    parser.feed(page)
    return [(attributes, ''.join(text)) for attributes, text in
            parser.found]


def check(page):
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.open == [], checker.open
    assert checker.scripts == 1
    return checker


def test_all_equal():
    page = render(both() + both(step='grow') + evidence.records())
    checker = check(page)
    assert 'v-pass' in page and '>PASS<' in page
    assert 'The default may change: <b>yes</b>' in page
    assert page.count('data-parity="equal"') == 2
    assert page.count('data-outcomes="passed"') == 4
    assert 'id="differences"' not in page
    assert 'not allowed' not in page
    assert {'matrix', 'filters', 'flags', 'timings', 'cells'} <= checker.ids
    assert 'cases: 7 passed, 0 failed, 0 error, 0 skipped' in ''.join(
        checker.text)


def test_matrix_steps_create_first_delete_last():
    cases = both(step='delete') + both(step='grow') + both(step='create')
    page = render(cases)
    matrix = page[page.index('id="matrix"'):page.index('id="flags"')]
    order = [matrix.index('<td>%s</td>' % s)
             for s in ('create', 'grow', 'delete')]
    assert order == sorted(order)


def test_unequal_without_allowance_side_by_side():
    page = render(both(value='b'))
    checker = check(page)
    assert 'v-fail' in page
    assert 'data-parity="unequal"' in page
    anchor = htmlreport._anchor('pair', 'simple', 'lifecycle/create')
    assert anchor in checker.ids
    assert 'href="#%s"' % anchor in page
    section = page[page.index('id="differences"'):]
    assert '<code>outputs.value</code>' in section
    assert '<mark>&quot;a&quot;</mark>' in section
    assert '<mark>&quot;b&quot;</mark>' in section
    assert 'not allowed' in section


def test_unequal_with_allowance_shows_its_reason():
    page = render(both(value='b'), [ALLOWANCE])
    check(page)
    assert 'v-pass' in page
    assert 'data-parity="allowed"' in page
    section = page[page.index('id="differences"'):]
    assert 'value-may-differ' in section
    assert 'documented: &lt;the value&gt; &amp; more' in section
    assert 'source: heat docs' in section
    assert 'not allowed' not in section


def test_allowance_without_its_text_shows_its_id():
    # An older report.json holds no allowances: only their ids.
    page = render(both(value='b'), [ALLOWANCE], allowances=[])
    section = page[page.index('id="differences"'):]
    assert 'value-may-differ' in section
    assert 'documented' not in section


def test_incomplete_pair():
    cases = [case(), case(path='convergence', outcome='failed',
                          message='boom\nmore')]
    cases[1]['observation'] = None
    page = render(cases)
    check(page)
    assert 'data-parity="incomplete"' in page
    assert 'no observation on convergence' in page
    assert 'data-outcomes="failed passed"' in page
    anchor = htmlreport._anchor('case', cases[1]['id'])
    assert 'href="#%s"' % anchor in page and 'title="boom"' in page


def test_flag_mismatch_in_a_nested_stack():
    page = render(both(convergence=False))
    check(page)
    assert 'flag mismatch in test_lifecycle[simple-create-convergence]' in \
        page
    flags = page[page.index('id="flags"'):page.index('id="timings"')]
    assert '<details open>' in flags and 'MISMATCH' in flags
    bad = '<span class="bad"><b>group</b> convergence=False expected=True'
    assert bad in flags
    # The nested stack is listed inside its parent's item.
    root = flags.index('<b>&lt;root&gt;</b> convergence=True')
    assert root < flags.index(bad) < flags.index('</li></ul></li></ul>',
                                                 root)


def test_equal_flags_are_collapsed():
    flags = render(both())
    flags = flags[flags.index('id="flags"'):]
    assert '<details>' in flags and '<details open>' not in flags
    assert 'simple: 4 stack checks' in flags


def test_stack_tree_orphans_are_roots():
    tree = htmlreport.stack_tree([{'id': 'b', 'parent': 'gone',
                                   'name': 'b'}])
    assert tree.startswith('<ul class="tree"><li>')


def test_noise_and_flaky_differences():
    cases = both(value='b')
    built = report.build(cases, DESCRIPTION, PATHS)
    built['parity'][0]['differences'][0]['flaky'] = True
    built['noise'] = [{'template': 'simple', 'scenario': 'lifecycle/grow',
                       'path': 'legacy', 'location': "events['<stack>']"}]
    page = htmlreport.render(built)
    checker = check(page)
    assert {'noise', 'noise-table', 'flaky-table'} <= checker.ids
    assert 'events[&#x27;&lt;stack&gt;&#x27;]' in page
    assert '<span class="flaky"' in page


def test_no_noise_section_without_noise():
    assert 'id="noise"' not in render(both(value='b'))


def test_everything_from_the_report_is_escaped():
    evil = '<img src=x onerror=alert(1)>"\'&'
    cases = both(template=evil, value=evil)
    cases[1]['message'] = evil
    cases[1]['outcome'] = 'failed'
    page = render(cases, interrupted=evil, reasons=[evil],
                  heat_version=evil)
    check(page)
    assert '<img' not in page
    escaped = '&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;'
    assert page.count(escaped) > 5


def test_timings_ratio_and_bars():
    page = render(both())
    timings = page[page.index('id="timings"'):]
    assert '<td class="num">2.00</td>' in timings
    assert '<td class="num">1.50</td>' in timings
    assert '<td class="num">1.67</td>' in timings  # 2.5 / 1.5 heat
    assert 'convergence/legacy: 1.50' in timings   # 3.0 / 2.0 in total
    assert timings.count('<svg') == 1 and timings.count('<rect') == 4


def test_ratio_undefined():
    assert htmlreport.ratio(1.0, 0) == '' == htmlreport.ratio(None, 2.0)
    assert htmlreport.ratio(3.0, 2.0) == '1.50'


def test_log_links(tmp_path):
    inside = os.path.join(str(tmp_path), 'logs', 'legacy.log')
    assert htmlreport.log_href(inside, str(tmp_path)) == 'logs/legacy.log'
    assert htmlreport.log_href('/elsewhere/a b.log', str(tmp_path)) == \
        'file:///elsewhere/a%20b.log'
    # A report directory moved with its logs still links to them.
    os.makedirs(os.path.dirname(inside))
    open(inside, 'w').close()
    assert htmlreport.log_href('/old/run/logs/legacy.log',
                               str(tmp_path)) == 'logs/legacy.log'
    # A log the run wrote into its report directory's logs/ links there,
    # wherever the report directory is read from.
    assert htmlreport.log_href('/old/run/logs/gone.log', str(tmp_path)) \
        == htmlreport.log_href('/old/run/logs/gone.log') == 'logs/gone.log'
    assert htmlreport.log_href('relative/logs/a b.log') == 'logs/a%20b.log'
    assert htmlreport.log_href('/var/log/heat/engine.log') == \
        'file:///var/log/heat/engine.log'


def test_log_links_of_a_page_rendered_elsewhere(tmp_path):
    # The run wrote its logs under /srv/run; the page is written into
    # another directory, where those logs are not (yet): its links are
    # still relative, named by where they link, the run's path a title.
    page = render(both(), base_dir=str(tmp_path))
    links = {a['href']: (a['title'], text) for a, text in elements(
        page, 'a') if not a['href'].startswith('#')}
    assert links == {
        'logs/legacy.log': ('/srv/run/logs/legacy.log', 'logs/legacy.log'),
        'logs/convergence.log': ('/srv/run/logs/convergence.log',
                                 'logs/convergence.log')}
    assert 'file:' not in page


def test_single_path_report_has_no_parity_column():
    built = report.build([case()], DESCRIPTION, ['legacy'])
    page = htmlreport.render(built)
    check(page)
    assert '<th>parity</th>' not in page
    assert 'The default may change' not in page


def test_empty_report_renders():
    check(htmlreport.render({}))


def test_the_template_directory_section(tmp_path):
    for name, text in (('a.yaml', 'heat_template_version: 2018-08-31\n'
                        'resources:\n  p:\n    type: lib/<p>.yaml\n'),
                       ('a.env.yaml', 'parameters: {}\n'),
                       ('lib/<p>.yaml', 'heat_template_version: 2018-08-31\n'),
                       ('notes.txt', 'x')):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    built = report.build(both(), DESCRIPTION, PATHS)
    built['corpus'] = discovery.survey(str(tmp_path)).to_dict()
    page = htmlreport.render(built)
    check(page)
    assert ('<tr><td><code>a</code></td><td><code>a.yaml</code></td>'
            '<td>a.env.yaml</td></tr>') in page
    assert ('<tr><td><code>lib/&lt;p&gt;.yaml</code></td><td>a.yaml</td>'
            '</tr>') in page
    assert '<tr><td><code>notes.txt</code></td><td>not a template' in page
    assert 'id="corpus"' not in htmlreport.render(
        report.build(both(), DESCRIPTION, PATHS))


def test_report_write_puts_report_html_beside(tmp_path):
    built = report.build(both(), DESCRIPTION, PATHS)
    report.write(built, str(tmp_path))
    page = (tmp_path / htmlreport.REPORT_HTML).read_text()
    assert page.startswith('<!DOCTYPE html>')
    assert not os.path.exists(str(tmp_path / 'report.html.tmp'))


def test_report_command_rebuilds_report_html(tmp_path, capsys):
    path = report.write(report.build(both(), DESCRIPTION, PATHS),
                        str(tmp_path))
    os.remove(str(tmp_path / htmlreport.REPORT_HTML))
    assert cli.main(['report', path]) == 0
    html_path = str(tmp_path / htmlreport.REPORT_HTML)
    assert os.path.exists(html_path)
    assert capsys.readouterr().err == 'report.html: %s\n' % html_path


def test_cases_of_other_suites_and_paths():
    other = dict(case(step='create', path='flip-on'),
                 scenario='flip-on/create', id='test_flip[flip-on-x-create]')
    page = render(both() + [other])
    check(page)
    matrix = page[page.index('id="matrix"'):page.index('id="flags"')]
    assert '<th>flip-on</th>' in matrix
    assert '<td>flip-on/create</td>' in matrix
    assert matrix.index('<td>create</td>') < matrix.index(
        '<td>flip-on/create</td>')
    table = page[page.index('id="timings-table"'):]
    assert 'flip-on' not in table
    totals = page[page.index('id="timings"'):page.index('id="timings-table"')]
    assert 'Case time over 1 paired cases' in totals
    assert 'apart: 1 cases, flip-on 3.0 s' in totals


# -- flag lifecycle: references, known bugs, blockers ------------------------
BUG = {'id': 'nested-takes-option', 'title': 'A nested stack takes\n the '
       'option <not its root>', 'reason': 'create_stack uses the option',
       'source': 'heat/engine/service.py'}


def flip_case(value='a', known_bug=None, step='grow'):
    """A flip-on case compared with the parity suite's legacy case."""
    flip = dict(case(step=step, path='flip-on', value=value),
                scenario='flip-on/%s' % step,
                id='test_flip[flip-on-simple-%s]' % step,
                reference={'scenario': 'lifecycle/%s' % step,
                           'path': 'legacy', 'why': 'created on legacy'},
                parity='reference')
    if known_bug:
        flip['stacks'] = stacks('legacy', convergence=True)
        flip['stacks'][1]['known_bug'] = known_bug
    return flip


def render_with_bugs(cases, bugs=(BUG,)):
    built = report.build(cases, DESCRIPTION, PATHS, known_bugs=list(bugs))
    return built, htmlreport.render(built)


def test_unequal_reference_comparison_side_by_side():
    built, page = render_with_bugs(both(step='grow') +
                                   [flip_case(value='b')])
    checker = check(page)
    assert 'references' in checker.ids
    anchor = htmlreport._anchor('ref', 'simple', 'flip-on/grow')
    assert anchor in checker.ids
    section = page[page.index('id="references"'):]
    assert '<th>reference: lifecycle/grow on legacy</th>' in section
    assert '<th>flip-on/grow on flip-on</th>' in section
    assert 'reference lifecycle/grow on legacy: created on legacy' in \
        section
    assert '<mark>&quot;a&quot;</mark>' in section
    assert '<mark>&quot;b&quot;</mark>' in section
    # The matrix row of the flip case links to it, naming the reference.
    matrix = page[page.index('id="matrix"'):page.index('id="references"')]
    assert 'href="#%s"' % anchor in matrix
    assert 'vs lifecycle/grow on legacy' in matrix


def test_equal_reference_comparisons_are_not_listed():
    _, page = render_with_bugs(both(step='grow') + [flip_case()])
    assert 'id="references"' not in page
    matrix = page[page.index('id="matrix"'):]
    assert 'data-parity="equal"' in matrix


def test_references_not_compared_are_counted():
    _, page = render_with_bugs([flip_case()])
    section = page[page.index('id="references"'):]
    assert '1 not compared' in section
    assert 'lifecycle/grow on legacy did not run in this session' in section


def test_known_bug_blocks_the_default_and_is_shown():
    built, page = render_with_bugs(both(step='grow') +
                                   [flip_case(known_bug=BUG['id'])])
    checker = check(page)
    assert built['verdict'] == 'pass'
    assert 'The default may change: <b>no</b>' in page
    assert {'blockers', 'known-bugs', 'known-bugs-table'} <= checker.ids
    start = page.index('id="blockers"')
    blockers = page[start:page.index('</ul>', start)]
    assert 'known Heat bug nested-takes-option' in blockers
    bugs = page[page.index('id="known-bugs"'):page.index('id="flags"')]
    # The title on one line, escaped; reason, source, counts.
    assert 'A nested stack takes the option &lt;not its root&gt;' in bugs
    assert 'create_stack uses the option' in bugs
    assert 'heat/engine/service.py' in bugs
    assert '1 stacks in 1 cases' in bugs
    assert '<code>test_flip[flip-on-simple-grow]</code>' in bugs


def test_known_bug_flag_rows_are_marked_apart_from_mismatches():
    _, page = render_with_bugs(both(step='grow') +
                               [flip_case(known_bug=BUG['id'])])
    flags = page[page.index('id="flags"'):page.index('id="timings"')]
    assert 'MISMATCH' not in flags and '<details open>' not in flags
    assert '1 explained by a known bug' in flags
    known = ('<span class="known"><b>group</b> convergence=True '
             'expected=False</span> <span class="kb" '
             'title="nested-takes-option">known bug</span>')
    assert known in flags
    assert '<span class="bad"><b>group</b>' not in flags


def test_a_real_mismatch_beside_a_known_bug_still_opens_the_tree():
    cases = both(step='grow', convergence=False) + [
        flip_case(known_bug=BUG['id'])]
    _, page = render_with_bugs(cases)
    flags = page[page.index('id="flags"'):page.index('id="timings"')]
    assert '<details open>' in flags and 'MISMATCH' in flags
    assert '<span class="bad"><b>group</b> convergence=False' in flags
    assert '<span class="known"><b>group</b>' in flags


def test_unseen_known_bug_is_listed_as_not_seen():
    built, page = render_with_bugs(both() + evidence.records())
    assert built['may_change_default'] is True
    assert 'id="blockers"' not in page
    bugs = page[page.index('id="known-bugs"'):]
    assert 'not seen in this run' in bugs


# -- repeated runs ------------------------------------------------------------
def repeated(value_r2='a'):
    cases = []
    for repetition, value in ((1, 'a'), (2, value_r2)):
        for path in PATHS:
            one = case(path=path, value=value if path == 'legacy' else 'a')
            one['id'] = one['id'][:-1] + '-r%d]' % repetition
            one['repetition'] = repetition
            cases.append(one)
    return cases


def test_repeated_runs_have_rows_per_repetition_and_noise_values():
    built = report.build(repeated(value_r2='b'), DESCRIPTION, PATHS)
    page = htmlreport.render(built)
    checker = check(page)
    matrix = page[page.index('id="matrix"'):page.index('id="differences"')]
    assert '<td>create r1</td>' in matrix and '<td>create r2</td>' in matrix
    timings = page[page.index('id="timings"'):]
    assert '<td>create r2</td>' in timings
    assert {'noise-table', 'flaky-table'} <= checker.ids
    noise = page[page.index('id="noise-table"'):]
    assert '<code>outputs.value</code>' in noise
    assert 'r1: &quot;a&quot;' in noise and 'r2: &quot;b&quot;' in noise
    differences = page[page.index('id="differences"'):]
    assert 'in 2 of 4 comparisons' in differences
    assert '<span class="flaky"' in differences
    assert 'repeat: 2, noise: 1 locations' in page


def test_repeated_runs_without_noise():
    built = report.build(repeated(), DESCRIPTION, PATHS)
    page = htmlreport.render(built)
    check(page)
    assert built['noise'] == [] and built['verdict'] == 'pass'
    assert 'id="noise"' not in page
    assert 'repeat: 2, noise: 0 locations' in page


# -- what the page answers first; per template; grouped differences ----------
def headings(page):
    return [text for _, text in elements(page, 'h2')]


def test_the_page_answers_in_order():
    cases = both(value='b') + [case('other', outcome='failed',
                                    message='boom')]
    page = render(cases, coverage=[{'suite': 'lifecycle', 'path': 'legacy',
                                    'planned': 2, 'ran': 2,
                                    'ran_share': 1.0}])
    check(page)
    # The verdict, then what blocks the default, then the reasons.
    order = [page.index(mark) for mark in (
        'class="verdict v-fail"', 'id="blockers"', 'class="reasons"',
        'id="cells"', 'id="templates"', 'id="matrix"')]
    assert order == sorted(order)
    assert headings(page) == [
        'Templates', 'Matrix', 'Cases that did not pass', 'Differences',
        'Flag checks', 'Who ran', 'Timings']


def test_reasons_beyond_the_first_are_folded():
    reasons = ['reason %d' % n for n in range(htmlreport.REASONS_SHOWN + 2)]
    page = render(both(), reasons=reasons)
    check(page)
    shown, more = [text for attributes, text in elements(page, 'ul')
                   if attributes.get('class') == 'reasons']
    assert shown.split('<li>')[1:] == reasons[:-2]
    assert more.split('<li>')[1:] == reasons[-2:]
    folded = [text for _, text in elements(page, 'details')
              if text.startswith('<summary>2 more reasons')]
    assert len(folded) == 1
    assert 'more reasons' not in render(both(), reasons=reasons[:3])


def rows_of(page, table_id):
    """The cells' text of each row of a table, tags inside cells left
    out."""
    start = page.index('id="%s"' % table_id)
    table = page[start:page.index('</table>', start)]
    return [[re.sub('<[a-z0-9]+>', '', cell).replace('\xa0', ' ')
             for cell in re.split('<t[dh]>', text)[1:]]
            for _, text in elements(table, 'tr')]


def test_a_summary_row_per_template_and_a_cell_per_suite():
    cases = (both('a') + both('a', 'grow', value='b') + both('b') +
             [dict(flip_case(step='grow'), template='a')])
    page = render(cases)
    checker = check(page)
    # Outcomes on every path, then the parity: 'equal', or what is not.
    assert rows_of(page, 'templates') == [
        ['template', 'lifecycle', 'flip-on'],
        ['a', '4 passed; 1 unequal', '1 passed; equal'],
        ['b', '2 passed; equal', '']]
    assert 'id="templates"' in page.split('id="matrix"')[0]
    # The template links to its part of the matrix.
    assert '<a href="#tmpl-a">a</a>' in page
    assert {'tmpl-a', 'tmpl-b'} <= checker.ids


def test_summary_cells_per_suite_count_reference_comparisons():
    built = report.build(both('simple', 'grow') + [flip_case(value='b')],
                         DESCRIPTION, PATHS)
    page = htmlreport.render(built)
    check(page)
    assert rows_of(page, 'templates') == [
        ['template', 'lifecycle', 'flip-on'],
        ['simple', '2 passed; equal', '1 passed; 1 unequal']]
    cells = [attributes.get('class') for attributes, _ in elements(
        page.split('id="templates"')[1].split('</table>')[0], 'td')]
    assert cells == [None, 'passed', 'unequal']


def test_tally():
    cases = [{'outcome': o} for o in ('passed', 'skipped', 'odd')]
    assert htmlreport.tally(cases, []) == (
        '1 passed, 1 skipped, 1 odd', 'skipped')
    assert htmlreport.tally(cases[:1], [{'equal': True}]) == (
        '1 passed; equal', 'passed')
    assert htmlreport.tally(cases[:1], [{'allowed': True}, {}]) == (
        '1 passed; 1 allowed, 1 unequal', 'unequal')


def test_the_matrix_opens_per_template():
    cases = both('a') + both('a', 'grow', value='b') + both('b')
    page = render(cases)
    check(page)
    parts = {attributes['id']: (attributes, text) for attributes, text in
             elements(page, 'details') if attributes.get('id', '').startswith(
                 'tmpl-')}
    assert list(parts) == ['tmpl-a', 'tmpl-b']
    # What failed or differs opens; the rest stays folded.
    assert 'open' in parts['tmpl-a'][0] and 'open' not in parts['tmpl-b'][0]
    a_rows, b_rows = rows_of(page, 'tmpl-a'), rows_of(page, 'tmpl-b')
    assert parts['tmpl-a'][1].startswith('<summary><b>a')
    assert [row[0] for row in a_rows] == ['step', 'create', 'grow']
    assert [row[0] for row in b_rows] == ['step', 'create']
    assert b_rows[1] == ['create', 'passed', 'passed', 'equal']


def test_differences_are_grouped_by_allowance():
    cases = both('p1', value='b') + both('p2', value='b') + \
        both('p3', value='b') + both('p0')
    cases[5]['observation']['stack'] = 'CREATE_FAILED'
    cases[7]['observation'] = None
    built = report.build(cases, DESCRIPTION, PATHS, [ALLOWANCE])
    page = htmlreport.render(built)
    check(page)
    groups = [(attributes['id'], text) for attributes, text in elements(
        page, 'section') if attributes.get('class') == 'group']
    assert [name for name, _ in groups] == [
        'pairs-incomplete', 'pairs-not-allowed',
        'pairs-by-value-may-differ']

    def pairs(text):
        return [title.split(' / ')[0] for title in re.findall(
            '<h4>([^<]*)', text)]
    incomplete, unallowed, allowed = (text for _, text in groups)
    assert pairs(incomplete) == ['p0'] and pairs(unallowed) == ['p3']
    assert pairs(allowed) == ['p1', 'p2', 'p3']
    # The allowance's reason and source once, over its pairs.
    assert page.count('documented: &lt;the value&gt; &amp; more') == 1
    assert page.count('source: heat docs') == 1
    assert '3 differences in 3 pairs' in allowed
    assert '1 difference in 1 pair' in unallowed
    assert '<summary>the 1 pair<h4>' in unallowed
    # Each pair has one anchor, at its first block; a pair in two groups
    # links from each block to the other group.
    anchors = [attributes.get('id') for attributes, _ in elements(page,
                                                                  'h4')]
    assert anchors == [htmlreport._anchor('pair', 'p0', 'lifecycle/create'),
                       htmlreport._anchor('pair', 'p3', 'lifecycle/create'),
                       htmlreport._anchor('pair', 'p1', 'lifecycle/create'),
                       htmlreport._anchor('pair', 'p2', 'lifecycle/create'),
                       None]
    assert 'more of this pair: <a href="#pairs-by-value-may-differ">' in page
    assert 'more of this pair: <a href="#pairs-not-allowed">' in page
    # Allowed differences are folded, the others open.
    folded = [attributes for attributes, text in elements(page, 'details')
              if text.startswith('<summary>the ')]
    assert ['open' in attributes for attributes in folded] == [
        True, True, False]
