"""Unit tests of the templates the actions, failures and probe suites run on
(plugin.suite_templates and the parametrisation of those suites).

On the shipped corpus they keep config's lists; on another directory
every template whose create is expected to complete (a template meant
to fail, or one that needs the harness as an agent, is left out), unless
--actions/--failures or the directory's settings file name others.
"""

import types

import yaml

from heat_functional import config
from heat_functional import plugin

HOT = 'heat_template_version: 2021-04-16\nresources: {}\n'


class FakeMetafunc(object):
    def __init__(self, function, fixturenames):
        self.fixturenames = fixturenames
        self.function = types.SimpleNamespace(__name__=function)

    def parametrize(self, names, values):
        self.names, self.values = names, values


def user_directory(tmp_path, settings=None):
    for name in ('a.yaml', 'topic/b.yaml', 'topic/fails.yaml'):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HOT)
    (tmp_path / 'topic' / 'fails.lifecycle.yaml').write_text(
        yaml.safe_dump({'expect': {'status': 'CREATE_FAILED'}}))
    if settings is not None:
        (tmp_path / config.SUITE_SETTINGS_FILE).write_text(
            yaml.safe_dump(settings))
    return str(tmp_path)


def templates_of(monkeypatch, directory, function):
    for variable in (config.ACTIONS_ENV, config.FAILURES_ENV,
                     config.ONLY_ENV, config.ENVIRONMENTS_ENV):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(config.TEMPLATES_ENV, directory)
    monkeypatch.setenv(config.PATHS_ENV, 'legacy')
    metafunc = FakeMetafunc(function, ['template', 'step', 'path'])
    plugin.pytest_generate_tests(metafunc)
    return sorted({param.values[0].name for param in metafunc.values})


def test_every_suite_runs_on_a_users_templates(monkeypatch, tmp_path):
    directory = user_directory(tmp_path)
    for function in ('test_actions', 'test_failures', 'test_probe'):
        assert templates_of(monkeypatch, directory, function) == \
            ['a', 'topic/b'], function


def test_the_settings_file_narrows_each_suite(monkeypatch, tmp_path):
    directory = user_directory(tmp_path, {'actions': ['topic/b'],
                                          'probe': ['a']})
    assert templates_of(monkeypatch, directory, 'test_actions') == \
        ['topic/b']
    assert templates_of(monkeypatch, directory, 'test_probe') == ['a']
    assert templates_of(monkeypatch, directory, 'test_failures') == \
        ['a', 'topic/b']


def test_the_options_still_choose(monkeypatch, tmp_path):
    directory = user_directory(tmp_path, {'actions': ['topic/b']})
    monkeypatch.setenv(config.ACTIONS_ENV, 'a')
    monkeypatch.setenv(config.TEMPLATES_ENV, directory)
    assert plugin.suite_templates('actions') == ('a',)


def test_the_shipped_corpus_keeps_its_lists(monkeypatch):
    monkeypatch.delenv(config.ACTIONS_ENV, raising=False)
    monkeypatch.setenv(config.TEMPLATES_ENV, config.SHIPPED_TEMPLATES)
    assert plugin.suite_templates('actions') == config.ACTION_TEMPLATES
    assert plugin.suite_templates('probe') == config.PROBE_TEMPLATES
    assert templates_of(monkeypatch, config.SHIPPED_TEMPLATES,
                        'test_probe') == sorted(config.PROBE_TEMPLATES)
