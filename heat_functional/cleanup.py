"""``heat-functional cleanup``: delete what earlier runs left on a cloud.

A run deletes its stacks as it goes, but one cut short (Ctrl-C, a lost
connection, a killed CI job) can leave some on an external cloud. Every
stack the harness creates is named ``<config.STACK_PREFIX>-...`` and
tagged with ``config.STACK_PREFIX`` and ``config.RUN_TAG_PREFIX`` + the
run's id (``config.stack_tags()``); ``report.json`` records the run id.

The clean-up lists the root stacks of each cloud given (the same
``--cloud``/``--toggle``/``--clouds-file`` options as the gate) and
selects (``select``) those that carry the harness's name prefix and tag,
optionally only one run's (``--run``). A stack without the tag is never
touched, whatever its name. Nested stacks are never selected: deleting
the root deletes them.

It never touches a run that may still be going:

- a run registered as alive on this machine (live_runs.py) keeps all
  its stacks; ``--run`` naming one is refused, naming its pids;
- a run one of whose stacks, on any of the clouds given, changed
  (``updated_time``, else ``creation_time``, as Heat lists them) within
  the last ``--older-than`` minutes keeps all its stacks: by default
  ``config.CLEANUP_OLDER_THAN``, which guards runs on other machines;
  with ``--run``, which names the run, no limit unless one is given. A
  stack without the run tag is judged on its own; one without any time
  is never old enough.

Each stack kept is listed with the reason. Each selected stack is
deleted and waited for; a stack that ends DELETE_FAILED, or whose delete
Heat refuses, is reported with Heat's message, and the exit status is
then 1. ``--dry-run`` lists what would be deleted and deletes nothing.

The embedded deployment needs none of this: its stacks live in
databases that go when its run ends.
"""

import collections
import concurrent.futures
import datetime
import sys

from heat_functional import client
from heat_functional import config
from heat_functional import live_runs
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


#: What select chose: the stacks to delete, and (stack, why) of the
#: harness's stacks it keeps.
Selection = collections.namedtuple('Selection', 'chosen kept')


def _time(text):
    """An API time (UTC, aware), or None if text is none."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except (AttributeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def changed_at(stack):
    """When a stack last changed: its updated_time, else its
    creation_time; None if it has neither."""
    return _time(stack.get('updated_time')) or \
        _time(stack.get('creation_time'))


def run_changes(stacks):
    """{run id: the latest change of any of its stacks, None if one has
    no time} of the runs tagging the harness's stacks among stacks."""
    latest = {}
    for stack in stacks:
        run = run_of(stack)
        if run is None or not is_harness_stack(stack):
            continue
        changed = changed_at(stack)
        if run not in latest:
            latest[run] = changed
        elif None not in (latest[run], changed):
            latest[run] = max(latest[run], changed)
        else:
            latest[run] = None
    return latest


def _too_recent(stack, changes, older_than, now):
    """Why the stack's run (or the stack, without one) changed too
    recently to be touched, or None."""
    run = run_of(stack)
    changed = changes.get(run) if run else changed_at(stack)
    subject = 'its run' if run else 'it'
    if changed is None:
        return '%s has a stack without a recorded time' % subject if run \
            else 'it has no recorded time'
    minutes = (now - changed).total_seconds() / 60
    if minutes < older_than:
        return '%s changed %.0f minutes ago, within --older-than %g' % (
            subject, max(minutes, 0), older_than)
    return None


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def select(stacks, run=None, older_than=None, now=None, live=None,
           changes=None):
    """What the clean-up deletes of stacks (dicts, as the API lists
    them): the harness's root stacks, of run `run` if given, of no run
    in `live` ({run id: pids}), and, if `older_than` is given, of no run
    that changed within `older_than` minutes before `now` (`changes`:
    {run id: its last change}, by default run_changes(stacks); a stack
    without a run tag is judged by its own last change)."""
    now = now or utc_now()
    live = live or {}
    ours = [s for s in stacks if is_harness_stack(s) and
            (run is None or run_of(s) == run)]
    changes = run_changes(ours) if changes is None else changes
    chosen, kept = [], []
    for stack in ours:
        why = None
        if run_of(stack) in live:
            why = 'run %s is alive on this machine (pid %s)' % (
                run_of(stack), ', '.join(map(str, live[run_of(stack)])))
        elif older_than is not None:
            why = _too_recent(stack, changes, older_than, now)
        if why:
            kept.append((stack, why))
        else:
            chosen.append(stack)
    return Selection(chosen, kept)


