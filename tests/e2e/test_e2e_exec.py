"""exec: a case may run a program inside a host, only with --allow-exec."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

EXEC_CASE = """\
title "exec"
use fixtures/host.net
on a
  s = socket(INET, STREAM)
  bind(s, 127.0.0.1:7000)                   = 0
  listen(s, 1)                              = 0
  exec -- ss -Hltn sport 7000               = 0
  exec -- sh -c "echo out; echo err >&2; exit 3"  = 3
  exec -- sh -c "printf 'one\\\\ntwo'"          = "one\\ntwo"
  exec -- no-such-program-here              = 127
"""

SLEEPER = """\
use fixtures/host.net
on a
  exec -- sleep 31.7                        = TIMEOUT
"""


# A step bound for the tests below, which are not about time: on a loaded
# machine a pipeline of programs can take more than the default 2 s.
BOUND = ["--step-timeout", "10"]

# every test here runs contained programs, or makes user namespaces itself
pytestmark = pytest.mark.usefixtures("exec_contained")


def test_exec_skips_without_allow_exec(project, run, h):
    path = h.write_case(project, "e2e/exec", EXEC_CASE)
    r = run("run", path, cwd=project)
    assert r.returncode == 0
    k = h.Ktap(r.stdout).check_wellformed()
    assert k.results[0][3] == "SKIP"
    assert "needs --allow-exec" in r.stdout


def test_exec_runs_in_the_host(project, run, h, tmp_path):
    path = h.write_case(project, "e2e/exec", EXEC_CASE)
    rec = tmp_path / "r.json"
    r = run("run", "--allow-exec", *BOUND, "--json", str(rec), path, cwd=project)
    assert r.returncode == 0, r.stdout
    steps = [s for s in json.loads(rec.read_text())["cases"][0]["steps"] if s["call"].startswith("exec")]
    # ss ran inside host a: it sees the listener the case made, and only it
    assert "127.0.0.1:7000" in steps[0]["detail"]
    assert steps[1]["observed"] == "3" and "out" in steps[1]["detail"] and "err" in steps[1]["detail"]
    assert steps[3]["observed"] == "127" and "cannot run no-such-program-here" in steps[3]["detail"]


def test_exec_is_bounded_by_the_step_timeout(project, run, h):
    path = h.write_case(project, "e2e/sleeper", SLEEPER)
    t0 = time.monotonic()
    r = run("run", "--allow-exec", "--step-timeout", "0.5", path, cwd=project)
    assert r.returncode == 0, r.stdout
    assert time.monotonic() - t0 < 5
    # the program was killed at the bound, not left behind
    left = subprocess.run(["pgrep", "-f", "^sleep 31.7$"], capture_output=True, text=True)
    assert left.stdout == "", left.stdout


ISOLATION = """\
use fixtures/pair.net
on a
  s = socket(INET, DGRAM)
  bind(s, 10.0.1.1:0)                                  = 0
  p = getsockname(s)
  # a background job dies with the program (pid 1 of its own PID namespace)
  exec -- sh -c "sleep 41.3 >/dev/null 2>&1 &"         = 0
  # /sys is host a's: lo and eth0, not the machine's interfaces
  exec -- sh -c "ls /sys/class/net | sort | tr '\\\\n' ' '"  = "eth0 lo "
  # no stdin, and SIGPIPE as usual ('yes' stops quietly)
  exec -- cat                                          = ""
  exec -- sh -c "yes | head -n 1"                      = "y\\n"
  # a captured number, given whole
  exec -- test $p -gt 0                                = 0
  # output closed, still running: the step bound holds
  exec -- sh -c "exec >&- 2>&-; sleep 41.4"            = TIMEOUT
