# Loads the netrepro pytest plugin, so that `pytest cases/` runs the case
# library: one test item per case id.
#
# An installed copy (`make install`) is loaded first, through its pytest11
# entry point, under the module's own name, netrepro_pytest: pytest then
# takes this request as already met rather than registering the plugin
# twice, and pytest_configure below says which file runs.
import os
import sys

import pytest

TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests")
sys.path.insert(0, TESTS)
pytest_plugins = ["netrepro_pytest"]


def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("netrepro_pytest")
    ours = os.path.join(TESTS, "netrepro_pytest.py")
    if plugin is not None and not os.path.samefile(plugin.__file__, ours):
        config.issue_config_time_warning(pytest.PytestConfigWarning(
            f"netrepro_pytest runs from {plugin.__file__}, an installed copy its entry point "
            f"loaded first, not from {ours} (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 runs this one)"),
            stacklevel=2)
