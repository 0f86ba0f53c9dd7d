"""`netrepro matrix` on a terminal: a line per kernel, updated in place as
its guest boots and runs (each case's end streamed from the guest), then
done with its verdict; all of it taken off the screen before the table, and
none of it when the output is not a terminal.

Run with /usr/bin/python3 -m pytest tests/matrix/test_progress.py.
"""
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import termios

import pytest

from test_matrix import FLAVOUR, cached_flavour_image, need_guest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLUMNS = 60
SEEDS = ("realm-dualstack.case", "zenoh-multicast-noroute.case")   # 5 case ids


@pytest.fixture
def project(tmp_path):
    """A few seed cases and the fixtures they use."""
    p = tmp_path / "project"
    shutil.copytree(os.path.join(ROOT, "fixtures"), str(p / "fixtures"))
    (p / "cases").mkdir()
    for name in SEEDS:
        shutil.copy(os.path.join(ROOT, "cases", "seed", name), str(p / "cases" / name))
    return p


def on_a_terminal(argv, cwd, timeout=600):
    """argv with stdin, stdout and stderr on one pty of COLUMNS columns:
    (exit status, everything written, decoded)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    p = subprocess.Popen(argv, cwd=str(cwd), stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:         # EIO: every writer has closed the pty
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=timeout)
    os.close(master)
    return p.returncode, out.decode(errors="replace")


def states(text, name):
    """What kernel name's line said, frame by frame (a change each)."""
    said = []
    for text_of_line in re.findall(r"\x1b\[K  " + re.escape(name) + r" +([^\r\n\x1b]*)", text):
        if not said or said[-1] != text_of_line:
            said.append(text_of_line.strip())
    return said


def test_progress_per_guest_on_a_terminal(netrepro, project, tmp_path):
    need_guest()
    cached_flavour_image()
    out = tmp_path / "out"
    rc, text = on_a_terminal([netrepro, "matrix", "-j", "2", "--kernel", FLAVOUR, "--kernel", "host",
                              "--out", str(out), "cases"], project)
    assert rc == 0, text

    guest = states(text, FLAVOUR)
    assert guest, "no line for the guest:\n%r" % text
    assert "booting" in guest, guest
    running = [s for s in guest if s.startswith("running ")]
    # every case's end, streamed from the guest as it ran
    assert running[-5:] == ["running %d/5" % i for i in range(1, 6)], guest
    assert guest.index("booting") < guest.index("running 1/5") < guest.index("sending the record"), guest
    assert re.match(r"done in [\d.]+ s: 5 PASS$", guest[-1]), guest

    on_host = states(text, "host")
    assert "running 5/5" in on_host and re.match(r"done in [\d.]+ s: 5 PASS$", on_host[-1]), on_host

    # the host's `run` draws no line of its own into the board
    assert not re.search(r"\[\d+/5\]", text), text

    # never wider than the screen: a wrapped line would be left behind
    for frame in re.findall(r"\x1b\[K([^\r\n\x1b]*)", text):
        assert len(frame) <= COLUMNS - 1, frame

    # the lines are taken off before the table: what follows is plain
    last_erase = text.rindex("\x1b[J")
    tail = text[last_erase + len("\x1b[J"):]
    assert "\x1b" not in tail and "\r" not in tail.replace("\r\n", "\n"), repr(tail)
    rows = [line.split() for line in tail.replace("\r\n", "\n").splitlines() if re.match(r"  (realm|zenoh)-", line)]
    assert len(rows) == 5 and all(r[1:] == ["PASS", "PASS"] for r in rows), tail
    assert "records: " in tail


def test_no_progress_when_not_a_terminal(nr, project, tmp_path):
    """Logs stay clean: the line per kernel only says it started."""
    out = tmp_path / "out"
    r = nr("matrix", "--kernel", "host", "--out", out, "cases", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stderr + r.stdout and "\r" not in r.stderr + r.stdout
    assert r.stderr.splitlines() == ["netrepro matrix: host: running on this kernel"], r.stderr
