"""Selecting cases: -k by a variant's bindings (NAME_VALUE), -m by topic folder."""
import subprocess

import pytest

SEED = "cases/seed/"


def collected(r):
    """The node ids `--co -q` printed."""
    return [l for l in r.stdout.splitlines() if "::" in l]


@pytest.mark.parametrize("expr, ids", [
    ("v6only_0", ["realm-dualstack.case::seed/realm-dualstack[v6only=0]"]),
    ("realm-dualstack[v6only_1]", ["realm-dualstack.case::seed/realm-dualstack[v6only=1]"]),
    ("route_none or ts_1", ["trippy-timewait-ports.case::seed/trippy-timewait-ports[ts=1]",
                            "zenoh-multicast-noroute.case::seed/zenoh-multicast-noroute[route=none]"]),
    ("zenoh and not route_default", ["zenoh-multicast-noroute.case::seed/zenoh-multicast-noroute[route=none]",
                                     "zenoh-multicast-noroute.case::seed/zenoh-multicast-noroute[route=multicast]"]),
])
def test_k_selects_variants_of_seed(plug, run_pytest, netrepro, expr, ids):
    r = run_pytest("--co", "-q", "cases/seed", "-k", expr, cwd=plug.root)
    assert r.returncode == 0, r.stdout + r.stderr
    assert collected(r) == [SEED + i for i in ids]


def test_k_with_equals_names_the_spelling(plug, run_pytest):
    r = run_pytest("--co", "-q", "cases/seed", "-k", "v6only=0", cwd=plug.root)
    assert r.returncode == 4
    assert "a case variant NAME=VALUE is the keyword NAME_VALUE: -k 'v6only_0'" in r.stderr


def test_k_over_several_bindings(project, write_case, run_pytest, tree_plugin):
    write_case("pair", '''
        use fixtures/host.net
        vary proto = STREAM, DGRAM
        vary addr = ::1, 127.0.0.1
        on a
          s = socket(INET6, $proto)
    ''')
    def ids(expr):
        r = run_pytest("-p", "netrepro_pytest", "--co", "-q", "cases", "-k", expr, cwd=project, **tree_plugin)
        assert r.returncode == 0, r.stdout + r.stderr
        return [l.split("::", 1)[1] for l in collected(r)]
    assert ids("proto_DGRAM and addr_::1") == ["pair[proto=DGRAM,addr=::1]"]
    assert ids("pair[proto_STREAM_addr_127.0.0.1]") == ["pair[proto=STREAM,addr=127.0.0.1]"]


def test_m_selects_a_topic_folder(project, write_case, run_pytest, tree_plugin):
    body = '''
        use fixtures/host.net
        on a
          s = socket(INET, DGRAM)
    '''
    for rel in ("multicast/join", "multicast/deep/leave", "bind/any", "top", "skip/not-skipped"):
        write_case(rel, body)
    strict = ["-p", "netrepro_pytest", "--strict-markers", "-W", "error::pytest.PytestUnknownMarkWarning"]
    r = run_pytest(*strict, "--co", "-q", "cases", "-m", "multicast", cwd=project, **tree_plugin)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(l.split("::", 1)[1] for l in collected(r)) == ["multicast/deep/leave", "multicast/join"]
    # a folder named after one of pytest's own marks is no mark: its case runs
    r = run_pytest(*strict, "-q", "cases", "-m", "not multicast", cwd=project, **tree_plugin)
    assert r.returncode == 0 and "3 passed, 2 deselected" in r.stdout, r.stdout + r.stderr
    r = run_pytest("-p", "netrepro_pytest", "--markers", cwd=project, **tree_plugin)
    for topic in ("multicast", "bind"):
        assert f"@pytest.mark.{topic}: netrepro cases under a cases/{topic}/ folder" in r.stdout
    assert "@pytest.mark.skip: netrepro" not in r.stdout


def test_m_multicast_in_the_library(plug, run_pytest, netrepro):
    r = run_pytest("--co", "-q", "cases", "-m", "multicast", "-W", "error::pytest.PytestUnknownMarkWarning",
                   cwd=plug.root)
    assert r.returncode == 0, r.stdout + r.stderr
    want = subprocess.run([netrepro, "list", "cases/multicast"], cwd=plug.root, capture_output=True,
                          text=True, check=True).stdout.split()
    assert sorted(l.split("::", 1)[1] for l in collected(r)) == sorted(want)
    assert all(l.startswith("cases/multicast/") for l in collected(r))
