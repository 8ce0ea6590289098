# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the plan, run and pool scenarios (tests/integration/plan-*.sh), on top of lib.sh:
#
#     . "$(dirname "$0")/../helpers/lib.sh"
#     . "$(dirname "$0")/../helpers/plans.sh"

run_path() {
        echo "/org/jobd1/run/$1"
}

# run_prop ID PROP: a property of org.jobd1.Run, unquoted for strings.
run_prop() {
        local out
        out=$(bctl get-property org.jobd1 "$(run_path "$1")" org.jobd1.Run "$2") ||
                fail "cannot read property $2 of run $1"
        unwrap "$out"
}

# run_count ID PROP KEY: one entry of StateCounts/ResultCounts (a{su}) as a number.
run_count() {
        bctl --json=short get-property org.jobd1 "$(run_path "$1")" org.jobd1.Run "$2" | jq -r ".data.\"$3\""
}

# plan_submit FILE [JOBCTL PLAN OPTIONS...]: submits through jobctl, echoes the run id.
plan_submit() {
        local out rc=0
        out=$(jobctl --json=short plan "$@" 2>"$TEST_TMP/plan.err") || rc=$?
        [[ "$rc" == 0 ]] || fail "jobctl plan $* failed with $rc: $(cat "$TEST_TMP/plan.err") $out"
        jq -er .run <<<"$out" || fail "no run id in the output of jobctl plan: '$out'"
}

# run_job_id RUN NAME: the id of the job of that name in the run (Run.ListJobs).
run_job_id() {
        local out
        out=$(bctl --json=short call org.jobd1 "$(run_path "$1")" org.jobd1.Run ListJobs) ||
                fail "ListJobs of run $1 failed"
        jq -er --arg n "$2" '.data[0][] | select(.[1] == $n) | .[0]' <<<"$out" ||
                fail "run $1 has no job named $2"
}

run_state_is() {
        [[ "$(unwrap "$(bctl get-property org.jobd1 "$(run_path "$1")" org.jobd1.Run State 2>/dev/null)")" == "$2" ]]
}

# wait_run_done ID [TIMEOUT]: bounded poll of the run's State (jobctl plan --wait is tested on its own).
wait_run_done() {
        wait_until "${2:-30}" "run $1 to be done" run_state_is "$1" done
}

# nothing_queued WHAT: no job and no run exist (after a refused plan).
nothing_queued() {
        local jobs runs
        jobs=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs | jq '.data[0] | length')
        runs=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListRuns | jq '.data[0] | length')
        assert_eq 0 "$jobs" "$1: jobs queued"
        assert_eq 0 "$runs" "$1: runs created"
}
