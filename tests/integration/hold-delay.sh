#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Jobs that wait on purpose: submit --hold, hold/release of a waiting or queued job (pueue's stash and
# enqueue), set-priority of a queued job, and --delay/--at (NotBeforeUSec: a timer, not polling), which
# holds across a restart of the daemon.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --max-parallel=1

not_running() { ! job_state_is "$1" running && ! job_state_is "$1" done; }

# --- submit --hold, then release ---------------------------------------------------------------------
h=$(submit --hold -- true)
assert_eq waiting "$(job_prop "$h" State)" "a held job waits"
assert_eq true "$(job_prop "$h" Held)" "Held"
assert_contains "held" "$(job_prop "$h" Reason)" "Reason of a held job"
holds_for 1 not_running "$h" || fail "the held job started"
expect_rc 0 "release" jobctl release "$h"
wait_done "$h"
assert_eq success "$(job_prop "$h" Result)" "the released job ran"
assert_eq false "$(job_prop "$h" Held)" "Held after release"
assert_eq "" "$(job_prop "$h" Reason)" "the hold's Reason is gone"

# --- hold a queued job; release it; hold of a running one is refused ---------------------------------
b=$(submit -- sleep 30)
wait_state "$b" running
q=$(submit -- true)
assert_eq queued "$(job_prop "$q" State)" "behind the running job"
expect_rc 0 "hold a queued job" jobctl hold "$q"
assert_eq waiting "$(job_prop "$q" State)" "a held queued job waits"
expect_rc 1 "hold of a running job" jobctl hold "$b"
expect_bus_error org.jobd1.Error.Busy "Hold of a running job" \
        call -- org.jobd1 "$(job_path "$b")" org.jobd1.Job Hold
expect_rc 0 "release the queued job" jobctl release "$q"
assert_eq queued "$(job_prop "$q" State)" "released, it queues again"

# --- set-priority: a later job with a higher priority starts first -----------------------------------
lo=$(submit -- true)
hi=$(submit -- true)
expect_rc 0 "set-priority" jobctl set-priority "$hi" 5
assert_eq 5 "$(job_prop "$hi" Priority)" "Priority after set-priority"
expect_rc 1 "set-priority of a running job" jobctl set-priority "$b" 9
expect_rc 2 "set-priority with a bad number" jobctl set-priority "$hi" high
jobctl cancel "$b"
wait_done "$lo"
wait_done "$hi"
wait_done "$q"
assert_int "$(job_prop "$hi" StartUSec)" -lt "$(job_prop "$q" StartUSec)" "the raised job started first"
assert_int "$(job_prop "$q" StartUSec)" -lt "$(job_prop "$lo" StartUSec)" "then in submit order"

# --- --delay, --at, and NotBeforeUSec across a restart -------------------------------------------------
t0=$(date +%s%6N)
d=$(submit --delay=2s -- true)
nb=$(job_prop "$d" NotBeforeUSec)
assert_int "$nb" -ge $((t0 + 2000000)) "NotBeforeUSec from --delay=2s"
assert_eq waiting "$(job_prop "$d" State)" "a delayed job waits"
assert_contains "not before" "$(job_prop "$d" Reason)" "Reason of a delayed job"
wait_done "$d" 10
assert_int "$(job_prop "$d" StartUSec)" -ge "$nb" "it started at its time, not before"
assert_eq success "$(job_prop "$d" Result)" "the delayed job ran"

at=$(($(date +%s) + 2))
a=$(submit --at=@"$at" -- true)
assert_eq $((at * 1000000)) "$(job_prop "$a" NotBeforeUSec)" "NotBeforeUSec from --at=@SECONDS"
expect_rc 2 "--at with a bad time" jobctl submit --at=someday -- true
wait_done "$a" 10
assert_int "$(job_prop "$a" StartUSec)" -ge $((at * 1000000)) "--at job started at its time"

# A plan's NotBeforeUSec (a default of SubmitPlan) holds its jobs until then, by the same timer.
nbp=$((($(date +%s) + 2) * 1000000))
out=$(bctl --json=short call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' \
        1 2 Argv as 1 true Name s p1 1 NotBeforeUSec t "$nbp") || fail "SubmitPlan with NotBeforeUSec"
pj=$(jq -r '.data[2][0]' <<<"$out" | sed 's|.*/||')
assert_eq waiting "$(job_prop "$pj" State)" "a plan job with NotBeforeUSec waits"
wait_done "$pj" 10
assert_int "$(job_prop "$pj" StartUSec)" -ge "$nbp" "the plan job started at its time"

r=$(submit --delay=4s -- true)
nb=$(job_prop "$r" NotBeforeUSec)
jobd_crash
jobd_start --max-parallel=1
assert_eq waiting "$(job_prop "$r" State)" "a delayed job still waits after a restart"
assert_contains "not before" "$(job_prop "$r" Reason)" "with its Reason"
wait_done "$r" 15
assert_int "$(job_prop "$r" StartUSec)" -ge "$nb" "after a restart it still started at its time"
daemon_still_ok

# --- a job queued behind a pool whose slots are all quarantined says so ------------------------------
expect_rc 0 "slot-pool" jobctl slot-pool board b0 --quarantine-after=1
bad=$(submit --resource=board=1 -- false)
wait_done "$bad"
w=$(submit --resource=board=1 -- true)
wait_until 10 "the quarantine Reason" bash -c "busctl --address='$BUS' get-property org.jobd1 /org/jobd1/job/$w org.jobd1.Job Reason | grep -q 'all quarantined'"
assert_contains "waiting for a slot of pool board: all quarantined" "$(job_prop "$w" Reason)" "Reason behind a quarantined pool"
expect_rc 0 "release-slot" jobctl release-slot board b0
wait_done "$w"
assert_eq success "$(job_prop "$w" Result)" "the job ran once the slot was released"
assert_not_contains "quarantined" "$(job_prop "$w" Reason)" "the Reason is gone"
daemon_still_ok
