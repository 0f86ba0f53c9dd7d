"""The command line as a tool people already use: help for every command,
man pages and completions written from the same table, make install, and a
run stopped by a signal that still writes what finished."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

COMMANDS = ["run", "check", "list", "env", "report", "diff", "help", "matrix"]


def options_of(text):
    """The long options a --help text lists."""
    return sorted({w.rstrip(",") for line in text.splitlines() if line.startswith("  -")
                   for w in line.split() if w.startswith("--")})


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help(run, cmd):
    a = run(cmd, "--help")
    assert a.returncode == 0 and a.stdout.startswith("usage: netrepro " + cmd), a.stdout + a.stderr
    assert "exit status:" in a.stdout
    b = run("help", cmd)
    assert b.returncode == 0 and b.stdout == a.stdout
    assert run(cmd, "-h").stdout == a.stdout


def test_help_unknown_topic(run):
    r = run("help", "nosuch")
    assert r.returncode == 2 and "unknown topic 'nosuch'" in r.stderr


@pytest.mark.parametrize("cmd", ["run", "report", "diff", "matrix"])
def test_documented_options_are_accepted(run, cmd, tmp_path):
    """Each long option the help lists is one the command takes."""
    for opt in options_of(run(cmd, "--help").stdout):
        if opt == "--help":
            continue
        r = run(cmd, opt, "1", str(tmp_path / "nothing"), timeout=30)
        assert "unrecognized option" not in r.stderr and "invalid option" not in r.stderr, (opt, r.stderr)


@pytest.mark.skipif(not shutil.which("groff"), reason="no groff")
@pytest.mark.parametrize("page", ["--man", "--man-case"])
def test_man_pages_render_cleanly(netrepro, page):
    src = subprocess.run([netrepro, "help", page], capture_output=True, text=True, check=True).stdout
    r = subprocess.run(["groff", "-man", "-Tascii", "-ww", "-z"], input=src, capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    if page == "--man":
        for cmd in COMMANDS:
            assert ".B netrepro %s" % cmd in src
        run_help = subprocess.run([netrepro, "run", "--help"], capture_output=True, text=True).stdout
        for opt in options_of(run_help):
            assert opt.replace("-", "\\-") in src, opt
    else:
        assert ".B bind(s, ADDR:PORT)" in src and ".B IPV6_V6ONLY" in src


def test_completions(netrepro, tmp_path):
    bash = subprocess.run([netrepro, "help", "--completion", "bash"], capture_output=True, text=True,
                          check=True).stdout
    path = tmp_path / "c.bash"
    path.write_text(bash)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    for word in COMMANDS + ["--step-timeout", "--kernel", "6.12.117+deb12-amd64", "kcidb"]:
        assert word in bash
    # the completion itself, as bash runs it: `netrepro ma<TAB>` and `run --st<TAB>`
    probe = ("source %s; COMP_WORDS=(netrepro ma); COMP_CWORD=1; _netrepro; echo ${COMPREPLY[@]}; "
             "COMP_WORDS=(netrepro run --st); COMP_CWORD=2; _netrepro; echo ${COMPREPLY[@]}" % path)
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True).stdout.splitlines()
    assert out == ["matrix", "--step-timeout --strict"], out
    zsh = subprocess.run([netrepro, "help", "--completion", "zsh"], capture_output=True, text=True,
                         check=True).stdout
    assert zsh.startswith("#compdef netrepro") and "_netrepro_ids" in zsh
    assert subprocess.run([netrepro, "help", "--completion", "fish"], capture_output=True).returncode == 2


def test_make_install_and_uninstall(h, tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["make", "-s", "install", "DESTDIR=%s" % dest, "PREFIX=/usr"], cwd=h.root,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    share = dest / "usr" / "share"
    for rel in ["netrepro/cases/seed/realm-dualstack.case", "netrepro/fixtures/host.net",
                "netrepro/pytest/netrepro_pytest.py", "man/man1/netrepro.1", "man/man5/netrepro-case.5",
                "bash-completion/completions/netrepro", "zsh/site-functions/_netrepro"]:
        assert (share / rel).is_file(), rel
    # a case copied out of the project finds its fixture in the share folder
    away = tmp_path / "away"
    away.mkdir()
    shutil.copy(os.path.join(h.root, "cases", "seed", "realm-dualstack.case"), away)
    binary = str(dest / "usr" / "bin" / "netrepro")
    r = subprocess.run([binary, "check", str(away / "realm-dualstack.case")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (share / "netrepro" / "fixtures" / "host.net").unlink()
    r = subprocess.run([binary, "check", str(away / "realm-dualstack.case")], capture_output=True, text=True)
    assert r.returncode == 2 and "looked from" in r.stderr and "share/netrepro" in r.stderr, r.stderr
    r = subprocess.run(["make", "-s", "uninstall", "DESTDIR=%s" % dest, "PREFIX=/usr"], cwd=h.root,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not [p for p in dest.rglob("*") if p.is_file()]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_stopped_run_writes_what_finished(netrepro, project, h, tmp_path, sig, code):
    path = h.write_case(project, "e2e/slow", '''
        use fixtures/host.net
        vary n = 1, 2, 3, 4, 5, 6
        on a
          sleep(1500)
    ''')
    out, junit = tmp_path / "r.json", tmp_path / "r.xml"
    p = subprocess.Popen([netrepro, "run", "-j", "2", "--json", str(out), "--junit", str(junit), path],
                         cwd=str(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.3)             # the first two have finished, two more run
    p.send_signal(sig)
    stdout, _ = p.communicate(timeout=20)
    assert p.returncode == code
    rec = json.loads(out.read_text())
    assert rec["interrupted"] == sig.name
    assert 1 <= len(rec["cases"]) < 6 and all(c["status"] == "PASS" for c in rec["cases"])
    assert "# interrupted by %s: %d of 6 cases finished" % (sig.name, len(rec["cases"])) in stdout
    assert junit.read_text().count("<testcase") == len(rec["cases"])


def test_progress_never_mixes_into_results(netrepro, h):
    """On a terminal (stdout and stderr both), the progress line is taken
    off before each result line, and is never wider than the screen."""
    import pty
    import re
    import struct
    import fcntl
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
    p = subprocess.Popen([netrepro, "run", "-j", "2", "cases/seed"], cwd=h.root, stdin=slave,
                         stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=120)
    os.close(master)
    text = out.decode(errors="replace")
    assert "[" in text and "/8]" in text, "no progress was shown"
    results = 0
    for line in text.split("\n"):
        # what the terminal shows of the line: after its last carriage return
        shown = re.sub(r"\x1b\[K", "", line.rstrip("\r").split("\r")[-1])
        if "ok " in line:
            assert re.match(r"^(not )?ok \d+ ", shown), repr(line)
            results += 1
    assert results == 8
    for frame in re.findall(r"\x1b\[K(\[\d+/8\][^\r\n\x1b]*)", text):
        assert len(frame) <= 39, frame
