"""The language's second edition against the kernel: whole data with its
length and digest, messages and their details, options in their shapes,
checks and branches, and what a failing one shows."""
import hashlib
import json


def record(run, h, project, tmp_path, body, name="e2e/lang", *flags):
    path = h.write_case(project, name, body)
    out = tmp_path / "r.json"
    r = run("run", *flags, "--json", str(out), path, cwd=project)
    return r, json.loads(out.read_text())["cases"][0]


def step(case, call):
    """The (first) step recorded for the line whose call starts so."""
    return next(s for s in case["steps"] if s["call"].startswith(call))


WHOLE = '''
    use fixtures/host.net
    on a
      r = socket(INET, DGRAM)
      bind(r, 127.0.0.1:5000)                = 0
      s = socket(INET, DGRAM)
      setsockopt(s, SOCKET, SO_SNDBUF, 262144) = 0
      sendto(s, "%s", 127.0.0.1:5000)        = 1400
      recv(r, 2000)                          = 1400
      t = socket(INET, STREAM)
      l = socket(INET, STREAM)
      bind(l, 127.0.0.1:5001)                = 0
      listen(l)                              = 0
      connect(t, 127.0.0.1:5001)             = 0
      c = accept(l)
      exec -- sh -c "head -c 100000 /dev/zero | tr '\\\\0' x"
'''


DATA = "".join(chr(ord("a") + i % 26) for i in range(1400))


def test_recv_keeps_the_whole_datagram(project, run, h, tmp_path, exec_contained):
    """recv(s, 2000) of a 1400-byte datagram records 1400 bytes, not 512."""
    data = DATA
    r, case = record(run, h, project, tmp_path, WHOLE % data, "e2e/whole", "--allow-exec")
    assert case["status"] == "PASS", r.stdout
    got = step(case, "recv(r, 2000)")
    assert got["data_len"] == 1400
    assert got["data"] == data
    assert "data_sha256" not in got


def test_exec_output_beyond_64k_is_length_digest_and_head(project, run, h, tmp_path, exec_contained):
    r, case = record(run, h, project, tmp_path, WHOLE % DATA, "e2e/whole", "--allow-exec")
    assert case["status"] == "PASS", r.stdout
    got = step(case, "exec")
    assert got["data_len"] == 100000
    assert got["data_truncated"] is True
    assert got["data_sha256"] == hashlib.sha256(b"x" * 100000).hexdigest()
    assert got["data"] == "x" * 4096


MESSAGES = '''
    use fixtures/host.net
    on a
      r = socket(INET, DGRAM)
      setsockopt(r, IP, IP_PKTINFO, 1)      = 0
      setsockopt(r, IP, IP_RECVTTL, 1)      = 0
      bind(r, 0.0.0.0:4000)                 = 0
      s = socket(INET, DGRAM)
      bind(s, 127.0.0.1:4001)               = 0
      sendmsg(s, "ping", 127.0.0.2:4000, ttl 7) = 4
      recvmsg(r) = "ping" from 127.0.0.1:4001 to 127.0.0.2 dev lo ttl 7
      sendto(s, "0123456789abcdef", 127.0.0.1:4000) = 16
      recvmsg(r, 10, TRUNC) = "0123456789" len 16
      recvfrom(r, DONTWAIT)                 = EAGAIN
      sendto(s, "x", 127.0.0.1:4000)        = 1
      recvfrom(r)                           = "x" from 127.0.0.1
'''


def test_messages_and_their_details(project, run, h, tmp_path):
    r, case = record(run, h, project, tmp_path, MESSAGES)
    assert case["status"] == "PASS", r.stdout
    assert step(case, "recvmsg(r)")["observed"] == '"ping" from 127.0.0.1:4001 to 127.0.0.2 dev lo ttl 7'
    assert step(case, "recvmsg(r, 10")["observed"] == '"0123456789" len 16'
    assert step(case, "recvmsg(r, 10")["data_len"] == 16
    # the port the expectation leaves out is not in what records compare,
    # but the step's detail keeps all of it
    assert step(case, "recvfrom(r)")["observed"] == '"x" from 127.0.0.1'
    assert step(case, "recvfrom(r)")["detail"].startswith("from 127.0.0.1:4001")


def test_a_detail_that_differs_fails_and_says_what_came(project, run, h, tmp_path):
    body = MESSAGES.replace("dev lo ttl 7", "dev lo ttl 8")
    r, case = record(run, h, project, tmp_path, body)
    assert case["status"] == "FAIL"
    assert r.returncode == 1
    bad = step(case, "recvmsg(r)")
    assert bad["status"] == "fail"
    assert bad["expected"] == '"ping" from 127.0.0.1:4001 to 127.0.0.2 dev lo ttl 8'
    assert bad["observed"] == '"ping" from 127.0.0.1:4001 to 127.0.0.2 dev lo ttl 7'


