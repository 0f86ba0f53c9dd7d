"""The nightly workflow (.github/workflows/nightly.yml): its structure.

Each property is a check_* function over the parsed workflow; a test runs it
on the real file, and test_check_catches_a_broken_workflow runs it on copies
broken on purpose, so that every check is shown to be able to fail.

Needs PyYAML (Debian's python3-yaml, with /usr/bin/python3).
"""
import copy
import fnmatch
import os
import re

import pytest

import ci_deps

yaml = pytest.importorskip(
    "yaml", reason="PyYAML is missing: apt-get install python3-yaml (and run /usr/bin/python3)")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKFLOW = os.path.join(ROOT, ".github", "workflows", "nightly.yml")
KERNELS = ["6.1.0-50-amd64", "6.1.0-50-cloud-amd64", "6.12.117+deb12-amd64", "host"]
FORMATS = ["md", "html", "junit", "kcidb"]
MATRIX_CMD = "make matrix KERNEL=${{ matrix.kernel }}"


# --- reading the workflow ----------------------------------------------------

def load():
    with open(WORKFLOW) as f:
        return yaml.safe_load(f)


def triggers(wf):
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True
    on = wf.get("on", wf.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {t: None for t in on}
    assert isinstance(on, dict), "no 'on:' triggers: %r" % (on,)
    return on


def jobs(wf):
    j = wf.get("jobs")
    assert isinstance(j, dict) and j, "no jobs"
    return j


def steps(job):
    s = job.get("steps")
    assert isinstance(s, list) and s, "a job without steps"
    return s


def run_text(step):
    return step.get("run") or ""


def uses(step):
    return step.get("uses") or ""


def index(job, pred, what):
    """The index of the first step pred accepts."""
    for i, s in enumerate(steps(job)):
        if pred(s):
            return i
    raise AssertionError("no step " + what)


def matrix_job(wf):
    """(id, job) of the one job with a kernel matrix."""
    found = [(n, j) for n, j in jobs(wf).items()
             if isinstance(j.get("strategy"), dict)
             and isinstance(j["strategy"].get("matrix"), dict)
             and "kernel" in j["strategy"]["matrix"]]
    assert len(found) == 1, "want one job with strategy.matrix.kernel, got %s" % [n for n, _ in found]
    return found[0]


def wsl_job(wf):
    """(id, job) of the one job with a WSL matrix."""
    found = [(n, j) for n, j in jobs(wf).items()
             if isinstance(j.get("strategy"), dict)
             and isinstance(j["strategy"].get("matrix"), dict)
             and "wsl" in j["strategy"]["matrix"]]
    assert len(found) == 1, "want one job with strategy.matrix.wsl, got %s" % [n for n, _ in found]
    return found[0]


def merge_job(wf):
    """(id, job) of the one job that runs `netrepro report`."""
    found = [(n, j) for n, j in jobs(wf).items()
             if any(re.search(r"netrepro report\b", run_text(s)) for s in j.get("steps") or [])]
    assert len(found) == 1, "want one job that runs netrepro report, got %s" % [n for n, _ in found]
    return found[0]


def needs(job):
    n = job.get("needs", [])
    return [n] if isinstance(n, str) else list(n)


def runs_make_matrix(step):
    """A step with a command line (not an echo) that starts with make matrix KERNEL=..."""
    return re.search(r"(?m)^\s*" + re.escape(MATRIX_CMD) + r"(\s|$)", run_text(step)) is not None


def expand_home(path, job):
    home = (job.get("env") or {}).get("HOME", "/github/home")
    return re.sub(r"^~(?=/|$)", home, path)


# --- the checks ----------------------------------------------------------------

def check_triggers(wf):
    on = triggers(wf)
    assert "workflow_dispatch" in on, "no workflow_dispatch trigger"
    sched = on.get("schedule")
    assert isinstance(sched, list) and sched, "no schedule trigger"
    crons = [e.get("cron", "") for e in sched if isinstance(e, dict)]
    assert crons, "a schedule without cron"
    for c in crons:
        fields = c.split()
        assert len(fields) == 5, "cron %r: want 5 fields" % c
        # nightly: a fixed minute and hour, every day
        assert fields[0].isdigit() and fields[1].isdigit(), "cron %r does not run at a fixed time" % c
        assert fields[2:] == ["*", "*", "*"], "cron %r is not every day" % c


def check_kernels(wf):
    _, job = matrix_job(wf)
    m = job["strategy"]["matrix"]
    assert set(m) == {"kernel"}, "the matrix varies more than the kernel (or includes/excludes): %s" % sorted(m)
    kernels = m["kernel"]
    assert isinstance(kernels, list), kernels
    assert len(kernels) == len(set(kernels)), "a kernel twice: %r" % kernels
    assert sorted(kernels) == sorted(KERNELS), "kernels %r, want %r" % (kernels, KERNELS)


def check_fail_fast_off(wf):
    # the job fails last when a case failed: fail-fast would cancel the others
    _, job = matrix_job(wf)
    assert job["strategy"].get("fail-fast") is False, "strategy.fail-fast must be false"


def check_container(wf):
    for name in (matrix_job(wf)[0], merge_job(wf)[0]):
        job = jobs(wf)[name]
        assert job.get("runs-on") == "ubuntu-latest", "%s runs on %r" % (name, job.get("runs-on"))
        c = job.get("container")
        image = c.get("image") if isinstance(c, dict) else c
        assert image == "debian:12", "%s: container %r, want debian:12" % (name, image)
    c = matrix_job(wf)[1]["container"]
    assert isinstance(c, dict) and "--privileged" in str(c.get("options", "")).split(), \
        "the matrix job's container is not --privileged (it needs namespaces)"


def check_matrix_steps(wf):
    _, job = matrix_job(wf)
    checkout = index(job, lambda s: uses(s).startswith("actions/checkout@"), "uses actions/checkout")
    deps = index(job, lambda s: ci_deps.deps_goals(run_text(s)), "runs `make deps-...`")
    build = index(job, lambda s: re.search(r"(?m)^\s*make\s*$", run_text(s)), "runs `make`")
    mx = index(job, runs_make_matrix, "runs `%s`" % MATRIX_CMD)
    assert checkout < deps < build < mx, \
        "order: checkout %d, make deps %d, make %d, make matrix %d" % (checkout, deps, build, mx)


def check_matrix_exit_allowed(wf):
    """Exit 1 of make matrix does not stop the upload, and is not lost."""
    _, job = matrix_job(wf)
    st = steps(job)
    mx = index(job, runs_make_matrix, "runs make matrix")
    upload = index(job, lambda s: uses(s).startswith("actions/upload-artifact@")
                   and "build/matrix" in str((s.get("with") or {}).get("path", "")), "uploads build/matrix")
    step = st[mx]
    if step.get("continue-on-error") is True:
        return
    line = next(l for l in run_text(step).splitlines() if l.strip().startswith(MATRIX_CMD))
    assert re.search(re.escape(MATRIX_CMD) + r"\s*\|\|", line), \
        "make matrix may fail the job before the upload: %r (continue-on-error, or `|| status=$?`)" % line
    # `|| true` alone would lose the exit status: a later step must check it
    assert step.get("id"), "the make matrix step saves its status but has no id"
    ref = "steps.%s.outputs." % step["id"]
    assert "GITHUB_OUTPUT" in run_text(step), "make matrix's status is not saved in $GITHUB_OUTPUT"
    checks = [i for i, s in enumerate(st) if i > mx and ref in run_text(s) + str(s.get("if", ""))]
    assert checks, "nothing checks make matrix's exit status after it"
    assert min(checks) > upload, "the exit status is checked (step %d) before the upload (step %d)" % (
        min(checks), upload)


def check_upload(wf):
    _, job = matrix_job(wf)
    mx = index(job, runs_make_matrix, "runs make matrix")
    up = index(job, lambda s: uses(s).startswith("actions/upload-artifact@")
               and "build/matrix" in str((s.get("with") or {}).get("path", "")), "uploads build/matrix")
    assert up > mx, "records uploaded (step %d) before make matrix (step %d)" % (up, mx)
    w = steps(job)[up].get("with") or {}
    paths = str(w.get("path", "")).split()
    assert any(fnmatch.fnmatch("build/matrix/%s.json" % k, p) or p.rstrip("/") == "build/matrix"
               for p in paths for k in KERNELS), "upload path %r holds no build/matrix/<kernel>.json" % paths
    assert "${{ matrix.kernel }}" in str(w.get("name", "")), "artifact %r is not named per kernel" % w.get("name")
    # a job that fails before the upload step still uploads what it has
    cond = str(steps(job)[up].get("if", ""))
    assert "always()" in cond, "the upload does not run when an earlier step failed (if: always())"


def check_kernel_cache(wf):
    _, job = matrix_job(wf)
    st = steps(job)
    mx = index(job, runs_make_matrix, "runs make matrix")
    cache = [i for i, s in enumerate(st) if re.match(r"actions/cache(/restore)?@", uses(s))]
    assert cache, "no actions/cache step"
    first = st[cache[0]]
    assert cache[0] < mx, "the kernel cache is restored after make matrix"
    w = first.get("with") or {}
    assert "${{ matrix.kernel }}" in str(w.get("key", "")), "cache key %r is not per kernel" % w.get("key")
    # the cached path is where netrepro keeps kernels: $XDG_CACHE_HOME/netrepro/kernels
    xdg = (job.get("env") or {}).get("XDG_CACHE_HOME") or (wf.get("env") or {}).get("XDG_CACHE_HOME") \
        or "~/.cache"
    want = expand_home(xdg.rstrip("/") + "/netrepro/kernels", job)
    got = [expand_home(p.rstrip("/"), job) for p in str(w.get("path", "")).split()]
    assert want in got, "cache path %r is not netrepro's kernel cache %r" % (got, want)
    if uses(first).startswith("actions/cache/restore@"):
        save = [s for s in st if uses(s).startswith("actions/cache/save@")]
        assert save, "the cache is restored but never saved"
        assert str((save[0].get("with") or {}).get("key")) == str(w.get("key")), "save and restore keys differ"


def check_deps_groups(wf):
    """Each job installs the package groups of what it runs, and no more."""
    for role, (name, job) in (("kernel", matrix_job(wf)), ("report", merge_job(wf)), ("wsl", wsl_job(wf))):
        ci_deps.check_job(name, [run_text(s) for s in steps(job)], ci_deps.WANTED[role])


def check_merge_job(wf):
    mname, _ = matrix_job(wf)
    name, job = merge_job(wf)
    assert mname in needs(job), "%s does not need %s" % (name, mname)
    assert "always()" in str(job.get("if", "")), "%s does not run with if: always()" % name
    st = steps(job)
    dl = index(job, lambda s: uses(s).startswith("actions/download-artifact@"), "downloads the records")
    build = index(job, lambda s: re.search(r"(?m)^\s*make\s*$", run_text(s)), "builds netrepro (`make`)")
    text = "\n".join(run_text(s) for s in st)
    for fmt in FORMATS:
        assert re.search(r"netrepro report\b[^\n]*--format[ =]%s\b" % fmt, text), "no netrepro report --format " + fmt
    rep = index(job, lambda s: "netrepro report" in run_text(s), "runs netrepro report")
    assert dl < rep and build < rep, "netrepro report runs before the records or the build are there"
    # the artifacts the matrix job uploads are those downloaded
    w = st[dl].get("with") or {}
    up = next(s for s in steps(matrix_job(wf)[1]) if uses(s).startswith("actions/upload-artifact@")
              and "build/matrix" in str((s.get("with") or {}).get("path", "")))
    names = [str(up["with"]["name"]).replace("${{ matrix.kernel }}", k) for k in KERNELS]
    if "pattern" in w:
        assert all(fnmatch.fnmatch(n, w["pattern"]) for n in names), \
            "download pattern %r misses some of %r" % (w["pattern"], names)
    else:
        assert "name" not in w, "downloads one artifact (%r) of %r" % (w["name"], names)
    # the report reads the records from where they were downloaded
    where = str(w.get("path", "")).rstrip("/")
    assert where and where in run_text(st[rep]), "netrepro report does not read %r" % where
    assert "GITHUB_STEP_SUMMARY" in text, "the Markdown report is not written to the job summary"
    assert any(uses(s).startswith("actions/upload-artifact@") for s in st[rep:]), "the reports are not uploaded"


CHECKS = [check_triggers, check_kernels, check_fail_fast_off, check_container, check_matrix_steps,
          check_deps_groups, check_matrix_exit_allowed, check_upload, check_kernel_cache, check_merge_job]


@pytest.fixture(scope="module")
def workflow():
    assert os.path.exists(WORKFLOW), WORKFLOW + " is missing"
    return load()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__[6:] for c in CHECKS])
