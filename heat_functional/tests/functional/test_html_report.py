"""report.html of a real run, rendered by a real browser.

Runs ``heat-functional run`` (the lifecycles only) on two templates: a
known divergence (``divergences/nested_output_feeds_sibling``: unallowed
differences) and ``templates/res_fail_update_rollback`` (differences two
allowances cover), so that the page has side-by-side differences of both
kinds to show. Then headless Chromium (Debian's ``chromium``;
``.ci/run`` installs it) renders ``report.html`` from disk: its DOM, after
the page's own script ran, must hold the verdict, the matrix and the
differences; a screenshot goes to the report directory as ``report.png``.
Chromium runs with a fresh profile and HOME in a temporary directory, and
no process of it may outlive the test.
"""

import os
import re
import shutil
import signal
import struct
import subprocess
import time

import pytest

from heat_functional.tests.functional import helpers

ROOT = helpers.ROOT
TEMPLATES = [('divergences', 'nested_output_feeds_sibling'),
             ('templates', 'res_fail_update_rollback')]
#: Files the templates use, relative to their directory.
FILES = [('divergences', 'files/pair.yaml')]
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
WINDOW = (1400, 2000)
CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-breakpad',
    '--disable-crash-reporter']


@pytest.fixture(scope='module')
def report_dir(tmp_path_factory):
    """The report directory of a run on the two templates."""
    templates = tmp_path_factory.mktemp('templates')
    for directory, name in TEMPLATES:
        for suffix in ('.yaml', '.lifecycle.yaml'):
            shutil.copy(os.path.join(ROOT, directory, name + suffix),
                        str(templates))
    for directory, name in FILES:
        (templates / os.path.dirname(name)).mkdir(exist_ok=True)
        shutil.copy(os.path.join(ROOT, directory, name),
                    str(templates / name))
    report_dir = tmp_path_factory.mktemp('run') / 'report'
    # The parity lifecycles are what the page is about; no toggle cells.
    env = helpers.cli_env(HEAT_FUNCTIONAL_STACK_TIMEOUT=120,
                          HEAT_FUNCTIONAL_TOGGLES=0)
    result = subprocess.run(
        helpers.cli('run', '--templates', str(templates), '--db', 'sqlite',
                    '-n', '2', '-k', 'test_lifecycle', '--report-dir',
                    str(report_dir)),
        env=env, capture_output=True, text=True, timeout=900)
    assert (report_dir / 'report.html').exists(), \
        result.stdout[-3000:] + result.stderr
    return report_dir


def _ours(pid, marker):
    """Whether a process's command line or environment names marker."""
    for name in ('cmdline', 'environ'):
        try:
            with open('/proc/%s/%s' % (pid, name), 'rb') as f:
                if marker.encode() in f.read():
                    return True
        except OSError:
            pass
    return False


def survivors(marker):
    return [int(pid) for pid in os.listdir('/proc')
            if pid.isdigit() and int(pid) != os.getpid() and
            _ours(pid, marker)]


def chromium(page, home, *arguments, fragment=''):
    """Run Chromium on a page; return its stdout. Every process it
    started (they carry home in their command line or environment) is
    killed afterwards, and must be gone."""
    marker = str(home)
    env = dict(os.environ, HOME=marker)
    command = [CHROMIUM] + CHROMIUM_FLAGS + [
        '--user-data-dir=%s' % (home / 'profile')] + list(arguments) + [
        'file://' + str(page) + fragment]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        out, _ = process.communicate(timeout=120)
    finally:
        _kill_all(process, marker)
    assert process.returncode == 0
    return out.decode('utf-8')


def _kill_all(process, marker):
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass
        for pid in survivors(marker):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
        process.wait()
        deadline = time.monotonic() + 5
        while survivors(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert survivors(marker) == [], 'chromium processes left behind'


def png_size(path):
    with open(path, 'rb') as f:
        header = f.read(24)
    assert header[:8] == b'\x89PNG\r\n\x1a\n'
    return struct.unpack('>II', header[16:24])


@pytest.fixture
def home(tmp_path):
    if CHROMIUM is None:
        pytest.skip('chromium is not installed (.ci/run installs it)')
    return tmp_path / 'chromium'


def test_report_html_in_a_browser(report_dir, home):
    page = report_dir / 'report.html'
    dom = chromium(page, home, '--dump-dom')

    # The verdict: the run diverges, so it fails, and says why.
    assert '<span class="verdict v-fail">FAIL</span>' in dom
    assert 'parity of nested_output_feeds_sibling/lifecycle/rename' in dom
    # The log links are relative to the report directory.
    assert 'href="logs/legacy.log"' in dom
    # A summary row per template comes before the matrix.
    assert dom.index('id="templates"') < dom.index('id="matrix"')
    assert '<a href="#tmpl-res_fail_update_rollback">' in dom
    # The matrix: a row per template and step; the page's script ran and
    # counted the rows it shows (all of them: every box starts checked).
    rows = dom.count('<tr data-outcomes=')
    assert rows >= 7
    assert '<span id="shown">%d</span> rows shown' % rows in dom
    assert 'data-parity="unequal"' in dom
    # The difference side by side, escaped, with the allowance that
    # covers the other one and its reason.
    differences = dom[dom.index('id="differences"'):]
    assert '<code>outputs.right</code>' in differences
    assert '<mark>' in differences
    assert 'not allowed' in differences
    assert 'allowed by <b class="allowed">replaced-resource-deleted-in-' \
        'backup-stack</b>' in differences
    assert 'backup stack' in differences
    assert "<code>events['&lt;stack&gt;']</code>" in differences
    assert 'allowed by <b class="allowed">rolled-back-update-writes-no-' \
        'failed-event-on-legacy</b>' in differences
    # Each allowance once, with its reason, over the pairs it covers.
    assert differences.count('<h3>allowed by <b class="allowed">replaced-'
                             'resource-deleted-in-backup-stack</b>') == 1
    assert dom.count('When an update replaces a resource, the legacy '
                     'engine moves') == 1
    # Flag checks with a nested stack, and timings.
    assert '<b>left</b> convergence=True expected=True' in dom
    assert dom.count('<svg') >= rows

    # The filter, set from the address: only the unequal pair's row, in
    # its template's part of the matrix; the other template's is hidden.
    dom = chromium(page, home, '--dump-dom', fragment='#show=p-unequal')
    assert '<span id="shown">1</span> rows shown' in dom
    assert dom.count('data-parity="unequal">') == 1
    assert len(re.findall('<tr [^>]*hidden=""', dom)) == rows - 1
    assert re.search('<details id="tmpl-res_fail_update_rollback"[^>]* '
                     'hidden="">', dom)
    assert '<details id="tmpl-nested_output_feeds_sibling" open="">' in dom

    screenshot = report_dir / 'report.png'
    chromium(page, home, '--screenshot=%s' % screenshot,
             '--window-size=%d,%d' % WINDOW)
    assert png_size(str(screenshot)) == WINDOW
    assert os.path.getsize(str(screenshot)) > 20000
