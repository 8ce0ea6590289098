#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --timeout=1s on a sleep 1000 (and on a tree that ignores SIGTERM): result timeout, nothing alive,
# done within a bounded time after the timeout.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --kill-grace=500ms

id=$(submit --timeout=1s -- sleep 1000)
wait_state "$id" running
main=$(job_prop "$id" MainPID)
assert_eq "1000000" "$(job_prop "$id" TimeoutUSec)" "TimeoutUSec of --timeout=1s"
wait_done "$id" 20
assert_eq timeout "$(job_prop "$id" Result)" "Result of sleep 1000 with --timeout=1s"
assert_ne 0 "$WAIT_RC" "jobctl wait on a timed-out job"
start=$(job_prop "$id" StartUSec); fin=$(job_prop "$id" FinishUSec)
assert_int $((fin - start)) -ge 900000 "run time of a job with a 1s timeout (us)"
assert_int $((fin - start)) -le 10000000 "run time of a job with a 1s timeout (us)"
if [[ "$main" != 0 ]] && kill -0 "$main" 2>/dev/null && ! is_zombie "$main"; then
        [[ "$(cat /proc/"$main"/comm 2>/dev/null)" != sleep ]] || fail "the timed-out sleep $main is still alive"
fi

# The tree's timeout leaves it time to write its pid file even on a loaded machine (on the systemd
# backend under load, 30 double-forks took more than a second): what is checked is that a timeout ends
# every process of a tree that ignores SIGTERM, not how fast the tree starts.
pids="$TEST_TMP/t.pids"
id=$(submit --timeout=5s -- "$SPAWN_TREE" -n 30 -s -d -i -I -S -w -p "$pids")
wait_file "$pids"
wait_done "$id" 20
assert_eq timeout "$(job_prop "$id" Result)" "Result of a SIGTERM-ignoring tree with --timeout=5s"
assert_none_alive "$pids" "SIGTERM-ignoring tree after its timeout"
assert_cgroup_gone "$(job_cgroup_dir "$id")" "job cgroup after the timeout"

# jobctl run of a job that times out: exit status 124 and a line on stderr naming the result.
run_rc rc jobctl run --timeout=1s -- sleep 100
assert_eq 124 "$rc" "exit status of jobctl run --timeout=1s -- sleep 100"
assert_contains timeout "$RUN_ERR" "stderr of jobctl run of a timed-out job"
