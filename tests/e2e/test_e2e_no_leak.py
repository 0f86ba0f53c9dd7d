"""Nothing leaks on the host: no named netns, no link, no host sysctl change,
no process left; also when the scheduler is killed mid-run."""
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
        deadline = time.monotonic() + 5
        workers = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = h.children(p.pid)
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
        if p.poll() is None:
            p.kill()
            p.wait()
        for w in h.ours(private_binary):  # survivors of a failed test, by pid
            os.kill(w, signal.SIGKILL)
