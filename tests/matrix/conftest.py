"""Fixtures for the `netrepro matrix` tests: the binary, the seed ids, the
run-record schema, and a folder of stand-in tools that only leave a mark."""
import json
import os
import stat
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="session")
def nr(netrepro):
    """nr(*args, cwd=ROOT, timeout=120, env=None) -> CompletedProcess (text)."""
    def _run(*args, cwd=ROOT, timeout=120, env=None):
        return subprocess.run([netrepro, *map(str, args)], cwd=str(cwd), capture_output=True, text=True,
                              timeout=timeout, env=env)
    return _run


@pytest.fixture(scope="session")
def seed_ids(nr):
    r = nr("list", "cases/seed")
    assert r.returncode == 0, r.stderr
    ids = r.stdout.split()
    assert ids, "cases/seed lists no case"
    return ids




@pytest.fixture
def tripwires(tmp_path):
    """Stand-ins for qemu-system-x86_64 and apt-get, first on PATH: each only
    writes a mark. Returns (env, marks folder)."""
    bin_dir, marks = tmp_path / "tripwire-bin", tmp_path / "tripwire-marks"
    bin_dir.mkdir()
    marks.mkdir()
    for tool in ("qemu-system-x86_64", "apt-get"):
        p = bin_dir / tool
        p.write_text('#!/bin/sh\necho "$@" >> "%s/%s"\nexit 1\n' % (marks, tool))
        p.chmod(p.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ.get("PATH", "/usr/bin:/bin")))
    return env, marks
