"""Stack actions beyond create, update and delete, on one stack, in order.

The actions suite (``scenarios/test_actions.py``) runs every template
whose create must complete through this sequence, one case per action and
path, each observed and compared across the paths like a lifecycle step
(scenario ``actions/<action>``). Each action also checks the effect that
only a working action leaves (``action_checks.py``), so that a Heat that
answers it with the right status and does nothing for it fails:

``preview``
    a preview of the create: the resources Heat would make; no stack of
    the preview's name exists after it, and it lists the template's
    resources (at least the unconditioned ones);
``create``
    the template's own create step;
``suspend``, ``resume``, ``check``
    the stack actions, each waited for on the root's own events; every
    resource of the tree, nested stacks included, ends ACTION_COMPLETE
    with its own event of the step;
``reads``
    the read APIs on the complete stack: outputs list and show, template,
    environment and files show, each top-level resource's metadata (its
    keys: values hold times and ids), the root's events filtered and paged,
    stacks listed by name and the nested ones by owner, sorted and paged,
    and the tags (each paged list must equal the unpaged one); each must
    answer what the harness sent or observed (the template and files
    sent, the outputs observed, only CREATE_COMPLETE events, exactly the
    nested stacks, the run's tags);
``snapshot``
    a snapshot: every top-level resource SNAPSHOT_COMPLETE, the snapshot's
    data holding the stack's template and each top-level resource's
    physical id;
``update-after-snapshot``
    the stack changed before it is restored: a full update to the
    template's first declared update that replaces a resource (else its
    first update, else its own create template), with the harness's
    marker added (a parameter CHANGE_PARAMETER, an OS::Heat::TestResource
    CHANGE_MARKER of its value, an output of it), so that every template
    changes;
``restore``, ``snapshot-delete``
    a restore from the snapshot, which must bring back the snapshot's
    outputs, parameters and resources (``action_checks.restored``: the
    marker gone, each resource as at snapshot time or, where the change
    replaced it, replaced or updated back), then the snapshot's deletion;
``preview-update``
    a preview of the PATCH ``patch`` sends: it changes nothing (same
    status, no event, no new physical id) and sorts every top-level
    resource into one of deleted, replaced, updated or unchanged;
``patch``
    a PATCH update (``existing``) with the first update's parameters,
    which must show the parameters sent and do what the preview promised
    (added, deleted, unchanged: replaced and updated are only an upper
    bound, ``action_checks.patch_problems``);
``mark-unhealthy``
    the first top-level resource with a physical id marked unhealthy
    (CHECK_FAILED, with its event), then a PATCH update with no change,
    which must replace it and nothing but what names it;
``abandon``, ``adopt``
    the stack abandoned: gone from the API, its abandon data holding every
    resource with its physical id, the stacks its OS::Heat::Stack
    resources made still there; the abandoned data adopted as a new stack
    (with the abandoned environment and parameters), which must hold the
    abandoned physical ids (a nested stack is made anew) and outputs,
    every resource ADOPT_COMPLETE;
``delete``
    the adopted stack deleted.

Each action's checks are those of a lifecycle step: the final status,
the flags of every stack in the tree, and the observation; a failed
action stops the sequence (later actions skip, naming it) but ``delete``
still runs.
"""

import json
import time

from heatclient import exc as heat_exc
import pytest

from heat_functional import action_checks
from heat_functional import case as case_module
from heat_functional import client
from heat_functional import config
from heat_functional import corpus
from heat_functional import lifecycle as lifecycle_module
from heat_functional import observation

ACTIONS = ('preview', 'create', 'suspend', 'resume', 'check', 'reads',
           'snapshot', 'update-after-snapshot', 'restore', 'snapshot-delete',
           'preview-update', 'patch', 'mark-unhealthy', 'abandon', 'adopt',
           'delete')

#: The harness's own change between snapshot and restore: the name of
#: the resource and output it adds, of the parameter (Heat refuses a
#: parameter named as a resource), and the parameter's value.
CHANGE_MARKER = 'heat_functional_after_snapshot'
CHANGE_PARAMETER = CHANGE_MARKER + '_value'
CHANGE_VALUE = 'after-snapshot'
#: Names Heat makes up for scaling-group members (random, per stack).
GENERATED_NAME = action_checks.GENERATED_NAME


