"""What a run leaves for its report: case records and why it stopped.

Case records: one JSON file per case, written atomically, loaded back.

Every case, whichever runner ran it (the pytest plugin, the tempest
plugin), ends as ``cases/<file name>.json`` in its run's directory. The
file name is the case id made safe for a file system, followed by a
digest of the exact id, so that two ids that fold to the same safe text
(``a b`` and ``a_b``) never share a file. A record is written to a
temporary file and renamed, so a reader never sees half of one.

Why the run stopped early, when the process that owns the run knew
first (a signal ``heat-functional`` received, a part of the
devstack-like deployment that died): one line of text in
``interrupted.txt`` (config.INTERRUPTED_TXT), which the report gives as
its ``interrupted`` reason (``note_interruption``, ``interruption``).
"""

import glob
import hashlib
import json
import os
import re

from heat_functional import config

#: The outcomes a case record may have.
OUTCOMES = ('passed', 'failed', 'error', 'skipped')


def file_name(case_id):
    """The record file name of a case id: unique per id."""
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', case_id)[:150]
    digest = hashlib.sha256(case_id.encode('utf-8')).hexdigest()[:12]
    return '%s.%s.json' % (safe, digest)


def cases_dir(directory):
    return os.path.join(directory, config.CASES_DIR)


def write(directory, record):
    """Write a case's record into ``<directory>/cases``; returns its path.
    Atomic: a reader (the tempest verdict) may be reading the directory.
    """
    cases = cases_dir(directory)
    os.makedirs(cases, exist_ok=True)
    path = os.path.join(cases, file_name(record['id']))
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=1, default=str)
    os.replace(tmp, path)
    return path


def write_case(directory, recorded, outcome, message, duration, suite,
               skip_kind=None):
    """Write the record of a case.Case that ended with `outcome`, as both
    runners do; returns the record."""
    record = recorded.record(outcome, message, duration)
    record['suite'] = suite
    record['skip_kind'] = skip_kind
    write(directory, record)
    return record


def load(directory):
    """Every record in ``<directory>/cases``, in file name order."""
    loaded = []
    for path in sorted(glob.glob(os.path.join(cases_dir(directory),
                                              '*.json'))):
        with open(path) as f:
            loaded.append(json.load(f))
    return loaded


def recorded_ids(directory):
    """The case ids that have a record."""
    return {record['id'] for record in load(directory)}


def clear(directory):
    """Remove an earlier run's records."""
    cases = cases_dir(directory)
    os.makedirs(cases, exist_ok=True)
    for stale in os.listdir(cases):
        os.remove(os.path.join(cases, stale))


def _interruption_file(directory):
    return os.path.join(directory, config.INTERRUPTED_TXT)


def interruption(directory):
    """Why the run in `directory` stopped, as noted there, or None."""
    try:
        with open(_interruption_file(directory)) as f:
            return f.read().strip() or None
    except OSError:
        return None


def note_interruption(directory, why, replace=True):
    """Note why the run stops; with replace=False, only where nothing is
    noted yet (a dead part of the deployment said so first)."""
    path = _interruption_file(directory)
    if not replace and os.path.exists(path):
        return
    with open(path, 'w') as f:
        f.write(why)


def forget_interruption(directory):
    """Remove an earlier run's note."""
    path = _interruption_file(directory)
    if os.path.exists(path):
        os.remove(path)
