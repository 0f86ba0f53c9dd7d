"""`netrepro matrix`: the seed cases on several kernels.

- a kernel that cannot boot gives, fast, a record of ERRORs that says why;
- `--kernel host` runs on this kernel;
- a real Debian kernel in a QEMU guest passes the seed cases (needs
  qemu-system-x86_64, busybox-static, and Debian's archive or a warm cache:
  the kernel is fetched once into the default cache and reused);
- usage and parse errors exit 2 before any guest starts.

Run with /usr/bin/python3 -m pytest tests/matrix.
"""
import json
import os
import re
import shutil
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLAVOUR = "6.1.0-50-cloud-amd64"


def load(path):
    with open(str(path)) as f:
        return json.load(f)


def plain(markdown):
    """Markdown without its backslash escapes (x86\\_64 -> x86_64)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def exit_status_of(record):
    """What `run` exits with for this record: 1 if a case failed, errored or
    timed out, else 0."""
    return int(any(c["status"] in ("FAIL", "ERROR", "TIMEOUT") for c in record["cases"]))


def table_row(stdout, case_id):
    """The case x kernel table's row of case_id, as its words."""
    for line in stdout.splitlines():
        words = line.lstrip("* ").split()
        if words and words[0] == case_id:
            return words
    raise AssertionError("no row for %s in:\n%s" % (case_id, stdout))


# --- (a) a kernel that cannot boot ---------------------------------------------

@pytest.fixture
def corrupt_kernel(tmp_path):
    path = tmp_path / "images" / "bzImage-corrupt"
    path.parent.mkdir()
    path.write_bytes(os.urandom(256 * 1024))
    return path


def check_failed_kernel(rec, name, seed_ids, validate):
    validate(rec)
    g = rec.get("guest")
    assert isinstance(g, dict), "no guest object in the record of a kernel that gave nothing"
    assert g["kernel"] == name
    assert g["accel"] in ("kvm", "tcg")
    error = g.get("error", "")
    assert "did not boot" in error and "qemu" in error, "guest.error does not name the failure: %r" % error
    assert isinstance(g.get("console"), str)
    assert rec["environment"]["kernel"]["release"] == name
    assert [c["id"] for c in rec["cases"]] == seed_ids
    for c in rec["cases"]:
        assert c["status"] == "ERROR", (c["id"], c["status"])
        assert c["reason"] == error, (c["id"], c["reason"])
    assert rec["summary"]["ERROR"] == len(seed_ids)
    assert sum(rec["summary"].values()) == len(seed_ids)
    return error


def test_corrupt_kernel_is_an_error_fast(nr, tmp_path, corrupt_kernel, seed_ids, validate):
    out, cache = tmp_path / "out", tmp_path / "cache"
    # a cache of its own: with --accel auto the KVM probe boots the first
    # guest kernel, and the answer (here "KVM does not boot") is kept in the
    # cache until the next reboot; the default cache must not learn it
    cache.mkdir()
    t0 = time.monotonic()
    r = nr("matrix", "--kernel", corrupt_kernel, "--cache", cache, "--out", out, "cases/seed", timeout=60)
    took = time.monotonic() - t0
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert took < 10, "a kernel that cannot boot took %.1f s to report" % took

    rec = load(out / "bzImage-corrupt.json")
    error = check_failed_kernel(rec, "bzImage-corrupt", seed_ids, validate)

    # the report and the terminal table say so
    md = plain((out / "matrix.md").read_text())
    assert "bzImage-corrupt" in md
    assert error in md, "matrix.md does not give the reason %r" % error
    assert re.search(r"bzImage-corrupt\W+gave no results", md), md[:2000]
    html = (out / "matrix.html").read_text()
    assert "bzImage-corrupt" in html and "did not boot" in html
    for cid in seed_ids:
        assert table_row(r.stdout, cid)[1:] == ["ERROR"], table_row(r.stdout, cid)
    assert "! bzImage-corrupt: " + error in r.stdout, r.stdout


