"""Unit tests of the manual's place in the tree: README.rst stays the
front door (small, its CI commands those .ci/run runs, its links
resolving), every page is in the table of contents, and every pointer to
the manual from --help, code, tools and tox.ini names a page that
exists, none a README section. No Sphinx here: ``tox -e docs`` builds."""

import argparse
import glob
import os
import re

import pytest

from heat_functional import cli
from heat_functional import config
from heat_functional.tests.unit import tools

ROOT = tools.ROOT
MANUAL = os.path.join(ROOT, config.MANUAL_DIR)
PAGE = re.compile(r'doc/source/[\w.-]+\.rst')
#: Where the code and the tools point at documentation.
POINTING = ['heat_functional/**/*.py', 'tools/*.py', 'tools/*.yaml',
            'benchmarks/*.py', 'tox.ini', 'doc/*.yaml', 'doc/*.sample',
            'doc/set-convergence', 'doc/source/*.rst']


def _read(relative):
    with open(os.path.join(ROOT, relative)) as f:
        return f.read()


def _pointing_files():
    found = set()
    for pattern in POINTING:
        found.update(os.path.relpath(name, ROOT) for name in glob.glob(
            os.path.join(ROOT, pattern), recursive=True))
    found.discard(os.path.relpath(__file__, ROOT))
    return sorted(found)


def test_the_readme_is_under_10_kb():
    assert os.path.getsize(os.path.join(ROOT, 'README.rst')) < 10 * 1024


def test_the_readme_gives_exactly_the_commands_ci_runs():
    readme = _read('README.rst')
    marker = 'CI (``.ci/run``) runs exactly these commands, in this order::'
    assert marker in readme
    block = readme.split(marker, 1)[1].split('\n\n')[1]
    listed = [line.strip() for line in block.splitlines()]
    run = [line.strip() for line in _read('.ci/run').splitlines()
           if line.startswith('tox ')]
    assert listed[0] == 'pip install tox'
    assert listed[1:] == run
    assert 'tox -e docs' in run


def test_the_readme_links_resolve():
    links = re.findall(r'<([^>:]+)>`_', _read('README.rst'))
    assert links
    for link in links:
        assert os.path.isfile(os.path.join(ROOT, link)), link


def test_the_readme_links_every_page_of_the_manual():
    linked = set(re.findall(r'<doc/source/([\w-]+)\.rst>`_',
                            _read('README.rst')))
    pages = {os.path.basename(name)[:-len('.rst')] for name in
             glob.glob(os.path.join(MANUAL, '*.rst'))}
    assert pages - {'index'} <= linked


def test_every_page_is_in_the_table_of_contents():
    index = _read(os.path.join(config.MANUAL_DIR, 'index.rst'))
    toctree = index.split('.. toctree::', 1)[1]
    listed = set(re.findall(r'^   ([\w-]+)$', toctree, re.MULTILINE))
    pages = {os.path.basename(name)[:-len('.rst')] for name in
             glob.glob(os.path.join(MANUAL, '*.rst'))}
    assert listed == pages - {'index'}


def _help_texts(parser):
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                texts += _help_texts(sub)
    return texts


def test_every_help_text_points_at_a_page_that_exists():
    texts = _help_texts(cli.build_parser())
    assert len(texts) == 7  # the command and each of its six subcommands
    for text in texts:
        pages = PAGE.findall(' '.join(text.split()))
        assert pages, text
        for page in pages:
            assert os.path.isfile(os.path.join(ROOT, page)), page


@pytest.mark.parametrize('relative', _pointing_files())
def test_pointers_name_pages_that_exist_and_no_readme_section(relative):
    text = ' '.join(_read(relative).split())
    for page in PAGE.findall(text):
        assert os.path.isfile(os.path.join(ROOT, page)), (relative, page)
    assert not re.search(r"(?<![\w/])README\.rst(?!'s quick start)",
                         text), relative
    assert not re.search(r'doc/(deployment|tempest-plugin)\.rst',
                         text), relative
