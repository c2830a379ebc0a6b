"""The gabbi tests of the orchestration API (``gabbits/*.yaml``), on every
path.

Every test of every file runs once per path, as one pytest case with an
id such as ``test_gabbi[stacks-create_stack-legacy]``; its case record has
the template ``gabbits/<file>``, the scenario ``gabbi/<test name>`` and no
parity (``parity: none``): a gabbit states what the API must answer, on
each path, and checks it there.

The tests of a file run in order on one worker (``xdist_group``), as gabbi
runs them: a test run on its own runs its prior tests first. Once a test
of a file fails on a path, the file's later tests on that path are
skipped, naming it. After the file's last test on a path (or at the end
of the worker's session, if that test did not run), every stack, software
deployment and software config whose name starts with the file's
``NAME_PREFIX`` is deleted, and the last test fails if any is left.

What the YAML can use besides plain gabbi:

- ``$ENVIRON['NAME_PREFIX']``: a prefix unique to the file, path and run
  (``hf-gabbi-<file>-<path>-<hex>``), for stack names, software config
  names and server ids, so that the clean-up finds them;
- ``$ENVIRON['HEAT_PATH']``: ``legacy`` or ``convergence``;
- ``$ENVIRON['PROJECT_ID']``: the endpoint's project (its last segment);
- ``$ENVIRON['WITHOUT_KEYSTONE']``: why the target has no keystone (the
  embedded cells on noauth), else empty: ``skip:`` it where a test needs
  keystone, so that it runs wherever keystone is;
- ``per_path``: where the answer legitimately differs per path, a test
  says so with a ``reason`` and the keys that replace its own on a path::

      - name: a second update while the first runs
        PUT: ...
        status: 202
        per_path:
          reason: legacy holds the stack lock for the whole update
          legacy:
            status: 409

The target is the path of the run's deployment (embedded cells, on
noauth or keystone, or an external target: its client gives the endpoint
and a token), or a real cloud when ``$HEAT_FUNCTIONAL_GABBI_ENDPOINT``
(``.../v1/<project>``) is set, with ``$HEAT_FUNCTIONAL_GABBI_TOKEN`` sent
as ``X-Auth-Token``; both may be given per path with the path's name as a
suffix (``..._ENDPOINT_CONVERGENCE``), which wins over the unsuffixed one.
"""

import contextlib
import copy
import glob
import os
import re
import secrets
import time
import unittest
import urllib.parse

import httpx
import pytest
import yaml

from gabbi import handlers as gabbi_handlers
from gabbi import suitemaker
from gabbi import utils as gabbi_utils

from heat_functional import config as settings
from heat_functional import corpus

#: Keys a test may give in per_path besides the path names.
PER_PATH_REASON = 'reason'


# -- the YAML --------------------------------------------------------------
class GabbitError(ValueError):
    """A gabbit is malformed; the message names the file and test."""


def gabbit_files(directory=None):
    directory = directory or settings.SHIPPED_GABBITS
    return sorted(glob.glob(os.path.join(directory, '*.yaml')))


def file_label(filename):
    return os.path.splitext(os.path.basename(filename))[0]


def slug(name):
    return re.sub(r'[^A-Za-z0-9_.]+', '_', name.strip().lower()).strip('_')


