#!/usr/bin/python3
"""make stress: one case run N times while two whole-library runs load the
machine, counting the runs where the case did not pass.

The default case sends at once after its network is built and checks every
datagram (cases/events/first-datagram.case): a lost first packet shows as a
FAIL. Exit 0 when every run passed, 1 otherwise.

usage: tests/stress.py [-n N] [--case FILE] [--load PATH] [--netrepro BIN]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100, help="runs of the case (default 100)")
    ap.add_argument("--case", default="cases/events/first-datagram.case")
    ap.add_argument("--load", default="cases/", help="what the two background runs run")
    ap.add_argument("--netrepro", default="build/netrepro")
    a = ap.parse_args(argv)
    load = []
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for i in range(a.n):
                # keep two library runs going the whole time
                load = [p for p in load if p.poll() is None]
                while len(load) < 2:
                    load.append(subprocess.Popen([a.netrepro, "run", a.load],
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                rec = os.path.join(tmp, "r.json")
                subprocess.run([a.netrepro, "run", "--json", rec, a.case],
                               stdout=subprocess.DEVNULL, check=False)
                with open(rec) as f:
                    cases = json.load(f)["cases"]
                for c in cases:
                    if c["status"] != "PASS":
                        bad += 1
                        failed = [s for s in c["steps"] if s["status"] == "fail"]
                        print("run %d: %s %s %s" % (i + 1, c["id"], c["status"],
                                                    failed[0]["call"] if failed else c.get("reason")),
                              flush=True)
                if (i + 1) % 10 == 0:
                    print("%d/%d runs, %d not passed, load average %s" %
                          (i + 1, a.n, bad, open("/proc/loadavg").read().split()[0]), flush=True)
        finally:
            for p in load:
                p.terminate()
                p.wait()
    print("%d runs of %s beside two library runs: %d not passed" % (a.n, a.case, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
