"""What only a working stack action leaves behind: the checks of the
actions suite (``actions.py``), as pure functions over what the harness
observed.

A Heat that answers an action with the right final status but does
nothing for it passes a check of the status alone. Each function here
takes what was observed before and after an action (observations, States,
Heat's answers) and returns the problems, one message each, so that such
a Heat fails; doc/source/suites.rst ("Stack actions") lists, per action,
what a do-nothing Heat would pass without them and which check catches
it.

Resources are named by their logical path (``group/0/server``); a
*generic* path writes the made-up names of scaling-group members (raw,
or ``#<n>`` as observations name them) as ``#``, so that two stacks'
paths line up.
"""

import json
import re

from heat_functional import observation

#: Names Heat makes up for scaling-group members (random, per stack).
GENERATED_NAME = re.compile(r'[a-z0-9]{12}')
#: A member's name in an observation (observation.canonical_members).
CANONICAL_MEMBER = re.compile(r'#\d+')
#: Parameters Heat gives every stack (its id, name, project, region).
PSEUDO_PARAMETER = re.compile(r'(OS|AWS)::')
STACK_KEY = observation.STACK_KEY
ABSENT = '<absent>'

#: Restore verdicts (see restored): what a working restore leaves ...
RESTORED = ('as at snapshot', 'replaced again', 'updated back', 'back',
            'removed')
#: ... and what only a restore that did not restore leaves.
NOT_RESTORED = ('kept the change', 'missing', 'left', 'member count '
                'differs', 'replaced by the restore', 'made by the restore')


class State(object):
    """A stack at one moment: outputs (as observations hold them),
    parameters (without Heat's pseudo parameters) and each resource's
    physical id by raw logical path."""

    def __init__(self, outputs, parameters, physical_ids):
        self.outputs = dict(outputs or {})
        self.parameters = {key: value
                           for key, value in (parameters or {}).items()
                           if not PSEUDO_PARAMETER.match(key)}
        self.physical_ids = dict(physical_ids or {})


def state_of(observed, stack):
    """The State of a stack from its observation.Observed and the stack
    as the API shows it."""
    return State(observed.observation['outputs'],
                 getattr(stack, 'parameters', None), observed.physical_ids)


def generic(path):
    """A logical path with members' made-up names written ``#``."""
    return '/'.join('#' if GENERATED_NAME.fullmatch(part) or
                    CANONICAL_MEMBER.fullmatch(part) else part
                    for part in path.split('/'))


def _ids_by_generic(physical_ids):
    found = {}
    for path, physical_id in physical_ids.items():
        found.setdefault(generic(path), []).append(physical_id or '')
    return {path: sorted(ids) for path, ids in found.items()}


def _differing(before, after):
    return sorted(key for key in set(before) | set(after)
                  if before.get(key, ABSENT) != after.get(key, ABSENT))


# -- suspend, resume, check, snapshot, adopt -------------------------------
def everywhere_problems(action, observed, where, nested=True):
    """Problems unless the step's observation shows `action` done on the
    stack (its own events exactly ACTION_IN_PROGRESS, ACTION_COMPLETE)
    and on every resource (status ACTION_COMPLETE, its last event of the
    step too), nested stacks and their resources included unless
    nested=False (a snapshot acts on the top level only)."""
    done = action + '_COMPLETE'
    events = observed['events']
    problems = []
    own = events.get(STACK_KEY, [])
    if own != [action + '_IN_PROGRESS', done]:
        problems.append('%s: the stack\'s own events of the step are %s, '
                        'not %s_IN_PROGRESS, %s' % (where, own or 'none',
                                                    action, done))
    for path, resource in sorted(observed['resources'].items()):
        if '/' in path and not nested:
            continue
        last = events.get(path, [])[-1:]
        if resource['status'] != done or last != [done]:
            problems.append('%s: %s is %s, its last event of the step %s; '
                            '%s reaches every resource' % (
                                where, path, resource['status'],
                                last[0] if last else 'none', action))
    for path in observed['nested'] if nested else ():
        last = events.get(path + '/' + STACK_KEY, [])[-1:]
        if last != [done]:
            problems.append('%s: the nested stack %s has no %s event of '
                            'its own' % (where, path, done))
    return problems