class _Loader(corpus.SAFE_LOADER):
    """Safe YAML (on libyaml's parser where PyYAML has it, as Heat's
    template parser is) that keeps dates as strings, as Heat's template
    parser does: ``heat_template_version: 2021-04-16`` stays what Heat is
    sent."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag != 'tag:yaml.org,2002:timestamp']
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load(filename):
    with open(filename) as f:
        suite = yaml.load(f, Loader=_Loader)
    if not isinstance(suite, dict) or not isinstance(suite.get('tests'),
                                                     list):
        raise GabbitError('%s: a gabbit is a mapping with a list of '
                          '"tests"' % filename)
    return suite


def for_path(suite, path, filename='gabbit'):
    """A copy of a loaded gabbit with each test's per_path applied for
    `path`: the path's keys replace the test's own; per_path needs a
    reason and knows only the paths."""
    suite = copy.deepcopy(suite)
    for test in suite['tests']:
        per_path = test.pop('per_path', None)
        if per_path is None:
            continue
        where = '%s, test %r' % (filename, test.get('name'))
        if not isinstance(per_path, dict) or not str(
                per_path.get(PER_PATH_REASON) or '').strip():
            raise GabbitError('%s: per_path needs a "reason" saying why '
                              'the paths differ' % where)
        unknown = set(per_path) - set(settings.PATH_NAMES) - {
            PER_PATH_REASON}
        if unknown:
            raise GabbitError('%s: per_path names unknown path(s) %s; '
                              'known: %s' % (where, ', '.join(sorted(
                                  unknown)), ', '.join(settings.PATH_NAMES)))
        test.update(copy.deepcopy(per_path.get(path) or {}))
    return suite


def gabbit_test_names(filename):
    """The names of a gabbit's tests, in order; unique by their slug.
    Raises GabbitError for a bad per_path too."""
    suite = load(filename)
    for path in settings.PATH_NAMES:
        for_path(suite, path, filename)
    names = [t.get('name') for t in suite['tests']]
    seen = set()
    for name in names:
        if not name or slug(name) in seen:
            raise GabbitError('%s: test names must be given and unique '
                              '(%r)' % (filename, name))
        seen.add(slug(name))
    return names


# -- targets ---------------------------------------------------------------
NOAUTH = ('the embedded cells run without keystone (noauth), and Heat '
          'needs keystone for this')


def target(path):
    """(endpoint, token) of a path's real cloud, if one is configured."""
    def setting(name):
        return (os.environ.get('%s_%s' % (name, path.upper())) or
                os.environ.get(name) or None)
    endpoint = setting(settings.GABBI_ENDPOINT_ENV)
    if endpoint:
        return endpoint.rstrip('/'), setting(settings.GABBI_TOKEN_ENV)
    return None, None


def embedded_target(deployment, path):
    """(endpoint, token, why there is no keystone) of a path's cell."""
    if deployment.description.get('auth', 'noauth') == 'noauth':
        return deployment.endpoint(path), None, NOAUTH
    # The path's client knows its endpoint and how to get a token.
    http = deployment.client(path).http_client
    return http.get_endpoint().rstrip('/'), http.get_token(), ''


