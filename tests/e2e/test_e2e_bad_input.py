"""Malformed case files: FILE:LINE:COL: message, exit 2, nothing run.

One file per class of error in tests/e2e/bad/; the line and column are the
offending token's, counted by hand from the file (1-based, a tab is one
column).
"""
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
