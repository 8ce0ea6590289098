#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A 1000-process tree (fan-out 10, setsid'd, double-forked, SIGTERM ignored) killed through
# `jobctl kill ID -s KILL`: the job is done, none of the 1000 is alive, the cgroup is gone.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --kill-grace=500ms

pids="$TEST_TMP/1000.pids"
id=$(submit -- "$SPAWN_TREE" -n 1000 -f 10 -s -d -i -I -S -w -p "$pids")
wait_file "$pids" 60
wait_state "$id" running
assert_eq 1000 "$(count_alive "$pids")" "processes alive before the kill"
cg=$(job_cgroup_dir "$id")
# 1000 + the spawner (+ the exec helper, if it stays)
n=$(wc -l <"$cg/cgroup.procs")
assert_int "$n" -ge 1001 "processes in the job cgroup"

t0=$(now_ms)
expect_rc 0 "jobctl kill -s KILL" jobctl kill -s KILL "$id"
wait_done "$id" 60
log "1000-process tree done $(($(now_ms) - t0)) ms after the kill"
assert_none_alive "$pids" "1000-process tree after the kill"
assert_eq killed "$(job_prop "$id" Result)" "Result"
assert_cgroup_gone "$cg" "job cgroup after the kill"
