"""Load a script of tools/ (not a package) as a module, for its tests."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def load(name, folder='tools'):
    """<folder>/<name>.py (a tools/ script by default) as a module."""
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(ROOT, folder, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
