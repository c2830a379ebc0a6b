"""Wires the scenario suites to heat_functional.plugin (hooks and fixtures)."""

from heat_functional.plugin import action_runs  # noqa: F401
from heat_functional.plugin import case  # noqa: F401
from heat_functional.plugin import deployment  # noqa: F401
from heat_functional.plugin import failure_runs  # noqa: F401
from heat_functional.plugin import flips  # noqa: F401
from heat_functional.plugin import lifecycles  # noqa: F401
from heat_functional.plugin import migrations  # noqa: F401
from heat_functional.plugin import pytest_collection_finish  # noqa: F401
from heat_functional.plugin import pytest_collection_modifyitems  # noqa: F401,E501
from heat_functional.plugin import pytest_configure  # noqa: F401
from heat_functional.plugin import pytest_generate_tests  # noqa: F401
from heat_functional.plugin import pytest_runtest_logreport  # noqa: F401
from heat_functional.plugin import pytest_runtest_makereport  # noqa: F401
from heat_functional.plugin import pytest_sessionfinish  # noqa: F401
from heat_functional.plugin import pytest_sessionstart  # noqa: F401
from heat_functional.plugin import pytest_testnodedown  # noqa: F401
from heat_functional.plugin import pytest_unconfigure  # noqa: F401
