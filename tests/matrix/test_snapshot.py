"""A Debian kernel that apt-get cannot download any more comes from the
snapshot archive (snapshot.debian.org), and a kernel that comes from nowhere
is an error that names it and every source tried.

No test here reaches the internet: NETREPRO_SNAPSHOT_URL points netrepro at
a server on 127.0.0.1 that answers the snapshot's paths (its JSON API and its
archive/<name>/<timestamp>/pool/... files) with a .deb built here, and
stand-ins for apt-get and apt-cache come first on PATH. The downloads go
through the real apt-helper, as they would from snapshot.debian.org.
"""
import hashlib
import http.server
import json
import os
import stat
import subprocess
import threading
import urllib.parse

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# a '+' and a '~', as Debian's names and versions have, to be quoted in URLs
FLAVOUR = "9.9.0-1+nrtest-amd64"
VERSION = "9.9.1-1~nr1"
PKG = "linux-image-" + FLAVOUR
STAMP = "20250102T030405Z"
POOL = "/pool/main/l/linux-signed-amd64"
DEB_NAME = "%s_%s_amd64.deb" % (PKG, VERSION)
DEB_URL_PATH = "/archive/debian/%s%s/%s" % (STAMP, POOL, DEB_NAME)
LISTING = "/mr/binary/%s/" % PKG
BINFILES = "/mr/binary/%s/%s/binfiles?fileinfo=1" % (PKG, VERSION)

pytestmark = pytest.mark.skipif(not os.access("/usr/lib/apt/apt-helper", os.X_OK),
                                reason="no /usr/lib/apt/apt-helper (Debian's apt)")


# --- a kernel package, a snapshot server, apt stand-ins ----------------------

@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """(bytes of a .deb holding boot/vmlinuz-FLAVOUR and an empty modules
    folder, the image's bytes)."""
    top = tmp_path_factory.mktemp("deb")
    tree = top / "tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        "Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: netrepro tests <nobody@localhost>\n"
        "Description: a kernel package for the snapshot fallback's tests\n" % (PKG, VERSION))
    (tree / "boot").mkdir()
    image = b"not a kernel: " + os.urandom(4096)
    (tree / "boot" / ("vmlinuz-" + FLAVOUR)).write_bytes(image)
    (tree / "lib" / "modules" / FLAVOUR).mkdir(parents=True)
    (tree / "lib" / "modules" / FLAVOUR / "modules.builtin").write_text("")
    out = top / DEB_NAME
    r = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", str(tree), str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out.read_bytes(), image


class Snapshot:
    """What the server answers (path with query -> bytes) and what it was asked."""

    def __init__(self):
        self.files, self.asked = {}, []

    def publish(self, deb_bytes, sha1=None, listed=True, binfiles=True):
        sha1 = sha1 or hashlib.sha1(deb_bytes).hexdigest()
        if listed:
            self.files[LISTING] = json.dumps({"_comment": "foo", "binary": PKG, "result": [
                {"binary_version": VERSION, "name": PKG, "source": "linux-signed-amd64", "version": "9.9.1+1"},
                {"binary_version": "9.9.0-1", "name": PKG, "source": "linux-signed-amd64", "version": "9.9.0+1"}]})
        if binfiles:
            self.files[BINFILES] = json.dumps({
                "_comment": "foo", "binary": PKG, "binary_version": VERSION,
                "result": [{"architecture": "arm64", "hash": "0" * 40}, {"architecture": "amd64", "hash": sha1}],
                "fileinfo": {sha1: [{"archive_name": "debian", "first_seen": STAMP, "name": DEB_NAME,
                                     "path": POOL, "size": len(deb_bytes)}],
                             "0" * 40: [{"archive_name": "debian", "first_seen": STAMP,
                                         "name": DEB_NAME.replace("amd64.deb", "arm64.deb"), "path": POOL,
                                         "size": 1}]}})
        self.files[DEB_URL_PATH] = deb_bytes


@pytest.fixture
def snapshot():
    """(Snapshot, its base URL): an HTTP server on 127.0.0.1 for this test."""
    snap = Snapshot()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            snap.asked.append(self.path)
            body = snap.files.get(urllib.parse.unquote(self.path))
            if body is None:
                self.send_error(404, "NOT FOUND")
                return
            body = body.encode() if isinstance(body, str) else body
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield snap, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


APT_GET = """#!/bin/sh
echo "$@" >> "%(marks)s/apt-get"
echo "E: Unable to locate package ${3%%%%=*}"
exit 100
"""

