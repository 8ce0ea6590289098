#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nothing is lost when jobd restarts (SIGKILL): the controls clients set at run time (MaxParallel, a pool's
# capacity, a group's limit, a slot pool and which of its slots is quarantined), a re-adopted job keeps
# its device (the next job gets another one), a frozen job and a paused run stay paused, a job that was
# retried does not get its retries anew, and a drain holds. An edited jobd.conf wins over saved values.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup
printf '[Pool lic]\nCapacity=1\n[Group builds]\nLimit=2\n' >"$TEST_TMP/jobd.conf"
start() {
        jobd_start --max-parallel=8 --config="$TEST_TMP/jobd.conf"
}
start

expect_rc 0 "jobctl set-parallel 6" jobctl set-parallel 6
expect_rc 0 "jobctl pool lic 5" jobctl pool lic 5
expect_rc 0 "jobctl group sims 3" jobctl group sims 3
expect_rc 0 "jobctl slot-pool" jobctl slot-pool board b0 b1 b2 --quarantine-after=1
expect_rc 0 "jobctl group builds 0" jobctl group builds 0   # jobd.conf's limit lifted

# b0 fails once: quarantined.
bad=$(submit --resource=board=1 -- sh -c 'echo $JOBD_SLOT_BOARD; exit 1')
wait_done "$bad"
assert_eq b0 "$(jobctl logs "$bad")" "the board of the failing job"
assert_match "b0 +QUARANTINED" "$(jobctl pools)" "b0 quarantined before the restart"

release="$TEST_TMP/release"
waiter="while [ ! -e $release ]; do sleep 0.05; done"
# A job holding b2 across the restart, while b1 (listed before it) is free again.
early=$(submit --resource=board=1 -- sh -c "echo \$JOBD_SLOT_BOARD; while [ ! -e $release.early ]; do sleep 0.05; done")
wait_state "$early" running
holder=$(submit --resource=board=1 -- sh -c "echo \$JOBD_SLOT_BOARD; $waiter")
wait_state "$holder" running
touch "$release.early"
wait_done "$early"
assert_eq b1 "$(jobctl logs "$early")" "the board of the job before the holder"
# A frozen job.
frozen=$(submit -- sh -c "$waiter")
wait_state "$frozen" running
expect_rc 0 "jobctl pause" jobctl pause "$frozen"
# A paused group with a running (frozen) job.
simjob=$(submit --group=sims -- sh -c "$waiter")
wait_state "$simjob" running
expect_rc 0 "jobctl pause-group" jobctl pause-group sims
wait_state "$simjob" paused
# A job whose first attempt failed; its second (and last) attempt runs across the restart.
tries="$TEST_TMP/tries"
retried=$(submit --retries=1 -- sh -c "echo x >> $tries; [ \$(wc -l < $tries) -ge 2 ] || exit 3; $waiter; exit 4")
wait_until 10 "the second attempt to start" eval "[ \"\$(wc -l < $tries)\" -ge 2 ]"
wait_state "$retried" running
assert_eq 2 "$(job_prop "$retried" Attempt)" "Attempt before the restart"
# A paused run: its running job frozen, its other job not started.
cat >"$TEST_TMP/plan.json" <<JSON
{ "name": "held", "jobs": [
    { "name": "first", "command": ["sh", "-c", "$waiter"] },
    { "name": "second", "command": ["true"], "after": ["first"], "after_condition": "any" } ] }
JSON
run=$(plan_submit "$TEST_TMP/plan.json")
first=$(run_job_id "$run" first)
wait_state "$first" running
expect_rc 0 "jobctl run-pause" jobctl run-pause "$run"
wait_state "$first" paused

# A job waiting 4 s for its second attempt when jobd goes: it waits the rest of it after the restart.
delayed=$(bsubmit 3 Argv as 3 sh -c "test -e $TEST_TMP/delayed && exit 0; touch $TEST_TMP/delayed; exit 3" \
        Retries u 1 RetryDelayUSec t 4000000)
wait_state "$delayed" waiting

jobd_crash
start
assert_eq waiting "$(job_prop "$delayed" State)" "a job waiting for its retry, after the restart"
assert_contains "after a restart of jobd" "$(job_prop "$delayed" Reason)" "its Reason"
assert_eq 6 "$(mgr_prop MaxParallel)" "MaxParallel after the restart"
assert_match "lic +counted +5 " "$(jobctl pools)" "the capacity of lic after the restart"
assert_match "sims +3 +1 +0 +yes" "$(jobctl groups)" "group sims after the restart (limit, running, paused)"
group_limit() {  # GROUP: its limit, 0 for none (a group without a limit or jobs is not listed)
        bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListGroups |
                jq -r --arg g "$1" '[.data[0][] | select(.[0] == $g) | .[1]] | first // 0'
}
assert_eq 0 "$(group_limit builds)" "jobd.conf's group limit, lifted at run time, after the restart"
assert_eq paused "$(job_prop "$simjob" State)" "the job of the paused group after the restart"
assert_match "b0 +QUARANTINED" "$(jobctl pools)" "b0 still quarantined after the restart"
assert_eq running "$(job_prop "$holder" State)" "the job holding b2, re-adopted"
other=$(submit --resource=board=1 -- sh -c 'echo $JOBD_SLOT_BOARD')
wait_done "$other"
assert_eq b1 "$(jobctl logs "$other")" "the board of a job started after the restart (b2 is held, b0 quarantined)"
assert_eq paused "$(job_prop "$frozen" State)" "the frozen job after the restart"
assert_eq 2 "$(job_prop "$retried" Attempt)" "Attempt of the retried job after the restart"
assert_eq paused "$(run_prop "$run" State)" "the paused run after the restart"
assert_eq paused "$(job_prop "$first" State)" "the frozen job of the paused run"