def test_corrupt_kernel_next_to_host(nr, tmp_path, corrupt_kernel, seed_ids, validate):
    """One kernel that gave nothing does not hide the others' results."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache.mkdir()
    r = nr("matrix", "-j", "2", "--kernel", corrupt_kernel, "--kernel", "host", "--cache", cache,
           "--out", out, "cases/seed", timeout=300)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    check_failed_kernel(load(out / "bzImage-corrupt.json"), "bzImage-corrupt", seed_ids, validate)
    host = load(out / "host.json")
    validate(host)
    assert "guest" not in host
    assert [c["id"] for c in host["cases"]] == seed_ids
    header = next(l for l in r.stdout.splitlines() if l.split()[:1] == ["case"])
    assert header.split()[1:] == ["bzImage-corrupt", "host"], header
    for c in host["cases"]:
        assert table_row(r.stdout, c["id"])[1:] == ["ERROR", c["status"]]
    md = plain((out / "matrix.md").read_text())
    assert "bzImage-corrupt" in md and os.uname().release in md


def test_terminal_output_escapes_what_it_shows(nr, tmp_path):
    """A kernel image named with an escape sequence, failing to boot: its
    name and its error reach the table, the summary and the messages
    escaped, never as raw control characters."""
    image = tmp_path / "images" / "bzImage-\x1b[31mred"
    image.parent.mkdir()
    image.write_bytes(os.urandom(64 * 1024))
    cache = tmp_path / "cache"
    cache.mkdir()
    r = nr("matrix", "--kernel", image, "--kernel", "host", "--cache", cache,
           "--out", tmp_path / "out", "cases/seed", timeout=300)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    for stream in (r.stdout, r.stderr):
        assert "\x1b" not in stream, stream
    header = next(l for l in r.stdout.splitlines() if l.split()[:1] == ["case"])
    assert "bzImage-\\x1b[31mred" in header, header
    assert "! bzImage-\\x1b[31mred: " in r.stdout, r.stdout


# --- (b) the running kernel ----------------------------------------------------

@pytest.fixture(scope="module")
def host_matrix(nr, tmp_path_factory):
    out = tmp_path_factory.mktemp("host-matrix")
    r = nr("matrix", "--kernel", "host", "--out", out, "cases/seed", timeout=600)
    return r, out


def test_host(host_matrix, seed_ids, validate):
    r, out = host_matrix
    assert r.returncode in (0, 1), (r.returncode, r.stderr)
    rec = load(out / "host.json")
    validate(rec)
    assert rec["environment"]["kernel"]["release"] == os.uname().release
    assert "guest" not in rec, "a host run is no guest"
    assert [c["id"] for c in rec["cases"]] == seed_ids
    assert r.returncode == exit_status_of(rec), "exit status %d for %s" % (r.returncode, rec["summary"])
    for name in ("matrix.md", "matrix.html"):
        assert (out / name).stat().st_size > 0, name
    assert os.uname().release in (out / "matrix.md").read_text().replace("\\", "")
    assert "records: %s/<kernel>.json" % out in r.stdout
    for c in rec["cases"]:
        assert table_row(r.stdout, c["id"])[1:] == [c["status"]]


# --- (c) a real Debian kernel in a QEMU guest ------------------------------------

def need_guest():
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 is missing (apt-get install qemu-system-x86)")
    if not os.access("/bin/busybox", os.X_OK):
        pytest.skip("/bin/busybox is missing (apt-get install busybox-static)")


def test_debian_kernel_in_a_guest(nr, tmp_path, host_matrix, seed_ids, validate):
    need_guest()
    out = tmp_path / "out"
    # the default cache: a kernel fetched before is reused; a cold one is
    # fetched with apt-get download (about 60 MB), then booted with TCG or KVM
    r = nr("matrix", "--kernel", FLAVOUR, "--out", out, "cases/seed", timeout=1800)
    assert r.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr)
    path = out / (FLAVOUR + ".json")
    rec = load(path)
    validate(rec)
    env = rec["environment"]
    assert env["kernel"]["release"] == FLAVOUR
    assert env["platform"]["virt"].startswith("qemu-"), env["platform"]["virt"]
    g = rec["guest"]
    assert g["accel"] in ("kvm", "tcg"), g
    assert env["platform"]["virt"] == "qemu-" + g["accel"]
    assert g["kernel"] == FLAVOUR
    assert not g.get("error"), g.get("error")
    # the only guest: every CPU of this machine, and `run -j` to match
    assert g["cpus"] == os.cpu_count(), g
    status = {c["id"]: c["status"] for c in rec["cases"]}
    assert sorted(status) == sorted(seed_ids)
    assert {cid: s for cid, s in status.items() if s != "PASS"} == {}, "not every seed case passed"

    # against this kernel's record: two kernels, named by the diff
    host_json = host_matrix[1] / "host.json"
    d = nr("diff", path, host_json)
    assert d.returncode in (0, 1), (d.returncode, d.stderr)
    assert FLAVOUR in d.stdout and os.uname().release in d.stdout, d.stdout
    lines = d.stdout.splitlines()
    assert lines[0].startswith("--- ") and FLAVOUR in lines[0], lines[:2]
    assert lines[1].startswith("+++ ") and os.uname().release in lines[1], lines[:2]


# --- a kernel that boots but cannot load a module it needs ---------------------

def cached_flavour_image():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    image = os.path.join(cache, "netrepro", "kernels", FLAVOUR, "boot", "vmlinuz-" + FLAVOUR)
    if not os.path.exists(image):
        pytest.skip("%s is not in the default kernel cache (test_debian_kernel_in_a_guest fetches it)" % FLAVOUR)
    return image


@pytest.fixture(scope="module")
def broken_module_run(nr, tmp_path_factory):
    """FLAVOUR's image with a modules folder (PATH:MODULES) whose veth.ko is
    garbage: the guest boots, and its init stops at insmod."""
    need_guest()
    image = cached_flavour_image()
    tmp = tmp_path_factory.mktemp("broken-module")
    mods = tmp / "6.1.0-badmods"
    (mods / "kernel" / "drivers" / "net").mkdir(parents=True)
    (mods / "kernel" / "drivers" / "net" / "veth.ko").write_bytes(os.urandom(4096))
    (mods / "modules.dep").write_text("kernel/drivers/net/veth.ko:\n")
    (mods / "modules.builtin").write_text("kernel/net/ipv4/inet_diag.ko\nkernel/net/ipv4/tcp_diag.ko\n")
    out = tmp / "out"
    r = nr("matrix", "--kernel", "%s:%s" % (image, mods), "--out", out, "cases/seed", timeout=900)
    return r, out


def test_module_that_fails_to_load(broken_module_run, seed_ids, validate):
    r, out = broken_module_run
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    rec = load(out / "6.1.0-badmods.json")      # named after the modules folder
    validate(rec)
    g = rec["guest"]
    assert g["error"].startswith("MODULE-FAILED veth.ko"), g["error"]
    assert "insmod" in g["console"], g["console"]
    assert [c["id"] for c in rec["cases"]] == seed_ids
    assert {c["status"] for c in rec["cases"]} == {"ERROR"}
    assert "MODULE-FAILED veth.ko" in plain((out / "matrix.md").read_text())


# --- (d) usage and parse errors ------------------------------------------------

def test_no_path(nr, tmp_path):
    for args in ([], ["--kernel", "host"], ["--kernel", "host", "--out", str(tmp_path / "out")]):
        r = nr("matrix", *args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert "usage: netrepro matrix" in r.stderr, r.stderr
        assert r.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, words", [
    (["--accel", "foo"], ["--accel"]),
    (["-j", "0"], ["'0'"]),
    (["--timeout", "x"], ["'x'"]),
    (["--kernel", "no/such/bzImage"], ["no/such/bzImage", "not found"]),
    (["--kernel", "Not A Flavour"], ["Not A Flavour"]),
], ids=["accel", "jobs", "timeout", "missing-image", "bad-flavour"])
def test_usage_error(nr, tmp_path, tripwires, args, words):
    env, marks = tripwires
    cache = tmp_path / "cache"
    cache.mkdir()
    t0 = time.monotonic()
    r = nr("matrix", *args, "--cache", cache, "--out", tmp_path / "out", "cases/seed", env=env, timeout=60)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert time.monotonic() - t0 < 10
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert r.stdout == ""
    assert sorted(os.listdir(marks)) == [], "a usage error started %s" % os.listdir(marks)
    out = tmp_path / "out"
    assert not out.exists() or not any(out.rglob("*.json")), "records were written"


MALFORMED = '''title "a malformed case"
host a
on a
  s = socket(INET, STREAM)
  bind(s, 127.0.0.1:80) = EFROBNICATE
'''


def test_malformed_case(nr, tmp_path, tripwires):
    """A parse error: FILE:LINE:COL, exit 2, no kernel fetched, no guest."""
    env, marks = tripwires
    project, cache, out = tmp_path / "project", tmp_path / "cache", tmp_path / "out"
    (project / "cases" / "mx").mkdir(parents=True)
    (project / "cases" / "mx" / "malformed.case").write_text(MALFORMED)
    shutil.copytree(os.path.join(ROOT, "cases", "seed"), str(project / "cases" / "seed"))
    shutil.copytree(os.path.join(ROOT, "fixtures"), str(project / "fixtures"))
    cache.mkdir()
    t0 = time.monotonic()
    r = nr("matrix", "--kernel", FLAVOUR, "--kernel", "host", "--cache", cache, "--out", out,
           "cases/seed", "cases/mx/malformed.case", cwd=project, env=env, timeout=60)
    took = time.monotonic() - t0
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert took < 10, "a parse error took %.1f s" % took
    assert re.search(r"^cases/mx/malformed\.case:5:27: .*EFROBNICATE", r.stderr, re.M), r.stderr
    assert r.stdout == ""
    assert sorted(os.listdir(marks)) == [], "started %s" % os.listdir(marks)   # no apt-get, no qemu
    assert os.listdir(cache) == [], "the cache was written: %s" % os.listdir(cache)
    assert not out.exists() or not any(out.rglob("*.json")), "records were written"


# --- bugs found once, kept as tests

def test_two_images_with_one_name(nr, tmp_path):
    """Two builds' arch/x86/boot/bzImage: either two records, or a usage error
    that names the clash; never one record standing for both."""
    images = []
    for tree in ("tree-a", "tree-b"):
        p = tmp_path / tree / "bzImage"
        p.parent.mkdir()
        p.write_bytes(os.urandom(64 * 1024))
        images.append(p)
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache.mkdir()
    r = nr("matrix", "-j", "2", "--kernel", images[0], "--kernel", images[1], "--cache", cache,
           "--out", out, "cases/seed", timeout=60)
    if r.returncode == 2:
        assert "bzImage" in r.stderr, r.stderr
    else:
        assert len(list(out.glob("*.json"))) == 2, sorted(os.listdir(out))


def test_run_from_another_folder(nr, tmp_path):
    """From tests/ with ../cases/...: the guest answers as from the top."""
    need_guest()
    out = tmp_path / "out"
    r = nr("matrix", "--kernel", FLAVOUR, "--out", out, "../cases/seed/realm-dualstack.case",
           cwd=os.path.join(ROOT, "tests"), timeout=1800)
    rec = load(out / (FLAVOUR + ".json"))
    assert not rec.get("guest", {}).get("error"), rec["guest"]["error"]
    assert r.returncode == 0, r.stdout + r.stderr


def test_guest_error_is_one_clean_line(broken_module_run):
    r, out = broken_module_run
    error = load(out / "6.1.0-badmods.json")["guest"]["error"]
    assert not re.search(r"[\x00-\x1f]", error), repr(error)
    assert "\r" not in r.stdout, "the terminal summary holds a carriage return"


def test_unfetchable_kernel_is_its_own_error(nr, tmp_path, seed_ids, validate):
    """A Debian flavour that cannot be fetched is that kernel's ERROR column,
    next to the others' results, not the end of the whole run."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache.mkdir()
    name = "0.0.0-99-nosuch-amd64"
    r = nr("matrix", "--kernel", name, "--kernel", "host", "--cache", cache, "--out", out,
           "cases/seed", timeout=300)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    rec = load(out / (name + ".json"))
    validate(rec)
    assert "linux-image-" + name in rec["guest"]["error"]
    assert {c["id"]: c["status"] for c in rec["cases"]} == {i: "ERROR" for i in seed_ids}
    host = load(out / "host.json")
    assert all(c["status"] == "PASS" for c in host["cases"])


