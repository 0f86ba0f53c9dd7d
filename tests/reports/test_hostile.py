"""Hostile input: a case file travels with a bug ticket and a run record
comes back from CI. Every string in them may be written to attack what
reads netrepro's output: a shell a command is pasted into, a KTAP parser,
a terminal, a browser, a Markdown renderer, an XML or KCIDB consumer. Each
writer is fed a record whose every string is an attack, and its output is
parsed the way its reader parses it."""
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jsonschema
import pytest

from reportlib import KCIDB_SCHEMA, NETREPRO, ROOT, netrepro, seed_record  # noqa: F401

# One of each: markup, event handlers, quotes, CDATA's end, control
# characters, a forged KTAP line, table pipes (one behind a backslash),
# backticks, a link, bidirectional overrides and line separators, and
# enough non-ASCII text that every fixed buffer is cut mid-character.
ATTACK = ('<script>alert(1)</script><img src=x onerror=alert(1)>"\' onmouseover=alert(1) x="'
          " javascript:alert(1) ]]> <![CDATA[ &amp; \x1b[31mRED\x1b]0;title\x07\x08\r\n"
          "ok 1 forged\n# SKIP forged\n| a | b \\| c ` `` ``` **b** _i_ [l](javascript:alert(1)) # h "
          "\u202e\u2028\u0085 " + "é" * 3000 + "🐞" * 300)
URLS = ["javascript:alert(1)//", 'https://x.example/"><script>alert(1)</script>',
        "https://x.example/a b", "../../etc/passwd", "//x.example/x", "https://x.example/ok"]
STATUSES = ["PASS", "FAIL", "ERROR", "SKIP", "TIMEOUT", "KNOWN-BUG"]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def attack(name):
    return ATTACK + " " + name


def hostile(rec, valid_statuses):
    """rec with every string an attack (each its own: ids stay apart), the
    object keys a writer shows too; statuses an attack unless
    valid_statuses, then every one of them, failures included."""
    count = [0]

    def walk(v, key=""):
        if isinstance(v, dict):
            return {k: walk(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, key) for x in v]
        if isinstance(v, str):
            count[0] += 1
            return attack(f"{key}#{count[0]}")
        return v

    out = walk(copy.deepcopy(rec))
    out["schema"] = rec["schema"]
    env = out["environment"]
    env["sysctl"] = {attack(f"sysctl#{i}"): v for i, v in enumerate(env["sysctl"].values())}
    out["guest"] = {"error": attack("guest"), "console": attack("console")}
    for i, case in enumerate(out["cases"]):
        case["refs"] = URLS + [attack("ref")]
        case["variant"] = {attack("variant"): attack("value")}
        case["isolation"] = attack("isolation")
        case["captures"] = [{"host": attack("cap"), "interface": attack("if"), "file": URLS[i % len(URLS)],
                             "frames": 1, "dropped": 2}]
        case["bugs"] = {URLS[i % len(URLS)]: "has" if valid_statuses else attack("bug"), attack("fix"): "fixed"}
        case["status"] = STATUSES[i % len(STATUSES)] if valid_statuses else attack("status")
        for k, step in enumerate(case["steps"]):
            step["status"] = ["fail", "pass", "known-bug", "info"][k % 4] if valid_statuses else attack("st")
            step["iter"] = attack("iter")
            step["detail"] = attack("detail")
            step["bug"] = {"fix": attack("stepfix"), "state": "has"}
    out["summary"] = {s: sum(c["status"] == s for c in out["cases"]) for s in STATUSES}
    return out


@pytest.fixture(scope="module")
def records(seed_record, tmp_path_factory):  # noqa: F811
    d = tmp_path_factory.mktemp("hostile")
    paths = []
    for name, valid in (("a.json", False), ("b.json", True)):
        rec = hostile(seed_record[1], valid)
        rec["environment"]["kernel"]["release"] = attack(name)
        (d / name).write_text(json.dumps(rec))
        paths.append(str(d / name))
    return paths, [json.loads(open(p).read()) for p in paths]


def no_control(text):
    bad = [m.group() for m in CONTROL.finditer(text.replace("\n", ""))]
    assert not bad, bad[:5]


# What netrepro's HTML is made of: a tag or class outside these came from a record.
HTML_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "br", "form", "label",
             "input", "output", "table", "tr", "th", "td", "a", "code", "small", "section", "details",
             "summary", "ul", "li", "span", "pre", "script",
             # cmark-gfm's rendering of Markdown
             "h3", "thead", "tbody", "strong", "em", "del", "blockquote", "hr", "ol", "h4"}
