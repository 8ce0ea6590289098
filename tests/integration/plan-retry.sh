#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Retries (issue 3): a flaky test passes on its second attempt (Attempt 2, both attempts in Attempts, only
# the last decides the result, the delay between them is kept); RetryOn limits which failures are retried,
# and a retry without delay starts at once (on systemd: a new scope while the old one may linger);
# a run's Retry("failed") runs the failed and the skipped jobs again once the cause is fixed.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=4

count="$TEST_TMP/count"
fixed="$TEST_TMP/fixed"
flaky="n=\$(cat $count 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > $count; echo attempt \$n; [ \$n -ge 2 ]"
cat >"$TEST_TMP/retry.json" <<JSON
{
  "defaults": { "retry_delay": "800ms" },
  "jobs": [
    { "name": "flaky", "retries": 2, "retry_on": ["failed"],
      "command": ["sh", "-c", "$flaky"] },
    { "name": "wrong-code", "retries": 3, "retry_on": [75], "command": ["sh", "-c", "exit 4"] },
    { "name": "right-code", "retries": 1, "retry_on": [75], "retry_delay": "0",
      "command": ["sh", "-c", "test -e $count.75 && exit 0; touch $count.75; exit 75"] },
    { "name": "broken", "command": ["sh", "-c", "test -e $fixed"] },
    { "name": "after-broken", "command": ["true"], "after": ["broken"] }
  ]
}
JSON
run=$(plan_submit "$TEST_TMP/retry.json")
flaky=$(run_job_id "$run" flaky)

# Between the attempts the job waits, saying why.
wait_until 10 "the first attempt of the flaky job to fail" test -s "$count"
wait_until 10 "the flaky job to wait for its retry" job_state_is "$flaky" waiting
assert_match "^Attempt 1 of 3 ended with result failed \(exit code 1\); next attempt in 800" \
        "$(job_prop "$flaky" Reason)" "Reason while the flaky job waits for its retry"
wait_run_done "$run" 30

assert_eq success "$(job_prop "$flaky" Result)" "Result of the flaky job (its last attempt decides)"
assert_eq 2 "$(job_prop "$flaky" Attempt)" "Attempt of the flaky job"
attempts=$(bctl --json=short get-property org.jobd1 "$(job_path "$flaky")" org.jobd1.Job Attempts | jq -c .data)
assert_eq 2 "$(jq length <<<"$attempts")" "entries in Attempts"
assert_eq '"failed",1' "$(jq -r '.[0][2:4] | map(tojson) | join(",")' <<<"$attempts")" "first attempt"
assert_eq '"success",0' "$(jq -r '.[1][2:4] | map(tojson) | join(",")' <<<"$attempts")" "second attempt"
gap=$(jq '.[1][0] - .[0][1]' <<<"$attempts")
assert_int "$gap" -ge 800000 "µs from the end of attempt 1 to the start of attempt 2 (RetryDelayUSec)"
assert_eq "attempt 1
attempt 2" "$(jobctl logs "$flaky")" "log of the flaky job (both attempts)"
assert_contains "#2" "$(jobctl show "$flaky")" "jobctl show lists the attempts"

wrong=$(run_job_id "$run" wrong-code)
assert_eq failed "$(job_prop "$wrong" Result)" "Result of a job whose exit code is not in RetryOn"
assert_eq 1 "$(job_prop "$wrong" Attempt)" "Attempt of a job whose exit code is not in RetryOn"
assert_eq "as 1 \"75\"" "$(bctl get-property org.jobd1 "$(job_path "$wrong")" org.jobd1.Job RetryOn)" "RetryOn"
right=$(run_job_id "$run" right-code)
assert_eq success "$(job_prop "$right" Result)" "Result of a job retried for exit code 75"
assert_eq 2 "$(job_prop "$right" Attempt)" "Attempt of a job retried for exit code 75"
if [[ "${JOBD_TEST_BACKEND:-cgroupfs}" == systemd ]]; then
        assert_eq "jobd-$right-2.scope" "$(job_prop "$right" Unit)" "Unit of the second attempt (a scope of its own)"
fi

broken=$(run_job_id "$run" broken)
after=$(run_job_id "$run" after-broken)
assert_eq failed "$(job_prop "$broken" Result)" "Result of the broken job"
assert_eq skipped "$(job_prop "$after" Result)" "Result of the job after the broken one"
assert_eq failed "$(run_prop "$run" Result)" "Result of the run before its retry"

# Retry("failed"): the failed and the skipped run again, the others keep their result.
touch "$fixed"
out=$(bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s failed)
assert_eq "u 3" "$out" "jobs Retry(failed) queued again (broken, after-broken, wrong-code)"
wait_run_done "$run" 30
assert_eq success "$(job_prop "$broken" Result)" "Result of the broken job once fixed"
assert_eq success "$(job_prop "$after" Result)" "Result of the job after it, no longer skipped"
assert_eq 2 "$(job_prop "$broken" Attempt)" "Attempt of the rerun job (its history is kept)"
assert_eq success "$(job_prop "$flaky" Result)" "the flaky job was not run again"
assert_eq 2 "$(job_prop "$flaky" Attempt)" "Attempt of the flaky job after the run's retry"
assert_eq 1 "$(run_count "$run" ResultCounts failed)" "failed jobs after the retry (wrong-code, still)"

expect_bus_error org.freedesktop.DBus.Error.InvalidArgs "Retry with a bad argument" \
        call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s some
expect_rc 0 "jobctl run-retry" jobctl run-retry "$run" all
assert_contains "queued again" "$RUN_OUT" "jobctl run-retry output"
wait_run_done "$run" 30
daemon_still_ok