class ActionStep(object):
    """What a lifecycle step's checks need to know of an action."""

    def __init__(self, name, expected_status=None, expected_replaced=None):
        self.name = name
        self.kind = name
        self.expected_status = expected_status
        self.expected_outputs = None
        self.expected_replaced = expected_replaced


def applies_to(template):
    """Why the action sequence does not apply to a template, or None."""
    if template.error:
        return None   # its create case fails with the corpus error
    if template.expected_status != 'CREATE_COMPLETE':
        return ('%s is meant to end %s, and these actions need a complete '
                'stack' % (template.name, template.expected_status))
    if any(step.agents for step in template.steps):
        return ('%s needs the harness as an agent for its actions, which '
                'the action sequence does not declare' % template.name)
    return None


def run_case(template, action, path, deployment, runs, case):
    """One case of the actions suite: `action` of `template` on `path`,
    in the sequence `runs` (a lifecycle.Registry) keeps for (template,
    path); the first action starts it. The body of the pytest suite's
    test, and of the fuzzer's actions (fuzz/execute.py)."""
    lifecycle_module.skip_unless_offered(template, deployment)
    if action == ACTIONS[0]:
        driver = client.StackDriver(deployment, path, template.name)
        lifecycle = runs.start(template, path, driver,
                               deployment.convergence_engine(path))
        if template.error:
            case.require([template.error])
    else:
        lifecycle = runs.get(template, path)
        skip_unless_runnable(lifecycle, action, template, path)
    run(action, lifecycle, case, deployment)


def skip_unless_runnable(lifecycle, action, template, path):
    """Skip (or fail, where the sequence never started here) an action
    that cannot run: its stack is gone, incomplete or never made, or an
    earlier action failed (``delete`` still runs)."""
    if lifecycle is None:
        pytest.fail('action %s of %s on %s cannot run: the sequence did not '
                    'start in this worker (select whole sequences, e.g. -k '
                    '"test_actions and %s")' % (action, template.name, path,
                                                template.name), pytrace=False)
    reason = lifecycle.incomplete_stack()
    if reason and action != 'delete':
        case_module.moot(reason)
    if lifecycle.stopped_by and action != 'delete':
        pytest.skip('not run: action %s of %s on %s failed'
                    % (lifecycle.stopped_by, template.name, path))
    if lifecycle.stack_id is None and action not in ('create', 'adopt',
                                                     'delete'):
        pytest.skip('not run: the stack of %s on %s was never created'
                    % (template.name, path))


def run(action, lifecycle, case, deployment):
    """Run one action on the lifecycle's stack; fail the case on a
    problem (later actions then skip, naming it)."""
    function = _ACTIONS[action]
    lifecycle_module.guarded(lifecycle, action, case, lambda: function(
        lifecycle, case, deployment))


def _where(action, lifecycle):
    return '%s of %s on %s' % (action, lifecycle.template.name,
                               lifecycle.path)


def _declared(body):
    """A template body's resources (HOT or CFN) by name."""
    return body.get('resources') or body.get('Resources') or {}


def _top_level(physical_ids):
    return sorted(path for path in physical_ids if '/' not in path)


# -- the actions -----------------------------------------------------------
def _preview(lifecycle, case, deployment):
    create = lifecycle.template.steps[0]
    body, files, environment = create.load()
    driver = lifecycle.driver
    name = case.stack_name()
    with case.timed('preview'):
        preview = driver.call('preview', driver.heat.stacks.preview,
                              stack_name=name, template=body,
                              files=files, parameters=create.parameters,
                              environment=environment)
        named = [stack.id for stack in driver.call(
            'stack list', driver.heat.stacks.list, filters={'name': name})]
    resources = getattr(preview, 'resources', None) or \
        preview.to_dict().get('resources', [])
    case.observation = {
        'preview': preview_resources(resources, lifecycle.template.base_url),
        'stacks_named': len(named)}
    return action_checks.preview_problems(
        resources, sorted(_declared(body)), corpus.top_level_resources(body),
        named, _where('preview', lifecycle))