# Again, now from the journal the first restart rewrote.
jobd_crash
start
assert_eq 2 "$(job_prop "$retried" Attempt)" "Attempt of the retried job after a second restart"
other=$(submit --resource=board=1 -- sh -c 'echo $JOBD_SLOT_BOARD')
wait_done "$other"
assert_eq b1 "$(jobctl logs "$other")" "the board of a job started after a second restart"
assert_eq paused "$(job_prop "$frozen" State)" "the frozen job after a second restart"

touch "$release"
wait_done "$retried"
assert_eq failed "$(job_prop "$retried" Result)" "Result of the retried job: its last attempt failed"
assert_eq 2 "$(job_prop "$retried" Attempt)" "no third attempt after the restart"
assert_eq 2 "$(wc -l <"$tries")" "times the retried job ran"
attempts=$(bctl --json=short get-property org.jobd1 "$(job_path "$retried")" org.jobd1.Job Attempts | jq -c .data)
assert_eq '"failed",3' "$(jq -r '.[0][2:4] | map(tojson) | join(",")' <<<"$attempts")" "attempt 1 kept across the restart"
assert_eq '"failed",4' "$(jq -r '.[1][2:4] | map(tojson) | join(",")' <<<"$attempts")" "attempt 2"
wait_done "$holder"
assert_eq b2 "$(jobctl logs "$holder")" "the re-adopted job's board"
expect_rc 0 "jobctl resume" jobctl resume "$frozen"
wait_done "$frozen"
assert_eq success "$(job_prop "$frozen" Result)" "the frozen job once resumed"
expect_rc 0 "jobctl resume-group" jobctl resume-group sims
wait_done "$simjob"
assert_eq success "$(job_prop "$simjob" Result)" "the job of the paused group once resumed"
holds_for 1 run_state_is "$run" paused || fail "the paused run went on after the restart"
expect_rc 0 "jobctl run-resume" jobctl run-resume "$run"
wait_run_done "$run"
assert_eq success "$(run_prop "$run" Result)" "the paused run once resumed"

# A drain holds across a restart, even a clean one; what runs goes on.
runner=$(submit -- sh -c "while [ ! -e $release.drain ]; do sleep 0.05; done")
wait_state "$runner" running
expect_rc 0 "jobctl drain" jobctl drain
kill -TERM "$JOBD_PID"
wait "$JOBD_PID" 2>/dev/null || true
start
assert_eq true "$(mgr_prop Draining)" "Draining after the restart"
assert_eq running "$(job_prop "$runner" State)" "a job running while draining, re-adopted"
held=$(submit -- true)
holds_for 1 job_state_is "$held" queued || fail "a job started while draining after the restart"
touch "$release.drain"
wait_done "$runner"
assert_eq success "$(job_prop "$runner" Result)" "the job that ran across the drained restart"
expect_rc 0 "jobctl undrain" jobctl undrain
wait_done "$held"

# jobd.conf edited: its values win over the saved ones for what it defines; the rest is kept, MaxParallel
# too (jobd.conf does not set it). Another --max-parallel= wins over a saved MaxParallel.
expect_rc 0 "jobctl set-parallel 5" jobctl set-parallel 5
printf '[Pool lic]\nCapacity=2\n[Group builds]\nLimit=2\n' >"$TEST_TMP/jobd.conf"
jobd_crash
start
assert_match "lic +counted +2 " "$(jobctl pools)" "the capacity of lic from the edited jobd.conf"
assert_eq 2 "$(group_limit builds)" "the limit of builds from the edited jobd.conf"
assert_eq 5 "$(mgr_prop MaxParallel)" "MaxParallel set at run time, after jobd.conf was edited"
assert_match "sims +3 " "$(jobctl groups)" "a group jobd.conf does not name keeps its saved limit"
assert_match "b0 +QUARANTINED" "$(jobctl pools)" "the quarantine is kept"
wait_done "$delayed"
assert_eq success "$(job_prop "$delayed" Result)" "the job that waited for its retry across the restart"
attempts=$(bctl --json=short get-property org.jobd1 "$(job_path "$delayed")" org.jobd1.Job Attempts | jq -c .data)
assert_int "$(jq '.[1][0] - .[0][1]' <<<"$attempts")" -ge 4000000 \
        "µs between its attempts (its RetryDelayUSec, across the restart)"
attempts=$(bctl --json=short get-property org.jobd1 "$(job_path "$retried")" org.jobd1.Job Attempts | jq -c '[.data[] | .[2:4]]')
assert_eq '[["failed",3],["failed",4]]' "$attempts" "the attempts of a finished job after the journal was rewritten"
assert_eq 1 "$(bctl --json=short get-property org.jobd1 "$(job_path "$frozen")" org.jobd1.Job Attempts | jq '.data | length')" \
        "the attempts of a job that ran once, after the journal was rewritten"
jobd_crash
jobd_start --max-parallel=3 --config="$TEST_TMP/jobd.conf"
assert_eq 3 "$(mgr_prop MaxParallel)" "MaxParallel after a restart with another --max-parallel="
# Every re-adopted job got its own resources back, none ran on outside the limits.
assert_not_contains "outside the limits" "$(cat "$JOBD_LOG")" "jobd's log"
assert_not_contains "Could not be" "$(cat "$JOBD_LOG")" "jobd's log (a job lost at a restart)"
daemon_still_ok
