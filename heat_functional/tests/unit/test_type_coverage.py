"""Unit tests of tools/type_coverage.py: which types a report shows
exercised on both paths, exclusions, the table, its generated file and
--check; crafted reports, no Heat."""

import json

import pytest

from heat_functional.tests.unit import tools

type_coverage = tools.load('type_coverage')

TYPES = ['OS::Heat::None', 'OS::Heat::Value', 'OS::Keystone::Project']


def case(template, path, types, outcome='passed', scenario='lifecycle/x'):
    return {'id': '%s-%s' % (template, path), 'template': template,
            'scenario': scenario, 'path': path, 'outcome': outcome,
            'observation': {'stack': 'CREATE_COMPLETE', 'resources': {
                'r%d' % n: {'type': t, 'status': 'CREATE_COMPLETE'}
                for n, t in enumerate(types)}}}


def report(cases, types=None, heat_version='27.0.1'):
    types = TYPES if types is None else types
    return {'heat_version': heat_version,
            'paths': {'legacy': {}, 'convergence': {}},
            'resource_types': {'legacy': list(types),
                               'convergence': list(types)},
            'cases': cases}


def test_a_type_counts_only_where_both_paths_passed_with_it():
    done = type_coverage.exercised(report([
        case('a', 'legacy', ['OS::Heat::Value']),
        case('a', 'convergence', ['OS::Heat::Value']),
        case('b', 'legacy', ['OS::Heat::Value', 'OS::Heat::None']),
        case('b', 'convergence', ['OS::Heat::Value', 'OS::Heat::None'],
             outcome='failed'),
    ]), ['legacy', 'convergence'])
    assert done == {'OS::Heat::Value': ['a'], 'OS::Heat::None': []}


def test_the_two_paths_may_see_a_type_in_different_steps():
    done = type_coverage.exercised(report([
        case('a', 'legacy', ['OS::Heat::None'], scenario='lifecycle/create'),
        case('a', 'convergence', [], scenario='lifecycle/create'),
        case('a', 'convergence', ['OS::Heat::None'],
             scenario='lifecycle/grow'),
    ]), ['legacy', 'convergence'])
    assert done == {'OS::Heat::None': ['a']}


def test_other_cells_and_cases_without_observation_do_not_count():
    cases = [case('a', 'flip-on', ['OS::Heat::Value']),
             case('a', 'legacy', ['OS::Heat::Value']),
             {'id': 'g', 'template': 'gabbi', 'path': 'legacy',
              'outcome': 'passed', 'observation': None},
             {'id': 'd', 'template': 'a', 'path': 'convergence',
              'outcome': 'passed', 'observation': {'stack':
                                                   'DELETE_COMPLETE'}}]
    done = type_coverage.exercised(report(cases), ['legacy', 'convergence'])
    assert done == {'OS::Heat::Value': []}


def test_nested_resources_count_by_their_own_type():
    nested = case('g', 'legacy', [])
    nested['observation']['resources'] = {
        'group': {'type': 'OS::Heat::ResourceGroup'},
        'group/0': {'type': 'OS::Heat::Value'}}
    other = json.loads(json.dumps(nested))
    other['path'] = 'convergence'
    done = type_coverage.exercised(report([nested, other]),
                                   ['legacy', 'convergence'])
    assert done == {'OS::Heat::ResourceGroup': ['g'],
                    'OS::Heat::Value': ['g']}


def both(template, types):
    return [case(template, 'legacy', types),
            case(template, 'convergence', types)]


def test_rows_reasons_and_problems():
    rows, problems = type_coverage.coverage(
        report(both('a', ['OS::Heat::Value', 'files/pair.yaml'])),
        {'OS::Keystone::Project': 'needs neutron'})
    assert rows == [
        type_coverage.Row('OS::Heat::None', [], None,
                          ['legacy', 'convergence']),
        type_coverage.Row('OS::Heat::Value', ['a'], None,
                          ['legacy', 'convergence']),
        type_coverage.Row('OS::Keystone::Project', [], 'needs neutron',
                          ['legacy', 'convergence'])]
    assert problems == ['OS::Heat::None is offered but neither exercised on '
                        'legacy and convergence nor excluded '
                        '(tools/type-exclusions.yaml)']


def test_an_exclusion_of_an_exercised_type_is_a_problem():
    _, problems = type_coverage.coverage(
        report(both('a', TYPES)), {'OS::Heat::Value': 'it cannot work'})
    assert len(problems) == 1
    assert problems[0].startswith('OS::Heat::Value is excluded (it cannot '
                                  'work) but exercised by a')


def test_a_type_offered_on_one_path_only_is_said_so():
    built = report([], types=['OS::Heat::None'])
    built['resource_types']['convergence'].append('OS::Heat::Value')
    rows, problems = type_coverage.coverage(
        built, {'OS::Heat::None': 'x', 'OS::Heat::Value': 'y'})
    assert problems == []
    text = type_coverage.table(rows, built)
    assert '(offered on convergence only)' in text


def test_unlisted_types_are_an_error():
    built = report([])
    built['resource_types']['legacy'] = 'not listed: connection refused'
    with pytest.raises(type_coverage.CoverageError, match='legacy'):
        type_coverage.offered_types(built)
    with pytest.raises(type_coverage.CoverageError, match='no resource'):
        type_coverage.offered_types({'cases': []})


