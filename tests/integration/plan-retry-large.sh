#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 2: Run.Retry() of a large run replies at once and announces the requeued jobs over the
# next loop iterations. Checked without timing: the reply says all N, another client's Get is answered
# meanwhile, every job ends up queued again (none done, the blocker the only one running, the counts of
# the run and the manager agree); a Cancel() in the middle of the announcing cancels them all, and the
# run's jobs are all done with nothing left in the scheduler. Figures: bench/loop-latency.sh --ops=retry.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
N=${RETRY_LARGE_JOBS:-20000}
jobd_start --max-parallel=1 --keep-finished=$((N + 100))

{
        printf '{"name": "big", "jobs": [{"name": "blocker", "command": ["sleep", "3600"]}'
        for ((i = 1; i < N; i++)); do printf ',{"name":"j%d","command":["true"]}' "$i"; done
        printf ']}\n'
} >"$TEST_TMP/big.json"
run=$(plan_submit "$TEST_TMP/big.json")
blocker=$(run_job_id "$run" blocker)
wait_until 30 "the blocker to run" job_state_is "$blocker" running
bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Cancel >/dev/null || fail "Cancel of the run failed"
wait_run_done "$run" 120
assert_eq "$N" "$(run_count "$run" ResultCounts cancelled)" "jobs cancelled before the retry"

out=$(bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s failed) || fail "Retry failed"
assert_eq "u $N" "$out" "jobs Retry(failed) queued again"
# Answered while (or after) the jobs are announced: the loop is not blocked for good.
mgr_prop JobsQueued >/dev/null
assert_ne done "$(run_prop "$run" State)" "State of the run right after its Retry()"
# A second Retry() meanwhile is refused: the run is not done.
expect_bus_error org.jobd1.Error.NotRunning "a second Retry() of a run being requeued" \
        call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s failed

wait_until 120 "the blocker to run again" job_state_is "$blocker" running
assert_eq 1 "$(mgr_prop JobsRunning)" "jobs running after the retry (the blocker alone, at --max-parallel=1)"
assert_eq $((N - 1)) "$(mgr_prop JobsQueued)" "jobs queued after the retry"
assert_eq $((N - 1)) "$(run_count "$run" StateCounts queued)" "queued jobs of the run after the retry"
assert_eq 0 "$(run_count "$run" StateCounts done)" "done jobs of the run after the retry"
last=$(run_job_id "$run" "j$((N - 1))")
assert_eq queued "$(job_prop "$last" State)" "State of the run's last job"
assert_eq "" "$(job_prop "$last" Result)" "Result of the run's last job, queued again"

# Cancel, retry, and cancel again at once: the second Cancel() lands while the jobs are announced.
bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Cancel >/dev/null || fail "second Cancel failed"
wait_run_done "$run" 120
out=$(bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s all) || fail "Retry(all) failed"
assert_eq "u $N" "$out" "jobs Retry(all) queued again"
bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Cancel >/dev/null || fail "Cancel during the retry failed"
wait_run_done "$run" 120
assert_eq cancelled "$(run_prop "$run" Result)" "Result of the run cancelled during its retry"
assert_eq "$N" "$(run_count "$run" ResultCounts cancelled)" "jobs cancelled during the retry"
assert_eq 0 "$(mgr_prop JobsQueued)" "jobs queued after the cancel"
assert_eq 0 "$(mgr_prop JobsRunning)" "jobs running after the cancel"
assert_eq cancelled "$(job_prop "$last" Result)" "Result of the run's last job"
log "ok"
