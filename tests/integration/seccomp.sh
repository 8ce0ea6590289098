#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SystemCallFilter (libseccomp): a deny list makes the named system calls fail with EPERM in the job and
# everything it starts, the job goes on; an allow list refuses all others; the filter is shown as a
# property, kept across a restart and given to the jobs of a plan by its defaults; bad names are refused
# with InvalidSpec naming the entry.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
command -v python3 >/dev/null || skip "python3 is needed to probe system calls"
jobd_start

# A socket() probe, run by a child of the job's shell (the filter is inherited).
probe='import socket, errno
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    print("socket allowed")
except OSError as e:
    print("socket refused:", errno.errorcode[e.errno])'

open_id=$(submit -- python3 -c "$probe")
wait_done "$open_id"
assert_eq "socket allowed" "$(jobctl logs "$open_id")" "a job without a filter"

denied=$(submit --system-call-filter="~socket,connect" -- sh -c 'python3 -c "$0"; echo "shell goes on"' "$probe")
wait_done "$denied"
assert_eq success "$(job_prop "$denied" Result)" "Result of a job whose socket() is refused"
assert_eq "socket refused: EPERM
shell goes on" "$(jobctl logs "$denied")" "a deny list"
assert_eq 'as 2 "~socket" "connect"' \
        "$(bctl get-property org.jobd1 "$(job_path "$denied")" org.jobd1.Job SystemCallFilter)" \
        "SystemCallFilter property"
assert_eq 'as 0' "$(bctl get-property org.jobd1 "$(job_path "$open_id")" org.jobd1.Job SystemCallFilter)" \
        "SystemCallFilter of a job without one"

# An allow list without write(): the command runs, but cannot print.
allow=$(bsubmit 2 Argv as 2 echo hello SystemCallFilter as 12 \
        brk mmap munmap mprotect arch_prctl set_tid_address set_robust_list rseq prlimit64 openat read exit_group)
wait_done "$allow"
assert_eq failed "$(job_prop "$allow" Result)" "Result of echo without write()"
assert_eq "" "$(jobctl logs "$allow")" "output of echo without write()"

# A filter that refuses execve(): the command cannot start, and the Reason says so.
noexec=$(submit --system-call-filter="~execve" -- true)
wait_done "$noexec"
assert_eq failed "$(job_prop "$noexec" Result)" "Result of a job that may not execve()"
assert_contains "Operation not permitted" "$(job_prop "$noexec" Reason)" "Reason of a job that may not execve()"

# Bad filters are refused with a message naming the entry; nothing is queued.
expect_bus_error org.jobd1.Error.InvalidSpec "an unknown system call" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true SystemCallFilter as 2 read nonesuch
assert_contains '"nonesuch" is not a system call' "$BUS_ERR_MSG" "message for an unknown system call"
expect_bus_error org.jobd1.Error.InvalidSpec "~ in the middle" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true SystemCallFilter as 2 read "~write"
assert_contains "may only come first" "$BUS_ERR_MSG" "message for ~ in the middle"
expect_bus_error org.jobd1.Error.InvalidSpec "a lone ~" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true SystemCallFilter as 1 "~"
expect_bus_error org.jobd1.Error.InvalidSpec "a filter of the wrong type" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true SystemCallFilter s socket
assert_contains "must be of type 'as'" "$BUS_ERR_MSG" "message for a filter of the wrong type"
expect_rc 1 "jobctl submit with an unknown system call" jobctl submit --system-call-filter=nonesuch -- true
assert_contains "SystemCallFilter" "$RUN_ERR" "jobctl's message for an unknown system call"

# A plan's default filter, and a job that clears it; kept across a restart.
cat >"$TEST_TMP/plan.json" <<JSON
{ "defaults": { "system_call_filter": ["~socket"] },
  "jobs": [ { "name": "sandboxed", "command": ["python3", "-c", $(jq -Rs . <<<"$probe")] },
            { "name": "sandboxed-too", "command": ["python3", "-c", $(jq -Rs . <<<"$probe")] },
            { "name": "free", "command": ["python3", "-c", $(jq -Rs . <<<"$probe")], "system_call_filter": [] } ] }
JSON
run=$(plan_submit "$TEST_TMP/plan.json")
wait_run_done "$run"
assert_eq "socket refused: EPERM" "$(jobctl logs "$(run_job_id "$run" sandboxed)")" "a plan's default filter"
assert_eq "socket refused: EPERM" "$(jobctl logs "$(run_job_id "$run" sandboxed-too)")" "a plan's default filter, shared"
assert_eq "socket allowed" "$(jobctl logs "$(run_job_id "$run" free)")" "a plan job that clears the default"

release="$TEST_TMP/release"
across=$(submit --system-call-filter="~socket" -- sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done; python3 -c "$0"' \
        "$probe" "$release")
wait_state "$across" running
jobd_crash
jobd_start
assert_eq 'as 1 "~socket"' "$(bctl get-property org.jobd1 "$(job_path "$across")" org.jobd1.Job SystemCallFilter)" \
        "SystemCallFilter after a restart"
touch "$release"
wait_done "$across"
assert_eq "socket refused: EPERM" "$(jobctl logs "$across")" "the filter of a job that ran across a restart"
# The plan's jobs share one filter, written once in the journal: each gets it back, twice (the second
# time from the journal the first restart rewrote).
for round in 1 2; do
        for name in sandboxed sandboxed-too; do
                assert_eq 'as 1 "~socket"' \
                        "$(bctl get-property org.jobd1 "$(job_path "$(run_job_id "$run" "$name")")" org.jobd1.Job SystemCallFilter)" \
                        "SystemCallFilter of plan job $name after restart $round"
        done
        assert_eq 'as 0' "$(bctl get-property org.jobd1 "$(job_path "$(run_job_id "$run" free)")" org.jobd1.Job SystemCallFilter)" \
                "SystemCallFilter of the plan job that cleared it, after restart $round"
        [[ $round == 2 ]] || { jobd_crash; jobd_start; }
done
grep -q '"syscalls_of"' "$STATE_DIR/state.log" || fail "the journal spells the plan's filter out for every job"
daemon_still_ok