APT_CACHE = """#!/bin/sh
echo "$@" >> "%(marks)s/apt-cache"
if [ -s "%(marks)s/apt-cache-version" ]; then
  echo "Package: $4"; echo "Version: $(cat "%(marks)s/apt-cache-version")"; exit 0
fi
echo "E: No packages found" >&2
exit 100
"""


@pytest.fixture
def apt(tmp_path, snapshot):
    """(env, marks): apt-get that cannot download, apt-cache that knows no
    version (unless marks/apt-cache-version holds one), and netrepro pointed
    at the test's snapshot server."""
    bin_dir, marks = tmp_path / "apt-bin", tmp_path / "apt-marks"
    bin_dir.mkdir()
    marks.mkdir()
    for tool, text in (("apt-get", APT_GET), ("apt-cache", APT_CACHE)):
        p = bin_dir / tool
        p.write_text(text % {"marks": marks})
        p.chmod(p.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ.get("PATH", "/usr/bin:/bin")),
               NETREPRO_SNAPSHOT_URL=snapshot[1] + "/")
    return env, marks


def matrix(nr, tmp_path, env, kernel):
    out, cache = tmp_path / "out", tmp_path / "cache"
    r = nr("matrix", "--accel", "tcg", "--kernel", kernel, "--cache", cache, "--out", out,
           "cases/seed/realm-dualstack.case", env=env, timeout=120)
    return r, out, cache


def guest_error(out):
    with open(str(out / (FLAVOUR + ".json"))) as f:
        return json.load(f)["guest"]["error"]


def marks_of(marks, tool):
    p = marks / tool
    return p.read_text().splitlines() if p.exists() else []


def assert_fetched(r, out, cache, image):
    """Fetched, unpacked and given a modules.dep: the run got as far as the
    kernel's modules (this package has none), with no fetch error."""
    d = cache / FLAVOUR
    assert (d / "boot" / ("vmlinuz-" + FLAVOUR)).read_bytes() == image
    assert (d / "lib" / "modules" / FLAVOUR / "modules.dep").exists(), sorted(os.listdir(str(d)))
    assert not list(d.glob("*.deb")) and not list(d.glob(".snapshot*")), sorted(os.listdir(str(d)))
    err = guest_error(out)
    assert "has no module veth" in err and "cannot fetch" not in err, (err, r.stderr)
    assert r.returncode == 1


# --- the fallback ----------------------------------------------------------------

def test_snapshot_when_apt_cannot(nr, tmp_path, deb, snapshot, apt):
    """Known to neither apt-get nor apt-cache: the snapshot's newest version."""
    snap, base = snapshot
    snap.publish(deb[0])
    env, marks = apt
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    assert_fetched(r, out, cache, deb[1])
    assert marks_of(marks, "apt-get") == ["download -q " + PKG]
    assert marks_of(marks, "apt-cache") == ["show --no-all-versions " + PKG]
    # '+' and '~' quoted; the file by its pool path at the snapshot that first had it
    quoted = PKG.replace("+", "%2B")
    assert snap.asked == ["/mr/binary/%s/" % quoted,
                          "/mr/binary/%s/%s/binfiles?fileinfo=1" % (quoted, VERSION),
                          DEB_URL_PATH.replace("+", "%2B")], snap.asked
    assert "%s=%s from %s%s" % (PKG, VERSION, base, DEB_URL_PATH.replace("+", "%2B")) in r.stderr, r.stderr


def test_version_from_apt_cache(nr, tmp_path, deb, snapshot, apt):
    """apt's lists still name the package (the mirror dropped the file): that
    version, with no question to the snapshot's list of versions."""
    snap, _ = snapshot
    snap.publish(deb[0], listed=False)
    env, marks = apt
    (marks / "apt-cache-version").write_text(VERSION)
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    assert_fetched(r, out, cache, deb[1])
    assert not any(p.endswith("/") for p in snap.asked), snap.asked


def test_pinned_version(nr, tmp_path, deb, snapshot, apt):
    """--kernel FLAVOUR=VERSION: that version from apt, then from the snapshot;
    the record is named after the flavour alone."""
    snap, _ = snapshot
    snap.publish(deb[0], listed=False)
    env, marks = apt
    r, out, cache = matrix(nr, tmp_path, env, "%s=%s" % (FLAVOUR, VERSION))
    assert_fetched(r, out, cache, deb[1])
    assert marks_of(marks, "apt-get") == ["download -q %s=%s" % (PKG, VERSION)]
    assert marks_of(marks, "apt-cache") == []
    assert sorted(p.name for p in out.glob("*.json")) == [FLAVOUR + ".json"]


