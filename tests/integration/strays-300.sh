#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# 300 jobs at once (--max-parallel=300) whose main process exits leaving a setsid'd, double-forked,
# SIGTERM-ignoring stray: all 300 wait for the emptying of their cgroups at the same time. That is more than
# fs.inotify.max_user_instances (128 by default), so a watch of cgroup.events per inotify instance fails;
# a job must still end "done" only once its cgroup is empty, and each one says it killed its stray.
#
# Where a cgroup v1 freezer hierarchy is writable, the strays are frozen there before the main processes
# exit: SIGKILL then cannot end them until the test thaws them, so "done while a stray lives" is seen for
# certain rather than only within the few milliseconds a killed process takes to go.
. "$(dirname "$0")/../helpers/lib.sh"

N=300
jobd_start --kill-grace=500ms --max-parallel=$N

freezer=$(awk '$9 == "cgroup" && $NF ~ /(^|,)freezer(,|$)/ { print $5; exit }' /proc/self/mountinfo)
frz=""
if [[ -n "$freezer" && -w "$freezer" ]]; then
        frz="$freezer/jobd-test-strays-$$"
else
        note "no writable cgroup v1 freezer: the strays die as soon as jobd kills them"
fi
thaw_and_remove() {
        if [[ -n "$frz" && -d "$frz" ]]; then
                echo THAWED >"$frz/freezer.state" 2>/dev/null
                for p in $(cat "$frz/tasks" 2>/dev/null); do echo "$p" >"$freezer/tasks" 2>/dev/null; done
                rmdir "$frz" 2>/dev/null
        fi
}
# After jobd_start, which sets lib.sh's own EXIT trap: thaw first, so lib.sh can empty the job cgroups.
trap 'thaw_and_remove; cleanup' EXIT

# Every main process waits for this lock after its stray is in place, so that all of them exit together.
lock="$TEST_TMP/release.lock"
: >"$lock"
exec 7>"$lock"
flock -x 7

# job_states: "ID STATE" per job, one bus call for all of them.
job_states() {
        jobctl list --json=short | jq -r '.[] | "\(.id) \(.state)"'
}

t0=$(now_ms)
ids=()
for i in $(seq $N); do
        ids+=("$(submit --name="stray-$i" -- sh -c '"$1" -n 1 -s -d -i -S -p "$2" && exec flock -s "$3" true' \
                 sh "$SPAWN_TREE" "$TEST_TMP/stray-$i.pids" "$lock")")
done
for i in $(seq $N); do
        wait_file "$TEST_TMP/stray-$i.pids" 120
done
log "$N jobs running with a stray each after $(($(now_ms) - t0)) ms"
assert_eq "$N" "$(job_states | grep -c ' running$')" "jobs running at once before the release"

if [[ -n "$frz" ]]; then
        mkdir "$frz"
        for i in $(seq $N); do
                read -r pid _ <"$TEST_TMP/stray-$i.pids"
                echo "$pid" >"$frz/tasks"
        done
        echo FROZEN >"$frz/freezer.state"
        wait_until 20 "the strays to be frozen" grep -qx FROZEN "$frz/freezer.state"
fi

# Release: the $N main processes exit, each leaving its stray behind.
exec 7>&-
t0=$(now_ms)

if [[ -n "$frz" ]]; then
        # Every job's stray is alive (frozen): no job may be done, each waits in "stopping".
        none_running() {
                ! job_states | grep -qv ' stopping$\| done$'
        }
        wait_until 60 "the main processes of all $N jobs to exit" none_running
        sleep 1
        done_early=$(job_states | grep -c ' done$' || true)
        assert_eq 0 "$done_early" "jobs done while their frozen stray was alive"
        for i in $(seq $N); do
                assert_eq 1 "$(count_alive "$TEST_TMP/stray-$i.pids")" "stray $i alive while frozen"
        done
        echo THAWED >"$frz/freezer.state"
        t0=$(now_ms)
        log "all $N jobs stopping while their strays are frozen; thawed"
fi

for id in "${ids[@]}"; do
        wait_done "$id" 60
done
log "$N jobs done $(($(now_ms) - t0)) ms after their strays could die"

for i in $(seq $N); do
        assert_none_alive "$TEST_TMP/stray-$i.pids" "stray of job ${ids[$((i - 1))]} once all are done"
done
for id in "${ids[@]}"; do
        assert_eq success "$(job_prop "$id" Result)" "Result of job $id (its main process exited 0)"
        assert_int "$(job_prop "$id" StrayProcessesKilled)" -ge 1 "StrayProcessesKilled of job $id"
done
# "cannot watch": the old per-job instance failing; the others: no watch at all (polling) or not even that.
if grep -n "cannot watch\|no inotify watch\|cannot wait for" "$JOBD_LOG" >"$TEST_TMP/cannot-watch"; then
        fail "jobd could not watch $(wc -l <"$TEST_TMP/cannot-watch") cgroups: $(head -n 3 "$TEST_TMP/cannot-watch")"
fi
daemon_still_ok