class Suite(object):
    """One gabbit on one path: its gabbi tests, state and clean-up."""

    def __init__(self, filename, path, endpoint, token, without_keystone=''):
        self.filename = filename
        self.label = file_label(filename)
        self.path = path
        self.endpoint = endpoint
        self.token = token
        self.without_keystone = without_keystone
        self.prefix = '%s-gabbi-%s-%s-%s' % (
            settings.STACK_PREFIX, re.sub(r'[^A-Za-z0-9]', '', self.label),
            path, secrets.token_hex(3))
        self.failed = None
        self.cleaned = False
        self.tests = self._build()
        self._http = None

    def environ(self):
        return {'NAME_PREFIX': self.prefix, 'HEAT_PATH': self.path,
                'PROJECT_ID': self.endpoint.rstrip('/').rsplit('/', 1)[-1],
                'WITHOUT_KEYSTONE': self.without_keystone}

    def _build(self):
        suite = for_path(load(self.filename), self.path, self.filename)
        defaults = suite.setdefault('defaults', {})
        # gabbi's own default is 30 s; the harness gives every other call
        # to Heat API_TIMEOUT. Seen: five gabbits' first POST /stacks timed
        # out at 30 s on a machine loaded by a second deployment. A test's
        # own ``timeout:`` still wins.
        defaults.setdefault('timeout', settings.API_TIMEOUT)
        host, port, prefix, ssl = gabbi_utils.host_info_from_target(
            self.endpoint)
        if ssl:
            defaults['ssl'] = True
        else:
            # Plain HTTP has no certificate to check, and gabbi's client
            # for each test would otherwise load the CA bundle: 35 ms of
            # CPU per test, measured.
            defaults.setdefault('cert_validate', False)
        if self.token:
            defaults.setdefault('request_headers', {})['x-auth-token'] = \
                self.token
        handlers = [handler() for handler in gabbi_handlers.RESPONSE_HANDLERS]
        built = suitemaker.test_suite_from_dict(
            unittest.TestLoader(), self.label, suite,
            os.path.dirname(self.filename), host, port, None, None,
            prefix=prefix, handlers=handlers,
            test_loader_name='heat_functional.gabbits')
        return {test.test_data['name']: test for test in built}

    def run(self, name):
        """Run one gabbi test (and, gabbi-style, its priors not yet run);
        ('passed'|'failed'|'error'|'skipped'|'xfail'|'xpass', detail)."""
        test = self.tests[name]
        result = _Result()
        with _environ(self.environ()):
            test.run(result)
        return result.outcome or ('passed', None), test

    # -- clean-up ---------------------------------------------------------
    def _request(self, method, url, **kwargs):
        if self._http is None:
            # One client for the whole clean-up: each new one costs a
            # connection, and for HTTPS the CA bundle's loading.
            headers = {'accept': 'application/json'}
            if self.token:
                headers['x-auth-token'] = self.token
            self._http = httpx.Client(headers=headers,
                                      timeout=settings.API_TIMEOUT)
        return self._http.request(method, self.endpoint + url, **kwargs)

    def _mine(self, url, key, field):
        response = self._request('GET', url)
        response.raise_for_status()
        return [item for item in response.json()[key]
                if str(item.get(field) or '').startswith(self.prefix)]

    def _delete(self, url):
        """DELETE, repeated while legacy still holds a finished stack's
        lock (409); a 404 means it is gone already."""
        deadline = time.monotonic() + settings.LOCK_RETRY_TIMEOUT
        while True:
            status = self._request('DELETE', url).status_code
            if status != 409 or time.monotonic() > deadline:
                return status
            time.sleep(settings.SETTLE_INTERVAL)

    def clean_up(self):
        """Delete what the file left; one message per thing left over."""
        self.cleaned = True
        try:
            return self._clean_up()
        finally:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _clean_up(self):
        left = []
        for deployment in self._mine('/software_deployments',
                                     'software_deployments', 'server_id'):
            self._delete('/software_deployments/%s' % deployment['id'])
        for config in self._mine('/software_configs', 'software_configs',
                                 'name'):
            self._delete('/software_configs/%s' % config['id'])
        deadline = time.monotonic() + settings.STACK_TIMEOUT
        asked = set()
        while True:
            stacks = self._mine('/stacks', 'stacks', 'stack_name')
            if not stacks or time.monotonic() > deadline:
                break
            for stack in stacks:
                again = stack['stack_status'] == 'DELETE_FAILED'
                if stack['id'] not in asked or again:
                    asked.add(stack['id'])
                    self._delete('/stacks/%s/%s' % (
                        urllib.parse.quote(stack['stack_name']),
                        stack['id']))
            time.sleep(settings.SETTLE_INTERVAL)
        left += ['stack %s (%s) is left behind in %s'
                 % (s['stack_name'], s['stack_status'], s['id'])
                 for s in stacks]
        left += ['software config %s (%s) is left behind' % (c['name'],
                                                             c['id'])
                 for c in self._mine('/software_configs',
                                     'software_configs', 'name')]
        left += ['software deployment %s is left behind' % d['id']
                 for d in self._mine('/software_deployments',
                                     'software_deployments', 'server_id')]
        return left


class _Result(unittest.TestResult):
    """The outcome of the one gabbi test asked for."""

    outcome = None

    def addFailure(self, test, err):
        self.outcome = ('failed', err[1])

    def addError(self, test, err):
        self.outcome = ('error', err[1])

    def addSkip(self, test, reason):
        self.outcome = ('skipped', reason)

    def addExpectedFailure(self, test, err):
        self.outcome = ('xfail', err[1])

    def addUnexpectedSuccess(self, test):
        self.outcome = ('xpass', None)


