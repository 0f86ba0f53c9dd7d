#!/usr/bin/python3
"""make flake: run the case library N times and check that every step of
every case had the same outcome each time.

A step's outcome is its status and, unless the kernel picks the value
(kernel_picks: a predicate, ok, a captured $value) or the step checks
nothing (info), what was observed. A
case whose record says nondeterministic (a netem setting that acts at
random) is left out, and named. Exit 0 when all runs agree, 1 when a case
differs (each difference is printed), 2 on a usage error.

usage: tests/flake.py [-n N] [-j JOBS] [--out DIR] [--netrepro BIN] PATH...
"""
import argparse
import json
import os
import subprocess
import sys
import time


def outcome(case):
    """What must be the same in every run of one case."""
    steps = []
    for s in case.get("steps", []):
        # a recorded-only step (info) checks nothing: a port the kernel
        # handed out differs from run to run, and says nothing of a flake
        unchecked = s.get("kernel_picks") or s.get("status") == "info"
        seen = "*" if unchecked else s.get("observed")
        steps.append((s.get("line"), s.get("iter"), s.get("call"), s.get("status"), seen))
    return (case.get("status"), case.get("reason") if case.get("status") == "SKIP" else None,
            tuple(steps))


def first_difference(a, b):
    """A line saying where two outcomes of one case part."""
    if a[0] != b[0] or a[1] != b[1]:
        return "status %s vs %s" % (a[0], b[0])
    for x, y in zip(a[2], b[2]):
        if x != y:
            return "line %s %s: %s %r vs %s %r" % (x[0], x[2], x[3], x[4], y[3], y[4])
    return "%d vs %d recorded steps" % (len(a[2]), len(b[2]))


def compare(records):
    """(differences, left out): differences maps a case id to a line."""
    seen, skipped, diffs = {}, set(), {}
    for run, rec in enumerate(records):
        for case in rec["cases"]:
            cid = case["id"]
            if case.get("nondeterministic"):
                skipped.add(cid)
                continue
            o = outcome(case)
            if cid not in seen:
                seen[cid] = (run, o)
            elif seen[cid][1] != o and cid not in diffs:
                diffs[cid] = "run %d vs run %d: %s" % (seen[cid][0] + 1, run + 1,
                                                      first_difference(seen[cid][1], o))
    return diffs, sorted(skipped)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20, help="runs (default 20)")
    ap.add_argument("-j", "--jobs", type=int, default=0, help="cases at a time (default: netrepro's)")
    ap.add_argument("--out", default="build/flake", help="where the run records go")
    ap.add_argument("--netrepro", default="build/netrepro")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args(argv)
    if a.n < 2:
        ap.error("-n must be at least 2: one run agrees with itself")
    os.makedirs(a.out, exist_ok=True)
    records = []
    for i in range(a.n):
        path = os.path.join(a.out, "run-%d.json" % (i + 1))
        cmd = [a.netrepro, "run", "--json", path] + (["-j", str(a.jobs)] if a.jobs else []) + a.paths
        t0 = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
        with open(path) as f:
            records.append(json.load(f))
        summary = ", ".join("%s %s" % kv for kv in sorted(records[-1]["summary"].items()))
        print("run %d/%d: %d cases in %.1f s (%s)" % (i + 1, a.n, len(records[-1]["cases"]),
                                                    time.monotonic() - t0, summary), flush=True)
    diffs, skipped = compare(records)
    for cid in sorted(diffs):
        print("DIFFERS %s: %s" % (cid, diffs[cid]))
    if skipped:
        print("left out (nondeterministic): %s" % ", ".join(skipped))
    print("%d runs: %s" % (a.n, "%d case(s) differ" % len(diffs) if diffs else "every step the same each time"))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
