"""``heat-functional cleanup``: delete what earlier runs left on a cloud.

A run deletes its stacks as it goes, but one cut short (Ctrl-C, a lost
connection, a killed CI job) can leave some on an external cloud. Every
stack the harness creates is named ``<config.STACK_PREFIX>-...`` and
tagged with ``config.STACK_PREFIX`` and ``config.RUN_TAG_PREFIX`` + the
run's id (``config.stack_tags()``); ``report.json`` records the run id.

The clean-up lists the root stacks of each cloud given (the same
``--cloud``/``--toggle``/``--clouds-file`` options as the gate) and
selects (``select``) those that carry the harness's name prefix and tag,
optionally only one run's (``--run``) and only those created more than
``--older-than`` minutes ago. A stack without the tag is never touched,
whatever its name. Nested stacks are never selected: deleting the root
deletes them. Each selected stack is deleted and waited for; a stack
that ends DELETE_FAILED, or whose delete Heat refuses, is reported with
Heat's message, and the exit status is then 1. ``--dry-run`` lists what
would be deleted and deletes nothing.

The embedded deployment needs none of this: its stacks live in
databases that go when its run ends.
"""

import concurrent.futures
import datetime
import sys

from heat_functional import client
from heat_functional import config
from heat_functional.deployment import base
from heat_functional.deployment import external

#: Stacks listed per request.
PAGE = 100
#: Stacks deleted at the same time.
WORKERS = 4


def run_of(stack):
    """The run id in a stack's tags, or None."""
    for tag in stack.get('tags') or ():
        if tag.startswith(config.RUN_TAG_PREFIX):
            return tag[len(config.RUN_TAG_PREFIX):]
    return None


def is_harness_stack(stack):
    """A root stack named and tagged as the harness names and tags its
    stacks."""
    return (not stack.get('parent') and
            config.STACK_PREFIX in (stack.get('tags') or ()) and
            (stack.get('stack_name') or '').startswith(
                config.STACK_PREFIX + '-'))


def created_at(stack):
    """A stack's creation time (UTC, aware), or None if it has none."""
    text = stack.get('creation_time')
    try:
        created = datetime.datetime.fromisoformat(text.replace('Z',
                                                               '+00:00'))
    except (AttributeError, ValueError):
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=datetime.timezone.utc)
    return created


def select(stacks, run=None, older_than=None, now=None):
    """The stacks (dicts, as the API lists them) the clean-up deletes:
    the harness's root stacks, of run `run` if given, created more than
    `older_than` minutes before `now` if given."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    chosen = []
    for stack in stacks:
        if not is_harness_stack(stack):
            continue
        if run is not None and run_of(stack) != run:
            continue
        if older_than is not None:
            created = created_at(stack)
            if created is None or \
                    now - created < datetime.timedelta(minutes=older_than):
                continue
        chosen.append(stack)
    return chosen


def describe_stack(stack):
    """One line naming a stack: name, id, status, run and creation time."""
    return '%s (%s, %s, run %s, created %s)' % (
        stack.get('stack_name'), stack.get('id'), stack.get('stack_status'),
        run_of(stack) or 'not recorded', stack.get('creation_time'))


def clouds(args):
    """{name: cloud} of the command line's --cloud and --toggle pairs,
    one entry per distinct cloud."""
    named = {}
    known = dict(config.PATHS, **config.TOGGLES)
    for name, cloud in list(args.cloud) + list(args.toggle):
        if name not in known:
            raise base.DeploymentError(
                'unknown path or toggle %r in %s=%s (known: %s)'
                % (name, name, cloud, ', '.join(known)))
        if cloud not in named.values():
            named[name] = cloud
    return named


def list_stacks(heat):
    """Every root stack tagged config.STACK_PREFIX, as dicts."""
    stacks, marker = [], None
    while True:
        page = list(heat.stacks.list(limit=PAGE, marker=marker,
                                     tags=config.STACK_PREFIX))
        stacks += [s.to_dict() for s in page]
        if len(page) < PAGE:
            return stacks
        marker = page[-1].id


def delete(deployment, name, stack):
    """Delete a stack and wait; None when it is gone, else why not."""
    driver = client.StackDriver(deployment, name, stack['stack_name'])
    try:
        left = driver.delete(stack['id'])
    except client.HeatError as error:
        return external.redact(str(error))
    if left is None:
        return None
    return '%s: %s' % (left.stack_status, external.redact(
        getattr(left, 'stack_status_reason', '') or ''))


def clean_cloud(deployment, name, args, out):
    """Clean one cloud; return the number of stacks left behind."""
    cloud = deployment.path_info(name)['cloud']
    heat = deployment.client(name)
    try:
        listed = list_stacks(heat)
    except Exception as error:  # heatclient or keystoneauth: say which
        out('cloud %s: cannot list stacks: %s'
            % (cloud, external.redact(client.heat_message(error))))
        return 1
    chosen = select(listed, args.run, args.older_than)
    out('cloud %s: %d stacks tagged %r, %d selected%s'
        % (cloud, len(listed), config.STACK_PREFIX, len(chosen),
           ' (dry run: nothing is deleted)' if args.dry_run else ''))
    if args.dry_run:
        for stack in chosen:
            out('  would delete %s' % describe_stack(stack))
        return 0
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        failures = list(pool.map(
            lambda s: delete(deployment, name, s), chosen))
    for stack, failure in zip(chosen, failures):
        if failure is None:
            out('  deleted %s' % describe_stack(stack))
        else:
            out('  NOT deleted %s: %s' % (describe_stack(stack), failure))
    return sum(1 for failure in failures if failure is not None)


def _error(text):
    sys.stderr.write('heat-functional cleanup: %s\n' % text)


def run(args, out=print, err=_error):
    """The command: 0 when nothing selected is left, 1 when something
    is, 2 when a cloud cannot be reached or the options are wrong."""
    try:
        if args.run is not None:
            config.check_run_id(args.run)
        named = clouds(args)
    except (ValueError, base.DeploymentError) as error:
        err(str(error))
        return 2
    if not named:
        out('heat-functional cleanup: nothing to do: the embedded '
            'deployment\'s stacks go with its databases when its run ends. '
            'To clean a cloud, give --cloud PATH=CLOUD (and --clouds-file).')
        return 0
    paths = {n: c for n, c in named.items() if n in config.PATHS}
    toggles = {n: (c, None) for n, c in named.items() if n not in paths}
    description = external.describe(paths, toggles, clouds_file=(
        args.clouds_file))
    try:
        external.check_credentials(description)
        deployment = external.ExternalDeployment(description)
        left = sum(clean_cloud(deployment, name, args, out)
                   for name in named)
    except base.DeploymentError as error:
        err(external.redact(str(error)))
        return 2
    if left:
        err('%d stacks left' % left)
    return 1 if left else 0