def test_workflow(workflow, check):
    check(workflow)


# --- every check can fail: the same checks on broken copies -------------------

def _mjob(wf):
    return matrix_job(wf)[1]


def _rjob(wf):
    return merge_job(wf)[1]


def _wjob(wf):
    return wsl_job(wf)[1]


def _deps_step(job):
    return _step(job, lambda s: ci_deps.deps_goals(run_text(s)))


def _set_deps(job, goals):
    """The job's `make deps-...` line becomes `make GOALS`."""
    s = _deps_step(job)
    s["run"] = "\n".join(("make " + goals if ci_deps.DEPS_LINE.match(l) else l) for l in s["run"].splitlines())


def _step(job, pred):
    return next(s for s in job["steps"] if pred(s))


def _mx(wf):
    return _step(_mjob(wf), runs_make_matrix)


def _upload(wf):
    return _step(_mjob(wf), lambda s: uses(s).startswith("actions/upload-artifact@")
                 and "build/matrix" in str((s.get("with") or {}).get("path", "")))


def _cache(wf):
    return _step(_mjob(wf), lambda s: re.match(r"actions/cache(/restore)?@", uses(s)))


def _del(d, key):
    d.pop(key, None)


def _on(wf):
    return wf["on"] if "on" in wf else wf[True]


