"""Fixtures for the tests of the pytest plugin (tests/netrepro_pytest.py).

Each test runs pytest in a subprocess: on the repository (whose conftest.py
loads the plugin), or on a throw-away project (a `cases/` folder and a copy
of `fixtures/`) with the plugin from the tree (`-p netrepro_pytest`) or
installed the way `make install` lays it out.
"""
import glob
import os
import re
import shutil
import subprocess
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON = "/usr/bin/python3"


def install_plugin(pydir):
    """The plugin as `make install` puts it in PREFIX/lib/python3/dist-packages:
    the module beside its hand-written python/netrepro_pytest-*.dist-info."""
    os.makedirs(pydir, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "tests", "netrepro_pytest.py"), pydir)
    for info in glob.glob(os.path.join(ROOT, "python", "netrepro_pytest-*.dist-info")):
        shutil.copytree(info, os.path.join(pydir, os.path.basename(info)))
    return pydir


def logging_binary(folder, tag, log, real):
    """folder/netrepro: appends "TAG SUBCOMMAND" to log, then runs real."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(str(folder), "netrepro")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\necho "{tag} $1" >> "{log}"\nexec "{real}" "$@"\n')
    os.chmod(path, 0o755)
    return path


def dist_version():
    """The version in python/netrepro_pytest-VERSION.dist-info's name."""
    (info,) = glob.glob(os.path.join(ROOT, "python", "netrepro_pytest-*.dist-info"))
    return re.fullmatch(r"netrepro_pytest-(.+)\.dist-info", os.path.basename(info)).group(1)


def clean_env(**extra):
    """This environment without what would steer the inner pytest (the
    outer run's PYTEST_* and xdist variables, NETREPRO, PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k not in ("NETREPRO", "PYTHONPATH")}
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


@pytest.fixture
def run_pytest():
    """run_pytest(*args, cwd, **env) -> CompletedProcess (text): pytest in a
    subprocess, the cache plugin off, env = clean_env(**env)."""
    def _run(*args, cwd=ROOT, timeout=300, **env):
        return subprocess.run([PYTHON, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=str(cwd),
                              env=clean_env(**env), capture_output=True, text=True, timeout=timeout)
    return _run


@pytest.fixture
def project(tmp_path):
    """A throw-away project: tmp/cases/ (empty) and a copy of fixtures/."""
    shutil.copytree(os.path.join(ROOT, "fixtures"), tmp_path / "fixtures")
    (tmp_path / "cases").mkdir()
    return tmp_path


@pytest.fixture
def write_case(project):
    """write_case(rel, body): cases/<rel>.case in the project."""
    def _write(rel, body):
        path = project / "cases" / (rel + ".case")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip("\n"))
        return path
    return _write


@pytest.fixture
def tree_plugin(netrepro):
    """Environment for a project outside the repository: the tree's plugin
    (pass "-p", "netrepro_pytest") and build/netrepro."""
    return {"PYTHONPATH": os.path.join(ROOT, "tests"), "NETREPRO": netrepro}


class Helpers:
    """What the tests use, as one fixture (test modules do not import conftest)."""
    root = ROOT
    install_plugin = staticmethod(install_plugin)
    logging_binary = staticmethod(logging_binary)
    dist_version = staticmethod(dist_version)


@pytest.fixture(scope="session")
def plug():
    return Helpers
