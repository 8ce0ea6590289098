#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The job's stdout and stderr land in DIR/logs/<UID>/<ID>.log (LogPath); `jobctl logs`, `jobctl logs -f` and
# Job.OpenLog (a read-only fd, read here from python3-dbus) all return it.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

expected=$'out 1\nerr 2\nout 3'
id=$(submit -- sh -c 'echo "out 1"; echo "err 2" >&2; echo "out 3"')
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result"
assert_eq "$STATE_DIR/logs/$(id -u)/$id.log" "$(job_prop "$id" LogPath)" "LogPath"
assert_eq "$expected" "$(cat "$STATE_DIR/logs/$(id -u)/$id.log")" "content of the log file"
run_rc rc jobctl logs "$id"
assert_eq 0 "$rc" "jobctl logs exit code"
assert_eq "$expected" "$RUN_OUT" "jobctl logs output"

py=$(find_python_dbus) || skip "no python3 with the dbus module for OpenLog"
run_rc rc "$py" "$(dirname "$0")/../helpers/openlog.py" "$BUS" "$id"
assert_eq 0 "$rc" "OpenLog through python3-dbus ($RUN_ERR)"
assert_eq "$expected" "$RUN_OUT" "content read from the OpenLog fd"
# busctl can call it too (the fd is only shown as a handle).
out=$(bctl call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job OpenLog) || fail "busctl OpenLog failed"
assert_match '^h [0-9]+$' "$out" "busctl OpenLog reply"

# Binary-safe and large: 1 MiB of output.
id=$(submit -- sh -c 'head -c 1048576 /dev/urandom | od -An -v -tx1 | head -c 1048576')
wait_done "$id"
assert_eq 1048576 "$(stat -c %s "$STATE_DIR/logs/$(id -u)/$id.log")" "size of a 1 MiB log"
"$py" "$(dirname "$0")/../helpers/openlog.py" "$BUS" "$id" | cmp -s - "$STATE_DIR/logs/$(id -u)/$id.log" ||
        fail "OpenLog of a 1 MiB log differs from the file"
jobctl logs "$id" | cmp -s - "$STATE_DIR/logs/$(id -u)/$id.log" || fail "jobctl logs of a 1 MiB log differs from the file"

# logs -f follows a running job and returns once it is done, with everything it wrote.
release="$TEST_TMP/release"
id=$(submit -- sh -c 'echo first; while [ ! -e "$0" ]; do sleep 0.05; done; echo second' "$release")
wait_until 10 "first line of job $id" grep -q first "$STATE_DIR/logs/$(id -u)/$id.log"
follow="$TEST_TMP/follow.out"
bg_start timeout -k 5 30 "$JOBCTL" logs -f "$id" >"$follow" 2>&1
fpid=$BG_PID
wait_until 10 "jobctl logs -f printing the first line" grep -q first "$follow"
touch "$release"
wait_done "$id"
wait_until 10 "jobctl logs -f $id to return after the job finished" pid_gone "$fpid"
frc=0; wait "$fpid" || frc=$?
assert_eq 0 "$frc" "exit code of jobctl logs -f"
assert_eq $'first\nsecond' "$(cat "$follow")" "output of jobctl logs -f"

# The daemon keeps the last log folder open: when root removes it meanwhile, the next job makes it again
# (it failed to start: "Cannot open the job's log: No such file or directory").
id=$(submit -- echo before)
wait_done "$id"
rm -rf "${STATE_DIR:?}/logs/$(id -u)"
id=$(submit -- echo after)
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result of a job after its log folder was removed"
assert_eq after "$(cat "$STATE_DIR/logs/$(id -u)/$id.log")" "log of a job after its log folder was removed"
