#!/usr/bin/python3
"""The README's tables of calls and options are the registry's rows, as
`netrepro help calls|options --markdown` prints them, between marker lines.

    tests/readme_tables.py --check    exit 1, naming the table, when one differs
    tests/readme_tables.py --write    rewrite them (`make readme`)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
TOPICS = ("calls", "options")


def block(topic):
    return re.compile(r"(<!-- %s: netrepro help %s --markdown -->\n)(.*?)(<!-- end %s -->)" % (topic, topic, topic),
                      re.S)


def generated(netrepro, topic):
    r = subprocess.run([netrepro, "help", topic, "--markdown"], capture_output=True, text=True, check=True)
    return r.stdout


def differing(text, netrepro):
    """The topics whose table in text is not what netrepro prints."""
    out = []
    for topic in TOPICS:
        m = block(topic).search(text)
        if not m or m.group(2) != generated(netrepro, topic):
            out.append(topic)
    return out


def main(argv):
    netrepro = os.path.join(ROOT, "build", "netrepro")
    with open(README) as f:
        text = f.read()
    if argv[1:] == ["--write"]:
        for topic in TOPICS:
            table = generated(netrepro, topic)
            text = block(topic).sub(lambda m: m.group(1) + table + m.group(3), text)
        with open(README, "w") as f:
            f.write(text)
        return 0
    if argv[1:] == ["--check"]:
        bad = differing(text, netrepro)
        for topic in bad:
            print(f"README.md: the {topic} table is not `netrepro help {topic} --markdown` (make readme)")
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
