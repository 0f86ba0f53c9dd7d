"""Large but valid cases: what a long topology or many variants cost stays
within bounds, and the case runs as any other."""
import json


def test_two_hundred_links_build_and_pass(project, run, h, tmp_path):
    """31 links once gave ERROR "reading link events: No buffer space
    available" (the netlink socket's buffer overran while the links came
    up): 200 veth pairs, each with addresses, build, and a connection over
    the last one works."""
    lines = ['title "200 links"', "host a b"]
    for i in range(200):
        net = "10.%d.%d" % (i >> 6, (i & 63) * 4)
        lines += ["link a:e%d b:e%d" % (i, i), "addr a:e%d %s.1/30" % (i, net),
                  "addr b:e%d %s.2/30" % (i, net)]
    lines += ["on b", "  l = socket(INET, STREAM)", "  bind(l, 10.3.28.2:80) = 0",
              "  listen(l, 4) = 0", "on a", "  c = socket(INET, STREAM)",
              "  connect(c, 10.3.28.2:80) = 0"]
    path = h.write_case(project, "e2e/links200", "\n".join(lines) + "\n")
    out = str(tmp_path / "run.json")
    r = run("run", "--json", out, path, cwd=project, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(out) as f:
        case = json.load(f)["cases"][0]
    assert case["status"] == "PASS", case.get("reason")
    assert [s["status"] for s in case["steps"]][-1] == "pass"
