"""The GitLab pipeline (.gitlab-ci.yml): the same nightly matrix as the GitHub
workflow, checked the same way.

Each property is a check_* function over the parsed file; a test runs it on
the real file, and test_check_catches_a_broken_pipeline runs it on copies
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
PIPELINE = os.path.join(ROOT, ".gitlab-ci.yml")
WORKFLOW = os.path.join(ROOT, ".github", "workflows", "nightly.yml")
FORMATS = ["md", "html", "junit", "kcidb"]
# keys of the file that are not jobs
GLOBAL = {"stages", "variables", "workflow", "default", "include", "image", "services", "cache",
          "before_script", "after_script", "spec"}


# --- reading the pipeline ----------------------------------------------------

def load():
    with open(PIPELINE) as f:
        text = f.read()
    ci = yaml.safe_load(text)
    ci["__text__"] = text           # the comments, for what YAML cannot say
    return ci


def github_kernels():
    with open(WORKFLOW) as f:
        wf = yaml.safe_load(f)
    return next(j["strategy"]["matrix"]["kernel"] for j in wf["jobs"].values()
                if "kernel" in ((j.get("strategy") or {}).get("matrix") or {}))


def merge(base, over):
    """GitLab's `extends`: hashes merged key by key, anything else replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def resolved(ci, name, depth=0):
    job = ci[name]
    assert isinstance(job, dict), "%s is not a job" % name
    ext = job.get("extends", [])
    out = {}
    for parent in [ext] if isinstance(ext, str) else ext:
        assert parent in ci and depth < 10, "%s extends %r, which is not in the file" % (name, parent)
        out = merge(out, resolved(ci, parent, depth + 1))
    return merge(out, {k: v for k, v in job.items() if k != "extends"})


def jobs(ci):
    names = [n for n in ci if isinstance(n, str) and n not in GLOBAL and not n.startswith((".", "__"))]
    assert names, "no jobs"
    return {n: resolved(ci, n) for n in names}


def script(job):
    s = job.get("script")
    s = [s] if isinstance(s, str) else s
    assert isinstance(s, list) and s, "a job without a script"
    return [str(x) for x in s]


def kernel_job(ci):
    """(name, job) of the one job run once per kernel (parallel:matrix)."""
    found = [(n, j) for n, j in jobs(ci).items()
             if isinstance(j.get("parallel"), dict) and j["parallel"].get("matrix")]
    assert len(found) == 1, "want one job with parallel:matrix, got %s" % [n for n, _ in found]
    return found[0]


def report_job(ci):
    """(name, job) of the one job that runs `netrepro report`."""
    found = [(n, j) for n, j in jobs(ci).items()
             if any(re.search(r"netrepro report\b", s) for s in j.get("script") or [])]
    assert len(found) == 1, "want one job that runs netrepro report, got %s" % [n for n, _ in found]
    return found[0]


def matrix_var(job):
    """(variable, values) of the kernel job's one matrix entry."""
    m = job["parallel"]["matrix"]
    assert isinstance(m, list) and len(m) == 1 and isinstance(m[0], dict) and len(m[0]) == 1, \
        "want one matrix entry with one variable (the kernel): %r" % (m,)
    (var, values), = m[0].items()
    return var, values if isinstance(values, list) else [values]


def uses_var(text, var):
    return re.search(r"\$(%s\b|\{%s\})" % (var, var), text) is not None


def line_index(lines, pattern, what):
    for i, l in enumerate(lines):
        if re.search(pattern, l, re.M):
            return i
    raise AssertionError("no script line " + what)


def matrix_line(var):
    return r"(?m)^\s*make matrix KERNEL=\"?\$(\{%s\}|%s)\"?(\s|$)" % (var, var)


def project_relative(path):
    """$CI_PROJECT_DIR/a/b -> a/b; None for a path outside the project folder."""
    m = re.match(r"^\$(\{CI_PROJECT_DIR\}|CI_PROJECT_DIR)(/|$)(.*)$", str(path))
    return m.group(3).rstrip("/") if m else None


# --- the checks ----------------------------------------------------------------

def check_nightly(ci):
    """Run by a schedule (set in GitLab) or by hand, not on every push."""
    rules = (ci.get("workflow") or {}).get("rules")
    assert isinstance(rules, list) and rules, "no workflow:rules: every push would run the whole matrix"
    ifs = [str(r.get("if", "")) for r in rules if isinstance(r, dict)]
    assert all(r.get("when") != "always" or r.get("if") for r in rules), "a rule runs every pipeline"
    assert any('"schedule"' in i and "CI_PIPELINE_SOURCE" in i for i in ifs), "no rule for scheduled pipelines"
    sources = set(re.findall(r'CI_PIPELINE_SOURCE\s*==\s*"(\w+)"', " ".join(ifs)))
    assert sources <= {"schedule", "web", "api", "trigger"}, "the pipeline runs on %s" % sorted(sources)
    assert "17 2 * * *" in ci["__text__"] or "Pipeline schedules" in ci["__text__"], \
        "the file does not say how the nightly schedule is set"


