#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# FailPatterns and PassPatterns (issue 11): the daemon decides a test's verdict from its log. A job that
# prints UVM_ERROR and exits 0 is failed, its Reason quotes the line with its number, and the jobs that
# wait for its success are skipped; a pass pattern that never matched fails the job; a non-zero exit stays
# failed and quotes the first fail match; a bad regex is refused with PCRE2's message and offset; the
# verdict drives RetryOn failed; the patterns survive a restart of jobd; a 100 MB log is scanned with the
# match near its end.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=4

reason() {
        job_prop_json "$1" Reason | jq -r .
}

count="$TEST_TMP/count"
cat >"$TEST_TMP/regress.json" <<JSON
{ "name": "regress",
  "defaults": { "fail_patterns": ["UVM_(ERROR|FATAL)", "^Error-\\\\[.*\\\\]"], "pass_patterns": "TEST PASSED" },
  "jobs": [
    { "name": "uvm-error", "command": "echo start; echo 'UVM_INFO @ 0: ok'; echo 'UVM_ERROR @ 10ns: scoreboard mismatch'; echo 'TEST PASSED'; exit 0" },
    { "name": "after-error", "command": ["true"], "after": ["uvm-error"], "pass_patterns": [] },
    { "name": "no-pass", "command": "echo 'all quiet'" },
    { "name": "passes", "command": "echo 'UVM_INFO fine'; echo 'TEST PASSED'" },
    { "name": "after-pass", "command": ["true"], "after": ["passes"], "fail_patterns": [], "pass_patterns": [] },
    { "name": "exit-3", "command": "echo one; echo two; echo 'Error-[SE] syntax error'; echo 'UVM_FATAL later'; exit 3" },
    { "name": "flaky", "retries": 1, "retry_on": ["failed"],
      "command": "n=\$(cat $count 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > $count; [ \$n -ge 2 ] && echo 'TEST PASSED'; echo 'UVM_ERROR x' | sed -n \"\${n}p\"" }
  ] }
JSON
run=$(plan_submit "$TEST_TMP/regress.json")
wait_run_done "$run" 60

err=$(run_job_id "$run" uvm-error)
assert_eq failed "$(job_prop "$err" Result)" "Result of a job printing UVM_ERROR and exiting 0"
assert_eq 0 "$(job_prop "$err" ExitCode)" "ExitCode of that job (its process succeeded)"
assert_eq 'FailPatterns: "UVM_(ERROR|FATAL)" matched line 3: UVM_ERROR @ 10ns: scoreboard mismatch' \
        "$(reason "$err")" "Reason of the UVM_ERROR job"
assert_eq skipped "$(job_prop "$(run_job_id "$run" after-error)" Result)" \
        "a success-dependent of the UVM_ERROR job"
assert_contains "uvm-error" "$(reason "$(run_job_id "$run" after-error)")" "Reason of the skipped job"

np=$(run_job_id "$run" no-pass)
assert_eq failed "$(job_prop "$np" Result)" "Result of a job whose pass pattern never matched"
assert_eq 'PassPatterns: "TEST PASSED" never matched the log' "$(reason "$np")" "Reason (missing pass)"

assert_eq success "$(job_prop "$(run_job_id "$run" passes)" Result)" "a job with its pass line and no fail line"
assert_eq success "$(job_prop "$(run_job_id "$run" after-pass)" Result)" "the job after it"

e3=$(run_job_id "$run" exit-3)
assert_eq failed "$(job_prop "$e3" Result)" "Result of exit 3"
assert_eq 3 "$(job_prop "$e3" ExitCode)" "ExitCode of exit 3"
assert_eq 'FailPatterns: "^Error-\[.*\]" matched line 3: Error-[SE] syntax error' "$(reason "$e3")" \
        "Reason of a failed exit quotes the first fail match"

fl=$(run_job_id "$run" flaky)
assert_eq success "$(job_prop "$fl" Result)" "the flaky job (retried because of its UVM_ERROR line)"
assert_eq 2 "$(job_prop "$fl" Attempt)" "attempts of the flaky job"
attempts=$(job_prop_json "$fl" Attempts)
assert_eq '"failed",0' "$(jq -r '.[0][2:4] | map(tojson) | join(",")' <<<"$attempts")" \
        "first attempt of the flaky job: failed by the patterns, exit 0"

assert_eq 3 "$(run_count "$run" ResultCounts failed)" "failed jobs in the run's counts"
assert_eq 1 "$(run_count "$run" ResultCounts skipped)" "skipped jobs in the run's counts"
assert_eq '["UVM_(ERROR|FATAL)","^Error-\\[.*\\]"]' "$(job_prop_json "$err" FailPatterns)" "FailPatterns property"
assert_eq '[]' "$(job_prop_json "$(run_job_id "$run" after-error)" PassPatterns)" "PassPatterns cleared by a job"