"""


def test_exec_is_contained(project, run, h, tmp_path):
    path = h.write_case(project, "e2e/isolation", ISOLATION)
    with open("/proc/self/mountinfo") as f:
        mounts_before = f.read()
    t0 = time.monotonic()
    r = run("run", "--allow-exec", "--step-timeout", "3", path, cwd=project)
    assert r.returncode == 0, r.stdout
    assert time.monotonic() - t0 < 10
    time.sleep(0.3)
    left = subprocess.run(["pgrep", "-f", "^sleep 41.[34]$"], capture_output=True, text=True)
    assert left.stdout == "", "processes outlived the case: " + left.stdout
    # the program's own sysfs stayed in its own mount namespace
    with open("/proc/self/mountinfo") as f:
        assert f.read() == mounts_before


def test_exec_expectations_that_cannot_fail_are_refused(project, run, h):
    path = h.write_case(project, "e2e/okexec", "use fixtures/host.net\non a\n  exec -- false = ok\n")
    r = run("check", path, cwd=project)
    assert r.returncode == 2
    assert "okexec.case:3:19: exec expects an exit status" in r.stderr
    path = h.write_case(project, "e2e/varexec", "use fixtures/host.net\non a\n  exec -- echo $nope\n")
    r = run("check", path, cwd=project)
    assert r.returncode == 2 and "varexec.case:3:16: undefined variable" in r.stderr


# --- containment: what a ticket's program may not do, even with --allow-exec


def exec_steps(run, h, project, tmp_path, body, name, *flags):
    """Runs a case with --allow-exec; its record's case and exec steps."""
    path = h.write_case(project, name, body)
    rec = tmp_path / (name.replace("/", "_") + ".json")
    r = run("run", "--allow-exec", *BOUND, *flags, "--json", str(rec), path, cwd=project)
    case = json.loads(rec.read_text())["cases"][0]
    assert case["status"] == "PASS", r.stdout
    return case, [s for s in case["steps"] if s["call"].startswith("exec")]


@pytest.fixture
def world_writable():
    """A folder anyone may write to, outside /tmp: only a read-only view
    keeps a program from writing there."""
    d = tempfile.mkdtemp(prefix="netrepro-exec-", dir="/var/tmp")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_exec_cannot_write_the_machine(project, run, h, tmp_path, world_writable):
    under_tmp = tempfile.mkdtemp(prefix="netrepro-exec-")
    os.chmod(under_tmp, 0o777)
    marker = "/etc/netrepro-exec-escaped-%d" % os.getpid()
    try:
        _, steps = exec_steps(run, h, project, tmp_path, f'''
            use fixtures/host.net
            on a
              exec -- sh -c "echo x > {world_writable}/escaped"                   = 2
              exec -- sh -c "mkdir -p {under_tmp} && echo x > {under_tmp}/escaped" = 0
              exec -- sh -c "echo x > {marker}"                                   = 2
              exec -- sh -c "echo x > {project}/escaped"                          = 2
        ''', "e2e/write")
        assert "Read-only file system" in steps[0]["data"]
        assert "Read-only file system" in steps[2]["data"]
        assert os.listdir(world_writable) == []
        assert os.listdir(under_tmp) == []      # the program's /tmp is its own
        assert not os.path.exists(marker)
        assert not os.path.exists(project / "escaped")
    finally:
        shutil.rmtree(under_tmp, ignore_errors=True)


def test_exec_has_its_own_run_and_tmp(project, run, h, tmp_path):
    marker = "netrepro-exec-marker-%d" % os.getpid()
    open("/run/" + marker, "w").close()
    open("/tmp/" + marker, "w").close()
    try:
        _, steps = exec_steps(run, h, project, tmp_path, '''
            use fixtures/host.net
            on a
              exec -- ls -A /run                  = ""
              exec -- ls -A /tmp
        ''', "e2e/run")
        # /tmp holds only the way to the folder netrepro runs in
        assert marker not in steps[1]["data"]
        assert steps[1]["data"] == str(project).split("/")[2] + "\\n"
    finally:
        os.unlink("/run/" + marker)
        os.unlink("/tmp/" + marker)


