#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SetMaxParallel takes effect at once: raising it starts queued jobs right away, lowering it does not
# touch running jobs but holds new ones; MaxParallel/JobsRunning/JobsQueued follow.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --max-parallel=1

assert_eq 1 "$(mgr_prop MaxParallel)" "MaxParallel from --max-parallel=1"
release="$TEST_TMP/release"
hold() { submit -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release"; }
j1=$(hold); j2=$(hold); j3=$(hold)
wait_state "$j1" running
assert_eq queued "$(job_prop "$j2" State)" "State of job 2 with max-parallel 1"
assert_eq queued "$(job_prop "$j3" State)" "State of job 3 with max-parallel 1"
assert_eq 1 "$(mgr_prop JobsRunning)" "JobsRunning"
assert_eq 2 "$(mgr_prop JobsQueued)" "JobsQueued"

expect_rc 0 "jobctl set-parallel 3" jobctl set-parallel 3
assert_eq 3 "$(mgr_prop MaxParallel)" "MaxParallel after set-parallel 3"
# "At once": by the time the call returned the scheduler has run; allow the spawn itself a short bound.
wait_state "$j2" running 3
wait_state "$j3" running 3
assert_eq 3 "$(mgr_prop JobsRunning)" "JobsRunning after set-parallel 3"
assert_eq 0 "$(mgr_prop JobsQueued)" "JobsQueued after set-parallel 3"

# Lower it through busctl: the three keep running, a new job waits.
out=$(mcall SetMaxParallel u 1) || fail "SetMaxParallel 1 failed: $out"
assert_eq 1 "$(mgr_prop MaxParallel)" "MaxParallel after SetMaxParallel 1"
j4=$(hold)
for j in "$j1" "$j2" "$j3"; do
        assert_eq running "$(job_prop "$j" State)" "State of running job $j after lowering the limit"
done
assert_eq queued "$(job_prop "$j4" State)" "State of a new job above the lowered limit"
touch "$release"
for j in "$j1" "$j2" "$j3" "$j4"; do
        wait_done "$j" 20
        assert_eq success "$(job_prop "$j" Result)" "Result of job $j"
done
assert_eq 0 "$(mgr_prop JobsRunning)" "JobsRunning at the end"
