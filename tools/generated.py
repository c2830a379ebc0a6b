"""The manual's generated files, and the one writer of them.

Some tables of the manual are computed, not written: the API routes the
gabbits request (``tools/api_coverage.py``) and the resource types the
corpus exercises (``tools/type_coverage.py``). Each tool writes its table
to a file of ``doc/source/generated/``, which a page of the manual
includes (``.. include::``); nothing else writes there. This module names
those files, heads each with the tool that wrote it, writes them, and
tells a tool's ``--check`` whether a file is current.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRECTORY = os.path.join(ROOT, 'doc', 'source', 'generated')


def path(name):
    """The generated file called name (without its extension)."""
    return os.path.join(DIRECTORY, name + '.rst')


def text(block, tool):
    """The whole file for block (reStructuredText), headed by a comment
    naming tool, the script that writes it."""
    return ('.. Written by %s; do not edit it by hand: run the tool.\n\n'
            '%s\n' % (tool, block.strip('\n')))


def read(filename):
    """The file's text, or None when there is no such file."""
    try:
        with open(filename) as f:
            return f.read()
    except FileNotFoundError:
        return None


def write(filename, wanted):
    """Write wanted to filename at once (a reader sees the old file or
    the new one, never part of it), making its folder."""
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    partial = filename + '.partial'
    try:
        with open(partial, 'w') as f:
            f.write(wanted)
        os.replace(partial, filename)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def update(filename, wanted, check=False):
    """Bring filename to wanted; with check, only compare.

    Returns True when the file differed from wanted (missing included):
    without check it has then been rewritten, with check it is stale.
    """
    if read(filename) == wanted:
        return False
    if not check:
        write(filename, wanted)
    return True
