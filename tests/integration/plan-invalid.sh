#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad plans (issue 3) are refused as a whole, before anything is queued, with a message that names the
# place: the file, the job and the key (jobctl), the job and the key (D-Bus). Cycles are DependencyCycle and
# name the cycle by the jobs' names. After every refusal no job and no run exists.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start

# refused NAME JSON NEEDLE...: jobctl plan of that file exits 1, its message has every needle.
refused() {
        local name=$1 json=$2 rc
        shift 2
        printf '%s\n' "$json" >"$TEST_TMP/$name.json"
        run_rc rc jobctl plan "$TEST_TMP/$name.json"
        assert_eq 1 "$rc" "exit status of jobctl plan $name.json"
        for needle in "$@"; do
                assert_contains "$needle" "$RUN_ERR" "message for $name.json"
        done
        nothing_queued "$name.json"
}

refused cycle '{ "jobs": [
  { "name": "build", "command": "true", "after": ["merge"] },
  { "name": "test", "command": "true", "after": ["build"] },
  { "name": "merge", "command": "true", "after": ["test"] },
  { "name": "lint", "command": "true" } ] }' \
        "$TEST_TMP/cycle.json: Dependency cycle: " "build → test → merge → build" \
        "(each runs after the one before it)"
refused self '{ "jobs": [ { "name": "narcissus", "command": "true", "after": "narcissus" } ] }' \
        "self.json: Dependency cycle: narcissus → narcissus"
refused unknown '{ "jobs": [ { "name": "a", "command": "true" },
  { "name": "b", "command": "true", "after": ["a", "c"] } ] }' \
        "$TEST_TMP/unknown.json: jobs[1] (b): After: no job named \"c\" in the plan"
refused duplicate '{ "jobs": [ { "name": "a", "command": "true" }, { "name": "b", "command": "true" },
  { "name": "a", "command": "false" } ] }' \
        "$TEST_TMP/duplicate.json: jobs[2] (a): Name: \"a\" is already the name of jobs[0] (a)"
refused type-retries '{ "jobs": [ { "name": "a", "command": "true" },
  { "name": "t", "command": "true", "retries": "three" } ] }' \
        "$TEST_TMP/type-retries.json: jobs[1] (t): retries: expected an integer, got \"three\""
refused type-command '{ "jobs": [ { "name": "a", "command": 42 } ] }' \
        "type-command.json: jobs[0] (a): command: expected an array of strings, got 42"
refused type-timeout '{ "defaults": { "timeout": true }, "jobs": [ { "command": "true" } ] }' \
        "type-timeout.json: defaults: timeout: expected a number of seconds"
refused type-jobs '{ "jobs": { "a": "true" } }' "type-jobs.json: jobs: expected an array of jobs"
refused typo '{ "jobs": [ { "name": "a", "command": "true", "afterr": ["b"] } ] }' \
        "typo.json: jobs[0] (a): afterr: unknown key"
refused syntax '{ "jobs": [
  { "name": "a", "command": "true" }
  { "name": "b", "command": "true" } ] }' "syntax.json:3:3: JSON syntax error"
refused relative '{ "jobs": [ { "name": "a", "command": "true", "cwd": "" } ] }' "jobs[0] (a): cwd: must not be empty"
refused badenv '{ "jobs": [ { "name": "a", "command": "true", "env": ["NOPE"] } ] }' \
        "jobs[0] (a): env: \"NOPE\" is not of the form NAME=VALUE"

# Straight over D-Bus: error names, and the job and key in the message.
expect_bus_error org.jobd1.Error.DependencyCycle "a cycle through SubmitPlan" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 2 \
        3 Name s x Argv as 1 true After as 1 y 3 Name s y Argv as 1 true After as 1 x 0
assert_eq "Dependency cycle: x → y → x (each runs after the one before it)" "$BUS_ERR_MSG" "cycle message"
expect_bus_error org.jobd1.Error.InvalidSpec "a wrong type in a plan's job" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 2 \
        2 Name s ok Argv as 1 true 3 Name s bad Argv as 1 true Retries s three 0
assert_eq "jobs[1] (bad): Retries: must be of type 'u', got 's'" "$BUS_ERR_MSG" "message for a wrong type"
expect_bus_error org.jobd1.Error.InvalidSpec "After of a wrong type" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 1 2 Argv as 1 true After i 3 0
assert_contains "jobs[0]: After: must be of type 'at' (ids) or 'as' (names of the plan's jobs)" "$BUS_ERR_MSG" \
        "message for After of a wrong type"
expect_bus_error org.jobd1.Error.InvalidSpec "an unknown job id in a plan" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 1 3 Name s a Argv as 1 true After at 1 99 0
assert_eq "jobs[0] (a): After: no job with id 99" "$BUS_ERR_MSG" "message for an unknown id"
expect_bus_error org.jobd1.Error.InvalidSpec "Argv among the plan's defaults" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 1 1 Argv as 1 true 1 Argv as 1 true
assert_eq "options: Argv: is for each job, not a default of the plan" "$BUS_ERR_MSG" "message for Argv in options"
expect_bus_error org.jobd1.Error.InvalidSpec "an empty plan" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 0 0
expect_bus_error org.jobd1.Error.InvalidSpec "a relative WorkingDirectory among the defaults" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' 1 1 Argv as 1 true \
        1 WorkingDirectory s tmp
assert_contains "defaults: WorkingDirectory: must be an absolute path" "$BUS_ERR_MSG" "message for bad defaults"
nothing_queued "the refused D-Bus plans"

# Refusals use up no ids: the first plan accepted is run 1 with jobs from 1.
printf '{ "jobs": [ { "name": "fine", "command": "true" } ] }' >"$TEST_TMP/fine.json"
assert_eq 1 "$(plan_submit "$TEST_TMP/fine.json")" "id of the first run accepted"
assert_eq 1 "$(run_job_id 1 fine)" "id of its job"
expect_bus_error org.jobd1.Error.NoSuchRun "GetRun of an unknown run" call org.jobd1 /org/jobd1 org.jobd1.Manager GetRun t 7
run_rc rc jobctl run-status 7
assert_eq 3 "$rc" "exit status of jobctl run-status for an unknown run"
daemon_still_ok
