#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A crash of jobd (SIGKILL) while cluster jobs run and pend loses nothing: after the restart each is
# followed again by the Slurm job id its journal kept, and ends with the right result: one that ended
# while jobd was down (exit 3: failed, ExitCode 3), one still running (success), one pending in Slurm for a
# licence held from outside (runs once it is free: success), one that jobd was timing out (its timeout
# counts from when Slurm started it: timeout), one cancelled right before the crash (cancelled). A local
# job of the same daemon is re-adopted as before.
# Then a clean stop (SIGTERM) and a second restart keep the results (done lines with SlurmJobId).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/slurm.sh"
slurm_require_backend
setup

slurm_test_cluster "simlic:1"
conf="$TEST_TMP/jobd.conf"
printf '[Pool simlic]\nCapacity=1\n' >"$conf"
slurm_jobd_conf "$conf"
jobd_start --config="$conf" --backend=slurm --max-parallel=0
out="$SLURM_SHARED/restart"
mkdir -p "$out"

# The licence is taken by someone else: the pending job waits in Slurm.
other=$(sbatch --parsable --licenses=simlic:1 --output=/dev/null --wrap "sleep 8; date +%s%N > $out/other.end") ||
        fail "sbatch of the other user's job failed"
slurm_wait_job_state "$other" RUNNING 30 || fail "the other job $other did not start"

ended=$(submit -- sh -c 'sleep 1; exit 3')
running=$(submit -- sh -c 'sleep 7; echo still here')
pending=$(submit --resource=simlic=1 -- sh -c "date +%s%N > $out/pending.start")
timeout=$(submit --timeout=5s -- sleep 100)
local_job=$(submit --backend=local -- sleep 3)
cancelled=$(submit -- sleep 100)
for id in "$ended" "$running" "$timeout" "$cancelled"; do
        wait_state "$id" running 30
done
wait_until 30 "job $pending submitted to Slurm" eval "[[ \$(job_prop $pending SlurmJobId) != 0 ]]"
declare -A sid
for id in "$ended" "$running" "$pending" "$timeout"; do
        sid[$id]=$(job_prop "$id" SlurmJobId)
done
slurm_wait_job_state "${sid[$pending]}" PENDING 10 || fail "job $pending is not pending in Slurm"

# Cancelled right before the crash: its "stop" line is in the journal, Slurm's cancel may or may not
# have happened; after the restart it is cancelled either way.
expect_rc 0 "jobctl cancel of a cluster job" jobctl cancel "$cancelled"
jobd_crash
# Meanwhile the first one ends (it is not watched by anyone).
slurm_wait_job_state "${sid[$ended]}" FAILED 20 || fail "Slurm job ${sid[$ended]} did not end while jobd was down"
jobd_start --config="$conf" --backend=slurm --max-parallel=0
grep -q "following Slurm job ${sid[$running]} again" "$JOBD_LOG" || fail "the restart does not say it follows job $running again"

wait_done "$ended" 30
assert_eq failed "$(job_prop "$ended" Result)" "Result of a job that ended while jobd was down"
assert_eq 3 "$(job_prop "$ended" ExitCode)" "its ExitCode"
assert_eq "${sid[$ended]}" "$(job_prop "$ended" SlurmJobId)" "its SlurmJobId after the restart"
wait_done "$running" 30
assert_eq success "$(job_prop "$running" Result)" "Result of a job that ran across the restart"
assert_contains "still here" "$(jobctl logs "$running")" "its log after the restart"
wait_done "$timeout" 30
assert_eq timeout "$(job_prop "$timeout" Result)" "Result of a job whose timeout ran out across the restart"
wait_done "$pending" 60
assert_eq success "$(job_prop "$pending" Result)" "Result of a job that was pending in Slurm across the restart"
assert_eq "${sid[$pending]}" "$(job_prop "$pending" SlurmJobId)" "it ran as the Slurm job it was (not submitted twice)"
assert_int "$(cat "$out/pending.start")" -ge "$(cat "$out/other.end")" "it ran once the licence was free"
wait_done "$cancelled" 30
assert_eq cancelled "$(job_prop "$cancelled" Result)" "Result of a job cancelled right before a crash"
wait_done "$local_job" 30
assert_eq success "$(job_prop "$local_job" Result)" "Result of the local job across the restart"
assert_eq 0 "$(squeue -h -o %i | grep -c "^" || true)" "jobs left in Slurm's queue"

# A clean stop and a start again: the results and Slurm ids come from the journal.
stop_pid "$JOBD_PID" TERM 10
JOBD_PID=""
wait_until 10 "org.jobd1 to leave the bus" eval '! name_has_owner'
jobd_start --config="$conf" --backend=slurm --max-parallel=0
assert_eq failed "$(job_prop "$ended" Result)" "Result after a second restart"
assert_eq 3 "$(job_prop "$ended" ExitCode)" "ExitCode after a second restart"
assert_eq "${sid[$pending]}" "$(job_prop "$pending" SlurmJobId)" "SlurmJobId after a second restart"
assert_eq slurm "$(job_prop "$pending" Backend)" "Backend after a second restart"
assert_eq local "$(job_prop "$local_job" Backend)" "Backend of the local job after a second restart"

# --- a job whose Slurm id never reached the journal (jobd died between the submission and its line) ----
# Made by taking its "slurm" line out of state.log while jobd is down: it is lost with a Reason naming the
# Slurm job it may run as, never silently submitted twice; with Retries=1 it is retried (a new Slurm job).
gone=$(submit --retries=1 -- sh -c 'sleep 2; echo retried')
wait_state "$gone" running 30
gone_sid=$(job_prop "$gone" SlurmJobId)
jobd_crash
grep -q "\"e\":\"slurm\",\"id\":$gone," "$STATE_DIR/state.log" || fail "no slurm line of job $gone in state.log"
sed -i "/\"e\":\"slurm\",\"id\":$gone,/d" "$STATE_DIR/state.log"
jobd_start --config="$conf" --backend=slurm --max-parallel=0
wait_done "$gone" 60
assert_eq success "$(job_prop "$gone" Result)" "Result of the retried job"
attempts=$(job_prop_json "$gone" Attempts)
assert_eq lost "$(jq -r '.[0][2]' <<<"$attempts")" "its first attempt, whose Slurm id was not recorded"
assert_ne "$gone_sid" "$(job_prop "$gone" SlurmJobId)" "the retry is a new Slurm job"
grep -q "Job $gone: Lost: handed to Slurm, but jobd stopped before it recorded the Slurm job id (a Slurm job named jobd-$gone may run unwatched)" "$JOBD_LOG" ||
        fail "jobd does not say why job $gone was lost"
scancel "$gone_sid" 2>/dev/null || true
daemon_still_ok
