"""`make deps` and its groups (deps-build, deps-test, deps-matrix,
deps-browser): one apt-get run for the goals given, and the README's table
says what the Makefile installs."""
import os
import re
import subprocess

import ci_deps

ROOT = ci_deps.ROOT


def make_vars(*names):
    """The Makefile's own values of names (make --eval prints them)."""
    rule = "print-vars: ; @" + " && ".join("echo '%s=$(%s)'" % (n, n) for n in names)
    r = subprocess.run(["make", "-s", "--no-print-directory", "--eval", rule, "print-vars"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return {k: v.split() for k, v in (l.split("=", 1) for l in r.stdout.splitlines())}


def groups():
    return sorted(ci_deps.makefile_groups())


def dry_run(*goals):
    """The command lines `make -n GOALS` would run."""
    r = subprocess.run(["make", "-n", "--no-print-directory", *goals], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def installed_by(goals):
    """The packages of the apt-get install line(s) of make -n GOALS."""
    out = dry_run(*goals)
    runs = re.findall(r"apt-get install -y -qq ([^;]+);", out)
    assert len(runs) == 1, "want one apt-get install for %s, got %d:\n%s" % (goals, len(runs), out)
    assert out.count("apt-get update") == 1, out
    return runs[0].split()


def test_groups():
    assert groups() == ["browser", "build", "matrix", "test"]


def test_each_group_installs_its_packages():
    v = make_vars(*["DEBS_" + g for g in groups()])
    for g in groups():
        assert sorted(installed_by(["deps-" + g])) == sorted(set(v["DEBS_" + g])), g


def test_goals_together_are_one_apt_get_run():
    v = make_vars("DEBS_build", "DEBS_matrix", "DEBS_test")
    assert sorted(installed_by(["deps-build", "deps-matrix"])) == sorted(set(v["DEBS_build"] + v["DEBS_matrix"]))
    assert sorted(installed_by(["deps-build", "deps-test"])) == sorted(set(v["DEBS_build"] + v["DEBS_test"]))


def test_deps_is_everything():
    v = make_vars("DEBS", *["DEBS_" + g for g in groups()])
    every = set(p for g in groups() for p in v["DEBS_" + g])
    assert set(v["DEBS"]) == every
    assert sorted(installed_by(["deps"])) == sorted(every)
    # what the test suite and the nightly jobs call
    for pkg in ("pkg-config", "kmod", "python3-pytest-xdist", "procps", "iproute2", "qemu-system-x86",
                "busybox-static", "xz-utils", "ca-certificates", "chromium"):
        assert pkg in every, pkg


def test_build_group_is_what_check_deps_names():
    v = make_vars("DEBS_build")
    out = dry_run("check-deps")
    assert "apt-get install -y " + " ".join(v["DEBS_build"]) in out, out


def test_readme_table_is_the_makefile():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    v = make_vars(*["DEBS_" + g for g in groups()])
    rows = dict(re.findall(r"(?m)^\| `deps-(\w+)` \|[^|]*\| ([^|]+) \|$", readme))
    assert sorted(rows) == groups(), "README's deps table has rows %s" % sorted(rows)
    for g in groups():
        assert rows[g].split() == v["DEBS_" + g], "README's deps-%s row: %r, Makefile: %r" % (
            g, rows[g], " ".join(v["DEBS_" + g]))
