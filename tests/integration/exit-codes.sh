#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `jobctl run` exits with the job's exit code (128+N when the job dies of signal N), and the job's
# ExitCode/ExitSignal/Result properties agree.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

expect_rc 0 "run true" jobctl run -- true
expect_rc 3 "run exit 3" jobctl run -- sh -c 'exit 3'
expect_rc 42 "run exit 42" jobctl run -- sh -c 'exit 42'
expect_rc 143 "run of a job killing itself with SIGTERM" jobctl run -- sh -c 'kill -TERM $$'
expect_rc 137 "run of a job killing itself with SIGKILL" jobctl run -- sh -c 'kill -KILL $$'
expect_rc 138 "run of a job killing itself with SIGUSR1" jobctl run -- sh -c 'kill -USR1 $$'

# The same through submit + wait, checking the properties.
id=$(submit -- sh -c 'exit 3')
wait_done "$id"
assert_ne 0 "$WAIT_RC" "jobctl wait on a failed job"
assert_eq failed "$(job_prop "$id" Result)" "Result of a job exiting 3"
assert_eq 3 "$(job_prop "$id" ExitCode)" "ExitCode of a job exiting 3"
assert_eq 0 "$(job_prop "$id" ExitSignal)" "ExitSignal of a job exiting 3"

id=$(submit -- true)
wait_done "$id"
assert_eq 0 "$WAIT_RC" "jobctl wait on a successful job"
assert_eq success "$(job_prop "$id" Result)" "Result of true"
assert_eq 0 "$(job_prop "$id" ExitCode)" "ExitCode of true"

id=$(submit -- sh -c 'kill -TERM $$')
wait_done "$id"
assert_ne 0 "$WAIT_RC" "jobctl wait on a job that killed itself"
assert_eq 15 "$(job_prop "$id" ExitSignal)" "ExitSignal of a job killing itself with SIGTERM"
assert_eq -1 "$(job_prop "$id" ExitCode)" "ExitCode of a job killed by a signal (-1: none)"
# org.jobd1(5): "killed: the command was killed by a signal (ExitSignal)".
assert_eq killed "$(job_prop "$id" Result)" "Result of a job killing itself with SIGTERM"

# wait on several: 0 iff all succeeded.
a=$(submit -- true)
b=$(submit -- false)
rc=0; timeout -k 5 30 "$JOBCTL" wait "$a" "$b" >/dev/null 2>&1 || rc=$?
assert_ne 0 "$rc" "jobctl wait on a success and a failure"
c=$(submit -- true)
expect_rc 0 "jobctl wait on two successes" timeout -k 5 30 "$JOBCTL" wait "$a" "$c"