def preview_resources(resources, base_url=None):
    """A preview's resources as sorted [name, type]; nested previews
    (lists) flattened, members' made-up names as ``#``."""
    found = []

    def walk(items, prefix):
        for item in items:
            if isinstance(item, list):
                walk(item, prefix)
                continue
            name = item.get('resource_name', '?')
            if GENERATED_NAME.fullmatch(name):
                name = '#'
            name = prefix + name
            kind = item.get('resource_type', '?')
            if base_url and kind.startswith(base_url):
                kind = kind[len(base_url):]
            found.append([name, kind])
    walk(resources, '')
    return sorted(found)


def _stack_action(name, status):
    def act(lifecycle, case, deployment):
        driver = lifecycle.driver
        since = len(driver.root_events(lifecycle.stack_id) or [])
        with case.timed(name):
            driver.retry_while_locked(
                name, getattr(driver.heat.actions, name), lifecycle.stack_id)
            stack = driver.wait(lifecycle.stack_id, name.upper(), name,
                                since=since)
        problems = lifecycle_module.observe_and_check(
            lifecycle, ActionStep(name, status), stack, case, deployment)
        return problems + action_checks.everywhere_problems(
            name.upper(), case.observation, _where(name, lifecycle))
    return act


def _reads(lifecycle, case, deployment):
    driver, heat = lifecycle.driver, lifecycle.driver.heat
    stack_id = lifecycle.stack_id
    base_url = lifecycle.template.base_url
    create = lifecycle.template.steps[0]
    where = _where('reads', lifecycle)
    with case.timed('reads'):
        stack = driver.show(stack_id)
        keys = sorted(output['output_key'] for output in driver.call(
            'output list', heat.stacks.output_list, stack_id)['outputs'])
        shown = [driver.call('output show', heat.stacks.output_show,
                             stack_id, key)['output'] for key in keys]
        stored = driver.call('template show', heat.stacks.template, stack_id)
        environment = driver.call('environment show',
                                  heat.stacks.environment, stack_id)
        files = driver.call('files show', heat.stacks.files, stack_id)
        metadata = {name: sorted(driver.call(
            'resource metadata', heat.resources.metadata, stack_id, name)
            or {}) for name in _top_level(lifecycle.last.physical_ids)}
        events, unpaged_events = _paged(
            lambda **page: driver.call('event list', heat.events.list,
                                       stack_id, sort_dir='asc', filters={
                                           'resource_action': 'CREATE',
                                           'resource_status': 'COMPLETE'},
                                       **page))
        named = list(driver.call('stack list', heat.stacks.list,
                                 filters={'name': stack.stack_name}))
        nested, unpaged_nested = _paged(
            lambda **page: list(driver.call(
                'stack list', heat.stacks.list, show_nested=True,
                filters={'owner_id': stack_id}, sort_keys='stack_name',
                sort_dir='asc', **page)))
    outputs = observation.normalise_outputs(
        shown, lifecycle.template.random_outputs,
        lifecycle.last.placeholders)
    case.observation = {
        'outputs': outputs,
        'template': sorted(stored),
        'environment': {key: sorted(_relative(name, base_url)
                                    for name in value)
                        if isinstance(value, dict) else value
                        for key, value in environment.items()},
        'files': sorted(_relative(name, base_url) for name in files),
        'metadata_keys': metadata,
        'events': sorted(_event_owner(event, stack_id) for event in events),
        'listed_by_name': [s.id == stack_id for s in named],
        'nested': sorted(s.stack_status for s in nested),
        'tags': observed_tags(stack.tags),
    }
    problems = []
    if keys != sorted(o['output_key'] for o in stack.outputs or []):
        problems.append('%s: the output list %s differs from the stack\'s '
                        'outputs' % (where, keys))
    for what, paged, unpaged in (('events', events, unpaged_events),
                                 ('nested stacks', nested, unpaged_nested)):
        if [i.id for i in paged] != [i.id for i in unpaged]:
            problems.append('%s: %s paged one at a time differ from the '
                            'whole list' % (where, what))
    body, sent_files, _ = create.load()
    read = {'outputs': outputs, 'template': stored,
            'parameters': environment.get('parameters') or {},
            'files': list(files),
            'events': [(_event_owner(event, stack_id), event.resource_status)
                       for event in unpaged_events],
            'listed_by_name': case.observation['listed_by_name'],
            'nested_ids': [s.id for s in unpaged_nested],
            'tags': case.observation['tags']}
    expected = {'outputs': lifecycle.last.observation['outputs'],
                'template': body, 'parameters': create.parameters,
                'files': list(sent_files),
                'top_level': _top_level(lifecycle.last.physical_ids),
                'nested_ids': [s['id'] for s in lifecycle.last.tree
                               if s['path'] and '/' not in s['path']],
                'tags': observed_tags(config.stack_tags())}
    return problems + action_checks.reads_problems(read, expected, where)