OPTIONS = '''
    use fixtures/host.net
    on a
      s = socket(INET6, DGRAM)
      getsockopt(s, SOCKET, SO_DOMAIN)               = INET6
      getsockopt(s, SOCKET, SO_TYPE)                 = DGRAM
      getsockopt(s, SOCKET, SO_PROTOCOL)             = UDP
      setsockopt(s, IPV6, IPV6_UNICAST_HOPS, 9)      = 0
      getsockopt(s, IPV6, IPV6_UNICAST_HOPS)         = 9
      setsockopt(s, IPV6, IPV6_MTU_DISCOVER, PROBE)  = 0
      getsockopt(s, IPV6, IPV6_MTU_DISCOVER)         = PROBE
      setsockopt(s, SOCKET, SO_LINGER, 1, 5)         = 0
      getsockopt(s, SOCKET, SO_LINGER)               = 1 5
      setsockopt(s, SOCKET, SO_BINDTODEVICE, "lo")   = 0
      getsockopt(s, SOCKET, SO_BINDTODEVICE)         = "lo"
      setsockopt(s, SOCKET, SO_BINDTODEVICE, "nope") = ENODEV
      setsockopt(s, SOCKET, SO_BINDTOIFINDEX, lo)    = 0
      getsockopt(s, SOCKET, SO_BINDTOIFINDEX)        = 1
      setsockopt(s, SOCKET, SO_BINDTOIFINDEX, eth9)  = ENODEV
      setsockopt(s, IP, IP_LOCAL_PORT_RANGE, 40000, 40007) = 0
      getsockopt(s, IP, IP_LOCAL_PORT_RANGE)         = 40000 40007
      setsockopt(s, IP, IP_LOCAL_PORT_RANGE, 0x9c489c41) = 0
      getsockopt(s, IP, IP_LOCAL_PORT_RANGE)         = 40001 40008
      getsockopt(s, IP, IP_LOCAL_PORT_RANGE)         = 0x9c489c41
      t = socket(INET, STREAM, NONBLOCK)
      connect(t, 127.0.0.1:9)                        = EINPROGRESS
      sleep(20)
      getsockopt(t, SOCKET, SO_ERROR)                = ECONNREFUSED
      getsockopt(t, SOCKET, SO_ERROR)                = 0
'''


def test_options_in_their_shapes(project, run, h, tmp_path):
    r, case = record(run, h, project, tmp_path, OPTIONS)
    assert case["status"] == "PASS", r.stdout
    assert step(case, "getsockopt(s, IPV6, IPV6_MTU_DISCOVER)")["observed"] == "PROBE"
    assert step(case, "getsockopt(s, SOCKET, SO_LINGER)")["observed"] == "1 5"
    assert step(case, "getsockopt(s, SOCKET, SO_BINDTODEVICE)")["observed"] == '"lo"'
    assert step(case, "getsockopt(t, SOCKET, SO_ERROR)")["observed"] == "ECONNREFUSED"


BRANCHES = '''
    use fixtures/host.net
    on a
      s = socket(INET, STREAM)
      setsockopt(s, IP, IP_LOCAL_PORT_RANGE, 40000, 40007) = 0
      bind(s, 127.0.0.1:0)                   = 0
      p = getsockname(s)                     = in 40000..40007
      check p >= 40000 and p <= 40007
      t = socket(INET, STREAM)
      r = bind(t, 127.0.0.1:$p)              = EADDRINUSE or 0
      if r == EADDRINUSE
        q = getsockname(s)                   = $p
      else
        check 1 == 0
      end
      check q == p
      check p %% 2 == %d
'''


def test_checks_and_branches(project, run, h, tmp_path):
    for parity in (0, 1):
        r, case = record(run, h, project, tmp_path, BRANCHES % parity)
        p = step(case, "p = getsockname")["ret"]
        assert 40000 <= p <= 40007
        want = "PASS" if p % 2 == parity else "FAIL"
        assert case["status"] == want, r.stdout
        last = step(case, "check p % 2")
        assert last["observed"] == ("true" if want == "PASS" else "false")
        assert last["detail"] == "p=%d" % p
        assert step(case, "if r ==")["observed"] == "true"
        assert not [s for s in case["steps"] if s["call"] == "check 1 == 0"]    # the else branch did not run


def test_from_with_a_captured_port(run, h, project, tmp_path):
    """`from ADDR:$p` compares the port the capture holds (it used to be
    left out, so the step failed whatever came)."""
    r, c = record(run, h, project, tmp_path, '''
        use fixtures/host.net
        on a
          r = socket(INET, DGRAM)
          bind(r, 127.0.0.1:7000)                = 0
          s = socket(INET, DGRAM)
          bind(s, 127.0.0.1:0)                   = 0
          p = getsockname(s)
          sendto(s, "x", 127.0.0.1:7000)         = 1
          recvfrom(r)                            = "x" from 127.0.0.1:$p
          sendto(s, "y", 127.0.0.1:7000)         = 1
          recvfrom(r)                            = "y" from 127.0.0.1:7000
    ''')
    by = {s["line"]: s for s in c["steps"]}
    assert by[9]["status"] == "pass", r.stdout
    assert by[11]["status"] == "fail" and by[11]["observed"].startswith('"y" from 127.0.0.1:')
