"""The guards against interpreter bugs in a cell (parts/interpreter.py)."""

import ast
import threading

import pytest

from heat_functional.deployment.parts import interpreter


@pytest.mark.parametrize('version, has_it', [
    ((3, 11, 7), True), ((3, 11, 0), True), ((3, 11, 8), False),
    ((3, 12, 1), True), ((3, 12, 2), False), ((3, 13, 0), False),
    ((3, 10, 14), False),
])
def test_which_interpreters_have_the_ast_depth_race(version, has_it):
    assert interpreter.has_ast_depth_race(version) is has_it


def test_ast_parse_is_serialised_where_the_race_exists(monkeypatch):
    monkeypatch.setattr(ast, 'parse', ast.parse)  # restored afterwards
    assert interpreter.serialise_ast_parse((3, 13, 0)) is False
    assert not getattr(ast.parse, 'serialised', False)
    assert interpreter.serialise_ast_parse((3, 11, 7)) is True
    assert ast.parse.serialised
    # Once is enough: a second call does not wrap the wrapper.
    assert interpreter.serialise_ast_parse((3, 11, 7)) is False
    # What Heat's sync points ask of it still works, from many threads.
    found = []
    threads = [threading.Thread(target=lambda: found.append(
        ast.literal_eval("('resource', 7, True)"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [('resource', 7, True)] * 8
