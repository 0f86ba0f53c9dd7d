"""Where the plugin says things happened: a SKIP at the case file's line, a
parse error at FILE:LINE:COL, neither with the plugin's own traceback."""
import xml.dom.minidom


def test_skip_is_reported_at_the_case_line(project, write_case, run_pytest, tree_plugin, tmp_path):
    write_case("later", '''
        title "later"
        use fixtures/host.net
        require kernel >= 99.0
        on a
          s = socket(INET, STREAM)
    ''')
    write_case("some", '''
        use fixtures/host.net
        vary v = a, b
        require ipv6
        require kernel  >=  99.0    when v == b
        on a
          s = socket(INET, STREAM)
    ''')
    write_case("runs", '''
        # runs a program
        use fixtures/host.net
        on a
          exec -- true = 0
    ''')
    junit = tmp_path / "j.xml"
    r = run_pytest("-p", "netrepro_pytest", "-rs", f"--junitxml={junit}", "cases", cwd=project, **tree_plugin)
    assert r.returncode == 0, r.stdout + r.stderr
    for line in ("SKIPPED [1] cases/later.case:3: requires kernel >= 99.0",
                 "SKIPPED [1] cases/some.case:4: requires kernel >= 99.0",
                 "SKIPPED [1] cases/runs.case:4: runs programs (exec): needs --allow-exec"):
        assert line in r.stdout, r.stdout
    assert "netrepro_pytest.py" not in r.stdout
    skipped = {s.parentNode.getAttribute("name"): s.firstChild.data
               for s in xml.dom.minidom.parse(str(junit)).getElementsByTagName("skipped")}
    assert skipped["later"].endswith("cases/later.case:3: requires kernel >= 99.0"), skipped


def test_parse_error_is_a_collection_error(project, write_case, run_pytest, tree_plugin):
    write_case("good", '''
        use fixtures/host.net
        on a
          s = socket(INET, STREAM)
    ''')
    write_case("bad", '''
        title "bad"
        use fixtures/host.net
        on a
          s = socket(INET, STREAM
    ''')
    r = run_pytest("-p", "netrepro_pytest", "cases", cwd=project, **tree_plugin)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "ERROR collecting cases/bad.case" in r.stdout
    assert "\ncases/bad.case:4:13: unclosed '('\n" in r.stdout, r.stdout
    assert "Traceback" not in r.stdout and "netrepro_pytest.py" not in r.stdout
    r = run_pytest("-p", "netrepro_pytest", "--continue-on-collection-errors", "cases", cwd=project, **tree_plugin)
    assert "1 passed, 1 error" in r.stdout, r.stdout
