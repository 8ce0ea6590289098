#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A pueue/task-spooler user's daily loop with jobctl, on a live daemon: submit with labels and retry
# options, the status table (columns, filters, --no-legend, --json), wait's exit code and --exec, logs -n
# and -f across a truncation, kill/cancel --group/--all, restart, remove, clean, run-status --jobs, and the
# usage mistakes that are refused.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start
uid=$(id -u)

# --- submit options reach the job -----------------------------------------------------------------
a=$(submit --name=ok --label=nightly --label=gpu --retries=2 --retry-on=timeout,75 --retry-delay=1s -- \
        sh -c 'echo one; echo two; echo three # and a comment that makes it long')
wait_done "$a"
assert_eq '["nightly","gpu"]' "$(job_prop_json "$a" Labels)" "--label (twice)"
assert_eq 2 "$(job_prop "$a" Retries)" "--retries"
assert_eq '["timeout","75"]' "$(job_prop_json "$a" RetryOn)" "--retry-on"
assert_eq 1000000 "$(job_prop "$a" RetryDelayUSec)" "--retry-delay"
expect_rc 2 "a bad --retry-delay" jobctl submit --retry-delay=soon -- true

# --- --stderr=FILE: the job's stderr apart from its log -----------------------------------------------
e=$(submit --stderr="$TEST_TMP/err.txt" -- sh -c 'echo out; echo err >&2')
wait_done "$e"
assert_eq out "$(jobctl logs "$e")" "stdout in the log, stderr not"
assert_eq err "$(cat "$TEST_TMP/err.txt")" "stderr in the --stderr file"
expect_rc 1 "--stderr= in a folder that does not exist" jobctl submit --stderr=/nonexistent/x -- true
jobctl remove "$e"

# --- wait: one job gives its exit status; --exec runs for each ending -------------------------------
f=$(submit --name=three --group=batch -- sh -c 'exit 3')
expect_rc 3 "jobctl wait on a job that exited 3" jobctl wait "$f"
expect_rc 0 "jobctl wait on a successful job" jobctl wait "$a"
expect_rc 1 "jobctl wait on two jobs, one failed" jobctl wait "$a" "$f"
out="$TEST_TMP/exec.out"
expect_rc 1 "jobctl wait --exec" jobctl wait --exec='echo "$JOBD_JOB_ID $JOBD_JOB_NAME $JOBD_JOB_RESULT $JOBD_JOB_EXIT_CODE $JOBD_JOB_EXIT_SIGNAL" >>'"$out" "$a" "$f"
assert_eq "$(printf '%s ok success 0 0\n%s three failed 3 0' "$a" "$f")" "$(sort -n "$out")" "--exec environment"

# --- logs -n ----------------------------------------------------------------------------------------
assert_eq "$(printf 'two\nthree')" "$(jobctl logs -n 2 "$a")" "logs -n 2"
assert_eq "$(printf 'one\ntwo\nthree')" "$(jobctl logs -n 10 "$a")" "logs -n 10 (more than there are)"
assert_eq "" "$(jobctl logs -n 0 "$a")" "logs -n 0"
expect_rc 2 "logs -n x" jobctl logs -n x "$a"

# --- logs --attempt=K: what each attempt wrote --------------------------------------------------------
cnt="$TEST_TMP/count"
at=$(submit --retries=2 -- sh -c 'n=$(cat '"$cnt"' 2>/dev/null || echo 0); n=$((n + 1)); echo $n >'"$cnt"'; echo "attempt $n"; [ $n -ge 2 ]')
wait_done "$at"
assert_eq success "$(job_prop "$at" Result)" "the second attempt succeeded"
assert_eq 2 "$(job_prop_json "$at" AttemptLogOffsets | jq length)" "AttemptLogOffsets"
assert_eq "attempt 1" "$(jobctl logs --attempt=1 "$at")" "logs --attempt=1"
assert_eq "attempt 2" "$(jobctl logs --attempt=2 "$at")" "logs --attempt=2"
assert_eq "$(printf 'attempt 1\nattempt 2')" "$(jobctl logs "$at")" "logs: every attempt"
expect_rc 1 "logs --attempt=3 of a job with 2" jobctl logs --attempt=3 "$at"
expect_rc 2 "logs --attempt=0" jobctl logs --attempt=0 "$at"
expect_rc 2 "logs --attempt with -f" jobctl logs -f --attempt=1 "$at"
jobctl remove "$at"

