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

# --- holds across a restart: kill -9, then SIGTERM ---------------------------------------------------
# A held job stays held (the Hold key and Job.Hold() alike); one released before the restart is not.
b=$(submit -- sleep 60)
wait_state "$b" running
h1=$(submit --hold -- true)
h2=$(submit -- true)
expect_rc 0 "hold a queued job before the restart" jobctl hold "$h2"
h3=$(submit --hold -- true)
expect_rc 0 "release before the restart" jobctl release "$h3"
assert_eq queued "$(job_prop "$h3" State)" "released, queued behind the running job"
jobd_crash
jobd_start --max-parallel=1
for h in "$h1" "$h2"; do
        assert_eq true "$(job_prop "$h" Held)" "job $h still held after kill -9"
        assert_eq waiting "$(job_prop "$h" State)" "job $h still waits after kill -9"
        assert_contains "held" "$(job_prop "$h" Reason)" "job $h has the hold's Reason after kill -9"
done
assert_eq false "$(job_prop "$h3" Held)" "the job released before the restart is not held"
expect_rc 0 "cancel the blocker" jobctl cancel "$b"
wait_done "$h3"
assert_eq success "$(job_prop "$h3" Result)" "the released job ran after the restart"
holds_for 1 not_running "$h1" || fail "job $h1 (Hold key) started after kill -9"
holds_for 0 not_running "$h2" || fail "job $h2 (Hold()) started after kill -9"
# The restart rewrote state.log: the holds are in the rewritten file too. A clean stop now.
kill -TERM "$JOBD_PID"
wait "$JOBD_PID" 2>/dev/null || true
JOBD_PID=""
wait_until 10 "org.jobd1 to leave the bus" eval '! name_has_owner'
jobd_start --max-parallel=1
for h in "$h1" "$h2"; do
        assert_eq true "$(job_prop "$h" Held)" "job $h still held after SIGTERM"
        assert_eq waiting "$(job_prop "$h" State)" "job $h still waits after SIGTERM"
done
holds_for 1 not_running "$h1" || fail "job $h1 started after SIGTERM"
holds_for 0 not_running "$h2" || fail "job $h2 started after SIGTERM"
expect_rc 0 "release after the restarts" jobctl release "$h1" "$h2"
wait_done "$h1"
wait_done "$h2"
assert_eq success "$(job_prop "$h1" Result)" "released after the restarts, it ran"
assert_eq success "$(job_prop "$h2" Result)" "released after the restarts, it ran"
# Released, then a restart: it is not held again (the release line wins over the Hold key).
jobd_crash
jobd_start --max-parallel=1
assert_eq false "$(job_prop "$h1" Held)" "a finished job is not held again"
assert_eq success "$(job_prop "$h1" Result)" "and keeps its result"
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