# -- snapshot --------------------------------------------------------------
def snapshot_problems(data, template, physical_ids, where):
    """Problems unless a snapshot's data holds the stack's template and
    every top-level resource with its physical id."""
    problems = []
    if _canonical(data.get('template')) != _canonical(template):
        problems.append('%s: the snapshot\'s template is not the stack\'s'
                        % where)
    saved = data.get('resources') or {}
    for name, physical_id in sorted(physical_ids.items()):
        if '/' in name:
            continue
        if name not in saved:
            problems.append('%s: the snapshot does not hold %s' % (where,
                                                                   name))
        elif saved_id(saved[name]) != (physical_id or None):
            problems.append('%s: the snapshot holds %s as %s, the stack as '
                            '%s' % (where, name, saved_id(saved[name]),
                                    physical_id))
    return problems


def saved_id(entry):
    """The physical id a resource's entry in snapshot or abandon data
    holds: its resource_id, or, where the entry is a nested stack's data
    (the legacy engine's StackResource.prepare_abandon returns the nested
    stack's own), that stack's id."""
    if 'resource_id' in entry:
        return entry['resource_id'] or None
    return entry.get('id') if 'resources' in entry else None


def _canonical(value):
    return json.dumps(value, sort_keys=True)


# -- the change between snapshot and restore, and the restore --------------
def changed(before, after):
    """What differs from one State to the next: output keys, parameter
    names, and per resource (generic path) ``kept``, ``replaced``,
    ``added`` or ``removed``, as sorted pairs."""
    old, new = _ids_by_generic(before.physical_ids), \
        _ids_by_generic(after.physical_ids)
    resources = []
    for path in sorted(set(old) | set(new)):
        if path not in new:
            verdict = 'removed'
        elif path not in old:
            verdict = 'added'
        else:
            verdict = 'kept' if old[path] == new[path] else 'replaced'
        resources.append([path, verdict])
    return {'outputs': _differing(before.outputs, after.outputs),
            'parameters': _differing(before.parameters, after.parameters),
            'resources': resources}


def change_problems(after, parameter, marker, value, where):
    """Problems unless the change is visible: the parameter of that
    value, the marker resource (with a physical id) and the marker output
    of that value."""
    problems = []
    if after.parameters.get(parameter) != value:
        problems.append('%s: parameter %s is %r, expected %r' % (
            where, parameter, after.parameters.get(parameter, ABSENT),
            value))
    if not after.physical_ids.get(marker):
        problems.append('%s: resource %s was not made' % (where, marker))
    if after.outputs.get(marker) != value:
        problems.append('%s: output %s is %r, expected %r' % (
            where, marker, after.outputs.get(marker, ABSENT), value))
    return problems


def restored(at_snapshot, after_change, after_restore, restore_events):
    """How the State after a restore relates to the State at snapshot
    time and the State after the change made in between.

    Returns ``{"outputs", "parameters"}``: the keys whose values differ
    from the snapshot's, and ``"resources"``: per generic path a verdict,
    as sorted pairs. restore_events is the observation's ``events`` of
    the restore step (which resources the restore acted on).

    A verdict of RESTORED is what a working restore leaves: ``as at
    snapshot`` (the snapshot's physical ids), ``replaced again`` (the
    change replaced it and the restore replaced it back: Heat cannot
    bring back a physical resource an update deleted), ``updated back``
    (the change replaced it and the restore updated it in place, with
    its events), ``back`` (the change removed it, the restore made it
    again), ``removed`` (the change added it, the restore removed it).
    Any of NOT_RESTORED is what a restore that did not restore leaves.
    """
    touched = {generic(path) for path in restore_events}
    snap, change, now = (_ids_by_generic(state.physical_ids) for state in
                         (at_snapshot, after_change, after_restore))
    resources = []
    for path in sorted(set(snap) | set(change) | set(now)):
        verdict = _restored_verdict(snap.get(path, []),
                                    change.get(path, []),
                                    now.get(path, []), path in touched)
        resources.append([path, verdict])
    return {'outputs': _differing(at_snapshot.outputs,
                                  after_restore.outputs),
            'parameters': _differing(at_snapshot.parameters,
                                     after_restore.parameters),
            'resources': resources}