def observed_tags(tags):
    """A stack's tags as observed: this run's own tag by its shape
    (``hf-run-<run>``), so that one run's observations compare with
    another's (tools/compare_runs.py); any other tag as it is."""
    own = config.RUN_TAG_PREFIX + config.run_id()
    return sorted(config.RUN_TAG_PREFIX + '<run>' if tag == own else tag
                  for tag in tags or [])


def _paged(list_page):
    """(items read a page of one at a time, items read at once)."""
    paged = []
    while True:
        page = list_page(limit=1, **({'marker': paged[-1].id}
                                     if paged else {}))
        if not page:
            return paged, list_page()
        paged += page


def _relative(name, base_url):
    """A name with the template directory's URL taken off."""
    if base_url and name.startswith(base_url):
        return name[len(base_url):]
    return name


def _event_owner(event, stack_id):
    return '<stack>' if event.physical_resource_id == stack_id else \
        event.resource_name


def _snapshot(lifecycle, case, deployment):
    driver = lifecycle.driver
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('snapshot'):
        made = driver.retry_while_locked(
            'snapshot', driver.heat.stacks.snapshot, lifecycle.stack_id,
            'hf-snapshot')
        lifecycle.snapshot_id = made['id']
        stack = driver.wait(lifecycle.stack_id, 'SNAPSHOT', 'snapshot',
                            since=since)
        shown = driver.call('snapshot show', driver.heat.stacks.snapshot_show,
                            lifecycle.stack_id, lifecycle.snapshot_id)
    where = _where('snapshot', lifecycle)
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('snapshot', 'SNAPSHOT_COMPLETE'), stack, case,
        deployment)
    lifecycle.at_snapshot = action_checks.state_of(lifecycle.last, stack)
    snapshot = shown['snapshot']
    case.observation['snapshot'] = snapshot['status']
    if snapshot['status'] != 'COMPLETE':
        problems.append('%s is %s: %s' % (where, snapshot['status'],
                                          snapshot.get('status_reason')))
    problems += action_checks.everywhere_problems(
        'SNAPSHOT', case.observation, where, nested=False)
    return problems + action_checks.snapshot_problems(
        snapshot.get('data') or {}, lifecycle.template.steps[0].load()[0],
        lifecycle.last.physical_ids, where)


def change_step(template):
    """The declared step whose template and parameters the change between
    snapshot and restore sends: the first update that must complete,
    needs no agent and declares a replacement; else the first update that
    must complete; else the create step."""
    updates = [step for step in template.steps
               if step.kind == 'update' and not step.agents and
               step.expected_status == 'UPDATE_COMPLETE']
    replacing = [step for step in updates if step.expected_replaced]
    return (replacing or updates or template.steps[:1])[0]


def with_change_marker(body):
    """A copy of a template body (HOT or CFN) with the harness's change:
    a parameter CHANGE_PARAMETER, an OS::Heat::TestResource CHANGE_MARKER
    whose value is the parameter, and an output CHANGE_MARKER of its
    value."""
    if 'heat_template_version' in body:
        keys = ('parameters', 'outputs')
        parameter = {'type': 'string'}
        value = {'get_param': CHANGE_PARAMETER}
        output = {'value': {'get_attr': [CHANGE_MARKER, 'output']}}
    else:
        keys = ('Parameters', 'Outputs')
        parameter = {'Type': 'String'}
        value = {'Ref': CHANGE_PARAMETER}
        output = {'Value': {'Fn::GetAtt': [CHANGE_MARKER, 'output']}}
    changed = corpus.with_resource(body, CHANGE_MARKER,
                                   'OS::Heat::TestResource', {'value': value})
    for key, name, entry in zip(keys, (CHANGE_PARAMETER, CHANGE_MARKER),
                                (parameter, output)):
        changed[key] = dict(changed.get(key) or {})
        changed[key][name] = entry
    return changed


