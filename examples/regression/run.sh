#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The regression of regression.plan.json on a private jobd instance (its own bus, cgroup and state folder):
# two builds, simulations after each that hold one of two licences, a lint and a coverage merge. The gate
# build fails, so its simulation is skipped, and a simulation prints UVM_ERROR while exiting 0, which the
# plan's fail_patterns make a failure; once fixed, the run's failed and skipped jobs run again. The plan's
# output_root ("out", beside the plan: here a copy in a scratch folder) gets the jobs' folders, passing/
# failed/ killed/ skipped/ links to them, and report.xml, report.json, summary.md from jobctl plan --wait.
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
echo "== the nightly plan, with the gate build broken and a UVM_ERROR in sim-rtl-fifo (which exits 0)"
export STEP_STATE="$tmp/steps"
mkdir "$STEP_STATE"
cp -r "$here" "$tmp/regression"
rm -rf "$tmp/regression/out"
plan="$tmp/regression/regression.plan.json"
out="$tmp/regression/out"
touch "$STEP_STATE/broken-build-gate" "$STEP_STATE/uvm-error-sim-rtl-fifo"
jobctl plan --wait --progress "$plan" || true
echo
jobctl list
echo
jobctl show 4 | grep -E '^(Result|Reason|FailPatterns|PassPatterns|OutputDirectory|LogPath):'
echo
echo "== its output root"
ls "$out" "$out/passing" "$out/failed" "$out/skipped"
echo
echo "== the gate build and the simulation fixed: run the failed and skipped jobs again"
rm "$STEP_STATE/broken-build-gate" "$STEP_STATE/uvm-error-sim-rtl-fifo"
jobctl run-retry 1 failed
jobctl wait 2 4 6
jobctl run-status 1
ls "$out/passing"
echo
echo "== the next night: sim-rtl-alu prints UVM_ERROR; its summary compares it with the night before (KeepRuns=2)"
touch "$STEP_STATE/uvm-error-sim-rtl-alu"
jobctl plan --wait --progress "$plan" >/dev/null || true
jobctl compare 2 || true
ls "$out" "$out/failed"
sed -n '/^## Compared with/,$p' "$out/summary.md"
