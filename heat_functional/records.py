"""Case records: one JSON file per case, written atomically, loaded back.

Every case, whichever runner ran it (the pytest plugin, the tempest
plugin), ends as ``cases/<file name>.json`` in its run's directory. The
file name is the case id made safe for a file system, followed by a
digest of the exact id, so that two ids that fold to the same safe text
(``a b`` and ``a_b``) never share a file. A record is written to a
temporary file and renamed, so a reader never sees half of one.
"""

import glob
import hashlib
import json
import os
import re

from heat_functional import config


def file_name(case_id):
    """The record file name of a case id: unique per id."""
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', case_id)[:150]
    digest = hashlib.sha256(case_id.encode('utf-8')).hexdigest()[:12]
    return '%s.%s.json' % (safe, digest)


def cases_dir(directory):
    return os.path.join(directory, config.CASES_DIR)


def write(directory, record):
    """Write a case's record into ``<directory>/cases``; returns its path."""
    cases = cases_dir(directory)
    os.makedirs(cases, exist_ok=True)
    path = os.path.join(cases, file_name(record['id']))
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=1, default=str)
    os.replace(tmp, path)
    return path


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
