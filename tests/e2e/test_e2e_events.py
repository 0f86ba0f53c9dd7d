"""The network changing while the steps run, and the packets themselves:
topology lines as steps (with the kernel's errno and extended-ack message),
`wait ... dad`, captures written as pcap files and counted by packets(),
nondeterministic cases, and the flake check."""
import json
import os
import struct
import subprocess
import sys

import pytest

PCAP_MAGIC = (0xa1b2c3d4, 0xa1b23c4d)   # microsecond, nanosecond
LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2 = 1, 276


def record(run, h, project, tmp_path, body, *flags, name="e2e/ev"):
    path = h.write_case(project, name, body)
    out = tmp_path / "r.json"
    r = run("run", *flags, "--json", str(out), path, cwd=project)
    return r, json.loads(out.read_text())["cases"][0]


def pcap_header(path):
    """(magic, link type) of a pcap file, and its number of frames."""
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    order = "<" if magic in PCAP_MAGIC else ">"
    magic, _, _, _, _, _, linktype = struct.unpack(order + "IHHiIII", data[:24])
    frames, off = 0, 24
    while off + 16 <= len(data):
        caplen, = struct.unpack(order + "I", data[off + 8:off + 12])
        off += 16 + caplen
        frames += 1
    assert off == len(data), "a frame runs past the end of the file"
    return magic, linktype, frames


STEPS = '''
    use fixtures/pair.net
    on a
      s = socket(INET, DGRAM)
      bind(s, 10.0.1.9:112)                   = EADDRNOTAVAIL
      addr a:eth0 10.0.1.9/24
      bind(s, 10.0.1.9:112)                   = 0
      addr a:eth0 10.0.1.9/24                 = EEXIST
      route a 10.9.0.0/16 via 10.99.0.1       = ENETUNREACH
      sysctl a net.ipv4.ip_local_port_range = 40000 40000
      t = socket(INET, STREAM)
      bind(t, 0.0.0.0:0)                      = 0
      getsockname(t)                          = 40000
      addr del a:eth0 10.7.7.7/24
'''


def test_topology_lines_run_as_steps(run, h, project, tmp_path):
    r, c = record(run, h, project, tmp_path, STEPS)
    assert c["status"] == "FAIL", r.stdout
    calls = [(s["call"], s["status"], s["observed"]) for s in c["steps"]]
    # in file order, between the calls, each with its answer
    assert calls[1:4] == [("bind(s, 10.0.1.9:112)", "pass", "EADDRNOTAVAIL"),
                          ("addr a:eth0 10.0.1.9/24", "pass", "0"),
                          ("bind(s, 10.0.1.9:112)", "pass", "0")]
    by = {s["call"]: s for s in c["steps"]}
    assert c["steps"][2]["expected"] == "0"           # the implicit "it works"
    route = by["route a 10.9.0.0/16 via 10.99.0.1"]
    assert route["status"] == "pass" and route["errno"] == "ENETUNREACH"
    assert "Nexthop has invalid gateway" in route["detail"]      # the kernel's extended ack
    assert by["getsockname(t)"]["status"] == "pass"               # the sysctl took effect then
    # a change without an expectation is expected to work: its failure is a FAIL
    bad = by["addr del a:eth0 10.7.7.7/24"]
    assert (bad["status"], bad["observed"], bad["expected"]) == ("fail", "EADDRNOTAVAIL", "0")
    assert "Address not found" in bad["detail"]
    assert "# !! 13 a: addr del a:eth0 10.7.7.7/24" in r.stdout


def test_link_deleted_and_made_again(run, h, project, tmp_path):
    r, c = record(run, h, project, tmp_path, '''
        use fixtures/pair.net
        on a
          i = ifindex(eth0)
          link del a:eth0
          ifindex(eth0)                    = ENODEV
        on b
          ifindex(eth0)                    = ENODEV
          link a:eth0 b:eth0
          addr b:eth0 10.0.1.2/24
          r = socket(INET, DGRAM)
          bind(r, 10.0.1.2:9)              = 0
        on a
          j = ifindex(eth0)
          check j != i
          addr a:eth0 10.0.1.1/24
          s = socket(INET, DGRAM)
          sendto(s, "again", 10.0.1.2:9)   = 5
        on b
          recv(r)                          = "again"
    ''')
    assert c["status"] == "PASS", r.stdout


def test_packets_and_capture_files(run, h, project, tmp_path):
    r, c = record(run, h, project, tmp_path, '''
        use fixtures/pair.net
        capture b:eth0
        capture a
        on b
          r = socket(INET, DGRAM)
          bind(r, 10.0.1.2:9000)                          = 0
        on a
          s = socket(INET, DGRAM)
          repeat 3
            sendto(s, "x", 10.0.1.2:9000)                 = 1
          end
        on b
          recv(r)                                         = "x"
          packets(b:eth0, "udp and dst port 9000")        = 3
          packets(b:eth0, "src port 9000")                = 0
          packets(a, "udp and dst port 9000")             = 3
          packets(a, "udp")                               = 4
    ''')
    steps = {s["call"]: s for s in c["steps"]}
    assert c["status"] == "FAIL", r.stdout
    # the one failure: a's capture holds 3 datagrams, not 4, after waiting the step bound
    assert steps['packets(a, "udp")']["observed"] == "3"
    assert steps['packets(b:eth0, "udp and dst port 9000")']["status"] == "pass"
    caps = {(x["host"], x["interface"]): x for x in c["captures"]}
    assert set(caps) == {("b", "eth0"), ("a", None)}
    for (host, ifname), cap in caps.items():
        assert cap["dropped"] == 0 and cap["not_kept"] == 0
        # next to the record, and named relative to it
        assert cap["file"] == "captures/e2e_ev/%s-%s.pcap" % (host, ifname or "all")
        magic, linktype, frames = pcap_header(tmp_path / cap["file"])
        assert magic in PCAP_MAGIC
        assert linktype == (LINKTYPE_ETHERNET if ifname else LINKTYPE_LINUX_SLL2)
        assert frames == cap["frames"] >= 3