# --- list: columns, filters, --no-legend, --json -----------------------------------------------------
k=$(submit --name=sleeper --group=batch --label=gpu -- sleep 60)
wait_state "$k" running
out=$(jobctl list) || fail "jobctl list failed"
head=$(head -n1 <<<"$out")
for col in ID NAME STATE RESULT EXIT OWNER START TIME LABELS COMMAND; do
        assert_contains "$col" "$head" "list header"
done
assert_match "^ *$f +three +done +failed +3 " "$(grep -E "^ *$f " <<<"$out")" "list row of the job that exited 3"
assert_contains "nightly,gpu" "$(grep -E "^ *$a " <<<"$out")" "labels column"
assert_contains "sh -c 'echo one; echo two; echo" "$(grep -E "^ *$a " <<<"$out")" "command column"
assert_contains "…" "$(grep -E "^ *$a " <<<"$out")" "a long command is shortened"
assert_eq 3 "$(jobctl list --no-legend | wc -l)" "--no-legend: one line per job"
assert_eq "$k" "$(jobctl list --no-legend --state=running | awk '{print $1}')" "--state=running"
assert_eq "$f" "$(jobctl list --no-legend --result=failed | awk '{print $1}')" "--result=failed"
assert_eq "$f $k" "$(jobctl list --no-legend --group=batch | awk '{print $1}' | xargs)" "--group"
assert_eq "$a $k" "$(jobctl list --no-legend --label=gpu | awk '{print $1}' | xargs)" "--label"
assert_eq 3 "$(jobctl list --no-legend --owner="$uid" | wc -l)" "--owner (ours)"
assert_eq 0 "$(jobctl list --no-legend --owner=$((uid + 1)) | wc -l)" "--owner (another)"
assert_eq 3 "$(jobctl list --no-legend --since=1h | wc -l)" "--since=1h"
assert_eq 0 "$(jobctl list --no-legend --since=@$(($(date +%s) + 60)) | wc -l)" "--since in the future"
expect_rc 2 "--state=finished" jobctl list --state=finished
expect_rc 2 "--since=soonish" jobctl list --since=soonish
j=$(jobctl list --json --result=failed) || fail "list --json"
assert_eq "$f failed 3 three" "$(jq -r '.[0] | "\(.id) \(.result) \(.exit_code) \(.name)"' <<<"$j")" "list --json"
assert_eq '["sh","-c","exit 3"]' "$(jq -c '.[0].argv' <<<"$j")" "list --json argv"
assert_int "$(jq -r '.[0].finish_usec' <<<"$j")" -ge "$(jq -r '.[0].start_usec' <<<"$j")" "list --json times"

# --- kill/cancel by group, all; usage mistakes ---------------------------------------------------
k2=$(submit --group=other -- sleep 60)
wait_state "$k2" running
expect_rc 0 "kill --group=batch" jobctl kill -s KILL --group=batch
wait_done "$k"
assert_eq killed "$(job_prop "$k" Result)" "the batch job was killed"
assert_eq running "$(job_prop "$k2" State)" "the job of another group was not"
expect_rc 137 "wait on a killed job: 128+9" jobctl wait "$k"
assert_contains "SIGKILL" "$(jobctl list --no-legend --result=killed)" "EXIT column of a killed job"
q=$(submit --after="$k2" -- true)
expect_rc 2 "cancel with IDs and --all" jobctl cancel --all "$k2"
expect_rc 2 "cancel with nothing" jobctl cancel
expect_rc 2 "kill with nothing" jobctl kill
expect_rc 0 "cancel --all" jobctl cancel --all
wait_done "$k2"
wait_done "$q"
# Cancelled, or skipped if the job it waits for was cancelled first.
assert_match '^(cancelled|skipped)$' "$(job_prop "$q" Result)" "a waiting job is ended by cancel --all"
expect_rc 2 "group add 5 is refused" jobctl group add 5
expect_rc 2 "pool create 3 is refused" jobctl pool create 3

