#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A command that cannot be executed (nonexistent, not executable, bad working directory) gives result
# failed, ExitCode 127 and a Reason that says why; the daemon goes on.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

cmd=/nonexistent/jobd-test-no-such-command
id=$(submit -- "$cmd" arg)
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "Result of a nonexistent command"
reason=$(job_prop "$id" Reason)
[[ "$reason" == *"$cmd"* || "$reason" == *"No such file"* || "$reason" == *ENOENT* ]] ||
        fail "Reason of a nonexistent command: expected it to name $cmd or 'No such file', saw '$reason'"
assert_eq 0 "$(job_prop "$id" StrayProcessesKilled)" "StrayProcessesKilled of an exec failure"

# org.jobd1(5) and jobctl(1): a command that cannot be started has ExitCode 127 (as in a shell), and
# jobctl run exits with it.
assert_eq 127 "$(job_prop "$id" ExitCode)" "ExitCode of a nonexistent command"
run_rc rc jobctl run -- jobd-test-no-such-command-in-path
assert_eq 127 "$rc" "jobctl run of a command not in PATH"

touch "$TEST_TMP/not-exec"; chmod 0644 "$TEST_TMP/not-exec"
id=$(submit -- "$TEST_TMP/not-exec")
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "Result of a non-executable file"
reason=$(job_prop "$id" Reason)
[[ "$reason" == *not-exec* || "$reason" == *"ermission"* || "$reason" == *EACCES* ]] ||
        fail "Reason of a non-executable file: expected the path or 'Permission denied', saw '$reason'"

id=$(submit --cwd=/nonexistent/jobd-test-dir -- true)
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "Result with a nonexistent working directory"
reason=$(job_prop "$id" Reason)
[[ "$reason" == *jobd-test-dir* || "$reason" == *"No such file"* || "$reason" == *ENOENT* || "$reason" == *irector* ]] ||
        fail "Reason for a nonexistent working directory: expected it to name it, saw '$reason'"

# And a good job still runs afterwards.
expect_rc 0 "a good job after the failures" jobctl run -- true
daemon_still_ok
