#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobctl watch on a live daemon: a line per state change (and --json, an object per line), the given
# jobs until they are all done, or every job of the caller, new ones too (narrowed by --label=), until
# SIGTERM or SIGINT; --on-finish=CMD run by jobctl for each job that ends, with the job in its environment.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

expect_rc 0 "watch --help" jobctl watch --help
assert_contains "--on-finish=" "$(jobctl watch --help)" "watch --help names --on-finish="
expect_rc 2 "IDs and --label= together" jobctl watch 1 --label=x
expect_rc 2 "an empty --on-finish=" jobctl watch --on-finish= 1
expect_rc 3 "an unknown job" jobctl watch 999999

WPIDS=()
stop_watchers() {
        local p
        for p in "${WPIDS[@]}"; do
                kill -KILL "$p" 2>/dev/null || true
        done
}
trap 'stop_watchers; cleanup' EXIT

# --- with IDs: until they are all done; --on-finish with the job's environment --------------------------
a=$(submit --hold --name=good -- true)
b=$(submit --hold --name=bad -- sh -c 'exit 3')
out="$TEST_TMP/watch-ids.out"
fin="$TEST_TMP/watch-ids.fin"
"$JOBCTL" watch --on-finish='echo "$JOBD_JOB_ID $JOBD_JOB_NAME $JOBD_JOB_RESULT $JOBD_JOB_EXIT_CODE $JOBD_JOB_EXIT_SIGNAL" >>'"$fin" \
        "$a" "$b" >"$out" 2>"$TEST_TMP/watch-ids.err" &
wpid=$!
WPIDS+=("$wpid")
wait_until 10 "the first lines of watch" grep -q "^$b bad waiting" "$out"
assert_contains "$a good waiting" "$(cat "$out")" "where each job stands when the watch begins"
jobctl release "$a" "$b"
wait_until 20 "watch to end once both are done" eval '! kill -0 '"$wpid"' 2>/dev/null'
rc=0
wait "$wpid" || rc=$?
assert_eq 0 "$rc" "watch of IDs exits 0 once they are done"
assert_contains "$a good done success" "$(cat "$out")" "the done line of the good job"
assert_contains "$b bad done failed (exit code 3)" "$(cat "$out")" "the done line of the failed job"
assert_contains "$a good running" "$(cat "$out")" "a line for the change to running"
assert_eq "$(printf '%s good success 0 0\n%s bad failed 3 0' "$a" "$b")" "$(sort -n "$fin")" \
        "--on-finish ran once per job with its environment"
assert_eq 1 "$(grep -c "^$a good done" "$out")" "a state is printed once"

# --- following: new jobs too, --label=, --json, ended by SIGTERM ------------------------------------
s=$(submit --hold --name=sentinel --label=mine -- true)
out="$TEST_TMP/watch-follow.out"
fin="$TEST_TMP/watch-follow.fin"
"$JOBCTL" watch --json --label=mine --on-finish='echo "$JOBD_JOB_ID $JOBD_JOB_RESULT" >>'"$fin" \
        >"$out" 2>"$TEST_TMP/watch-follow.err" &
wpid=$!
WPIDS+=("$wpid")
# The held job is printed first: from then on the watch is subscribed.
wait_until 10 "the sentinel's line" grep -q "\"id\":$s," "$out"
other=$(submit --name=other -- true)
n=$(submit --name=new --label=mine -- sh -c 'exit 5')
wait_done "$other"
wait_until 20 "the new job's done line" grep -q "\"id\":$n,.*\"state\":\"done\"" "$out"
line=$(grep "\"id\":$n,.*\"state\":\"done\"" "$out")
assert_eq failed "$(jq -r .result <<<"$line")" "JSON result"
assert_eq 5 "$(jq -r .exit_code <<<"$line")" "JSON exit_code"
assert_eq new "$(jq -r .name <<<"$line")" "JSON name"
jq -e . "$out" >/dev/null || fail "every line of --json is a JSON object: $(cat "$out")"
assert_not_contains "\"id\":$other," "$(cat "$out")" "--label= leaves out a job without the label"
wait_until 10 "--on-finish for the new job" grep -q "^$n failed$" "$fin"
kill -0 "$wpid" 2>/dev/null || fail "following ended by itself"
kill -TERM "$wpid"
rc=0
wait "$wpid" || rc=$?
assert_eq 0 "$rc" "SIGTERM ends following with exit 0"

# --- SIGINT (Ctrl-C) ends it too, with exit 0 (a background job of a script ignores SIGINT: undone here)
out="$TEST_TMP/watch-int.out"
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$JOBCTL" watch >"$out" 2>&1 &
wpid=$!
WPIDS+=("$wpid")
wait_until 10 "the sentinel's line" grep -q "^$s sentinel waiting" "$out"
kill -INT "$wpid"
rc=0
wait "$wpid" || rc=$?
assert_eq 0 "$rc" "SIGINT ends following with exit 0"
jobctl cancel "$s"
daemon_still_ok
