"""Reproduce, outside the harness, the Heat races known-bugs.yaml names.

Each race the harness resends past (``resend`` in
``heat_functional/known-bugs.yaml``) needs evidence that it is Heat's and
not the harness's. This tool shows it against the Heat installed beside
it, with no deployment, no harness and no template: Heat's own code, from
several threads at once, then from one::

    python tools/heat_races.py yaql            # Heat's yaql parser
    python tools/heat_races.py yaql --threads 8 --parses 2000

It prints how many calls failed, and how, and exits 0 when the race
showed (the evidence holds), 1 when it did not (Heat may have fixed it:
run it again on the new Heat, and drop the entry if it stays clean).
Run it in the environment the gate uses, e.g.
``.tox/functional-convergence/bin/python tools/heat_races.py yaql``.
"""

import argparse
import collections
import re
import sys
import threading

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
    args = parser.parse_args(argv)
    if args.threads < 2 or args.parses < 1:
        parser.error('--threads must be at least 2, --parses at least 1')
    return args.run(args)


if __name__ == '__main__':
    sys.exit(main())
