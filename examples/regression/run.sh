#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The regression of regression.plan.json on a private jobd instance (its own bus, cgroup and state folder):
# two builds, simulations after each that hold one of two licences, a lint and a coverage merge. The gate
# build fails, so its simulation is skipped; once fixed, the run's failed and skipped jobs run again.
#
#   examples/regression/run.sh [BUILD_DIR]        (as root: it creates a cgroup; default BUILD_DIR: build)
set -euo pipefail
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"

here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${1:-build}")
jobd="$build/src/jobd/jobd"
export PATH="$build/src/jobctl:$PATH"
[ -x "$jobd" ] || { echo "run.sh: no $jobd; build first: meson setup build && meson compile -C build" >&2; exit 2; }

tmp=$(mktemp -d /tmp/jobd-regression.XXXXXX)
v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$v2" ] || { echo "run.sh: no cgroup v2 hierarchy is mounted" >&2; exit 1; }
cgroot="$v2/jobd-regression-$$"
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
trap 'exit 130' INT
trap 'exit 143' TERM

dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$tmp/address" 2>/dev/null &
dbus_pid=$!
for _ in $(seq 100); do [ -s "$tmp/address" ] && break; sleep 0.05; done
export JOBD_BUS_ADDRESS=$(head -n1 "$tmp/address")

mkdir "$cgroot"
"$jobd" --bus-address="$JOBD_BUS_ADDRESS" --cgroup-root="$cgroot" --state-dir="$tmp/state" \
        --config="$here/jobd.conf" --max-parallel=8 --log-level=warning &
jobd_pid=$!
for _ in $(seq 100); do jobctl status >/dev/null 2>&1 && break; sleep 0.05; done

echo "== pools and groups from jobd.conf"
jobctl pools
jobctl groups
echo
echo "== the nightly plan, with the gate build broken"
export STEP_STATE="$tmp/steps"
mkdir "$STEP_STATE"
touch "$STEP_STATE/broken-build-gate"
jobctl plan --wait "$here/regression.plan.json" || true
echo
jobctl list
echo
echo "== the gate build fixed: run the failed and skipped jobs again"
rm "$STEP_STATE/broken-build-gate"
jobctl run-retry 1 failed
jobctl wait 2 6
jobctl run-status 1