@pytest.fixture
def secret_sleeper():
    """A process of the machine with a secret in its environment."""
    secret = "netrepro-secret-%d-%d" % (os.getpid(), int(time.time()))
    p = subprocess.Popen(["sleep", "60.7"], env={"PATH": os.environ["PATH"], "NR_SECRET": secret})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:      # there to be found, by the machine's root
        with open("/proc/%d/environ" % p.pid) as f:
            if secret in f.read():
                break
        time.sleep(0.01)
    yield p.pid, secret
    p.kill()
    p.wait()


def test_exec_sees_only_its_own_processes(project, run, h, tmp_path, secret_sleeper):
    pid, secret = secret_sleeper
    _, steps = exec_steps(run, h, project, tmp_path, f'''
        use fixtures/host.net
        on a
          # the only process in its /proc is itself (pid 1 of its own namespace)
          exec -- sh -c "cd /proc && echo [0-9]*"                     = "1\\n"
          exec -- test -e /proc/{pid}                                 = 1
          exec -- test -e /proc/{os.getpid()}                         = 1
          exec -- test -e /proc/{os.getppid()}                        = 1
          exec -- cat /proc/{pid}/environ                             = 1
          exec -- sh -c "cat /proc/*/environ | grep -c {secret}"      = 1
        ''', "e2e/procs")
    assert not any(secret in s.get("data", "") for s in steps)
    assert steps[5]["data"] == "0\\n"


def test_exec_cannot_enter_another_namespace(project, run, h, tmp_path, secret_sleeper):
    pid, _ = secret_sleeper
    _, steps = exec_steps(run, h, project, tmp_path, f'''
        use fixtures/host.net
        on a
          exec -- nsenter -t {pid} -n ip link                  = 1
          exec -- nsenter -t 1 -n ip link                      = 1
          # nor with a user namespace of its own: its root has no power
          # over the namespaces of the one the case was built in
          exec -- unshare -U -r nsenter -t 1 -n true           = 1
          # what hides the machine cannot be taken away
          exec -- umount -l /proc                              = 32
          exec -- unshare -U -r -m umount -l /proc             = 32
          exec -- mount -o "remount,rw" /                      = 32
        ''', "e2e/nsenter")
    assert "No such file" in steps[0]["data"], steps[0]
    assert "Operation not permitted" in steps[1]["data"] and "Operation not permitted" in steps[2]["data"]


PING = shutil.which("ping")


@pytest.mark.skipif(not PING, reason="needs ping (iputils-ping)")
def test_exec_still_configures_its_host(project, run, h, tmp_path):
    case, steps = exec_steps(run, h, project, tmp_path, '''
        use fixtures/pair.net
        on a
          l = socket(INET, STREAM)
          bind(l, 10.0.1.1:7070)                           = 0
          listen(l, 4)                                     = 0
          exec -- ip link show eth0                        = 0
          exec -- ip addr add 10.0.1.9/24 dev eth0         = 0
          exec -- ss -tln                                  = 0
          exec -- ping -c1 -W5 10.0.1.2                    = 0
          exec -- sh -c "echo 1 > /proc/sys/net/ipv4/ip_forward"  = 0
          exec -- id -u                                    = "0\\n"
          # the address the program added is the host's
          s = socket(INET, DGRAM)
          bind(s, 10.0.1.9:0)                              = 0
        ''', "e2e/configure")
    assert "eth0" in steps[0]["data"]
    assert "10.0.1.1:7070" in steps[2]["data"]
    assert "1 received" in steps[3]["data"]


def test_exec_is_nobody_on_the_machine(project, netrepro, h):
    path = h.write_case(project, "e2e/nobody", '''
        use fixtures/host.net
        on a
          exec -- sleep 1.93                = 0
        ''')
    p = subprocess.Popen([netrepro, "run", "--allow-exec", *BOUND, path], cwd=project,
                         stdout=subprocess.PIPE, text=True)
    try:
        uids, deadline = None, time.monotonic() + 1.5
        while uids is None and time.monotonic() < deadline:
            found = subprocess.run(["pgrep", "-f", "^sleep 1.93$"], capture_output=True, text=True).stdout.split()
            for line in open("/proc/%s/status" % found[0]) if found else []:
                if line.startswith("Uid:"):
                    uids = line.split()[1:]
            time.sleep(0.02)
        assert uids == ["65534"] * 4
        assert p.wait(timeout=10) == 0
    finally:
        p.kill()
        p.wait()


