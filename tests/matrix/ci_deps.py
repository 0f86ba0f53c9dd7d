"""What a CI job installs: its `make deps-GROUP...` lines, read against the
groups the Makefile defines (DEB_GROUPS, one DEBS_<group> list each).

Shared by test_workflow.py (GitHub) and test_gitlab.py (GitLab): each job
installs the groups of what it runs, and no more.
"""
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAKEFILE = os.path.join(ROOT, "Makefile")

# what each kind of nightly job runs, so what it installs: the kernel jobs
# build and boot guests, the report job builds and writes files (its HTML is
# not rendered in a browser), the WSL jobs build and run the cases
WANTED = {
    "kernel": {"build", "matrix"},
    "report": {"build"},
    "wsl": {"build", "test"},
}

# a command line that is only `make` and deps goals: make deps-build deps-matrix
DEPS_LINE = re.compile(r"^\s*make((?:\s+deps(?:-[a-z]+)?)+)\s*$")
MAKE_LINE = re.compile(r"^\s*make\s*$")


def makefile_groups():
    with open(MAKEFILE) as f:
        m = re.search(r"(?m)^DEB_GROUPS\s*:=\s*(.+)$", f.read())
    assert m, "the Makefile defines no DEB_GROUPS"
    return set(m.group(1).split())


def lines(text):
    return (text or "").splitlines()


def deps_goals(text):
    """Every deps goal of text's `make deps...` lines, in order."""
    return [g for l in lines(text) for m in [DEPS_LINE.match(l)] if m for g in m.group(1).split()]


def groups_of(goals):
    """The package groups goals install (`deps`: all of them)."""
    out = set()
    for g in goals:
        out |= makefile_groups() if g == "deps" else {g[len("deps-"):]}
    return out


def check_job(name, texts, want):
    """texts: the job's command lines, step by step, in order. The job
    installs exactly want, with goals the Makefile has, before it builds."""
    goals = [g for t in texts for g in deps_goals(t)]
    assert goals, "%s runs no `make deps-...`" % name
    unknown = [g for g in goals if g != "deps" and g[len("deps-"):] not in makefile_groups()]
    assert not unknown, "%s: the Makefile has no %s (groups: %s)" % (name, unknown, sorted(makefile_groups()))
    got = groups_of(goals)
    assert got == want, "%s installs %s, wants %s (what it runs)" % (name, sorted(got), sorted(want))
    flat = [l for t in texts for l in lines(t)]
    deps_at = next(i for i, l in enumerate(flat) if DEPS_LINE.match(l))
    make_at = [i for i, l in enumerate(flat) if MAKE_LINE.match(l)]
    assert make_at, "%s never builds (`make`)" % name
    assert deps_at < make_at[0], "%s builds before it installs its packages" % name
