"""Stack actions beyond create, update and delete, on one stack, in order.

The actions suite (``scenarios/test_actions.py``) runs every template
whose create must complete through this sequence, one case per action and
path, each observed and compared across the paths like a lifecycle step
(scenario ``actions/<action>``):

``preview``
    a preview of the create: the resources Heat would make (no stack);
``create``
    the template's own create step;
``suspend``, ``resume``, ``check``
    the stack actions, each waited for on the root's own events;
``reads``
    the read APIs on the complete stack: outputs list and show, template,
    environment and files show, each top-level resource's metadata (its
    keys: values hold times and ids), the root's events filtered and paged,
    stacks listed by name and the nested ones by owner, sorted and paged,
    and the tags (each paged list must equal the unpaged one);
``snapshot``, ``restore``, ``snapshot-delete``
    a snapshot, a restore from it, its deletion;
``preview-update``
    a preview of the template's first declared update (or an update to
    itself): which resources it would add, delete, replace, update or
    leave unchanged;
``patch``
    a PATCH update (``existing``) with the first update's parameters;
``mark-unhealthy``
    the first top-level resource with a physical id marked unhealthy,
    then a PATCH update with no change, which must replace it;
``abandon``, ``adopt``
    the stack abandoned (its resources kept) and the abandoned data
    adopted as a new stack;
``delete``
    the adopted stack deleted.

Each action's checks are those of a lifecycle step: the final status,
the flags of every stack in the tree, and the observation; a failed
action stops the sequence (later actions skip, naming it) but ``delete``
still runs.
"""

import json
import re
import time

import pytest

from heat_functional import config
from heat_functional import lifecycle as lifecycle_module
from heat_functional import observation

ACTIONS = ('preview', 'create', 'suspend', 'resume', 'check', 'reads',
           'snapshot', 'restore', 'snapshot-delete', 'preview-update',
           'patch', 'mark-unhealthy', 'abandon', 'adopt', 'delete')


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


def run(action, lifecycle, case, deployment):
    """Run one action on the lifecycle's stack; fail the case on a
    problem (later actions then skip, naming it)."""
    function = _ACTIONS[action]
    lifecycle_module.guarded(lifecycle, action, case, lambda: function(
        lifecycle, case, deployment))


# -- the actions -----------------------------------------------------------
def _preview(lifecycle, case, deployment):
    create = lifecycle.template.steps[0]
    body, files, environment = create.load()
    driver = lifecycle.driver
    with case.timed('preview'):
        preview = driver.call('preview', driver.heat.stacks.preview,
                              stack_name=case.stack_name(), template=body,
                              files=files, parameters=create.parameters,
                              environment=environment)
    case.observation = {'preview': preview_resources(
        getattr(preview, 'resources', None) or
        preview.to_dict().get('resources', []), lifecycle.template.base_url)}
    return []


#: Names Heat makes up for scaling-group members (random, per stack).
GENERATED_NAME = re.compile(r'[a-z0-9]{12}')


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
        return lifecycle_module.observe_and_check(
            lifecycle, ActionStep(name, status), stack, case, deployment)
    return act