def test_exec_in_place_is_contained_too(project, netrepro, h, tmp_path):
    """Run in place, a program sees the network it was started in, and
    cannot change it: its user namespace is its own."""
    path = h.write_case(project, "e2e/inplace", '''
        use fixtures/host.net
        on a
          exec -- ip link show lo                          = 0
          exec -- ip addr add 10.0.9.9/32 dev lo           = 2
          exec -- sh -c "cd /proc && echo [0-9]*"          = "1\\n"
          exec -- id -u                                    = "0\\n"
        ''')
    rec = tmp_path / "inplace.json"
    r = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
                        netrepro, "run", "--in-place", "--allow-exec", *BOUND, "--json", str(rec), path],
                       cwd=project, capture_output=True, text=True)
    case = json.loads(rec.read_text())["cases"][0]
    assert case["status"] == "PASS", r.stdout


@pytest.mark.parametrize("in_place", [False, True], ids=["netns", "in-place"])
def test_exec_that_cannot_be_contained_is_not_run(project, netrepro, h, tmp_path, world_writable, in_place):
    """With no user namespace left to make (user.max_user_namespaces = 0 in a
    user namespace of the test's own), the program is not run at all, and
    the case is an ERROR that says why."""
    path = h.write_case(project, "e2e/uncontained", f'''
        use fixtures/host.net
        on a
          exec -- sh -c "echo x > {world_writable}/ran"     = 0
        ''')
    rec = tmp_path / "uncontained.json"
    script = ('echo 0 > /proc/sys/user/max_user_namespaces && ip link set lo up && exec "$@"')
    args = [netrepro, "run", "--allow-exec", "--json", str(rec), path] + (["--in-place"] if in_place else [])
    r = subprocess.run(["unshare", "-U", "-r", "-n", "sh", "-c", script, "sh", *args],
                       cwd=project, capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    case = json.loads(rec.read_text())["cases"][0]
    assert case["status"] == "ERROR"
    assert "No space left on device" in case["reason"], case["reason"]
    assert ("cannot contain the program" if in_place else "user namespace") in case["reason"]
    assert os.listdir(world_writable) == []


KEY_READER = """\
import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(4096)
KEYCTL_READ, SESSION = 11, -3
n = libc.syscall(250, KEYCTL_READ, ctypes.c_long(SESSION), buf, 4096)
for kid in struct.unpack("%di" % (max(n, 0) // 4), buf.raw[:max(n, 0)]):
    m = libc.syscall(250, KEYCTL_READ, kid, buf, 4096)
    print(kid, buf.raw[:max(m, 0)])
print("keys", n // 4 if n > 0 else n)
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the reader uses x86_64 syscall numbers")
def test_exec_has_a_session_keyring_of_its_own(project, netrepro, h, tmp_path, world_writable):
    """The keys of whoever ran netrepro (its session keyring) are not the
    program's to read."""
    import ctypes
    secret = b"netrepro-key-%d" % os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def own_session_with_a_key():
        libc.syscall(250, 1, b"netrepro-test")     # KEYCTL_JOIN_SESSION_KEYRING
        libc.syscall(248, b"user", b"netrepro-test", secret, len(secret), ctypes.c_long(-3))
    reader = os.path.join(world_writable, "keys.py")
    with open(reader, "w") as f:
        f.write(KEY_READER)
    os.chmod(reader, 0o644)
    path = h.write_case(project, "e2e/keys", f'''
        use fixtures/host.net
        on a
          exec -- python3 {reader}                          = 0
        ''')
    rec = tmp_path / "keys.json"
    r = subprocess.run([netrepro, "run", "--allow-exec", "--step-timeout", "20", "--json", str(rec), path],
                       cwd=project, capture_output=True, text=True, preexec_fn=own_session_with_a_key)
    step = json.loads(rec.read_text())["cases"][0]["steps"][0]
    assert step["status"] == "pass", r.stdout
    assert secret.decode() not in step["data"]
    assert step["data"] == "keys 0\\n"


def test_exec_gets_no_secret_of_its_callers_environment(project, netrepro, h, tmp_path):
    path = h.write_case(project, "e2e/env", '''
        use fixtures/host.net
        on a
          exec -- env                                       = 0
        ''')
    rec = tmp_path / "env.json"
    env = dict(os.environ, NR_TOKEN="netrepro-env-secret", LC_ALL="C", TZ="UTC")
    r = subprocess.run([netrepro, "run", "--allow-exec", *BOUND, "--json", str(rec), path],
                       cwd=project, capture_output=True, text=True, env=env)
    step = json.loads(rec.read_text())["cases"][0]["steps"][0]
    assert step["status"] == "pass", r.stdout
    names = sorted(v.split("=")[0] for v in step["data"].split("\\n") if v)
    assert "netrepro-env-secret" not in step["data"]
    assert names == sorted(["HOME", "LC_ALL", "PATH", "TZ"] +
                           [n for n in ("TERM", "LANG", "LANGUAGE") if n in env]), names
    assert "HOME=/tmp\\n" in step["data"] and "PATH=%s\\n" % env["PATH"] in step["data"]


def test_exec_has_no_terminal(project, netrepro, h, tmp_path):
    """netrepro run in a terminal: its program cannot write to it, nor type
    into it (TIOCSTI), having no controlling terminal."""
    import fcntl
    import termios
    master, slave = os.openpty()

    def in_the_terminal():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    path = h.write_case(project, "e2e/tty", '''
        use fixtures/host.net
        on a
          exec -- sh -c "echo netrepro-tty-write > /dev/tty"           = 2
          exec -- python3 -c "import fcntl, termios; fcntl.ioctl(open('/dev/tty', 'wb'), termios.TIOCSTI, b'Q')" = 1
          exec -- sh -c "cut -d ' ' -f 7 /proc/self/stat"               = "0\\n"
        ''')
    rec = tmp_path / "tty.json"
    try:
        r = subprocess.run([netrepro, "run", "--allow-exec", *BOUND, "--json", str(rec), path], cwd=project,
                           stdin=slave, capture_output=True, text=True, preexec_fn=in_the_terminal,
                           pass_fds=(slave,))
        case = json.loads(rec.read_text())["cases"][0]
        assert case["status"] == "PASS", r.stdout
        os.set_blocking(master, False)
        os.set_blocking(slave, False)
        for fd in (master, slave):
            try:
                seen = os.read(fd, 4096)
            except BlockingIOError:
                seen = b""
            assert b"netrepro-tty-write" not in seen and b"Q" not in seen, seen
    finally:
        os.close(master)
        os.close(slave)


def test_exec_case_is_built_as_a_rootless_one(project, run, h, tmp_path):
    """Its hosts are the contained user namespace's: `require root` SKIPs,
    `privilege` is rootless, and the record says netns+userns."""
    path = h.write_case(project, "e2e/needsroot", '''
        require root
        use fixtures/host.net
        on a
          exec -- true                                      = 0
        ''')
    r = run("run", "--allow-exec", path, cwd=project)
    assert r.returncode == 0 and "# SKIP requires root" in r.stdout, r.stdout
    case, steps = exec_steps(run, h, project, tmp_path, '''
        use fixtures/host.net
        on a
          exec -- true                           = 0 when privilege == rootless | 1
        ''', "e2e/privilege")
    assert steps[0]["status"] == "pass" and case["isolation"] == "netns+userns"
