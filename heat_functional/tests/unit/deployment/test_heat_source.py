"""Unit tests of ``--heat-source``: inspecting a Heat checkout.

A checkout is recognised by its files, its setup.cfg's name and git;
anything else is refused naming what is missing. Its git state is HEAD
and whether it has changes (tracked or untracked, not ignored). pbr
writes its metadata outside the checkout, leaving it clean. The cells
get the checkout and that metadata first on PYTHONPATH, and a cell that
imported Heat from elsewhere is refused. The command refuses a checkout
that is not one, and --heat-source with the external target.
"""

import os
import subprocess

import pytest

from heat_functional import cli
from heat_functional import run_spec
from heat_functional.deployment import base
from heat_functional.deployment import embedded
from heat_functional.deployment.parts import source

SETUP_CFG = """[metadata]
name = openstack-heat

[files]
packages = heat

[entry_points]
heat.templates =
    heat_template_version.2099-01-01 = heat.engine:T
"""


def git(path, *args):
    return subprocess.run(
        ['git', '-C', str(path), '-c', 'user.name=t', '-c',
         'user.email=t@example.org'] + list(args),
        check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    top = tmp_path / 'heat'
    for name, text in (('heat/__init__.py', ''), ('setup.cfg', SETUP_CFG),
                       ('etc/heat/api-paste.ini', '[pipeline:x]\n'),
                       ('setup.py', 'import setuptools\n'
                        'setuptools.setup(setup_requires=["pbr"], '
                        'pbr=True)\n'),
                       ('.gitignore', '*.pyc\n')):
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text)
    git(top, 'init', '-q')
    git(top, 'add', '.')
    git(top, 'commit', '-q', '-m', 'first')
    return top


def test_a_checkout_is_recognised_with_its_commit(checkout):
    assert source.check_checkout(str(checkout)) == str(checkout)
    state = source.git_state(str(checkout))
    assert state == {'commit': git(checkout, 'rev-parse', 'HEAD'),
                     'dirty': False}
    (checkout / 'ignored.pyc').write_text('')
    assert not source.git_state(str(checkout))['dirty']


@pytest.mark.parametrize('change', ['tracked', 'untracked'])
def test_changes_make_the_tree_dirty(checkout, change):
    if change == 'tracked':
        (checkout / 'heat' / '__init__.py').write_text('x = 1\n')
    else:
        (checkout / 'heat' / 'new.py').write_text('')
    assert source.git_state(str(checkout))['dirty']


def test_not_a_checkout_is_refused_naming_what_is_missing(tmp_path,
                                                          checkout):
    with pytest.raises(base.DeploymentError, match='no such directory'):
        source.check_checkout(str(tmp_path / 'nothing'))
    (checkout / 'etc' / 'heat' / 'api-paste.ini').unlink()
    with pytest.raises(base.DeploymentError,
                       match='is not a Heat checkout: it has no '
                       'etc/heat/api-paste.ini'):
        source.check_checkout(str(checkout))


def test_another_project_is_refused(checkout):
    (checkout / 'setup.cfg').write_text('[metadata]\nname = nova\n')
    with pytest.raises(base.DeploymentError,
                       match='its setup.cfg names nova, not openstack-heat'):
        source.check_checkout(str(checkout))


def test_a_tree_without_git_is_refused(checkout):
    subprocess.run(['rm', '-rf', str(checkout / '.git')], check=True)
    with pytest.raises(base.DeploymentError, match='is not a git checkout'):
        source.check_checkout(str(checkout))


def test_pbr_writes_the_metadata_outside_the_checkout(tmp_path, checkout):
    git(checkout, 'tag', '-a', '-m', '1.0.0', '1.0.0')
    (checkout / 'heat' / 'engine.py').write_text('T = None\n')
    git(checkout, 'add', '.')
    git(checkout, 'commit', '-q', '-m', 'second')
    prepared = source.HeatSource(str(checkout))
    prepared.prepare(str(tmp_path / 'work'), str(tmp_path / 'pbr.log'))
    assert prepared.info['version'] == '1.0.1.dev1'
    info = tmp_path / 'work' / 'heat-source' / 'openstack_heat.egg-info'
    assert 'heat_template_version.2099-01-01' in \
        (info / 'entry_points.txt').read_text()
    assert not source.git_state(str(checkout))['dirty']
    assert not [n for n in os.listdir(checkout) if 'egg-info' in n]


def test_cells_import_heat_from_the_checkout(tmp_path, checkout):
    cells = embedded.EmbeddedCells(str(tmp_path / 'report'),
                                   heat_source=str(checkout))
    cells.heat_source.egg_base = str(tmp_path / 'egg')
    python_path = cells._cell_env()['PYTHONPATH'].split(os.pathsep)
    assert python_path[:2] == [str(checkout), str(tmp_path / 'egg')]
    assert cells._paste_config() == str(checkout / 'etc' / 'heat' /
                                        'api-paste.ini')
    assert str(checkout) not in cells.child_env()['PYTHONPATH']
    cells.heat_source.check_cell('legacy', str(checkout / 'heat'))
    with pytest.raises(base.DeploymentError,
                       match="cell 'legacy' imported Heat from /venv/heat"):
        cells.heat_source.check_cell('legacy', '/venv/heat')


def test_the_command_refuses_what_it_cannot_use(tmp_path, checkout):
    def environment(*argv):
        args = cli.build_parser().parse_args(['gate'] + list(argv))
        return cli.pytest_environment(args, str(tmp_path))

    env = environment('--heat-source', str(checkout))
    assert run_spec.current(env).heat_source == str(checkout)
    with pytest.raises(SystemExit, match='no such directory'):
        environment('--heat-source', str(tmp_path / 'none'))
    with pytest.raises(SystemExit, match='embedded deployment only'):
        environment('--heat-source', str(checkout), '--target', 'external',
                    '--cloud', 'legacy=a', '--cloud', 'convergence=b')


def test_read_version(tmp_path):
    pkg_info = tmp_path / 'PKG-INFO'
    pkg_info.write_text('Metadata-Version: 2.1\nName: openstack-heat\n'
                        'Version: 26.1.0.dev109\n')
    assert source.read_version(str(pkg_info)) == '26.1.0.dev109'