def _update_after_snapshot(lifecycle, case, deployment):
    step = change_step(lifecycle.template)
    body, files, environment = step.load()
    parameters = dict(step.parameters)
    parameters[CHANGE_PARAMETER] = CHANGE_VALUE
    driver = lifecycle.driver
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('update-after-snapshot'):
        driver.update(lifecycle.stack_id, with_change_marker(body),
                      files=files, parameters=parameters,
                      environment=environment, step='update-after-snapshot')
        stack = driver.wait(lifecycle.stack_id, 'UPDATE',
                            'update-after-snapshot', since=since)
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('update-after-snapshot', 'UPDATE_COMPLETE'),
        stack, case, deployment)
    lifecycle.after_change = action_checks.state_of(lifecycle.last, stack)
    case.observation['sent'] = step.name
    case.observation['changed'] = action_checks.changed(
        lifecycle.at_snapshot, lifecycle.after_change)
    return problems + action_checks.change_problems(
        lifecycle.after_change, CHANGE_PARAMETER, CHANGE_MARKER,
        CHANGE_VALUE, _where('update-after-snapshot', lifecycle))


def _restore(lifecycle, case, deployment):
    driver = lifecycle.driver
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('restore'):
        driver.retry_while_locked('restore', driver.heat.stacks.restore,
                                  lifecycle.stack_id, lifecycle.snapshot_id)
        stack = driver.wait(lifecycle.stack_id, 'RESTORE', 'restore',
                            since=since)
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('restore', 'RESTORE_COMPLETE'), stack, case,
        deployment)
    record = action_checks.restored(
        lifecycle.at_snapshot, lifecycle.after_change,
        action_checks.state_of(lifecycle.last, stack),
        case.observation['events'])
    case.observation['restored'] = record
    return problems + action_checks.restore_problems(
        record, _where('restore', lifecycle))


def _snapshot_delete(lifecycle, case, deployment):
    driver = lifecycle.driver
    with case.timed('snapshot-delete'):
        driver.retry_while_locked(
            'snapshot-delete', driver.heat.stacks.snapshot_delete,
            lifecycle.stack_id, lifecycle.snapshot_id)
        left = _snapshots_left(driver, lifecycle.stack_id)
    case.observation = {'snapshots': len(left)}
    if left:
        return ['snapshot-delete of %s on %s left %d snapshot(s)'
                % (lifecycle.template.name, lifecycle.path, len(left))]
    return []


def _snapshots_left(driver, stack_id):
    """The stack's snapshots once a delete has had DELETE_SETTLE seconds:
    convergence deletes a snapshot in its workers, after the API has
    answered (legacy before)."""
    deadline = time.monotonic() + config.DELETE_SETTLE
    while True:
        left = driver.call('snapshot list', driver.heat.stacks.snapshot_list,
                           stack_id)['snapshots']
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(config.SETTLE_INTERVAL)


def _first_update(template):
    updates = [s for s in template.steps if s.kind == 'update']
    return updates[0] if updates else template.steps[0]


def _observe(lifecycle, previous):
    return observation.observe(
        lifecycle.driver, lifecycle.stack_id,
        lifecycle.template.random_outputs, lifecycle.template.base_url,
        previous=previous)


def _preview_update(lifecycle, case, deployment):
    """A preview of the PATCH that ``patch`` sends next, between two
    observations of the stack."""
    update = _first_update(lifecycle.template)
    driver = lifecycle.driver
    before = _observe(lifecycle, lifecycle.last)
    with case.timed('preview-update'):
        changes = driver.call(
            'preview-update', driver.heat.stacks.preview_update,
            lifecycle.stack_id, existing=True, parameters=update.parameters)
    after = _observe(lifecycle, before).observation
    changes = changes.get('resource_changes', changes)
    lifecycle.previewed = {
        kind: sorted(r.get('resource_name', '?') for r in resources)
        for kind, resources in sorted(changes.items())}
    case.observation = {'resource_changes': lifecycle.previewed,
                        'after_preview': {
                            'stack': after['stack'],
                            'events': sorted(after['events']),
                            'physical_ids': sorted({
                                r['physical_id']
                                for r in after['resources'].values()})}}
    return action_checks.preview_update_problems(
        lifecycle.previewed, _top_level(before.physical_ids),
        before.observation, after, _where('preview-update', lifecycle))


