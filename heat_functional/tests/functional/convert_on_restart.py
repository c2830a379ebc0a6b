"""A broken Heat for the functional tests: an engine that, restarted with
``convergence_engine`` on, turns every live stack of its database into a
convergence stack (the fault the flag lifecycle suite exists to catch,
seen once in a changed Heat).

Installed in one embedded cell through a ``sitecustomize`` module that
the test puts first on the children's PYTHONPATH (``sitecustomize``
below); every other process, and every other cell, stays untouched. In
the chosen cell, ``heat.engine.service.EngineService.start`` is wrapped
as the module is imported: the first start (the cell starting) is left
alone; a later one (the harness's restart of the engine) with the option
on sets ``stack.convergence`` on every live row, before the restart
returns to the harness, and says so in the cell's log.
"""

import importlib.abc
import importlib.util
import logging
import os
import sys

#: The cell to break, by name (``flip-on``): set in the run's environment.
CELL_ENV = 'HEAT_FUNCTIONAL_TEST_CONVERT_CELL'
#: The module whose EngineService is wrapped.
ENGINE_MODULE = 'heat.engine.service'
#: What the test writes as ``sitecustomize.py`` in a directory of its own.
SITECUSTOMIZE = ('from heat_functional.tests.functional import '
                 'convert_on_restart\nconvert_on_restart.install()\n')
#: The line the broken engine logs after converting.
LOG_LINE = 'test fault: the engine restart converted %d live stacks'

LOG = logging.getLogger('heat_functional.tests.convert_on_restart')


def install():
    """Break this process's Heat if it is the cell CELL_ENV names."""
    cell = os.environ.get(CELL_ENV)
    if cell and is_cell(sys.orig_argv, cell):
        sys.meta_path.insert(0, _Finder())


def is_cell(argv, name):
    """Whether argv starts the embedded cell `name` (its heat.conf lives
    in a directory of that name)."""
    if 'heat_functional.deployment.programs.heat_all' not in argv:
        return False
    return any(os.path.basename(os.path.dirname(arg)) == name
               for arg in argv if arg.endswith('heat.conf'))


class _Finder(importlib.abc.MetaPathFinder):
    """Wraps EngineService once its module has been executed."""

    def find_spec(self, fullname, path, target=None):
        if fullname != ENGINE_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _break(module.EngineService)
        spec.loader.exec_module = exec_module
        return spec


def _break(service):
    start = service.start
    started = []

    def start_and_convert(self):
        start(self)
        started.append(self)
        from oslo_config import cfg
        if len(started) > 1 and cfg.CONF.convergence_engine:
            LOG.warning(LOG_LINE, convert(cfg.CONF.database.connection))
    service.start = start_and_convert


def convert(url):
    """Set convergence on every live stack row; return how many."""
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            return connection.execute(sqlalchemy.text(
                'UPDATE stack SET convergence = :on '
                'WHERE deleted_at IS NULL AND convergence = :off'),
                {'on': True, 'off': False}).rowcount
    finally:
        engine.dispose()
