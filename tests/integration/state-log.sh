#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The state log (jobd(8) FILES): state.log, whose first line names its format version.
#  (a) a state folder of the jobd before the rename (a "journal" written by it, checked in as the fuzz
#      seed old-journal.log: finished jobs, a plan with a shared environment and filter, queued jobs) is
#      read once: the jobs come back and run, state.log replaces the journal, and a second restart reads
#      state.log;
#  (b) a state.log of a newer format is refused, by name and with both versions, and left as it was;
#  (c) a damaged state.log does not stop the daemon: the good lines come back;
#  (d) the rewrite of state.log and of controls.json fsync()s the file before the rename and the folder
#      after it (seen with strace).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup
dbus_start
printf '[Pool lic]\nCapacity=2\n' >"$TEST_TMP/jobd.conf"

# --- (b) a newer format -------------------------------------------------------------------------------
newer="$TEST_TMP/newer"
mkdir -m 755 "$newer"
printf '{"jobd_state":%s}\n{"e":"submit","id":1,"owner":0,"argv":["touch","%s"],"cwd":"/"}\n' 2 \
        "$TEST_TMP/newer-ran" >"$newer/state.log"
chmod 600 "$newer/state.log"
cp "$newer/state.log" "$TEST_TMP/newer.orig"
rc=0
out=$(timeout -k 5 15 "$JOBD" --bus-address="$BUS" --cgroup-root="$CG_ROOT" --state-dir="$newer" 2>&1 9>&-) || rc=$?
[[ "$rc" != 0 ]] || fail "jobd started from a state.log of a newer format: $out"
[[ "$rc" != 124 && "$rc" != 137 ]] || fail "jobd ran on a state.log of a newer format: $out"
assert_contains "$newer/state.log" "$out" "the refusal names the file"
assert_contains "format 2" "$out" "the refusal names the file's version"
assert_contains "format 1 and older" "$out" "the refusal names the version jobd reads"
cmp -s "$newer/state.log" "$TEST_TMP/newer.orig" || fail "jobd changed a state.log it refused"
assert_file_missing "$TEST_TMP/newer-ran" "the job of a refused state.log"

# --- (a) the journal of the jobd before state.log -----------------------------------------------------
cp "$SRC_ROOT/tests/fuzz/fuzz-journal/old-journal.log" "$STATE_DIR/journal"
chmod 600 "$STATE_DIR/journal"
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"
assert_file_missing "$STATE_DIR/journal" "the old journal after it was read"
assert_file_exists "$STATE_DIR/state.log" "state.log"
assert_eq '{"jobd_state":1}' "$(head -n 1 "$STATE_DIR/state.log")" "the first line of state.log"
assert_eq 600 "$(stat -c %a "$STATE_DIR/state.log")" "the mode of state.log"

assert_eq done "$(job_prop 1 State)" "State of the finished job of the old journal"
assert_eq success "$(job_prop 1 Result)" "Result of the finished job of the old journal"
assert_eq old-finished "$(job_prop 1 Name)" "Name of the finished job of the old journal"
assert_eq failed "$(job_prop 2 Result)" "Result of the failed job of the old journal"
assert_eq 3 "$(job_prop 2 ExitCode)" "ExitCode of the failed job of the old journal"
assert_eq old-plan "$(run_prop 1 Name)" "Name of the run of the old journal"
wait_done 4 20
wait_done 5 20
assert_eq "first shared mine" "$(jobctl logs 3)" "log of the plan's first job (its run's environment)"
assert_eq "second shared" "$(jobctl logs 4)" "log of the plan's second job (after the first)"
assert_eq "queued 42" "$(jobctl logs 5)" "log of the queued job of the old journal"
assert_contains '"~@clock"' "$(job_prop_json 4 SystemCallFilter)" "the filter the second job names by job"
new=$(submit --cwd=/ -- true)
assert_int "$new" -gt 5 "the id of a job after the migration"
wait_done "$new"