CLASSES = {"PASS", "FAIL", "ERROR", "SKIP", "TIMEOUT", "KNOWN-BUG", "MISS", "has", "fixed", "na", "differs",
           "badge", "fail", "steps", "sysctls", "source", "case", "capture", "outcomes", "refs", "selection",
           "reproduce", "language-sh"}


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.links, self.rows = [], [], [], []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")
        if tag == "tr":
            self.rows.append(0)
        if tag in ("td", "th") and self.rows:
            self.rows[-1] += 1
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            value = (value or "").strip().lower()
            if name in ("href", "src", "action", "formaction"):
                assert not value.startswith("javascript:"), (tag, name, value)
                self.links.append(value)
            if name == "class":
                assert set(value.split()) <= {c.lower() for c in CLASSES}, value

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data

    def handle_endtag(self, tag):
        self.in_script = False


def check_html(text, ours_script):
    dom = Dom()
    dom.feed(text)
    dom.close()
    assert set(dom.tags) <= HTML_TAGS, set(dom.tags) - HTML_TAGS
    assert len(dom.scripts) == ours_script and all(s.startswith("(function(){var form") for s in dom.scripts)
    for link in dom.links:
        # links only to the web, or to a file next to the report
        assert link.startswith(("#", "https://", "http://")) or \
            re.fullmatch(r"(/(?!/))?[a-z0-9_.+=,@%-][a-z0-9_./+=,@%-]*", link) and ".." not in link, link
    return dom


def report(fmt, paths):
    proc = netrepro("report", "--format", fmt, *paths)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("n", [1, 2])
def test_html_of_a_hostile_record(records, n):
    out = report("html", records[0][:n] if n == 1 else records[0])
    no_control(out)
    dom = check_html(out, 1)
    assert "https://x.example/ok" in dom.links


def table_rows(md):
    """Each table of md as lists of cells, split where GitHub (cmark-gfm)
    splits: at a '|' with no backslash before it, in code spans too."""
    tables, table = [], None
    for line in md.splitlines():
        if line.startswith("|"):
            table = table if table is not None else []
            table.append(re.split(r"(?<!\\)\|", line.strip())[1:-1])
        elif table is not None:
            tables.append(table)
            table = None
    return tables + ([table] if table else [])


@pytest.mark.parametrize("n", [1, 2])
def test_markdown_of_a_hostile_record(records, n):
    out = report("md", records[0][:n] if n == 1 else records[0])
    no_control(out)
    tables = table_rows(out)
    assert len(tables) >= 3
    for table in tables:
        assert len({len(row) for row in table}) == 1, [len(row) for row in table]
    # as GitHub renders it: raw HTML allowed, so any left in would show
    cmark = shutil.which("cmark-gfm")
    if not cmark:
        pytest.skip("cmark-gfm is not installed (make deps installs it)")
    html = subprocess.run([cmark, "--unsafe", "-e", "table", "-e", "autolink", "-e", "strikethrough"],
                          input=out, capture_output=True, text=True, check=True).stdout
    dom = check_html(html, 0)
    heads = [r for r in dom.rows]
    assert heads and "https://x.example/ok" in dom.links


def test_reproduce_command_is_the_argv_of_its_case(records):
    """The command under "Reproduce", pasted into a shell, is exactly
    netrepro run -k ID FILE: nothing else runs."""
    paths, recs = records
    out = report("md", paths[:1])
    commands = re.findall(r"```sh\n(.*?)\n```", out, re.S)
    assert len(commands) == len(recs[0]["cases"])
    script = 'netrepro() { printf "%s\\0" "$@"; }\n' + "\n".join(commands) + "\n"
    words = subprocess.run(["bash", "-s"], input=script.encode(), capture_output=True, check=True).stdout
    got = words.decode().split("\0")[:-1]
    want = []
    for case in recs[0]["cases"]:
        want += ["run", "-k", case["id"], case["file"]]
    assert got == want


def test_reproduce_through_shlex(tmp_path):
    """A variant value that closes a quote: shlex (the shell's grammar)
    reads the command back as the case's argv, and evil.sh never runs."""
    cases = tmp_path / "cases"
    cases.mkdir()
    marker = tmp_path / "ran"
    (cases / "evil.sh").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (cases / "evil.sh").chmod(0o755)
    shutil.copytree(os.path.join(ROOT, "fixtures"), tmp_path / "fixtures")
    (cases / "repro.case").write_text("title \"t\"\nuse fixtures/host.net\nvary v = x';./cases/evil.sh;', y\n"
                                      "on a\n  s = socket(INET, DGRAM)\n")
    rec = tmp_path / "rec.json"
    netrepro("run", "--json", str(rec), "cases/repro.case", cwd=tmp_path, check=0)
    for fmt in ("md", "html"):
        out = netrepro("report", "--format", fmt, str(rec), check=0).stdout
        if fmt == "html":
            out = re.sub(r"&(lt|gt|quot|amp);", lambda m: {"lt": "<", "gt": ">", "quot": '"', "amp": "&"}[m[1]],
                         "\n".join(re.findall(r'<pre class="reproduce">(.*?)</pre>', out)))
        lines = [line for line in out.splitlines() if line.startswith("netrepro run -k")]
        assert len(lines) == 2
        assert shlex.split(lines[0]) == ["netrepro", "run", "-k", "repro[v=x';./cases/evil.sh;']", "cases/repro.case"]
        subprocess.run(["bash", "-c", 'netrepro() { :; }; ' + "\n".join(lines)], cwd=tmp_path, check=True)
    assert not marker.exists()


