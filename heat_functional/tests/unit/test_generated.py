"""Unit tests of tools/generated.py, the one writer of the manual's
generated files: their names, header, writing and the comparison that
``--check`` relies on; and that the manual includes each of them."""

import glob
import os
import re

from heat_functional.tests.unit import tools

generated = tools.load('generated')

DOC = os.path.join(tools.ROOT, 'doc', 'source')


def test_a_generated_file_lives_in_the_manual():
    assert generated.path('api-coverage') == os.path.join(
        DOC, 'generated', 'api-coverage.rst')


def test_the_text_names_its_tool_and_ends_with_one_newline():
    text = generated.text('\n.. list-table:: x\n\n', 'tools/x.py')
    assert text == ('.. Written by tools/x.py; do not edit it by hand: '
                    'run the tool.\n\n.. list-table:: x\n')


def test_update_writes_a_missing_file_and_its_folder(tmp_path):
    target = tmp_path / 'generated' / 't.rst'
    assert generated.update(str(target), 'table\n') is True
    assert target.read_text() == 'table\n'
    assert generated.update(str(target), 'table\n') is False
    assert [p.name for p in target.parent.iterdir()] == ['t.rst']


def test_check_compares_and_changes_nothing(tmp_path):
    target = tmp_path / 't.rst'
    assert generated.update(str(target), 'new\n', check=True) is True
    assert not target.exists()
    target.write_text('old\n')
    assert generated.update(str(target), 'new\n', check=True) is True
    assert target.read_text() == 'old\n'
    assert generated.update(str(target), 'old\n', check=True) is False


def test_update_replaces_a_changed_file(tmp_path):
    target = tmp_path / 't.rst'
    target.write_text('old\n')
    assert generated.update(str(target), 'new\n') is True
    assert target.read_text() == 'new\n'


def test_read_of_a_missing_file_is_none(tmp_path):
    assert generated.read(str(tmp_path / 'nothing.rst')) is None


def _included():
    """The files the manual's pages include, relative to doc/source."""
    included = set()
    for page in glob.glob(os.path.join(DOC, '*.rst')):
        with open(page) as f:
            included.update(re.findall(r'^\.\. include:: (\S+)$', f.read(),
                                       re.MULTILINE))
    return included


def test_the_manual_includes_every_generated_file_and_each_exists():
    shipped = {os.path.relpath(name, DOC) for name in
               glob.glob(os.path.join(DOC, 'generated', '*.rst'))}
    assert shipped == {'generated/api-coverage.rst',
                       'generated/type-coverage.rst'}
    assert shipped <= _included()
    for name in shipped:
        with open(os.path.join(DOC, name)) as f:
            assert f.read().startswith('.. Written by tools/')
