#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fairness between the users of jobd --system (issue 7, item 8), with real throw-away users on a system-type
# bus with the shipped policy:
# - a user may only lower Priority (nice-like) unless jobd.conf's MaxPriority= allows more; root may raise
#   it; the same for a plan's jobs;
# - [Users] MaxRunningJobs= keeps a user's extra job queued while another user's job runs;
# - MaxUnfinishedJobs= and MaxSpecBytes= refuse Submit and SubmitPlan with QuotaExceeded naming the limit,
#   and nothing of a refused plan is queued;
# - [Defaults] TimeoutSec= is applied, MaxTimeoutSec= enforced for users, TasksMax=/MemoryMax= applied (the
#   job properties, and the cgroup files where the host has the controllers);
# - a done job gives back its Environment (Argv stays);
# - one user's failing jobs do not quarantine a shared slot; root's do.
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"

setup
system_bus_start
user_add alice
user_add bob
alice_uid=$(id -u "$alice")

have_pids=0 have_mem=0
! controller_available pids || have_pids=1
! controller_available memory || have_mem=1
conf="$TEST_TMP/jobd.conf"
{
        cat <<'CONF'
[Users]
MaxRunningJobs=1
MaxUnfinishedJobs=3
MaxSpecBytes=64K

[SlotPool board]
Slots=b0
QuarantineAfter=2

[Defaults]
TimeoutSec=30min
MaxTimeoutSec=1h
CONF
        # Defaults the host could not enforce would refuse every job (InvalidSpec): only where it can.
        ((have_pids == 0)) || echo "TasksMax=77"
        ((have_mem == 0)) || echo "MemoryMax=64M"
} >"$conf"
chmod 644 "$conf"
jobd_start --system --config="$conf" --max-parallel=16

