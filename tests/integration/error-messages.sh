#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Messages that say what is wrong and where (issue 10, item 7):
#  - jobd --config=/dev/null runs with no configuration (it said "Is a directory" and exited); another
#    device says it is not a regular file; a folder says it is a folder;
#  - jobctl plan of a file with invalid UTF-8 names the line and column (it said "Failed to build the
#    SubmitPlan() call: Invalid argument");
#  - a --cgroup-root= given explicitly that cannot be used says so, and not "no systemd manager answers"
#    (no manager was asked).
. "$(dirname "$0")/../helpers/lib.sh"
setup

# jobd_fails WHAT ARGS...: jobd exits non-zero within 20 s; sets OUT to what it printed.
jobd_fails() {
        local what=$1 rc=0
        shift
        [[ -n "$BUS" ]] || dbus_start
        OUT=$(timeout 20 "$JOBD" --bus-address="$BUS" --state-dir="$TEST_TMP/state-$RANDOM" "$@" 2>&1) || rc=$?
        [[ "$rc" != 0 && "$rc" != 124 ]] || fail "$what: jobd should have exited with an error (status $rc)"
}

jobd_fails "--config=/dev/zero" --cgroup-root="$CG_ROOT" --config=/dev/zero
assert_contains "/dev/zero: not a regular file" "$OUT" "jobd --config=/dev/zero"
jobd_fails "--config=a folder" --cgroup-root="$CG_ROOT" --config="$TEST_TMP"
assert_contains "$TEST_TMP: Is a directory" "$OUT" "jobd --config=FOLDER"

bad_root="/sys/fs/cgroup/jobd-no-such-root-$$/x"
jobd_fails "--cgroup-root= unusable" --cgroup-root="$bad_root"
assert_not_contains "no systemd manager answers" "$OUT" "jobd --cgroup-root=$bad_root"
assert_contains "--cgroup-root=$bad_root" "$OUT" "jobd --cgroup-root=$bad_root"

jobd_start --config=/dev/null
daemon_still_ok

printf '{"jobs": [\n  {"name": "ok", "command": ["true"]},\n  {"name": "b\xe9d", "command": ["true"]}\n]}\n' \
        >"$TEST_TMP/latin1.json"
run_rc rc jobctl plan "$TEST_TMP/latin1.json"
assert_eq 1 "$rc" "exit status of jobctl plan latin1.json"
assert_contains "$TEST_TMP/latin1.json:3:14: not valid UTF-8 (byte 0xe9)" "$RUN_ERR" "jobctl plan latin1.json"
assert_not_contains "Invalid argument" "$RUN_ERR" "jobctl plan latin1.json"
assert_eq 0 "$(jobctl list --json=short | jq length)" "jobs after the refused plan"
