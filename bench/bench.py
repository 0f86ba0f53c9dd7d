#!/usr/bin/python3
"""netrepro benchmark (`make bench`).

Measures, in one run:

1. the per-topology cost of the `pair.net` topology (two hosts, one veth
   pair, IPv4 + IPv6 addresses, links up), built and torn down
     - by netrepro: one case with `vary i = 1..N`, run with `-j 1`, wall time
       divided by N (includes the fork per variant and the teardown);
     - by netrepro with `-j 2` (the kernel frees namespaces asynchronously, so
       a parallel run is the fairer figure for a suite);
     - by the netns library alone (bench/floor.c, a forked process per
       topology and nothing else): the floor under netrepro's figure;
     - by bench/pair_ip.sh, the same topology from `ip` commands (root only),
       run for N_IP topologies in one invocation, wall time divided by N_IP;
2. the seed suite's wall time, `build/netrepro run cases/seed`, best and
   median of several runs; and the whole case library's wall time, and,
   with BENCH_BASELINE=REV (a git revision, e.g. the last release), the
   netrepro of REV built apart and run on REV's own library next to this
   one on the same files, turn by turn, so the ratio is from one run;
3. the pytest plugin: the seed cases and the whole library under pytest,
   serial (`-n 0`) and on two xdist workers (`-n 2`), alternated, so the
   ratio is from one run; skipped without python3-pytest-xdist;
4. the kernel matrix: one kernel in a QEMU guest (boot plus the seed cases),
   and the three kernels of `make matrix` with `-j 2`. Skipped (with the
   reason) when QEMU or busybox is missing, or BENCH_MATRIX=0; the kernels
   are fetched into the cache on first use, which the first run pays for.
   With BENCH_BASELINE=REV (or BENCH_MATRIX_LIBRARY=1), also the whole
   library in the matrix, on one kernel and on three with `-j 2`: REV's
   netrepro and this one on REV's library, turn by turn, for a ratio.

Every run's exit status is checked, and the netrepro runs must print one
`ok` line per expected case (not SKIP), so a failure is never measured as a
fast success. This is a benchmark: the targets are printed next to the
figures, never asserted.
"""

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY_REPS = 3
NETREPRO = os.path.join(ROOT, "build", "netrepro")
IP_SCRIPT = os.path.join(ROOT, "bench", "pair_ip.sh")

N_NETREPRO = int(os.environ.get("BENCH_N", "50"))      # topologies per netrepro run
N_IP = int(os.environ.get("BENCH_N_IP", "20"))         # topologies per ip-script run
REPS = int(os.environ.get("BENCH_REPS", "3"))          # repetitions of each pair measurement
SEED_REPS = int(os.environ.get("BENCH_SEED_REPS", "5"))
PYTEST_REPS = int(os.environ.get("BENCH_PYTEST_REPS", "3"))
PYTHON = "/usr/bin/python3"   # Debian's, with python3-pytest and python3-pytest-xdist

TARGET_PAIR = ">= 10x faster than ip"
TARGET_SEED = "< 1 s"
TARGET_ONE_KERNEL = "<= 4 s"
TARGET_THREE_KERNELS = "<= 30 s"
MATRIX_ONE = os.environ.get("BENCH_KERNEL", "6.1.0-50-cloud-amd64")
MATRIX_THREE = ["6.1.0-50-amd64", "6.12.117+deb12-amd64", "host"]
TARGET_MATRIX_LIBRARY = ">= 2.5x faster than the baseline"
# the whole library in the matrix takes minutes: on by default only with a
# baseline to hold it against
MATRIX_LIBRARY = os.environ.get("BENCH_MATRIX_LIBRARY", "1" if os.environ.get("BENCH_BASELINE") else "0") == "1"


class BenchError(Exception):
    pass


def run_timed(argv, cwd=ROOT):
    """Run argv, return (seconds, CompletedProcess). Output is captured."""
    t0 = time.perf_counter()
    cp = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - t0, cp


