"""The plan of a run: every case it means to run, known before any runs.

A case is named by its key: the suite (``lifecycle``, ``flip``,
``migrate``, ``probe``, ``actions``, ``failures``, ``gabbi``...), the
template, the step, the path (or toggle cell) and the repetition. This
module alone spells what a key gives, for both runners (the pytest
plugin and the tempest plugin):

- the case id (``test_lifecycle[resource_group-grow-legacy]``,
  ``make``), which also names the case's record (``records.py``), and
  parsed back: its suite (``suite_of_case_id``), and the id inside a
  pytest-xdist node id (``case_id_of_nodeid``);
- its pytest-xdist group (``xdist_group``): the cases that must run on
  one worker, in order;
- its scenario string, ``suite/step`` (``scenario``), and the scenario
  split back into its head and its step (``split_scenario``,
  ``step_of``);
- its group in the report's per-suite accounting (``group``).

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

#: What separates a scenario's head (its suite, or a toggle cell) from
#: its step: ``lifecycle/grow``, ``flip-on/create``.
SCENARIO_SEPARATOR = '/'

#: The fields of a key that its case id names, in order, per suite.
ID_FIELDS = {
    'lifecycle': ('template', 'step', 'path'),
    'flip': ('path', 'template', 'step'),
    'migrate': ('template', 'step'),
    'probe': ('template', 'path'),
    'actions': ('template', 'step', 'path'),
    'failures': ('template', 'step', 'path'),
}

#: The fields of a key that its pytest-xdist group names, after the
#: group's prefix, per suite; a suite not named here has no group.
GROUP_FIELDS = {
    'lifecycle': ('', ('template', 'path')),
    'flip': ('flip', ('path',)),
    'migrate': ('migrate', ('template',)),
    'actions': ('actions', ('template', 'path')),
    'failures': ('failures', ('template', 'sequence', 'path')),
}


def scenario(head, step=None):
    """A case's scenario: ``head/step``, or the head alone."""
    if step is None or step == '':
        return head
    return '%s%s%s' % (head, SCENARIO_SEPARATOR, step)


def split_scenario(text):
    """(head, step) of a scenario; the step is '' when it has none (a
    failures step keeps its own ``sequence/step``)."""
    head, _, step = text.partition(SCENARIO_SEPARATOR)
    return head, step


def step_of(text):
    """The last name of a scenario: the step of ``lifecycle/grow``, of
    ``failures/rollback/create`` (``create``), or the scenario alone."""
    return text.split(SCENARIO_SEPARATOR)[-1]


def _id_part(key, field):
    """A field's text in a case id or group (a failures step,
    ``sequence/step``, is spelled ``sequence-step``)."""
    if field == 'sequence':
        return split_scenario(key.step)[0]
    return str(getattr(key, field)).replace(SCENARIO_SEPARATOR, '-')


def param_id(key, numbered=False):
    """The part of a case id between the brackets (pytest's param id):
    ``resource_group-grow-legacy``, with ``-r2`` when `numbered`."""
    text = '-'.join(_id_part(key, field) for field in ID_FIELDS[key.suite])
    if numbered and key.repetition:
        text += '-r%d' % key.repetition
    return text


def make(suite, template=None, step=None, path=None, repetition=None,
         numbered=False):
    """The CaseKey of a case of a parametrised suite, with its id; the
    id names the repetition (``-r2``) only when `numbered` (``--repeat``
    above 1)."""
    key = CaseKey(None, suite, template, step, path, repetition)
    return key._replace(case_id='test_%s[%s]' % (
        suite, param_id(key, numbered)))


def xdist_group(key, numbered=False):
    """The pytest-xdist group of a case (its cases run on one worker, in
    order), or None for a suite whose cases may run anywhere."""
    if key.suite not in GROUP_FIELDS:
        return None
    prefix, fields = GROUP_FIELDS[key.suite]
    parts = ([prefix] if prefix else []) + [
        _id_part(key, field) for field in fields]
    if numbered and key.repetition:
        parts.append('r%d' % key.repetition)
    return '.'.join(parts)


def suite_of_case_id(case_id):
    """The suite of a case id: ``test_flip[...]`` -> ``flip``."""
    return suite_of(case_id.partition('[')[0])


def case_id_of_nodeid(nodeid):
    """The case id of a pytest node id; pytest-xdist's loadgroup adds the
    group (``test_x[a-b]@a.legacy``) to the ids it reports."""
    name = nodeid.split('::')[-1]
    head, at, _ = name.rpartition('@')
    return head if at and head.endswith(']') else name


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


def extend(report_dir, keys, run_id=None):
    """Add keys to the plan written for this report directory (the
    noise pass's cases, beside the run's); a key planned already is not
    added twice (every pytest-xdist worker extends the plan alike)."""
    planned = read(report_dir) or []
    known = {key.case_id for key in planned}
    return write(report_dir, planned + [k for k in keys
                                        if k.case_id not in known], run_id)


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
