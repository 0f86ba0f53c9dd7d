"""What the report tests share: the binary, a record of the seed cases, the
same record as another kernel would give it, and headless Chromium."""
import copy
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NETREPRO = os.path.join(ROOT, "build", "netrepro")
SCHEMA = os.path.join(ROOT, "reports", "run.schema.json")
KCIDB_SCHEMA = os.path.join(ROOT, "tests", "reports", "schemas", "kcidb-v5.3.schema.json")
PYTHON = "/usr/bin/python3"


def netrepro(*args, check=None, env=None, cwd=ROOT):
    proc = subprocess.run([NETREPRO, *args], capture_output=True, text=True, cwd=cwd,
                          env=None if env is None else dict(os.environ, **env))
    if check is not None:
        assert proc.returncode == check, proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def seed_record(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "seed.json"
    netrepro("run", "--json", str(path), "cases/seed", check=0)
    with open(path) as f:
        return path, json.load(f)


@pytest.fixture(scope="module")
def seed_ids():
    return netrepro("list", "cases/seed", check=0).stdout.split()


def other_kernel(record, tmp_path, release="6.1.0-50-amd64", errno_change=True):
    """The same record as if run on another kernel where one step answered
    differently: what a kernel matrix produces."""
    rec = copy.deepcopy(record)
    rec["environment"]["kernel"]["release"] = release
    case = next(c for c in rec["cases"] if c["id"] == "seed/realm-dualstack[v6only=0]")
    step = next(s for s in case["steps"] if s["call"] == "bind(s4, 0.0.0.0:443)")
    if errno_change:
        step.update(ret=0, errno=None, observed="0", status="fail")
        case["status"] = "FAIL"
        rec["summary"]["PASS"] -= 1
        rec["summary"]["FAIL"] += 1
    path = tmp_path / f"{release}.json"
    path.write_text(json.dumps(rec))
    return path, rec, step["line"]


def write_record(rec, path):
    """rec, its summary counted again from its cases, written to path."""
    rec["summary"] = {s: 0 for s in ("PASS", "FAIL", "ERROR", "SKIP", "TIMEOUT", "KNOWN-BUG")}
    for c in rec["cases"]:
        rec["summary"][c["status"]] += 1
    path.write_text(json.dumps(rec))
    return path


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


needs_chromium = pytest.mark.skipif(os.geteuid() != 0 and not chromium(), reason="chromium not installed")


def rendered(html, tmp_path, fragment=""):
    """The DOM of file html after headless Chromium loaded it and ran its
    script, the address ending in fragment ("#status=FAIL")."""
    path = chromium()
    assert path, "chromium is not installed (make deps installs it)"
    dom = subprocess.run([path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                          "--no-first-run", "--disable-background-networking", "--disable-component-update",
                          "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          html.as_uri() + fragment], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    return dom.stdout