jobd_crash
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"
assert_file_missing "$STATE_DIR/journal" "the old journal after the second restart"
assert_eq success "$(job_prop 5 Result)" "Result of the old queued job, from state.log"
assert_eq success "$(job_prop 4 Result)" "Result of the plan's second job, from state.log"
assert_eq old-finished "$(job_prop 1 Name)" "Name of the old finished job, from state.log"
jobd_crash

# --- (c) a damaged state.log --------------------------------------------------------------------------
damaged="$TEST_TMP/damaged"
mkdir -m 755 "$damaged"
{
        echo '{"jobd_state":1}'
        echo 'not json at all'
        echo '{"e":"submit","id":1,"owner":-1,"argv":["touch","'"$TEST_TMP/bad-owner-ran"'"],"cwd":"/"}'
        echo '{"e":"submit","id":2,"owner":0,"argv":["sh","-c","echo good"],"cwd":"/","after":[7]}'
        echo '{"e":"submit","id":3,"owner":0,"argv":["sh","-c","echo fine"],"cwd":"/","prio":-2}'
        echo '{"e":"start","id":3,"pid":-1}'
        echo '{"e":"submit","id":4,"owner":0,"argv":["sh","-c","echo cut'
} >"$damaged/state.log"
chmod 600 "$damaged/state.log"
STATE_DIR=$damaged jobd_start
wait_done 3 20
assert_file_missing "$TEST_TMP/bad-owner-ran" "the job of a submit line whose owner is out of range"
assert_contains "state.log line 3: the submit line of job 1 has a bad \"owner\"" "$(cat "$JOBD_LOG")" \
        "the warning about the damaged owner"
assert_contains "state.log line 4: the submit line of job 2 has a bad \"after\"" "$(cat "$JOBD_LOG")" \
        "the warning about a dependency on a later job"
assert_eq done "$(job_prop 3 State)" "State of a started job with a damaged pid and no cgroup"
! jobctl show 1 >/dev/null 2>&1 || fail "job 1 of a skipped submit line exists"
jobd_crash

# --- (d) fsync before and after the rename ------------------------------------------------------------
command -v strace >/dev/null || skip "no strace(1) for (d)"
if [[ "$JOBD_TEST_BACKEND" != cgroupfs ]]; then
        log "(d) is checked on the cgroupfs backend only (the fsyncs do not depend on it)"
        exit 0
fi
cat >"$TEST_TMP/jobd-strace" <<EOF2
#!/bin/sh
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -y -o "$TEST_TMP/strace.out" \
        -e trace=fsync,fdatasync,rename,renameat,renameat2 "$JOBD" "\$@"
EOF2
chmod 755 "$TEST_TMP/jobd-strace"
real_jobd=$JOBD
JOBD="$TEST_TMP/jobd-strace" jobd_start --config="$TEST_TMP/jobd.conf"
expect_rc 0 "jobctl pool lic 3" jobctl pool lic 3   # controls.json rewritten
tracee=$(pgrep -P "$JOBD_PID") || fail "no jobd below strace $JOBD_PID"
kill -TERM "$tracee"
wait "$JOBD_PID" 2>/dev/null || true
JOBD_PID=""
JOBD=$real_jobd
# check_replaced NAME: an fsync of NAME.tmp, then the rename to NAME, then an fsync of the folder.
check_replaced() {
        local name=$1 seq
        seq=$(grep -E "^[0-9]+ +(fsync|renameat2?|rename)\(" "$TEST_TMP/strace.out" |
                grep -F -e "$name.tmp" -e "<$STATE_DIR>)" |
                sed -E 's/^[0-9]+ +//; s/fsync\([0-9]+<([^>]*)>\).*/fsync \1/; s/renameat2?\(.*"([^"]*)".*"([^"]*)".*/rename \1 \2/')
        assert_contains "fsync $STATE_DIR/$name.tmp
rename $name.tmp $name
fsync $STATE_DIR" "$seq" "fsync of $name before the rename, of the folder after it"
}
check_replaced state.log
check_replaced controls.json
