#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A first regression on a private jobd instance: its own D-Bus bus, its own cgroup, its own state folder.
# One job leaves daemonized, SIGTERM-ignoring processes behind; jobd reaps them all.
#
#   examples/demo.sh [BUILD_DIR]        (as root: it creates a cgroup; default BUILD_DIR: build)
set -euo pipefail
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"

. "$(dirname "$0")/private-jobd.sh"
private_jobd_start demo "${1:-build}" --max-parallel=2

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