def test_cases_under_tmp(nr, tmp_path):
    """The guest's own /tmp must not hide case files that live under /tmp
    on the host (init once mounted a tmpfs there: RUN-FAILED cd)."""
    need_guest()
    top = tmp_path / "proj"
    shutil.copytree(os.path.join(ROOT, "fixtures"), top / "fixtures")
    (top / "cases").mkdir()
    shutil.copy(os.path.join(ROOT, "cases", "seed", "realm-dualstack.case"), top / "cases")
    out = tmp_path / "out"
    r = nr("matrix", "--kernel", FLAVOUR, "--out", out, "cases", cwd=top, timeout=1800)
    rec = load(out / (FLAVOUR + ".json"))
    assert not rec.get("guest", {}).get("error"), rec["guest"]["error"]
    assert [c["status"] for c in rec["cases"]] == ["PASS", "PASS"], r.stdout


def test_bridge_in_a_guest(nr, tmp_path):
    """A LAN (bridge) case needs the bridge module, which the guest loads
    when the kernel has it (Debian builds it as a module)."""
    need_guest()
    out = tmp_path / "out"
    r = nr("matrix", "--kernel", FLAVOUR, "--out", out, "cases/multicast/lan-three-hosts.case", timeout=1800)
    rec = load(out / (FLAVOUR + ".json"))
    assert [c["status"] for c in rec["cases"]] == ["PASS"], (r.stdout, rec["cases"][0].get("reason"))
