"""The plan of a run: every case it means to run, known before any runs.

A case is named by its key: the suite (``lifecycle``, ``flip``,
``migrate``, ``probe``, ``actions``, ``failures``, ``gabbi``...), the
template, the step, the path (or toggle cell) and the repetition. The
key gives the case id that both runners use (``test_lifecycle[...]``),
its record's file name (``records.py``), and its group in the report's
per-suite accounting.

Whoever collects the cases writes the plan (``plan.json`` in the report
directory) before the first case runs: the pytest controller without
workers, otherwise each pytest-xdist worker (they all collect the same
cases; the file is replaced atomically). The verdict then holds every
planned case to account: one without a record is named and fails the
run (``report.py``).
"""

import collections
import json
import os


#: The plan's file in the report directory.
PLAN_JSON = 'plan.json'

#: How pytest's reason for the placeholder of an empty parametrisation
#: begins (_pytest.mark.structures.get_empty_parameterset_mark).
EMPTY_PARAMETER_SET = 'got empty parameter set'

CaseKey = collections.namedtuple(
    'CaseKey', 'case_id suite template step path repetition')


def _name(value):
    """A parameter's name: templates, steps and gabbits carry one."""
    return getattr(value, 'name', value)


def nothing_to_run(item):
    """Whether a pytest item only stands for a parametrisation left empty
    (a suite to which ``--only`` gave no template): pytest collects one
    placeholder item, marked to skip, that is no case."""
    return any(str(mark.kwargs.get('reason', '')).startswith(
        EMPTY_PARAMETER_SET) for mark in item.iter_markers('skip'))


def suite_of(function_name):
    """The suite a test function belongs to: ``test_flip`` -> ``flip``."""
    name = function_name[len('test_'):] if \
        function_name.startswith('test_') else function_name
    return name


def key_of_item(item):
    """The CaseKey of a pytest item (its parameters name the case)."""
    params = getattr(item, 'callspec', None)
    params = dict(params.params) if params else {}
    path = params.get('path', params.get('toggle'))
    template = _name(params.get('template', params.get('gabbit')))
    return CaseKey(item.name, suite_of(item.originalname), template,
                   _name(params.get('step')), path,
                   params.get('repetition'))


def to_dict(key):
    return dict(key._asdict())


def from_dict(entry):
    return CaseKey(**{field: entry.get(field) for field in CaseKey._fields})


def write(report_dir, keys, run_id=None):
    """Write the plan (a list of CaseKey) atomically; returns its path."""
    path = os.path.join(report_dir, PLAN_JSON)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump({'run_id': run_id, 'cases': [to_dict(k) for k in keys]},
                  f, indent=1)
    os.replace(tmp, path)
    return path


def read(report_dir):
    """The plan written for this report directory: a list of CaseKey, or
    None when no plan was written (a run stopped before collecting)."""
    try:
        with open(os.path.join(report_dir, PLAN_JSON)) as f:
            return [from_dict(e) for e in json.load(f)['cases']]
    except FileNotFoundError:
        return None


def remove(report_dir):
    """Forget an earlier run's plan."""
    try:
        os.remove(os.path.join(report_dir, PLAN_JSON))
    except FileNotFoundError:
        pass


def group(key):
    """(suite, path) of a case: the report's accounting of who ran."""
    return key.suite, key.path or '-'