def ktap_ok_count(stdout):
    """Count `ok N ...` result lines that are not skips."""
    n = 0
    for line in stdout.splitlines():
        if line.startswith("ok ") and "# SKIP" not in line:
            n += 1
    return n


def describe_failure(what, cp):
    tail = lambda s: "\n".join(s.strip().splitlines()[-15:])
    return (f"{what}: exit status {cp.returncode}\n"
            f"--- stdout (tail)\n{tail(cp.stdout)}\n"
            f"--- stderr (tail)\n{tail(cp.stderr)}")


def make_pair_cases(tmp, n):
    """tmp/cases/pair.case using a copy of fixtures/pair.net, n variants."""
    shutil.copytree(os.path.join(ROOT, "fixtures"), os.path.join(tmp, "fixtures"))
    cases = os.path.join(tmp, "cases")
    os.mkdir(cases)
    with open(os.path.join(cases, "pair.case"), "w") as f:
        f.write(
            'title "bench: pair topology built and torn down"\n'
            "use   fixtures/pair.net\n"
            f"vary  i = {', '.join(str(i) for i in range(1, n + 1))}\n"
            "\n"
            "on a\n"
            "  s = socket(INET, STREAM)\n"
            # a sanity check that the topology really exists: this fails
            # with EADDRNOTAVAIL if a:eth0 did not get its address
            "  bind(s, 10.0.1.1:0)                           = 0\n")
    return cases


def bench_netrepro_pair(cases, n, jobs):
    """Per-topology seconds (median over REPS runs) and all samples."""
    argv = [NETREPRO, "run", "-j", str(jobs), cases]
    samples = []
    for _ in range(REPS):
        dt, cp = run_timed(argv)
        if cp.returncode != 0:
            raise BenchError(describe_failure(" ".join(argv), cp))
        ok = ktap_ok_count(cp.stdout)
        if ok != n:
            raise BenchError(f"{' '.join(argv)}: {ok} ok lines, expected {n}\n"
                             + describe_failure("run", cp))
        samples.append(dt / n)
    return statistics.median(samples), samples


