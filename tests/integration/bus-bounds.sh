#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 1: GetManagedObjects() of many jobs with a large Environment, on a bus with the system
# bus's message limit (32 MiB). jobd used to build the whole reply (≈ 33 MB here), dbus-daemon dropped its
# connection, and jobd exited with status 0 saying nothing. Now the reply is bounded: the big per-job
# properties are left out past a size, and a reply that would still pass the bound is refused with
# org.jobd1.Error.TooLarge; the daemon stays on the bus. Then: a bus that goes away makes jobd log it and
# exit non-zero (so Restart=on-failure restarts it).
. "$(dirname "$0")/../helpers/lib.sh"
setup
N=${BUS_BOUNDS_JOBS:-10000}

# A session-type bus with the system bus's limits (dbus's system.conf defaults).
DBUS_TEST_CONFIG="$TEST_TMP/limited-bus.conf"
cat >"$DBUS_TEST_CONFIG" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$TEST_TMP</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_incoming_bytes">133169152</limit>
  <limit name="max_outgoing_bytes">133169152</limit>
  <limit name="max_message_size">33554432</limit>
</busconfig>
CONF
jobd_start --max-parallel=1

# One blocker, then N jobs that wait behind it, all with 3.3 KB of Environment (the plan's default,
# kept once in the daemon, but once per job in a reply).
env_val=$(head -c 3300 /dev/zero | tr '\0' x)
{
        printf '{"name": "bounds", "defaults": {"env": {"BIG": "%s"}}, "jobs": [\n' "$env_val"
        printf '{"name": "blocker", "command": ["sleep", "600"]}'
        for ((i = 1; i <= N; i++)); do
                printf ',\n{"name": "j%d", "command": ["true"], "after": ["blocker"]}' "$i"
        done
        printf ']}\n'
} >"$TEST_TMP/plan.json"
jobctl plan "$TEST_TMP/plan.json" >"$TEST_TMP/plan.out" 2>&1 || fail "jobctl plan failed: $(cat "$TEST_TMP/plan.out")"
first=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListRuns | jq '.data[0][0][0]')
log "plan submitted: $N jobs + blocker"

# Ask in JSON to see what came back: either the objects or a named error; never a dropped daemon.
bus_try --json=short --timeout=120 call org.jobd1 /org/jobd1 org.freedesktop.DBus.ObjectManager GetManagedObjects
jobd_alive || fail "jobd died on GetManagedObjects() (exit status: $(wait "$JOBD_PID"; echo $?)): $(tail -n 5 "$JOBD_LOG")"
name_has_owner || fail "jobd lost the bus on GetManagedObjects()"
if [[ "$BUS_OK" == 1 ]]; then
        printf '%s' "$BUS_OUT" >"$TEST_TMP/objects.json"
        n=$(jq '.data[0] | keys | map(select(startswith("/org/jobd1/job/"))) | length' "$TEST_TMP/objects.json")
        assert_eq $((N + 1)) "$n" "jobs in GetManagedObjects()"
        with_env=$(jq '[.data[0][] | .["org.jobd1.Job"] // empty | select(has("Environment"))] | length' \
                   "$TEST_TMP/objects.json")
        without=$(jq '[.data[0][] | .["org.jobd1.Job"] // empty | select(has("Environment") | not)] | length' \
                  "$TEST_TMP/objects.json")
        log "GetManagedObjects(): $with_env jobs with Environment, $without without"
        assert_int "$with_env" -gt 0 "jobs listed with their Environment"
        assert_int "$without" -gt 0 "jobs listed without their Environment (past the bound)"
        # The first job of the reply has all its properties, State included.
        st=$(jq -r --arg p "/org/jobd1/job/$((N + 1))" '.data[0][$p]["org.jobd1.Job"].State.data' "$TEST_TMP/objects.json")
        assert_eq waiting "$st" "State of the last job in GetManagedObjects()"
