"""Which routes of Heat's orchestration API v1 the gabbits exercise.

Reads the routes from the installed Heat (the mapper that
``heat.api.openstack.v1.API`` builds, so the list follows Heat), the
requests from ``gabbits/*.yaml``, matches each request to the first route
that takes its method and path (as Heat's router does), and writes a
reStructuredText table, a row per route, to the manual's generated file
``doc/source/generated/api-coverage.rst`` (through ``generated.py``, the
one writer of such files), which ``doc/source/coverage.rst`` includes::

    python tools/api_coverage.py              # update the table
    python tools/api_coverage.py --check      # exit 1 if it is out of date
                                              # or coverage is under --min

Routes are Heat's named routes; the 405 and OPTIONS answers Heat's router
adds for every URL are not counted. In a gabbit URL, a substitution
(``$ENVIRON[...]``, ``$RESPONSE[...]``, ``$HISTORY[...].$RESPONSE[...]``)
stands for one path segment; ``$URL`` and ``$LAST_URL`` are replaced by
the URL of the test they name; the query string is ignored.
"""

import argparse
import collections
import glob
import os
import re
import sys
import urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import generated  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The generated file of the manual that holds the table.
TABLE = generated.path('api-coverage')
TOOL = 'tools/api_coverage.py'
#: Route templates start with the project; gabbit URLs start after it.
TENANT = '/{tenant_id}'
PLACEHOLDER = 'X'

Route = collections.namedtuple('Route', 'methods template name')
Request = collections.namedtuple('Request', 'method path gabbit test')


# -- Heat's routes ---------------------------------------------------------
def heat_routes():
    """The named routes of the installed Heat's v1 API, in router order,
    and Heat's version."""
    import warnings
    warnings.simplefilter('ignore')
    from oslo_config import cfg

    from heat.common import messaging
    from heat import version
    cfg.CONF([], project='heat')
    messaging.setup('fake://')
    from heat.api.openstack import v1
    routes = []
    for route in v1.API({}).map.matchlist:
        if route.name is None:
            continue
        routes.append(from_mapper(route.routepath,
                                  route.conditions['method'], route.name))
    return routes, version.version_info.version_string()


def from_mapper(routepath, methods, name):
    """A Route from what the Routes mapper holds."""
    if isinstance(methods, str):
        methods = methods.split(',')
    template = routepath
    if template.startswith(TENANT):
        template = template[len(TENANT):]
    return Route(tuple(m.strip().upper() for m in methods), template, name)


def route_regex(template):
    """A regex for a route template: ``{name}`` is one segment,
    ``{name:regex}`` its regex (Routes' own convention)."""
    parts, position = [], 0
    for match in re.finditer(r'\{(\w+)(?::([^}]*))?\}', template):
        parts.append(re.escape(template[position:match.start()]))
        parts.append('(?:%s)' % match.group(2) if match.group(2)
                     else '[^/]+')
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile('^%s$' % ''.join(parts))


# -- the gabbits' requests ---------------------------------------------------
_QUOTED = r"""\[(['"]).*?\1\]"""
_HISTORY = r"(?:\$HISTORY%s\.)?" % _QUOTED
#: $URL or $LAST_URL, maybe of a named earlier test.
_URL_REF = re.compile(r"""(?:\$HISTORY\[(['"])(?P<test>.*?)\1\]\.)?"""
                      r"""\$(?P<kind>LAST_URL|URL)\b""")
#: Every other substitution.
_SUBSTITUTION = re.compile(
    r"%s\$[A-Z_]+(?::\w+)?(?:%s)?" % (_HISTORY, _QUOTED.replace(
        r'\1', r'\2')))


def _method_and_url(test):
    for key, value in test.items():
        if key.isupper():
            return key, value
    return test.get('method', 'GET').upper(), test.get('url')


def request_path(url, by_name, prior):
    """The path of a gabbit URL with substitutions made placeholders."""
    def resolve(match):
        if match.group('kind') == 'URL' and match.group('test'):
            return by_name.get(match.group('test'), PLACEHOLDER)
        return prior or PLACEHOLDER
    url = _URL_REF.sub(resolve, url)
    url = _SUBSTITUTION.sub(PLACEHOLDER, url)
    if re.match(r'^\w+://', url):
        url = re.sub(r'^/v1/[^/]+', '', urllib.parse.urlsplit(url).path)
    return url.split('?', 1)[0]


