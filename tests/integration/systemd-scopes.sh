#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What only the systemd backend does (issue 4), against a real, contained systemd user manager: every job
# is a transient scope jobd-<id>.scope in app-jobd.slice that systemctl shows while it runs, with the
# job's Description and limits; Unit and ControlGroup are the manager's own (the process really is
# there); a job without limits gets no pids accounting (nor the manager's DefaultTasksMax); finished scopes
# do not pile up (CollectMode=inactive-or-failed); a name clash fails that job with a Reason and not the
# daemon; --backend=auto picks systemd when the manager answers; a daemon-reexec of the manager disturbs
# neither running nor later jobs; once the manager is gone a new job fails with a Reason that says so.
JOBD_TEST_BACKEND=systemd
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --backend=auto --max-parallel=8

assert_eq systemd "$(mgr_prop Backend)" "Backend chosen by --backend=auto beside a user manager"

release="$TEST_TMP/release"
id=$(submit --name=visible --tasks-max=50 --cpu-weight=50 -- \
        sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release")
wait_state "$id" running
unit=$(job_prop "$id" Unit)
assert_eq "jobd-$id.scope" "$unit" "Unit of a running job"
cg=$(job_prop "$id" ControlGroup)
assert_eq "$(systemctl --user show -P ControlGroup "$unit")" "$cg" "ControlGroup is the scope's own"
assert_match "/app\.slice/app-jobd\.slice/jobd-$id\.scope$" "$cg" "scope in app-jobd.slice"
assert_eq active "$(systemctl --user show -P ActiveState "$unit")" "ActiveState of the scope"
assert_eq "jobd job $id: visible" "$(systemctl --user show -P Description "$unit")" "Description of the scope"
assert_eq inactive-or-failed "$(systemctl --user show -P CollectMode "$unit")" "CollectMode of the scope"
assert_eq 50 "$(systemctl --user show -P TasksMax "$unit")" "TasksMax of the scope"
assert_eq 50 "$(systemctl --user show -P CPUWeight "$unit")" "CPUWeight of the scope"
main=$(job_prop "$id" MainPID)
assert_int "$main" -gt 0 "MainPID"
assert_eq "0::$cg" "$(grep '^0::' "/proc/$main/cgroup")" "the job's process is in the scope's cgroup"
status=$(systemctl --user status --no-pager "$unit" 2>&1) || true
assert_contains "$release" "$status" "systemctl --user status of the scope lists the job's command"
touch "$release"
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result"
assert_eq "jobd-$id.scope" "$(job_prop "$id" Unit)" "Unit kept once done"
assert_eq "$cg" "$(job_prop "$id" ControlGroup)" "ControlGroup kept once done"

# 200 short jobs: none of their scopes stays in the manager.
ids=()
for ((i = 0; i < 200; i++)); do
        ids+=("$(bsubmit 1 Argv as 1 true)")
done
for i in "${ids[@]}"; do
        wait_done "$i"
done
for i in "${ids[@]}"; do
        [[ "$(job_prop "$i" Result)" == success ]] || fail "job $i: $(job_prop "$i" Result) ($(job_prop "$i" Reason))"
done
left() {
        [[ -z "$(systemctl --user list-units --all --no-legend 'jobd-*' 2>/dev/null)" ]]
}
wait_until 20 "the manager to collect every finished jobd-* scope" left

# A unit of the next job's name exists already: that job fails with a Reason, the daemon goes on.
next=$(($(bsubmit 1 Argv as 1 true) + 1))
systemd-run --user --scope --unit="jobd-$next" -q sleep 60 &
bg=$!
BG_PIDS+=("$bg")
wait_until 10 "jobd-$next.scope to exist" systemctl --user -q is-active "jobd-$next.scope"
clash=$(submit -- true)
assert_eq "$next" "$clash" "id of the clashing job"
wait_done "$clash"
assert_eq failed "$(job_prop "$clash" Result)" "Result of a job whose scope name is taken"
assert_contains "exists already" "$(job_prop "$clash" Reason)" "Reason of a job whose scope name is taken"
systemctl --user stop "jobd-$next.scope"
daemon_still_ok
after=$(submit -- true)
wait_done "$after"
assert_eq success "$(job_prop "$after" Result)" "a job after the clash"

# The manager re-executes itself (daemon-reexec, as on an upgrade of systemd) and closes jobd's connection:
# a job running across it is not disturbed, and the next job gets a scope through a new connection.
release2="$TEST_TMP/release2"
across=$(submit -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release2")
wait_state "$across" running
assert_eq no "$(systemctl --user show -P TasksAccounting "jobd-$across.scope")" "TasksAccounting without TasksMax"
assert_eq infinity "$(systemctl --user show -P TasksMax "jobd-$across.scope")" "TasksMax without a limit"
systemctl --user daemon-reexec
touch "$release2"
wait_done "$across"
assert_eq success "$(job_prop "$across" Result)" "a job running while the manager re-executes"
after=$(submit -- true)
wait_done "$after"
assert_eq success "$(job_prop "$after" Result)" "a job after daemon-reexec"
assert_eq "jobd-$after.scope" "$(job_prop "$after" Unit)" "Unit of a job after daemon-reexec"

# The manager is gone: a new job fails with a Reason that names it, and the daemon goes on.
kill -KILL "$SDUM_MANAGER_PID"
gone=$(submit -- true)
wait_done "$gone"
assert_eq failed "$(job_prop "$gone" Result)" "Result of a job once the manager is gone"
assert_contains "systemd user manager" "$(job_prop "$gone" Reason)" "Reason of a job once the manager is gone"
daemon_still_ok
