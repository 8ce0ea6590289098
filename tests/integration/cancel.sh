#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Cancel: a queued job (max-parallel 1) never runs: no output, no side effect, result cancelled. A running
# job gets SIGTERM first; one that ignores SIGTERM is SIGKILLed after the kill grace (500ms).
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --max-parallel=1 --kill-grace=500ms

release="$TEST_TMP/release"
blocker=$(submit -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release")
wait_state "$blocker" running
marker="$TEST_TMP/queued-ran"
q=$(submit -- sh -c 'echo I ran; touch "$0"' "$marker")
assert_eq queued "$(job_prop "$q" State)" "State of the second job with max-parallel 1"
assert_eq 1 "$(mgr_prop JobsQueued)" "JobsQueued"
expect_rc 0 "jobctl cancel of a queued job" jobctl cancel "$q"
wait_done "$q" 10
assert_eq cancelled "$(job_prop "$q" Result)" "Result of a cancelled queued job"
assert_eq 0 "$(job_prop "$q" StartUSec)" "StartUSec of a job that never started"
assert_eq 0 "$(job_prop "$q" MainPID)" "MainPID of a job that never started"
touch "$release"
wait_done "$blocker" 20
assert_eq success "$(job_prop "$blocker" Result)" "Result of the blocker"
# The slot is free now; had the cancelled job been started, it would have run by the time the blocker
# finished and the queue drained.
assert_eq 0 "$(mgr_prop JobsQueued)" "JobsQueued after the blocker"
assert_file_missing "$marker" "side effect of the cancelled job"
logp="$STATE_DIR/logs/$(id -u)/$q.log"
if [[ -e "$logp" ]]; then
        assert_eq "" "$(cat "$logp")" "log of the cancelled job"
fi

# A running job that handles SIGTERM: it sees SIGTERM first, then ends; result cancelled.
seen="$TEST_TMP/seen-term"
r=$(submit -- sh -c 'trap "echo TERM > $0; exit 0" TERM; echo started; while :; do sleep 0.05; done' "$seen")
wait_state "$r" running
wait_until 10 "job $r started its loop" grep -q started "$STATE_DIR/logs/$(id -u)/$r.log"
out=$(mcall CancelJob t "$r") || fail "CancelJob failed: $out"
wait_done "$r" 10
assert_eq cancelled "$(job_prop "$r" Result)" "Result of a cancelled running job"
assert_file_exists "$seen" "SIGTERM seen by the job before the SIGKILL"

# A running job that ignores SIGTERM (with orphans that do too): cancelled after the grace period.
pids="$TEST_TMP/stubborn.pids"
s=$(submit -- "$SPAWN_TREE" -n 10 -s -d -i -I -S -w -p "$pids")
wait_file "$pids"
wait_state "$s" running
t0=$(now_ms)
expect_rc 0 "jobctl cancel of a running job" jobctl cancel "$s"
wait_done "$s" 20
dt=$(($(now_ms) - t0))
assert_eq cancelled "$(job_prop "$s" Result)" "Result of a cancelled SIGTERM-ignoring job"
assert_none_alive "$pids" "SIGTERM-ignoring tree after cancel"
assert_int "$dt" -ge 450 "ms from cancel to done for a job ignoring SIGTERM (grace 500ms)"
assert_int "$dt" -le 10000 "ms from cancel to done for a job ignoring SIGTERM (grace 500ms)"
assert_cgroup_gone "$(job_cgroup_dir "$s")" "job cgroup after cancel"

# Cancel of a done job: refused or a no-op, but the result stays.
run_rc rc jobctl cancel "$blocker"
assert_eq success "$(job_prop "$blocker" Result)" "Result of a done job after a cancel attempt"
