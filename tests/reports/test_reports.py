"""Run records and what is made of them: the schema, report formats, diff,
and the pytest plugin that runs the case library."""
import copy
import json
import os
import shutil
import subprocess
import xml.dom.minidom

import jsonschema
import pytest

from reportlib import (KCIDB_SCHEMA, NETREPRO, PYTHON, ROOT, SCHEMA, netrepro, needs_chromium, other_kernel,  # noqa: F401
                       rendered, seed_ids, seed_record)


def test_record_validates_against_schema(seed_record, tmp_path):
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.validate(seed_record[1], schema)
    assert seed_record[1]["environment"]["kernel"]["release"] == os.uname().release
    # a record with failures and skips validates too
    case = tmp_path / "cases" / "mixed.case"
    case.parent.mkdir()
    shutil.copytree(os.path.join(ROOT, "fixtures"), tmp_path / "fixtures")
    case.write_text('title "mixed"\nuse fixtures/host.net\nvary x = 1, 2\nrequire kernel >= 99.0 when x == 2\n'
                    'on a\n  s = socket(INET, DGRAM)\n  bind(s, 127.0.0.1:80) = EADDRINUSE\n')
    rec = tmp_path / "mixed.json"
    proc = netrepro("run", "--json", str(rec), str(case))
    assert proc.returncode == 1
    data = json.loads(rec.read_text())
    jsonschema.validate(data, schema)
    assert [c["status"] for c in data["cases"]] == ["FAIL", "SKIP"]
    assert data["cases"][1]["reason"] == "requires kernel >= 99.0"


def test_env_command_matches_record(seed_record):
    env = json.loads(netrepro("env", check=0).stdout)
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.validate(env, schema["$defs"]["environment"] | {"$defs": schema["$defs"]})
    assert env["kernel"] == seed_record[1]["environment"]["kernel"]
    for key in ("net.ipv4.ip_local_port_range", "net.ipv6.bindv6only", "net.ipv4.tcp_timestamps"):
        with open("/proc/sys/" + key.replace(".", "/")) as f:
            assert env["sysctl"][key] == " ".join(f.read().split())


def test_markdown_single_run(seed_record, seed_ids):
    md = netrepro("report", "--format", "md", str(seed_record[0]), check=0).stdout
    assert os.uname().release in md
    for case_id in seed_ids:
        assert f"### `{case_id}`" in md
    assert "| `bind(s4, 0.0.0.0:443)` | EADDRINUSE | EADDRINUSE |" in md
    assert "<details><summary>case source" in md
    assert "netrepro run -k 'seed/realm-dualstack[v6only=0]' cases/seed/realm-dualstack.case" in md
    assert "case × kernel" not in md


