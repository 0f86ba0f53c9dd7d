"""cases/COVERAGE.md maps the checks of the kernel's net selftests to case
ids: every id it names exists, each complete selftest has all its checks,
and every mapped case cites the selftest, and names the check, in a ref."""
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPLETE = {"bind_wildcard.c": 132, "bind_timewait.c": 2, "ip_local_port_range.c": 48, "bind_bhash.c": 1,
            "sk_bind_sendto_listen.c": 9, "sk_connect_zero_addr.c": 6, "reuseport_addr_any.c": 6}
# Selftests whose checks are assertions of one program: the steps of one case.
ONE_CASE = {"sk_bind_sendto_listen.c", "sk_connect_zero_addr.c"}


def coverage():
    """{selftest: [(check, case id)]} from the file's per-selftest tables."""
    out, current = {}, None
    with open(os.path.join(ROOT, "cases", "COVERAGE.md")) as f:
        for line in f:
            m = re.match(r"^## (\S+\.c)$", line)
            if m:
                current = out.setdefault(m.group(1), [])
                continue
            m = re.match(r"^\| `([^`]+)` \| `([^`]+)` \|$", line)
            if m and current is not None:
                current.append((m.group(1), m.group(2)))
    return out


def test_coverage_names_only_existing_ids(netrepro):
    ids = set(subprocess.run([netrepro, "list", "cases/"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split())
    cov = coverage()
    assert cov, "no selftest table in cases/COVERAGE.md"
    for selftest, rows in cov.items():
        missing = [cid for _, cid in rows if cid not in ids]
        assert not missing, "%s: ids that are no case: %s" % (selftest, missing[:5])


def test_complete_selftests_have_every_check():
    cov = coverage()
    for selftest, n in COMPLETE.items():
        rows = cov.get(selftest, [])
        checks = [c for c, _ in rows]
        assert len(checks) == n == len(set(checks)), (selftest, len(checks), n)
        # one check, one case id: two checks never share a variant
        assert len({cid for _, cid in rows}) == (1 if selftest in ONE_CASE else n), selftest
    # bind_wildcard: 44 variants, each under the three tests
    variants = {c.rsplit(".", 1)[0] for c, _ in cov["bind_wildcard.c"]}
    tests = {c.rsplit(".", 1)[1] for c, _ in cov["bind_wildcard.c"]}
    assert len(variants) == 44 and tests == {"plain", "reuseaddr", "reuseport"}


def test_mapped_cases_cite_the_selftest():
    for selftest, rows in coverage().items():
        for check, cid in rows:
            path = os.path.join(ROOT, "cases", cid.split("[")[0] + ".case")
            with open(path) as f:
                refs = [l for l in f if l.startswith("ref")]
            assert any("selftests/net/" + selftest in r for r in refs), (cid, selftest)
            # and a ref names the check
            assert any(r.startswith('ref   "' + selftest) and check.rsplit(".", 1)[0] in r for r in refs), \
                (cid, check)


def test_require_nofile(run, h, project):
    """bind_bhash needs thousands of sockets: `require nofile N` raises the
    open-file limit to N, or SKIPs the case when the hard limit is lower."""
    path = h.write_case(project, "e2e/nofile", '''
        require nofile 5000
        use fixtures/host.net
        on a
          repeat 4500
            s = socket(INET, DGRAM)
          end
          t = socket(INET, DGRAM)              = 0
    ''')
    r = run("run", path, cwd=project)
    assert r.returncode == 0 and "ok 1 e2e/nofile\n" in r.stdout, r.stdout
    path = h.write_case(project, "e2e/toomany", '''
        require nofile 1073741824
        use fixtures/host.net
        on a
          s = socket(INET, DGRAM)
    ''')
    r = run("run", path, cwd=project)
    assert "ok 1 e2e/toomany # SKIP requires nofile 1073741824" in r.stdout, r.stdout
