"""The plugin installed as a distribution (a pytest11 entry point), the
binary it finds, and the repository's conftest.py beside an installed copy."""
import os
import re
import shutil
import subprocess

import pytest

BASE_PATH = "/usr/bin:/bin"
LATER = '''
    title "later"
    use fixtures/host.net
    on a
      s = socket(INET, STREAM)
'''


def test_installed_plugin_is_listed(plug, project, write_case, run_pytest, netrepro, tmp_path):
    write_case("later", LATER)
    site = plug.install_plugin(str(tmp_path / "site"))
    bindir = os.path.dirname(plug.logging_binary(tmp_path / "bin", "path", tmp_path / "log", netrepro))
    r = run_pytest("--trace-config", "cases", cwd=project, PYTHONPATH=site, PATH=f"{bindir}:{BASE_PATH}")
    assert r.returncode == 0, r.stdout + r.stderr
    module = os.path.join(site, "netrepro_pytest.py")
    assert f"PLUGIN registered: <module 'netrepro_pytest' from '{module}'>" in r.stdout
    assert re.search(rf"^plugins: .*netrepro-pytest-{re.escape(plug.dist_version())}\b", r.stdout, re.M), r.stdout
    assert re.search(rf"^ +netrepro_pytest +: {re.escape(module)}$", r.stdout, re.M), r.stdout
    assert "1 passed" in r.stdout


@pytest.mark.parametrize("given, used", [
    (("env", "path", "rootdir"), "env"),
    (("path", "rootdir"), "path"),
    (("rootdir",), "rootdir"),
])
def test_installed_plugin_finds_binary(plug, project, write_case, run_pytest, netrepro, tmp_path, given, used):
    """$NETREPRO, else netrepro on PATH, else build/netrepro under the rootdir."""
    if shutil.which("netrepro", path=BASE_PATH):
        pytest.skip(f"a netrepro is installed in {BASE_PATH}")
    write_case("later", LATER)
    log = tmp_path / "log"
    where = {"env": tmp_path / "env", "path": tmp_path / "bin", "rootdir": project / "build"}
    made = {tag: plug.logging_binary(where[tag], tag, log, netrepro) for tag in given}
    path = f"{where['path']}:{BASE_PATH}" if "path" in made else BASE_PATH
    r = run_pytest("cases", cwd=project, PYTHONPATH=plug.install_plugin(str(tmp_path / "site")),
                   NETREPRO=made.get("env"), PATH=path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert {line.split()[0] for line in log.read_text().splitlines()} == {used}


def test_missing_binary_is_a_collection_error(plug, project, write_case, run_pytest, tmp_path):
    if shutil.which("netrepro", path=BASE_PATH):
        pytest.skip(f"a netrepro is installed in {BASE_PATH}")
    write_case("later", LATER)
    site = plug.install_plugin(str(tmp_path / "site"))
    r = run_pytest("cases", cwd=project, PYTHONPATH=site, PATH=BASE_PATH)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "netrepro binary not found: set NETREPRO, put netrepro on PATH" in r.stdout
    assert "Traceback" not in r.stdout
    r = run_pytest("cases", cwd=project, PYTHONPATH=site, PATH=BASE_PATH, NETREPRO=tmp_path / "nope")
    assert f"netrepro binary {tmp_path / 'nope'} (from $NETREPRO) is not an executable file" in r.stdout


def test_repository_conftest_beside_installed_copy(plug, run_pytest, netrepro, tmp_path):
    """Registered once (the entry point's name is the module's): the run
    passes and says which copy runs."""
    site = plug.install_plugin(str(tmp_path / "site"))
    r = run_pytest("--trace-config", "-q", "cases/seed", cwd=plug.root, PYTHONPATH=site)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "passed" in r.stdout and "already registered" not in r.stdout + r.stderr
    assert r.stdout.count("PLUGIN registered: <module 'netrepro_pytest'") == 1
    assert f"netrepro_pytest runs from {site}/netrepro_pytest.py, an installed copy" in r.stdout


def test_p_option_beside_installed_copy(plug, project, write_case, run_pytest, netrepro, tmp_path):
    write_case("later", LATER)
    site = plug.install_plugin(str(tmp_path / "site"))
    r = run_pytest("--trace-config", "-p", "netrepro_pytest", "cases", cwd=project,
                   PYTHONPATH=f"{site}:{os.path.join(plug.root, 'tests')}", NETREPRO=netrepro)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("PLUGIN registered: <module 'netrepro_pytest'") == 1


def test_make_install_lays_out_the_plugin(plug, run_pytest, netrepro, tmp_path):
    with open(os.path.join(plug.root, "Makefile")) as f:
        if "dist-info" not in f.read():
            pytest.skip("the Makefile's install target does not install python/*.dist-info yet")
    dest = tmp_path / "dest"
    r = subprocess.run(["make", "-s", "install", f"DESTDIR={dest}", "PREFIX=/usr"], cwd=plug.root,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    pydir = dest / "usr" / "lib" / "python3" / "dist-packages"
    assert (pydir / "netrepro_pytest.py").is_file()
    assert (pydir / f"netrepro_pytest-{plug.dist_version()}.dist-info" / "entry_points.txt").is_file()
    r = run_pytest("--trace-config", "--co", "-q", "cases/seed", cwd=plug.root, PYTHONPATH=pydir)
    assert f"PLUGIN registered: <module 'netrepro_pytest' from '{pydir}/netrepro_pytest.py'>" in r.stdout
    assert "tests collected" in r.stdout, r.stdout
    r = subprocess.run(["make", "-s", "uninstall", f"DESTDIR={dest}", "PREFIX=/usr"], cwd=plug.root,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not [p for p in dest.rglob("*") if p.is_file()]
