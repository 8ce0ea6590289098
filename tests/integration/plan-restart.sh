#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A run across a restart of jobd (SIGKILL): the run comes back with its name and counts, its jobs keep the
# plan's shared environment, a re-adopted job keeps its licence (the next one still waits for it), and the
# run finishes and says so.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup
printf '[Pool lic]\nCapacity=1\n' >"$TEST_TMP/jobd.conf"
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"

release="$TEST_TMP/release"
cat >"$TEST_TMP/plan.json" <<JSON
{ "name": "across", "inherit_environment": false,
  "defaults": { "env": { "PLANVAR": "shared" }, "resources": { "lic": 1 } },
  "jobs": [
    { "name": "holder", "command": ["sh", "-c", "while [ ! -e $release ]; do sleep 0.05; done; echo \$PLANVAR"] },
    { "name": "next", "command": ["sh", "-c", "echo \$PLANVAR \$OWN"], "env": { "OWN": "mine" } },
    { "name": "fails", "command": ["sh", "-c", "exit 3"], "resources": {} },
    { "name": "skipped", "command": ["true"], "after": ["fails"], "resources": {} } ] }
JSON
run=$(plan_submit "$TEST_TMP/plan.json")
holder=$(run_job_id "$run" holder)
next=$(run_job_id "$run" next)
wait_state "$holder" running
wait_done "$(run_job_id "$run" skipped)"
assert_eq queued "$(job_prop "$next" State)" "the second licence user before the restart"

jobd_crash
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"
assert_eq across "$(run_prop "$run" Name)" "Name of the run after the restart"
assert_eq running "$(run_prop "$run" State)" "State of the run after the restart"
assert_eq 1 "$(run_count "$run" ResultCounts failed)" "failed jobs of the run after the restart"
assert_eq 1 "$(run_count "$run" ResultCounts skipped)" "skipped jobs of the run after the restart"
assert_eq running "$(job_prop "$holder" State)" "the licence holder, re-adopted"
holds_for 1 job_state_is "$next" queued || fail "the next licence user started while the holder still runs"
assert_eq "PLANVAR=shared" "$(job_prop_json "$next" Environment | jq -r '.[0]')" \
        "the plan's environment of a restored job"

touch "$release"
wait_run_done "$run" 30
assert_eq "shared mine" "$(jobctl logs "$next")" "log of the job that ran after the restart"
assert_eq shared "$(jobctl logs "$holder")" "log of the re-adopted job"
assert_eq failed "$(run_prop "$run" Result)" "Result of the run"
assert_match "$run +across +done +failed +4 +4 +2" "$(jobctl runs)" "jobctl runs after the restart"

# Once more: a finished run comes back finished; new runs and jobs continue after the old ids.
jobd_crash
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"
assert_eq done "$(run_prop "$run" State)" "State of the finished run after a second restart"
assert_eq 2 "$(run_count "$run" ResultCounts success)" "succeeded jobs after a second restart"
printf '{ "jobs": [ { "name": "later", "command": "true" } ] }' >"$TEST_TMP/later.json"
later=$(plan_submit "$TEST_TMP/later.json")
assert_int "$later" -gt "$run" "id of a run submitted after the restarts"
assert_int "$(run_job_id "$later" later)" -gt 4 "id of its job"
wait_run_done "$later"
daemon_still_ok
