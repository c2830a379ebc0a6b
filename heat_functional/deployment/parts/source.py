"""A Heat git checkout as the embedded cells' Heat (``--heat-source``).

A Heat developer runs the gate on their own change: the cells import
Heat from the checkout instead of the installed openstack-heat, and the
report records which tree it was (``heat_source``: path, git commit,
whether the tree had uncommitted changes, and the version pbr gives it).

How the checkout takes the installed Heat's place, without touching
the environment or the checkout:

- the checkout comes first on the cells' PYTHONPATH, so ``import heat``
  finds its package (Heat finds its resource plugins by walking
  ``heat.engine.resources``, so they come from the checkout too);
- Heat also loads things through entry points (template versions,
  client plugins, constraints: ``[entry_points]`` of its setup.cfg) and
  takes its version from its package metadata. pbr writes both for the
  checkout (``setup.py egg_info``) into a private directory that comes
  second on PYTHONPATH; Python then finds that ``openstack-heat`` before
  the installed one, whose entry points and version it hides;
- the API pipeline is the checkout's ``etc/heat/api-paste.ini``.

Heat's own dependencies are those installed: a change that needs a
newer library needs it installed. Each cell reports where it imported
Heat from; a cell that did not take the checkout's fails the start.
"""

import os
import subprocess
import sys

from heat_functional.deployment import base

#: Files a Heat checkout has, relative to its top.
MARKERS = (os.path.join('heat', '__init__.py'), 'setup.cfg',
           os.path.join('etc', 'heat', 'api-paste.ini'))
#: Name of Heat's distribution, in its setup.cfg.
DISTRIBUTION = 'openstack-heat'
#: How long git and pbr's egg_info may take.
COMMAND_TIMEOUT = 120


def _git(path, *args):
    """Output of a git command in path; DeploymentError if it fails."""
    try:
        done = subprocess.run(['git', '-C', path] + list(args),
                              capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise base.DeploymentError('--heat-source %s: git %s: %s'
                                   % (path, ' '.join(args), error))
    if done.returncode != 0:
        raise base.DeploymentError(
            '--heat-source %s is not a git checkout (git %s: %s)'
            % (path, ' '.join(args), done.stderr.strip()))
    return done.stdout


def check_checkout(path):
    """The absolute path of a Heat checkout; DeploymentError naming what
    is missing when path is not one."""
    path = os.path.abspath(path)
    if not os.path.isdir(path):
        raise base.DeploymentError('--heat-source %s: no such directory'
                                   % path)
    missing = [m for m in MARKERS
               if not os.path.isfile(os.path.join(path, m))]
    if missing:
        raise base.DeploymentError(
            '--heat-source %s is not a Heat checkout: it has no %s'
            % (path, ', '.join(missing)))
    with open(os.path.join(path, 'setup.cfg')) as f:
        names = [line.split('=', 1)[1].strip() for line in f
                 if line.replace(' ', '').startswith('name=')]
    if DISTRIBUTION not in names[:1]:
        raise base.DeploymentError(
            '--heat-source %s is not a Heat checkout: its setup.cfg names '
            '%s, not %s' % (path, names[0] if names else 'nothing',
                            DISTRIBUTION))
    top = _git(path, 'rev-parse', '--show-toplevel').strip()
    if os.path.realpath(top) != os.path.realpath(path):
        raise base.DeploymentError(
            '--heat-source %s is inside the git work tree %s, not its top; '
            'give the top of a Heat checkout' % (path, top))
    return path


def git_state(path):
    """{commit, dirty} of a checkout: HEAD, and whether tracked files
    differ from it or untracked files (not ignored) exist."""
    return {'commit': _git(path, 'rev-parse', 'HEAD').strip(),
            'dirty': bool(_git(path, 'status', '--porcelain').strip())}


def write_metadata(path, egg_base, log_file):
    """Let pbr write the checkout's package metadata (version, entry
    points) into egg_base; return the version it gave the tree."""
    os.makedirs(egg_base, exist_ok=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
    with open(log_file, 'ab') as log:
        try:
            done = subprocess.run(
                [sys.executable, 'setup.py', '-q', 'egg_info',
                 '--egg-base', egg_base], cwd=path, env=env, stdout=log,
                stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise base.DeploymentError('--heat-source %s: setup.py '
                                       'egg_info: %s' % (path, error))
    info = [d for d in os.listdir(egg_base) if d.endswith('.egg-info')]
    if done.returncode != 0 or not info:
        from heat_functional.deployment import processes
        raise base.DeploymentError(processes.describe_failure(
            '--heat-source %s: pbr (setup.py egg_info)' % path,
            'exited with %s' % done.returncode, log_file))
    return read_version(os.path.join(egg_base, info[0], 'PKG-INFO'))


def read_version(pkg_info):
    """The Version: field of a PKG-INFO file, or None."""
    with open(pkg_info) as f:
        for line in f:
            if line.startswith('Version:'):
                return line.split(':', 1)[1].strip()
    return None


class HeatSource(object):
    """A checked Heat checkout, prepared for the cells of one deployment."""

    def __init__(self, path):
        self.path = check_checkout(path)
        self.egg_base = None
        self.info = dict(path=self.path, **git_state(self.path))

    @property
    def paste_config(self):
        return os.path.join(self.path, 'etc', 'heat', 'api-paste.ini')

    @property
    def heat_package(self):
        return os.path.join(self.path, 'heat')

    def prepare(self, workdir, log_file):
        """Write the metadata into the deployment's work directory."""
        self.egg_base = os.path.join(workdir, 'heat-source')
        self.info['version'] = write_metadata(self.path, self.egg_base,
                                              log_file)

    def python_path(self):
        """What comes first on the cells' PYTHONPATH."""
        return [self.path, self.egg_base]

    def check_cell(self, name, heat_path):
        """DeploymentError unless a cell imported Heat from the checkout."""
        if os.path.realpath(heat_path or '') != \
                os.path.realpath(self.heat_package):
            raise base.DeploymentError(
                'cell %r imported Heat from %s, not from --heat-source %s'
                % (name, heat_path, self.path))
