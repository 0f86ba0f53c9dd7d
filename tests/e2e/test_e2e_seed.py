"""`netrepro run cases/seed`: KTAP on stdout and the JSON run record."""
import collections
import json
import os
import re
import subprocess

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the seed run is checked as root")


@pytest.fixture(scope="module")
def seed_ids(netrepro, h):
    r = subprocess.run([netrepro, "list", "cases/seed"], cwd=h.root, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ids = r.stdout.split()
    assert len(ids) >= 4, "the seed library has at least the four scenarios: %r" % ids
    assert len(set(ids)) == len(ids), "duplicate case ids: %r" % ids
    return ids


@pytest.fixture(scope="module")
def seed_run(netrepro, h, tmp_path_factory):
    out = tmp_path_factory.mktemp("seed") / "run.json"
    r = subprocess.run([netrepro, "run", "--json", str(out), "cases/seed"], cwd=h.root,
                       capture_output=True, text=True, timeout=300)
    with open(out) as f:
        record = json.load(f)
    return r, record


def test_list_ids_are_stable_paths_with_variants(seed_ids):
    for cid in seed_ids:
        assert re.fullmatch(r"seed/[a-z0-9-]+(\[[a-z0-9_]+=[^\]]+(,[a-z0-9_]+=[^\]]+)*\])?", cid), cid
    assert "seed/realm-dualstack[v6only=0]" in seed_ids
    assert "seed/realm-dualstack[v6only=1]" in seed_ids


def test_run_exits_0(seed_run):
    r, _ = seed_run
    assert r.returncode == 0, r.stdout + r.stderr


def test_ktap_one_ok_per_listed_id(seed_run, seed_ids, h):
    r, _ = seed_run
    k = h.Ktap(r.stdout).check_wellformed()
    assert k.plan == len(seed_ids)
    assert k.ids() == seed_ids, "results in the order `list` gives"
    assert all(ok for ok, *_ in k.results), r.stdout
    assert "not ok" not in r.stdout
    # a passing case gets no trace and no directive
    assert all(d is None for _, _, _, d, _ in k.results), r.stdout
    assert not k.diagnostics, r.stdout


def test_record_header(seed_run):
    _, rec = seed_run
    assert rec["schema"] == "netrepro.run/1"
    assert rec["tool"]["name"] == "netrepro"
    assert isinstance(rec["tool"]["version"], str) and rec["tool"]["version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rec["started"]), rec["started"]
    assert isinstance(rec["duration_s"], (int, float)) and rec["duration_s"] >= 0


def test_record_environment(seed_run):
    _, rec = seed_run
    env = rec["environment"]
    u = os.uname()
    assert env["kernel"]["release"] == u.release
    assert env["kernel"]["version"] == u.version
    assert env["kernel"]["arch"] == u.machine
    assert env["platform"]["os"] == "linux"
    assert env["privilege"] == "root"
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        host_range = " ".join(f.read().split())
    assert " ".join(env["sysctl"]["net.ipv4.ip_local_port_range"].split()) == host_range, \
        "the fingerprint is of the host, not of a case's namespace"


def test_record_one_pass_per_id(seed_run, seed_ids, h):
    _, rec = seed_run
    assert [c["id"] for c in rec["cases"]] == seed_ids
    for c in rec["cases"]:
        assert c["status"] == "PASS", (c["id"], c.get("reason"))
        assert c["reason"] is None
        assert c["file"].endswith(".case") and os.path.isfile(os.path.join(h.root, c["file"])), c["file"]
        assert isinstance(c["duration_s"], (int, float)) and c["duration_s"] >= 0
        assert isinstance(c["title"], str) and c["title"]
        assert isinstance(c["refs"], list)


def test_record_variants_match_ids(seed_run):
    _, rec = seed_run
    for c in rec["cases"]:
        v = c["variant"]
        suffix = "[" + ",".join("%s=%s" % kv for kv in v.items()) + "]" if v else ""
        assert c["id"].endswith(suffix) and ("[" in c["id"]) == bool(v), (c["id"], v)


def _source_line(path, line, variant):
    with open(path) as f:
        text = f.read().splitlines()[line - 1]
    text = text.split("#", 1)[0] if '"' not in text else text
    for name, value in variant.items():
        text = text.replace("$" + name, value)
    return "".join(text.split())


def test_record_steps(seed_run, h):
    _, rec = seed_run
    for c in rec["cases"]:
        assert c["steps"], c["id"] + " recorded no step"
        checked = 0
        for s in c["steps"]:
            for key in ("line", "host", "call", "observed", "status"):
                assert key in s, (c["id"], key, s)
            assert isinstance(s["line"], int) and s["line"] > 0
            assert s["status"] in ("pass", "info"), (c["id"], s)
            assert (s["status"] == "info") == (s["expected"] is None), s
            if s["status"] == "pass":
                checked += 1
            # line numbers point at the source line that holds the call
            src = os.path.join(h.root, s.get("file", c["file"]))
            assert "".join(s["call"].split()) in _source_line(src, s["line"], c["variant"]), \
                (c["id"], s["line"], s["call"])
        assert checked, c["id"] + " checked nothing"


def test_record_observed_errnos(seed_run):
    """The seed scenarios' key answers, as the record holds them."""
    _, rec = seed_run
    cases = {c["id"]: c for c in rec["cases"]}

    def step(cid, call):
        hits = [s for s in cases[cid]["steps"] if s["call"] == call]
        assert hits, (cid, call, [s["call"] for s in cases[cid]["steps"]])
        return hits[0]

    s = step("seed/realm-dualstack[v6only=0]", "bind(s4, 0.0.0.0:443)")
    assert (s["ret"], s["errno"], s["observed"]) == (-1, "EADDRINUSE", "EADDRINUSE")
    s = step("seed/realm-dualstack[v6only=1]", "bind(s4, 0.0.0.0:443)")
    assert (s["ret"], s["errno"], s["observed"]) == (0, None, "0")


def test_summary_consistent(seed_run, seed_ids):
    _, rec = seed_run
    summary = rec["summary"]
    assert set(summary) == {"PASS", "FAIL", "ERROR", "SKIP", "TIMEOUT", "KNOWN-BUG"}
    counts = collections.Counter(c["status"] for c in rec["cases"])
    assert summary == {k: counts.get(k, 0) for k in summary}
    assert sum(summary.values()) == len(seed_ids)
    assert summary["PASS"] == len(seed_ids)
