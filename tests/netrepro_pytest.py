"""pytest plugin: every *.case file under a `cases/` folder becomes test items,
one per case id (variants expanded), run through netrepro.

PASS is passed, SKIP is skipped with netrepro's reason (reported at the case
file's line it comes from), KNOWN-BUG is an expected failure (xfail, with the
bug's fix as the reason), FAIL, ERROR and TIMEOUT fail with the step trace as
the failure text; a parse error is a collection error naming FILE:LINE:COL.

Selecting: the node id shows the case id (`seed/realm-dualstack[v6only=0]`);
pytest's -k language has no `=` or `,`, so each binding of a variant is also
the keyword NAME_VALUE (`-k v6only_0`) and the whole id is one with those
written `_` (`-k 'realm-dualstack[v6only_0]'`). A case under cases/TOPIC/ is
marked TOPIC (`-m multicast`).

The binary is $NETREPRO, else the `netrepro_binary` ini value (relative to
the ini file), else `netrepro` on PATH, else build/netrepro under the
rootdir. Each file runs once, all its selected variants together. Under
pytest-xdist, `-n N` sends all the items of a file to one worker (the plugin
schedules --dist load by file), as --dist loadfile and each do; with another
--dist a file's items may land on several workers, and each runs alone.

Loaded by the repository's conftest.py, or, installed (`make install`),
through the pytest11 entry point `netrepro_pytest`: the same name as the
module, so that pytest never registers it twice.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

_BINARY = pytest.StashKey[str]()
_TOPICS = pytest.StashKey[set]()

# What pytest's -k and -m read as one identifier (_pytest/mark/expression.py).
_NOT_IDENT = re.compile(r"[^\w:+\-.\[\]\\/]")
# Marks pytest acts on: a cases/skip/ folder must not skip its cases.
_BUILTIN_MARKS = {"skip", "skipif", "xfail", "parametrize", "usefixtures",
                  "filterwarnings", "tryfirst", "trylast"}


def pytest_addoption(parser):
    group = parser.getgroup("netrepro")
    group.addoption("--netrepro-timeout", default="30", help="per-case timeout in seconds (netrepro --timeout)")
    group.addoption("--netrepro-allow-exec", action="store_true",
                    help="let cases run programs (netrepro --allow-exec); without it they are skipped")
    parser.addini("netrepro_binary", "path of the netrepro binary, relative to the ini file "
                  "(before `netrepro` on PATH; $NETREPRO comes first)")


def pytest_configure(config):
    keyword = config.getoption("keyword", "") or ""
    if "=" in keyword:
        raise pytest.UsageError(
            f"-k {keyword!r}: pytest's -k has no '='; a case variant NAME=VALUE is the keyword "
            f"NAME_VALUE: -k {keyword.replace('=', '_')!r}")
    config.stash[_TOPICS] = set()
    cases = config.rootpath / "cases"
    if cases.is_dir():
        for sub in sorted(p.name for p in cases.iterdir() if p.is_dir()):
            _register_topic(config, sub)


def _register_topic(config, topic):
    """True once `topic` is a registered marker we may put on items."""
    topics = config.stash[_TOPICS]
    if topic in topics:
        return True
    if topic in _BUILTIN_MARKS or not re.fullmatch(r"[A-Za-z_][\w-]*", topic):
        return False
    config.addinivalue_line("markers", f"{topic}: netrepro cases under a cases/{topic}/ folder")
    topics.add(topic)
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A SKIP is reported at the case file's line, not at pytest.skip()."""
    outcome = yield
    rep = outcome.get_result()
    line = getattr(item, "skip_line", None)
    if isinstance(item, CaseItem) and line and rep.skipped and isinstance(rep.longrepr, tuple):
        rep.longrepr = (str(item.path), line, rep.longrepr[2])


# pytest-xdist (the hooks are optional: without xdist nothing calls them).
# Its workers do not see --dist (each runs with dist "no"), so the controller
# tells them whether a file's items all come to one worker.
_WHOLE_FILES = ("load", "loadfile", "each")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["netrepro_whole_files"] = node.config.getvalue("dist") in _WHOLE_FILES


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`-n N` alone (--dist load), but the items of a case file go to one
    worker, which runs the file once; other items are spread one by one."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CaseFileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]     # case ids may hold "::" (an IPv6 address)
            return path if path.endswith(".case") else nodeid

    return CaseFileScheduling(config, log)


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".case" and "cases" in file_path.parts:
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _binary(config):
    """netrepro's path, found once per session; CaseNoBinary if there is none."""
    if _BINARY in config.stash:
        return config.stash[_BINARY]
    ini = config.getini("netrepro_binary")
    base = config.inipath.parent if config.inipath else config.rootpath
    for path, origin in ((os.environ.get("NETREPRO"), "$NETREPRO"),
                         (ini and str(base / ini), f"netrepro_binary in {config.inipath}"),
                         (shutil.which("netrepro"), "PATH"),
                         (str(config.rootpath / "build" / "netrepro"), "the rootdir")):
        if not path:
            continue
        if os.access(path, os.X_OK) and os.path.isfile(path):
            config.stash[_BINARY] = path
            return path
        if origin != "the rootdir":
            raise CaseNoBinary(f"netrepro binary {path} (from {origin}) is not an executable file")
    raise CaseNoBinary(f"netrepro binary not found: set NETREPRO, put netrepro on PATH, "
                       f"or build one at {config.rootpath / 'build' / 'netrepro'}")


