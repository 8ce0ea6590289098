#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real plan run (issue 3): two builds, tests after each, a merge after all tests whatever they did. One
# build fails: its tests are skipped at once with a Reason naming it, the other build's tests run, the merge
# runs. The run object counts per state and per result, says Finished, and jobctl plan --wait exits 1 and
# names what did not succeed. Defaults (env, cwd, timeout) reach every job, a job's own values win.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=4

mkdir "$TEST_TMP/work"
cat >"$TEST_TMP/regression.json" <<'JSON'
{
  "name": "regression",
  "inherit_environment": false,
  "defaults": { "cwd": "work", "env": { "SEED": "7", "MODE": "nightly" }, "timeout": "1min" },
  "jobs": [
    { "name": "build-a", "command": "echo built a > build-a.out" },
    { "name": "build-b", "command": "echo broken; exit 2" },
    { "name": "test-a-1", "command": "test -s build-a.out && echo \"a1 seed=$SEED mode=$MODE\"",
      "after": ["build-a"] },
    { "name": "test-a-2", "command": "echo \"a2 seed=$SEED\"", "after": ["build-a"],
      "env": { "SEED": "99" } },
    { "name": "test-b-1", "command": "echo never", "after": ["build-b"] },
    { "name": "test-b-2", "command": "echo never", "after": ["build-b"] },
    { "name": "merge", "command": "echo merged; pwd", "after": ["test-a-1", "test-a-2", "test-b-1", "test-b-2"],
      "after_condition": "any", "cwd": "/" }
  ]
}
JSON

# --wait: the exit status says whether everything succeeded, the jobs that did not are named.
run_rc rc jobctl plan --wait "$TEST_TMP/regression.json"
assert_eq 1 "$rc" "exit status of jobctl plan --wait for a run with a failed build"
assert_contains "Run 1 (regression): 7 jobs submitted." "$RUN_OUT" "jobctl plan output"
assert_contains "finished: failed (4 success, 1 failed, 2 skipped)" "$RUN_OUT" "jobctl plan --wait summary"
assert_match "build-b +failed" "$RUN_OUT" "the failed build listed by --wait"
assert_match "test-b-1 +skipped +Dependency [0-9]+ \(build-b\) ended with result failed" "$RUN_OUT" \
        "a skipped test listed with its reason"

assert_eq done "$(run_prop 1 State)" "State of the run"
assert_eq failed "$(run_prop 1 Result)" "Result of the run"
assert_eq regression "$(run_prop 1 Name)" "Name of the run"
assert_eq 7 "$(run_prop 1 JobCount)" "JobCount of the run"
assert_eq 7 "$(run_count 1 StateCounts done)" "StateCounts[done]"
assert_eq 0 "$(run_count 1 StateCounts waiting)" "StateCounts[waiting]"
assert_eq 4 "$(run_count 1 ResultCounts success)" "ResultCounts[success]"
assert_eq 1 "$(run_count 1 ResultCounts failed)" "ResultCounts[failed]"
assert_eq 2 "$(run_count 1 ResultCounts skipped)" "ResultCounts[skipped]"
assert_int "$(run_prop 1 FinishUSec)" -ge "$(run_prop 1 SubmitUSec)" "FinishUSec after SubmitUSec"

build_b=$(run_job_id 1 build-b)
for t in test-b-1 test-b-2; do
        id=$(run_job_id 1 "$t")
        assert_eq skipped "$(job_prop "$id" Result)" "Result of $t"
        assert_eq "Dependency $build_b (build-b) ended with result failed" "$(job_prop "$id" Reason)" "Reason of $t"
        assert_eq 0 "$(job_prop "$id" StartUSec)" "StartUSec of $t (it never started)"
        assert_eq "at 1 $build_b" "$(bctl get-property org.jobd1 "$(job_path "$id")" org.jobd1.Job After)" \
                "After of $t (the plan's name resolved to an id)"
        assert_eq 1 "$(job_prop "$id" Run)" "Run of $t"
done
assert_eq 2 "$(job_prop "$build_b" ExitCode)" "ExitCode of build-b"

a1=$(run_job_id 1 test-a-1)
assert_eq "a1 seed=7 mode=nightly" "$(jobctl logs "$a1")" "log of test-a-1 (defaults: cwd, env)"
assert_eq "a2 seed=99" "$(jobctl logs "$(run_job_id 1 test-a-2)")" "log of test-a-2 (its own SEED wins)"
assert_eq "$TEST_TMP/work" "$(job_prop "$a1" WorkingDirectory)" "cwd relative to the plan file"
assert_eq 60000000 "$(job_prop "$a1" TimeoutUSec)" "the default timeout"
merge=$(run_job_id 1 merge)
assert_eq success "$(job_prop "$merge" Result)" "Result of the merge (after_condition any)"
assert_eq "merged /" "$(jobctl logs "$merge" | tr '\n' ' ' | sed 's/ $//')" "log of the merge (its own cwd)"
assert_eq any "$(job_prop "$merge" AfterCondition)" "AfterCondition of the merge"

# jobctl runs and run-status.
out=$(jobctl runs)
assert_match "1 +regression +done +failed +7 +7 +3" "$out" "jobctl runs"
out=$(jobctl run-status 1)
assert_contains "Results:   4 success, 1 failed, 2 skipped" "$out" "jobctl run-status"
assert_contains "build-b" "$out" "jobctl run-status lists the failed build"
[[ "$(jobctl --json=short runs | jq -r '.[0].result')" == failed ]] || fail "jobctl runs --json"

# A plan whose jobs all succeed: Finished says success, --wait exits 0; wait --all sees every job done.
cat >"$TEST_TMP/ok.json" <<'JSON'
{ "jobs": [ { "name": "one", "command": ["true"] }, { "name": "two", "command": ["true"], "after": "one" } ] }
JSON
mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short \
        "--match=type='signal',sender='org.jobd1',interface='org.jobd1.Run',member='Finished'" >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"
run_rc rc jobctl plan --wait --name=all-good "$TEST_TMP/ok.json"
assert_eq 0 "$rc" "exit status of jobctl plan --wait for a run that succeeded ($RUN_ERR)"
assert_contains "Run 2 (all-good) finished: success (2 success)." "$RUN_OUT" "--wait output"
wait_until 10 "the Finished signal of run 2" grep -q '"path":"/org/jobd1/run/2".*"data":\[2,"success"\]' "$mon"
assert_eq 1 "$(grep -c '"member":"Finished"' "$mon")" "Finished signals seen (the first run finished before)"

# wait --all: every job of both runs is done; some did not succeed, so it exits 1.
run_rc rc jobctl wait --all --json=short
assert_eq 1 "$rc" "exit status of jobctl wait --all"
assert_eq 9 "$(jq '[.[] | select(.state == "done")] | length' <<<"$RUN_OUT")" "jobs done seen by wait --all"
daemon_still_ok