def suite_requests(suite, gabbit):
    """Every (method, path) a loaded gabbit sends, per_path variants
    included."""
    requests, by_name, prior = [], {}, None
    for test in suite.get('tests', []):
        variants = [test] + [dict(test, **overrides) for path, overrides
                             in (test.get('per_path') or {}).items()
                             if isinstance(overrides, dict)]
        seen = set()
        for variant in variants:
            variant = {k: v for k, v in variant.items() if k != 'per_path'}
            method, url = _method_and_url(variant)
            if not url:
                continue
            path = request_path(str(url), by_name, prior)
            if (method, path) not in seen:
                seen.add((method, path))
                requests.append(Request(method, path, gabbit,
                                        test.get('name')))
        if requests:
            by_name[test.get('name')] = requests[-1].path
            prior = requests[-1].path
    return requests


def gabbit_requests(directory):
    requests = []
    for filename in sorted(glob.glob(os.path.join(directory, '*.yaml'))):
        with open(filename) as f:
            suite = yaml.safe_load(f)
        label = os.path.splitext(os.path.basename(filename))[0]
        requests += suite_requests(suite or {}, label)
    return requests


# -- matching and the table ------------------------------------------------
def coverage(routes, requests):
    """{route: [requests]} for every route, each request counted at the
    first route that takes it; and the requests no route takes."""
    compiled = [(route, route_regex(route.template)) for route in routes]
    covered = collections.OrderedDict((route, []) for route in routes)
    unmatched = []
    for request in requests:
        for route, regex in compiled:
            if request.method in route.methods and regex.match(
                    request.path):
                covered[route].append(request)
                break
        else:
            unmatched.append(request)
    return covered, unmatched


def percent(covered):
    if not covered:
        return 0.0
    return 100.0 * sum(1 for r in covered.values() if r) / len(covered)


def table(covered, heat_version):
    done = sum(1 for r in covered.values() if r)
    lines = [
        '.. list-table:: Routes of the orchestration API v1 (Heat %s) and '
        'the gabbits that request them' % heat_version,
        '   :header-rows: 1',
        '',
        '   * - Method',
        '     - Route',
        '     - Gabbits (requests)',
    ]
    for route, requests in covered.items():
        by_gabbit = collections.Counter(r.gabbit for r in requests)
        cell = ', '.join('%s (%d)' % item for item in sorted(
            by_gabbit.items())) or '**not covered**'
        lines += ['   * - %s' % ', '.join(route.methods),
                  '     - ``%s``' % route.template,
                  '     - %s' % cell]
    lines += ['', '%d of %d routes covered (%.1f %%).' % (
        done, len(covered), percent(covered))]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=TABLE,
                        help='the table\'s file (default: the manual\'s, '
                        '%(default)s)')
    parser.add_argument('--gabbits', default=os.path.join(ROOT, 'gabbits'))
    parser.add_argument('--check', action='store_true',
                        help='change nothing; exit 1 if the table is out '
                        'of date or coverage is under --min')
    parser.add_argument('--min', type=float, default=90.0,
                        help='least coverage, in %%, --check accepts '
                        '(default: %(default)s)')
    args = parser.parse_args(argv)
    routes, heat_version = heat_routes()
    covered, unmatched = coverage(routes, gabbit_requests(args.gabbits))
    wanted = generated.text(table(covered, heat_version), TOOL)
    print('%.1f %% of %d routes covered' % (percent(covered), len(covered)))
    for route, requests in covered.items():
        if not requests:
            print('  not covered: %s %s' % (','.join(route.methods),
                                            route.template))
    for request in unmatched:
        print('  no named route takes %s %s (%s: %s)' % request)
    changed = generated.update(args.out, wanted, check=args.check)
    if args.check:
        problems = []
        if changed:
            problems.append('the table in %s is out of date; run '
                            'tools/api_coverage.py' % args.out)
        if percent(covered) < args.min:
            problems.append('coverage is under %.1f %%' % args.min)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    if changed:
        print('updated %s' % args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
