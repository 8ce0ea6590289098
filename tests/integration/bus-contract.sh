#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, items 3 and 4: what org.jobd1(5) says is what the daemon does.
#  - a call or a Get on the path of a job or run that does not exist: NoSuchJob / NoSuchRun (was
#    org.freedesktop.DBus.Error.UnknownObject);
#  - MainPID is 0 once the job is done (it kept the pid, which may be reused);
#  - Pause() of a paused job and Resume() of a running one succeed (the job is as asked);
#  - Reason says what happens during the kill grace period;
#  - WorkingDirectory is the folder the job ran in, also when the spec gave none;
#  - an unknown pool is named;
#  - the jobs of a plan get InterfacesAdded (standard ObjectManager clients saw none of them).
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --kill-grace=30s

# Stale paths.
expect_bus_error org.jobd1.Error.NoSuchJob "Get on a job that never was" \
        get-property org.jobd1 /org/jobd1/job/999999 org.jobd1.Job State
expect_bus_error org.jobd1.Error.NoSuchJob "GetAll on a job that never was" \
        call org.jobd1 /org/jobd1/job/999999 org.freedesktop.DBus.Properties GetAll s org.jobd1.Job
for m in Cancel Pause Resume OpenLog; do
        expect_bus_error org.jobd1.Error.NoSuchJob "Job.$m on a job that never was" \
                call -- org.jobd1 /org/jobd1/job/999999 org.jobd1.Job "$m"
done
expect_bus_error org.jobd1.Error.NoSuchRun "Get on a run that never was" \
        get-property org.jobd1 /org/jobd1/run/4242 org.jobd1.Run State
expect_bus_error org.jobd1.Error.NoSuchRun "Run.Cancel on a run that never was" \
        call -- org.jobd1 /org/jobd1/run/4242 org.jobd1.Run Cancel
# Peer is still answered on any path.
bctl call org.jobd1 /org/jobd1/job/999999 org.freedesktop.DBus.Peer Ping >/dev/null ||
        fail "Peer.Ping on a job path is no longer answered"

# MainPID: the command's pid while it runs, 0 once done.
id=$(submit -- sleep 1)
wait_state "$id" running
pid=$(job_prop "$id" MainPID)
assert_int "$pid" -gt 0 "MainPID of a running job"
wait_done "$id"
assert_eq 0 "$(job_prop "$id" MainPID)" "MainPID of a done job (was $pid while it ran)"

# WorkingDirectory: the daemon's folder when the spec gives none (jobctl gives its own; busctl none), as
# the job itself sees it.
id=$(bsubmit 1 Argv as 1 pwd)
wait_done "$id"
wd=$(job_prop "$id" WorkingDirectory)
ran_in=$("$JOBCTL" logs "$id" | tail -n 1)
assert_ne "" "$wd" "WorkingDirectory of a job submitted without one"
assert_eq "$ran_in" "$wd" "WorkingDirectory vs where the job ran"

# Pause/Resume are idempotent (as the code always was; the man page said NotRunning).
id=$(submit -- sleep 60)
wait_state "$id" running
mcall_job() { bctl call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job "$@"; }
mcall_job Resume || fail "Resume() of a running job fails"
mcall_job Pause || fail "Pause() fails"
mcall_job Pause || fail "Pause() of a paused job fails"
assert_eq paused "$(job_prop "$id" State)" "State after two Pause()"
mcall_job Resume || fail "Resume() of a paused job fails"
assert_eq running "$(job_prop "$id" State)" "State after Resume()"

