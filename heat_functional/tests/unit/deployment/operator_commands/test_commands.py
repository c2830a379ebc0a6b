"""Unit tests of the operator commands (``deployment/operator_commands``).

Their templates survive spaces and fill the external target's
placeholders; a cloud name maps to its cell, or is refused naming the
cells there are; a wrong command line prints the usage (2); a missing
description or an unknown cell is one line on stderr (1); heat-manage's
command line takes every config file. No process is started.
"""

import shlex

import pytest

from heat_functional.deployment import base
from heat_functional.deployment.operator_commands import cloud
from heat_functional.deployment.operator_commands import command
from heat_functional.deployment.operator_commands import embedded


@pytest.mark.parametrize('module', [cloud, embedded])
def test_templates_survive_spaces_and_fill_placeholders(module):
    commands = module.templates('/r d/cloud.json', python='/v/py')
    argv = [part.format(cloud='heat-functional-flip-on',
                        convergence_engine='true')
            for part in shlex.split(commands['toggle_command'])]
    assert argv == ['/v/py', '-m', module.__name__,
                    '/r d/cloud.json', 'engine', 'heat-functional-flip-on',
                    'true']
    argv = shlex.split(commands['migrate_command'])
    assert argv[-3:] == ['migrate', '{cloud}', '{stack_id}']


def test_cell_of():
    cells = {'legacy': {}, 'flip-on': {}}
    assert command.cell_of('heat-functional-flip-on', cells) == 'flip-on'
    assert command.cell_of('legacy', cells) == 'legacy'
    with pytest.raises(base.DeploymentError, match="no cell 'devstack'"):
        command.cell_of('devstack', cells)


@pytest.mark.parametrize('module', [cloud, embedded])
def test_usage(module, capsys):
    assert module.main(['cloud.json', 'reboot', 'x', 'y']) == 2
    assert 'engine CLOUD' in capsys.readouterr().err


@pytest.mark.parametrize('module', [cloud, embedded])
def test_without_description(module, tmp_path, capsys):
    assert module.main([str(tmp_path / 'none.json'), 'engine', 'c',
                        'true']) == 1
    assert 'none.json' in capsys.readouterr().err


def test_embedded_commands_refuse_unknown_clouds(tmp_path, capsys):
    described = tmp_path / 'deployment.json'
    described.write_text('{"kind": "embedded", "paths": {"legacy": {}}}')
    assert embedded.main([str(described), 'migrate',
                          'heat-functional-other', 'x']) == 1
    assert "no cell 'other' in this deployment (it has legacy)" in \
        capsys.readouterr().err


def test_cloud_commands_refuse_unknown_clouds(tmp_path, capsys):
    described = tmp_path / 'cloud.json'
    described.write_text('{"kind": "cloud", "cells": {"legacy": {}}}')
    assert cloud.main([str(described), 'engine', 'heat-functional-other',
                       'true']) == 1
    assert "no cell 'other' in this deployment (it has legacy)" in \
        capsys.readouterr().err


def test_heat_manage_takes_every_config_file():
    argv = cloud.manage_argv(['/c/heat.conf', '/c/manage.conf'],
                             'migrate_convergence_1', 'sid')
    assert argv == ['heat-manage', '--config-file', '/c/heat.conf',
                    '--config-file', '/c/manage.conf',
                    'migrate_convergence_1', 'sid']
