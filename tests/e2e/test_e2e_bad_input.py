"""Malformed case files: FILE:LINE:COL: message, exit 2, nothing run.

One file per class of error in tests/e2e/bad/; the line and column are the
offending token's, counted by hand from the file (1-based, a tab is one
column).
"""
import json
import os
import re

import pytest

BAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bad")

# file, line, column, words the message must hold (the offending token first)
CASES = [
    ("unknown-call.case", 7, 7, ["frobnicate", "call"]),
    ("bad-address.case", 6, 11, ["127.0.0.300:80", "address"]),
    ("unknown-errno.case", 7, 47, ["EWHATEVER", "errno"]),
    ("unknown-option.case", 6, 25, ["SO_FROBNICATE", "option"]),
    ("undefined-socket.case", 7, 10, ["'t'", "socket"]),
    ("unterminated-block.case", 5, 3, ["repeat", "end"]),
    ("missing-use.case", 2, 7, ["fixtures/no-such-topology.net"]),
    ("bad-vary.case", 3, 18, ["v6only"]),
    ("garbage-line.case", 3, 1, ["%%%"]),
    ("unterminated-string.case", 6, 13, ["unterminated string"]),
    ("scope-on-ipv4.case", 6, 11, ["%lo", "IPv6"]),
    ("unknown-protocol.case", 5, 28, ["QUIC", "protocol"]),
    ("predicate-on-socket.case", 6, 30, ["'s'", "socket, not a number"]),
    ("pair-to-int-option.case", 6, 42, ["SO_REUSEADDR", "takes N"]),
    ("empty.case", 1, 1, ["no host"]),
    ("no-steps.case", 1, 1, ["no steps"]),
    ("vary-kernel.case", 3, 7, ["'kernel'", "platform"]),
    ("sleep-negative.case", 5, 9, ["'-1'", "milliseconds"]),
]


def test_every_bad_file_is_covered():
    files = sorted(f for f in os.listdir(BAD) if f.endswith(".case"))
    assert files == sorted(c[0] for c in CASES)


@pytest.mark.parametrize("command", ["run", "check", "list"])
@pytest.mark.parametrize("name, line, col, words", CASES, ids=[c[0][:-5] for c in CASES])
def test_bad_file(run, h, command, name, line, col, words):
    path = os.path.relpath(os.path.join(BAD, name), h.root)
    r = run(command, path)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    err = r.stderr.splitlines()
    assert err, "no message"
    prefix = "%s:%d:%d: " % (path, line, col)
    assert err[0].startswith(prefix), "want %r, got %r" % (prefix, err[0])
    msg = err[0][len(prefix):]
    assert msg.strip(), "an empty message"
    for w in words:
        assert w in msg, (w, err[0])
    assert len(err) == 1, "one error, one line: %r" % err
    assert not h.has_results(r.stdout), "nothing may run: " + r.stdout
    assert r.stdout == "", r.stdout


def test_bad_file_stops_the_whole_run(run, h):
    """A bad file among good ones: nothing runs, and every bad file is named."""
    bad1 = os.path.relpath(os.path.join(BAD, "unknown-call.case"), h.root)
    bad2 = os.path.relpath(os.path.join(BAD, "bad-address.case"), h.root)
    r = run("run", "cases/seed", bad1, bad2)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    assert re.search(r"^%s:7:7: " % re.escape(bad1), r.stderr, re.M), r.stderr
    assert re.search(r"^%s:6:11: " % re.escape(bad2), r.stderr, re.M), r.stderr


def test_bad_folder_reports_every_file(run, h):
    r = run("check", os.path.relpath(BAD, h.root))
    assert r.returncode == 2
    named = {l.split(":", 1)[0] for l in r.stderr.splitlines()}
    assert {os.path.basename(n) for n in named} == {c[0] for c in CASES}, r.stderr