def test_the_table():
    built = report(both('b', ['OS::Heat::Value']) +
                   both('a', ['OS::Heat::Value', 'OS::Heat::None']))
    rows, _ = type_coverage.coverage(
        built, {'OS::Keystone::Project': 'needs neutron'})
    assert type_coverage.table(rows, built) == '\n'.join([
        ".. list-table:: Resource types Heat 27.0.1 offers the harness's "
        "user and the templates exercising them on legacy and convergence",
        '   :header-rows: 1',
        '',
        '   * - Resource type',
        '     - Templates, or why none',
        '   * - ``OS::Heat::None``',
        '     - a',
        '   * - ``OS::Heat::Value``',
        '     - a, b',
        '   * - ``OS::Keystone::Project``',
        '     - *not exercised*: needs neutron',
        '',
        '2 of 3 offered types exercised on legacy and convergence; '
        '1 excluded.',
    ])


def test_exclusions_file(tmp_path):
    path = tmp_path / 'ex.yaml'
    path.write_text('OS::Keystone::Project: >\n  needs\n  neutron\n')
    assert type_coverage.load_exclusions(str(path)) == {
        'OS::Keystone::Project': 'needs neutron'}
    path.write_text('OS::Keystone::Project: ""\n')
    with pytest.raises(type_coverage.CoverageError):
        type_coverage.load_exclusions(str(path))


def test_the_shipped_exclusions_file_loads():
    loaded = type_coverage.load_exclusions(type_coverage.EXCLUSIONS)
    assert all(kind.startswith(('OS::', 'AWS::')) for kind in loaded)


def _files(tmp_path, built, exclusions):
    report_file = tmp_path / 'report.json'
    report_file.write_text(json.dumps(built))
    ex = tmp_path / 'ex.yaml'
    ex.write_text(json.dumps(exclusions))
    table = tmp_path / 'generated' / 'type-coverage.rst'
    return ['--out', str(table), '--exclusions', str(ex),
            str(report_file)], table


def test_main_writes_then_check_passes(tmp_path, capsys):
    args, table = _files(tmp_path, report(both('a', TYPES)), {})
    assert type_coverage.main(['--check'] + args) == 1   # no file yet
    assert not table.exists()
    assert 'differs from the report' in capsys.readouterr().err
    assert type_coverage.main(args) == 0
    text = table.read_text()
    assert text.startswith('.. Written by tools/type_coverage.py')
    assert '``OS::Heat::None``' in text
    assert type_coverage.main(['--check'] + args) == 0


def test_check_fails_on_a_table_edited_by_hand(tmp_path, capsys):
    args, table = _files(tmp_path, report(both('a', TYPES)), {})
    assert type_coverage.main(args) == 0
    table.write_text(table.read_text().replace('``OS::Heat::None``',
                                               '``OS::Heat::Nothing``'))
    assert type_coverage.main(['--check'] + args) == 1
    assert 'Nothing' in table.read_text()   # --check changes nothing
    assert type_coverage.main(args) == 0
    assert type_coverage.main(['--check'] + args) == 0


def test_check_fails_on_a_type_neither_exercised_nor_excluded(
        tmp_path, capsys):
    args, _ = _files(tmp_path, report(both('a', ['OS::Heat::Value'])),
                     {'OS::Keystone::Project': 'needs neutron'})
    assert type_coverage.main(args) == 1
    assert type_coverage.main(['--check'] + args) == 1
    assert 'OS::Heat::None is offered but neither' in capsys.readouterr().err


def test_an_unwritable_table_is_an_error(tmp_path, capsys):
    args, table = _files(tmp_path, report(both('a', TYPES)), {})
    table.parent.write_text('a file where the folder should be')
    assert type_coverage.main(args) == 2
    assert 'type_coverage: ' in capsys.readouterr().err


def test_a_partial_run_is_named_as_such(tmp_path, capsys):
    corpus = tmp_path / 'templates'
    corpus.mkdir()
    for name in ('a', 'b'):
        (corpus / (name + '.yaml')).write_text('{}')
        (corpus / (name + '.lifecycle.yaml')).write_text('{}')
    args, _ = _files(tmp_path, report(both('a', ['OS::Heat::Value'])), {})
    assert type_coverage.main(['--templates', str(corpus)] + args) == 1
    assert ('1 shipped templates ran no lifecycle (b)'
            in capsys.readouterr().err)
    assert type_coverage.templates_not_run(
        report(both('a', []) + both('b', [])), str(corpus)) == []


def test_the_harness_own_resources_do_not_count():
    from heat_functional import actions
    from heat_functional import config
    from heat_functional import failures
    from heat_functional import probe
    for name in (actions.CHANGE_MARKER, failures.FAIL_RESOURCE,
                 failures.SLOW_RESOURCE, probe.PROBE_RESOURCE):
        assert name.startswith(config.HARNESS_RESOURCE_PREFIX)
    cases = []
    for path in ('legacy', 'convergence'):
        made = case('a', path, ['OS::Heat::Value'],
                    scenario='failures/x/y')
        made['observation']['resources'][failures.SLOW_RESOURCE] = {
            'type': 'OS::Heat::TestResource', 'status': 'CREATE_COMPLETE'}
        cases.append(made)
    done = type_coverage.exercised(report(cases), ['legacy', 'convergence'])
    assert done == {'OS::Heat::Value': ['a']}