def _shown(path):
    """The path as netrepro is given it: relative to here when below it, so
    that its messages read cases/x.case:3:7."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def _keywords(case_id):
    """-k spellings of a case id (see the module's docstring)."""
    words = {_NOT_IDENT.sub("_", case_id)}
    _, bracket, variant = case_id.partition("[")
    if bracket and variant.endswith("]"):
        words.update(_NOT_IDENT.sub("_", b) for b in variant[:-1].split(","))
    return words


class CaseFile(pytest.File):
    def collect(self):
        try:
            binary = _binary(self.config)
        except CaseNoBinary as e:
            raise self.CollectError(str(e)) from None
        out = subprocess.run([binary, "list", _shown(self.path)], capture_output=True, text=True)
        if out.returncode != 0:
            # netrepro's message names FILE:LINE:COL; a traceback of ours would bury it
            raise self.CollectError(out.stderr.strip() or f"netrepro list exited {out.returncode}")
        self.results = {}
        for case_id in out.stdout.split():
            item = CaseItem.from_parent(self, name=case_id)
            item.extra_keyword_matches.update(_keywords(case_id))
            topic = case_id.split("/")[0] if "/" in case_id else None
            if topic and _register_topic(self.config, topic):
                item.add_marker(topic)
            yield item

    def _batch(self, item):
        """The ids one run covers: every selected item of this file, unless
        xdist may send the file's items to several workers; then just this one."""
        worker = getattr(self.config, "workerinput", None)
        if worker is not None and not worker.get("netrepro_whole_files"):
            return [item.name]
        return [i.name for i in self.session.items if i.parent is self]

    def result(self, item):
        """The record of item's case, running netrepro on first demand."""
        if item.name not in self.results:
            self.results.update(self._run(self._batch(item)))
        return self.results.get(item.name)

    def _run(self, ids):
        with tempfile.TemporaryDirectory() as tmp:
            record = os.path.join(tmp, "run.json")
            cmd = [_binary(self.config), "run", "--json", record,
                   "--timeout", self.config.getoption("netrepro_timeout")]
            if self.config.getoption("netrepro_allow_exec"):
                cmd.append("--allow-exec")
            # one -k per run: an exact id when only one is selected
            if len(ids) == 1:
                cmd += ["-k", ids[0]]
            proc = subprocess.run(cmd + [_shown(self.path)], capture_output=True, text=True)
            if proc.returncode == 2 or not os.path.exists(record):
                raise CaseRunError(proc.stderr.strip() or proc.stdout.strip())
            with open(record) as f:
                return {c["id"]: c for c in json.load(f)["cases"]}


class CaseNoBinary(Exception):
    pass


class CaseRunError(Exception):
    pass


class CaseFailed(Exception):
    pass


def _trace(case):
    lines = [f"{case['id']}: {case.get('title') or ''} [{case['status']}]"]
    for s in case.get("steps", []):
        where = f"line {s['line']} on {s['host']}" + (f" at {s['iter']}" if s.get("iter") else "")
        detail = f" ({s['detail']})" if s.get("detail") else ""
        if s["status"] == "fail":
            lines.append(f"!! {where}: {s['call']}")
            lines.append(f"     expected: {s.get('expected')}")
            lines.append(f"     observed: {s['observed']}{detail}")
        else:
            lines.append(f"   {where}: {s['call']} = {s['observed']}{detail}")
    if case.get("reason"):
        lines.append(f"{case['status']}: {case['reason']}")
    return "\n".join(lines)


def _skip_line(case):
    """The case file's line a SKIP comes from (1-based). The record names no
    line for a SKIP, so the source is read: the `require` line whose
    condition the reason quotes, else the statement that needs what it
    names (`netem` needs sch_netem), the first `exec` when --allow-exec is
    missing, else the first statement."""
    lines = [l.split("#")[0].split() for l in (case.get("source") or "").splitlines()]
    reason = case.get("reason") or ""

    def first(pred):
        return next((i for i, t in enumerate(lines, 1) if t and pred(t)), None)

    def condition(t):
        """A `require` line's condition, spaces and any `when` left out."""
        return "".join(t[1:t.index("when")] if "when" in t else t[1:])

    line = None
    if reason.startswith("requires "):
        text = reason[len("requires "):]
        # "requires in-place: it shows ..." quotes more than the line holds
        quoted = "".join(text.split(":")[0].split())
        line = (first(lambda t: t[0] == "require" and condition(t) == quoted)
                or first(lambda t: t[0] == (text.split() or [""])[0])
                or first(lambda t: t[0] == "require"))
    elif "--allow-exec" in reason:
        line = first(lambda t: t[0] == "exec")
    return line or first(lambda t: True) or 1


class CaseItem(pytest.Item):
    skip_line = None

    def runtest(self):
        case = self.parent.result(self)
        if case is None:
            raise CaseRunError(f"netrepro produced no result for {self.name}")
        if case["status"] == "SKIP":
            self.skip_line = _skip_line(case)
            pytest.skip(case.get("reason") or "skipped")
        if case["status"] == "KNOWN-BUG":
            pytest.xfail(case.get("reason") or "known kernel bug")
        if case["status"] != "PASS":
            raise CaseFailed(_trace(case))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, (CaseFailed, CaseRunError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"case {self.name}"
