"""Shared fixtures for the end-to-end tests: they run the real build/netrepro.

The binary is built once per session (`make -s`) when it is missing. Helpers
parse its KTAP output and lay out throw-away projects (a `cases/` folder and a
copy of `fixtures/`) for cases the tests write themselves.
"""
import os
import re
import shutil
import signal
import subprocess
import textwrap
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# "ok 3 seed/x[v=1] # SKIP reason": number, id, directive and its text.
RESULT_RE = re.compile(r"^(not )?ok (\d+) (\S+)(?: # (SKIP|TIMEOUT|ERROR|TODO|XFAIL)(?: (.*))?)?$")


@pytest.fixture
def run(netrepro):
    """run(*args, cwd=ROOT, timeout=120) -> CompletedProcess (text)."""
    def _run(*args, cwd=ROOT, timeout=120, binary=None):
        return subprocess.run([binary or netrepro, *args], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout)
    return _run


class Ktap:
    """A parsed KTAP v1 document (just what netrepro writes: one level)."""

    def __init__(self, text):
        self.text = text
        self.lines = text.splitlines()
        self.version = self.lines[0] if self.lines else None
        self.plan = None
        self.results = []       # (ok, number, id, directive, reason)
        self.diagnostics = []   # '#' lines, in order
        self.other = []         # anything else
        for line in self.lines[1:]:
            m = RESULT_RE.match(line)
            if re.fullmatch(r"1\.\.\d+", line) and self.plan is None:
                self.plan = int(line[3:])
            elif m:
                self.results.append((m.group(1) is None, int(m.group(2)), m.group(3),
                                     m.group(4), m.group(5)))
            elif line.startswith("#"):
                self.diagnostics.append(line)
            else:
                self.other.append(line)

    def ids(self):
        return [r[2] for r in self.results]

    def by_id(self):
        return {r[2]: r for r in self.results}

    def check_wellformed(self):
        """The header, the plan, results numbered 1..N in order, nothing else."""
        assert self.version == "KTAP version 1", self.text
        assert self.plan is not None, "no plan line:\n" + self.text
        assert self.lines[1] == "1..%d" % self.plan, self.text
        assert [r[1] for r in self.results] == list(range(1, self.plan + 1)), self.text
        assert not self.other, "lines that are neither results nor diagnostics: %r" % self.other
        return self


def has_results(text):
    """True if stdout holds any KTAP plan or result line."""
    return any(RESULT_RE.match(l) or re.fullmatch(r"1\.\.\d+", l) for l in text.splitlines())


def write_case(project, rel, body):
    """Write cases/<rel>.case under project; returns its path relative to it."""
    path = os.path.join(str(project), "cases", rel + ".case")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(body).lstrip("\n"))
    return os.path.relpath(path, str(project))


SYSCTLS = ["net/ipv4/ip_local_port_range", "net/ipv4/tcp_timestamps",
           "net/ipv4/tcp_tw_reuse", "net/ipv6/bindv6only", "net/ipv4/igmp_qrv",
           "net/ipv4/ip_nonlocal_bind", "net/ipv6/ip_nonlocal_bind", "net/ipv4/ip_forward",
           "net/ipv6/conf/all/forwarding", "net/ipv4/tcp_tw_reuse_delay"]


def host_snapshot():
    snap = {}
    snap["netns"] = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    snap["links"] = sorted(l.split(":")[1].strip().split("@")[0] for l in out.splitlines())
    # addresses, routes and queues of the host's own interfaces
    for what, cmd in (("addrs", ["ip", "-o", "addr"]), ("routes", ["ip", "-o", "route", "show", "table", "all"]),
                      ("routes6", ["ip", "-o", "-6", "route", "show", "table", "all"]),
                      ("qdiscs", ["tc", "qdisc", "show"])):
        snap[what] = subprocess.run(cmd, capture_output=True, text=True).stdout
    for name in SYSCTLS:
        try:
            with open("/proc/sys/" + name) as f:
                snap[name] = f.read()
        except FileNotFoundError:
            snap[name] = None
    snap["run_netns"] = sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []
    return snap


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def alive(pid):
    """True for a process that exists and is not a zombie (a zombie holds no
    namespace any more)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def ours(binary):
    """Live processes named netrepro that run this very binary (so that a
    netrepro someone else runs at the same time does not count)."""
    found = []
    for pid in pids():
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() != "netrepro":
                    continue
            if os.readlink("/proc/%d/exe" % pid).split(" (deleted)")[0] == binary and alive(pid):
                found.append(pid)
        except OSError:
            continue
    return found


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def workers(sched):
    """The scheduler's workers: the children of its one child, the spawner
    (runner/sched/spawner.h), which forks them."""
    spawners = children(sched)
    return [w for s in spawners for w in children(s)]


def wait_workers(sched, n, timeout=5):
    """The scheduler's workers, once n of them run (or what there is after
    timeout seconds)."""
    deadline = time.monotonic() + timeout
    found = workers(sched)
    while len(found) < n and time.monotonic() < deadline:
        time.sleep(0.05)
        found = workers(sched)
    return found


def stop_all(p, binary):
    """A test's end, passed or not: its run stopped, and any survivor of a
    failed test (a process of this binary) killed."""
    if p.poll() is None:
        p.kill()
        p.wait()
    for w in ours(binary):
        os.kill(w, signal.SIGKILL)


def netns_of(pid):
    try:
        return os.readlink("/proc/%d/ns/net" % pid)
    except OSError:
        return None


def netns_in_use():
    return {n for n in map(netns_of, pids()) if n}


def private_copy(binary, folder):
    """A copy of the binary under folder/bin, so that the processes a test
    starts are told from those of anybody else running netrepro."""
    path = os.path.join(str(folder), "bin", "netrepro")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy2(binary, path)
    return path


class Helpers:
    """What the tests use, as one fixture (test modules do not import conftest)."""
    root = ROOT
    Ktap = Ktap
    has_results = staticmethod(has_results)
    write_case = staticmethod(write_case)
    host_snapshot = staticmethod(host_snapshot)
    pids = staticmethod(pids)
    alive = staticmethod(alive)
    ours = staticmethod(ours)
    children = staticmethod(children)
    workers = staticmethod(workers)
    wait_workers = staticmethod(wait_workers)
    stop_all = staticmethod(stop_all)
    netns_of = staticmethod(netns_of)
    netns_in_use = staticmethod(netns_in_use)
    private_copy = staticmethod(private_copy)


@pytest.fixture(scope="session")
def h():
    return Helpers


@pytest.fixture
def project(tmp_path):
    """A throw-away project: tmp/cases/ (empty) and a copy of fixtures/."""
    shutil.copytree(os.path.join(ROOT, "fixtures"), tmp_path / "fixtures")
    (tmp_path / "cases").mkdir()
    return tmp_path
