#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A job whose main process leaves 50 setsid'd, double-forked, SIGTERM-ignoring sleepers behind and exits
# 0: once the job is done none of them is alive, StrayProcessesKilled is 50 and the job cgroup is gone.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --kill-grace=500ms --max-parallel=4

pids="$TEST_TMP/orphans.pids"
id=$(submit --name=orphans -- "$SPAWN_TREE" -n 50 -s -d -i -S -p "$pids")
wait_done "$id" 30

wait_file "$pids" 1
assert_eq 50 "$(wc -l <"$pids")" "pids written by spawn-tree"
assert_none_alive "$pids" "orphans of a finished job"
assert_eq success "$(job_prop "$id" Result)" "Result (the main process exited 0)"
assert_eq 0 "$(job_prop "$id" ExitCode)" "ExitCode"
assert_eq 50 "$(job_prop "$id" StrayProcessesKilled)" "StrayProcessesKilled"
cg=$(job_cgroup_dir "$id")
assert_contains "jobd-$id" "$cg" "ControlGroup names jobd-<id>"
if [[ "$JOBD_TEST_BACKEND" == cgroupfs ]]; then
        assert_eq "$CG_ROOT/jobd-$id" "$cg" "ControlGroup of a cgroupfs job: <root>/jobd-<id>"
fi
assert_cgroup_gone "$cg" "job cgroup after the job is done"
assert_int "$(job_prop "$id" FinishUSec)" -ge "$(job_prop "$id" StartUSec)" "FinishUSec >= StartUSec"

# A job with no strays reports 0.
id2=$(submit -- true)
wait_done "$id2"
assert_eq 0 "$(job_prop "$id2" StrayProcessesKilled)" "StrayProcessesKilled of a job with no strays"

# Many short jobs that each leave 3 strays, 4 at a time: the daemon kills strays and finishes jobs at a
# high rate, where the main process's end, the kill and the cgroup emptying race each other.
ids=()
for i in $(seq 30); do
        ids+=("$(submit -- "$SPAWN_TREE" -n 3 -s -d -i -S -p "$TEST_TMP/many-$i.pids")")
done
for i in $(seq 30); do
        id=${ids[$((i - 1))]}
        wait_done "$id" 30
        assert_eq success "$(job_prop "$id" Result)" "Result of short stray-leaving job $id"
        assert_eq 3 "$(job_prop "$id" StrayProcessesKilled)" "StrayProcessesKilled of short job $id"
        assert_none_alive "$TEST_TMP/many-$i.pids" "strays of short job $id"
done
