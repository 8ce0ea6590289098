#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The 50-orphan tree (setsid'd, double-forked, SIGTERM-ignoring), killed while running with
# `busctl call ... KillJob ti ID 9`: result killed, none alive, cgroup gone. Then Job.Kill on the job
# object, and a SIGTERM delivered to the whole tree reaches every process that does not ignore it.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --kill-grace=500ms

pids="$TEST_TMP/tree.pids"
id=$(submit -- "$SPAWN_TREE" -n 50 -s -d -i -I -S -w -p "$pids")
wait_file "$pids"
wait_state "$id" running
cg=$(job_cgroup_dir "$id")
assert_file_exists "$cg" "job cgroup while running"
assert_eq 50 "$(count_alive "$pids")" "orphans alive before the kill"
for p in $(cut -d' ' -f1 "$pids"); do
        grep -qE "^0::.*/jobd-$id(\.scope)?\$" "/proc/$p/cgroup" ||
                fail "orphan $p is not in the job's cgroup: $(grep '^0::' "/proc/$p/cgroup")"
done
main=$(job_prop "$id" MainPID)
assert_int "$main" -gt 0 "MainPID while running"

out=$(mcall KillJob ti "$id" 9) || fail "KillJob $id 9 failed: $out"
wait_done "$id" 20
assert_none_alive "$pids" "tree after KillJob SIGKILL"
assert_eq killed "$(job_prop "$id" Result)" "Result after KillJob 9"
if [[ "${JOBD_TEST_BACKEND:-cgroupfs}" == systemd ]]; then
        # Issue 4: the kill goes through the unit (KillUnit whom=all), besides the scope's cgroup.kill.
        assert_contains "send signal 9 to every process of jobd-$id.scope" "$(cat "$JOBD_LOG")" \
                "jobd's log: KillUnit for the job's scope"
fi
assert_cgroup_gone "$cg" "job cgroup after the kill"

# Job.Kill(i) on the object with SIGTERM: processes that do not ignore it die, and so the job is done.
pids2="$TEST_TMP/tree2.pids"
id2=$(submit -- "$SPAWN_TREE" -n 20 -s -d -S -w -p "$pids2")
wait_file "$pids2"
wait_state "$id2" running
bctl call -- org.jobd1 "$(job_path "$id2")" org.jobd1.Job Kill i 15 || fail "Job.Kill 15 failed"
wait_done "$id2" 20
assert_none_alive "$pids2" "tree after Job.Kill SIGTERM"
assert_eq killed "$(job_prop "$id2" Result)" "Result after Job.Kill 15"
