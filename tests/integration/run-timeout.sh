#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run-level control (issue 11): a plan's "timeout" cancels the run's unfinished jobs and the run's result
# is "timeout" (the finished keep theirs; Retry() starts the watchdog afresh); Ctrl-C (SIGINT, SIGTERM) on
# `jobctl plan --wait` cancels the run and exits 128+signal, with --detach it only stops waiting; time spent
# paused (also across a restart of jobd) does not count toward a job's TimeoutUSec.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=4

# A run timeout.
cat >"$TEST_TMP/slow.json" <<'JSON'
{ "name": "slow", "timeout": "1500ms",
  "jobs": [
    { "name": "quick", "command": ["true"] },
    { "name": "long", "command": ["sleep", "60"], "after": ["quick"] },
    { "name": "later", "command": ["true"], "after": ["long"] } ] }
JSON
t0=$(now_ms)
run=$(plan_submit "$TEST_TMP/slow.json")
assert_eq 1500000 "$(run_prop "$run" TimeoutUSec)" "Run.TimeoutUSec"
wait_run_done "$run" 20
elapsed=$(($(now_ms) - t0))
assert_int "$elapsed" -ge 1400 "ms until the run's timeout ended it"
assert_eq timeout "$(run_prop "$run" Result)" "Result of a run past its timeout"
assert_eq success "$(job_prop "$(run_job_id "$run" quick)" Result)" "a job that finished before the timeout"
assert_eq cancelled "$(job_prop "$(run_job_id "$run" long)" Result)" "the running job at the timeout"
assert_eq cancelled "$(job_prop "$(run_job_id "$run" later)" Result)" "a job that had not started"
assert_contains "timeout" "$(jobctl runs)" "jobctl runs shows the result"
# Retry() starts the watchdog afresh: the rerun times out again rather than at once.
t0=$(now_ms)
bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s failed >/dev/null || fail "Retry failed"
wait_until 10 "the rerun to start its long job" job_state_is "$(run_job_id "$run" long)" running
wait_run_done "$run" 20
assert_int "$(($(now_ms) - t0))" -ge 1400 "ms until the retried run timed out again"
assert_eq timeout "$(run_prop "$run" Result)" "Result of the retried run"

# The watchdog holds across a restart of jobd (its deadline is kept), and so does the result.
cat >"$TEST_TMP/slow2.json" <<'JSON'
{ "name": "slow2", "timeout": "3s", "jobs": [ { "name": "long", "command": ["sleep", "60"] } ] }
JSON
t0=$(now_ms)
run=$(plan_submit "$TEST_TMP/slow2.json")
wait_until 10 "its job to run" job_state_is "$(run_job_id "$run" long)" running
jobd_crash
jobd_start --max-parallel=4
wait_run_done "$run" 20
elapsed=$(($(now_ms) - t0))
assert_int "$elapsed" -ge 2900 "ms until the run's timeout ended it across a restart"
assert_int "$elapsed" -lt 15000 "ms until the run's timeout ended it across a restart (not counted afresh)"
assert_eq timeout "$(run_prop "$run" Result)" "Result of a run timed out across a restart"
jobd_crash
jobd_start --max-parallel=4
assert_eq timeout "$(run_prop "$run" Result)" "Result of a timed out run after another restart"

# Ctrl-C on plan --wait cancels the run.
cat >"$TEST_TMP/wait.json" <<'JSON'
{ "name": "interrupted", "jobs": [ { "name": "sleeper", "command": ["sleep", "60"] } ] }
JSON
for sig in INT TERM; do
        out="$TEST_TMP/wait-$sig.out"
        "$JOBCTL" plan --wait "$TEST_TMP/wait.json" >"$out" 2>&1 9>&- &
        pid=$!
        BG_PIDS+=("$pid")
        wait_until 10 "the run of plan --wait to start" grep -q "jobs submitted" "$out"
        run=$(sed -n 's/^Run \([0-9]*\) .*/\1/p' "$out" | head -n 1)
        wait_until 10 "its job to run" job_state_is "$(run_job_id "$run" sleeper)" running
        kill -"$sig" "$pid"
        rc=0
        wait "$pid" || rc=$?
        assert_eq $((128 + $(kill -l "$sig"))) "$rc" "exit status of plan --wait after SIG$sig"
        assert_eq cancelled "$(run_prop "$run" Result)" "Result of the run after SIG$sig on plan --wait"
        assert_contains "Cancelling run $run" "$(cat "$out")" "what plan --wait says on SIG$sig"
done

# --detach: Ctrl-C only stops waiting.
out="$TEST_TMP/wait-detach.out"
"$JOBCTL" plan --wait --detach "$TEST_TMP/wait.json" >"$out" 2>&1 9>&- &
pid=$!
BG_PIDS+=("$pid")
wait_until 10 "the run of plan --wait --detach to start" grep -q "jobs submitted" "$out"
run=$(sed -n 's/^Run \([0-9]*\) .*/\1/p' "$out" | head -n 1)
wait_until 10 "its job to run" job_state_is "$(run_job_id "$run" sleeper)" running
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 130 "$rc" "exit status of plan --wait --detach after SIGINT"
assert_eq running "$(run_prop "$run" State)" "the run goes on after Ctrl-C with --detach"
bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Cancel || fail "Run.Cancel failed"
wait_run_done "$run" 20

# Paused time does not count toward TimeoutUSec: 1.2 s of work, a 2 s timeout, 2.5 s paused.
id=$(submit --timeout=2 -- sh -c 'sleep 1.2; echo finished')
wait_state "$id" running
expect_rc 0 "jobctl pause" jobctl pause "$id"
sleep 2.5
assert_eq paused "$(job_prop "$id" State)" "a paused job past its timeout in wall time"
expect_rc 0 "jobctl resume" jobctl resume "$id"
wait_done "$id" 20
assert_eq success "$(job_prop "$id" Result)" "a job whose time paused is not counted"
# And the timeout still holds for running time.
id=$(submit --timeout=1 -- sleep 30)
wait_state "$id" running
expect_rc 0 "jobctl pause" jobctl pause "$id"
sleep 0.5
expect_rc 0 "jobctl resume" jobctl resume "$id"
wait_done "$id" 20
assert_eq timeout "$(job_prop "$id" Result)" "a paused and resumed job still times out"

# Nor across a restart of jobd: paused before it and after it, the job still has its time. Its 1.2 s of
# work are short sleeps: a frozen sleep(1) returns at once when thawed if its time passed meanwhile.
id=$(submit --timeout=2 -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 0.1; done; echo finished')
wait_state "$id" running
expect_rc 0 "jobctl pause" jobctl pause "$id"
sleep 1.5
jobd_crash
jobd_start --max-parallel=4
assert_eq paused "$(job_prop "$id" State)" "the paused job after a restart"
sleep 1
expect_rc 0 "jobctl resume" jobctl resume "$id"
wait_done "$id" 20
assert_eq success "$(job_prop "$id" Result)" "a job paused across a restart, its time paused not counted"
rc=0
jobctl plan --detach "$TEST_TMP/wait.json" 2>/dev/null || rc=$?
assert_eq 2 "$rc" "exit code of plan --detach without --wait (usage)"