def _reads(lifecycle, case, deployment):
    driver, heat = lifecycle.driver, lifecycle.driver.heat
    stack_id = lifecycle.stack_id
    base_url = lifecycle.template.base_url
    where = 'reads of %s on %s' % (lifecycle.template.name, lifecycle.path)
    with case.timed('reads'):
        stack = driver.call('show', heat.stacks.get, stack_id)
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
            or {}) for name in sorted(lifecycle.last.physical_ids)
            if '/' not in name}
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
    case.observation = {
        'outputs': observation.normalise_outputs(
            shown, lifecycle.template.random_outputs),
        'template': sorted(stored),
        'environment': {key: sorted(_relative(name, base_url)
                                    for name in value)
                        if isinstance(value, dict) else value
                        for key, value in environment.items()},
        'files': sorted(files),
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
    return problems


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
    problems = lifecycle_module.observe_and_check(
        lifecycle, ActionStep('snapshot', 'SNAPSHOT_COMPLETE'), stack, case,
        deployment)
    case.observation['snapshot'] = shown['snapshot']['status']
    if shown['snapshot']['status'] != 'COMPLETE':
        problems.append('snapshot of %s on %s is %s: %s' % (
            lifecycle.template.name, lifecycle.path,
            shown['snapshot']['status'],
            shown['snapshot'].get('status_reason')))
    return problems


def _restore(lifecycle, case, deployment):
    driver = lifecycle.driver
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('restore'):
        driver.retry_while_locked('restore', driver.heat.stacks.restore,
                                  lifecycle.stack_id, lifecycle.snapshot_id)
        stack = driver.wait(lifecycle.stack_id, 'RESTORE', 'restore',
                            since=since)
    return lifecycle_module.observe_and_check(
        lifecycle, ActionStep('restore', 'RESTORE_COMPLETE'), stack, case,
        deployment)


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


def _preview_update(lifecycle, case, deployment):
    update = _first_update(lifecycle.template)
    body, files, environment = update.load()
    driver = lifecycle.driver
    with case.timed('preview-update'):
        changes = driver.call(
            'preview-update', driver.heat.stacks.preview_update,
            lifecycle.stack_id, template=body, files=files,
            parameters=update.parameters, environment=environment)
    changes = changes.get('resource_changes', changes)
    case.observation = {'resource_changes': {
        kind: sorted(r.get('resource_name', '?') for r in resources)
        for kind, resources in sorted(changes.items())}}
    return []


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
    return lifecycle_module.observe_and_check(
        lifecycle, ActionStep('patch', 'UPDATE_COMPLETE'), stack, case,
        deployment)


def _mark_unhealthy(lifecycle, case, deployment):
    driver = lifecycle.driver
    # A top-level resource with a physical id, so that its replacement
    # shows as a changed id.
    top = sorted(name for name, physical_id
                 in lifecycle.last.physical_ids.items()
                 if '/' not in name and physical_id)
    if not top:
        pytest.skip('%s has no top-level resource with a physical id to '
                    'mark unhealthy' % lifecycle.template.name)
    target = top[0]
    since = len(driver.root_events(lifecycle.stack_id) or [])
    with case.timed('mark-unhealthy'):
        driver.call('mark-unhealthy', driver.heat.resources.mark_unhealthy,
                    lifecycle.stack_id, target, True, 'heat-functional')
        driver.retry_while_locked(
            'mark-unhealthy', driver.heat.stacks.update, lifecycle.stack_id,
            existing=True)
        stack = driver.wait(lifecycle.stack_id, 'UPDATE', 'mark-unhealthy',
                            since=since)
    case.agents = [{'marked_unhealthy': target}]
    return lifecycle_module.observe_and_check(
        lifecycle, ActionStep('mark-unhealthy', 'UPDATE_COMPLETE', [target]),
        stack, case, deployment)


def _abandon(lifecycle, case, deployment):
    driver = lifecycle.driver
    with case.timed('abandon'):
        data = driver.retry_while_locked('abandon', driver.heat.stacks.abandon,
                                         lifecycle.stack_id)
    lifecycle.abandoned = data
    lifecycle.stack_id = None   # the stack is gone; its resources are not
    case.observation = {'abandoned': abandoned_shape(data)}
    return []


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
        pytest.skip('Heat adopts only resources with an id; %s of %s have '
                    'none' % (', '.join(missing), lifecycle.template.name))
    create = lifecycle.template.steps[0]
    _, files, environment = create.load()
    driver = lifecycle.driver
    lifecycle.last = None
    with case.timed('adopt'):
        created = driver.call(
            'adopt', driver.heat.stacks.create, stack_name=case.stack_name(),
            template=data['template'], files=files,
            parameters=create.parameters, environment=environment,
            adopt_stack_data=json.dumps(data),
            tags=','.join(config.stack_tags()),
            disable_rollback=True)
        lifecycle.stack_id = created['stack']['id']
        stack = driver.wait(lifecycle.stack_id, 'ADOPT', 'adopt')
    return lifecycle_module.observe_and_check(
        lifecycle, ActionStep('adopt', 'ADOPT_COMPLETE'), stack, case,
        deployment)


_ACTIONS = {
    'preview': _preview,
    'create': lifecycle_module.create_from_template,
    'suspend': _stack_action('suspend', 'SUSPEND_COMPLETE'),
    'resume': _stack_action('resume', 'RESUME_COMPLETE'),
    'check': _stack_action('check', 'CHECK_COMPLETE'),
    'reads': _reads,
    'snapshot': _snapshot,
    'restore': _restore,
    'snapshot-delete': _snapshot_delete,
    'preview-update': _preview_update,
    'patch': _patch,
    'mark-unhealthy': _mark_unhealthy,
    'abandon': _abandon,
    'adopt': _adopt,
    'delete': lifecycle_module.delete_if_any,
}