def bench_floor(n):
    """The netns library alone (bench/floor.c), fork per topology: the floor
    under netrepro's figure, in seconds per topology."""
    floor = os.path.join(ROOT, "build", "bench", "floor")
    cp = subprocess.run([floor, str(n)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if cp.returncode != 0:
        raise BenchError(describe_failure("build/bench/floor", cp))
    return float(cp.stdout) / 1000


def bench_ip_pair(n):
    argv = ["/bin/sh", IP_SCRIPT, str(n)]
    samples = []
    for _ in range(REPS):
        dt, cp = run_timed(argv)
        if cp.returncode != 0:
            raise BenchError(describe_failure(" ".join(argv), cp))
        samples.append(dt / n)
    return statistics.median(samples), samples


def bench_seed():
    seed = os.path.join(ROOT, "cases", "seed")
    argv = [NETREPRO, "run", seed]
    # the number of case ids (variants expanded) the run must report ok
    lp = subprocess.run([NETREPRO, "list", seed], cwd=ROOT, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    if lp.returncode != 0:
        raise BenchError(describe_failure("netrepro list cases/seed", lp))
    expected = len([l for l in lp.stdout.splitlines() if l.strip()])
    samples = []
    skipped = 0
    for _ in range(SEED_REPS):
        dt, cp = run_timed(argv)
        if cp.returncode != 0:
            raise BenchError(describe_failure("netrepro run cases/seed", cp))
        ok = ktap_ok_count(cp.stdout)
        skipped = sum(1 for l in cp.stdout.splitlines()
                      if l.startswith("ok ") and "# SKIP" in l)
        if ok + skipped != expected:
            raise BenchError(f"netrepro run cases/seed: {ok} ok + {skipped} skip lines,"
                             f" expected {expected} cases\n" + describe_failure("run", cp))
        samples.append(dt)
    return min(samples), statistics.median(samples), expected, skipped


def bench_library(binary, cases, reps):
    """Median wall time of `run cases` (every case ok or skipped)."""
    samples = []
    for _ in range(reps):
        dt, cp = run_timed([binary, "run", cases])
        if cp.returncode != 0:
            raise BenchError(describe_failure(f"{binary} run {cases}", cp))
        samples.append(dt)
    return statistics.median(samples)


def build_baseline(rev, tmp):
    """REV's netrepro, built in a worktree under tmp; (binary, its cases)."""
    tree = os.path.join(tmp, "baseline")
    for argv in (["git", "worktree", "add", "--detach", tree, rev], ["make", "-s", "-C", tree, "-j2"]):
        cp = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if cp.returncode != 0:
            raise BenchError(describe_failure(" ".join(argv), cp))
    return os.path.join(tree, "build", "netrepro"), os.path.join(tree, "cases")


@contextlib.contextmanager
def baseline_tree(rev):
    """(binary, cases) of REV, built apart, removed at the end; None without REV."""
    if not rev:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="nrbase-") as tmp:
        try:
            yield build_baseline(rev, tmp)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", os.path.join(tmp, "baseline")],
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_library_against(baseline, reps):
    """(this, baseline) median walls on the baseline's library, alternated."""
    binary, cases = baseline
    this, base = [], []
    for _ in range(reps):
        base.append(bench_library(binary, cases, 1))
        this.append(bench_library(NETREPRO, cases, 1))
    return statistics.median(this), statistics.median(base)


def bench_matrix(kernels, out, cases="cases/seed", binary=NETREPRO, check=True):
    """Wall time of one `netrepro matrix` run; every case of every kernel
    must PASS (a guest that gave nothing is an error, not a fast result).
    check=False for a library, whose timing-bound cases may fail under TCG:
    then every kernel must still have given its record."""
    argv = [binary, "matrix", "-j", "2", "--out", out]
    for k in kernels:
        argv += ["--kernel", k]
    dt, cp = run_timed(argv + [cases], cwd=os.path.dirname(cases) if os.path.isabs(cases) else ROOT)
    if cp.returncode != 0 and (check or cp.returncode != 1 or "\n! " in cp.stdout):
        raise BenchError(describe_failure("netrepro matrix " + " ".join(kernels), cp))
    return dt


def bench_pytest(target, workers):
    """Wall time of `pytest -n WORKERS TARGET` through the repository's
    conftest; every case must pass or skip."""
    argv = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), target]
    dt, cp = run_timed(argv)
    if cp.returncode != 0:
        raise BenchError(describe_failure(" ".join(argv[2:]), cp))
    return dt