# Reason during the kill grace period: a job that ignores SIGTERM.
id2=$(submit -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done')
wait_state "$id2" running
wait_until 10 "job $id2 to set its trap" sh -c "'$JOBCTL' logs $id2 | grep -q ready"
mcall_job Cancel || fail "Cancel() of job $id fails"
bctl call -- org.jobd1 "$(job_path "$id2")" org.jobd1.Job Cancel || fail "Cancel() of job $id2 fails"
reason=$(job_prop "$id2" Reason)
assert_eq stopping "$(job_prop "$id2" State)" "State of a job that ignores SIGTERM after Cancel()"
assert_match '^stopping: SIGTERM sent at .+, SIGKILL in 30(\.0+)?s$' "$reason" "Reason during the kill grace period"
bctl call -- org.jobd1 /org/jobd1 org.jobd1.Manager KillJob ti "$id2" 9 || fail "KillJob 9 fails"
wait_done "$id2"
assert_not_contains "SIGKILL in" "$(job_prop "$id2" Reason)" "Reason once done"

# An unknown pool is named.
bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true \
        Resources 'a{su}' 1 no-such-pool 1
assert_eq 0 "$BUS_OK" "Submit with an unknown pool fails"
assert_contains no-such-pool "$BUS_ERR_MSG" "the error names the pool"

# InterfacesAdded for a plan's jobs, to an ObjectManager client (they go out only while one, or a
# subscriber, is on the bus: see bus-subscribe.sh).
PY=$(find_python_dbus) || skip "no python3 with the dbus module"
coproc OM { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS" --objects; }
read -r -t 10 line <&"${OM[0]}" || fail "subscribe.py --objects did not read the objects"
mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short "--match=type='signal',sender='org.jobd1'" >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"
cat >"$TEST_TMP/plan.json" <<'JSON'
{"name": "announced", "jobs": [
  {"name": "a", "command": ["true"]},
  {"name": "b", "command": ["true"], "after": ["a"]},
  {"name": "c", "command": ["true"], "after": ["a"]}]}
JSON
jobctl plan --wait "$TEST_TMP/plan.json" >/dev/null || fail "jobctl plan --wait failed"
wait_until 10 "the plan's JobChanged done signals" sh -c "grep -c '\"JobChanged\".*\"done\"' '$mon' | grep -q 3"
grep '^{' "$mon" >"$TEST_TMP/signals.json"
added=$(jq -r 'select(.member == "InterfacesAdded") | .payload.data[0] | select(startswith("/org/jobd1/job/"))' "$TEST_TMP/signals.json" | sort -u | wc -l)
assert_eq 3 "$added" "InterfacesAdded of the plan's 3 jobs"
# Each with the job's properties.
states=$(jq -r 'select(.member == "InterfacesAdded" and (.payload.data[0] | startswith("/org/jobd1/job/")))
                | .payload.data[1]["org.jobd1.Job"].State.data' "$TEST_TMP/signals.json" | sort -u | paste -sd' ')
assert_not_contains null "$states" "State in the InterfacesAdded of the plan's jobs ($states)"

# A large plan whose jobs do not change: every JobNew and InterfacesAdded still goes out (only the first
# batch of 1024 JobNew did: the rest waited for each job to change, and Run.Cancel() then sent them all
# at once), and Run.Cancel() (sliced over loop iterations) cancels them all.
n=3000
{
        printf '{"name": "big", "jobs": [{"name": "blocker", "command": ["sleep", "600"]}'
        for ((i = 1; i < n; i++)); do printf ',{"name":"j%d","command":["true"],"after":["blocker"]}' "$i"; done
        printf ']}\n'
} >"$TEST_TMP/big.json"
jobctl plan "$TEST_TMP/big.json" >/dev/null || fail "jobctl plan of $n jobs failed"
run=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListRuns | jq '.data[0][-1][0]')
count_new() { grep -c '"member":"JobNew"' "$mon" || true; }
all_new() { [[ $(($(count_new) - 3)) -ge "$n" ]]; }
wait_until 20 "JobNew of the $n jobs of the plan (seen $(($(count_new) - 3)))" all_new
count_added() { grep '"member":"InterfacesAdded"' "$mon" | grep -c '"/org/jobd1/job/' || true; }
all_added() { [[ $(count_added) -ge $((n + 3)) ]]; }
wait_until 30 "InterfacesAdded of the $n jobs of the plan" all_added
bctl call -- org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run Cancel || fail "Run.Cancel() failed"
run_done() { [[ $(bctl get-property org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run State) == 's "done"' ]]; }
wait_until 60 "run $run to be done after Cancel()" run_done
res=$(bctl get-property org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run Result)
assert_eq 's "cancelled"' "$res" "Result of the cancelled run"
cancelled=$(bctl --json=short get-property org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run ResultCounts | jq '.data.cancelled')
assert_eq "$n" "$cancelled" "jobs of the run cancelled"
exec {OM[1]}>&-
wait "$OM_PID" 2>/dev/null || true
daemon_still_ok