# --- restart, remove, clean --------------------------------------------------------------------------
n=$(jobctl restart "$a") || fail "restart failed"
assert_match '^[0-9]+$' "$n" "restart prints the new ID"
assert_ne "$a" "$n" "restart makes a new job"
wait_done "$n"
assert_eq success "$(job_prop "$n" Result)" "the restarted job ran"
assert_eq ok "$(job_prop "$n" Name)" "same name"
assert_eq '["nightly","gpu"]' "$(job_prop_json "$n" Labels)" "same labels"
assert_eq "$(job_prop_json "$a" Argv)" "$(job_prop_json "$n" Argv)" "same command"
assert_eq 2 "$(job_prop "$n" Retries)" "same retries"
# Names where a job is named: the newest job of that name.
assert_eq "$n" "$(jobctl show ok --json=short | jq -r .Id)" "a name names the newest job of that name"
assert_eq "$f" "$(jobctl show three --json=short | jq -r .Id)" "the job named three"
expect_rc 0 "wait on a job by name" jobctl wait ok
expect_rc 3 "no job of that name" jobctl logs no-such-name
r=$(submit -- sleep 60)
wait_state "$r" running
expect_rc 1 "restart of a running job" jobctl restart "$r"
jobctl cancel "$r"
wait_done "$r"
expect_rc 0 "remove" jobctl remove "$a"
expect_rc 3 "show of a removed job" jobctl show "$a"
expect_rc 3 "remove of no such job" jobctl remove 999999
before=$(jobctl list --no-legend | wc -l)
assert_eq "Removed 1 job." "$(jobctl clean --result=failed)" "clean --result=failed"
expect_rc 3 "the failed job is gone" jobctl show "$f"
assert_eq $((before - 1)) "$(jobctl list --no-legend | wc -l)" "clean removed only the failed job"
out=$(jobctl clean) || fail "clean"
assert_eq 0 "$(jobctl list --no-legend | wc -l)" "clean removed every done job ($out)"

# --- run-status --jobs ------------------------------------------------------------------------------
cat >"$TEST_TMP/p.json" <<'JSON'
{ "defaults": { "labels": "pl" },
  "jobs": [ { "name": "a", "command": "true" }, { "name": "b", "command": "true", "after": ["a"], "labels": ["own"] } ] }
JSON
run=$(jobctl plan --json "$TEST_TMP/p.json" | jq -r .run) || fail "plan"
expect_rc 0 "plan done" jobctl wait --all
out=$(jobctl run-status "$run" --jobs --no-legend) || fail "run-status --jobs"
assert_eq "a b" "$(awk '{print $2}' <<<"$out" | xargs)" "run-status --jobs lists the run's jobs"
assert_eq 2 "$(jobctl list --no-legend --run="$run" | wc -l)" "list --run"
assert_eq a "$(jobctl list --no-legend --label=pl | awk '{print $2}')" "a plan's default labels (b has its own)"
assert_eq b "$(jobctl list --no-legend --label=own | awk '{print $2}')" "a plan job's own labels"
jobctl clean >/dev/null || fail "clean"
assert_eq 2 "$(jobctl list --no-legend --run="$run" | wc -l)" "clean leaves a run's jobs"

# --- logs -f follows a log that was truncated under it ------------------------------------------------
t=$(submit -- sh -c 'echo "first line, long enough to be past a later truncation"; sleep 2; echo after')
wait_state "$t" running
logf=$(job_prop "$t" LogPath)
jobctl logs -f "$t" >"$TEST_TMP/follow.out" 2>"$TEST_TMP/follow.err" &
fpid=$!
wait_until 10 "the first line to be followed" grep -q "first line" "$TEST_TMP/follow.out"
: >"$logf"
wait_done "$t"
wait "$fpid" || fail "logs -f exited $?"
assert_contains after "$(cat "$TEST_TMP/follow.out")" "logs -f printed what came after the truncation"
assert_contains truncated "$(cat "$TEST_TMP/follow.err")" "logs -f said the log was truncated"

# --- --help on every verb ---------------------------------------------------------------------------
for v in $(jobctl --help | awk '/^Commands:/{c=1;next} /^Options:/{c=0} c && /^  [a-z]/{print $1}'); do
        expect_rc 0 "jobctl $v --help" jobctl "$v" --help
done
daemon_still_ok
