#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One user cannot take every run for itself: at most 64 unfinished runs per user; the next SubmitPlan is
# refused with org.jobd1.Error.QuotaExceeded naming the limit, and nothing of it is queued. Once a run
# finishes, a new plan is taken again.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=1

# The first run holds the only slot; the others wait behind it, unfinished.
cat >"$TEST_TMP/hold.json" <<JSON
{ "jobs": [ { "name": "hold", "command": ["sh", "-c", "while [ ! -e '$TEST_TMP/release' ]; do sleep 0.05; done"] } ] }
JSON
cat >"$TEST_TMP/one.json" <<'JSON'
{ "jobs": [ { "name": "one", "command": ["true"] } ] }
JSON
first=$(plan_submit "$TEST_TMP/hold.json")
for i in $(seq 2 64); do
        plan_submit "$TEST_TMP/one.json" >/dev/null
done
jobs_before=$(mcall ListJobs | awk '{print $2}')

rc=0
out=$(jobctl plan "$TEST_TMP/one.json" 2>&1) || rc=$?
assert_ne 0 "$rc" "exit code of the 65th unfinished plan of one user"
assert_contains "64" "$out" "refusal of the 65th plan names the limit"
assert_contains "unfinished runs" "$out" "refusal of the 65th plan says why"
assert_eq "$jobs_before" "$(mcall ListJobs | awk '{print $2}')" "number of jobs after the refused plan"
bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 1 1 Argv as 1 true 0
assert_eq org.jobd1.Error.QuotaExceeded "$BUS_ERR_NAME" "D-Bus error of the 65th plan"

touch "$TEST_TMP/release"
wait_run_done "$first" 30
plan_submit "$TEST_TMP/one.json" >/dev/null
