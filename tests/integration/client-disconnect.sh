#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A client disconnecting mid-job does not affect the job: `jobctl run` killed with SIGKILL, a busctl
# Submit whose connection closes at once, a jobctl wait killed. (Whereas a SIGINT to `jobctl run` is a
# request: jobctl(1) says it cancels the job; checked at the end.)
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

release="$TEST_TMP/release"
donefile="$TEST_TMP/done"
bg_start "$JOBCTL" run -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done; echo done > "$1"' "$release" "$donefile"
client=$BG_PID
id=""
find_job() {
        id=$(mcall ListJobs | grep -o '/org/jobd1/job/[0-9]*' | head -n1 | sed 's|.*/||')
        [[ -n "$id" ]] && job_state_is "$id" running
}
wait_until 10 "the job of jobctl run to be running" find_job
kill -KILL "$client"
wait "$client" 2>/dev/null || true
# Nothing to wait on for "no change"; give the daemon a moment in which a wrong reaction would show.
holds_for 1 job_state_is "$id" running || fail "job $id stopped after its client was killed: state $(job_prop "$id" State), result $(job_prop "$id" Result)"
touch "$release"
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result of a job whose client was killed"
assert_eq done "$(cat "$donefile")" "work of a job whose client was killed"

# busctl submits and disconnects right away (every busctl call does): the job runs to its end.
rm -f "$release" "$donefile"
id=$(bsubmit 1 Argv as 5 sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done; echo done > "$1"' "$release" "$donefile")
wait_state "$id" running
# A jobctl wait killed mid-wait changes nothing either.
bg_start "$JOBCTL" wait "$id"
w=$BG_PID
kill -KILL "$w"; wait "$w" 2>/dev/null || true
touch "$release"
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result of a job submitted by a vanished busctl"
assert_eq done "$(cat "$donefile")" "work of a job submitted by a vanished busctl"
daemon_still_ok

# SIGINT to jobctl run: the job is cancelled (SIGTERM first), jobctl waits for it to end and exits.
rm -f "$release"
seen="$TEST_TMP/seen-term"
bg_start "$JOBCTL" run -- sh -c 'trap "echo TERM > $0; exit 0" TERM; echo started; while :; do sleep 0.05; done' "$seen"
client=$BG_PID
id=""
find_running() {
        id=$(mcall ListJobs | grep -o '[0-9]* "" "running"' | head -n1 | cut -d' ' -f1)
        [[ -n "$id" ]]
}
wait_until 10 "the job of the second jobctl run to be running" find_running
wait_until 10 "job $id to print 'started'" grep -q started "$STATE_DIR/logs/$(id -u)/$id.log"
kill -INT "$client"
wait_until 15 "jobctl run to exit after SIGINT" pid_gone "$client"
crc=0; wait "$client" || crc=$?
assert_ne 0 "$crc" "exit status of jobctl run cancelled by SIGINT"
wait_done "$id"
assert_eq cancelled "$(job_prop "$id" Result)" "Result of a job whose jobctl run got SIGINT"
assert_file_exists "$seen" "SIGTERM seen by the job cancelled through jobctl run"