def test_error_inside_a_fixture_names_the_fixture(project, run, h):
    (project / "fixtures" / "broken.net").write_text("host a\naddr a:lo 10.0.0.1/33\n")
    path = h.write_case(project, "e2e/uses-broken", '''
        title "uses a broken fixture"
        use   fixtures/broken.net
        on a
          s = socket(INET, STREAM)
    ''')
    r = run("check", path, cwd=project)
    assert r.returncode == 2
    assert re.match(r"^\S*fixtures/broken\.net:2:11: .*10\.0\.0\.1/33", r.stderr), r.stderr


def test_error_in_one_variant_only(project, run, h):
    """A value substituted from `vary` that is bad in one variant: the column
    is that of the `$name` written in the file."""
    path = h.write_case(project, "e2e/variant", '''
        title "a bad address in the second variant"
        use   fixtures/host.net
        vary  last = 1, 300
        on a
          s = socket(INET, STREAM)
          bind(s, 127.0.0.$last:80)     = 0
    ''')
    for command in ("check", "run"):
        r = run(command, path, cwd=project)
        assert r.returncode == 2
        assert r.stderr.startswith(path + ":6:11: "), r.stderr
        assert r.stdout == ""


def test_missing_path(run, h):
    r = run("run", "no/such/folder")
    assert r.returncode == 2
    assert "no/such/folder" in r.stderr
    assert r.stdout == ""


def test_folder_without_cases(run, h, tmp_path):
    r = run("run", str(tmp_path))
    assert r.returncode == 2
    assert "no *.case" in r.stderr
    assert r.stdout == ""


# ---- hostile input: what a case file from a ticket may hold ----

def refused(run, cwd, path, line, col, words, timeout=60):
    """`check` and `run` give one verdict: exit 2, FILE:LINE:COL first,
    nothing run."""
    for command in ("check", "run"):
        r = run(command, path, cwd=cwd, timeout=timeout)
        assert r.returncode == 2, (command, r.returncode, r.stderr[-500:])
        prefix = "%s:%d:%d: " % (path, line, col)
        assert r.stderr.startswith(prefix), (command, prefix, r.stderr[:500])
        for w in words:
            assert w in r.stderr, (command, w, r.stderr[:500])
        assert r.stdout == "", r.stdout[:500]
        assert len(r.stderr) < 1000, "the message is one short line"


HEAD = 'title "hostile"\nhost a\nvary v = 1, 2\non a\n'


@pytest.mark.parametrize("name", ["platform", "privilege"])
def test_vary_of_a_platform_name(project, run, h, name):
    """`vary kernel = 1, 2` was accepted, then shadowed by the real kernel."""
    path = h.write_case(project, "e2e/vary-" + name,
                        'host a\nvary %s = a, b\non a\n  s = socket(INET, STREAM)\n' % name)
    refused(run, project, path, 2, 6, ["'%s'" % name])


def test_deep_parentheses_in_a_condition(project, run, h):
    """Ten thousand '(' used to overflow the parser's stack (exit 139)."""
    step = "  s = socket(INET, STREAM) = 0 when "
    path = h.write_case(project, "e2e/parens", HEAD + step + "(" * 10000 + "v == 1" + ")" * 10000 + "\n")
    refused(run, project, path, 5, len(step) + 65, ["nested too deeply", "64"])


def test_long_or_chain_in_a_condition(project, run, h):
    """200k `or` terms used to pass `check` and kill the worker, 2M to
    crash `check` while freeing the chain: a bound, at the first term
    past it (120k terms: the most that fits in a 1 MiB file)."""
    step = "  s = socket(INET, STREAM) = 0 when "
    path = h.write_case(project, "e2e/orchain", HEAD + step + " or ".join(["v==1"] * 120000) + "\n")
    col = len(step) + 1 + len("v==1 or ") * 4096    # the 4097th term
    refused(run, project, path, 5, col, ["condition too long", "4096"])


