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
        assert not [w for w in workers if h.alive(w)], "workers outlived the spawner"
        assert h.ours(private_binary) == []
        assert h.host_snapshot() == before
    finally:
        h.stop_all(p, private_binary)
