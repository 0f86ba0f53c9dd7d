"""pytest plugin: every *.case file under a `cases/` folder becomes test items,
one per case id (variants expanded), run through build/netrepro.

PASS is passed, SKIP is skipped with netrepro's reason, KNOWN-BUG is an
expected failure (xfail, with the bug's fix as the reason), FAIL, ERROR and
TIMEOUT fail with the step trace as the failure text. `-k` selects by case id
and `--junitxml` works as usual. The binary is $NETREPRO, or build/netrepro
under the rootdir; each file runs once, all its selected variants together.
"""
import json
import os
import subprocess
import tempfile

import pytest


def _binary(config):
    path = os.environ.get("NETREPRO") or os.path.join(str(config.rootpath), "build", "netrepro")
    if not os.access(path, os.X_OK):
        raise pytest.UsageError(f"netrepro binary not found at {path}: run `make` first or set NETREPRO")
    return path


def pytest_addoption(parser):
    group = parser.getgroup("netrepro")
    group.addoption("--netrepro-timeout", default="30", help="per-case timeout in seconds (netrepro --timeout)")
    group.addoption("--netrepro-allow-exec", action="store_true",
                    help="let cases run programs (netrepro --allow-exec); without it they are skipped")


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".case" and "cases" in file_path.parts:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        out = subprocess.run([_binary(self.config), "list", str(self.path)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise CaseParseError(out.stderr.strip())
        self.results = None
        for case_id in out.stdout.split():
            yield CaseItem.from_parent(self, name=case_id)

    def result(self, case_id):
        """Runs every selected id of this file once, on first demand."""
        if self.results is None:
            selected = [i.name for i in self.session.items if i.parent is self]
            with tempfile.TemporaryDirectory() as tmp:
                record = os.path.join(tmp, "run.json")
                cmd = [_binary(self.config), "run", "--json", record,
                       "--timeout", self.config.getoption("netrepro_timeout"), str(self.path)]
                if self.config.getoption("netrepro_allow_exec"):
                    cmd.insert(2, "--allow-exec")
                # one -k per run: an exact id when only one is selected
                if len(selected) == 1:
                    cmd[2:2] = ["-k", selected[0]]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode == 2 or not os.path.exists(record):
                    raise CaseRunError(proc.stderr.strip() or proc.stdout.strip())
                with open(record) as f:
                    self.results = {c["id"]: c for c in json.load(f)["cases"]}
        return self.results.get(case_id)


class CaseParseError(Exception):
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


class CaseItem(pytest.Item):
    def runtest(self):
        case = self.parent.result(self.name)
        if case is None:
            raise CaseRunError(f"netrepro produced no result for {self.name}")
        if case["status"] == "SKIP":
            pytest.skip(case.get("reason") or "skipped")
        if case["status"] == "KNOWN-BUG":
            pytest.xfail(case.get("reason") or "known kernel bug")
        if case["status"] != "PASS":
            raise CaseFailed(_trace(case))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, (CaseFailed, CaseRunError, CaseParseError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"case {self.name}"
