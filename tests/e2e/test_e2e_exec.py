"""exec: a case may run a program inside a host, only with --allow-exec."""
import json
import subprocess
import time

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
    r = run("run", "--allow-exec", "--json", str(rec), path, cwd=project)
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
    r = run("run", "--allow-exec", "--step-timeout", "1", path, cwd=project)
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