def check_kernels(ci):
    _, job = kernel_job(ci)
    var, kernels = matrix_var(job)
    assert len(kernels) == len(set(kernels)), "a kernel twice: %r" % kernels
    assert sorted(kernels) == sorted(github_kernels()), \
        "kernels %r, the GitHub workflow's %r" % (kernels, github_kernels())


def check_privileged(ci):
    text = ci["__text__"]
    assert re.search(r"(?m)^#.*privileged = true", text), \
        "no comment says the runner is a docker executor with privileged = true"
    assert re.search(r"(?mi)^#.*docker executor", text), "no comment names the docker executor"
    for name, job in (kernel_job(ci), report_job(ci)):
        assert job.get("image") == "debian:12", "%s: image %r, want debian:12" % (name, job.get("image"))
    tags = kernel_job(ci)[1].get("tags") or []
    assert "privileged" in tags, "the kernel job can land on a runner that is not privileged (tags %r)" % tags


def check_kernel_steps(ci):
    name, job = kernel_job(ci)
    var, _ = matrix_var(job)
    lines = script(job)
    deps = line_index(lines, r"^\s*make\s+deps", "runs `make deps-...`")
    build = line_index(lines, r"^\s*make\s*$", "runs `make`")
    mx = line_index(lines, matrix_line(var), "runs `make matrix KERNEL=$%s`" % var)
    assert deps < build < mx, "order: make deps %d, make %d, make matrix %d" % (deps, build, mx)
    # its exit status is the job's: nothing after it hides a failure
    assert not re.search(r"\|\||;\s*true|set \+e", lines[mx]), "make matrix's exit status is lost: %r" % lines[mx]
    assert job.get("allow_failure") is not True, "a failed kernel would not show"


def check_deps_groups(ci):
    """Each job installs the package groups of what it runs, and no more."""
    for role, (name, job) in (("kernel", kernel_job(ci)), ("report", report_job(ci))):
        ci_deps.check_job(name, script(job), ci_deps.WANTED[role])


def check_kernel_cache(ci):
    name, job = kernel_job(ci)
    var, _ = matrix_var(job)
    xdg = (job.get("variables") or {}).get("XDG_CACHE_HOME") or (ci.get("variables") or {}).get("XDG_CACHE_HOME")
    assert xdg, "XDG_CACHE_HOME is not set: the kernels go to ~/.cache, outside the project folder"
    rel = project_relative(xdg)
    assert rel is not None, "XDG_CACHE_HOME %r is not under $CI_PROJECT_DIR (GitLab caches only there)" % xdg
    want = (rel + "/" if rel else "") + "netrepro/kernels"
    cache = job.get("cache")
    assert isinstance(cache, dict), "the kernel job has no cache"
    paths = [str(p).rstrip("/") for p in cache.get("paths") or []]
    assert want in paths, "cache paths %r miss netrepro's kernels, %r" % (paths, want)
    key = cache.get("key")
    assert uses_var(str(key), var), "cache key %r is not per kernel ($%s)" % (key, var)
    assert cache.get("when") == "always", "a kernel fetched by a job whose case failed is not kept (cache:when)"


def check_kernel_artifacts(ci):
    name, job = kernel_job(ci)
    var, kernels = matrix_var(job)
    a = job.get("artifacts")
    assert isinstance(a, dict), "the kernel job keeps no artifacts"
    assert a.get("when") == "always", "the records are lost when a case failed (artifacts:when: always)"
    paths = [str(p) for p in a.get("paths") or []]
    for k in kernels:
        assert any(fnmatch.fnmatch("build/matrix/%s.json" % k, p) or p.rstrip("/") == "build/matrix"
                   for p in paths), "artifacts %r hold no build/matrix/%s.json" % (paths, k)


