"""What each report format promises beyond the basics of test_reports.py:
Markdown for a ticket that holds the whole scenario and fits in an issue
(fixtures inlined, the version, the case's own sysctls, steps in file
order, the source once per file, -k and --failed-only, --max-chars parts),
HTML with a filter and a search box, JUnit that keeps kernels apart, KCIDB
checkouts and origin, KTAP nesting."""
import copy
import json
import os
import re
import xml.dom.minidom
from html.parser import HTMLParser

import jsonschema
import pytest

from reportlib import (KCIDB_SCHEMA, ROOT, netrepro, needs_chromium, other_kernel, rendered,  # noqa: F401
                       seed_ids, seed_record, write_record)

REALM0, REALM1 = "seed/realm-dualstack[v6only=0]", "seed/realm-dualstack[v6only=1]"
EPHEMERAL = "seed/ephemeral-exhaustion"


def md_of(*args, check=0, **kw):
    return netrepro("report", "--format", "md", *map(str, args), check=check, **kw).stdout


def section(md, case_id):
    """The Markdown of one case: from its heading to the next one."""
    start = md.index(f"### `{case_id}`")
    end = md.find("\n### ", start + 1)
    return md[start:] if end < 0 else md[start:end]


def github_chars(text):
    """Characters as GitHub counts them against its limit (UTF-16 units)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def with_case(record, case_id, path, **changes):
    """record with case case_id changed, written to path."""
    rec = copy.deepcopy(record)
    case = next(c for c in rec["cases"] if c["id"] == case_id)
    case.update(changes)
    return write_record(rec, path), rec


# --- Markdown: the ticket holds the whole scenario ----------------------------

def test_markdown_inlines_the_fixtures_a_case_uses(seed_record):
    md = md_of(seed_record[0])
    realm = section(md, REALM0)
    details = realm[realm.index("<details><summary>case source"):realm.index("</details>")]
    assert "and the fixtures it uses" in details
    assert "use   fixtures/host.net" in details
    with open(os.path.join(ROOT, "fixtures", "host.net")) as f:
        fixture = f.read()
    # the fixture's own text, in its own fenced block after the case's
    assert "`fixtures/host.net` (" in details and "as read when this report was made" in details
    assert "```\n" + fixture in details


def test_markdown_fixture_nested_and_chain(seed_record, tmp_path):
    """A fixture that sets sysctls: they count as the case's; and a
    fixture is listed once however often it is used."""
    src = seed_record[1]["cases"][0]["source"].replace("use   fixtures/host.net",
                                                       "use fixtures/chain.net\nuse fixtures/chain.net")
    path, _ = with_case(seed_record[1], EPHEMERAL, tmp_path / "chain.json", source=src)
    sec = section(md_of(path), EPHEMERAL)
    assert sec.count("`fixtures/chain.net` (") == 1
    assert "| r1 | `net.ipv4.ip_forward` | `1` | fixtures/chain.net:21 |" in sec


def test_markdown_says_when_a_fixture_is_missing(seed_record, tmp_path):
    src = seed_record[1]["cases"][0]["source"].replace("fixtures/host.net", "fixtures/gone.net")
    path, _ = with_case(seed_record[1], EPHEMERAL, tmp_path / "gone.json", source=src)
    proc = netrepro("report", "--format", "md", str(path), check=0)
    sec = section(proc.stdout, EPHEMERAL)
    assert "`fixtures/gone.net`: **not found when this report was made** (looked from " in sec
    assert "cases/seed/ephemeral-exhaustion.case's folder upwards, then in " in sec
    assert "the run had it, this report does not." in sec
    # the HTML says it too
    html = netrepro("report", "--format", "html", str(path), check=0).stdout
    assert "<b>not found when this report was made</b>" in html


def test_markdown_names_the_netrepro_version(seed_record):
    version = netrepro("--version", check=0).stdout.split()[1]
    assert seed_record[1]["tool"]["version"] == version
    md = md_of(seed_record[0])
    top = md.split("## ")[0]
    assert f"netrepro {version})" in top
    assert f"| netrepro | {version.replace('_', chr(92) + '_')} |" in md


def test_markdown_shows_the_sysctls_the_case_set(seed_record):
    """The environment table holds the host's port range; the case's own
    section says what its sysctl line set in its namespace."""
    md = md_of(seed_record[0])
    host_range = seed_record[1]["environment"]["sysctl"]["net.ipv4.ip_local_port_range"]
    env = md[md.index("## Environment"):md.index("## Cases")]
    assert f"| `net.ipv4.ip_local_port_range` | {host_range} |" in env
    assert "what a case's `sysctl` lines set is listed under the case" in env
    sec = section(md, EPHEMERAL)
    assert "Sysctls the case sets before step 1:" in sec
    assert "| a | `net.ipv4.ip_local_port_range` | `40000 40007` | line 11 |" in sec
    # a variant's value: $ts given its value for each variant
    assert "| a | `net.ipv4.tcp_timestamps` | `0` |" in section(md, "seed/trippy-timewait-ports[ts=0]")
    assert "| a | `net.ipv4.tcp_timestamps` | `1` |" in section(md, "seed/trippy-timewait-ports[ts=1]")
    # a case that sets none says nothing of it
    assert "Sysctls the case sets" not in section(md, REALM0)


def test_markdown_sysctl_guard_is_decided_per_variant(seed_record, tmp_path):
    rec = copy.deepcopy(seed_record[1])
    for c in rec["cases"]:
        if c["file"].endswith("realm-dualstack.case"):
            c["source"] = c["source"].replace(
                "vary  v6only = 0, 1\n",
                "vary  v6only = 0, 1\nsysctl a net.ipv6.bindv6only = 1   when v6only == 1 and (v6only != 0)\n"
                "sysctl a net.ipv4.tcp_fin_timeout = 7 \\\n   when v6only == 0  # joined line\n")
    md = md_of(write_record(rec, tmp_path / "guard.json"))
    zero, one = (set(l for l in section(md, c).splitlines() if l.startswith("| a | `net.")) for c in (REALM0, REALM1))
    assert zero == {"| a | `net.ipv4.tcp_fin_timeout` | `7` | line 10 |"}
    assert one == {"| a | `net.ipv6.bindv6only` | `1` | line 9 |"}


def step_lines(sec):
    return [int(m) for m in re.findall(r"^\| (\d+) \|", sec, re.M)]


def test_markdown_steps_in_file_order(seed_record, seed_ids, tmp_path):
    """A `repeat until` step is recorded after the calls of its loop; the
    report puts it where the file has it."""
    rec = seed_record[1]
    case = next(c for c in rec["cases"] if c["id"] == EPHEMERAL)
    recorded = [s["line"] for s in case["steps"]]
    assert recorded != sorted(recorded), "the record no longer has a loop's step after its body"
    md = md_of(seed_record[0])
    for case_id in seed_ids:
        lines = step_lines(section(md, case_id))
        assert lines and lines == sorted(lines), (case_id, lines)
    # over two kernels, a step only the second one asked comes in its place
    other = copy.deepcopy(rec)
    other["environment"]["kernel"]["release"] = "6.1.0-50-amd64"
    mine = next(c for c in other["cases"] if c["id"] == EPHEMERAL)
    mine["steps"].insert(0, dict(mine["steps"][-1], line=22, call="only(here)"))
    first = next(c for c in rec["cases"] if c["id"] == EPHEMERAL)
    assert not [s for s in first["steps"] if s["line"] == 22]
    md2 = md_of(seed_record[0], write_record(other, tmp_path / "o.json"))
    lines = step_lines(section(md2, EPHEMERAL))
    assert 22 in lines and lines == sorted(lines)
    assert "| 22 | a | `only(here)` |" in section(md2, EPHEMERAL)


def test_markdown_source_once_per_file(seed_record):
    md = md_of(seed_record[0])
    assert md.count("<details><summary>case source (cases/seed/realm-dualstack.case)") == 1
    assert "<details><summary>case source" in section(md, REALM0)
    one = section(md, REALM1)
    assert "<details>" not in one
    assert "Case source: `cases/seed/realm-dualstack.case`, shown above with another variant" in one
    # every variant still has its own command
    assert "netrepro run -k 'seed/realm-dualstack[v6only=1]' cases/seed/realm-dualstack.case" in one
    # the variant shown alone carries the source
    alone = md_of("-k", "v6only=1", seed_record[0])
    assert "<details><summary>case source (cases/seed/realm-dualstack.case)" in section(alone, REALM1)


def test_markdown_select_by_pattern_and_failures(seed_record, seed_ids, tmp_path):
    md = md_of("-k", "realm", seed_record[0])
    assert re.findall(r"^### `([^`]*)`", md, re.M) == [REALM0, REALM1]
    assert "Selected 2 of %d cases: ids matching 'realm'" % len(seed_ids) in md
    assert "2 passed, 0 failed" in md.split("\n\n")[1]
    glob = md_of("-k", "*zenoh*none]", seed_record[0])
    assert re.findall(r"^### `([^`]*)`", glob, re.M) == ["seed/zenoh-multicast-noroute[route=none]"]
    # as `run -k`: an id copied from `list` selects itself, brackets and all
    exact = md_of("--match", REALM0, seed_record[0])
    assert re.findall(r"^### `([^`]*)`", exact, re.M) == [REALM0]
    nothing = netrepro("report", "--format", "md", "-k", "nosuchcase", str(seed_record[0]))
    assert nothing.returncode == 2 and "no case id matches 'nosuchcase'" in nothing.stderr
    # --failed-only: none failed here
    quiet = md_of("--failed-only", seed_record[0])
    assert "### `" not in quiet and "No case was selected." in quiet
    # a case failed on one kernel is kept on both, with its matrix row
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    failed = md_of("--failed-only", seed_record[0], other)
    assert re.findall(r"^### `([^`]*)`", failed, re.M) == [REALM0]
    rows = [l for l in failed.splitlines() if l.startswith("| ") and "realm" in l and "<br>" in l]
    assert len(rows) == 1 and "✅ PASS" in rows[0] and "❌ FAIL" in rows[0]
    # and the other formats select the same way
    junit = netrepro("report", "--format", "junit", "-k", "realm", str(seed_record[0]), str(other), check=0).stdout
    suites = xml.dom.minidom.parseString(junit).getElementsByTagName("testsuite")
    assert [s.getAttribute("tests") for s in suites] == ["2", "2"]
    assert [s.getAttribute("failures") for s in suites] == ["0", "1"]
    ktap = netrepro("report", "--format", "ktap", "--failed-only", str(other), check=0).stdout.splitlines()
    assert ktap[:2] == ["KTAP version 1", "1..1"] and f"not ok 1 {REALM0}" in ktap


def big_record(record, copies):
    """record with its cases copies times over, under other ids."""
    rec = copy.deepcopy(record)
    cases = []
    for k in range(copies):
        for c in record["cases"]:
            c = copy.deepcopy(c)
            c["id"] = f"copy{k}/" + c["id"]
            cases.append(c)
    rec["cases"] = cases
    return rec


def test_markdown_too_long_says_so(seed_record, tmp_path):
    small = md_of(seed_record[0])
    assert github_chars(small) < 65536 and "GitHub takes at most" not in small
    path = write_record(big_record(seed_record[1], 12), tmp_path / "big.json")
    md = md_of(path)
    assert github_chars(md) > 65536
    head = md[:md.index("## ")]
    assert "characters long: GitHub takes at most 65,536 in an issue or a comment" in head
    assert "--max-chars 65000 -o FILE.md" in head and "--failed-only" in head


def test_markdown_split_in_parts(seed_record, tmp_path):
    rec = big_record(seed_record[1], 12)
    path = write_record(rec, tmp_path / "big.json")
    out = tmp_path / "parts" / "ticket.md"
    out.parent.mkdir()
    r = netrepro("report", "--format", "md", "--max-chars", "20000", "-o", str(out), str(path), check=0)
    files = sorted(out.parent.iterdir(), key=lambda p: int(p.name.split(".")[1]))
    n = len(files)
    assert n > 2 and [p.name for p in files] == [f"ticket.{i}.md" for i in range(1, n + 1)]
    assert f"{n} parts" in r.stderr and not out.exists()
    seen = []
    for i, p in enumerate(files, 1):
        text = p.read_text()
        assert github_chars(text) < 20000, (p.name, github_chars(text))
        assert text.startswith(f"# netrepro report, part {i} of {n}\n")
        assert "GitHub takes at most" not in text
        heads = re.findall(r"^### `([^`]*)`", text, re.M)
        seen += heads
        # cut between cases: each case whole, with its command at its end
        for case_id in heads:
            assert section(text, case_id).rstrip().endswith("```"), (p.name, case_id)
            assert f"netrepro run -k '{case_id}'" in section(text, case_id)
        # a file's source is in every part that has one of its variants
        for case_file in {c["file"] for c in rec["cases"] if c["id"] in heads}:
            assert text.count(f"<details><summary>case source ({case_file})") == 1, (p.name, case_file)
        if i > 1 and heads:
            assert "## Cases\n" in text
    assert seen == [c["id"] for c in rec["cases"]]


def test_markdown_split_cuts_the_matrix_between_rows(seed_record, tmp_path):
    rec = big_record(seed_record[1], 40)
    a = write_record(rec, tmp_path / "a.json")
    other = copy.deepcopy(rec)
    other["environment"]["kernel"]["release"] = "6.1.0-50-amd64"
    b = write_record(other, tmp_path / "b.json")
    out = tmp_path / "m.md"
    netrepro("report", "--format", "md", "--max-chars", "8000", "-o", str(out), str(a), str(b), check=0)
    rows = 0
    for p in sorted(tmp_path.glob("m.*.md")):
        text = p.read_text()
        assert github_chars(text) < 8000
        mine = [l for l in text.splitlines() if l.startswith("| copy")]
        if mine:  # a part with rows of the table has its header too
            assert "## Results: case × kernel\n\n| case | " in text and "|---|---|---|" in text
        rows += len(mine)
    assert rows == len(rec["cases"])


@pytest.mark.parametrize("args,message", [
    (["--format", "md", "--max-chars", "20000"], "needs -o FILE"),
    (["--format", "html", "--max-chars", "20000", "-o", "x.html"], "--max-chars is for --format md"),
    (["--format", "md", "--max-chars", "10", "-o", "x.md"], "1000 or more"),
    (["--format", "md", "--max-chars", "lots", "-o", "x.md"], "1000 or more"),
])
def test_max_chars_usage_errors(seed_record, tmp_path, args, message):
    r = netrepro("report", *args, str(seed_record[0]), cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""
    assert not list(tmp_path.glob("x*")), "nothing is written on a usage error"


# --- HTML: filter, search, failures first --------------------------------------

class Items(HTMLParser):
    """Each element the filter shows or hides (tag, case id, hidden), and
    whether each case's section opens at first (case id, open)."""

    def __init__(self):
        super().__init__()
        self.items, self.open, self.pending = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-statuses" in a:
            self.items.append((tag, a["data-case"], "hidden" in a))
        if tag == "section":
            self.pending = a.get("data-case")
        elif tag == "details" and self.pending is not None:
            self.open.append((self.pending, "open" in a))
            self.pending = None


