"""Unit tests of heat_functional.run_spec: the one spec of a run, from
the command line's JSON or from a by-hand run's variables."""

import pytest

from heat_functional import config
from heat_functional import run_spec


def test_the_spec_goes_through_one_variable_and_comes_back_whole():
    spec = run_spec.RunSpec(
        report_dir='/r', paths=('convergence',), db='sqlite',
        auth='noauth', templates_dir='/t', environments=('/e.yaml',),
        only='a,b', actions='all', failures=None, repeat=3, strict=True,
        heat_source='/heat', toggles=False)
    environ = run_spec.export(spec, {})
    assert list(environ) == [config.RUN_SPEC_ENV]
    assert run_spec.current(environ) == spec


def test_a_given_spec_wins_over_the_per_setting_variables():
    spec = run_spec.RunSpec(report_dir='/r', repeat=2)
    environ = run_spec.export(spec, {config.REPEAT_ENV: '5',
                                     config.PATHS_ENV: 'legacy'})
    assert run_spec.current(environ).repeat == 2
    assert run_spec.current(environ).paths == tuple(config.PATH_NAMES)


def test_a_by_hand_run_takes_its_variables(tmp_path):
    spec = run_spec.current({
        config.REPORT_DIR_ENV: str(tmp_path), config.PATHS_ENV: 'legacy',
        config.DB_ENV: 'sqlite', config.REPEAT_ENV: '0',
        config.STRICT_ENV: '1', config.ENVIRONMENTS_ENV: '["/a", "/b"]',
        config.ACTIONS_ENV: 'all', config.TOGGLES_ENV: '0'})
    assert (spec.report_dir, spec.paths, spec.db, spec.repeat,
            spec.strict, spec.environments) == (
        str(tmp_path), ('legacy',), 'sqlite', 1, True, ('/a', '/b'))
    assert spec.action_templates() is None
    assert spec.failure_templates() == config.FAILURE_TEMPLATES
    assert spec.failure_templates(shipped=False) is None
    assert spec.templates_dir == config.SHIPPED_TEMPLATES
    assert spec.toggle_cells() == []


def test_a_by_hand_run_with_an_unknown_path_is_refused():
    with pytest.raises(ValueError, match='unknown path'):
        run_spec.current({config.PATHS_ENV: 'legacy,sideways'})


def test_toggle_cells_need_both_paths_and_toggles_on():
    both = run_spec.RunSpec(report_dir='/r')
    assert both.toggle_cells() == list(config.TOGGLES)
    assert run_spec.RunSpec(report_dir='/r', paths=('legacy',)) \
        .toggle_cells() == []
    assert run_spec.RunSpec(report_dir='/r', toggles=False) \
        .toggle_cells() == []
