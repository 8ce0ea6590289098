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
. "$here/../private-jobd.sh"
private_jobd_start regression "${1:-build}" --config="$here/jobd.conf" --max-parallel=8

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
echo
echo "== the next night: all green; its report compares it with the night before (KeepRuns=2)"
jobctl plan --wait --progress "$here/regression.plan.json" >/dev/null
jobctl compare 2
mkdir "$tmp/reports"
jobctl report 2 --write="$tmp/reports"
ls "$tmp/reports"
