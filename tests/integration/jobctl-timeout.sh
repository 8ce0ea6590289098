#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every jobctl call has a timeout: with jobd stopped (SIGSTOP: on the bus, never answering) each verb
# given --timeout=1s (submit and run: --call-timeout=1s, their --timeout= is the job's) gives up after
# about a second, says the daemon did not answer within 1 s and exits non-zero. Before, `jobctl plan`
# waited five minutes and the others 25 s, with no way to choose.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

plan="$TEST_TMP/plan.json"
echo '{"jobs": [{"name": "a", "command": ["true"]}]}' >"$plan"
id=$(submit -- true)
wait_done "$id"

# submit's --timeout= is still the job's.
id2=$(submit --timeout=90s -- true)
assert_eq 90000000 "$(job_prop "$id2" TimeoutUSec)" "submit --timeout= sets the job's TimeoutUSec"

kill -STOP "$JOBD_PID"
resume() { kill -CONT "$JOBD_PID" 2>/dev/null || true; }
trap 'resume; cleanup' EXIT

# expect_gives_up WHAT JOBCTL-ARGS...
expect_gives_up() {
        local what=$1 t0 t1 rc=0
        shift
        t0=$(now_ms)
        JOBCTL_TIMEOUT=20 jobctl "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
        t1=$(now_ms)
        if [[ "$rc" == 0 ]]; then
                soft_fail "$what: succeeded against a stopped daemon: $(cat "$TEST_TMP/out")"
        elif [[ "$rc" == 124 || "$rc" == 137 ]]; then
                soft_fail "$what: still waiting after 20 s"
        elif ! grep -q 'did not answer within 1' "$TEST_TMP/err"; then
                soft_fail "$what: exit $rc without saying the daemon did not answer: $(cat "$TEST_TMP/err")"
        elif ((t1 - t0 > 10000)); then
                soft_fail "$what: gave up only after $((t1 - t0)) ms"
        else
                log "ok: $what -> exit $rc after $((t1 - t0)) ms: $(head -n1 "$TEST_TMP/err")"
        fi
}

expect_gives_up "list" --timeout=1s list
expect_gives_up "status (option before the verb)" --timeout=1s status
expect_gives_up "show" show --timeout=1 "$id"
expect_gives_up "cancel" cancel --timeout=1s "$id"
expect_gives_up "plan" plan --timeout=1s "$plan"
expect_gives_up "submit" submit --call-timeout=1s -- true
expect_gives_up "set-parallel" --call-timeout=1s set-parallel 3
expect_gives_up "group" --timeout=1s group build 2

resume
daemon_still_ok
