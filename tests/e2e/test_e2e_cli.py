"""The command line contract: help, exit status 2 for usage errors."""
import json
import os
import re
import sys

import pytest


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help(run, flag):
    r = run(flag)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: netrepro")
    for command in ("run", "check", "list", "env", "report", "diff", "help", "matrix"):
        assert re.search(r"^\s+%s\b" % command, r.stdout, re.M), command
    # each command's options are in its own help
    assert "`netrepro COMMAND --help`" in r.stdout
    assert r.stderr == ""


def test_run_help(run):
    r = run("run", "--help")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: netrepro run")
    for option in ("-j", "-k", "--timeout", "--json", "--captures", "--strict", "--in-place"):
        assert option in r.stdout, option


def test_version(run):
    r = run("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"netrepro \S+\n", r.stdout), r.stdout


def test_no_arguments(run):
    r = run()
    assert r.returncode == 2
    assert "usage:" in r.stderr
    assert r.stdout == ""


def test_unknown_command(run):
    r = run("frobnicate", "cases/seed")
    assert r.returncode == 2
    assert "frobnicate" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("command", ["run", "check", "list"])
def test_no_path(run, command):
    r = run(command)
    assert r.returncode == 2
    assert "no PATH" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args, word", [
    (["-j", "0"], "-j"),
    (["-j", "-3"], "-j"),
    (["-j", "x"], "-j"),
    (["-j", "65"], "-j"),
    (["--jobs", "0"], "-j"),
    (["--timeout", "0"], "seconds"),
    (["--timeout", "soon"], "seconds"),
    (["--step-timeout", "-1"], "seconds"),
    (["--no-such-option"], "no-such-option"),
    (["-j"], "-j"),
])
def test_run_bad_option(run, h, args, word):
    r = run("run", *args, "cases/seed")
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert word in r.stderr, r.stderr
    assert r.stderr.startswith("netrepro"), "messages name the program: %r" % r.stderr
    assert not h.has_results(r.stdout)


def test_options_after_paths(run, h):
    r = run("list", "cases/seed")
    ids = [i for i in r.stdout.split() if "realm" in i]
    r = run("run", "cases/seed", "-k", "realm", "-j", "1")
    assert r.returncode == 0, r.stderr
    assert h.Ktap(r.stdout).check_wellformed().ids() == ids


def test_list(run):
    r = run("list", "cases/seed")
    assert r.returncode == 0
    ids = r.stdout.split()
    assert "seed/realm-dualstack[v6only=0]" in ids
    assert len(ids) == len(set(ids)) == len(r.stdout.splitlines())
    # files in sorted order, variants in the order `vary` gives them
    assert ids.index("seed/zenoh-multicast-noroute[route=none]") < \
        ids.index("seed/zenoh-multicast-noroute[route=multicast]") < \
        ids.index("seed/zenoh-multicast-noroute[route=default]")
    files = [i.split("[")[0] for i in ids]
    assert files == sorted(files)


def test_check_good(run):
    r = run("check", "cases/seed")
    assert r.returncode == 0, r.stderr
    n = len(run("list", "cases/seed").stdout.split())
    assert re.match(r"%d case\(s\) in \d+ file\(s\): ok" % n, r.stdout), r.stdout


def test_env_is_json(run):
    r = run("env")
    assert r.returncode == 0
    env = json.loads(r.stdout)
    assert env["kernel"]["release"] == os.uname().release
    assert env["privilege"] == ("root" if os.geteuid() == 0 else "rootless")


def test_json_unwritable(run, h, tmp_path):
    r = run("run", "--json", str(tmp_path / "no" / "such" / "dir" / "run.json"),
            "-k", "ephemeral", "cases/seed")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "run.json" in r.stderr


def test_ids_do_not_depend_on_how_the_path_is_written(run, h):
    want = run("list", "cases/seed").stdout
    assert want
    for form in ("./cases/seed", os.path.join(h.root, "cases", "seed"),
                 "tests/../cases/seed/", os.path.join(h.root, "tests", "e2e", "..", "..", "cases", "seed")):
        r = run("list", form)
        assert r.returncode == 0, r.stderr
        assert r.stdout == want, form


def test_a_file_named_twice_runs_once(run, h):
    want = run("list", "cases/seed").stdout.split()
    r = run("list", "cases/seed", "cases/seed/realm-dualstack.case",
            "./cases/seed/realm-dualstack.case")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == want
    r = run("run", "-k", "realm", "cases/seed/realm-dualstack.case", "cases/seed")
    assert h.Ktap(r.stdout).check_wellformed().ids() == [i for i in want if "realm" in i]


def test_run_from_inside_cases(run, h):
    r = run("list", "seed", cwd=os.path.join(h.root, "cases"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == run("list", "cases/seed").stdout


@pytest.mark.parametrize("topic", ["calls", "options"])
def test_readme_lists_are_the_registry(run, topic):
    """The README's tables of calls and options are `help --markdown`, byte
    for byte: a row added to the registry without `make readme` fails here."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import readme_tables
    with open(readme_tables.README) as f:
        text = f.read()
    assert readme_tables.block(topic).search(text), "README has no generated %s table" % topic
    assert topic not in readme_tables.differing(text, readme_tables.os.path.join(readme_tables.ROOT, "build", "netrepro"))
    assert "and more" not in text


def test_help_calls_lists_every_call(run):
    r = run("help", "calls")
    assert r.returncode == 0
    for call in ("socket", "bind", "sendmsg", "recvmsg", "recverr", "getsockopt", "ifindex"):
        assert re.search(r"^%s\(" % call, r.stdout, re.M), call
    assert re.search(r"^exec -- PROGRAM", r.stdout, re.M)


def test_help_options_names_shapes(run):
    r = run("help", "options")
    assert r.returncode == 0
    assert re.search(r"^SO_LINGER\s+SOCKET\s+ON, SECONDS \(pair\)", r.stdout, re.M), r.stdout
    assert re.search(r"^IP_MTU_DISCOVER\s+IP\s+DONT\|WANT\|DO\|PROBE", r.stdout, re.M)
    assert re.search(r"^IP_ADD_MEMBERSHIP\s+IP\s+.*set only", r.stdout, re.M)


def test_help_unknown_topic(run):
    r = run("help", "sockets")
    assert r.returncode == 2
    assert "unknown topic 'sockets'" in r.stderr
