"""Where namespaces cannot be made, and runs in place: every case SKIPs with
the reason (said once, exit 0); `--in-place` runs the single-host cases in
the namespace netrepro started in, changing nothing of it, and the record
says how each case was isolated."""
import json
import os
import shutil
import subprocess

import pytest

# A place where namespaces are refused: a user namespace with every
# capability dropped and nested user namespaces disabled.
BWRAP = ["bwrap", "--dev-bind", "/", "/", "--unshare-user", "--uid", "0", "--unshare-net",
         "--disable-userns", "--cap-drop", "ALL", "--"]
REASON = "namespaces unavailable here (unshare(CLONE_NEWNET): Operation not permitted); " \
         "--in-place runs the single-host cases in this namespace"


@pytest.fixture(scope="module")
def bwrap():
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed (make deps installs it)")
    probe = subprocess.run(BWRAP + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("bubblewrap cannot make its user namespace here: " + probe.stderr.strip())


def unshare_net(script, **kw):
    """script in a new network namespace of the test's own, lo up."""
    if os.geteuid() != 0:
        pytest.skip("needs root for unshare -n")
    return subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up && " + script],
                          capture_output=True, text=True, **kw)


def test_namespaces_refused_every_case_skips(bwrap, netrepro, h, tmp_path):
    out = tmp_path / "r.json"
    r = subprocess.run(BWRAP + [netrepro, "run", "--json", str(out), "cases/seed"], cwd=h.root,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.count("network namespaces cannot be made here") == 1, r.stderr
    assert "platform linux" in r.stderr
    cases = json.loads(out.read_text())["cases"]
    assert cases and all(c["status"] == "SKIP" and c["reason"] == REASON for c in cases), cases


def test_in_place_where_namespaces_are_refused(bwrap, netrepro, h, tmp_path):
    """The single-host cases run in bwrap's own namespace and answer as in
    namespaces; the others SKIP saying why; a case needing a capability the
    process lacks SKIPs too, rather than fail."""
    inplace, netns = tmp_path / "in-place.json", tmp_path / "netns.json"
    paths = ["cases/seed", "cases/bind", "cases/lang", "cases/timewait"]
    r = subprocess.run(BWRAP + [netrepro, "run", "--in-place", "--json", str(inplace)] + paths,
                       cwd=h.root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:]
    subprocess.run([netrepro, "run", "--json", str(netns)] + paths, cwd=h.root, capture_output=True,
                   text=True, timeout=300)
    here = {c["id"]: c for c in json.loads(inplace.read_text())["cases"]}
    there = {c["id"]: c for c in json.loads(netns.read_text())["cases"]}
    ran = [cid for cid, c in here.items() if c["status"] != "SKIP"]
    assert len(ran) > 200
    for cid in ran:
        assert here[cid]["isolation"] == "in-place"
        assert here[cid]["status"] == there[cid]["status"] == "PASS", (cid, here[cid]["status"])
    reasons = {c["reason"] for c in here.values() if c["status"] == "SKIP"}
    assert any(x.startswith("needs 2 hosts") for x in reasons)
    assert any(x.startswith("needs net.ipv4.ip_local_port_range = 40000 40007; this host has") for x in reasons)
    assert any(x.startswith("needs CAP_NET_BIND_SERVICE") for x in reasons)
    assert any(x.startswith("builds a network") for x in reasons)
    d = subprocess.run([netrepro, "diff", str(netns), str(inplace)], capture_output=True, text=True)
    assert "isolation: netns -> in-place (the platform's own network against a fresh namespace)" in d.stdout


def test_in_place_changes_nothing(netrepro, h, tmp_path):
    """In a namespace the test made: its links, addresses, routes and
    sysctls are as they were after an in-place run of the whole library."""
    snap = ("ip -o link; ip -o addr; ip route show table all; "
            "cat /proc/sys/net/ipv4/ip_local_port_range /proc/sys/net/ipv4/tcp_timestamps "
            "/proc/sys/net/ipv4/tcp_tw_reuse /proc/sys/net/ipv4/ping_group_range")
    r = unshare_net("%s > %s/before; %s run --in-place --json %s/r.json cases/ > /dev/null; %s > %s/after"
                    % (snap, tmp_path, netrepro, tmp_path, snap, tmp_path), cwd=h.root, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()
    cases = json.loads((tmp_path / "r.json").read_text())["cases"]
    assert sum(c["status"] == "PASS" for c in cases) > 300
    assert not [c["id"] for c in cases if c["status"] in ("FAIL", "ERROR")]


def test_in_place_port_in_use_skips(netrepro, h, project):
    """A fixed port that a socket of the namespace already holds: SKIP with
    the port named, checked before the first step."""
    path = h.write_case(project, "e2e/port", '''
        use fixtures/host.net
        on a
          s = socket(INET, STREAM)
          bind(s, 127.0.0.1:8080)               = 0
    ''')
    holder = "/usr/bin/python3 -c 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\", 8080)); " \
             "s.listen(); time.sleep(30)' & sleep 0.5; "
    r = unshare_net(holder + "%s run --in-place %s; kill %%1" % (netrepro, path), cwd=str(project), timeout=60)
    assert "ok 1 e2e/port # SKIP binds port 8080, which a socket of this host holds (tcp)" in r.stdout, r.stdout
    r = unshare_net("%s run --in-place %s" % (netrepro, path), cwd=str(project), timeout=60)
    assert "ok 1 e2e/port\n" in r.stdout, r.stdout


def test_isolation_recorded(run, h, project, tmp_path):
    path = h.write_case(project, "e2e/iso", '''
        use fixtures/host.net
        on a
          s = socket(INET, STREAM)
    ''')
    out = tmp_path / "r.json"
    run("run", "--json", str(out), path, cwd=project)
    case = json.loads(out.read_text())["cases"][0]
    assert case["isolation"] == ("netns" if os.geteuid() == 0 else "netns+userns")


def test_platform_cases(run, h):
    """cases/platform run in a namespace (the WSL-only one SKIPs, saying it
    shows the platform's own network)."""
    r = run("run", "cases/platform", cwd=h.root)
    assert r.returncode == 0, r.stdout
    assert "ok 1 platform/dora-multicast-bind\n" in r.stdout
    assert "# SKIP requires in-place: it shows the platform's own network (run --in-place)" in r.stdout