def test_markdown_two_kernels_has_matrix(seed_record, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    md = netrepro("report", "--format", "md", str(seed_record[0]), str(other), check=0).stdout
    assert "## Results: case × kernel" in md
    header = next(line for line in md.splitlines() if line.startswith("| case |"))
    assert os.uname().release in header and "6.1.0-50-amd64" in header
    row = next(line for line in md.splitlines() if "realm-dualstack\\[v6only=0]" in line and line.startswith("| **⚠"))
    # the row names the step that differs, and each cell what its kernel answered there
    assert "line 19: `bind(s4, 0.0.0.0:443)`" in row
    cells = row.split(" | ")
    assert cells[-2] == "✅ PASS<br>**EADDRINUSE**" and cells[-1] == "❌ FAIL<br>**0** |"
    same = next(line for line in md.splitlines() if "realm-dualstack\\[v6only=1]" in line and line.startswith("|"))
    assert "⚠" not in same


def test_junit(seed_record, seed_ids, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    out = netrepro("report", "--format", "junit", str(seed_record[0]), str(other), check=0).stdout
    doc = xml.dom.minidom.parseString(out)
    suites = doc.getElementsByTagName("testsuite")
    assert len(suites) == 2
    assert os.uname().release in suites[0].getAttribute("name")
    assert "6.1.0-50-amd64" in suites[1].getAttribute("name")
    cases = suites[1].getElementsByTagName("testcase")
    assert len(cases) == len(seed_ids)
    failures = suites[1].getElementsByTagName("failure")
    assert len(failures) == 1 and suites[1].getAttribute("failures") == "1"
    assert "bind(s4, 0.0.0.0:443): expected EADDRINUSE, observed 0" in failures[0].getAttribute("message")
    props = {p.getAttribute("name"): p.getAttribute("value") for p in suites[0].getElementsByTagName("property")}
    assert props["kernel.release"] == os.uname().release


def test_kcidb_validates(seed_record, seed_ids, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    out = netrepro("report", "--format", "kcidb", str(seed_record[0]), str(other), check=0).stdout
    doc = json.loads(out)
    with open(KCIDB_SCHEMA) as f:
        jsonschema.validate(doc, json.load(f))
    assert len(doc["tests"]) == 2 * len(seed_ids)
    assert len(doc["builds"]) == 2 and len(doc["checkouts"]) == 2
    statuses = {t["misc"]["case_id"] + "@" + t["build_id"]: t["status"] for t in doc["tests"]}
    assert "FAIL" in statuses.values() and "PASS" in statuses.values()
    assert doc["tests"][0]["environment"]["misc"]["kernel"]["release"] == os.uname().release


def test_ktap_report_matches_run(seed_record):
    ran = netrepro("run", "cases/seed", check=0).stdout
    made = netrepro("report", "--format", "ktap", str(seed_record[0]), check=0).stdout
    assert made == ran


@needs_chromium
def test_html_renders_in_chromium(seed_record, seed_ids, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    html = tmp_path / "report.html"
    netrepro("report", "--format", "html", "-o", str(html), str(seed_record[0]), str(other), check=0)
    text = html.read_text()
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text.split("<body>")[0]
    dom = rendered(html, tmp_path)
    for case_id in seed_ids:
        assert f'data-case="{case_id}"' in dom
    assert dom.count('data-status="PASS"') == 2 * len(seed_ids) - 1
    assert dom.count('data-status="FAIL"') == 1
    assert 'class="FAIL differs"' in dom
    assert "6.1.0-50-amd64" in dom and os.uname().release in dom


def test_diff(seed_record, tmp_path):
    same = netrepro("diff", str(seed_record[0]), str(seed_record[0]))
    assert same.returncode == 0, same.stdout
    assert "0 case(s) differ" in same.stdout
    other, _, line = other_kernel(seed_record[1], tmp_path)
    changed = netrepro("diff", str(seed_record[0]), str(other))
    assert changed.returncode == 1
    out = changed.stdout
    assert "case seed/realm-dualstack[v6only=0]" in out
    assert f"line {line} on a: bind(s4, 0.0.0.0:443): EADDRINUSE -> 0" in out
    assert "status: PASS -> FAIL" in out
    assert os.uname().release in out and "6.1.0-50-amd64" in out
    assert "v6only=1" not in out
    # a case on one side only is listed
    rec = json.loads(other.read_text())
    rec["cases"] = rec["cases"][1:]
    fewer = tmp_path / "fewer.json"
    fewer.write_text(json.dumps(rec))
    out = netrepro("diff", str(seed_record[0]), str(fewer)).stdout
    assert f"only in {seed_record[0]}" in out


@pytest.mark.parametrize("content,message", [
    ('{"schema": "netrepro.run/2", "cases": []}', "newer netrepro"),
    ('{"schema": "netrepro.run/1", "cas', "not a run record"),
    ('[1, 2, 3]', "not a netrepro run record"),
    ('{"hello": "world"}', "not a netrepro run record"),
])
def test_bad_records_exit_2(tmp_path, seed_record, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    for args in (["report", "--format", "md", str(bad)], ["diff", str(bad), str(seed_record[0])]):
        proc = netrepro(*args)
        assert proc.returncode == 2
        assert message in proc.stderr
        assert proc.stdout == ""


def test_report_usage_errors(seed_record):
    assert netrepro("report", str(seed_record[0])).returncode == 2
    proc = netrepro("report", "--format", "pdf", str(seed_record[0]))
    assert proc.returncode == 2 and "md, html, junit, ktap, kcidb" in proc.stderr
    assert netrepro("diff", str(seed_record[0])).returncode == 2


def test_pytest_plugin_collects_cases(seed_ids, tmp_path):
    proc = subprocess.run([PYTHON, "-m", "pytest", "cases/seed", "-q", "-p", "no:cacheprovider",
                           f"--junitxml={tmp_path / 'j.xml'}"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(seed_ids)} passed" in proc.stdout
    names = [t.getAttribute("name") for t in
             xml.dom.minidom.parse(str(tmp_path / "j.xml")).getElementsByTagName("testcase")]
    assert sorted(names) == sorted(seed_ids)
    one = subprocess.run([PYTHON, "-m", "pytest", "cases/seed", "-q", "-k", "zenoh and none"],
                         capture_output=True, text=True, cwd=ROOT)
    assert "1 passed" in one.stdout, one.stdout


def test_pytest_plugin_reports_failure_and_skip(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copytree(os.path.join(ROOT, "fixtures"), tmp_path / "fixtures")
    (cases / "mix.case").write_text(
        'title "mix"\nuse fixtures/host.net\nvary k = old, new\n'
        'on a\n  s = socket(INET, STREAM)\n  bind(s, 127.0.0.1:80) = EADDRINUSE when k == old | 0\n')
    (cases / "later.case").write_text('use fixtures/host.net\nrequire kernel >= 99.0\non a\n  s = socket(INET, STREAM)\n')
    env = dict(os.environ, NETREPRO=NETREPRO, PYTHONPATH=os.path.join(ROOT, "tests"))
    proc = subprocess.run([PYTHON, "-m", "pytest", "-p", "netrepro_pytest", "-p", "no:cacheprovider",
                           "-rs", str(cases)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 1
    assert "1 failed, 1 passed, 1 skipped" in proc.stdout
    assert "expected: EADDRINUSE" in proc.stdout and "observed: 0" in proc.stdout
    assert "requires kernel >= 99.0" in proc.stdout


def test_run_writes_junit(tmp_path, seed_ids):
    junit = tmp_path / "run.xml"
    netrepro("run", "--junit", str(junit), "cases/seed", check=0)
    doc = xml.dom.minidom.parse(str(junit))
    names = [t.getAttribute("name") for t in doc.getElementsByTagName("testcase")]
    assert len(names) == len(seed_ids)
    assert doc.getElementsByTagName("testsuite")[0].getAttribute("failures") == "0"
    bad = netrepro("run", "--junit", "/nonexistent/dir/x.xml", "cases/seed")
    assert bad.returncode == 2 and "cannot write" in bad.stderr and bad.stdout == ""


def test_ktap_several_records_is_one_document(seed_record, seed_ids, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    out = netrepro("report", "--format", "ktap", str(seed_record[0]), str(other), check=0).stdout
    lines = out.splitlines()
    assert lines[:2] == ["KTAP version 1", "1..2"]
    # KTAP nests a subtest by two spaces a level (Documentation/dev-tools/ktap.rst)
    assert lines.count("KTAP version 1") == 1 and lines.count("  KTAP version 1") == 2
    assert lines.count("  1..%d" % len(seed_ids)) == 2
    top = [l for l in lines if l.startswith(("ok ", "not ok "))]
    assert top == [f"ok 1 {os.uname().release}", "not ok 2 6.1.0-50-amd64"]
    sub = [l for l in lines if l.startswith(("  ok ", "  not ok "))]
    assert len(sub) == 2 * len(seed_ids)
    assert "  not ok 2 seed/realm-dualstack[v6only=0]" in lines
    assert not [l for l in lines if l.startswith("   ")], "a line indented by more than one level"
    assert all(l.startswith(("KTAP", "1..", "ok ", "not ok ", "  KTAP", "  1..", "  ok ", "  not ok ", "  # "))
               for l in lines), lines


def test_diff_does_not_count_recorded_only_steps(seed_record, tmp_path):
    """A step without an expectation (an ephemeral port, say) may differ from
    run to run on one kernel: diff counts nothing for it and exits 0;
    diff --all lists it, marked ~."""
    rec = copy.deepcopy(seed_record[1])
    case = next(c for c in rec["cases"] if c["id"] == "seed/ephemeral-exhaustion")
    step = next(s for s in case["steps"] if s["status"] == "info")
    step["observed"] = "12345"
    other = tmp_path / "info.json"
    other.write_text(json.dumps(rec))
    line = f"~ line {step['line']} on a: {step['call']}"
    r = netrepro("diff", str(seed_record[0]), str(other))
    assert r.returncode == 0, r.stdout
    assert line not in r.stdout and "case seed/ephemeral-exhaustion" not in r.stdout
    assert "0 case(s) differ (steps recorded without an expectation differ too" in r.stdout
    r = netrepro("diff", "--all", str(seed_record[0]), str(other))
    assert r.returncode == 0, r.stdout
    assert line in r.stdout and "(recorded only)" in r.stdout
    assert "0 case(s) differ" in r.stdout


def test_diff_ignores_the_value_a_predicate_left_to_the_kernel(seed_record, tmp_path):
    """A step that passed `= in 40000..40007` on both sides (kernel_picks)
    does not differ for its value; the same step without kernel_picks does."""
    base = copy.deepcopy(seed_record[1])
    case = next(c for c in base["cases"] if c["id"] == "seed/ephemeral-exhaustion")
    step = next(s for s in case["steps"] if s["status"] == "pass")
    step["kernel_picks"] = True
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(base))
    step["observed"] = "40005"
    b.write_text(json.dumps(base))
    r = netrepro("diff", str(a), str(b))
    assert r.returncode == 0, r.stdout
    assert "0 case(s) differ" in r.stdout
    del step["kernel_picks"]
    b.write_text(json.dumps(base))
    r = netrepro("diff", str(a), str(b))
    assert r.returncode == 1, r.stdout
    assert "40005" in r.stdout


def test_pytest_plugin_allow_exec(exec_contained):
    case = "cases/timewait/ss-lists-timewait.case"
    skipped = subprocess.run([PYTHON, "-m", "pytest", case, "-q", "-rs"], capture_output=True, text=True, cwd=ROOT)
    assert "1 skipped" in skipped.stdout and "needs --allow-exec" in skipped.stdout, skipped.stdout
    ran = subprocess.run([PYTHON, "-m", "pytest", case, "-q", "--netrepro-allow-exec"],
                         capture_output=True, text=True, cwd=ROOT)
    assert "1 passed" in ran.stdout, ran.stdout


def test_tests_read_nothing_outside_the_repository():
    """A clone anywhere runs `make test`: the schemas the tests validate
    against are in the repository, and no test names a path above it."""
    for path in (KCIDB_SCHEMA, SCHEMA):
        assert os.path.commonpath([ROOT, os.path.realpath(path)]) == ROOT and os.path.isfile(path), path
    needles = ("(ROOT, " + '".."', '"shared", ' + '"schemas"', "/" + "work/")
    outside = []
    for top, _, files in os.walk(os.path.join(ROOT, "tests")):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(top, name)).read()
                if any(n in text for n in needles):
                    outside.append(os.path.join(top, name))
    assert not outside, outside