def check_report_job(ci):
    kname, kjob = kernel_job(ci)
    name, job = report_job(ci)
    stages = ci.get("stages") or []
    assert kjob.get("stage") in stages and job.get("stage") in stages, "stages %r, jobs in %r and %r" % (
        stages, kjob.get("stage"), job.get("stage"))
    assert stages.index(kjob.get("stage")) < stages.index(job.get("stage")), "the report runs before the kernels"
    needs = [n if isinstance(n, str) else n.get("job") for n in job.get("needs", [kname])]
    assert kname in needs, "%s does not need %s" % (name, kname)
    for n in job.get("needs") or []:
        assert isinstance(n, str) or n.get("artifacts", True) is not False, "%s does not get the records" % name
    assert job.get("when") == "always", "%s does not run when a kernel's job failed (when: always)" % name
    text = "\n".join(script(job))
    build = line_index(script(job), r"^\s*make\s*$", "builds netrepro (`make`)")
    rep = line_index(script(job), r"netrepro report\b", "runs netrepro report")
    assert build < rep, "netrepro report runs before the build"
    for fmt in FORMATS:
        assert re.search(r"netrepro report\b[^\n]*--format[ =]%s\b" % fmt, text), "no netrepro report --format " + fmt
    # the records are read where the kernel jobs' artifacts land
    assert "build/matrix/*.json" in text, "netrepro report does not read build/matrix/*.json"
    m = re.search(r"--format[ =]junit\s+-o\s+(\S+)", text)
    a = job.get("artifacts") or {}
    assert a.get("when") == "always", "the reports are lost when a step failed (artifacts:when: always)"
    junit = (a.get("reports") or {}).get("junit")
    assert m and junit == m.group(1), "reports:junit %r is not the merged JUnit %r" % (junit, m and m.group(1))
    paths = [str(p).rstrip("/") for p in a.get("paths") or []]
    assert any(fnmatch.fnmatch(m.group(1), p) or m.group(1).startswith(p + "/") for p in paths), \
        "the reports (%s) are not kept: artifacts %r" % (m.group(1), paths)


CHECKS = [check_nightly, check_kernels, check_privileged, check_kernel_steps, check_deps_groups,
          check_kernel_cache, check_kernel_artifacts, check_report_job]


@pytest.fixture(scope="module")
def pipeline():
    assert os.path.exists(PIPELINE), PIPELINE + " is missing"
    return load()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__[6:] for c in CHECKS])
def test_pipeline(pipeline, check):
    check(pipeline)


# --- every check can fail: the same checks on broken copies -------------------

def _kname(ci):
    return kernel_job(ci)[0]


def _rname(ci):
    return report_job(ci)[0]


def _matrix(ci):
    """The kernel job's own parallel:matrix list of kernels."""
    var, _ = matrix_var(kernel_job(ci)[1])
    return ci[_kname(ci)]["parallel"]["matrix"][0][var]


def _own(ci, name, key):
    """job[key] in the job itself (copied from what it extends if needed)."""
    if key not in ci[name]:
        ci[name][key] = copy.deepcopy(resolved(ci, name)[key])
    return ci[name][key]


def _sub_script(ci, name, old, new):
    s = _own(ci, name, "script")
    assert any(old in l for l in s), (old, s)
    ci[name]["script"] = [l.replace(old, new) for l in s]


def _set_deps(ci, name, goals):
    s = _own(ci, name, "script")
    ci[name]["script"] = [("make " + goals if ci_deps.DEPS_LINE.match(l) else l) for l in s]


def _text(ci, old, new):
    assert old in ci["__text__"], old
    ci["__text__"] = ci["__text__"].replace(old, new)


def _del(d, key):
    d.pop(key, None)


def _move_line(ci, name, pattern, to):
    s = _own(ci, name, "script")
    line = next(l for l in s if re.search(pattern, l, re.M))
    s.remove(line)
    s.insert(to if to >= 0 else len(s) + 1 + to, line)


