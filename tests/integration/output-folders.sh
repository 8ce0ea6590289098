#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Output folders, DVSim style (issue 11): LogPath and OutputDirectory put the log where the job says
# (folders created, never through a symlink in the last component), OpenLog, the LogPath property and a
# restart keep working with it, patterns judge it; a run with an output_root gives each job a folder of
# its own there and keeps passing/, failed/, killed/ and skipped/ folders of links to them, updated as
# jobs finish and after a run's Retry().
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=4

# LogPath: folders made, the log there, OpenLog and the property agree.
log="$TEST_TMP/out/a/b/test.log"
id=$(bsubmit 2 Argv as 3 sh -c 'echo hello; echo world >&2' LogPath s "$log")
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "a job with a LogPath"
assert_eq "hello
world" "$(cat "$log")" "the log at LogPath"
assert_eq "$log" "$(job_prop "$id" LogPath)" "the LogPath property"
assert_eq "hello
world" "$(jobctl logs "$id")" "jobctl logs (OpenLog) of a LogPath"
assert_file_missing "$STATE_DIR/logs/0/$id.log"

# OutputDirectory alone: the log is its job.log.
odir="$TEST_TMP/odir/t1"
id=$(bsubmit 2 Argv as 2 echo in-odir OutputDirectory s "$odir")
wait_done "$id"
assert_eq "in-odir" "$(cat "$odir/job.log")" "the log in the OutputDirectory"
assert_eq "$odir" "$(job_prop "$id" OutputDirectory)" "the OutputDirectory property"

# Never through a symlink in the last component.
echo "precious" >"$TEST_TMP/precious"
ln -s "$TEST_TMP/precious" "$TEST_TMP/link.log"
id=$(bsubmit 2 Argv as 2 echo overwritten LogPath s "$TEST_TMP/link.log")
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "a job whose LogPath is a symlink"
assert_contains "Cannot open the job's log" "$(job_prop_json "$id" Reason | jq -r .)" "Reason of the symlinked LogPath"
assert_eq precious "$(cat "$TEST_TMP/precious")" "the symlink's target is untouched"

expect_bus_error org.jobd1.Error.InvalidSpec "a relative LogPath" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true LogPath s rel.log
assert_contains "LogPath: must be an absolute path" "$BUS_ERR_MSG" "message of a relative LogPath"

# Across a restart: the log is followed, judged and opened where it is.
release="$TEST_TMP/release"
log="$TEST_TMP/restart/r.log"
id=$(bsubmit 3 Argv as 3 sh -c "echo before; while [ ! -e $release ]; do sleep 0.05; done; echo after" \
        LogPath s "$log" PassPatterns as 1 '^after$')
wait_state "$id" running
jobd_crash
jobd_start --max-parallel=4
touch "$release"
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "a LogPath job across a restart, its pass line in the log"
assert_eq "before
after" "$(jobctl logs "$id")" "jobctl logs after the restart"

# A run with an output_root: a folder per job, and links by result.
root="$TEST_TMP/scratch"
fixed="$TEST_TMP/fixed"
cat >"$TEST_TMP/dvsim.json" <<JSON
{ "name": "dvsim", "output_root": "$root",
  "defaults": { "fail_patterns": ["UVM_ERROR"] },
  "jobs": [
    { "name": "pass", "command": "echo ok" },
    { "name": "fail", "command": "test -e $fixed && echo ok || echo 'UVM_ERROR bad'" },
    { "name": "after-fail", "command": "echo later", "after": ["fail"] },
    { "name": "crash", "command": "kill -9 \$\$" },
    { "name": "own/odir", "command": "echo mine", "odir": "$TEST_TMP/elsewhere" },
    { "name": "failed", "command": "true" } ] }
JSON
run=$(plan_submit "$TEST_TMP/dvsim.json")
wait_run_done "$run" 30
assert_eq "$root" "$(run_prop "$run" OutputRoot)" "Run.OutputRoot"
assert_eq "$root/pass" "$(job_prop "$(run_job_id "$run" pass)" OutputDirectory)" "a job's folder under the root"
assert_eq ok "$(cat "$root/pass/job.log")" "its log"
wait_until 10 "the links of the run" test -L "$root/killed/crash"
assert_eq "$root/pass" "$(readlink "$root/passing/pass")" "passing/pass"
assert_eq "$root/fail" "$(readlink "$root/failed/fail")" "failed/fail"
assert_eq "$root/after-fail" "$(readlink "$root/skipped/after-fail")" "skipped/after-fail"
assert_eq "$root/crash" "$(readlink "$root/killed/crash")" "killed/crash"
assert_eq "$TEST_TMP/elsewhere" "$(readlink "$root/passing/own_odir")" "a job with its own odir, a '/' in its name"
named_failed=$(run_job_id "$run" failed)
assert_eq "$root/job-$named_failed" "$(job_prop "$named_failed" OutputDirectory)" \
        "the folder of a job named as a folder of links"