@contextlib.contextmanager
def _environ(values):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- pytest ----------------------------------------------------------------
class Gabbit(object):
    """A pytest parameter: one test of one gabbit (or, for a gabbit that
    cannot be read, the error that says why)."""

    def __init__(self, filename, name, last, error=None):
        self.filename = filename
        self.label = file_label(filename)
        self.name = name
        self.last = last
        self.error = error

    def __repr__(self):
        return '%s-%s' % (self.label, slug(self.name))


def pytest_generate_tests(metafunc):
    if 'gabbit' not in metafunc.fixturenames:
        return
    params = []
    for filename in gabbit_files():
        label = file_label(filename)
        group = pytest.mark.xdist_group('gabbi.' + label)
        try:
            names = gabbit_test_names(filename)
        except (yaml.YAMLError, GabbitError) as err:
            # The file's one case fails with the reason; the others run.
            params.append(pytest.param(
                Gabbit(filename, 'load', True, error=str(err)),
                id='%s-load' % label, marks=group))
            continue
        params += [pytest.param(
            Gabbit(filename, name, i == len(names) - 1),
            id='%s-%s' % (label, slug(name)), marks=group)
            for i, name in enumerate(names)]
    metafunc.parametrize('gabbit', params)


@pytest.fixture(scope='session')
def gabbi_suites(request):
    """This worker's gabbits per (file, path); what a cut-short file left
    is cleaned up when the worker ends."""
    suites = {}

    def get(gabbit, path):
        key = (gabbit.filename, path)
        if key not in suites:
            endpoint, token = target(path)
            without_keystone = ''
            if endpoint is None:
                endpoint, token, without_keystone = embedded_target(
                    request.getfixturevalue('deployment'), path)
            suites[key] = Suite(gabbit.filename, path, endpoint, token,
                                without_keystone)
        return suites[key]

    yield get
    for suite in suites.values():
        if not suite.cleaned:
            suite.clean_up()


def _no_parity(case):
    """Gabbi cases are compared with their YAML, not across paths."""
    record = case.record

    def with_marker(*args, **kwargs):
        return dict(record(*args, **kwargs), parity='none')
    case.record = with_marker


def test_gabbi(gabbit, path, gabbi_suites, case):
    case.template = 'gabbits/%s' % gabbit.label
    case.scenario = 'gabbi/%s' % gabbit.name
    _no_parity(case)
    if gabbit.error:
        case.require(['%s cannot be read: %s' % (gabbit.filename,
                                                 gabbit.error)])
    suite = gabbi_suites(gabbit, path)
    problems = []
    try:
        if suite.failed:
            pytest.skip('%r failed earlier on %s' % (suite.failed, path))
        with case.timed('gabbi'):
            (outcome, detail), test = suite.run(gabbit.name)
        if outcome in ('failed', 'error', 'xpass'):
            suite.failed = gabbit.name
            problems.append(_failure(test, outcome, detail))
        elif outcome == 'skipped':
            pytest.skip(str(detail))
        elif outcome == 'xfail':
            pytest.xfail('expected to fail: %s (%s)' % (
                test.test_data.get('desc') or gabbit.name,
                _first_line(detail)))
    finally:
        if gabbit.last:
            with case.timed('clean-up'):
                left = suite.clean_up()
            if left:  # fails the case even when it was skipped
                case.require(problems + left)
    case.require(problems)


def _failure(test, outcome, detail):
    request = '%s %s' % (test.test_data.get('method'),
                         getattr(test, 'url', test.test_data.get('url')))
    if outcome == 'xpass':
        return '%s: passed, but the gabbit expects it to fail (xfail)' % (
            request)
    if outcome == 'failed' and isinstance(detail, AssertionError):
        return '%s: %s' % (request, detail)
    return '%s: %s: %s' % (request, type(detail).__name__, detail)


def _first_line(detail):
    lines = str(detail).strip().splitlines()
    return lines[0] if lines else type(detail).__name__