def test_a_cached_kernel_is_not_fetched_again(nr, tmp_path, deb, snapshot, apt):
    snap, _ = snapshot
    snap.publish(deb[0])
    env, marks = apt
    matrix(nr, tmp_path, env, FLAVOUR)
    asked, apt_runs = list(snap.asked), marks_of(marks, "apt-get")
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    assert_fetched(r, out, cache, deb[1])
    assert snap.asked == asked and marks_of(marks, "apt-get") == apt_runs


# --- what a failure says ---------------------------------------------------------

def check_failure(r, out, cache, words):
    assert r.returncode == 1, (r.returncode, r.stderr)
    err = guest_error(out)
    for w in ["cannot fetch " + PKG] + words:
        assert w in err, (w, err)
    assert "netrepro matrix: %s: cannot fetch %s" % (FLAVOUR, PKG) in r.stderr, r.stderr
    d = cache / FLAVOUR
    assert not (d / "boot").exists() and not list(d.glob("*.deb*")), sorted(os.listdir(str(d)))
    return err


def test_nowhere(nr, tmp_path, snapshot, apt):
    """No source has it: the error names the kernel, apt-get download and
    the snapshot server, each with what it said."""
    env, _ = apt
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    err = check_failure(r, out, cache, [
        "apt-get download: Unable to locate package " + PKG,
        "snapshot %s: no version known (404  NOT FOUND)" % snapshot[1]])
    assert err.index("apt-get download") < err.index("snapshot " + snapshot[1]), err


def test_version_not_on_the_snapshot(nr, tmp_path, snapshot, apt):
    env, _ = apt
    r, out, cache = matrix(nr, tmp_path, env, "%s=%s" % (FLAVOUR, VERSION))
    check_failure(r, out, cache, [
        "cannot fetch %s=%s, tried" % (PKG, VERSION), "apt-get download: Unable to locate package",
        "snapshot %s: %s: 404  NOT FOUND" % (snapshot[1], VERSION)])


def test_no_amd64_build(nr, tmp_path, deb, snapshot, apt):
    snap, base = snapshot
    snap.publish(deb[0])
    files = json.loads(snap.files[BINFILES])
    files["result"] = [b for b in files["result"] if b["architecture"] != "amd64"]
    snap.files[BINFILES] = json.dumps(files)
    env, _ = apt
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    check_failure(r, out, cache, ["snapshot %s: %s: it has no amd64 .deb of it" % (base, VERSION)])


def test_damaged_download(nr, tmp_path, deb, snapshot, apt):
    """A file whose SHA1 is not the snapshot's is not unpacked."""
    snap, base = snapshot
    snap.publish(deb[0], sha1=hashlib.sha1(b"another file").hexdigest())
    env, _ = apt
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    check_failure(r, out, cache, ["snapshot %s: %s: Hash Sum mismatch" % (base, VERSION)])


def test_not_a_package(nr, tmp_path, snapshot, apt):
    """The file comes whole but is no .deb: dpkg-deb's word, not a fetch error."""
    snap, _ = snapshot
    snap.publish(b"not a debian package\n")
    env, _ = apt
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    assert r.returncode == 1, r.stderr
    err = guest_error(out)
    assert err.startswith("cannot unpack %s or build its modules.dep" % PKG), err
    assert "dpkg-deb" in err.split(": ", 1)[1] and "Unable to locate" not in err, err
    assert not list((cache / FLAVOUR).glob("*.deb")), "the damaged .deb was kept"


def test_not_a_snapshot_server(nr, tmp_path, snapshot, apt):
    snap, base = snapshot
    snap.files[LISTING] = "<html>a web page</html>"
    env, _ = apt
    r, out, cache = matrix(nr, tmp_path, env, FLAVOUR)
    check_failure(r, out, cache, ["snapshot %s: no version known (" % base, "not JSON"])


@pytest.mark.parametrize("kernel", [FLAVOUR + "=", FLAVOUR + "=9.9 1", "=" + VERSION, FLAVOUR + "=9.9=1"],
                         ids=["no-version", "space", "no-flavour", "two-versions"])
def test_bad_pin_is_a_usage_error(nr, tmp_path, tripwires, kernel):
    env, marks = tripwires
    r, out, cache = matrix(nr, tmp_path, env, kernel)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "kernel '%s'" % kernel in r.stderr and "6.1.0-50-amd64=6.1.176-1" in r.stderr, r.stderr
    assert os.listdir(str(marks)) == [], "a usage error started %s" % os.listdir(str(marks))
    assert not out.exists() or not list(out.glob("*.json"))