def _patch(lifecycle, case, deployment):
    update = _first_update(lifecycle.template)
    driver = lifecycle.driver
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('patch'):
        driver.retry_while_locked(
            'patch', driver.heat.stacks.update, lifecycle.stack_id,
            existing=True, parameters=update.parameters)
        stack = driver.wait(lifecycle.stack_id, 'UPDATE', 'patch',
                            since=since)
    where = _where('patch', lifecycle)
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('patch', 'UPDATE_COMPLETE'), stack, case,
        deployment)
    problems += action_checks.parameters_problems(
        update.parameters, getattr(stack, 'parameters', None) or {}, where)
    return problems + action_checks.patch_problems(
        lifecycle.previewed, case.observation, where)


def _mark_unhealthy(lifecycle, case, deployment):
    driver = lifecycle.driver
    # A top-level resource with a physical id, so that its replacement
    # shows as a changed id.
    top = sorted(name for name, physical_id
                 in lifecycle.last.physical_ids.items()
                 if '/' not in name and physical_id)
    if not top:
        case_module.moot('%s has no top-level resource with a physical id '
                         'to mark unhealthy' % lifecycle.template.name)
    target = top[0]
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('mark-unhealthy'):
        driver.call('mark-unhealthy', driver.heat.resources.mark_unhealthy,
                    lifecycle.stack_id, target, True, 'heat-functional')
        marked = driver.call('resource show', driver.heat.resources.get,
                             lifecycle.stack_id, target).resource_status
        stored = driver.call('template show', driver.heat.stacks.template,
                             lifecycle.stack_id)
        driver.retry_while_locked(
            'mark-unhealthy', driver.heat.stacks.update, lifecycle.stack_id,
            existing=True)
        stack = driver.wait(lifecycle.stack_id, 'UPDATE', 'mark-unhealthy',
                            since=since)
    case.agents = [{'marked_unhealthy': target, 'marked': marked}]
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('mark-unhealthy', 'UPDATE_COMPLETE', [target]),
        stack, case, deployment)
    return problems + action_checks.mark_unhealthy_problems(
        target, marked, case.observation,
        action_checks.dependents(_declared(stored), target),
        _where('mark-unhealthy', lifecycle))


def _abandon(lifecycle, case, deployment):
    driver = lifecycle.driver
    stack_id = lifecycle.stack_id
    with case.timed('abandon'):
        data = driver.retry_while_locked('abandon', driver.heat.stacks.abandon,
                                         stack_id)
        left = _left_after_abandon(driver, stack_id)
        kept = {path: _status_or_none(driver, resource_id)
                for path, resource_id in _remote_stacks(data)}
    lifecycle.abandoned = data
    lifecycle.before_abandon = lifecycle.last
    lifecycle.stack_id = None   # the stack is gone; its resources are not
    case.observation = {'abandoned': abandoned_shape(data),
                        'gone': left in (None, 'DELETE_COMPLETE'),
                        'kept': {action_checks.generic(path): bool(status)
                                 for path, status in kept.items()}}
    where = _where('abandon', lifecycle)
    return action_checks.abandon_problems(
        data, lifecycle.last.physical_ids, left, where) + \
        action_checks.kept_problems(kept, where)


def _status_or_none(driver, stack_id):
    """A stack's ACTION_STATUS, or None when the API answers 404."""
    try:
        return driver.heat.stacks.get(stack_id,
                                      resolve_outputs=False).stack_status
    except heat_exc.HTTPNotFound:
        return None


def _left_after_abandon(driver, stack_id):
    """What the API shows of an abandoned stack once it is gone or
    DELETE_SETTLE seconds have passed: None (404) or its status."""
    deadline = time.monotonic() + config.DELETE_SETTLE
    while True:
        status = _status_or_none(driver, stack_id)
        if status in (None, 'DELETE_COMPLETE') or \
                time.monotonic() > deadline:
            return status
        time.sleep(config.SETTLE_INTERVAL)


