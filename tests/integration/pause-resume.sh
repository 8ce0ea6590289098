#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pause freezes the whole job: a job appending a counter to a file does not progress while paused (over
# an observation window), its State is "paused"; after Resume it grows again and finishes.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

f="$TEST_TMP/counter"
# Counts to 60 in ~3 s of running time, then succeeds.
id=$(submit -- sh -c 'i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo $i >> "$0"; sleep 0.05; done' "$f")
wait_file "$f"
wait_state "$id" running

expect_rc 0 "jobctl pause" jobctl pause "$id"
assert_eq paused "$(job_prop "$id" State)" "State right after jobctl pause returned"
cg=$(job_cgroup_dir "$id")
if [[ -e "$cg/cgroup.freeze" ]]; then
        wait_until 5 "cgroup.events frozen 1 of $cg" grep -q '^frozen 1' "$cg/cgroup.events"
fi
n0=$(wc -l <"$f")
same_size() { [[ $(wc -l <"$f") == "$n0" ]]; }
holds_for 1 same_size || fail "the counter grew while paused: $n0 -> $(wc -l <"$f") lines"
assert_eq paused "$(job_prop "$id" State)" "State after 1s paused"
assert_eq "" "$(job_prop "$id" Result)" "Result while paused"

expect_rc 0 "jobctl resume" jobctl resume "$id"
grew() { [[ $(wc -l <"$f") -gt "$n0" ]]; }
wait_until 5 "the counter to grow after resume (stuck at $n0)" grew
st=$(job_prop "$id" State)
assert_match '^(running|done)$' "$st" "State after resume"
wait_done "$id" 30
assert_eq success "$(job_prop "$id" Result)" "Result of the resumed job"
assert_eq 60 "$(wc -l <"$f")" "lines written by the resumed job"

# Through busctl on the job object; and a paused job can still be killed (the kill thaws it).
id=$(submit -- sleep 1000)
wait_state "$id" running
bctl call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job Pause || fail "Job.Pause failed"
assert_eq paused "$(job_prop "$id" State)" "State after Job.Pause"
out=$(mcall KillJob ti "$id" 9) || fail "KillJob on a paused job failed: $out"
wait_done "$id" 20
assert_eq killed "$(job_prop "$id" Result)" "Result of a paused job killed with SIGKILL"

# Pause of a finished job is refused (NotRunning), and jobctl says so.
expect_bus_error org.jobd1.Error.NotRunning "Job.Pause of a done job" call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job Pause
run_rc rc jobctl pause "$id"
assert_eq 1 "$rc" "jobctl pause of a done job (exit 1: failure)"