# ubus_try USER BUSCTL-ARGS...: bus_try as USER.
ubus_try() {
        local u=$1 out line
        shift
        BUS_OK=0; BUS_OUT=""; BUS_ERR_NAME=""; BUS_ERR_MSG=""
        if out=$(runuser -u "$u" -- env SYSTEMD_LOG_LEVEL=debug busctl --address="$BUS" "$@" 2>"$TEST_TMP/ubus.err"); then
                BUS_OK=1
                BUS_OUT=$out
                return 0
        fi
        line=$(grep -m1 '^Got message type=error ' "$TEST_TMP/ubus.err" || true)
        BUS_ERR_NAME=${line#* error-name=}
        BUS_ERR_NAME=${BUS_ERR_NAME%% *}
        BUS_ERR_MSG=${line#* error-message=}
}

# usubmit USER DICT...: Submit as USER; echoes the id.
usubmit() {
        local u=$1
        shift
        ubus_try "$u" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' "$@"
        [[ "$BUS_OK" == 1 ]] || fail "Submit as $u ($*) failed: $BUS_ERR_NAME $BUS_ERR_MSG"
        [[ "$BUS_OUT" =~ ^to\ ([0-9]+)\  ]] || fail "Submit reply: $BUS_OUT"
        echo "${BASH_REMATCH[1]}"
}

# expect_refusal USER ERROR WHAT NEEDLE DICT...: Submit as USER fails with ERROR, the message has NEEDLE.
expect_refusal() {
        local u=$1 err=$2 what=$3 needle=$4
        shift 4
        ubus_try "$u" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' "$@"
        [[ "$BUS_OK" == 0 ]] || fail "$what: expected $err, the call succeeded: $BUS_OUT"
        assert_eq "$err" "$BUS_ERR_NAME" "$what: error name ($BUS_ERR_MSG)"
        assert_contains "$needle" "$BUS_ERR_MSG" "$what: message"
}

# limit_file PID CONTROLLER V2-FILE V1-FILE: a limit of PID's cgroup, from the hierarchy the host has the
# controller in.
limit_file() {
        local pid=$1 c=$2 m p
        m=$(cgroup1_mount "$c")
        if [[ -n "$m" ]]; then
                p=$(awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
                        "/proc/$pid/cgroup")
                cat "$m$p/$4"
        else
                p=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
                cat "$(cgroup2_mount)$p/$3"
        fi
}

log "--- Priority: users may only lower it; root may raise it"
expect_refusal "$alice" org.jobd1.Error.InvalidSpec "Priority 2147483647 of a user" "MaxPriority" \
        2 Argv as 1 true Priority i 2147483647
assert_contains "more than the 0 a user may give" "$BUS_ERR_MSG" "Priority refusal names the maximum"
expect_refusal "$alice" org.jobd1.Error.InvalidSpec "Priority 1 of a user" "Priority: 1" \
        2 Argv as 1 true Priority i 1
low=$(usubmit "$alice" 2 Argv as 1 true Priority i -5)
wait_done "$low"
assert_eq -5 "$(job_prop "$low" Priority)" "Priority of a user's lowered job"
high=$(bsubmit 2 Argv as 1 true Priority i 2147483647)
wait_done "$high"
assert_eq 2147483647 "$(job_prop "$high" Priority)" "Priority of root's raised job"
# A plan's defaults count for each of its jobs.
cat >"$TEST_TMP/prio.json" <<'JSON'
{ "defaults": { "priority": 100 }, "jobs": [ { "name": "a", "command": ["true"] } ] }
JSON
chmod 644 "$TEST_TMP/prio.json"
jobs_before=$(mcall ListJobs | awk '{print $2}')
rc=0
out=$(as_user "$alice" "$JOBCTL" plan "$TEST_TMP/prio.json" 2>&1) || rc=$?
assert_ne 0 "$rc" "exit code of a user's plan with Priority 100"
assert_contains "jobs[0] (a): Priority: 100" "$out" "refusal of a user's plan with Priority 100"
assert_eq "$jobs_before" "$(mcall ListJobs | awk '{print $2}')" "jobs after the refused plan"

log "--- MaxRunningJobs=1: alice's second job waits while bob's runs"
a1=$(usubmit "$alice" 2 Argv as 2 sleep 600 Environment as 1 SECRET=a1)
wait_state "$a1" running
a2=$(usubmit "$alice" 1 Argv as 2 sleep 600)
b1=$(usubmit "$bob" 1 Argv as 2 sleep 600)
wait_state "$b1" running
assert_eq queued "$(job_prop "$a2" State)" "State of alice's second job while her first runs"
holds_for 1 job_state_is "$a2" queued || fail "alice's second job left the queue while her first runs"
# Root is not limited.
r1=$(bsubmit 1 Argv as 2 sleep 600)
r2=$(bsubmit 1 Argv as 2 sleep 600)
wait_state "$r1" running
wait_state "$r2" running

log "--- MaxUnfinishedJobs=3, MaxSpecBytes=64K: refused with QuotaExceeded"
a3=$(usubmit "$alice" 1 Argv as 1 true)
expect_refusal "$alice" org.jobd1.Error.QuotaExceeded "alice's fourth unfinished job" "MaxUnfinishedJobs" \
        1 Argv as 1 true
assert_contains "uid $alice_uid has 3 unfinished jobs" "$BUS_ERR_MSG" "MaxUnfinishedJobs message has the numbers"
assert_contains "limit of 3" "$BUS_ERR_MSG" "MaxUnfinishedJobs message names the limit"
cat >"$TEST_TMP/two.json" <<'JSON'
{ "jobs": [ { "name": "x", "command": ["true"] }, { "name": "y", "command": ["true"] } ] }
JSON
chmod 644 "$TEST_TMP/two.json"
jobs_before=$(mcall ListJobs | awk '{print $2}')
ubus_try "$bob" call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' \
        3 1 Argv as 1 true 1 Argv as 1 true 1 Argv as 1 true 0
assert_eq org.jobd1.Error.QuotaExceeded "$BUS_ERR_NAME" "bob's plan of 3 jobs beside 1 unfinished ($BUS_ERR_MSG)"
assert_contains "MaxUnfinishedJobs" "$BUS_ERR_MSG" "refused plan names the limit"
assert_eq "$jobs_before" "$(mcall ListJobs | awk '{print $2}')" "jobs after bob's refused plan"
big=$(printf 'X=%070000d' 0)
expect_refusal "$bob" org.jobd1.Error.QuotaExceeded "bob's job with 70 KB of environment" "MaxSpecBytes" \
        2 Argv as 1 true Environment as 1 "$big"
assert_contains "limit of 65536" "$BUS_ERR_MSG" "MaxSpecBytes message names the limit"
assert_eq "$jobs_before" "$(mcall ListJobs | awk '{print $2}')" "jobs after bob's refused submission"
# A run keeps its jobs' whole specs for Retry() after they are done: cancelling a run gives no room for
# another of the same size while the first is kept (else a user could hold any amount of memory and
# journal, one MaxSpecBytes at a time).
mid=$(printf 'X=%040000d' 0)
ubus_try "$bob" call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' \
        1 2 Argv as 2 sleep 600 Environment as 1 "$mid" 0
[[ "$BUS_OK" == 1 ]] ||
        fail "bob's plan with 40 KB of environment was refused: $BUS_ERR_NAME $BUS_ERR_MSG"
bob_run=$(awk '{print $2}' <<<"$BUS_OUT")
ubus_try "$bob" call -- org.jobd1 "/org/jobd1/run/$bob_run" org.jobd1.Run Cancel
[[ "$BUS_OK" == 1 ]] || fail "bob cannot cancel his run $bob_run: $BUS_ERR_NAME $BUS_ERR_MSG"
wait_until 20 "bob's cancelled run to be done" eval \
        '[[ "$(unwrap "$(bctl get-property org.jobd1 /org/jobd1/run/'"$bob_run"' org.jobd1.Run State)")" == done ]]'
ubus_try "$bob" call -- org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan 'aa{sv}a{sv}' \
        1 2 Argv as 2 sleep 600 Environment as 1 "$mid" 0
assert_eq org.jobd1.Error.QuotaExceeded "$BUS_ERR_NAME" "bob's second 40 KB plan after cancelling the first ($BUS_ERR_MSG)"
assert_contains "MaxSpecBytes" "$BUS_ERR_MSG" "the second plan's refusal names the limit"
# Root is not limited by them.
rbig=$(bsubmit 2 Argv as 1 true Environment as 1 "$big")
wait_done "$rbig"

log "--- [Defaults]: timeouts, TasksMax, MemoryMax"
expect_refusal "$bob" org.jobd1.Error.InvalidSpec "bob's job with a 2h timeout" "MaxTimeoutSec" \
        2 Argv as 1 true TimeoutUSec t 7200000000
expect_refusal "$bob" org.jobd1.Error.InvalidSpec "bob's job with no timeout at all" "no timeout" \
        2 Argv as 1 true TimeoutUSec t 18446744073709551615
assert_eq 1800000000 "$(job_prop "$a1" TimeoutUSec)" "TimeoutUSec of a job without one (TimeoutSec=30min)"
b2=$(usubmit "$bob" 2 Argv as 1 true TimeoutUSec t 60000000)
assert_eq 60000000 "$(job_prop "$b2" TimeoutUSec)" "TimeoutUSec of a job with its own, below the maximum"
r3=$(bsubmit 2 Argv as 1 true TimeoutUSec t 7200000000)
assert_eq 7200000000 "$(job_prop "$r3" TimeoutUSec)" "TimeoutUSec of root's job above the users' maximum"
if ((have_pids)); then
        assert_eq 77 "$(job_prop "$a1" TasksMax)" "TasksMax of a job without one"
        assert_eq 77 "$(limit_file "$(job_prop "$a1" MainPID)" pids pids.max pids.max)" "pids.max of its cgroup"
else
        note "no pids controller: the TasksMax= default is not tested here"
fi
if ((have_mem)); then
        assert_eq $((64 << 20)) "$(job_prop "$a1" MemoryMax)" "MemoryMax of a job without one"
        assert_eq $((64 << 20)) "$(limit_file "$(job_prop "$a1" MainPID)" memory memory.max memory.limit_in_bytes)" \
                "memory limit of its cgroup"
else
        note "no memory controller: the MemoryMax= default is not tested here"
fi

log "--- a done job gives back its Environment"
assert_eq 'as 1 "SECRET=a1"' "$(as_user "$alice" busctl --address="$BUS" get-property org.jobd1 \
        "$(job_path "$a1")" org.jobd1.Job Environment)" "Environment of alice's running job"
as_user "$alice" "$JOBCTL" cancel "$a1" >/dev/null || fail "alice cannot cancel her job"
wait_done "$a1"
assert_eq 'as 0' "$(bctl get-property org.jobd1 "$(job_path "$a1")" org.jobd1.Job Environment)" \
        "Environment of alice's done job"
assert_eq 'as 2 "sleep" "600"' "$(bctl get-property org.jobd1 "$(job_path "$a1")" org.jobd1.Job Argv)" \
        "Argv of alice's done job"
# Her queued job starts now that the first is done.
wait_state "$a2" running
for id in "$a2" "$a3" "$b1" "$b2" "$r1" "$r2" "$r3"; do
        jobctl cancel "$id" >/dev/null 2>&1 || true
done
for id in "$a2" "$a3" "$b1" "$b2" "$r1" "$r2" "$r3"; do
        wait_done "$id"
done

log "--- one user's failures do not quarantine a shared slot"
for i in 1 2 3; do
        id=$(usubmit "$alice" 2 Argv as 1 false Resources 'a{su}' 1 board 1)
        wait_done "$id"
        assert_eq failed "$(job_prop "$id" Result)" "Result of alice's failing job $i on the board"
done
pools=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListPools | jq -c '.data[0][0]')
assert_eq '["board",true,1,0,[["b0",0,1,false]]]' "$pools" "ListPools after 3 failures of alice on b0"
# Another user's failure does count, and so does each of root's.
id=$(usubmit "$bob" 2 Argv as 1 false Resources 'a{su}' 1 board 1)
wait_done "$id"
pools=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListPools | jq -c '.data[0][0]')
assert_eq '["board",true,1,0,[["b0",0,2,true]]]' "$pools" "ListPools after alice's and bob's failures on b0"
release_board() {
        mcall ReleaseSlot ss board b0 >/dev/null
}
release_board

