#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The journal stays proportional to the jobs the daemon keeps: with --keep-finished=5, after 200 jobs the
# GC has forgotten most of them and the journal was rewritten without their lines (it had one submit
# line per job before); the jobs still kept survive a restart with their results.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --keep-finished=5 --max-parallel=8

ids=()
for i in $(seq 200); do
        ids+=("$(bsubmit 1 Argv as 1 true)")
done
last=${ids[-1]}
# Earlier jobs may be forgotten by now, so wait on the daemon's counters, not on each job.
wait_until 60 "all 200 jobs to end" \
        eval '[[ "$(mgr_prop JobsRunning)" == 0 && "$(mgr_prop JobsQueued)" == 0 && "$(mgr_prop JobsWaiting)" == 0 ]]'
wait_until 10 "the GC to forget the oldest jobs" eval '! bctl get-property org.jobd1 "$(job_path "${ids[0]}")" org.jobd1.Job State >/dev/null 2>&1'

submits=$(grep -c '"e":"submit"' "$STATE_DIR/state.log")
assert_int "$submits" -lt 150 "submit lines in the journal after 200 jobs with --keep-finished=5"

jobd_crash
jobd_start --keep-finished=5
assert_eq success "$(job_prop "$last" Result)" "Result of the last job after a restart"

# The finished jobs a restart brings back are forgotten as any others, oldest first: with --keep-finished=2
# one more job leaves 2.
jobd_crash
jobd_start --keep-finished=2
id=$(submit -- true)
wait_done "$id"
count_jobs() { bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs | jq '.data[0] | length'; }
wait_until 10 "jobd to keep 2 finished jobs after a restart" eval '[[ $(count_jobs) -le 2 ]]'
assert_eq success "$(job_prop "$id" Result)" "Result of the newest job, kept"
