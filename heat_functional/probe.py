"""The black-box probe: a stack's path, told through the API alone.

For deployments whose database the harness cannot read. The two paths
answer a second update differently while a first one is still running
(``EngineService.update_stack`` in heat/engine/service.py): a convergence
stack starts a new traversal that supersedes the running one, so Heat
accepts the request; a legacy stack's update runs under the stack lock,
so Heat answers 409 ActionInProgress.

The probe, on a COMPLETE stack:

1. reads the stack's current template;
2. PATCH-updates the stack (``existing``: parameters, environment and
   files are kept) with that template plus one resource,
   ``heat_functional_probe``, an OS::Heat::TestResource whose create waits
   ``config.PROBE_WAIT`` seconds and which depends on every top-level
   resource, so that it is created last;
3. waits until the probe resource is being created and nothing else in
   the tree is in progress, then PATCH-updates the stack again with its
   own template: accepted -> convergence; 409 ActionInProgress -> legacy;
4. on legacy, sends the update of step 3 again once the first has ended;
   then waits until the stack has settled without the probe resource;
5. checks that every resource of the tree is still there with its
   physical id: the probe must change nothing but its own resource.

Why the probe resource comes last, and step 3 waits: on convergence, a
second update that arrives while the first traversal is still working on
the stack's other resources can break the stack (seen with
openstack-heat 27.0.1 under load, on a 2-core machine): the superseded
traversal's clean-up deleted a TemplateResource's nested stack that the
new traversal had just updated, the stack said UPDATE_COMPLETE and its
delete then hung in DELETE_IN_PROGRESS; or the new traversal preempted
a ResourceGroup's nested update and the stale traversal marked the
stack UPDATE_FAILED. Once the first traversal only waits on the probe
resource, the second update supersedes nothing else. Step 5 turns a loss
that still happens into an error naming the resources, not a hang later.

What it costs the stack: two (convergence) or three (legacy) updates that
change nothing but the probe resource, their events, and an
``UPDATE_COMPLETE`` status. It tells the root stack's flag only: nested
stacks follow their root, which the flag suites check wherever the
database is readable.
"""

import time

from heatclient import exc as heat_exc

from heat_functional import client
from heat_functional import config
from heat_functional import corpus

PROBE_RESOURCE = 'heat_functional_probe'


def with_probe_resource(template, after=()):
    """The template plus the probe resource (HOT or CFN), which depends
    on the resources named in after (the stack's top-level resources)."""
    return corpus.with_resource(
        template, PROBE_RESOURCE, 'OS::Heat::TestResource',
        {'action_wait_secs': {'create': config.PROBE_WAIT}}, after)


def answer_means_convergence(accepted, message=''):
    """Read the second update's answer: True (convergence), False
    (legacy); anything else is not an answer the probe understands."""
    if accepted:
        return True
    if 'ActionInProgress' in message:
        return False
    raise client.HeatError('probe: the second update was refused, but not '
                           'because an action is in progress: %s' % message)


def probe(driver, stack_id):
    """True if the stack is on the convergence path, False if legacy."""
    heat = driver.heat
    original = driver.call('probe: template show', heat.stacks.template,
                           stack_id)
    before = _physical_ids(driver, stack_id)
    top_level = {name for parent, name in before if parent is None}
    driver.call('probe: first update', heat.stacks.update, stack_id,
                template=with_probe_resource(original, top_level),
                existing=True)
    driver.wait_alone_in_progress(stack_id, PROBE_RESOURCE,
                                  'probe: first update')
    try:
        with driver._heat_errors('probe: second update',
                                 (heat_exc.HTTPConflict,)):
            heat.stacks.update(stack_id, template=original, existing=True)
        convergence = answer_means_convergence(True)
    except heat_exc.HTTPConflict as refused:
        convergence = answer_means_convergence(
            False, client.heat_message(refused))
    if not convergence:
        _wait_settled(driver, stack_id, probe_gone=False)
        driver.retry_while_locked('probe: restoring update',
                                  heat.stacks.update, stack_id,
                                  template=original, existing=True)
    _wait_settled(driver, stack_id, probe_gone=True)
    lost = lost_resources(before, _physical_ids(driver, stack_id))
    if lost:
        raise client.HeatError(
            'probe: stack %s lost %s during the probe\'s two updates (it '
            'must change nothing but %s): a Heat bug, see probe.py'
            % (stack_id, ', '.join(lost), PROBE_RESOURCE))
    return convergence


