"""Unit tests of heat_functional.records: unique file names, atomic
writes, loading back."""

import os

from heat_functional import records


def test_ids_that_fold_alike_get_different_files():
    names = {records.file_name(i) for i in (
        'test_lifecycle[a b-create-legacy]',
        'test_lifecycle[a_b-create-legacy]',
        'test_lifecycle[a/b-create-legacy]')}
    assert len(names) == 3
    assert all(n.startswith('test_lifecycle_a_b-create-legacy_.')
               for n in names)


def test_a_file_name_is_stable_and_safe():
    name = records.file_name('test_gabbi[stacks.yaml/x y-legacy]')
    assert name == records.file_name('test_gabbi[stacks.yaml/x y-legacy]')
    assert name.endswith('.json') and '/' not in name and ' ' not in name


def test_write_then_load(tmp_path):
    records.write(str(tmp_path), {'id': 'b', 'outcome': 'passed'})
    records.write(str(tmp_path), {'id': 'a', 'outcome': 'failed'})
    records.write(str(tmp_path), {'id': 'a', 'outcome': 'passed'})
    loaded = records.load(str(tmp_path))
    assert sorted((r['id'], r['outcome']) for r in loaded) == [
        ('a', 'passed'), ('b', 'passed')]
    assert not [n for n in os.listdir(tmp_path / 'cases')
                if n.endswith('.tmp')]
    records.clear(str(tmp_path))
    assert records.load(str(tmp_path)) == []
