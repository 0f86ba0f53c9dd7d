"""FAIL, SKIP and TIMEOUT as KTAP and exit status; -k selection; -j."""
import json
import os
import shutil
import time

import pytest


FAILING = '''
    title "bind expected to collide, but it does not"
    use   fixtures/host.net

    on a
      s = socket(INET, STREAM)
      bind(s, 127.0.0.1:8080)           = EADDRINUSE
      listen(s, 4)                      = 0
'''

SKIPPED = '''
    title "needs a kernel from the future"
    require kernel >= 99.0
    use   fixtures/host.net

    on a
      s = socket(INET, STREAM)
      bind(s, 127.0.0.1:80)             = EADDRINUSE
'''

PASSING = '''
    title "a plain bind"
    use   fixtures/host.net
    vary  port = 80, 81

    on a
      s = socket(INET, STREAM)
      bind(s, 127.0.0.1:$port)          = 0
'''

BLOCKING = '''
    title "recv on a socket nobody writes to"
    use   fixtures/host.net

    on a
      u = socket(INET, DGRAM)
      bind(u, 127.0.0.1:9999)           = 0
      recv(u)
'''


def test_failing_case(project, run, h):
    path = h.write_case(project, "e2e/failing", FAILING)
    r = run("run", "--json", "out.json", path, cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    k = h.Ktap(r.stdout).check_wellformed()
    assert k.results == [(False, 1, "e2e/failing", None, None)], r.stdout
    # the trace: every step, the failing one with its expectation and answer
    d = k.diagnostics
    i = next(n for n, l in enumerate(d) if "bind(s, 127.0.0.1:8080)" in l)
    assert d[i].startswith("# ") and " 6 a" in d[i], d
    assert d[i + 1].split() == ["#", "expected:", "EADDRINUSE"], d
    assert d[i + 2].split() == ["#", "observed:", "0"], d
    assert any("socket(INET, STREAM)" in l for l in d[:i]), d
    assert any("listen(s, 4)" in l for l in d[i + 3:]), "steps after a mismatch still run"
    assert r.stdout.index("bind(s, 127.0.0.1:8080)") < r.stdout.index("not ok 1"), \
        "the trace comes before its result line"
    rec = json.load(open(project / "out.json"))
    (c,) = rec["cases"]
    assert c["status"] == "FAIL"
    bad = [s for s in c["steps"] if s["status"] == "fail"]
    assert [(s["line"], s["expected"], s["observed"]) for s in bad] == [(6, "EADDRINUSE", "0")]
    assert rec["summary"]["FAIL"] == 1 and rec["summary"]["PASS"] == 0


def test_unmet_requirement_is_skip(project, run, h):
    path = h.write_case(project, "e2e/future", SKIPPED)
    r = run("run", "--json", "out.json", path, cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[2:] == ["ok 1 e2e/future # SKIP requires kernel >= 99.0"], r.stdout
    rec = json.load(open(project / "out.json"))
    (c,) = rec["cases"]
    assert (c["status"], c["reason"], c["steps"]) == ("SKIP", "requires kernel >= 99.0", [])
    assert rec["summary"]["SKIP"] == 1


def test_mixed_run_exit_status_and_order(project, run, h):
    h.write_case(project, "e2e/a-pass", PASSING)
    h.write_case(project, "e2e/b-fail", FAILING)
    h.write_case(project, "e2e/c-skip", SKIPPED)
    r = run("run", "--json", "out.json", "cases", cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    k = h.Ktap(r.stdout).check_wellformed()
    assert [(ok, cid, d) for ok, _, cid, d, _ in k.results] == [
        (True, "e2e/a-pass[port=80]", None), (True, "e2e/a-pass[port=81]", None),
        (False, "e2e/b-fail", None), (True, "e2e/c-skip", "SKIP")], r.stdout
    rec = json.load(open(project / "out.json"))
    assert rec["summary"] == {"PASS": 2, "FAIL": 1, "ERROR": 0, "SKIP": 1, "TIMEOUT": 0, "KNOWN-BUG": 0}


def test_blocking_case_times_out(project, run, h):
    path = h.write_case(project, "e2e/blocks", BLOCKING)
    t0 = time.monotonic()
    r = run("run", "--step-timeout", "60", "--timeout", "1", "--json", "out.json", path,
            cwd=project, timeout=30)
    elapsed = time.monotonic() - t0
    assert r.returncode == 1, r.stdout + r.stderr
    assert 0.9 <= elapsed < 5, "the case timeout (1 s), not the step bound (60 s): %.2f s" % elapsed
    k = h.Ktap(r.stdout).check_wellformed()
    ((ok, _, cid, directive, _),) = k.results
    assert (ok, cid, directive) == (False, "e2e/blocks", "TIMEOUT"), r.stdout
    # the steps that did complete are still in the trace
    assert any("bind(u, 127.0.0.1:9999)" in l for l in k.diagnostics), r.stdout
    rec = json.load(open(project / "out.json"))
    (c,) = rec["cases"]
    assert c["status"] == "TIMEOUT" and c["reason"], c
    assert 0.9 <= c["duration_s"] < 5
    assert rec["summary"]["TIMEOUT"] == 1


def test_step_timeout_bounds_a_blocking_step(project, run, h):
    """With the default case timeout, the step bound ends the recv."""
    path = h.write_case(project, "e2e/blocks", BLOCKING.replace("recv(u)", "recv(u) = TIMEOUT"))
    t0 = time.monotonic()
    r = run("run", "--step-timeout", "0.3", path, cwd=project, timeout=30)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert elapsed < 3, elapsed
    assert r.stdout.splitlines()[2:] == ["ok 1 e2e/blocks"], r.stdout


@pytest.fixture
def seed_project(project, h):
    shutil.copytree(os.path.join(h.root, "cases", "seed"), project / "cases" / "seed")
    return project


@pytest.mark.parametrize("pattern, expected", [
    ("realm", ["seed/realm-dualstack[v6only=0]", "seed/realm-dualstack[v6only=1]"]),
    ("v6only=1", ["seed/realm-dualstack[v6only=1]"]),
    ("seed/zenoh*", ["seed/zenoh-multicast-noroute[route=none]",
                     "seed/zenoh-multicast-noroute[route=multicast]",
                     "seed/zenoh-multicast-noroute[route=default]"]),
    ("*\\[ts=?\\]", ["seed/trippy-timewait-ports[ts=0]", "seed/trippy-timewait-ports[ts=1]"]),
    ("*exhaustion", ["seed/ephemeral-exhaustion"]),
    # an id exactly as `list` prints it, brackets and all
    ("seed/realm-dualstack[v6only=1]", ["seed/realm-dualstack[v6only=1]"]),
    ("seed/trippy-timewait-ports[ts=0]", ["seed/trippy-timewait-ports[ts=0]"]),
])
def test_match_selects_by_id(seed_project, run, h, pattern, expected):
    r = run("run", "-k", pattern, "cases", cwd=seed_project)
    assert r.returncode == 0, r.stdout + r.stderr
    k = h.Ktap(r.stdout).check_wellformed()
    assert k.ids() == expected
    r2 = run("run", "--match", pattern, "cases", cwd=seed_project)
    assert r2.stdout == r.stdout


def test_match_nothing_is_an_error(seed_project, run, h):
    r = run("run", "-k", "no-such-case", "cases", cwd=seed_project)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no-such-case" in r.stderr
    assert not h.has_results(r.stdout)


def test_jobs_do_not_change_ktap(seed_project, run, h):
    h.write_case(seed_project, "e2e/a-pass", PASSING)
    h.write_case(seed_project, "e2e/b-fail", FAILING)
    h.write_case(seed_project, "e2e/c-skip", SKIPPED)
    r1 = run("run", "-j", "1", "cases", cwd=seed_project)
    r2 = run("run", "-j", "2", "cases", cwd=seed_project)
    r8 = run("run", "--jobs", "8", "cases", cwd=seed_project)
    assert r1.returncode == r2.returncode == r8.returncode == 1
    h.Ktap(r1.stdout).check_wellformed()
    assert "not ok" in r1.stdout and "# SKIP" in r1.stdout
    assert r2.stdout == r1.stdout
    assert r8.stdout == r1.stdout


def test_jobs_run_in_parallel(project, run, h):
    path = h.write_case(project, "e2e/sleeps", '''
        title "sleeps"
        use   fixtures/host.net
        vary  n = 1, 2, 3, 4

        on a
          sleep(500)                    = 0
    ''')
    t0 = time.monotonic()
    r1 = run("run", "-j", "1", path, cwd=project)
    serial = time.monotonic() - t0
    t0 = time.monotonic()
    r4 = run("run", "-j", "4", path, cwd=project)
    parallel = time.monotonic() - t0
    assert r1.returncode == r4.returncode == 0, r1.stdout + r4.stdout
    assert r1.stdout == r4.stdout
    assert serial >= 2.0, serial
    assert parallel < 1.5, "4 cases of 0.5 s with -j 4 took %.2f s" % parallel


UNREACHABLE_ROUTE = '''
    title "a route via a gateway nobody can reach"
    use   fixtures/host.net
    route a 10.9.0.0/16 via 10.0.1.99

    on a
      s = socket(INET, STREAM)
'''


def test_topology_error_is_error(project, run, h):
    path = h.write_case(project, "e2e/unreachable", UNREACHABLE_ROUTE)
    r = run("run", "--json", "out.json", path, cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    k = h.Ktap(r.stdout).check_wellformed()
    ((ok, _, cid, directive, reason),) = k.results
    assert (ok, cid, directive) == (False, "e2e/unreachable", "ERROR"), r.stdout
    assert reason.startswith("line 3: route 10.9.0.0/16 via 10.0.1.99"), reason
    rec = json.load(open(project / "out.json"))
    assert rec["cases"][0]["status"] == "ERROR" and rec["cases"][0]["steps"] == []
    assert rec["summary"]["ERROR"] == 1


def test_topology_error_in_a_fixture_names_it(project, run, h):
    (project / "fixtures" / "badroute.net").write_text("host a\nroute a 10.9.0.0/16 via 10.0.1.99\n")
    path = h.write_case(project, "e2e/bad-fixture", '''
        title "uses a fixture whose route cannot be added"
        use   fixtures/badroute.net
        on a
          s = socket(INET, STREAM)
    ''')
    r = run("run", path, cwd=project)
    assert r.returncode == 1
    ((ok, _, _, directive, reason),) = h.Ktap(r.stdout).check_wellformed().results
    assert directive == "ERROR"
    assert "badroute.net line 2: route" in reason, "line 2 of the fixture, not of the case: " + reason


def test_timeout_does_not_hold_up_the_others(project, run, h):
    h.write_case(project, "e2e/a-blocks", BLOCKING)
    h.write_case(project, "e2e/b-pass", PASSING)
    h.write_case(project, "e2e/c-fail", FAILING)
    t0 = time.monotonic()
    r = run("run", "-j", "2", "--timeout", "1", "--step-timeout", "30", "cases", cwd=project)
    elapsed = time.monotonic() - t0
    assert r.returncode == 1
    assert elapsed < 4, elapsed
    k = h.Ktap(r.stdout).check_wellformed()
    assert [(ok, cid, d) for ok, _, cid, d, _ in k.results] == [
        (False, "e2e/a-blocks", "TIMEOUT"), (True, "e2e/b-pass[port=80]", None),
        (True, "e2e/b-pass[port=81]", None), (False, "e2e/c-fail", None)], r.stdout


def test_no_progress_line_when_stderr_is_not_a_terminal(project, run, h):
    path = h.write_case(project, "e2e/pass", PASSING)
    r = run("run", path, cwd=project)
    assert r.returncode == 0
    assert r.stderr == ""


def test_progress_line_on_a_terminal(project, netrepro, h):
    import pty
    import subprocess
    path = h.write_case(project, "e2e/pass", PASSING)
    master, slave = pty.openpty()
    try:
        r = subprocess.run([netrepro, "run", path], cwd=str(project), stdout=subprocess.PIPE,
                           stderr=slave, text=True, timeout=60)
        os.close(slave)
        slave = None
        tty = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            tty += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert r.returncode == 0
    assert b"e2e/pass[port=80]" in tty and b"/2]" in tty, tty
    h.Ktap(r.stdout).check_wellformed()     # stdout stays pure KTAP


GROUPED = '''
    title "a second bind on one port, SO_REUSEADDR on both or neither"
    use   fixtures/host.net
    vary  r1 = 0, 1
    vary  r2 = 0, 1

    on a
      s = socket(INET, STREAM)
      t = socket(INET, STREAM)
      setsockopt(s, SO_REUSEADDR, $r1)   = 0
      setsockopt(t, SO_REUSEADDR, $r2)   = 0
      bind(s, 127.0.0.1:8080)            = 0
      bind(t, 127.0.0.1:8080)            = 0 when (r1 == 1) and (r2 == 1 and kernel >= 2.6) | EADDRINUSE when (r1 == 0 or r2 == 0) | EINVAL
'''


def test_parenthesised_conditions_pick_the_expectation(project, run, h):
    """Two unbound sockets, neither listening: the second bind succeeds only
    with SO_REUSEADDR on both; each variant must land on its own alternative
    (a wrong grouping would expect 0 or EINVAL somewhere and fail)."""
    h.write_case(project, "e2e/grouped", GROUPED)
    r = run("run", "--json", "out.json", "cases", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    rec = json.load(open(project / "out.json"))
    got = {c["id"]: c["steps"][-1]["expected"] for c in rec["cases"]}
    assert got == {
        "e2e/grouped[r1=0,r2=0]": "EADDRINUSE", "e2e/grouped[r1=0,r2=1]": "EADDRINUSE",
        "e2e/grouped[r1=1,r2=0]": "EADDRINUSE", "e2e/grouped[r1=1,r2=1]": "0"}, got


ANSWERS = '''
    title "either answer is fine on the second bind; neither on the third"
    use   fixtures/host.net

    on a
      s = socket(INET, STREAM)
      t = socket(INET, STREAM)
      u = socket(INET, STREAM)
      bind(s, 127.0.0.1:8080)            = 0
      bind(t, 127.0.0.1:8080)            = 0 or EADDRINUSE
      bind(u, 127.0.0.1:8080)            = EACCES or EPERM
'''


def test_answers_joined_with_or(project, run, h):
    h.write_case(project, "e2e/answers", ANSWERS)
    r = run("run", "--json", "out.json", "cases", cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    steps = json.load(open(project / "out.json"))["cases"][0]["steps"]
    assert [(s["expected"], s["observed"], s["status"]) for s in steps[3:]] == [
        ("0", "0", "pass"), ("0 or EADDRINUSE", "EADDRINUSE", "pass"),
        ("EACCES or EPERM", "EADDRINUSE", "fail")], steps
    # the failing step's trace names the whole expectation
    assert "EACCES or EPERM" in r.stdout, r.stdout
