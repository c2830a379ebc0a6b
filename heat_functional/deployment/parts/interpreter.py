"""Bugs of the Python interpreter that a cell must not let reach Heat.

A cell runs Heat's API and engine as threads of one process (Heat 27's
threading backend). Where the interpreter itself breaks under threads,
the failure is neither Heat's nor a difference between the paths, and it
costs the run a stack that never finishes. Each guard here names the
interpreter bug it avoids and the versions that have it; on the others
it does nothing.
"""

import ast
import sys
import threading

#: CPython gh-106905: the AST constructor kept its recursion depth in the
#: interpreter's shared state, so a garbage collection that let another
#: thread build an AST in between made ``ast.parse`` (and
#: ``ast.literal_eval``) raise "SystemError: AST constructor recursion
#: depth mismatch". Fixed in 3.11.8 and 3.12.2 (python/cpython#113476,
#: #113472). Heat's convergence engine calls ``ast.literal_eval`` on every
#: sync point's input data (heat/engine/sync_point.py); seen once in a
#: main-job run on 3.11.7, where the check_resource that raised it was
#: lost and its stack stayed SNAPSHOT_IN_PROGRESS until the harness's
#: 600 s timeout.
AST_DEPTH_RACE = ((3, 11), (3, 11, 8)), ((3, 12), (3, 12, 2))


def has_ast_depth_race(version=None):
    """Whether this interpreter (or `version`, a version_info tuple) has
    gh-106905."""
    version = tuple(version or sys.version_info[:3])
    return any(version[:2] == series and version < fixed
               for series, fixed in AST_DEPTH_RACE)


def serialise_ast_parse(version=None):
    """On an interpreter with gh-106905, let one thread at a time build
    an AST: ``ast.parse`` (which ``ast.literal_eval`` calls) under one
    lock. Returns whether it did."""
    if not has_ast_depth_race(version) or \
            getattr(ast.parse, 'serialised', False):
        return False
    parse, lock = ast.parse, threading.Lock()

    def serialised_parse(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)
    serialised_parse.serialised = True
    serialised_parse.__doc__ = parse.__doc__
    ast.parse = serialised_parse
    return True
