#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A first regression on a private jobd instance: its own D-Bus bus, its own cgroup, its own state folder.
# One job leaves daemonized, SIGTERM-ignoring processes behind; jobd reaps them all.
#
#   examples/demo.sh [BUILD_DIR]        (as root: it creates a cgroup; default BUILD_DIR: build)
set -euo pipefail
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"

build=$(realpath "${1:-build}")
jobd="$build/src/jobd/jobd"
export PATH="$build/src/jobctl:$PATH"
[ -x "$jobd" ] || { echo "demo: no $jobd; build first: meson setup build && meson compile -C build" >&2; exit 2; }

tmp=$(mktemp -d /tmp/jobd-demo.XXXXXX)
v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$v2" ] || { echo "demo: no cgroup v2 hierarchy is mounted" >&2; exit 1; }
cgroot="$v2/jobd-demo-$$"
dbus_pid= jobd_pid=

cleanup() {
        [ -n "$jobd_pid" ] && kill "$jobd_pid" 2>/dev/null && wait "$jobd_pid" 2>/dev/null || true
        for cg in "$cgroot"/jobd-*; do
                [ -d "$cg" ] || continue
                echo 1 > "$cg/cgroup.kill" 2>/dev/null || true
                for _ in $(seq 100); do grep -q 'populated 0' "$cg/cgroup.events" && break; sleep 0.02; done
                rmdir "$cg" 2>/dev/null || true
        done
        rmdir "$cgroot" 2>/dev/null || true
        [ -n "$dbus_pid" ] && kill "$dbus_pid" 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT
# Without these, bash skips the EXIT trap when interrupted and the demo's cgroup would stay.
trap 'exit 130' INT
trap 'exit 143' TERM

dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$tmp/address" 2>/dev/null &
dbus_pid=$!
for _ in $(seq 100); do [ -s "$tmp/address" ] && break; sleep 0.05; done
export JOBD_BUS_ADDRESS=$(head -n1 "$tmp/address")

mkdir "$cgroot"
"$jobd" --bus-address="$JOBD_BUS_ADDRESS" --cgroup-root="$cgroot" --state-dir="$tmp/state" \
        --max-parallel=2 --log-level=warning &
jobd_pid=$!
for _ in $(seq 100); do jobctl status >/dev/null 2>&1 && break; sleep 0.05; done

echo "== jobd on a private bus, job cgroups below $cgroot"
jobctl status
echo

# The "simulator" daemonizes 20 helpers that ignore SIGTERM, then exits: a process-tree walker loses them.
cat > "$tmp/leaky-sim.sh" <<'SIM'
for i in $(seq 20); do
        setsid sh -c 'echo $$ >> "$0"; trap "" TERM; exec sleep 600' "$1" </dev/null >/dev/null 2>&1 &
done
while [ "$(wc -l < "$1" 2>/dev/null || echo 0)" -lt 20 ]; do sleep 0.05; done
echo "simulation finished, 20 daemons left running"
SIM

jobctl submit --name=build -- sh -c 'echo compiling; sleep 1; echo build ok' >/dev/null
jobctl submit --name=leaky-sim -- sh "$tmp/leaky-sim.sh" "$tmp/orphans" >/dev/null
jobctl submit --name=flaky-test -- sh -c 'echo "assertion failed"; exit 1' >/dev/null
jobctl submit --name=hung-test --timeout=2s -- sleep 600 >/dev/null
jobctl submit --name=report --priority=-1 -- sh -c 'echo all reports written' >/dev/null

echo "== live status (jobctl wait --all --progress)"
jobctl wait --all --progress || true
echo
echo "== summary (jobctl list)"
jobctl list
echo
echo "== the leaky job (jobctl show 2)"
jobctl show 2 | grep -E 'Name|State|Result|StrayProcessesKilled|ControlGroup'
alive=0
for pid in $(cat "$tmp/orphans" 2>/dev/null); do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
echo "daemonized orphans still alive: $alive of $(wc -l < "$tmp/orphans")"
echo
echo "== log of the failed job (jobctl logs 3)"
jobctl logs 3
