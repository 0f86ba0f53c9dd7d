"""Known kernel bugs: an answer marked `bug "FIX"` is its own status,
KNOWN-BUG, in the record and in every format; the correct answer says the
bug is fixed; diff and the reports over several kernels say which kernel
has which bug."""
import copy
import json
import os

import jsonschema
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KCIDB_SCHEMA = os.path.join(ROOT, "tests", "reports", "schemas", "kcidb-v5.3.schema.json")
FIX_A, FIX_B, FIX_C = "https://fix.example/a?id=1", "https://fix.example/b", "https://fix.example/c"

# Every kernel this runs on gives 0 for a bind of a free port and
# EADDRINUSE for 127.0.0.1 under a dual-stack [::]: the case marks 0 as a
# "bug" where it wants to see each state.
CASE = '''
    title "known bugs"
    use fixtures/host.net
    on a
      s1 = socket(INET6, STREAM)
      bind(s1, [::]:8000)                   = 0
      s2 = socket(INET, STREAM)
      # in range, the correct answer: fixed
      bind(s2, 127.0.0.1:8000)              = 0 bug "%s" when kernel >= 3.0 | EADDRINUSE
      s3 = socket(INET, STREAM)
      # in range, the bug's answer: has it
      bind(s3, 127.0.0.1:8001)              = 0 bug "%s" when kernel >= 3.0 | EADDRINUSE
      s4 = socket(INET, STREAM)
      # out of range, correct: fixed
      bind(s4, 127.0.0.1:8002)              = EADDRINUSE bug "%s" when kernel < 3.0 | 0
''' % (FIX_A, FIX_B, FIX_C)


@pytest.fixture
def known(run, h, project, tmp_path):
    path = h.write_case(project, "e2e/kb", CASE)
    out = tmp_path / "kb.json"
    r = run("run", "--json", str(out), path, cwd=project)
    return r, json.loads(out.read_text()), path


def test_known_bug_is_its_own_status(known, run, project, validate):
    r, rec, path = known
    validate(rec)
    assert r.returncode == 0, r.stdout
    c = rec["cases"][0]
    assert c["status"] == "KNOWN-BUG"
    assert c["reason"] == "known kernel bug: " + FIX_B
    assert c["bugs"] == {FIX_A: "fixed", FIX_B: "has", FIX_C: "fixed"}
    assert rec["summary"]["KNOWN-BUG"] == 1 and rec["summary"]["PASS"] == 0
    steps = {s["line"]: s for s in c["steps"]}
    assert steps[11]["status"] == "known-bug"
    assert steps[11]["bug"] == {"fix": FIX_B, "state": "has", "in_range": True}
    assert steps[8]["status"] == "pass" and steps[8]["expected"] == "EADDRINUSE"
    assert steps[8]["bug"] == {"fix": FIX_A, "state": "fixed", "in_range": True}
    assert steps[14]["bug"] == {"fix": FIX_C, "state": "fixed", "in_range": False}
    # KTAP: kselftest's expected failure, with the trace
    assert "ok 1 e2e/kb # XFAIL known kernel bug: " + FIX_B in r.stdout.splitlines()
    assert "# ~~ 11 a: bind(s3, 127.0.0.1:8001) = 0 known kernel bug, fixed by " + FIX_B in r.stdout
    strict = run("run", "--strict", path, cwd=project)
    assert strict.returncode == 1


def test_known_bug_in_each_format(known, run, tmp_path):
    _, rec, _ = known
    src = tmp_path / "kb.json"
    junit = run("report", "--format", "junit", str(src)).stdout
    assert '<skipped type="netrepro.known-bug" message="known kernel bug: %s"/>' % FIX_B in junit
    assert 'skipped="1"' in junit and 'failures="0"' in junit
    kcidb = json.loads(run("report", "--format", "kcidb", str(src)).stdout)
    with open(KCIDB_SCHEMA) as f:
        jsonschema.validate(kcidb, json.load(f))
    assert kcidb["tests"][0]["status"] == "FAIL"
    issues = {i["comment"]: i for i in kcidb["issues"]}
    assert set(issues) == {FIX_A, FIX_B, FIX_C} and issues[FIX_B]["report_url"] == FIX_B
    present = {i["issue_id"]: i["present"] for i in kcidb["incidents"]}
    assert present[issues[FIX_B]["id"]] is True and present[issues[FIX_A]["id"]] is False
    md = run("report", "--format", "md", str(src)).stdout
    assert "**🐞 KNOWN-BUG** (known kernel bug: " in md
    assert "## Known kernel bugs" in md
    html = run("report", "--format", "html", str(src)).stdout
    assert '<table id="bugs">' in html and 'class="KNOWN-BUG"' in html


def test_known_bug_table_and_diff_over_kernels(known, run, tmp_path):
    """Two kernels: one has bug B, the other has it fixed (its record as
    a fixed kernel writes it); the table and diff say which."""
    _, rec, _ = known
    fixed = copy.deepcopy(rec)
    fixed["environment"]["kernel"]["release"] = "9.9.9-fixed"
    c = fixed["cases"][0]
    c["status"], c["reason"] = "PASS", None
    c["bugs"][FIX_B] = "fixed"
    step = next(s for s in c["steps"] if s["line"] == 11)
    step.update(status="pass", observed="EADDRINUSE", expected="EADDRINUSE", errno="EADDRINUSE", ret=-1)
    step["bug"]["state"] = "fixed"
    a, b = tmp_path / "kb.json", tmp_path / "fixed.json"
    b.write_text(json.dumps(fixed))
    md = run("report", "--format", "md", str(a), str(b)).stdout
    table = md[md.index("## Known kernel bugs"):].split("\n\n")[1].splitlines()
    release = rec["environment"]["kernel"]["release"]
    assert table[0] == "| bug (its fix) | `%s` | `9.9.9-fixed` |" % release
    row = next(l for l in table if "fix.example/b" in l)
    assert row.endswith("| 🐞 has it | fixed |")
    d = run("diff", str(a), str(b))
    assert d.returncode == 1
    assert "  known bug %s: has it -> fixed" % FIX_B in d.stdout
    assert "  status: KNOWN-BUG -> PASS" in d.stdout


def test_case_without_bugs_says_not_applicable(run, h, project, tmp_path):
    path = h.write_case(project, "e2e/kb", CASE)
    other = h.write_case(project, "e2e/plain", '''
        use fixtures/host.net
        on a
          s = socket(INET, STREAM)
          bind(s, 127.0.0.1:8000)           = 0
    ''')
    out = tmp_path / "two.json"
    run("run", "--json", str(out), path, other, cwd=project)
    rec = json.loads(out.read_text())
    plain = next(c for c in rec["cases"] if c["id"] == "e2e/plain")
    assert plain["status"] == "PASS" and "bugs" not in plain
