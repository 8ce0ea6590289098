#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Job.SetPriority() (jobctl set-priority) by a real non-root user of jobd --system on a system-type bus:
# up to jobd.conf's [Users] MaxPriority= only (AccessDenied above it, the priority unchanged), lowering
# is free, another user's job is refused; root may raise a job above the cap.
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"

setup
system_bus_start
user_add alice
user_add bob
conf="$TEST_TMP/jobd.conf"
printf '[Users]\nMaxPriority=5\n' >"$conf"
chmod 644 "$conf"
jobd_start --system --config="$conf" --max-parallel=4

out=$(as_user "$alice" "$JOBCTL" submit --hold --cwd=/ -- true) || fail "alice cannot submit: $out"
a=$(parse_id "$out")
assert_eq 0 "$(job_prop "$a" Priority)" "the priority alice's job was submitted with"

run_rc rc as_user "$alice" "$JOBCTL" set-priority "$a" 5
assert_eq 0 "$rc" "alice raises her job up to MaxPriority=5"
assert_eq 5 "$(job_prop "$a" Priority)" "Priority at the cap"

err=$(as_user "$alice" "$JOBCTL" set-priority "$a" 6 2>&1) && fail "alice raised her job above the cap"
assert_contains "MaxPriority" "$err" "the refusal names the setting"
assert_contains "more than the 5 a user may give" "$err" "the refusal names the cap"
assert_eq 5 "$(job_prop "$a" Priority)" "a refused SetPriority changes nothing"
# The bus error itself, from busctl as alice (its debug log names the error).
if as_user "$alice" env SYSTEMD_LOG_LEVEL=debug busctl --address="$BUS" call org.jobd1 "$(job_path "$a")" \
        org.jobd1.Job SetPriority i 2147483647 >/dev/null 2>"$TEST_TMP/busctl.err"; then
        fail "SetPriority(INT32_MAX) by alice succeeded"
fi
assert_contains "error-name=org.jobd1.Error.AccessDenied" "$(cat "$TEST_TMP/busctl.err")" \
        "SetPriority above the cap: AccessDenied"
assert_eq 5 "$(job_prop "$a" Priority)" "still the priority at the cap"

run_rc rc as_user "$alice" "$JOBCTL" set-priority "$a" -- -10
assert_eq 0 "$rc" "alice lowers her job"
assert_eq -10 "$(job_prop "$a" Priority)" "Priority lowered"

run_rc rc as_user "$bob" "$JOBCTL" set-priority "$a" 1
assert_int "$rc" -ne 0 "bob may not change alice's job"
assert_eq -10 "$(job_prop "$a" Priority)" "bob's SetPriority changed nothing"

expect_rc 0 "root raises alice's job above the cap" jobctl set-priority "$a" 50
assert_eq 50 "$(job_prop "$a" Priority)" "root's priority above the cap"

jobctl cancel "$a"
daemon_still_ok
