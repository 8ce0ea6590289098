#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# DESIGN.md "State": a restart, even after SIGKILL, loses no job. Jobs run on while the daemon is down
# (no PR_SET_PDEATHSIG); the restarted daemon keeps finished results, re-adopts running jobs through their
# cgroups (with their true exit status, also of a job that ended while it was down) and restores queued
# jobs; new ids continue after the old ones.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --max-parallel=3

release="$TEST_TMP/release"
hold='while [ ! -e "$0" ]; do sleep 0.05; done; echo "$1 done"; exit "$2"'
fin=$(submit --name=finished -- true)
wait_done "$fin"
run=$(submit --name=running -- sh -c "$hold" "$release" running 3)
ended=$(submit --name=ends-while-down -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done; exit 4' "$release.early")
victim=$(submit --name=killed-after-restart -- sleep 600)
wait_state "$run" running
wait_state "$ended" running
wait_state "$victim" running
queued=$(submit --name=queued -- sh -c 'echo queued ran')
assert_eq queued "$(job_prop "$queued" State)" "State of the fourth job with max-parallel 3"
run_pid=$(job_prop "$run" MainPID)
run_cg=$(job_cgroup_dir "$run")

jobd_crash
# The jobs outlive the daemon.
kill -0 "$run_pid" 2>/dev/null || fail "the running job's main process $run_pid died with the daemon"
grep -q '^populated 1' "$run_cg/cgroup.events" || fail "the running job's cgroup $run_cg emptied with the daemon"
touch "$release.early"   # this one ends while no daemon watches
ended_cg=$(dirname "$run_cg")/jobd-$ended
wait_until 10 "job $ended to end while the daemon is down" eval "! grep -q '^populated 1' '$ended_cg/cgroup.events' 2>/dev/null"

jobd_start --max-parallel=3
assert_eq done "$(job_prop "$fin" State)" "State of the finished job after the restart"
assert_eq success "$(job_prop "$fin" Result)" "Result of the finished job after the restart"
assert_eq finished "$(job_prop "$fin" Name)" "Name of the finished job after the restart"

wait_done "$ended" 20
assert_eq failed "$(job_prop "$ended" Result)" "Result of the job that ended while the daemon was down"
assert_eq 4 "$(job_prop "$ended" ExitCode)" "ExitCode of the job that ended while the daemon was down"

st=$(job_prop "$run" State)
assert_eq running "$st" "State of the running job after the restart (re-adopted)"
assert_eq "$run_pid" "$(job_prop "$run" MainPID)" "MainPID of the re-adopted job"
touch "$release"
wait_done "$run" 20
assert_eq failed "$(job_prop "$run" Result)" "Result of the re-adopted job"
assert_eq 3 "$(job_prop "$run" ExitCode)" "ExitCode of the re-adopted job (exit 3)"
assert_contains "running done" "$(jobctl logs "$run")" "log of the re-adopted job, written across the restart"

wait_done "$queued" 20
assert_eq success "$(job_prop "$queued" Result)" "Result of the restored queued job"
assert_eq "queued ran" "$(jobctl logs "$queued")" "log of the restored queued job"

# A re-adopted job killed with SIGKILL: its exec helper dies with it and records nothing, and jobd is not
# its parent (no siginfo): the result is still "killed", as for a job jobd started itself.
wait_state "$victim" running
jobctl kill -s KILL "$victim" || fail "cannot kill the re-adopted job $victim"
wait_done "$victim" 20
assert_eq killed "$(job_prop "$victim" Result)" "Result of a re-adopted job killed with SIGKILL"
assert_eq 9 "$(job_prop "$victim" ExitSignal)" "ExitSignal of a re-adopted job killed with SIGKILL"

new=$(submit -- true)
assert_int "$new" -gt "$queued" "id of a job submitted after the restart (ids are not reused)"
wait_done "$new"

# The done line (written as text, not through json-c) keeps any string: a Reason naming a command with
# quotes, backslashes, a newline, a tab, a control character and UTF-8 comes back the same after a crash,
# and every line of state.log is JSON.
odd=$'/no/such "cmd" \\ a\nb\tc\x01 \xc3\xa9'
bad=$(bsubmit 1 Argv as 1 "$odd")
wait_done "$bad"
reason=$(busctl --address="$BUS" --json=short get-property org.jobd1 "$(job_path "$bad")" org.jobd1.Job Reason | jq -r .data)
assert_contains "$odd" "$reason" "Reason of a job whose command does not exist"
jobd_crash
jobd_start --max-parallel=3
again=$(busctl --address="$BUS" --json=short get-property org.jobd1 "$(job_path "$bad")" org.jobd1.Job Reason | jq -r .data)
assert_eq "$reason" "$again" "Reason after a restart"
jq -c . "$STATE_DIR/state.log" >/dev/null || fail "state.log is not JSON lines"