KTAP_LINE = re.compile(r"(  )*(KTAP version 1|1\.\.\d+|(not )?ok \d+( [^#]*)?( # \S.*)?|#( .*)?)")


@pytest.mark.parametrize("n", [1, 2])
def test_ktap_of_a_hostile_record(records, n):
    paths, recs = records
    out = report("ktap", paths[:n])
    no_control(out)
    for line in out.splitlines():
        assert KTAP_LINE.fullmatch(line), line[:200]
    results = [line for line in out.splitlines() if re.match(r"(not )?ok ", line)]
    assert len(results) == (len(recs[0]["cases"]) if n == 1 else 2)


@pytest.mark.parametrize("n", [1, 2])
def test_junit_of_a_hostile_record(records, n):
    paths, recs = records
    out = report("junit", paths[:n])
    no_control(out)
    root = ET.fromstring(out.encode())
    suites = root.findall("testsuite")
    assert len(suites) == n
    for suite, rec in zip(suites, recs):
        cases = suite.findall("testcase")
        assert len(cases) == len(rec["cases"])      # none lost to a cut character
        # what XML cannot hold (an escape, a bell) is shown; a newline stays one
        shown = rec["cases"][0]["file"].replace("\x1b", "\\x1b").replace("\x07", "\\x07")
        assert cases[0].get("file").startswith(shown[:shown.index("\x08")])


def test_kcidb_of_a_hostile_record(records):
    paths, recs = records
    doc = json.loads(report("kcidb", paths))
    with open(KCIDB_SCHEMA) as f:
        jsonschema.validate(doc, json.load(f), format_checker=jsonschema.FormatChecker())
    assert len(doc["tests"]) == sum(len(r["cases"]) for r in recs)
    assert len({t["id"] for t in doc["tests"]}) == len(doc["tests"])
    assert all(len(t["log_excerpt"]) <= 16384 for t in doc["tests"])
    # cut at 16384 bytes, between two characters, not dropped for a half one
    assert any(16384 - 4 < len(t["log_excerpt"].encode()) <= 16384 for t in doc["tests"])


def test_diff_of_hostile_records(records):
    proc = netrepro("diff", "--all", *records[0])
    assert proc.returncode == 1, proc.stderr
    no_control(proc.stdout)
    for line in proc.stdout.splitlines():
        assert re.match(r"(--- |\+\+\+ |case |  \S|$|\d+ case\(s\) differ)", line), line[:200]


def test_a_record_not_utf8_is_refused_visibly(records, tmp_path):
    raw = open(records[0][0], "rb").read().replace(b"alert(1)", b"\xff\x1b[31m", 1)
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw)
    for args in (("report", "--format", "md"), ("diff", records[0][0])):
        proc = subprocess.run([NETREPRO, *args, str(bad)], capture_output=True, cwd=ROOT)
        assert proc.returncode == 2 and proc.stdout == b""
        assert proc.stderr.count(b"\n") == 1 and b"\x1b" not in proc.stderr
        assert str(bad).encode() + b":1:" in proc.stderr


def test_a_case_file_named_with_control_characters(tmp_path):
    """Its name would be a forged KTAP line and a raw escape on the
    terminal: refused, the name shown escaped, nothing run."""
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copytree(os.path.join(ROOT, "fixtures"), tmp_path / "fixtures")
    (cases / "x\nok 7 forged \x1b[31mRED.case").write_text('title "t"\nuse fixtures/host.net\n'
                                                           'on a\n  s = socket(INET, DGRAM)\n')
    for cmd in ("run", "list", "check"):
        proc = subprocess.run([NETREPRO, cmd, "cases"], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 2 and "forged" not in proc.stdout
        assert "cases/x\\nok 7 forged \\x1b[31mRED.case: a case file's name must not hold control characters" \
            in proc.stderr
        assert "\x1b" not in proc.stderr