assert_eq "job-$named_failed own_odir pass" "$(LC_ALL=C ls "$root/passing" | tr '\n' ' ' | sed 's/ $//')" \
        "what passing/ holds"

# After Retry("failed") the fixed jobs move to passing/.
touch "$fixed"
bctl call org.jobd1 "$(run_path "$run")" org.jobd1.Run Retry s failed >/dev/null || fail "Retry failed"
wait_run_done "$run" 30
wait_until 10 "the links after the retry" test -L "$root/passing/after-fail"
assert_eq "$root/fail" "$(readlink "$root/passing/fail")" "passing/fail after the retry"
assert_file_missing "$root/failed/fail"
assert_file_missing "$root/skipped/after-fail"
assert_eq "$root/crash" "$(readlink "$root/killed/crash")" "killed/crash after the retry (killed again)"

# jobctl submit/run --log-path= and --output-directory= (LogPath, OutputDirectory): a relative path is
# resolved against jobctl's directory; jobctl show and run-status print the new properties.
mkdir -p "$TEST_TMP/cli"
expect_rc 0 "jobctl run --log-path=cli/run.log" \
        bash -c "cd '$TEST_TMP' && '$JOBCTL' --address='$BUS' run --log-path=cli/run.log -- echo via-run"
assert_eq via-run "$(cat "$TEST_TMP/cli/run.log")" "the log of jobctl run --log-path= (relative)"
out=$(jobctl submit --json=short --output-directory="$TEST_TMP/cli/odir" --fail-pattern='UVM_(ERROR|FATAL)' \
        --pass-pattern='TEST PASSED' -- sh -c 'echo "UVM_ERROR @ 5ns: boom"; echo TEST PASSED')
id=$(jq -r .id <<<"$out")
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "a job submitted with --fail-pattern that prints UVM_ERROR"
assert_contains "UVM_ERROR @ 5ns: boom" "$(cat "$TEST_TMP/cli/odir/job.log")" "the log in --output-directory="
show=$(jobctl show "$id")
assert_match "OutputDirectory: +$TEST_TMP/cli/odir" "$show" "jobctl show: OutputDirectory"
assert_match "LogPath: +$TEST_TMP/cli/odir/job.log" "$show" "jobctl show: LogPath"
assert_match "FailPatterns: +'UVM_\(ERROR\|FATAL\)'" "$show" "jobctl show: FailPatterns"
assert_match "PassPatterns: +'TEST PASSED'" "$show" "jobctl show: PassPatterns"
assert_match "Reason: +FailPatterns: .*line 1: UVM_ERROR @ 5ns: boom" "$show" "jobctl show: Reason"
assert_eq "$TEST_TMP/cli/odir" "$(jobctl show --json=short "$id" | jq -r .OutputDirectory)" "jobctl show --json"
expect_rc 2 "jobctl submit --log-path= naming a folder" jobctl submit --log-path="$TEST_TMP/cli/" -- true
expect_rc 2 "jobctl submit --output-directory= empty" jobctl submit --output-directory= -- true
expect_rc 2 "jobctl list --log-path= (not a submit verb)" jobctl list --log-path=/tmp/x
assert_contains "--log-path=PATH" "$(jobctl submit --help)" "submit --help"
assert_contains "--output-directory=DIR" "$(jobctl run --help)" "run --help"

# run-status: the run's output root and timeout.
status=$(jobctl run-status "$run")
assert_match "Output: +$root" "$status" "run-status: the output root"
cat >"$TEST_TMP/timed.json" <<JSON
{ "name": "timed", "timeout": "1h", "jobs": [ { "name": "t", "command": "true" } ] }
JSON
timed=$(plan_submit "$TEST_TMP/timed.json")
wait_run_done "$timed" 30
assert_match "Timeout: +1h" "$(jobctl run-status "$timed")" "run-status: the run's timeout"
! grep -q "Output:" <<<"$(jobctl run-status "$timed")" || fail "run-status: an Output line for a run without one"
daemon_still_ok