def describe_stack(stack):
    """One line naming a stack: name, id, status, run, creation and
    update times."""
    updated = stack.get('updated_time')
    return '%s (%s, %s, run %s, created %s%s)' % (
        stack.get('stack_name'), stack.get('id'), stack.get('stack_status'),
        run_of(stack) or 'not recorded', stack.get('creation_time'),
        ', updated %s' % updated if updated else '')


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


def older_than(args):
    """The --older-than limit in minutes: as given; else none for one
    named run (--run), config.CLEANUP_OLDER_THAN otherwise."""
    if args.older_than is not None:
        return args.older_than
    return None if args.run is not None else config.CLEANUP_OLDER_THAN


def list_cloud(deployment, name, out):
    """The harness-tagged stacks of one cloud, or None (said) if they
    cannot be listed."""
    try:
        return list_stacks(deployment.client(name))
    except Exception as error:  # heatclient or keystoneauth: say which
        out('cloud %s: cannot list stacks: %s'
            % (deployment.path_info(name)['cloud'],
               external.redact(client.heat_message(error))))
        return None


def clean_cloud(deployment, name, listed, args, out, live=None,
                changes=None):
    """Clean one cloud of the stacks `listed` on it, sparing the runs in
    `live` ({run id: pids}) and those `changes` ({run id: last change,
    on every cloud}) shows recent; return the number of stacks left
    behind."""
    cloud = deployment.path_info(name)['cloud']
    chosen, kept = select(listed, args.run, older_than(args), live=live,
                          changes=changes)
    out('cloud %s: %d stacks tagged %r, %d selected, %d kept%s'
        % (cloud, len(listed), config.STACK_PREFIX, len(chosen), len(kept),
           ' (dry run: nothing is deleted)' if args.dry_run else ''))
    for stack, why in kept:
        out('  kept %s: %s' % (describe_stack(stack), why))
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


def clean(deployment, names, args, out, live):
    """Clean the clouds `names`; a run's last change is the latest on
    any of them. Return the number of stacks left (a cloud that cannot
    be listed counts one)."""
    listings = {name: list_cloud(deployment, name, out) for name in names}
    changes = run_changes(stack for listed in listings.values()
                          for stack in listed or ())
    return sum(1 if listed is None else clean_cloud(
        deployment, name, listed, args, out, live, changes)
        for name, listed in listings.items())


def _error(text):
    sys.stderr.write('heat-functional cleanup: %s\n' % text)


def run(args, out=print, err=_error):
    """The command: 0 when nothing selected is left, 1 when something
    is, 2 when a cloud cannot be reached, the options are wrong, the
    run named is alive or the registry of live runs cannot be read."""
    try:
        if args.run is not None:
            config.check_run_id(args.run)
        named = clouds(args)
        live = live_runs.live() if named else {}
    except (ValueError, base.DeploymentError,
            live_runs.LiveRunsError) as error:
        err(str(error))
        return 2
    if not named:
        out('heat-functional cleanup: nothing to do: the embedded '
            'deployment\'s stacks go with its databases when its run ends. '
            'To clean a cloud, give --cloud PATH=CLOUD (and --clouds-file).')
        return 0
    if args.run in live:
        err('run %s is alive on this machine (pid %s): its stacks are not '
            'touched; stop it, or wait until it ends'
            % (args.run, ', '.join(map(str, live[args.run]))))
        return 2
    paths = {n: c for n, c in named.items() if n in config.PATHS}
    toggles = {n: (c, None) for n, c in named.items() if n not in paths}
    description = external.describe(paths, toggles, clouds_file=(
        args.clouds_file))
    try:
        external.check_credentials(description)
        deployment = external.ExternalDeployment(description)
        left = clean(deployment, named, args, out, live)
    except base.DeploymentError as error:
        err(external.redact(str(error)))
        return 2
    if left:
        err('%d stacks left' % left)
    return 1 if left else 0
