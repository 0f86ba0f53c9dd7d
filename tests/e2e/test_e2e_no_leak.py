"""Nothing leaks on the host: no named netns, no link, no host sysctl change,
no process left; also when the scheduler is killed mid-run."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"),
                                reason="needs root and iproute2")

SLEEPER = '''
    title "changes its namespaces, then sleeps"
    use    fixtures/pair.net
    vary   n = 1, 2, 3, 4, 5, 6
    sysctl a net.ipv4.ip_local_port_range = 40000 40007
    sysctl a net.ipv4.tcp_timestamps = 0
    route  a default via 10.0.1.2

    on a
      s = socket(INET, STREAM)
      bind(s, 10.0.1.1:8080)              = 0
      listen(s, 4)                        = 0
      sleep(5000)
      sleep(5000)
      sleep(5000)
'''


@pytest.fixture
def private_binary(netrepro, tmp_path, h):
    """A copy of the binary, so that its processes are told from others'."""
    return h.private_copy(netrepro, tmp_path)


def test_seed_run_leaves_nothing(private_binary, h):
    before = h.host_snapshot()
    r = subprocess.run([private_binary, "run", "-j", "2", "cases/seed"], cwd=h.root,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not ok" not in r.stdout
    assert h.host_snapshot() == before
    assert h.ours(private_binary) == []


EVERY_LINE = '''
    title "every line that changes the network, before and during the steps"
    use    fixtures/pair.net
    vary   n = 1, 2
    sysctl a net.ipv4.ip_local_port_range = 40000 40007
    sysctl a net.ipv4.tcp_tw_reuse = 0
    route  a 224.0.0.0/4 dev eth0
    capture a:eth0
    capture b

    on a
      s = socket(INET, DGRAM)
      sendto(s, "x", 10.0.1.2:9)              = 1
      packets(a:eth0, "udp")                  = 1
      sysctl a net.ipv4.tcp_tw_reuse = 1
      sysctl a net.ipv4.igmp_qrv = 1
      sysctl a net.ipv4.ip_forward = 1
      addr a:eth0 10.0.2.1/24 fd00:2::1/64
      route a 10.9.0.0/16 via 10.0.1.2
      route a default6 via fd00:1::2
      route del a 10.9.0.0/16 via 10.0.1.2
      set a:eth0 mtu 1400 multicast off
      set a:eth0 down
      set a:eth0 up
      link a:eth1 b:eth1
      addr a:eth1 fd00:3::1/64 dad
      wait a:eth1 dad
      capture a:eth1
      addr del a:eth0 10.0.2.1/24
      link del a:eth1
'''

NETEM = '''
    title "netem before and during the steps"
    use    fixtures/pair.net
    netem  a:eth0 delay 10ms
    on a
      netem a:eth0 loss 100%
      netem b:eth0 rate 1mbit limit 100
      netem a:eth0 off
'''


def test_every_new_line_leaves_nothing(private_binary, project, h, tmp_path):
    """Topology lines as steps, captures (with their files), netem: the host
    keeps its links, addresses, routes, queues and sysctls."""
    paths = [h.write_case(project, "e2e/every-line", EVERY_LINE), h.write_case(project, "e2e/netem", NETEM)]
    before = h.host_snapshot()
    r = subprocess.run([private_binary, "run", "-j", "2", "--json", str(tmp_path / "r.json")] + paths,
                       cwd=str(project), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    cases = json.loads((tmp_path / "r.json").read_text())["cases"]
    assert [c["status"] for c in cases[:2]] == ["PASS", "PASS"], r.stdout
    assert cases[2]["status"] in ("PASS", "SKIP"), r.stdout     # SKIP: no sch_netem here
    assert len(cases[0]["captures"]) == 3
    assert h.host_snapshot() == before
    assert h.ours(private_binary) == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT],
                         ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_killed_scheduler_leaves_nothing(private_binary, project, h, sig):
    path = h.write_case(project, "e2e/sleeper", SLEEPER)
    before = h.host_snapshot()
    my_netns = h.netns_of(os.getpid())
    p = subprocess.Popen([private_binary, "run", "-j", "2", path], cwd=str(project),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        workers = h.wait_workers(p.pid, 2)
        assert len(workers) == 2, "-j 2 should have two workers running: %r" % workers
        time.sleep(0.5)         # well into the first sleep(5000)
        assert p.poll() is None, "the run ended early: %r" % (p.communicate(),)
        worker_netns = {h.netns_of(w) for w in workers} - {None}
        assert worker_netns and my_netns not in worker_netns, "workers run in their own netns"
        os.kill(p.pid, sig)     # the scheduler only, not its process group
        p.wait(timeout=5)
        if sig == signal.SIGKILL:
            assert p.returncode == -sig
        else:   # it may clean up and exit on its own, but not with success
            assert p.returncode != 0

        deadline = time.monotonic() + 2
        while any(h.alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if h.alive(w)], "workers outlived the scheduler"
        assert h.ours(private_binary) == []
        assert not worker_netns & h.netns_in_use(), "a worker's netns is still in use"
        assert h.host_snapshot() == before
    finally:
        h.stop_all(p, private_binary)


def test_killed_spawner_is_reported_and_leaves_nothing(private_binary, project, h):
    """The spawner (the process that forks the workers) killed mid-run: the
    workers die with it, the cases they ran are ERROR saying so, the cases
    not started yet are ERROR too, and the run ends at once, not after the
    cases' sleeps or the 30 s timeout."""
    path = h.write_case(project, "e2e/sleeper", SLEEPER)
    before = h.host_snapshot()
    record = project / "run.json"
    p = subprocess.Popen([private_binary, "run", "-j", "2", "--json", str(record), path],
                         cwd=str(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        workers = h.wait_workers(p.pid, 2)
        assert len(workers) == 2, "-j 2 should have two workers running: %r" % workers
        spawner, = h.children(p.pid)
        time.sleep(0.3)
        t0 = time.monotonic()
        os.kill(spawner, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
        assert time.monotonic() - t0 < 3, "the run waited for workers that were gone"
        assert p.returncode == 1, out + err
        ktap = h.Ktap(out)
        assert len(ktap.results) == 6 and not [r for r in ktap.results if r[0]], out
        cases = json.loads(record.read_text())["cases"]
        assert [c["status"] for c in cases] == ["ERROR"] * 6
        lost = [c for c in cases if (c["reason"] or "").startswith("worker lost: netrepro's spawner")]
        unstarted = [c for c in cases if (c["reason"] or "").startswith("cannot start a worker")]
        assert len(lost) == 2 and len(unstarted) == 4, [c["reason"] for c in cases]
        # the two that ran had recorded their first steps before they died
        assert all(len(c["steps"]) >= 3 for c in lost), lost
        # PR_SET_PDEATHSIG kills them as the spawner dies; on a loaded
        # machine the signal may take a moment to land
        deadline = time.monotonic() + 2
        while any(h.alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if h.alive(w)], "workers outlived the spawner"
        assert h.ours(private_binary) == []
        assert h.host_snapshot() == before
    finally:
        h.stop_all(p, private_binary)