def _physical_ids(driver, stack_id):
    """{(parent stack id, resource name): physical id} of the tree; the
    parent of a top-level resource is None."""
    resources = driver.call('probe: resource list',
                            driver.heat.resources.list, stack_id,
                            nested_depth=config.MAX_NESTED_DEPTH)
    found = {}
    for resource in resources:
        parent = _parent_id(resource)
        if resource.resource_name != PROBE_RESOURCE:
            found[(None if parent == stack_id else parent,
                   resource.resource_name)] = resource.physical_resource_id
    return found


def _parent_id(resource):
    links = {link.get('rel'): link.get('href', '')
             for link in getattr(resource, 'links', None) or []}
    return links.get('stack', '').rstrip('/').split('/')[-1]


def lost_resources(before, after):
    """The resources of before that are gone, or have another physical
    id, in after: "name (stack)" strings, sorted."""
    return sorted('%s (of %s)' % (name, parent or 'the root')
                  for (parent, name), physical_id in before.items()
                  if after.get((parent, name)) != physical_id)


def _wait_settled(driver, stack_id, probe_gone):
    """Wait until the stack is no longer in progress (and, if probe_gone,
    no longer lists the probe resource)."""
    deadline = time.monotonic() + config.STACK_TIMEOUT
    while True:
        stack = driver.call('probe: stack show', driver.heat.stacks.get,
                            stack_id)
        settled = not stack.stack_status.endswith('_IN_PROGRESS')
        if settled and probe_gone:
            names = [r.resource_name for r in driver.call(
                'probe: resource list', driver.heat.resources.list,
                stack_id)]
            settled = PROBE_RESOURCE not in names
        if settled:
            return stack
        if time.monotonic() > deadline:
            raise client.HeatError('probe: stack %s did not settle within '
                                   '%d s (%s)' % (stack_id,
                                                  config.STACK_TIMEOUT,
                                                  stack.stack_status))
        time.sleep(config.SETTLE_INTERVAL)


def check_against_database(template, path, deployment, case):
    """Probe a new stack of the template on a path; the probe's answer,
    the database's flag and the path's option must all agree."""
    create = template.steps[0]
    body, files, environment = create.load()
    driver = client.StackDriver(deployment, path, template.name)
    stack_id = driver.create(case.stack_name(), body, files=files,
                             parameters=create.parameters,
                             environment=environment,
                             tags=[config.STACK_PREFIX])
    case.track(driver, stack_id)
    driver.wait(stack_id, 'CREATE', 'create')
    expected = deployment.convergence_engine(path)
    with case.timed('probe'):
        probed = probe(driver, stack_id)
    problems = case.check_flags(deployment, stack_id,
                                [{'id': stack_id, 'path': ''}], expected)
    stack = driver.call('show', driver.heat.stacks.get, stack_id)
    probed_row = {'id': stack_id, 'name': stack.stack_name, 'parent': None,
                  'path': '', 'depth': 0, 'convergence': probed,
                  'expected_convergence': expected, 'source': 'probe',
                  'deleted': False}
    case.stacks.append(probed_row)
    if probed != expected:
        problems.append('the probe says convergence=%s for stack %s of %s '
                        'on %s, whose new stacks get %s'
                        % (probed, stack.stack_name, template.name, path,
                           expected))
    if case.flags_unverified:
        case.require(problems)
        return
    root = case.stacks[0]
    if probed != root['convergence']:
        problems.append('the probe says convergence=%s for stack %s of %s, '
                        'the database says %s' % (probed, root['name'],
                                                  template.name,
                                                  root['convergence']))
    case.require(problems)