log "--- after a restart: running jobs are re-adopted whatever MaxRunningJobs says now; usage is restored"
jobd_crash
sed -i -e 's/^MaxRunningJobs=1$/MaxRunningJobs=2/' "$conf"
jobd_start --system --config="$conf" --max-parallel=16
c1=$(usubmit "$alice" 1 Argv as 2 sleep 600)
c2=$(usubmit "$alice" 1 Argv as 2 sleep 600)
c3=$(usubmit "$alice" 1 Argv as 2 sleep 600)
wait_state "$c1" running
wait_state "$c2" running
assert_eq queued "$(job_prop "$c3" State)" "State of alice's third job under MaxRunningJobs=2"
jobd_crash
sed -i -e 's/^MaxRunningJobs=2$/MaxRunningJobs=1/' "$conf"
jobd_start --system --config="$conf" --max-parallel=16
assert_eq running "$(job_prop "$c1" State)" "State of alice's first job after the restart"
assert_eq running "$(job_prop "$c2" State)" "State of alice's second job after the restart (over the new limit)"
assert_eq queued "$(job_prop "$c3" State)" "State of alice's third job after the restart"
expect_refusal "$alice" org.jobd1.Error.QuotaExceeded "alice's fourth unfinished job after the restart" \
        "has 3 unfinished jobs" 1 Argv as 1 true
jobctl cancel "$c2" >/dev/null
wait_done "$c2"
holds_for 1 job_state_is "$c3" queued || fail "alice's third job started with 1 running under MaxRunningJobs=1"
jobctl cancel "$c1" >/dev/null
wait_done "$c1"
wait_state "$c3" running
jobctl cancel "$c3" >/dev/null
wait_done "$c3"
