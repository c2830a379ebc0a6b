"""Unit tests of tools/api_coverage.py: route templates, gabbit URLs, the
matching, the table and its generated file; fake routes and gabbits, no
Heat."""


import pytest

from heat_functional.tests.unit import tools

api_coverage = tools.load('api_coverage')

#: As Heat's mapper holds them, in its order.
ROUTES = [api_coverage.from_mapper(path, methods, name)
          for path, methods, name in [
              ('/{tenant_id}/stacks', 'GET', 'stack_index'),
              ('/{tenant_id}/stacks/preview', 'POST', 'stack_preview'),
              ('/{tenant_id}/stacks/{stack_name}', 'GET,POST,PUT,PATCH,DELETE',
               'stack_lookup'),
              ('/{tenant_id}/stacks/{stack_name:arn\\x3A.*}',
               'GET,POST,PUT,PATCH,DELETE', 'stack_lookup'),
              ('/{tenant_id}/stacks/{stack_name}/'
               '{path:resources|events|template}', 'GET',
               'stack_lookup_subpath'),
              ('/{tenant_id}/stacks/{stack_name}/{stack_id}', 'GET',
               'stack_show'),
              ('/{tenant_id}/stacks/{stack_name}/{stack_id}/resources/'
               '{resource_name}', ['PATCH'], 'resource_mark_unhealthy'),
          ]]


def request(method, path):
    return api_coverage.Request(method, path, 'g', 't')


def matched(method, path):
    covered, unmatched = api_coverage.coverage(ROUTES,
                                               [request(method, path)])
    names = [route.name for route, requests in covered.items() if requests]
    return names[0] if names else None


def test_from_mapper_drops_the_tenant_and_splits_methods():
    route = ROUTES[2]
    assert route.template == '/stacks/{stack_name}'
    assert route.methods == ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
    assert ROUTES[6].methods == ('PATCH',)


def test_a_variable_is_one_segment():
    regex = api_coverage.route_regex('/stacks/{stack_name}/{stack_id}')
    assert regex.match('/stacks/X-main/X')
    assert not regex.match('/stacks/X/X/resources')
    assert not regex.match('/stacks/X')


def test_a_variable_with_a_regex_uses_it():
    regex = api_coverage.route_regex(
        '/stacks/{stack_name}/{path:resources|events}')
    assert regex.match('/stacks/X/events')
    assert not regex.match('/stacks/X/snapshots')
    arn = api_coverage.route_regex('/stacks/{stack_name:arn\\x3A.*}')
    assert arn.match('/stacks/arn:openstack:heat::X:stacks/X-main/X')
    assert not arn.match('/stacks/main')


def test_literal_dots_are_not_wildcards():
    regex = api_coverage.route_regex('/template_versions/a.b')
    assert not regex.match('/template_versions/aXb')


@pytest.mark.parametrize('method, path, name', [
    ('GET', '/stacks', 'stack_index'),
    ('POST', '/stacks/preview', 'stack_preview'),   # before the lookup
    ('GET', '/stacks/preview', 'stack_lookup'),
    ('DELETE', '/stacks/X-main', 'stack_lookup'),
    ('GET', '/stacks/arn:openstack:heat::X:stacks/X-main/X', 'stack_lookup'),
    ('GET', '/stacks/X-main/resources', 'stack_lookup_subpath'),
    ('GET', '/stacks/X-main/X', 'stack_show'),
    ('PATCH', '/stacks/X-main/X/resources/thing', 'resource_mark_unhealthy'),
    ('GET', '/stacks/X-main/X/resources/thing', None),
    ('POST', '/stacks', None),
])
def test_a_request_counts_for_the_first_route_taking_it(method, path, name):
    assert matched(method, path) == name


def test_unmatched_requests_are_returned():
    covered, unmatched = api_coverage.coverage(
        ROUTES, [request('DELETE', '/build_info')])
    assert unmatched == [request('DELETE', '/build_info')]
    assert api_coverage.percent(covered) == 0.0


def test_substitutions_are_one_segment_each():
    path = api_coverage.request_path(
        "/stacks/$ENVIRON['NAME_PREFIX']-main/"
        "$HISTORY['create a stack'].$RESPONSE['$.stack.id']/resources/"
        "thing/events/$HISTORY[\"list a resource's events\"].$RESPONSE["
        "'$.events[?resource_status = \"CREATE_COMPLETE\"].id']"
        "?limit=1&marker=$RESPONSE['$.events[0].id']", {}, None)
    assert path == '/stacks/X-main/X/resources/thing/events/X'


def test_url_references_take_the_url_of_their_test():
    by_name = {'wait': '/stacks/X-main/X'}
    assert api_coverage.request_path(
        "$HISTORY['wait'].$URL/outputs", by_name, '/other') == \
        '/stacks/X-main/X/outputs'
    assert api_coverage.request_path('$LAST_URL/events', by_name,
                                     '/stacks/X/X') == '/stacks/X/X/events'
    assert api_coverage.request_path('$URL', by_name, None) == 'X'


def test_an_absolute_url_loses_scheme_host_and_project():
    assert api_coverage.request_path(
        'http://127.0.0.1:8004/v1/admin/stacks?name=x', {}, None) == \
        '/stacks'


def test_suite_requests_read_methods_urls_and_per_path():
    suite = {'tests': [
        {'name': 'create', 'POST': '/stacks', 'data': {}},
        {'name': 'show', 'url': "/stacks/a/$RESPONSE['$.stack.id']"},
        {'name': 'again', 'method': 'put', 'url': '$HISTORY[\'show\'].$URL',
         'per_path': {'reason': 'differs', 'legacy': {'method': 'PATCH'}}},
    ]}
    requests = api_coverage.suite_requests(suite, 'stacks')
    assert [(r.method, r.path, r.test) for r in requests] == [
        ('POST', '/stacks', 'create'),
        ('GET', '/stacks/a/X', 'show'),
        ('PUT', '/stacks/a/X', 'again'),
        ('PATCH', '/stacks/a/X', 'again'),
    ]
    assert {r.gabbit for r in requests} == {'stacks'}


def test_gabbit_requests_read_every_yaml_file(tmp_path):
    (tmp_path / 'one.yaml').write_text(
        'tests:\n- name: list\n  GET: /stacks\n')
    (tmp_path / 'two.yaml').write_text(
        'tests:\n- name: info\n  GET: /build_info\n')
    (tmp_path / 'notes.txt').write_text('not a gabbit')
    requests = api_coverage.gabbit_requests(str(tmp_path))
    assert [(r.gabbit, r.path) for r in requests] == [
        ('one', '/stacks'), ('two', '/build_info')]


def test_table_counts_requests_per_gabbit_and_names_the_gaps():
    requests = [api_coverage.Request('GET', '/stacks', 'stacks', 'a'),
                api_coverage.Request('GET', '/stacks', 'stacks', 'b'),
                api_coverage.Request('GET', '/stacks', 'errors', 'c')]
    covered, _ = api_coverage.coverage(ROUTES[:2], requests)
    text = api_coverage.table(covered, '27.0.1')
    assert '(Heat 27.0.1)' in text.splitlines()[0]
    assert '     - errors (1), stacks (2)' in text
    assert '     - ``/stacks/preview``\n     - **not covered**' in text
    assert text.endswith('1 of 2 routes covered (50.0 %).')


def test_the_table_goes_to_the_manuals_generated_file():
    assert api_coverage.TABLE == api_coverage.generated.path('api-coverage')
    assert api_coverage.TABLE.endswith(
        'doc/source/generated/api-coverage.rst')
