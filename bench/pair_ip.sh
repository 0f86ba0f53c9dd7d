#!/bin/sh
# The pair.net topology (fixtures/pair.net) built and torn down with plain
# `ip` commands, COUNT times in a row: the baseline bench.py compares netrepro
# against.  Usage: pair_ip.sh [COUNT]   (root only)
#
# Safety: the two namespaces get names unique to this process
# (nrbench-a-PID, nrbench-b-PID); every command names one of them with -n or
# `netns`, so the host namespace's interfaces are never touched.  A trap
# deletes whatever is left on any exit, including errors and signals.
set -eu

count=${1:-1}
A="nrbench-a-$$"
B="nrbench-b-$$"

cleanup() {
	# only our own names; quiet when already gone
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

i=0
while [ "$i" -lt "$count" ]; do
	ip netns add "$A"
	ip netns add "$B"
	ip link add eth0 netns "$A" type veth peer name eth0 netns "$B"
	ip -n "$A" addr add 10.0.1.1/24 dev eth0
	ip -n "$A" addr add fd00:1::1/64 dev eth0 nodad
	ip -n "$B" addr add 10.0.1.2/24 dev eth0
	ip -n "$B" addr add fd00:1::2/64 dev eth0 nodad
	ip -n "$A" link set lo up
	ip -n "$A" link set eth0 up
	ip -n "$B" link set lo up
	ip -n "$B" link set eth0 up
	ip netns del "$A"
	ip netns del "$B"
	i=$((i + 1))
done
