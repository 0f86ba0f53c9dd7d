"""Rootless mode: the same library run by an ordinary user (`nrtest`), each
worker in its own user namespace."""
import json
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

USER = "nrtest"


def user_exists():
    try:
        pwd.getpwnam(USER)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def nrtest():
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to the user %s" % USER)
    if not shutil.which("su"):
        pytest.skip("no su")
    if not user_exists():
        r = subprocess.run(["useradd", "-m", USER], capture_output=True, text=True)
        if r.returncode != 0 or not user_exists():
            pytest.skip("cannot create the user %s: %s" % (USER, r.stderr.strip()))
    # Rootless mode needs unprivileged user namespaces. The kernel refuses
    # them inside a chroot (unshare(2): EPERM), and a distro may turn them
    # off: then there is nothing to test here, and the test says why.
    probe = subprocess.run(["su", USER, "-s", "/bin/sh", "-c", "unshare --user --net true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged user namespaces are not available here (a chroot, or "
                    "kernel.unprivileged_userns_clone=0): " + probe.stderr.strip())
    return pwd.getpwnam(USER)


@pytest.fixture
def rootless_project(nrtest, netrepro, h):
    """binary, cases/seed, fixtures/ in a folder the user can read; out/ it
    can write."""
    top = tempfile.mkdtemp(prefix="netrepro-rootless-", dir="/tmp")
    try:
        os.chmod(top, 0o755)
        h.private_copy(netrepro, top)
        shutil.copytree(os.path.join(h.root, "cases", "seed"), os.path.join(top, "cases", "seed"))
        shutil.copytree(os.path.join(h.root, "fixtures"), os.path.join(top, "fixtures"))
        os.mkdir(os.path.join(top, "out"))
        os.chown(os.path.join(top, "out"), nrtest.pw_uid, nrtest.pw_gid)
        readable(top)
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def readable(top):
    """Everything under top readable (and folders, the binary: searchable)."""
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            os.chmod(p, 0o755 if os.path.isdir(p) or os.access(p, os.X_OK) else 0o644)


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def as_user(top, args, **kw):
    cmd = "cd %s && exec ./bin/netrepro %s" % (shlex.quote(top), " ".join(map(shlex.quote, args)))
    return ["su", USER, "-s", "/bin/sh", "-c", cmd]


def test_seed_rootless(rootless_project, h):
    top = rootless_project
    r = subprocess.run(as_user(top, ["run", "--json", "out/run.json", "cases/seed"]),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    k = h.Ktap(r.stdout).check_wellformed()
    listed = subprocess.run([os.path.join(top, "bin", "netrepro"), "list", "cases/seed"],
                            cwd=top, capture_output=True, text=True).stdout.split()
    assert k.ids() == listed
    assert all(ok and d is None for ok, _, _, d, _ in k.results), r.stdout
    with open(os.path.join(top, "out", "run.json")) as f:
        rec = json.load(f)
    assert rec["environment"]["privilege"] == "rootless"
    assert [c["status"] for c in rec["cases"]] == ["PASS"] * len(listed)
    assert rec["summary"]["PASS"] == len(listed)


def test_require_root_skips_rootless(rootless_project, h):
    top = rootless_project
    h.write_case(top, "e2e/needs-root", '''
        title "needs real root"
        require root
        use   fixtures/host.net
        on a
          s = socket(INET, STREAM)
    ''')
    readable(top)
    r = subprocess.run(as_user(top, ["run", "cases/e2e"]), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[2:] == ["ok 1 e2e/needs-root # SKIP requires root"], r.stdout


def test_exec_rootless(rootless_project, h):
    """A case that runs programs runs rootless too: its program is root of
    the worker's user namespace (the user, outside), configures its host,
    and sees only its own processes and a read-only machine."""
    top = rootless_project
    h.write_case(top, "e2e/exec", '''
        use   fixtures/pair.net
        on a
          exec -- id -u                                    = "0\\n"
          exec -- ip addr add 10.0.1.9/24 dev eth0         = 0
          exec -- ip link show eth0                        = 0
          exec -- ss -uan                                  = 0
          exec -- sh -c "cd /proc && echo [0-9]*"          = "1\\n"
          exec -- sh -c "echo x > /var/tmp/netrepro-rootless-escaped" = 2
          exec -- nsenter -t 1 -n true                     = 1
          s = socket(INET, DGRAM)
          bind(s, 10.0.1.9:0)                              = 0
    ''')
    readable(top)
    r = subprocess.run(as_user(top, ["run", "--allow-exec", "--step-timeout", "10", "--json", "out/exec.json",
                                        "cases/e2e"]),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(top, "out", "exec.json")) as f:
        case = json.load(f)["cases"][0]
    assert case["status"] == "PASS", r.stdout
    assert not os.path.exists("/var/tmp/netrepro-rootless-escaped")


def test_rootless_workers_die_with_the_scheduler(rootless_project, h):
    """PR_SET_PDEATHSIG must survive the worker's unshare(CLONE_NEWUSER)."""
    top = rootless_project
    h.write_case(top, "e2e/sleeper", '''
        title "sleeps"
        use   fixtures/pair.net
        vary  n = 1, 2, 3, 4
        on a
          sleep(5000)
          sleep(5000)
    ''')
    readable(top)
    binary = os.path.join(top, "bin", "netrepro")
    before = h.host_snapshot()
    p = subprocess.Popen(as_user(top, ["run", "-j", "2", "cases/e2e"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 5
        sched, workers = None, []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            procs = h.ours(binary)
            sched = next((q for q in procs if ppid(q) not in procs), None)
            workers = h.workers(sched) if sched else []
        assert sched and len(workers) == 2, (sched, workers)
        time.sleep(0.5)
        assert all(h.alive(w) for w in workers)
        os.kill(sched, signal.SIGKILL)
        deadline = time.monotonic() + 2
        while any(h.alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if h.alive(w)], "rootless workers outlived the scheduler"
        assert h.ours(binary) == []
        p.wait(timeout=5)
        assert h.host_snapshot() == before
    finally:
        h.stop_all(p, binary)


def not_ok(ktap):
    """The failing results of a KTAP text and their traces, for a message."""
    keep, out = False, []
    for line in ktap.splitlines():
        if line.startswith("# ") and not line.startswith("#    "):
            keep = True
        if keep or line.startswith("not ok"):
            out.append(line)
        if line.startswith(("ok ", "not ok ")):
            keep = False
    return "\n".join(l for l in out if not l.startswith("#    "))[-4000:]


def test_library_same_results_rootless(nrtest, netrepro, h, tmp_path):
    """The whole case library gives the same status per case id, and the
    same answer at every checked step, as root and rootless; only cases that
    `require root` may differ (SKIP rootless)."""
    top = tempfile.mkdtemp(prefix="netrepro-library-", dir="/tmp")
    try:
        os.chmod(top, 0o755)
        h.private_copy(netrepro, top)
        shutil.copytree(os.path.join(h.root, "cases"), os.path.join(top, "cases"))
        shutil.copytree(os.path.join(h.root, "fixtures"), os.path.join(top, "fixtures"))
        os.mkdir(os.path.join(top, "out"))
        os.chown(os.path.join(top, "out"), nrtest.pw_uid, nrtest.pw_gid)
        readable(top)
        as_root = subprocess.run([os.path.join(top, "bin", "netrepro"), "run", "-j", "2", "--json",
                                  str(tmp_path / "root.json"), "cases"], cwd=top, capture_output=True, text=True)
        assert as_root.returncode == 0, not_ok(as_root.stdout)
        r = subprocess.run(as_user(top, ["run", "-j", "2", "--json", "out/rootless.json", "cases"]),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, not_ok(r.stdout) + r.stderr[-2000:]
        with open(tmp_path / "root.json") as f:
            root = {c["id"]: c for c in json.load(f)["cases"]}
        with open(os.path.join(top, "out", "rootless.json")) as f:
            rootless = json.load(f)
        assert rootless["environment"]["privilege"] == "rootless"
        rootless = {c["id"]: c for c in rootless["cases"]}
        assert root.keys() == rootless.keys()
        assert len(root) >= 150
        for cid, c in root.items():
            d = rootless[cid]
            if d["status"] == "SKIP" and (d["reason"] or "").startswith("requires root"):
                continue
            assert (cid, d["status"]) == (cid, c["status"])
            # what a step pins down must be the same; a value the kernel
            # picks (a port under `in 40000..40007`) only has to pass
            def pinned(steps):
                return {(s["line"], s.get("iter")): "pass" if s.get("kernel_picks") else s["observed"]
                        for s in steps if s["status"] != "info"}
            assert pinned(d["steps"]) == pinned(c["steps"]), cid
    finally:
        shutil.rmtree(top, ignore_errors=True)
