#!/usr/bin/env bash
# demo.sh: heddle-ls on the bundled daemon. Run by `make demo` after
# `make build`. Part 1, a heddle with an agent daemon (≤ v0.10.3): a
# temporary repo, heddle-sim serving it, heddle-ls status, ops and explain,
# then a live `heddle-ls watch` across a daemon stop and start. Part 2, a
# current heddle (0.13.0, no agent daemon): heddle-sim as the heddle CLI,
# status, ops and signals through it, an appended operation arriving live,
# and the mount daemon reported from its files as it starts and dies.
# Everything it starts is stopped and removed on exit. It waits on
# conditions (lines from the daemon and from watch), never on fixed sleeps.
set -euo pipefail

BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
LS=$BIN/heddle-ls
SIM=$BIN/heddle-sim
for b in "$LS" "$SIM"; do
	[[ -x $b ]] || { echo "demo: $b not found; run 'make build' first" >&2; exit 1; }
done

# A short path: Unix socket paths are limited to 108 bytes.
tmp=$(mktemp -d /tmp/heddle-demo.XXXXXX)
repo=$tmp/repo
mkdir -p "$repo"
sim_pid=
watch_pid=
mount_pid=

cleanup() {
	set +e
	[[ -n $watch_pid ]] && kill -TERM "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null
	[[ -n $mount_pid ]] && kill -INT "$mount_pid" 2>/dev/null && wait "$mount_pid" 2>/dev/null
	# Our own demo daemon: SIGINT is its clean shutdown.
	[[ -n $sim_pid ]] && kill -INT "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	exec 3<&- 4<&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# wait_line FD PATTERN WHO: print lines read from FD until one contains
# PATTERN; fail after 10 s without it.
wait_line() {
	local fd=$1 pattern=$2 who=$3 line
	while IFS= read -r -t 10 -u "$fd" line; do
		printf '  %s| %s\n' "$who" "$line"
		[[ $line == *"$pattern"* ]] && return 0
	done
	echo "demo: timed out waiting for '$pattern' from $who" >&2
	return 1
}

# start_sim: start heddle-sim on the repo and wait for its "ready" line.
start_sim() {
	rm -f "$tmp/sim.fifo" && mkfifo "$tmp/sim.fifo"
	"$SIM" --repo "$repo" --log-level warn 2>"$tmp/sim.fifo" &
	sim_pid=$!
	exec 3<"$tmp/sim.fifo"
	wait_line 3 "heddle-sim: ready" daemon
	# Keep draining its stderr so it never blocks on a full pipe.
	cat <&3 >/dev/null &
}

say "a heddle repository with heddle-sim serving it"
start_sim

say "heddle-ls status"
"$LS" status "$repo"

say "heddle-ls ops --limit 5"
"$LS" ops "$repo" --limit 5

say "heddle-ls explain"
"$LS" explain "$repo"

say "heddle-ls watch, while the daemon stops and starts again"
mkfifo "$tmp/watch.fifo"
"$LS" watch "$repo" >"$tmp/watch.fifo" &
watch_pid=$!
exec 4<"$tmp/watch.fifo"
wait_line 4 ready watch

echo "  (stopping the daemon with SIGINT)"
kill -INT "$sim_pid"
wait "$sim_pid" || true
sim_pid=
wait_line 4 stopped watch

echo "  (starting it again)"
start_sim
wait_line 4 ready watch

say "heddle-ls status --json"
"$LS" status --json "$repo"

kill -TERM "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null || true
watch_pid=
exec 4<&-

# Part 2: heddle 0.13.0 has no agent daemon. heddle-sim answers as its CLI
# (the wrapper fixes the release, as an installed heddle would be).
repo2=$tmp/current
mkdir -p "$repo2/.heddle/objects" "$tmp/bin"
printf '#!/bin/sh\nHEDDLE_SIM_VERSION=0.13.0 exec %q cli "$@"\n' "$SIM" >"$tmp/bin/heddle"
chmod +x "$tmp/bin/heddle"
heddle=(--heddle "$tmp/bin/heddle")

say "a current heddle (0.13.0): no agent daemon; queries through its CLI"
"$LS" status "${heddle[@]}" "$repo2" || true

say "heddle-ls ops --limit 3"
"$LS" ops "${heddle[@]}" "$repo2" --limit 3

say "heddle-ls signals"
"$LS" signals "${heddle[@]}" "$repo2"

say "heddle-ls watch --operations, while an operation is appended and a mount daemon runs and dies"
rm -f "$tmp/watch.fifo" && mkfifo "$tmp/watch.fifo"
"$LS" watch --operations "${heddle[@]}" "$repo2" >"$tmp/watch.fifo" &
watch_pid=$!
exec 4<"$tmp/watch.fifo"
wait_line 4 "has no agent daemon" watch
echo "  (heddle-sim append: a new segment, then a rename onto oplog/oplog.manifest)"
head=$("$SIM" append --repo "$repo2" --heddle-version 0.13.0 --count 1 --verb snapshot)
wait_line 4 "head $head" watch
echo "  (a mount daemon with two mounts: its endpoint file appears)"
rm -f "$tmp/mount.fifo" && mkfifo "$tmp/mount.fifo"
"$SIM" mountd --repo "$repo2" --protocol 3 --mounts 2 2>"$tmp/mount.fifo" </dev/null &
mount_pid=$!
cat "$tmp/mount.fifo" >/dev/null &
wait_line 4 "mount daemon running" watch
echo "  (killing it with SIGKILL: its files stay behind, its exit is seen)"
kill -KILL "$mount_pid"; wait "$mount_pid" 2>/dev/null || true
mount_pid=
wait_line 4 "left its endpoint behind" watch

say "done: cleaning up"