def pytest_skip_reason():
    cp = subprocess.run([PYTHON, "-c", "import xdist"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return None if cp.returncode == 0 else "python3-pytest-xdist is missing (make deps-test installs it)"


def report_pytest():
    """Section 3: -n 0 against -n 2, each target alternated PYTEST_REPS times."""
    print("3. pytest plugin: serial (-n 0) against two xdist workers (-n 2), median of"
          f" {PYTEST_REPS} alternated runs")
    why = pytest_skip_reason()
    if why:
        print(f"   skipped: {why}")
        print()
        return
    for target in ("cases/seed", "cases"):
        serial, two = [], []
        for _ in range(PYTEST_REPS):
            serial.append(bench_pytest(target, 0))
            two.append(bench_pytest(target, 2))
        s, t = statistics.median(serial), statistics.median(two)
        print(f"   {'pytest ' + target + ', -n 0':<28} {s:10.2f} s")
        print(f"   {'pytest ' + target + ', -n 2':<28} {t:10.2f} s   -n 0 / -n 2: {s / t:.2f}")
    print("   note: each xdist worker is a Python interpreter that imports pytest and collects"
          " every case file itself; that start-up is the floor under any -n 2 run")
    print()


def bench_matrix_library(baseline, tmp):
    """[(label, this, baseline or None)]: the whole library in the matrix,
    on one kernel and on three with -j 2; with a baseline, its netrepro on
    its library next to this one on the same files, turn by turn."""
    binary, cases = baseline if baseline else (None, os.path.join(ROOT, "cases"))
    rows = []
    for label, kernels in (("one kernel (" + MATRIX_ONE + ")", [MATRIX_ONE]),
                           ("three kernels, -j 2", MATRIX_THREE)):
        base = None
        if binary:
            base = bench_matrix(kernels, os.path.join(tmp, "lib-base"), cases, binary, check=False)
        this = bench_matrix(kernels, os.path.join(tmp, "lib-this"), cases, check=False)
        rows.append((label, this, base))
    return rows


def matrix_skip_reason():
    if os.environ.get("BENCH_MATRIX") == "0":
        return "BENCH_MATRIX=0"
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is missing (make deps installs it)"
    if not os.access("/bin/busybox", os.X_OK):
        return "/bin/busybox is missing (make deps installs busybox-static)"
    return None


def ms(s):
    return f"{s * 1000:8.2f} ms"


def main():
    os.chdir(ROOT)
    if not os.access(NETREPRO, os.X_OK):
        print(f"bench: {NETREPRO} not built; run `make` first", file=sys.stderr)
        return 1

    is_root = os.geteuid() == 0
    have_ip = shutil.which("ip") is not None
    uname = os.uname()
    print(f"netrepro bench: kernel {uname.release} {uname.machine}, "
          f"{os.cpu_count()} CPUs, {'root' if is_root else 'rootless'}")
    print(f"  pair: netrepro N={N_NETREPRO} topologies/run, ip script N={N_IP}/run, "
          f"median of {REPS} runs; seed: {SEED_REPS} runs")
    print()

    rows = []   # (label, per-topology seconds, note)
    try:
        with tempfile.TemporaryDirectory(prefix="nrbench-") as tmp:
            cases = make_pair_cases(tmp, N_NETREPRO)
            # one warm-up run (page cache, first fork of the binary)
            run_timed([NETREPRO, "run", "-j", "1", cases])
            nr1, _ = bench_netrepro_pair(cases, N_NETREPRO, 1)
            nr2, _ = bench_netrepro_pair(cases, N_NETREPRO, 2)
        floor = statistics.median(bench_floor(N_NETREPRO) for _ in range(REPS))

        ip = None
        ip_skip = None
        if not is_root:
            ip_skip = "skipped: the ip baseline needs root (ip netns add)"
        elif not have_ip:
            ip_skip = "skipped: `ip` (iproute2) not found"
        else:
            ip, _ = bench_ip_pair(N_IP)

        seed_best, seed_med, seed_n, seed_skip = bench_seed()
        library = bench_library(NETREPRO, os.path.join(ROOT, "cases"), LIBRARY_REPS)
        baseline = os.environ.get("BENCH_BASELINE")
        with baseline_tree(baseline) as tree:
            against = bench_library_against(tree, LIBRARY_REPS) if tree else None
            matrix = bench_matrix_all(tree)
    except BenchError as e:
        print(f"bench: FAILED, nothing measured:\n{e}", file=sys.stderr)
        return 1

    # --- table
    print("1. pair.net topology, build + teardown, per topology")
    print(f"   {'method':<28} {'per topology':>12}   {'ip / this':>9}")
    print(f"   {'-' * 28} {'-' * 12}   {'-' * 9}")

    def ratio(x):
        return f"{ip / x:8.1f}x" if ip else "      n/a"

    print(f"   {'netrepro run -j 1':<28} {ms(nr1):>12}   {ratio(nr1):>9}")
    print(f"   {'netrepro run -j 2':<28} {ms(nr2):>12}   {ratio(nr2):>9}")
    print(f"   {'netns library alone (floor)':<28} {ms(floor):>12}   {ratio(floor):>9}")
    if ip is not None:
        print(f"   {'ip commands (pair_ip.sh)':<28} {ms(ip):>12}   {'1.0x':>9}")
    else:
        print(f"   {'ip commands (pair_ip.sh)':<28} {ip_skip}")
    print(f"   target: pair topology {TARGET_PAIR}"
          + (f"  (measured, -j 1: {ip / nr1:.1f}x)" if ip else ""))
    print("   note: the kernel frees namespaces asynchronously (cleanup_net);"
          " -j 2 shows the cost when teardown overlaps the next build")
    print("   floor: bench/floor.c, the same topology from the netns library in a bare forked"
          " process, without netrepro around it: no -j 1 run can beat it")
    print()
    print("2. seed suite: netrepro run cases/seed "
          f"({seed_n} cases{f', {seed_skip} skipped' if seed_skip else ''})")
    print(f"   {'best':<28} {ms(seed_best):>12}")
    print(f"   {'median':<28} {ms(seed_med):>12}")
    print(f"   target: seed suite {TARGET_SEED}  (measured median: {seed_med:.3f} s)")
    print(f"   {'case library, median wall':<28} {library:10.2f} s   ({LIBRARY_REPS} runs, netrepro run cases/)")
    if against:
        this, base = against
        print(f"   {'library of ' + baseline + ', this':<28} {this:10.2f} s")
        print(f"   {'library of ' + baseline + ', its own':<28} {base:10.2f} s   this / baseline: {this / base:.2f}")
    else:
        print("   (BENCH_BASELINE=REV also runs REV's netrepro on REV's library, for a ratio)")
    print()
    try:
        report_pytest()
    except BenchError as e:
        print(f"bench: FAILED, pytest not measured:\n{e}", file=sys.stderr)
        return 1
    print("4. kernel matrix: netrepro matrix cases/seed, QEMU guests")
    if isinstance(matrix, str):
        print(f"   skipped: {matrix}")
        return 0
    one, three, library_rows = matrix
    print(f"   {'one kernel (' + MATRIX_ONE + ')':<40} {one:8.2f} s   target {TARGET_ONE_KERNEL}")
    print(f"   {'three kernels, -j 2':<40} {three:8.2f} s   target {TARGET_THREE_KERNELS}")
    print(f"   ({', '.join(MATRIX_THREE)}; boot and run under the accelerator the")
    print("    matrix picked: TCG where KVM does not boot a guest)")
    if library_rows is None:
        print("   (BENCH_MATRIX_LIBRARY=1 also runs the whole library in the matrix)")
        return 0
    print("   the whole case library, netrepro matrix -j 2 cases/"
          + (f" (of {baseline}, for both)" if baseline else ""))
    for label, this, base in library_rows:
        ratio = f"   baseline {base:8.2f} s   baseline / this: {base / this:.2f}x" if base else ""
        print(f"   {label:<40} {this:8.2f} s{ratio}")
    if not baseline:
        print("   (BENCH_BASELINE=REV runs REV's netrepro on the same library, for a ratio)")
    print(f"   target: the library on one kernel {TARGET_MATRIX_LIBRARY}")
    return 0


def bench_matrix_all(baseline):
    """(one, three, library rows or None), or why the matrix is skipped."""
    why = matrix_skip_reason()
    if why:
        return why
    with tempfile.TemporaryDirectory() as tmp:
        # warm the kernel cache (a first fetch is not what is measured)
        bench_matrix([MATRIX_ONE] + MATRIX_THREE[:2], os.path.join(tmp, "warm"))
        one = bench_matrix([MATRIX_ONE], os.path.join(tmp, "one"))
        three = bench_matrix(MATRIX_THREE, os.path.join(tmp, "three"))
        library = bench_matrix_library(baseline, tmp) if MATRIX_LIBRARY else None
    return one, three, library


if __name__ == "__main__":
    sys.exit(main())
