"""Reproduce, outside the harness, the Heat races known-bugs.yaml names.

Each race the harness resends past (``resend`` in
``heat_functional/known-bugs.yaml``) needs evidence that it is Heat's and
not the harness's. This tool shows it against the Heat installed beside
it, with no harness in between::

    python tools/heat_races.py yaql            # Heat's yaql parser
    python tools/heat_races.py yaql --threads 8 --parses 2000
    python tools/heat_races.py dropped-parameter

``yaql`` calls Heat's own code, from several threads at once, then from
one, with no deployment. ``dropped-parameter`` needs a Heat: it starts
the harness's embedded cells (SQLite, noauth; ``--deployment FILE``
uses the running deployment a ``deployment.json`` describes instead),
and reads a stack over Heat's API on each path while an update runs.

It prints what it saw, and exits 0 when the race showed (the evidence
holds), 1 when it did not (Heat may have fixed it: run it again on the
new Heat, and drop the entry if it stays clean). Run it in the
environment the gate uses, e.g.
``.tox/functional-convergence/bin/python tools/heat_races.py yaql``.
"""

import argparse
import collections
import os
import re
import sys
import tempfile
import threading
import time

#: A valid condition of the corpus (templates/v_2018_08_31.yaml).
EXPRESSION = '$.data.m.len() >= 3'


def yaql_parser():
    """Heat's own shared yaql parser, configured as an engine has it."""
    from heat.engine.hot import functions
    from oslo_config import cfg
    cfg.CONF([], project='heat')
    return functions.Yaql.get_yaql_parser()


def _shape(error):
    """An error's type and message, quoted parts and numbers elided."""
    message = re.sub(r"'[^']*'|\d+", '…', str(error))
    return '%s: %s' % (type(error).__name__, message)


def parse_concurrently(parse, expression, threads, parses):
    """Parse `expression` `parses` times in each of `threads` threads;
    return a Counter of the failures' shapes."""
    failures = collections.Counter()
    lock = threading.Lock()

    def work():
        for _ in range(parses):
            try:
                parse(expression)
            except Exception as error:  # every failure counts
                with lock:
                    failures[_shape(error)] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


def yaql(args):
    parse = yaql_parser()
    alone = parse_concurrently(parse, args.expression, 1,
                               args.threads * args.parses)
    shared = parse_concurrently(parse, args.expression, args.threads,
                                args.parses)
    total = args.threads * args.parses
    print('Heat Yaql.get_yaql_parser, %r, %d parses' % (args.expression,
                                                        total))
    print('  1 thread:   %d failed' % sum(alone.values()))
    print('  %d threads: %d failed' % (args.threads, sum(shared.values())))
    for shape, count in shared.most_common():
        print('    %5d  %s' % (count, shape))
    return 0 if shared and not alone else 1


#: A template whose parameter p is required, and the update that drops
#: it; `slow` is updated in place, and takes UPDATE_SECONDS doing so.
UPDATE_SECONDS = 3
REQUIRES_P = {
    'heat_template_version': '2021-04-16',
    'parameters': {'p': {'type': 'string'}},
    'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'one',
                                'action_wait_secs':
                                    {'update': UPDATE_SECONDS}}},
        'uses_p': {'type': 'OS::Heat::TestResource',
                   'properties': {'value': {'get_param': 'p'}}}}}
DROPS_P = {
    'heat_template_version': '2021-04-16',
    'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'two',
                                'action_wait_secs':
                                    {'update': UPDATE_SECONDS}}},
        'uses_p': {'type': 'OS::Heat::TestResource',
                   'properties': {'value': 'fixed'}}}}
#: How often the stack is read while its update runs.
READ_INTERVAL = 0.05


def _status(heat, stack_id):
    """The stack's status, or what Heat said when it refused to show it."""
    from heatclient import exc
    try:
        return heat.stacks.get(stack_id, resolve_outputs=False).stack_status
    except exc.HTTPException as error:
        from heat_functional import client
        return client.heat_message(error)


def _settle(heat, stack_id, timeout=120):
    deadline = time.monotonic() + timeout
    status = _status(heat, stack_id)
    while status.endswith('IN_PROGRESS') and time.monotonic() < deadline:
        time.sleep(READ_INTERVAL)
        status = _status(heat, stack_id)
    return status


def reads_during_update(heat, name):
    """Create a stack of REQUIRES_P, update it to DROPS_P, and read it
    every READ_INTERVAL s until the update ends; a Counter of what each
    read showed (its status, or what Heat said)."""
    stack_id = heat.stacks.create(stack_name=name, template=REQUIRES_P,
                                  parameters={'p': 'given'})['stack']['id']
    try:
        created = _settle(heat, stack_id)
        if created != 'CREATE_COMPLETE':
            raise RuntimeError('the stack was not created: %s' % created)
        heat.stacks.update(stack_id, template=DROPS_P, parameters={})
        seen = collections.Counter()
        deadline = time.monotonic() + 10 * UPDATE_SECONDS + 60
        while time.monotonic() < deadline:
            status = _status(heat, stack_id)
            seen[status] += 1
            if status.endswith('_COMPLETE') or status.endswith('_FAILED'):
                return seen
            time.sleep(READ_INTERVAL)
        raise RuntimeError('the update did not end: %s' % dict(seen))
    finally:
        heat.stacks.delete(stack_id)
        _settle(heat, stack_id)


def _on_each_path(description, name):
    from heat_functional import config
    from heat_functional import deployment
    handle = deployment.attach(description)
    return {path: reads_during_update(handle.client(path), name)
            for path in config.PATH_NAMES}


def dropped_parameter(args):
    from heat_functional import deployment
    name = 'heat-races-dropped-parameter-%d' % os.getpid()
    if args.deployment:
        seen = _on_each_path(deployment.load_description(args.deployment),
                             name)
    else:
        with tempfile.TemporaryDirectory() as report_dir:
            with deployment.owner_for('embedded', report_dir, db='sqlite',
                                      auth='noauth') as cells:
                seen = _on_each_path(cells.description, name)
    refused = {}
    for path, statuses in sorted(seen.items()):
        refused[path] = sum(count for status, count in statuses.items()
                            if 'was not provided' in status)
        print('%s: %d reads during the update' % (
            path, sum(statuses.values())))
        for status, count in statuses.most_common():
            print('    %5d  %s' % (count, status))
    return 0 if refused['legacy'] and not refused['convergence'] else 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    races = parser.add_subparsers(dest='race', required=True)
    found = races.add_parser('yaql', help='yaql-parser-shared-by-threads')
    found.add_argument('--threads', type=int, default=8)
    found.add_argument('--parses', type=int, default=2000,
                       help='parses per thread')
    found.add_argument('--expression', default=EXPRESSION)
    found.set_defaults(run=yaql)
    dropped = races.add_parser(
        'dropped-parameter',
        help='legacy-update-stores-new-environment-with-old-template')
    dropped.add_argument('--deployment', metavar='FILE',
                         help='the deployment.json of running cells')
    dropped.set_defaults(run=dropped_parameter)
    args = parser.parse_args(argv)
    if args.run is yaql and (args.threads < 2 or args.parses < 1):
        parser.error('--threads must be at least 2, --parses at least 1')
    return args.run(args)


if __name__ == '__main__':
    sys.exit(main())