def test_longest_condition_runs(project, run, h):
    """At the bound, a condition parses, runs and is freed in the worker."""
    step = "  s = socket(INET, STREAM) = 0 when "
    path = h.write_case(project, "e2e/orchain-max",
                        HEAD + step + " or ".join(["v==9"] * 4095 + ["v==1"]) + "\n")
    assert run("check", path, cwd=project).returncode == 0
    r = run("run", path, cwd=project, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [res[0] for res in h.Ktap(r.stdout).results] == [True, True], r.stdout


def test_deep_parentheses_in_an_expression(project, run, h):
    step = "  if "
    path = h.write_case(project, "e2e/exprparens",
                        HEAD + "  n = socket(INET, STREAM)\n" + step + "(" * 10000 + "1 == 1" + ")" * 10000 + "\n  end\n")
    refused(run, project, path, 6, len(step) + 65, ["nested too deeply"])


def test_nul_byte_is_an_error_at_its_column(project, run, h):
    """A NUL used to end the file quietly: `host a\\0b` then steps ran as
    a PASS of 0 steps."""
    path = h.write_case(project, "e2e/nul", "")
    with open(os.path.join(str(project), path), "wb") as f:
        f.write(b'title "nul"\nhost a\x00b\non a\n  s = socket(INET, STREAM) = 0\n')
    refused(run, project, path, 2, 7, ["0x00"])


@pytest.mark.parametrize("name, words", [
    ("/etc/shadow", ["refusing", "outside"]),
    ("/dev/zero", ["refusing", "outside"]),
    ("../../../../../../../../etc/passwd", ["refusing", "outside"]),
    ("etc/passwd", ["refusing", "outside"]),      # found by the upward search at /
])
def test_use_outside_the_fixture_folders(project, run, h, name, words):
    """`use` used to read any path, and print its first line in the error."""
    path = h.write_case(project, "e2e/use-outside", 'title "x"\nuse %s\non a\n' % name)
    refused(run, project, path, 2, 5, words, timeout=20)
    r = run("check", path, cwd=project)
    assert "root:" not in r.stderr, "never the file's content"


def test_use_of_a_symlink_out_of_the_tree(project, run, h):
    os.symlink("/etc/passwd", str(project / "fixtures" / "link.net"))
    path = h.write_case(project, "e2e/use-link", 'title "x"\nuse fixtures/link.net\non a\n')
    refused(run, project, path, 2, 5, ["refusing", "outside"])
    assert "root:" not in run("check", path, cwd=project).stderr


def test_use_of_a_file_that_is_no_fixture(project, run, h):
    """A readable file inside the tree that is no fixture: the error does
    not quote its first word (a key, a password hash)."""
    (project / "fixtures" / "secret.net").write_text("s3cr3t:$6$salt$hash\n")
    path = h.write_case(project, "e2e/use-secret", 'title "x"\nuse fixtures/secret.net\non a\n')
    r = run("check", path, cwd=project)
    assert r.returncode == 2
    assert "secret.net:1:1: not a topology statement" in r.stderr, r.stderr
    assert "s3cr3t" not in r.stderr and "hash" not in r.stderr, r.stderr


def test_use_of_a_fifo_or_a_large_file(project, run, h):
    """A FIFO used to hang `check`; a fixture is a regular file of at most
    1 MiB."""
    os.mkfifo(str(project / "fixtures" / "fifo.net"))
    path = h.write_case(project, "e2e/use-fifo", 'title "x"\nuse fixtures/fifo.net\non a\n')
    refused(run, project, path, 2, 5, ["not a regular file"], timeout=20)
    (project / "fixtures" / "huge.net").write_text("# padding\n" * 110000)
    path = h.write_case(project, "e2e/use-huge", 'title "x"\nuse fixtures/huge.net\non a\n')
    refused(run, project, path, 2, 5, ["larger than 1 MiB"])


def test_case_file_not_regular(project, run, h):
    """`check /dev/zero` used to eat memory, `check FIFO` to hang."""
    os.mkfifo(str(project / "cases" / "fifo.case"))
    refused(run, project, "cases/fifo.case", 1, 1, ["not a regular file"], timeout=20)
    refused(run, "/", "/dev/zero", 1, 1, ["not a regular file"], timeout=20)
    (project / "cases" / "huge.case").write_text("# padding\n" * 110000)
    refused(run, project, "cases/huge.case", 1, 1, ["larger than 1 MiB"])


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e3", "0x10", "86401", "99999999999"])
@pytest.mark.parametrize("command, option", [
    ("run", "--timeout"), ("run", "--step-timeout"),
    ("matrix", "--timeout"), ("matrix", "--guest-timeout"),
])
def test_bad_duration_is_a_usage_error(run, h, command, option, value):
    """`--timeout nan` and the like used to be taken (nan passes `v <= 0`
    and `v > 86400` alike): a duration is more than 0 and at most a day."""
    r = run(command, option, value, "cases/seed/realm-dualstack.case", timeout=30)
    assert r.returncode == 2, (r.returncode, r.stderr[-300:])
    assert "'%s'" % value in r.stderr and "86400" in r.stderr, r.stderr
    assert r.stdout == ""


def test_sleep_too_long_is_an_error(project, run, h):
    path = h.write_case(project, "e2e/sleep-long", 'title "x"\nhost a\non a\n  sleep(86400001)\n')
    refused(run, project, path, 4, 9, ["'86400001'", "86400000"])


def test_sleep_from_a_variable_is_checked_when_it_runs(project, run, h):
    """A variable's value is known only when the step runs: a sleep of
    4294967295 ms (49 days) fails with EINVAL there, it does not hang."""
    path = h.write_case(project, "e2e/sleep-var", '''
        title "a sleep whose length comes from a sysctl"
        host a
        on a
          n = sysctl(net.ipv4.tcp_notsent_lowat)
          sleep($n) = EINVAL
    ''')
    assert run("check", path, cwd=project).returncode == 0
    r = run("run", "--timeout", "10", path, cwd=project, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert h.Ktap(r.stdout).results[0][0], r.stdout


def test_failing_steps_are_capped_too(project, run, h, validate, tmp_path):
    """A loop of failing steps once wrote 86k steps, 17 MB of JSON and
    5.5 MB of KTAP: the record keeps the first 100 mismatches, says how
    many more there were, and the case still FAILs."""
    path = h.write_case(project, "e2e/many-failures", '''
        title "a loop of failing steps"
        host a
        on a
          repeat 20000
            s = socket(INET, STREAM) = EPERM
            close(s)
          end
    ''')
    out = str(tmp_path / "run.json")
    r = run("run", "--json", out, path, cwd=project, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "19900 more failing steps" in r.stdout
    assert len(r.stdout) < 200_000, len(r.stdout)
    assert os.path.getsize(out) < 1_000_000, os.path.getsize(out)
    with open(out) as f:
        rec = json.load(f)
    validate(rec)
    case = rec["cases"][0]
    assert case["status"] == "FAIL"
    fails = [s for s in case["steps"] if s["status"] == "fail"]
    assert len(fails) == 100
    assert fails[0]["iter"] == "#1", fails[0]
    assert case["failed_suppressed"] == 19900
    md = run("report", "--format", "md", out, cwd=project)
    assert "19900 more failing steps" in md.stdout
    html = run("report", "--format", "html", out, cwd=project)
    assert "19900 more failing steps" in html.stdout


def test_many_variants_of_a_large_file_share_its_text(project, netrepro, h):
    """Each variant kept its own copy of the file: 1024 variants of a 1 MB
    file needed a GB, and under a smaller address-space limit `check`
    crashed (SIGSEGV, an unchecked open_memstream). One copy now."""
    import resource
    import subprocess
    values = ", ".join(str(i) for i in range(32))
    body = ('title "big"\nhost a\nvary x = %s\nvary y = %s\non a\n  s = socket(INET, STREAM) = 0\n'
            % (values, values)) + ("# " + "x" * 98 + "\n") * 10000
    path = h.write_case(project, "e2e/big", body)
    assert 900_000 < len(body) < 1 << 20

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (300 << 20, 300 << 20))
    r = subprocess.run([netrepro, "check", path], cwd=project, capture_output=True, text=True,
                       timeout=120, preexec_fn=limit)
    assert r.returncode in (0, 2), (r.returncode, r.stderr[-300:])
    if r.returncode == 2:       # a clean error, never a crash
        assert r.stderr.startswith(path + ":1:1: out of memory"), r.stderr
    else:
        assert r.stdout == "1024 case(s) in 1 file(s): ok\n", r.stdout