BROKEN = [
    ("no workflow rules", lambda ci: _del(ci, "workflow"), check_nightly),
    ("runs on every push", lambda ci: ci["workflow"]["rules"].append({"if": '$CI_PIPELINE_SOURCE == "push"'}),
     check_nightly),
    ("no schedule rule", lambda ci: ci["workflow"].update(rules=[{"if": '$CI_PIPELINE_SOURCE == "web"'}]),
     check_nightly),
    ("schedule not explained", lambda ci: (_text(ci, "17 2 * * *", "nightly"),
                                           _text(ci, "Pipeline schedules", "schedules")), check_nightly),
    ("a kernel missing", lambda ci: _matrix(ci).pop(), check_kernels),
    ("an extra kernel", lambda ci: _matrix(ci).append("6.1.0-9-amd64"), check_kernels),
    ("a kernel twice", lambda ci: _matrix(ci).__setitem__(0, "host"), check_kernels),
    ("a second matrix variable", lambda ci: ci[_kname(ci)]["parallel"]["matrix"][0].update(ACCEL=["kvm"]),
     check_kernels),
    ("no comment on privileged", lambda ci: _text(ci, "privileged = true", "privileges"), check_privileged),
    ("no docker executor named", lambda ci: _text(ci, "docker executor", "executor"), check_privileged),
    ("ubuntu image", lambda ci: ci[_kname(ci)].update(image="ubuntu:24.04"), check_privileged),
    ("any runner", lambda ci: ci[_kname(ci)].update(tags=[]), check_privileged),
    ("no make deps", lambda ci: _set_deps(ci, _kname(ci), "--version"), check_kernel_steps),
    ("no make", lambda ci: ci[_kname(ci)].update(script=["true" if l == "make" else l for l in script(ci[_kname(ci)])]),
     check_kernel_steps),
    ("make matrix of every kernel", lambda ci: _sub_script(ci, _kname(ci), 'make matrix KERNEL="$KERNEL"',
                                                           "make matrix"), check_kernel_steps),
    ("make matrix before make", lambda ci: _move_line(ci, _kname(ci), r"^make matrix", 0), check_kernel_steps),
    ("exit status lost", lambda ci: _sub_script(ci, _kname(ci), 'KERNEL="$KERNEL"', 'KERNEL="$KERNEL" || true'),
     check_kernel_steps),
    ("failure allowed", lambda ci: ci[_kname(ci)].update(allow_failure=True), check_kernel_steps),
    ("kernel job installs everything", lambda ci: _set_deps(ci, _kname(ci), "deps"), check_deps_groups),
    ("kernel job without QEMU", lambda ci: _set_deps(ci, _kname(ci), "deps-build"), check_deps_groups),
    ("report job installs the browser", lambda ci: _set_deps(ci, _rname(ci), "deps-build deps-browser"),
     check_deps_groups),
    ("a group the Makefile lacks", lambda ci: _set_deps(ci, _rname(ci), "deps-build deps-report"),
     check_deps_groups),
    ("report job builds first", lambda ci: _move_line(ci, _rname(ci), r"^make deps", -1), check_deps_groups),
    ("kernels cached in ~/.cache", lambda ci: _del(ci[_kname(ci)]["variables"], "XDG_CACHE_HOME"),
     check_kernel_cache),
    ("kernels cached outside the project", lambda ci: ci[_kname(ci)]["variables"].update(
        XDG_CACHE_HOME="/cache"), check_kernel_cache),
    ("cache of another folder", lambda ci: ci[_kname(ci)]["cache"].update(paths=[".cache/apt"]),
     check_kernel_cache),
    ("cache key not per kernel", lambda ci: ci[_kname(ci)]["cache"].update(key="netrepro-kernels"),
     check_kernel_cache),
    ("cache kept on success only", lambda ci: _del(ci[_kname(ci)]["cache"], "when"), check_kernel_cache),
    ("records kept on success only", lambda ci: ci[_kname(ci)]["artifacts"].update(when="on_success"),
     check_kernel_artifacts),
    ("records not kept", lambda ci: ci[_kname(ci)]["artifacts"].update(paths=["build/matrix/matrix.md"]),
     check_kernel_artifacts),
    ("report in the same stage", lambda ci: ci[_rname(ci)].update(stage=ci[_kname(ci)]["stage"]),
     check_report_job),
    ("report needs nothing", lambda ci: ci[_rname(ci)].update(needs=[]), check_report_job),
    ("report without the records", lambda ci: ci[_rname(ci)].update(
        needs=[{"job": _kname(ci), "artifacts": False}]), check_report_job),
    ("report only on success", lambda ci: _del(ci[_rname(ci)], "when"), check_report_job),
    ("report reads elsewhere", lambda ci: _sub_script(ci, _rname(ci), "build/matrix/*.json", "records/*.json"),
     check_report_job),
    ("no junit report", lambda ci: _del(ci[_rname(ci)]["artifacts"], "reports"), check_report_job),
    ("junit report of another file", lambda ci: ci[_rname(ci)]["artifacts"]["reports"].update(junit="junit.xml"),
     check_report_job),
    ("reports kept on success only", lambda ci: _del(ci[_rname(ci)]["artifacts"], "when"), check_report_job),
    ("reports not kept", lambda ci: ci[_rname(ci)]["artifacts"].update(paths=["build/"]), check_report_job),
] + [("no --format %s" % f, lambda ci, f=f: _sub_script(ci, _rname(ci), "--format %s " % f, "--help "),
      check_report_job) for f in FORMATS]


@pytest.mark.parametrize("what, mutate, check", BROKEN, ids=[b[0] for b in BROKEN])
def test_check_catches_a_broken_pipeline(pipeline, what, mutate, check):
    check(copy.deepcopy(pipeline))          # holds on the real file...
    broken = copy.deepcopy(pipeline)
    mutate(broken)
    with pytest.raises(AssertionError):     # ...and fails on the broken copy
        check(broken)


def test_every_check_is_shown_to_fail():
    assert {b[2] for b in BROKEN} == set(CHECKS)