def _sub_run(step, old, new):
    assert old in step["run"], (old, step["run"])
    step["run"] = step["run"].replace(old, new)


def _move(job, pred, to):
    s = _step(job, pred)
    job["steps"].remove(s)
    job["steps"].insert(to if to >= 0 else len(job["steps"]) + 1 + to, s)


def _report_run(wf):
    return _step(_rjob(wf), lambda s: "netrepro report" in run_text(s))


def _drop_format(fmt):
    def mutate(wf):
        s = _report_run(wf)
        s["run"] = "\n".join(l for l in s["run"].splitlines() if "--format %s " % fmt not in l
                             and "--format=%s " % fmt not in l)
    return mutate


BROKEN = [
    ("no schedule", lambda wf: _del(_on(wf), "schedule"), check_triggers),
    ("no workflow_dispatch", lambda wf: _del(_on(wf), "workflow_dispatch"), check_triggers),
    ("weekly cron", lambda wf: _on(wf)["schedule"][0].update(cron="17 2 * * 0"), check_triggers),
    ("a kernel missing", lambda wf: _mjob(wf)["strategy"]["matrix"]["kernel"].pop(), check_kernels),
    ("an extra kernel", lambda wf: _mjob(wf)["strategy"]["matrix"]["kernel"].append("6.1.0-9-amd64"),
     check_kernels),
    ("a kernel twice", lambda wf: _mjob(wf)["strategy"]["matrix"]["kernel"].__setitem__(0, "host"),
     check_kernels),
    ("a kernel included", lambda wf: _mjob(wf)["strategy"]["matrix"].update(include=[{"kernel": "x"}]),
     check_kernels),
    ("fail-fast", lambda wf: _mjob(wf)["strategy"].update({"fail-fast": True}), check_fail_fast_off),
    ("not privileged", lambda wf: _mjob(wf)["container"].update(options="--cap-add NET_ADMIN"), check_container),
    ("ubuntu image", lambda wf: _mjob(wf)["container"].update(image="ubuntu:24.04"), check_container),
    ("not ubuntu-latest", lambda wf: _rjob(wf).update({"runs-on": "ubuntu-22.04"}), check_container),
    ("no make deps", lambda wf: _set_deps(_mjob(wf), "--version"), check_matrix_steps),
    ("kernel job installs everything", lambda wf: _set_deps(_mjob(wf), "deps"), check_deps_groups),
    ("kernel job without QEMU", lambda wf: _set_deps(_mjob(wf), "deps-build"), check_deps_groups),
    ("kernel job cannot build", lambda wf: _set_deps(_mjob(wf), "deps-matrix"), check_deps_groups),
    ("report job installs the browser", lambda wf: _set_deps(_rjob(wf), "deps-build deps-browser"),
     check_deps_groups),
    ("report job installs the tests", lambda wf: _set_deps(_rjob(wf), "deps-build deps-test"), check_deps_groups),
    ("wsl job without the tests' tools", lambda wf: _set_deps(_wjob(wf), "deps-build"), check_deps_groups),
    ("wsl job installs everything", lambda wf: _set_deps(_wjob(wf), "deps"), check_deps_groups),
    ("a group the Makefile lacks", lambda wf: _set_deps(_mjob(wf), "deps-build deps-matrix deps-qemu"),
     check_deps_groups),
    ("wsl job builds first", lambda wf: _deps_step(_wjob(wf)).update(
        run="\n".join(reversed(_deps_step(_wjob(wf))["run"].splitlines()))), check_deps_groups),
    ("report job installs after make", lambda wf: _move(_rjob(wf), lambda s: s is _deps_step(_rjob(wf)), -1),
     check_deps_groups),
    ("no make", lambda wf: _step(_mjob(wf), lambda s: re.search(r"(?m)^\s*make\s*$", run_text(s)))
     .update(run="true"), check_matrix_steps),
    ("make matrix of every kernel", lambda wf: _sub_run(_mx(wf), MATRIX_CMD, "make matrix"), check_matrix_steps),
    ("make matrix before make", lambda wf: _move(_mjob(wf), runs_make_matrix, 1), check_matrix_steps),
    ("exit 1 fails the step", lambda wf: _sub_run(_mx(wf), MATRIX_CMD + " ||", MATRIX_CMD + " &&"),
     check_matrix_exit_allowed),
    ("status never checked", lambda wf: _mjob(wf).update(steps=[s for s in _mjob(wf)["steps"]
                                                               if "steps.run.outputs" not in run_text(s)]),
     check_matrix_exit_allowed),
    ("status checked before the upload",
     lambda wf: _move(_mjob(wf), lambda s: "steps.run.outputs" in run_text(s),
                      _mjob(wf)["steps"].index(_upload(wf))), check_matrix_exit_allowed),
    ("status not saved", lambda wf: _sub_run(_mx(wf), '>> "$GITHUB_OUTPUT"', ""), check_matrix_exit_allowed),
    ("upload before make matrix", lambda wf: _move(_mjob(wf), lambda s: s is _upload(wf), 1), check_upload),
    ("upload of the wrong files", lambda wf: _upload(wf)["with"].update(path="build/reports/*.json"),
     check_upload),
    ("upload of the reports only", lambda wf: _upload(wf)["with"].update(path="build/matrix/matrix.md"),
     check_upload),
    ("one artifact name", lambda wf: _upload(wf)["with"].update(name="records"), check_upload),
    ("upload skipped after a failure", lambda wf: _upload(wf).update({"if": "success()"}), check_upload),
    ("no cache", lambda wf: _mjob(wf).update(steps=[s for s in _mjob(wf)["steps"]
                                                   if not uses(s).startswith("actions/cache")]),
     check_kernel_cache),
    ("cache key not per kernel", lambda wf: _cache(wf)["with"].update(key="netrepro-kernels"), check_kernel_cache),
    ("cache of another folder", lambda wf: _cache(wf)["with"].update(path="~/.cache/apt"), check_kernel_cache),
    ("cache restored late", lambda wf: _move(_mjob(wf), lambda s: s is _cache(wf), -1), check_kernel_cache),
    ("merge job needs nothing", lambda wf: _del(_rjob(wf), "needs"), check_merge_job),
    ("merge job only on success", lambda wf: _del(_rjob(wf), "if"), check_merge_job),
    ("merge job without make", lambda wf: _step(_rjob(wf), lambda s: re.search(r"(?m)^\s*make\s*$", run_text(s)))
     .update(run="true"), check_merge_job),
    ("records downloaded after the report",
     lambda wf: _move(_rjob(wf), lambda s: uses(s).startswith("actions/download-artifact@"), -1), check_merge_job),
    ("download pattern misses the records",
     lambda wf: _step(_rjob(wf), lambda s: uses(s).startswith("actions/download-artifact@"))["with"]
     .update(pattern="record-*"), check_merge_job),
    ("report reads elsewhere",
     lambda wf: _step(_rjob(wf), lambda s: uses(s).startswith("actions/download-artifact@"))["with"]
     .update(path="artifacts"), check_merge_job),
    ("no step summary", lambda wf: _report_run(wf).update(run=_report_run(wf)["run"].replace(
        "GITHUB_STEP_SUMMARY", "HOME")), check_merge_job),
    ("reports not uploaded", lambda wf: _rjob(wf).update(steps=[s for s in _rjob(wf)["steps"]
                                                               if not uses(s).startswith("actions/upload")]),
     check_merge_job),
] + [("no --format %s" % f, _drop_format(f), check_merge_job) for f in FORMATS]


@pytest.mark.parametrize("what, mutate, check", BROKEN, ids=[b[0] for b in BROKEN])
def test_check_catches_a_broken_workflow(workflow, what, mutate, check):
    check(copy.deepcopy(workflow))          # holds on the real file...
    broken = copy.deepcopy(workflow)
    mutate(broken)
    with pytest.raises(AssertionError):     # ...and fails on the broken copy
        check(broken)


def test_every_check_is_shown_to_fail():
    assert {b[2] for b in BROKEN} == set(CHECKS)