def _remote_stacks(data, prefix=''):
    """(path, stack id) of the abandoned OS::Heat::Stack resources."""
    found = []
    for name, resource in sorted((data.get('resources') or {}).items()):
        if resource.get('type') == 'OS::Heat::Stack' and \
                resource.get('resource_id'):
            found.append((prefix + name, resource['resource_id']))
        found += _remote_stacks(resource, prefix + name + '/')
    return found


def without_ids(data, prefix=''):
    """The abandoned resources that have no resource id: Heat cannot
    adopt those ("Resource ID was not provided")."""
    missing = []
    for name, resource in sorted((data.get('resources') or {}).items()):
        if not resource.get('resource_id'):
            missing.append(prefix + name)
        missing += without_ids(resource, prefix + name + '/')
    return missing


def abandoned_shape(data):
    """What abandon data says, without ids and times: the stack's action
    and status, and each resource's type, action and status, nested
    stacks' resources under their parent's name, scaling-group members'
    made-up names as ``#1``, ``#2``..."""
    def resources(node, prefix):
        shape = {}
        members = 0
        for name, resource in sorted(
                (node.get('resources') or {}).items(),
                key=lambda item: (bool(GENERATED_NAME.fullmatch(item[0])),
                                  item[0])):
            if GENERATED_NAME.fullmatch(name):
                members += 1
                name = '#%d' % members
            key = prefix + name
            shape[key] = [resource.get('type'), resource.get('action'),
                          resource.get('status')]
            shape.update(resources(resource, key + '/'))
        return shape
    return {'stack': '%s_%s' % (data.get('action'), data.get('status')),
            'resources': resources(data, '')}


def _adopt(lifecycle, case, deployment):
    data = getattr(lifecycle, 'abandoned', None)
    if data is None:
        pytest.skip('not run: %s on %s was not abandoned'
                    % (lifecycle.template.name, lifecycle.path))
    missing = without_ids(data)
    if missing:
        case_module.moot('Heat adopts only resources with an id; %s of %s '
                         'have none' % (', '.join(missing),
                                        lifecycle.template.name))
    _, files, environment = lifecycle.template.steps[0].load()
    driver = lifecycle.driver
    lifecycle.last = None
    with case.timed('adopt'):
        # The abandoned stack's own environment and no parameters: Heat
        # takes the parameters from the abandon data, and any sent would
        # override them (EngineService._parse_template_and_validate_stack)
        # so that the adopted stack would not be the abandoned one.
        created = driver.call(
            'adopt', driver.heat.stacks.create, stack_name=case.stack_name(),
            template=data['template'], files=files, parameters={},
            environment=data.get('environment', environment),
            adopt_stack_data=json.dumps(data),
            tags=','.join(config.stack_tags()),
            disable_rollback=True)
        lifecycle.stack_id = created['stack']['id']
        stack = driver.wait(lifecycle.stack_id, 'ADOPT', 'adopt')
    where = _where('adopt', lifecycle)
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('adopt', 'ADOPT_COMPLETE'), stack, case,
        deployment)
    problems += action_checks.everywhere_problems(
        'ADOPT', case.observation, where)
    return problems + action_checks.adopt_problems(
        data, lifecycle.last.physical_ids,
        lifecycle.before_abandon.observation['outputs'],
        case.observation['outputs'], where)


_ACTIONS = {
    'preview': _preview,
    'create': lifecycle_module.create_from_template,
    'suspend': _stack_action('suspend', 'SUSPEND_COMPLETE'),
    'resume': _stack_action('resume', 'RESUME_COMPLETE'),
    'check': _stack_action('check', 'CHECK_COMPLETE'),
    'reads': _reads,
    'snapshot': _snapshot,
    'update-after-snapshot': _update_after_snapshot,
    'restore': _restore,
    'snapshot-delete': _snapshot_delete,
    'preview-update': _preview_update,
    'patch': _patch,
    'mark-unhealthy': _mark_unhealthy,
    'abandon': _abandon,
    'adopt': _adopt,
    'delete': lifecycle_module.delete_if_any,
}