def _restored_verdict(snap, change, now, touched):
    if not snap:
        if not now:
            return 'removed'
        return 'left' if set(now) & set(change) else 'made by the restore'
    if not now:
        return 'missing'
    if len(now) != len(snap):
        return 'member count differs'
    if now == snap:
        return 'as at snapshot'
    if not change:
        return 'back'
    if change == snap:
        return 'replaced by the restore'
    if now == change:
        return 'updated back' if touched else 'kept the change'
    return 'replaced again'


def restore_problems(record, where):
    """The problems a restored() record shows, one message each."""
    problems = []
    for what in ('outputs', 'parameters'):
        if record[what]:
            problems.append('%s: %s %s differ from the snapshot\'s' % (
                where, what, ', '.join(record[what])))
    for path, verdict in record['resources']:
        if verdict in NOT_RESTORED:
            problems.append('%s: resource %s: %s' % (where, path, verdict))
    return problems


# -- previews --------------------------------------------------------------
def preview_problems(resources, names, unconditioned, stacks_named, where):
    """Problems unless a create preview made no stack (stacks_named: the
    stacks listed under the preview's name) and lists the template's
    resources: one top-level item per enabled resource (a dict, or a list
    for a nested stack), at least the unconditioned ones, at most all
    (names), and no name the template lacks."""
    problems = []
    if stacks_named:
        problems.append('%s: a stack of the preview\'s name exists: %s'
                        % (where, ', '.join(sorted(stacks_named))))
    top = resources or []
    if not len(unconditioned) <= len(top) <= len(names):
        problems.append('%s: the preview lists %d resources; the template '
                        'has %d, %d of them without a condition' % (
                            where, len(top), len(names),
                            len(unconditioned)))
    unknown = sorted(item.get('resource_name', '?') for item in top
                     if isinstance(item, dict) and
                     item.get('resource_name') not in names)
    if unknown:
        problems.append('%s: the preview lists %s, which the template does '
                        'not have' % (where, ', '.join(unknown)))
    return problems


#: The categories of an update preview, and those a resource of the stack
#: as it is (not one to add) falls in.
CHANGE_KINDS = ('added', 'deleted', 'replaced', 'updated', 'unchanged')
EXISTING_KINDS = ('deleted', 'replaced', 'updated', 'unchanged')


def preview_update_problems(changes, top_level, before, after, where):
    """Problems unless an update preview sorts every top-level resource
    of the stack (top_level) into exactly one of EXISTING_KINDS, and
    changed nothing: the observation after it (relative to the one
    before) shows the same stack status, no new event, the same
    resources and no physical id that changed (a resource without one
    is always observed ``new``: observation._physical_change)."""
    problems = []
    seen = {}
    for kind in EXISTING_KINDS:
        for name in changes.get(kind, []):
            seen.setdefault(name, []).append(kind)
    for name in sorted(set(top_level) | set(seen)):
        kinds = seen.get(name, [])
        if name not in top_level:
            problems.append('%s: the preview has %s as %s, which the stack '
                            'does not have' % (where, name, kinds[0]))
        elif len(kinds) != 1:
            problems.append('%s: the preview has %s as %s' % (
                where, name, ' and '.join(kinds) or 'nothing'))
    if after['stack'] != before['stack']:
        problems.append('%s: the stack went from %s to %s' % (
            where, before['stack'], after['stack']))
    if after['events']:
        problems.append('%s: the preview wrote events for %s' % (
            where, ', '.join(sorted(after['events']))))
    moved = sorted(path for path in set(before['resources']) |
                   set(after['resources'])
                   if path not in before['resources'] or
                   path not in after['resources'] or
                   after['resources'][path]['physical_id'] == 'changed')
    if moved:
        problems.append('%s: the preview changed the physical ids of %s'
                        % (where, ', '.join(moved)))
    return problems