else
        assert_eq org.jobd1.Error.TooLarge "$BUS_ERR_NAME" "GetManagedObjects() error"
        assert_contains ListJobsFiltered "$BUS_ERR_MSG" "the TooLarge error names what to use instead"
fi
daemon_still_ok

# FailPatterns and PassPatterns: up to 64 KiB a list, given once in a plan's defaults but once per job in
# the reply. They were not counted toward the bound and not left out past it as Argv is: 400 jobs with
# both lists near their bound added some 50 MiB, and jobd was dropped from the bus.
pat=$(head -c 30000 /dev/zero | tr '\0' p)
{
        printf '{"name": "patterns", "defaults": {"fail_patterns": ["%s", "%s"], "pass_patterns": ["%s", "%s"]},' \
                "$pat" "$pat" "$pat" "$pat"
        printf ' "jobs": [{"name": "pblocker", "command": ["sleep", "600"]}'
        for ((i = 1; i <= 400; i++)); do
                printf ',\n{"name": "p%d", "command": ["true"], "after": ["pblocker"]}' "$i"
        done
        printf ']}\n'
} >"$TEST_TMP/patterns.json"
jobctl plan "$TEST_TMP/patterns.json" >"$TEST_TMP/plan2.out" 2>&1 ||
        fail "jobctl plan of the patterns plan failed: $(cat "$TEST_TMP/plan2.out")"
bus_try --json=short --timeout=120 call org.jobd1 /org/jobd1 org.freedesktop.DBus.ObjectManager GetManagedObjects
jobd_alive || fail "jobd died on GetManagedObjects() with patterns (exit status: $(wait "$JOBD_PID"; echo $?))"
name_has_owner || fail "jobd lost the bus on GetManagedObjects() with patterns"
if [[ "$BUS_OK" == 1 ]]; then
        printf '%s' "$BUS_OUT" >"$TEST_TMP/objects2.json"
        n=$(jq '.data[0] | keys | map(select(startswith("/org/jobd1/job/"))) | length' "$TEST_TMP/objects2.json")
        assert_eq $((N + 1 + 401)) "$n" "jobs in GetManagedObjects() with the patterns plan"
        with=$(jq '[.data[0][] | .["org.jobd1.Job"] // empty | select(has("FailPatterns"))] | length' \
               "$TEST_TMP/objects2.json")
        log "GetManagedObjects(): $with jobs with FailPatterns"
        assert_int "$with" -lt $((N + 1 + 401)) "jobs listed with FailPatterns (left out past the bound)"
else
        assert_eq org.jobd1.Error.TooLarge "$BUS_ERR_NAME" "GetManagedObjects() error with the patterns plan"
fi
daemon_still_ok

# ListJobDetails() gives each id's Argv (up to 256 KiB) and an id may come many times: 250 times a job
# with 200 KiB of Argv is some 50 MiB. Refused with TooLarge, the daemon stays on the bus.
arg=$(head -c 100000 /dev/zero | tr '\0' a)
big=$(submit --hold -- /bin/true "$arg" "$arg")
ids=()
for ((i = 0; i < 250; i++)); do ids+=("$big"); done
expect_bus_error org.jobd1.Error.TooLarge "ListJobDetails() of one large job 250 times" \
        --timeout=120 call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobDetails at 250 "${ids[@]}"
assert_contains "fewer ids" "$BUS_ERR_MSG" "the TooLarge error of ListJobDetails() says what to do"
daemon_still_ok

# A bus that goes away: jobd says so and exits with a failure.
JOBD_EXPECT_DEAD=1
pid=$JOBD_PID
JOBD_PID=""     # wait_until would take its exit for a failure
kill "$DBUS_PID"
wait_until 20 "jobd to exit after the bus went away" pid_gone "$pid"
rc=0
wait "$pid" || rc=$?
assert_ne 0 "$rc" "jobd's exit status after losing the bus"
grep -q "Disconnected from the bus" "$JOBD_LOG" || fail "jobd did not log the disconnection: $(tail -n 5 "$JOBD_LOG")"
log "jobd exited with $rc after the bus went away"