def test_captures_folder_option_and_reports(run, h, project, tmp_path):
    body = '''
        use fixtures/pair.net
        capture a:eth0
        on a
          s = socket(INET, DGRAM)
          sendto(s, "x", 10.0.1.2:9)         = 1
          packets(a:eth0, "udp")             = 1
    '''
    capdir = tmp_path / "pcaps"
    r, c = record(run, h, project, tmp_path, body, "--captures", str(capdir))
    assert c["status"] == "PASS", r.stdout
    cap = c["captures"][0]
    assert cap["file"] == str(capdir / "e2e_ev" / "a-eth0.pcap")
    assert pcap_header(cap["file"])[2] == cap["frames"]
    md = run("report", "--format", "md", str(tmp_path / "r.json"), cwd=project).stdout
    assert "- capture a:eth0: [" in md and "](<%s>), %d frames" % (cap["file"], cap["frames"]) in md
    html = run("report", "--format", "html", str(tmp_path / "r.json"), cwd=project).stdout
    assert '<a href="%s">' % cap["file"] in html


def test_no_carrier_stays_tentative(run, h, project, tmp_path):
    """An end set down before the steps is never up: its peer never has
    carrier, so DAD never starts (and `wait` says so at once)."""
    r, c = record(run, h, project, tmp_path, '''
        host a b
        link a:eth0 b:eth0
        set  b:eth0 down
        addr a:eth0 fd00:1::1/64 dad
        on a
          wait a:eth0 dad                  = tentative
    ''')
    assert c["status"] == "PASS", r.stdout
    step = c["steps"][0]
    assert step["observed"] == "tentative" and step["detail"] == "tentative: no carrier"
    assert c["duration_s"] < 1.5, "no carrier: answered at once, not at the step bound"


def test_nondeterministic_is_recorded(run, h, project, tmp_path):
    r, c = record(run, h, project, tmp_path, '''
        use fixtures/pair.net
        netem a:eth0 delay 10ms jitter 5ms
        on a
          s = socket(INET, DGRAM)
    ''')
    assert c["nondeterministic"] is True
    r, c = record(run, h, project, tmp_path, '''
        use fixtures/pair.net
        netem a:eth0 delay 10ms loss 100%
        on a
          s = socket(INET, DGRAM)
    ''')
    assert "nondeterministic" not in c
    # a kernel without sch_netem SKIPs such a case, saying so
    if c["status"] == "SKIP":
        assert "netem" in c["reason"]
    else:
        assert c["status"] == "PASS", r.stdout


@pytest.mark.parametrize("body, line, col, msg", [
    ("host a\non a\nhost b\n", 3, 1, "'host' after the first 'on'"),
    ("host a\nlink del a:eth0\n", 2, 6, "'link del' is a step"),
    ("host a\nwait a:lo dad\n", 2, 1, "'wait' is a step"),
    ("host a\non a\n  packets(a:lo, \"udp\")\n", 3, 11, "nothing captures a:lo"),
    ("host a\ncapture a\non a\n  packets(a, \"tcp[\")\n", 4, 14, "bad packet filter"),
    ("host a\non a\n  netem a:lo loss 120%\n", 3, 19, "bad loss '120%'"),
])
def test_bad_lines_are_errors(run, project, h, body, line, col, msg):
    path = h.write_case(project, "e2e/bad", body)
    r = run("check", path, cwd=project)
    assert r.returncode == 2
    assert r.stderr.startswith("%s:%d:%d: " % (path, line, col)), r.stderr
    assert msg in r.stderr


def test_flake_check_smoke(netrepro, h, tmp_path):
    """make flake in its smoke form: the whole library three times, every
    step's outcome the same each time."""
    r = subprocess.run(["/usr/bin/python3",
                        "tests/flake.py", "-n", "3", "--out", str(tmp_path), "--netrepro", netrepro, "cases/"],
                       cwd=h.root, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "every step the same each time" in r.stdout
    assert "left out (nondeterministic): events/netem-random-loss" in r.stdout
    # the same library run twice on one kernel diffs clean: what the kernel
    # picks (a port in a range, one of several answers) marks nothing
    d = subprocess.run([netrepro, "diff", str(tmp_path / "run-1.json"), str(tmp_path / "run-2.json")],
                       capture_output=True, text=True)
    assert d.returncode == 0, d.stdout[-3000:]
    assert "0 case(s) differ" in d.stdout


def test_flake_check_finds_a_difference(tmp_path):
    """The comparison itself: a step that answered differently once, or a
    case whose status changed, is named; kernel_picks values are not."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
    from tests.flake import compare

    def rec(observed, picks_value, status="PASS"):
        return {"cases": [{"id": "x", "status": status, "steps": [
            {"line": 3, "call": "recv(r)", "status": "pass", "observed": observed},
            {"line": 4, "call": "getsockname(s)", "status": "pass", "observed": picks_value,
             "kernel_picks": True}]}]}
    same = [rec('"a"', "40001"), rec('"a"', "40002")]
    assert compare(same) == ({}, [])
    diffs, _ = compare([rec('"a"', "1"), rec('"b"', "1")])
    assert list(diffs) == ["x"] and "line 3 recv(r)" in diffs["x"]
    diffs, _ = compare([rec('"a"', "1"), rec('"a"', "1", status="FAIL")])
    assert "status PASS vs FAIL" in diffs["x"]
