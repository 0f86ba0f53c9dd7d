"""A full disk: every writer's output is checked to its close, and a write
that failed is exit status 1 (2 for `run`, as its record's) with the file
and the reason, never a cut file and success. /dev/full fails every write;
a tiny tmpfs in a mount namespace of its own is a real full file system."""
import os
import shutil
import subprocess

import pytest

from reportlib import NETREPRO, ROOT, netrepro, seed_record  # noqa: F401

FORMATS = ("md", "html", "junit", "ktap", "kcidb")
NOSPACE = "No space left on device"


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_onto_dev_full(seed_record, fmt):  # noqa: F811
    proc = netrepro("report", "--format", fmt, "-o", "/dev/full", str(seed_record[0]))
    assert proc.returncode == 1
    assert proc.stderr == f"netrepro report: cannot write /dev/full: {NOSPACE}\n"


def test_report_and_diff_onto_a_full_stdout(seed_record):  # noqa: F811
    for args in (("report", "--format", "junit", str(seed_record[0])),
                 ("diff", str(seed_record[0]), str(seed_record[0]))):
        with open("/dev/full", "w") as full:
            proc = subprocess.run([NETREPRO, *args], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.returncode == 1
        assert proc.stderr.endswith(f"cannot write standard output: {NOSPACE}\n")


def test_run_junit_onto_dev_full():
    proc = netrepro("run", "--junit", "/dev/full", "cases/seed/realm-dualstack.case")
    assert proc.returncode == 2
    assert f"netrepro run: cannot write /dev/full: {NOSPACE}" in proc.stderr


def full_tmpfs(script, tmp_path):
    """script run in a mount namespace of its own where $FULL is a tmpfs
    with no space left; skipped where such a mount cannot be made."""
    full = tmp_path / "full"
    full.mkdir(exist_ok=True)
    setup = (f'mount -t tmpfs -o size=4k tmpfs {full} || exit 99; '
             f'dd if=/dev/zero of={full}/fill bs=1k count=8 2>/dev/null; export FULL={full}; ')
    try:
        # a chroot's root is no mount point: unshare cannot make the mounts
        # private there, and nothing may be mounted where the host sees it
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.skip("cannot make a mount namespace here: " + probe.stderr.strip())
        proc = subprocess.run(["unshare", "-m", "sh", "-c", setup + script], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)
    except FileNotFoundError:
        pytest.skip("no unshare")
    if proc.returncode == 99:
        pytest.skip("cannot mount a tmpfs in a mount namespace here")
    return proc


@pytest.mark.parametrize("fmt", ["junit", "md"])
def test_report_onto_a_full_file_system(seed_record, tmp_path, fmt):  # noqa: F811
    extra = "--max-chars 1000 " if fmt == "md" else ""
    proc = full_tmpfs(f'{NETREPRO} report --format {fmt} {extra}-o "$FULL/out" {seed_record[0]}', tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "netrepro report: cannot write " in proc.stderr and f"/full/out: {NOSPACE}" in proc.stderr or \
        f"/full/out.1.md: {NOSPACE}" in proc.stderr


def test_matrix_on_a_full_file_system(tmp_path):
    """A kernel's record that could not be written is said to be so, with
    where, and not taken for a malformed record."""
    junk = tmp_path / "vmlinuz"
    junk.write_text("not a kernel\n")
    for kernel in ("host", str(junk)):
        proc = full_tmpfs(f'{NETREPRO} matrix --kernel {kernel} --accel tcg --cache {tmp_path}/cache '
                          f'--out "$FULL/out" cases/seed/realm-dualstack.case', tmp_path)
        name = "host" if kernel == "host" else "vmlinuz"
        assert proc.returncode == 1
        assert f"cannot write {tmp_path}/full/out/{name}.json: {NOSPACE}" in proc.stderr, proc.stderr
        assert "not a run record" not in proc.stderr
        assert f"{name}.json: empty (0 bytes)" in proc.stderr and "no space left on device" in proc.stderr


def test_run_list_check_onto_a_full_stdout():
    """KTAP cut by a full disk is no pass: exit 2, as for the record."""
    for cmd in ("run", "list", "check"):
        with open("/dev/full", "w") as full:
            proc = subprocess.run([NETREPRO, cmd, "cases/seed/realm-dualstack.case"], stdout=full,
                                  stderr=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.returncode == 2
        assert proc.stderr.endswith(f"netrepro {cmd}: cannot write standard output: {NOSPACE}\n"), proc.stderr
