#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Controlling runs and groups (issue 3): a run's MaxParallel is never exceeded; Drain finishes what runs and
# starts nothing new until Resume; pausing a run freezes its running jobs (cgroup.freeze) and starts none of
# its others, while other runs go on; Cancel ends a run; pausing a group freezes its jobs; a group's limit
# changes with immediate effect.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=16

overlap_max() {
        local dir=$1 f
        for f in "$dir"/*.start; do
                echo "$(cat "$f") 1"
                echo "$(cat "${f%.start}.end") -1"
        done | sort -n -k1,1 -k2,2n | awk '{ n += $2; if (n > max) max = n } END { print max + 0 }'
}
# timed N DIR [GROUP...]: a plan of N jobs that record when they ran, in the groups given in turn ("-": none).
timed() {
        local i sep="" n=$1 dir=$2 group
        shift 2
        local groups=("${@:--}")
        mkdir -p "$dir"
        printf '{ "jobs": ['
        for ((i = 0; i < n; i++)); do
                group=${groups[i % ${#groups[@]}]}
                printf '%s{ "name": "j%d", %s"command": ["sh", "-c", "%s"] }' "$sep" "$i" \
                        "$([[ "$group" == - ]] || printf '"group": "%s", ' "$group")" \
                        "date +%s%N > $dir/$i.start; sleep 0.3; date +%s%N > $dir/$i.end"
                sep=","
        done
        echo '] }'
}
# ticker FILE: a command that appends a line to FILE every 50 ms until FILE.stop exists.
ticker() {
        printf 'while [ ! -e %s.stop ]; do echo tick >> %s; sleep 0.05; done' "$1" "$1"
}
size() {
        stat -c %s "$1" 2>/dev/null || echo 0
}

# MaxParallel of a run holds whatever groups its jobs are in (each group allows more), and combines with
# a group's own limit.
expect_rc 0 "jobctl group build 4" jobctl group build 4
timed 6 "$TEST_TMP/mp" build sim - >"$TEST_TMP/mp.json"
run=$(plan_submit "$TEST_TMP/mp.json" --max-parallel=2)
assert_eq 2 "$(run_prop "$run" MaxParallel)" "MaxParallel of the run"
wait_run_done "$run" 30
assert_eq success "$(run_prop "$run" Result)" "Result of the run with MaxParallel and groups"
assert_eq 2 "$(overlap_max "$TEST_TMP/mp")" "jobs of the run running at once with --max-parallel=2"
expect_rc 0 "jobctl group build 1" jobctl group build 1
timed 4 "$TEST_TMP/mp1" build >"$TEST_TMP/mp1.json"
run=$(plan_submit "$TEST_TMP/mp1.json" --max-parallel=3)
wait_run_done "$run" 30
assert_eq 1 "$(overlap_max "$TEST_TMP/mp1")" "jobs of group build (limit 1) in a run with MaxParallel 3"

# Drain: the running job finishes, the queued one waits until Resume.
t1="$TEST_TMP/drain-ticks"
long=$(submit -- sh -c "$(ticker "$t1")")
wait_state "$long" running
expect_rc 0 "jobctl drain" jobctl drain
assert_eq true "$(mgr_prop Draining)" "Draining"
queued=$(submit -- true)
holds_for 1 job_state_is "$queued" queued || fail "a job started while the daemon drains"
touch "$t1.stop"
wait_done "$long"
assert_eq success "$(job_prop "$long" Result)" "the job that ran during the drain finished"
assert_eq queued "$(job_prop "$queued" State)" "the queued job after the drain's running job ended"
expect_rc 0 "jobctl undrain" jobctl undrain
wait_done "$queued"
assert_eq false "$(mgr_prop Draining)" "Draining after Resume"

# Pause a run: its running job freezes, its queued ones do not start; another run goes on meanwhile.
t2="$TEST_TMP/run-ticks"
cat >"$TEST_TMP/pausable.json" <<JSON
{ "max_parallel": 1, "jobs": [
  { "name": "ticker", "command": ["sh", "-c", "$(ticker "$t2")"] },
  { "name": "next-1", "command": ["true"] },
  { "name": "next-2", "command": ["true"] } ] }
JSON
run=$(plan_submit "$TEST_TMP/pausable.json")
tick=$(run_job_id "$run" ticker)
wait_state "$tick" running
wait_until 10 "the ticker to tick" test -s "$t2"
expect_rc 0 "jobctl run-pause" jobctl run-pause "$run"
assert_eq paused "$(run_prop "$run" State)" "State of the paused run"
assert_eq paused "$(job_prop "$tick" State)" "State of the paused run's running job"
s0=$(size "$t2")
holds_for 1 eval '[[ $(size "$t2") == "$s0" ]]' || fail "the paused run's job kept running"
touch "$t2.stop"          # seen only once thawed
other=$(submit -- true)
wait_done "$other"
assert_eq success "$(job_prop "$other" Result)" "a job of no run runs while the run is paused"
assert_eq queued "$(job_prop "$(run_job_id "$run" next-1)" State)" "a queued job of the paused run"
expect_rc 0 "jobctl run-resume" jobctl run-resume "$run"
wait_run_done "$run" 20
assert_eq success "$(run_prop "$run" Result)" "Result of the run once resumed"

# Cancel a run: the running job is stopped, the others never run.
t3="$TEST_TMP/cancel-ticks"
cat >"$TEST_TMP/cancel.json" <<JSON
{ "jobs": [
  { "name": "runs", "command": ["sh", "-c", "$(ticker "$t3")"] },
  { "name": "after-it", "command": ["true"], "after": ["runs"] },
  { "name": "after-that", "command": ["true"], "after": ["after-it"] } ] }
JSON
run=$(plan_submit "$TEST_TMP/cancel.json")
wait_state "$(run_job_id "$run" runs)" running
expect_rc 0 "jobctl run-cancel" jobctl run-cancel "$run"
wait_run_done "$run" 20
assert_eq cancelled "$(run_prop "$run" Result)" "Result of the cancelled run"
assert_eq cancelled "$(job_prop "$(run_job_id "$run" runs)" Result)" "Result of its running job"
assert_eq cancelled "$(job_prop "$(run_job_id "$run" after-that)" Result)" "Result of its last job"
expect_bus_error org.jobd1.Error.NotRunning "Cancel of a finished run" \
        call org.jobd1 "$(run_path "$run")" org.jobd1.Run Cancel

# Groups: pausing one freezes its running job and starts none of it; its limit changes at once.
t4="$TEST_TMP/group-ticks"
expect_rc 0 "jobctl group g 1" jobctl group g 1
gt=$(submit --group=g -- sh -c "$(ticker "$t4")")
g2=$(submit --group=g -- true)
wait_state "$gt" running
wait_until 10 "the group's ticker to tick" test -s "$t4"
assert_eq queued "$(job_prop "$g2" State)" "the second job of a group with limit 1"
expect_rc 0 "jobctl pause-group" jobctl pause-group g
assert_eq paused "$(job_prop "$gt" State)" "State of the paused group's running job"
assert_match "g +1 +1 +1 +yes" "$(jobctl groups)" "jobctl groups shows the paused group"
expect_rc 0 "jobctl group g 2" jobctl group g 2
holds_for 1 job_state_is "$g2" queued || fail "a job of a paused group started"
expect_rc 0 "jobctl resume-group" jobctl resume-group g
wait_done "$g2"         # limit 2 now: it runs beside the ticker
assert_eq running "$(job_prop "$gt" State)" "the ticker after the group resumed"
touch "$t4.stop"
wait_done "$gt"
daemon_still_ok

# A plan bigger than the job table's first doublings (a plan's ids jump ahead: the table must grow to fit
# them at once), held by a drain, then cancelled: nothing of it runs.
expect_rc 0 "jobctl drain" jobctl drain
{
        printf '{ "jobs": ['
        for ((i = 0; i < 3000; i++)); do
                printf '%s{ "name": "n%d", "command": ["true"] }' "$([[ $i == 0 ]] || echo ,)" "$i"
        done
        echo '] }'
} >"$TEST_TMP/big.json"
run=$(plan_submit "$TEST_TMP/big.json")
assert_eq 3000 "$(run_prop "$run" JobCount)" "JobCount of a 3000-job plan"
assert_eq 3000 "$(run_count "$run" StateCounts queued)" "queued jobs of the drained 3000-job plan"
last=$(run_job_id "$run" n2999)
assert_eq queued "$(job_prop "$last" State)" "State of the plan's last job"
expect_rc 0 "jobctl run-cancel of the 3000-job plan" jobctl run-cancel "$run"
wait_run_done "$run" 30
assert_eq 3000 "$(run_count "$run" ResultCounts cancelled)" "cancelled jobs of the 3000-job plan"
expect_rc 0 "jobctl undrain" jobctl undrain

# A paused run whose jobs all end (cancelled one by one) is done, not paused: its Retry() runs at once.
printf '{ "jobs": [ { "name": "only", "command": ["true"] } ] }' >"$TEST_TMP/one.json"
expect_rc 0 "jobctl drain" jobctl drain
run=$(plan_submit "$TEST_TMP/one.json")
expect_rc 0 "jobctl run-pause" jobctl run-pause "$run"
expect_rc 0 "jobctl cancel" jobctl cancel "$(run_job_id "$run" only)"
wait_run_done "$run"
expect_rc 0 "jobctl undrain" jobctl undrain
expect_rc 0 "jobctl run-retry" jobctl run-retry "$run" all
wait_run_done "$run"
assert_eq success "$(run_prop "$run" Result)" "Retry of a run that finished while paused"
daemon_still_ok
