# Loads the netrepro pytest plugin, so that `pytest cases/` runs the case
# library: one test item per case id.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))
pytest_plugins = ["netrepro_pytest"]