def items(dom):
    p = Items()
    p.feed(dom)
    return p


def shown(dom, tag):
    return [cid for t, cid, hidden in items(dom).items if t == tag and not hidden]


@needs_chromium
def test_html_filter_and_search_in_chromium(seed_record, seed_ids, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    html = tmp_path / "report.html"
    netrepro("report", "--format", "html", "-o", str(html), str(seed_record[0]), str(other), check=0)
    text = html.read_text()
    # one file, nothing fetched
    assert not re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=|@import|url\(", text)
    assert text.count("<script>") == 1
    # everything shows at first; the failure first and open, the others closed
    dom = rendered(html, tmp_path)
    assert shown(dom, "section")[0] == REALM0 and sorted(shown(dom, "section")) == sorted(seed_ids)
    assert shown(dom, "tr")[0] == REALM0 and len(shown(dom, "tr")) == len(seed_ids)
    opened = dict(items(dom).open)
    assert opened[REALM0] is True and not [c for c, o in opened.items() if o and c != REALM0]
    assert f"{len(seed_ids)} of {len(seed_ids)} cases shown" in dom
    # the status filter, as the address sets it
    dom = rendered(html, tmp_path, "#status=FAIL")
    assert shown(dom, "section") == [REALM0] and shown(dom, "tr") == [REALM0]
    assert f"1 of {len(seed_ids)} cases shown" in dom
    # the search box: case ids and titles, any case
    dom = rendered(html, tmp_path, "#q=ZENOH")
    zenoh = [c for c in seed_ids if "zenoh" in c]
    assert sorted(shown(dom, "section")) == sorted(zenoh) and sorted(shown(dom, "tr")) == sorted(zenoh)
    dom = rendered(html, tmp_path, "#status=PASS&q=8-port")
    assert shown(dom, "section") == [EPHEMERAL]


def test_html_case_has_refs_source_sysctls_and_command(seed_record, seed_ids):
    html = netrepro("report", "--format", "html", str(seed_record[0]), check=0).stdout
    assert html.count('<section class="case"') == len(seed_ids)
    sec = html[html.index(f'data-case="{EPHEMERAL}" data-statuses'):]
    sec = sec[:sec.index("</section>")]
    assert '<a href="https://github.com/microsoft/WSL/issues/12228">' in sec
    assert "<summary>case source (cases/seed/ephemeral-exhaustion.case) and the fixtures it uses</summary>" in sec
    assert "sysctl a net.ipv4.ip_local_port_range = 40000 40007" in sec
    assert "<code>fixtures/host.net</code>" in sec and "host a\n" in sec
    assert "<td><code>net.ipv4.ip_local_port_range</code></td><td><code>40000 40007</code></td>" in sec
    assert "<pre class=\"reproduce\">netrepro run -k &#39;" not in sec  # quoted as the shell reads it
    assert "<pre class=\"reproduce\">netrepro run -k 'seed/ephemeral-exhaustion' " \
           "cases/seed/ephemeral-exhaustion.case</pre>" in sec
    lines = [int(m) for m in re.findall(r"<tr(?: class=\"fail\")?><td>(\d+)</td>", sec)]
    assert lines and lines == sorted(lines)
    version = seed_record[1]["tool"]["version"]
    assert f"netrepro {version})" in html and "<th>netrepro</th><td>%s</td>" % version in html


# --- JUnit ------------------------------------------------------------------------

def test_junit_keeps_kernels_apart(seed_record, seed_ids, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    out = netrepro("report", "--format", "junit", str(seed_record[0]), str(other), check=0).stdout
    cases = xml.dom.minidom.parseString(out).getElementsByTagName("testcase")
    keys = {(c.getAttribute("classname"), c.getAttribute("name")) for c in cases}
    assert len(keys) == 2 * len(seed_ids), "the same case on two kernels would merge in Jenkins or GitLab"
    release = os.uname().release
    kernel = re.sub(r"[^A-Za-z0-9_-]", "_", release)
    assert ("netrepro.%s.seed" % kernel, "realm-dualstack[v6only=0]") in keys
    assert ("netrepro.6_1_0-50-amd64.seed", "realm-dualstack[v6only=0]") in keys


def test_junit_error_timeout_and_known_bug(seed_record, tmp_path):
    rec = copy.deepcopy(seed_record[1])
    by_id = {c["id"]: c for c in rec["cases"]}
    by_id[EPHEMERAL].update(status="TIMEOUT", reason="timed out after 30 s")
    by_id[REALM1].update(status="ERROR", reason="the worker died")
    by_id[REALM0].update(status="KNOWN-BUG", reason="known kernel bug: https://fix.example/1")
    path = write_record(rec, tmp_path / "mixed.json")
    out = netrepro("report", "--format", "junit", str(path), check=0).stdout
    doc = xml.dom.minidom.parseString(out)
    suite = doc.getElementsByTagName("testsuite")[0]
    assert suite.getAttribute("errors") == "2" and suite.getAttribute("skipped") == "1"
    errors = {e.parentNode.getAttribute("name"): e for e in doc.getElementsByTagName("error")}
    assert errors["ephemeral-exhaustion"].getAttribute("type") == "TIMEOUT"
    assert errors["ephemeral-exhaustion"].getAttribute("message") == "timed out after 30 s"
    assert errors["realm-dualstack[v6only=1]"].getAttribute("type") == "ERROR"
    skipped = doc.getElementsByTagName("skipped")
    assert len(skipped) == 1 and skipped[0].getAttribute("type") == "netrepro.known-bug"
    assert skipped[0].parentNode.getAttribute("name") == "realm-dualstack[v6only=0]"
    assert not doc.getElementsByTagName("failure")


# --- KCIDB ------------------------------------------------------------------------

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def kcidb(*args, env=None, check=0):
    return netrepro("report", "--format", "kcidb", *map(str, args), env=env, check=check)


def validate_kcidb(doc):
    with open(KCIDB_SCHEMA) as f:
        jsonschema.validate(doc, json.load(f))


def test_kcidb_checkout_tree_repo_commit_and_start(seed_record, tmp_path):
    other, _, _ = other_kernel(seed_record[1], tmp_path)
    doc = json.loads(kcidb("--kcidb-tree", "net-next", "--kcidb-repo",
                           "https://git.kernel.org/pub/scm/linux/kernel/git/netdev/net-next.git",
                           "--kcidb-commit", COMMIT, seed_record[0], other).stdout)
    validate_kcidb(doc)
    assert len(doc["checkouts"]) == 2
    for co in doc["checkouts"]:
        assert co["tree_name"] == "net-next" and co["git_commit_hash"] == COMMIT
        assert co["git_repository_url"].startswith("https://git.kernel.org/")
        assert co["start_time"] == seed_record[1]["started"]
    # from the environment, as CI passes them; an option wins over its variable
    env = {"NETREPRO_KCIDB_TREE": "mainline", "NETREPRO_KCIDB_REPO": "https://example.org/linux.git",
           "NETREPRO_KCIDB_COMMIT": COMMIT, "NETREPRO_KCIDB_ORIGIN": "my_ci"}
    doc = json.loads(kcidb("--kcidb-tree", "stable", seed_record[0], env=env).stdout)
    validate_kcidb(doc)
    co = doc["checkouts"][0]
    assert (co["tree_name"], co["git_repository_url"], co["git_commit_hash"]) == \
        ("stable", "https://example.org/linux.git", COMMIT)
    # unknown: left out, start_time still there
    plain = json.loads(kcidb(seed_record[0], env={k: "" for k in env}).stdout)
    validate_kcidb(plain)
    assert set(plain["checkouts"][0]) == {"id", "origin", "comment", "valid", "start_time"}


def all_origins(doc):
    for kind in ("checkouts", "builds", "tests", "issues", "incidents"):
        for obj in doc[kind]:
            yield kind, obj["origin"], obj["id"]


def test_kcidb_origin(seed_record, tmp_path):
    rec = copy.deepcopy(seed_record[1])
    rec["cases"][1]["bugs"] = {"https://fix.example/1": "has"}
    path = write_record(rec, tmp_path / "bug.json")
    default = json.loads(kcidb(path, env={"NETREPRO_KCIDB_ORIGIN": ""}).stdout)
    assert {o for _, o, _ in all_origins(default)} == {"netrepro"}
    doc = json.loads(kcidb("--kcidb-origin", "lab_42", path).stdout)
    validate_kcidb(doc)
    kinds = {k for k, _, _ in all_origins(doc)}
    assert kinds == {"checkouts", "builds", "tests", "issues", "incidents"}
    for kind, origin, ident in all_origins(doc):
        assert origin == "lab_42" and ident.startswith("lab_42:"), (kind, ident)
    env = json.loads(kcidb(path, env={"NETREPRO_KCIDB_ORIGIN": "from_env"}).stdout)
    assert {o for _, o, _ in all_origins(env)} == {"from_env"}


@pytest.mark.parametrize("args,env,message", [
    (["--kcidb-origin", "Net-Repro"], {}, "--kcidb-origin 'Net-Repro'"),
    (["--kcidb-origin", ""], {}, "--kcidb-origin ''"),
    ([], {"NETREPRO_KCIDB_ORIGIN": "has space"}, "NETREPRO_KCIDB_ORIGIN 'has space'"),
    (["--kcidb-commit", "abc123"], {}, "40 lower-case hex digits"),
    ([], {"NETREPRO_KCIDB_COMMIT": COMMIT.upper()}, "NETREPRO_KCIDB_COMMIT"),
    (["--kcidb-repo", "git://example.org/x.git"], {}, "https:// URL"),
])
def test_kcidb_refuses_what_the_schema_refuses(seed_record, args, env, message):
    r = kcidb(*args, seed_record[0], env=env, check=None)
    assert r.returncode == 2 and message in r.stderr and r.stdout == "", r.stderr


def test_kcidb_options_are_for_kcidb(seed_record):
    r = netrepro("report", "--format", "md", "--kcidb-origin", "x", str(seed_record[0]))
    assert r.returncode == 2 and "--format kcidb" in r.stderr
    # the variables are CI's: other formats ignore them
    r = netrepro("report", "--format", "md", str(seed_record[0]), env={"NETREPRO_KCIDB_ORIGIN": "Bad!"})
    assert r.returncode == 0