def patch_problems(changes, observed, where):
    """Problems unless an update did, at the top level, what its preview
    can promise: ``added`` exist, ``deleted`` are gone, ``unchanged``
    have no event of the update and no new physical id. What the preview
    calls ``replaced`` or ``updated`` is only an upper bound: Heat
    previews against a stack whose resources have no ids or attributes
    yet, so a resource that names another one shows as changed although
    the update leaves it (``EngineService.preview_update_stack``: it
    "*cannot* guarantee that an update will have the actions
    specified")."""
    problems = []
    resources, events = observed['resources'], observed['events']

    def fail(name, kind, saw):
        problems.append('%s: the preview said %s would be %s; %s' % (
            where, name, kind, saw))
    for name in sorted(changes.get('added', [])):
        if name not in resources:
            fail(name, 'added', 'it is absent')
    for name in sorted(changes.get('deleted', [])):
        if name in resources:
            fail(name, 'deleted', 'it is still there')
    for name in sorted(changes.get('unchanged', [])):
        resource = resources.get(name)
        if resource is None:
            fail(name, 'unchanged', 'it is absent')
        elif resource['physical_id'] == 'changed' or events.get(name):
            fail(name, 'unchanged', 'its physical id is %s, its events %s'
                 % (resource['physical_id'], events.get(name) or 'none'))
    return problems


def parameters_problems(sent, shown, where):
    """Problems unless the stack shows each parameter sent as a string,
    number or boolean with that value (Heat shows values as text)."""
    problems = []
    for key, value in sorted(sent.items()):
        if isinstance(value, bool):
            same = str(shown.get(key, ABSENT)).lower() == str(value).lower()
        elif isinstance(value, (str, int, float)):
            same = str(shown.get(key, ABSENT)) == str(value)
        else:
            continue
        if not same:
            problems.append('%s: parameter %s is %r, %r was sent' % (
                where, key, shown.get(key, ABSENT), value))
    return problems


# -- mark-unhealthy --------------------------------------------------------
def dependents(definitions, target):
    """The resources whose definition names target, directly or through
    another one (which an update that replaces target may change too)."""
    found = set()
    names = {target}
    while names:
        name = names.pop()
        for other, definition in definitions.items():
            if (other != target and other not in found and
                    _canonical(name) in _canonical(definition)):
                found.add(other)
                names.add(other)
    return sorted(found)


def mark_unhealthy_problems(target, marked, observed, may_change, where):
    """Problems unless the marked resource showed CHECK_FAILED (marked:
    its status once marked) with the mark's event, and the update after
    it replaced nothing but the target, what lies under it and the
    resources of may_change (those that name it): no other physical id
    changed (one without an id shows no change but its events)."""
    problems = []
    if marked != 'CHECK_FAILED':
        problems.append('%s: %s is %s once marked, not CHECK_FAILED' % (
            where, target, marked))
    first = observed['events'].get(target, [])[:1]
    if first != ['CHECK_FAILED']:
        problems.append('%s: the events of %s start %s, not CHECK_FAILED'
                        % (where, target, first[0] if first else 'none'))
    allowed = [target] + list(may_change)
    for path, resource in sorted(observed['resources'].items()):
        if any(path == name or path.startswith(name + '/')
               for name in allowed):
            continue
        if resource['physical_id'] == 'changed':
            problems.append('%s: %s, which was not marked, has a changed '
                            'physical id' % (where, path))
    return problems


# -- abandon and adopt -----------------------------------------------------
def abandoned_ids(data, prefix=''):
    """Raw logical path -> resource id of the resources abandon data
    describes, nested stacks' resources included; and the paths that
    hold a nested stack (whose adopt makes a new one)."""
    ids, holders = {}, set()
    for name, resource in (data.get('resources') or {}).items():
        path = prefix + name
        ids[path] = saved_id(resource)
        if resource.get('resources'):
            holders.add(path)
        nested_ids, nested_holders = abandoned_ids(resource, path + '/')
        ids.update(nested_ids)
        holders |= nested_holders
    return ids, holders


