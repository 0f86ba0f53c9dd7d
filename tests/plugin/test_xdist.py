"""pytest-xdist: -n 2 spreads the case files over two workers, each file run
once; a distribution that may split a file runs its items one by one."""
import re
import subprocess
import xml.dom.minidom

import pytest

pytest.importorskip("xdist")


def worker_passes(stdout):
    """{worker: items it passed}, from -v output ("[gw0] [ 12%] PASSED ...")."""
    found = {}
    for w in re.findall(r"^\[(gw\d+)\] \[\s*\d+%\] PASSED ", stdout, re.M):
        found[w] = found.get(w, 0) + 1
    return found


def test_two_workers_run_the_seed_cases(plug, run_pytest, netrepro, tmp_path):
    log, junit = tmp_path / "log", tmp_path / "j.xml"
    wrapper = plug.logging_binary(tmp_path / "bin", "netrepro", log, netrepro)
    ids = subprocess.run([netrepro, "list", "cases/seed"], cwd=plug.root, capture_output=True,
                         text=True, check=True).stdout.split()
    files = {i.split("[")[0] for i in ids}
    r = run_pytest("-n", "2", "-v", f"--junitxml={junit}", "cases/seed", cwd=plug.root, NETREPRO=wrapper)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"gw0 [{len(ids)}] / gw1 [{len(ids)}]" in r.stdout
    assert f"{len(ids)} passed" in r.stdout
    passes = worker_passes(r.stdout)
    assert sorted(passes) == ["gw0", "gw1"] and sum(passes.values()) == len(ids), passes
    # each file ran once, on the worker it was sent to
    assert log.read_text().split().count("run") == len(files)
    names = [t.getAttribute("name") for t in xml.dom.minidom.parse(str(junit)).getElementsByTagName("testcase")]
    assert sorted(names) == sorted(ids)


def test_a_split_file_runs_item_by_item(project, write_case, run_pytest, tree_plugin, plug, tmp_path, netrepro):
    write_case("four", '''
        use fixtures/host.net
        vary n = 1, 2, 3, 4
        on a
          s = socket(INET, DGRAM)
    ''')
    log = tmp_path / "log"
    env = dict(tree_plugin, NETREPRO=plug.logging_binary(tmp_path / "bin", "netrepro", log, netrepro))
    r = run_pytest("-p", "netrepro_pytest", "-n", "2", "--dist", "loadscope", "-v", "cases", cwd=project, **env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 passed" in r.stdout
    assert log.read_text().split().count("run") == 4
