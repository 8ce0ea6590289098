#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seccomp deny lists that hold (issue 7, defect 10), for a real throw-away user's jobs on a system-type bus
# with the shipped policy: a deny list also denies io_uring, whose IORING_OP_SOCKET made a socket past
# "~socket"; systemd's named groups (@network-io, ...) are accepted, an unknown group is InvalidSpec naming
# it; RestrictAddressFamilies lets socket() create the named families only (EAFNOSUPPORT for the others)
# and denies io_uring; both are properties, kept across a restart, and given by a plan's defaults.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"
command -v python3 >/dev/null || skip "python3 is needed to probe system calls"
[[ -x "${URING_SOCKET:-}" ]] || skip "the uring-socket helper is not built"

setup
system_bus_start
user_add alice
jobd_start --system

# usubmit ARGS...: jobctl submit as alice; echoes the id.
usubmit() {
        local out
        out=$(as_user "$alice" "$JOBCTL" submit --cwd=/ "$@" 2>"$TEST_TMP/usubmit.err") ||
                fail "alice cannot submit $*: $(cat "$TEST_TMP/usubmit.err")"
        parse_id "$out"
}

logs_of() {
        jobctl logs "$1"
}

afs_prop() {
        bctl get-property org.jobd1 "$(job_path "$1")" org.jobd1.Job RestrictAddressFamilies
}

# One line per family: what socket() did.
probe='import socket, errno
for name in ("AF_UNIX", "AF_INET", "AF_INET6"):
    try:
        socket.socket(getattr(socket, name), socket.SOCK_STREAM).close()
        print(name, "allowed")
    except OSError as e:
        print(name, "refused:", errno.errorcode[e.errno])'

# --- io_uring past "~socket" -----------------------------------------------------------------------
free=$(usubmit -- "$URING_SOCKET" 2)
wait_done "$free"
[[ "$(logs_of "$free")" != *"not supported here"* ]] || skip "this kernel ($(uname -r)) has no IORING_OP_SOCKET"
assert_eq "socket created" "$(logs_of "$free")" "io_uring socket of a job without a filter"

bypass=$(usubmit --system-call-filter="~socket" -- "$URING_SOCKET" 2)
wait_done "$bypass"
assert_eq "io_uring_setup refused: EPERM" "$(logs_of "$bypass")" "IORING_OP_SOCKET under ~socket"
assert_eq failed "$(job_prop "$bypass" Result)" "Result of the io_uring socket under ~socket"
assert_eq 'as 1 "~socket"' "$(bctl get-property org.jobd1 "$(job_path "$bypass")" org.jobd1.Job SystemCallFilter)" \
        "SystemCallFilter shows what was given (io_uring is added when compiled)"

# An allow list allows io_uring only when it names it (here through @system-service, which has @aio).
allowed=$(usubmit --system-call-filter="@system-service" -- "$URING_SOCKET" 2)
wait_done "$allowed"
assert_eq "socket created" "$(logs_of "$allowed")" "io_uring under an allow list that names it (@aio)"
notnamed=$(usubmit --system-call-filter="@default @basic-io @file-system @signal @process" -- "$URING_SOCKET" 2)
wait_done "$notnamed"
assert_eq "io_uring_setup refused: EPERM" "$(logs_of "$notnamed")" "io_uring under an allow list without it"

