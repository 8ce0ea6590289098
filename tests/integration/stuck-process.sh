#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A process that survives SIGKILL (here: frozen by the cgroup v1 freezer, which holds even fatal signals
# until it is thawed, like a process in uninterruptible sleep) leaves its job in state "stopping" with a
# Reason that says so, and never blocks the daemon: other jobs still run. Once it can die, the job is done.
. "$(dirname "$0")/../helpers/lib.sh"

freezer=$(awk '$9 == "cgroup" && $NF ~ /(^|,)freezer(,|$)/ { print $5; exit }' /proc/self/mountinfo)
[[ -n "$freezer" && -w "$freezer" ]] || skip "no writable cgroup v1 freezer hierarchy (pure cgroup v2 host)"
frz="$freezer/jobd-test-stuck-$$"

thaw_and_remove() {
        if [[ -d "$frz" ]]; then
                echo THAWED > "$frz/freezer.state" 2>/dev/null
                for p in $(cat "$frz/tasks" 2>/dev/null); do echo "$p" > "$freezer/tasks" 2>/dev/null; done
                rmdir "$frz" 2>/dev/null
        fi
}
jobd_start
# After jobd_start, which sets lib.sh's own EXIT trap: thaw first, so lib.sh can empty the job cgroups.
trap 'thaw_and_remove; cleanup' EXIT
pidfile="$TEST_TMP/sleeper.pid"
id=$(submit -- sh -c 'sleep 1000 & echo $! > "$0"; wait' "$pidfile")
wait_file "$pidfile"
wait_state "$id" running
sleeper=$(cat "$pidfile")

mkdir "$frz"
echo "$sleeper" > "$frz/tasks"
echo FROZEN > "$frz/freezer.state"
wait_until 10 "the sleeper to be frozen" grep -qx FROZEN "$frz/freezer.state"

out=$(mcall KillJob ti "$id" 9) || fail "KillJob $id 9 failed: $out"
wait_state "$id" stopping
wait_until 20 "a Reason about the process that did not die" \
        eval '[[ "$(job_prop "$id" Reason)" == *"did not exit"* ]]'
kill -0 "$sleeper" 2>/dev/null || fail "the frozen sleeper $sleeper died although frozen"
assert_eq stopping "$(job_prop "$id" State)" "State while a process survives SIGKILL"

# The daemon is not blocked: another job runs to its end meanwhile.
other=$(submit -- true)
wait_done "$other" 20
assert_eq success "$(job_prop "$other" Result)" "Result of a job run while another is stuck"

echo THAWED > "$frz/freezer.state"
wait_done "$id" 20
assert_eq killed "$(job_prop "$id" Result)" "Result once the stuck process could die"
pid_gone "$sleeper" || fail "the sleeper $sleeper is still alive after thawing"
