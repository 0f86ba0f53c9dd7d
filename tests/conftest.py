"""Fixtures every pytest folder under tests/ shares."""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BINARY = os.path.join(ROOT, "build", "netrepro")
SCHEMA = os.path.join(ROOT, "reports", "run.schema.json")


@pytest.fixture(scope="session")
def netrepro():
    """Path of build/netrepro, built once if missing."""
    if not os.access(BINARY, os.X_OK):
        r = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, "make failed:\n" + r.stdout + r.stderr
    assert os.access(BINARY, os.X_OK), BINARY + " was not built"
    return BINARY


@pytest.fixture(scope="session")
def validate():
    """validate(record): raises if it does not follow reports/run.schema.json."""
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)

    def _validate(record):
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
        assert not errors, "\n".join("%s: %s" % ("/".join(map(str, e.path)), e.message) for e in errors)
    return _validate


@pytest.fixture(scope="session")
def exec_contained():
    """An `exec` step's program runs in a user namespace whose root is nobody
    on the machine. A machine that refuses user namespaces (a chroot:
    unshare(2) EPERM; user.max_user_namespaces = 0) runs no such program,
    and a test that needs one says why it skips."""
    probe = subprocess.run(["unshare", "--user", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("exec contains its program in a user namespace, which this machine refuses: "
                    + probe.stderr.strip())
