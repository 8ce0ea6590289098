#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A job starts with every signal at its default disposition and none blocked, whatever the daemon itself
# inherited: started as a shell's background job ignores SIGINT and SIGQUIT, nohup SIGHUP, and a caller
# may ignore more. jobd resets what it inherited as ignored when it starts, so that it passes its exec
# helper no ignored signal but SIGPIPE, and jobd-exec (which blocks signals rather than ignoring them)
# resets only SIGPIPE and clears the mask before the command runs, instead of all 64 dispositions on
# every job: this test is what holds the two halves together, on the backend under test. And the exec
# helper outlives any signal the job is sent but SIGKILL, so a command that catches one ends the job as
# it exits.
. "$(dirname "$0")/../helpers/lib.sh"

# sig_mask PID FIELD: the hex mask of SigIgn/SigBlk/... in /proc/PID/status.
sig_mask() {
        awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# Ignored by this shell, hence by jobd started from it (and SIGINT/SIGQUIT by bash for any background
# command of a script): none of them is reset by the helper, only jobd's reset keeps them from the job.
trap '' HUP USR1 PROF WINCH XFSZ RTMIN+5
jobd_start
trap - HUP USR1 PROF WINCH XFSZ RTMIN+5

# jobd itself keeps only SIGPIPE ignored (bit 13 - 1 = 12): what the helper relies on.
assert_eq 0000000000001000 "$(sig_mask "$JOBD_PID" SigIgn)" "signals jobd ignores (only SIGPIPE)"

# The command is awk itself (no shell between the helper and it), printing its own masks.
id=$(submit -- awk '$1 == "SigIgn:" || $1 == "SigBlk:" { print $1, $2 }' /proc/self/status)
wait_done "$id"
assert_eq 0 "$WAIT_RC" "jobctl wait on the job reading its own /proc/self/status"
out=$(jobctl logs "$id") || fail "jobctl logs $id failed"
log "the job's masks: $(echo "$out" | paste -sd' ')"
assert_eq "SigIgn: 0000000000000000" "$(echo "$out" | grep '^SigIgn:')" "signals the job ignores"
assert_eq "SigBlk: 0000000000000000" "$(echo "$out" | grep '^SigBlk:')" "signals the job blocks"

# And a job that signals itself with one of those the daemon inherited as ignored dies of it.
expect_rc $((128 + 10)) "run of a job sending itself SIGUSR1" jobctl run -- sh -c 'kill -USR1 $$; sleep 5'
expect_rc $((128 + 1)) "run of a job sending itself SIGHUP" jobctl run -- sh -c 'kill -HUP $$; sleep 5'
expect_rc $((128 + 27)) "run of a job sending itself SIGPROF" jobctl run -- sh -c 'kill -PROF $$; sleep 5'

# A signal sent to the whole job that the command catches and survives (here SIGPROF, which the exec
# helper used not to ignore): the helper outlives it as well, as it does any signal but SIGKILL, and the
# job ends as its command does (exit 7), not as killed with its "main process" gone. The sleeps the loop
# starts die of it; sh goes on.
flag=$TEST_TMP/prof
id=$(submit -- sh -c 'trap "echo caught PROF" PROF; : >"$0.ready"
        while [ ! -e "$0.go" ]; do sleep 0.05; done; exit 7' "$flag")
wait_until 10 "job $id to be ready" test -e "$flag.ready"
jobctl kill -s PROF "$id" || fail "jobctl kill -s PROF $id failed"
wait_until 10 "job $id to catch SIGPROF" grep -q "caught PROF" "$(job_prop "$id" LogPath)"
: >"$flag.go"
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "Result of a job that caught SIGPROF and exited 7"
assert_eq 7 "$(job_prop "$id" ExitCode)" "ExitCode of a job that caught SIGPROF and exited 7"
assert_eq 0 "$(job_prop "$id" ExitSignal)" "ExitSignal of a job that caught SIGPROF and exited 7"