def abandon_problems(data, physical_ids, left, where):
    """Problems unless the stack is gone (left: None when the API
    answers 404, else the status it shows) and the abandon data holds
    every resource the stack had with its physical id."""
    problems = []
    if left not in (None, 'DELETE_COMPLETE'):
        problems.append('%s: the stack is still there, %s' % (where, left))
    ids, _ = abandoned_ids(data)
    for path, physical_id in sorted(physical_ids.items()):
        if path not in ids:
            problems.append('%s: the abandon data lacks %s' % (where, path))
        elif ids[path] != (physical_id or None):
            problems.append('%s: the abandon data has %s as %s, the stack '
                            'had %s' % (where, path, ids[path],
                                        physical_id))
    return problems


def kept_problems(kept, where):
    """Problems unless every stack an abandoned OS::Heat::Stack made
    (kept: path -> its status, None when the API answers 404) is still
    there: abandon keeps physical resources."""
    return ['%s: %s\'s stack is %s after the abandon' % (
        where, path, status or 'gone')
        for path, status in sorted(kept.items())
        if status is None or status.startswith('DELETE_')]


def adopt_problems(data, physical_ids, outputs_before, outputs_now, where):
    """Problems unless the adopted stack holds every abandoned resource
    with its abandoned id (except those that hold a nested stack, which
    adopt makes anew) and has the abandoned stack's outputs."""
    problems = []
    ids, holders = abandoned_ids(data)
    for path, resource_id in sorted(ids.items()):
        if path in holders or not resource_id:
            continue
        if physical_ids.get(path) != resource_id:
            problems.append('%s: %s was abandoned as %s, adopted as %s' % (
                where, path, resource_id, physical_ids.get(path, ABSENT)))
    differing = _differing(outputs_before, outputs_now)
    if differing:
        problems.append('%s: outputs %s differ from the abandoned stack\'s'
                        % (where, ', '.join(differing)))
    return problems


# -- reads -----------------------------------------------------------------
def reads_problems(read, expected, where):
    """Problems unless each read API answered what the harness knows of
    the stack: the outputs shown one by one are the stack's; the
    template is the one sent; the environment holds the parameters sent;
    the files are those sent; the events filtered on CREATE_COMPLETE are
    all CREATE_COMPLETE, one at least per top-level resource and the
    stack; the stack is listed once under its name; the stacks listed by
    owner are exactly its nested ones; the tags are the run's."""
    problems = []

    def require(ok, message, *args):
        if not ok:
            problems.append(where + ': ' + message % args)
    require(read['outputs'] == expected['outputs'], 'the outputs shown one '
            'by one are %s, the stack\'s %s', read['outputs'],
            expected['outputs'])
    require(_canonical(read['template']) ==
            _canonical(expected['template']),
            'the template shown is not the one sent')
    sent = expected['parameters']
    shown = read['parameters']
    wrong = sorted(key for key in sent
                   if str(shown.get(key, ABSENT)) != str(sent[key]))
    require(not wrong, 'the environment shows parameters %s otherwise '
            'than sent', ', '.join(wrong))
    require(sorted(read['files']) == sorted(expected['files']),
            'the files shown are %s, those sent %s', sorted(read['files']),
            sorted(expected['files']))
    statuses = sorted({status for _, status in read['events']})
    require(statuses == ['CREATE_COMPLETE'], 'the events filtered on '
            'CREATE_COMPLETE are %s', ', '.join(statuses) or 'none')
    owners = {owner for owner, _ in read['events']}
    missing = sorted((set(expected['top_level']) | {STACK_KEY}) - owners)
    require(not missing, 'no CREATE_COMPLETE event listed for %s',
            ', '.join(missing))
    require(read['listed_by_name'] == [True], 'the stack listed by its '
            'name shows as %s', read['listed_by_name'])
    require(sorted(read['nested_ids']) == sorted(expected['nested_ids']),
            'the stacks listed by owner are %d, its nested stacks %d',
            len(read['nested_ids']), len(expected['nested_ids']))
    require(sorted(read['tags']) == sorted(expected['tags']),
            'the tags are %s, not %s', read['tags'], expected['tags'])
    return problems