# jobctl options.
id=$(submit --fail-pattern='(?i)assertion failed' --pass-pattern=done -- sh -c 'echo done; echo "Assertion FAILED: x"')
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "jobctl --fail-pattern"
assert_eq 'FailPatterns: "(?i)assertion failed" matched line 2: Assertion FAILED: x' "$(reason "$id")" \
        "Reason via jobctl"
id=$(submit --pass-pattern=done --pass-pattern=also -- sh -c 'echo done')
wait_done "$id"
assert_eq 'PassPatterns: "also" never matched the log' "$(reason "$id")" "the second of two pass patterns"

# A bad regex: InvalidSpec with PCRE2's message and offset, nothing queued.
expect_bus_error org.jobd1.Error.InvalidSpec "a bad regex" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true FailPatterns as 2 ok 'a(b'
assert_match 'FailPatterns: "a\(b": missing closing parenthesis at offset 3' "$BUS_ERR_MSG" \
        "message of a bad regex"
out=$(jobctl submit --pass-pattern='x{2,1}' -- true 2>&1) && fail "jobctl submit with a bad regex succeeded"
assert_contains 'PassPatterns: "x{2,1}"' "$out" "jobctl names the bad pattern"
assert_contains 'at offset' "$out" "jobctl gives the offset"
cat >"$TEST_TMP/bad.json" <<'JSON'
{ "defaults": { "fail_patterns": ["ok", "[z-a]"] }, "jobs": [ { "command": ["true"] } ] }
JSON
out=$(jobctl plan "$TEST_TMP/bad.json" 2>&1) && fail "a plan with a bad default regex was taken"
assert_contains 'defaults: FailPatterns: "[z-a]": range out of order in character class at offset' "$out" \
        "a bad default regex in a plan"

# Kept across a restart: a job still running when jobd dies is judged with its patterns afterwards.
release="$TEST_TMP/release"
id=$(submit --fail-pattern=BOOM -- sh -c "echo BOOM; while [ ! -e $release ]; do sleep 0.05; done")
wait_state "$id" running
jobd_crash
jobd_start --max-parallel=4
assert_eq '["BOOM"]' "$(job_prop_json "$id" FailPatterns)" "FailPatterns after a restart"
touch "$release"
wait_done "$id"
assert_eq 'FailPatterns: "BOOM" matched line 1: BOOM' "$(reason "$id")" "verdict after a restart"

# A 100 MB log, the match near its end, and its line number.
id=$(submit --fail-pattern='FATAL: [a-z]+ overflow' --pass-pattern='^DONE$' -- sh -c \
        'yes "UVM_INFO @ 1ns: a quite ordinary line of simulation output here" | head -c 100000000; echo; echo "FATAL: fifo overflow"; echo DONE')
wait_done "$id" 120
assert_eq failed "$(job_prop "$id" Result)" "Result of the 100 MB log"
line="UVM_INFO @ 1ns: a quite ordinary line of simulation output here"
len=$((${#line} + 1))
assert_eq "FailPatterns: \"FATAL: [a-z]+ overflow\" matched line $((100000000 / len + 2)): FATAL: fifo overflow" \
        "$(reason "$id")" "Reason of the 100 MB log (line number)"
id=$(submit --pass-pattern='^DONE$' -- sh -c 'yes "line" | head -c 100000000; echo DONE')
wait_done "$id" 120
assert_eq success "$(job_prop "$id" Result)" "a 100 MB log with its pass line at the end"

# Slot quarantine sees the verdict: on board b0 every test prints UVM_FATAL and exits 0.
expect_rc 0 "jobctl slot-pool" jobctl slot-pool board b0 b1 --quarantine-after=2
expect_rc 0 "jobctl group serial 1" jobctl group serial 1
{
        printf '{ "name": "lab", "defaults": { "group": "serial", "resources": { "board": 1 }, '
        printf '"fail_patterns": ["UVM_FATAL"] }, "jobs": ['
        for i in 0 1 2 3; do
                ((i > 0)) && printf ','
                printf '{ "name": "t%d", "command": "%s" }' "$i" \
                        'echo $JOBD_SLOT_BOARD; if [ \"$JOBD_SLOT_BOARD\" = b0 ]; then echo UVM_FATAL; fi; exit 0'
        done
        echo '] }'
} >"$TEST_TMP/lab.json"
run=$(plan_submit "$TEST_TMP/lab.json")
wait_run_done "$run" 30
got=""
for i in 0 1 2 3; do
        got+="$(jobctl logs "$(run_job_id "$run" "t$i")" | head -n 1) "
done
assert_eq "b0 b0 b1 b1 " "$got" "the boards the jobs got (b0 quarantined after 2 verdicts of failure)"
assert_match "b0 +QUARANTINED" "$(jobctl pools)" "the board quarantined by the patterns' verdicts"
