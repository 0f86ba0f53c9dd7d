"""Fixtures every pytest folder under tests/ shares."""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BINARY = os.path.join(ROOT, "build", "netrepro")


@pytest.fixture(scope="session")
def netrepro():
    """Path of build/netrepro, built once if missing."""
    if not os.access(BINARY, os.X_OK):
        r = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, "make failed:\n" + r.stdout + r.stderr
    assert os.access(BINARY, os.X_OK), BINARY + " was not built"
    return BINARY