# --- named groups ----------------------------------------------------------------------------------
net=$(usubmit --system-call-filter="~@network-io" -- python3 -c "$probe")
wait_done "$net"
assert_eq "AF_UNIX refused: EPERM
AF_INET refused: EPERM
AF_INET6 refused: EPERM" "$(logs_of "$net")" "~@network-io"
uring=$(usubmit --system-call-filter="~@io-uring" -- "$URING_SOCKET" 1)
wait_done "$uring"
assert_eq "io_uring_setup refused: EPERM" "$(logs_of "$uring")" "~@io-uring"
svc=$(usubmit --system-call-filter="@system-service" -- python3 -c "$probe")
wait_done "$svc"
assert_eq success "$(job_prop "$svc" Result)" "python3 under the allow list @system-service"
assert_eq "AF_UNIX allowed
AF_INET allowed
AF_INET6 allowed" "$(logs_of "$svc")" "sockets under @system-service"
priv=$(usubmit --system-call-filter="~@privileged @mount @module @raw-io @reboot @swap @clock @debug @obsolete @cpu-emulation" \
        -- python3 -c 'import os
try:
    os.setgroups([])
    print("setgroups allowed")
except OSError as e:
    print("setgroups:", e.strerror)')
wait_done "$priv"
assert_eq "setgroups: Operation not permitted" "$(logs_of "$priv")" "~@privileged refuses setgroups()"

expect_bus_error org.jobd1.Error.InvalidSpec "an unknown group" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true SystemCallFilter as 2 "~@nonesuch" read
assert_contains '"@nonesuch" is not a group' "$BUS_ERR_MSG" "message for an unknown group"
rc=0
as_user "$alice" "$JOBCTL" submit --system-call-filter=@network-io,@nonesuch -- true 2>"$TEST_TMP/err" || rc=$?
assert_ne 0 "$rc" "jobctl submit with an unknown group"
assert_contains "@nonesuch" "$(cat "$TEST_TMP/err")" "jobctl's message for an unknown group"

# --- RestrictAddressFamilies -----------------------------------------------------------------------
unix=$(usubmit --restrict-address-families=AF_UNIX -- python3 -c "$probe")
wait_done "$unix"
assert_eq "AF_UNIX allowed
AF_INET refused: EAFNOSUPPORT
AF_INET6 refused: EAFNOSUPPORT" "$(logs_of "$unix")" "RestrictAddressFamilies=AF_UNIX"
assert_eq 'as 1 "AF_UNIX"' "$(afs_prop "$unix")" "RestrictAddressFamilies property"
assert_eq 'as 0' "$(afs_prop "$free")" "RestrictAddressFamilies of a job without it"
nov6=$(usubmit --restrict-address-families="~AF_INET6" -- python3 -c "$probe")
wait_done "$nov6"
assert_eq "AF_UNIX allowed
AF_INET allowed
AF_INET6 refused: EAFNOSUPPORT" "$(logs_of "$nov6")" "RestrictAddressFamilies=~AF_INET6"
both=$(usubmit --system-call-filter=@system-service --restrict-address-families="AF_UNIX AF_INET6" -- python3 -c "$probe")
wait_done "$both"
assert_eq "AF_UNIX allowed
AF_INET refused: EAFNOSUPPORT
AF_INET6 allowed" "$(logs_of "$both")" "an allow list with RestrictAddressFamilies"
ring=$(usubmit --restrict-address-families=AF_UNIX -- "$URING_SOCKET" 1)
wait_done "$ring"
assert_eq "io_uring_setup refused: EPERM" "$(logs_of "$ring")" "io_uring under RestrictAddressFamilies"
ring2=$(usubmit --system-call-filter=@system-service --restrict-address-families=AF_UNIX -- "$URING_SOCKET" 1)
wait_done "$ring2"
assert_eq "io_uring_setup refused: EPERM" "$(logs_of "$ring2")" \
        "io_uring under RestrictAddressFamilies, even when the allow list names it"

expect_bus_error org.jobd1.Error.InvalidSpec "an unknown family" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true RestrictAddressFamilies as 1 AF_NONESUCH
assert_contains '"AF_NONESUCH" is not an address family' "$BUS_ERR_MSG" "message for an unknown family"
expect_bus_error org.jobd1.Error.InvalidSpec "~ in the middle" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true RestrictAddressFamilies as 2 AF_UNIX "~AF_INET"

# A plan's defaults: its families, merged with a job's own SystemCallFilter.
cat >"$TEST_TMP/plan.json" <<JSON
{ "defaults": { "restrict_address_families": ["AF_UNIX"] },
  "jobs": [ { "name": "unix", "command": ["python3", "-c", $(jq -Rs . <<<"$probe")] },
            { "name": "merged", "command": ["python3", "-c", $(jq -Rs . <<<"$probe")],
              "system_call_filter": ["~@mount"] },
            { "name": "free", "command": ["python3", "-c", $(jq -Rs . <<<"$probe")],
              "restrict_address_families": [] } ] }
JSON
run=$(plan_submit "$TEST_TMP/plan.json")
wait_run_done "$run"
assert_eq "AF_UNIX allowed
AF_INET refused: EAFNOSUPPORT
AF_INET6 refused: EAFNOSUPPORT" "$(logs_of "$(run_job_id "$run" unix)")" "a plan's default families"
assert_eq "AF_UNIX allowed
AF_INET refused: EAFNOSUPPORT
AF_INET6 refused: EAFNOSUPPORT" "$(logs_of "$(run_job_id "$run" merged)")" "a plan's families with a job's filter"
assert_eq 'as 1 "~@mount"' \
        "$(bctl get-property org.jobd1 "$(job_path "$(run_job_id "$run" merged)")" org.jobd1.Job SystemCallFilter)" \
        "the merged job's own SystemCallFilter"
assert_eq "AF_UNIX allowed
AF_INET allowed
AF_INET6 allowed" "$(logs_of "$(run_job_id "$run" free)")" "a plan job that clears the default families"

# --- across a restart ------------------------------------------------------------------------------
release="$TEST_TMP/release"
across=$(usubmit --restrict-address-families=AF_UNIX -- sh -c \
        'while [ ! -e "$1" ]; do sleep 0.05; done; python3 -c "$0"' "$probe" "$release")
wait_state "$across" running
jobd_crash
jobd_start --system
assert_eq 'as 1 "AF_UNIX"' "$(afs_prop "$across")" "RestrictAddressFamilies after a restart"
assert_eq 'as 1 "AF_UNIX"' "$(afs_prop "$unix")" "RestrictAddressFamilies of a done job after a restart"
assert_eq 'as 1 "AF_UNIX"' "$(afs_prop "$(run_job_id "$run" merged)")" "a plan job's families after a restart"
touch "$release"
wait_done "$across"
assert_eq "AF_UNIX allowed
AF_INET refused: EAFNOSUPPORT
AF_INET6 refused: EAFNOSUPPORT" "$(logs_of "$across")" "the families of a job that ran across a restart"
after=$(usubmit --restrict-address-families=AF_UNIX -- python3 -c "$probe")
wait_done "$after"
assert_eq "AF_UNIX allowed
AF_INET refused: EAFNOSUPPORT
AF_INET6 refused: EAFNOSUPPORT" "$(logs_of "$after")" "RestrictAddressFamilies of a job started after a restart"
# Once more, from the journal the restart rewrote.
jobd_crash
jobd_start --system
assert_eq 'as 1 "AF_UNIX"' "$(afs_prop "$across")" "RestrictAddressFamilies after a second restart"
assert_eq 'as 1 "AF_UNIX"' "$(afs_prop "$(run_job_id "$run" unix)")" "a plan job's families after a second restart"
daemon_still_ok
