#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every state a client can see is signalled: JobChanged for each, and the job's PropertiesChanged(State)
# (coalesced per loop iteration). starting is announced where it lasts, on the systemd backend while the
# manager places the job (it used to be set silently there, so a client could Get a state no signal had
# told it); the cgroupfs backend goes from queued to running within one loop iteration, so no client can
# Get starting there and no JobChanged says it.
# A new job is announced by JobNew with its first state (queued here), not by a JobChanged.
# Per-job PropertiesChanged goes out only while a client is subscribed (Manager.Subscribe()): one is.
. "$(dirname "$0")/../helpers/lib.sh"
PY=$(find_python_dbus) || skip "no python3 with the dbus module"
jobd_start
coproc SUB { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS"; }
read -r -t 10 line <&"${SUB[0]}" || fail "subscribe.py did not subscribe"

mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short \
        "--match=type='signal',sender='org.jobd1'" >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"

id=$(submit -- true)
wait_done "$id"
assert_eq 0 "$WAIT_RC" "jobctl wait on a successful job"
wait_until 10 "JobChanged done of job $id" grep -q "\"member\":\"JobChanged\".*\"data\":\\[$id,[^]]*\"done\"" "$mon"

# The monitor's first line is not JSON.
grep '^{' "$mon" >"$TEST_TMP/signals.json"
states=$(jq -r --argjson id "$id" 'select(.member == "JobChanged" and .payload.data[0] == $id)
                                   | .payload.data[2]' "$TEST_TMP/signals.json" | paste -sd' ')
if [[ $JOBD_TEST_BACKEND == systemd ]]; then
        assert_eq "starting running done" "$states" "states of job $id in its JobChanged signals"
else
        assert_eq "running done" "$states" "states of job $id in its JobChanged signals"
fi
n=$(jq --arg p "$(job_path "$id")" 'select(.member == "PropertiesChanged" and .path == $p)
                                    | select((.payload.data[1] | has("State"))
                                             or (.payload.data[2] | index("State") != null))' \
        "$TEST_TMP/signals.json" | jq -s length)
# Coalesced per loop iteration: starting and running may come in one (and do on cgroupfs).
assert_int "$n" -ge 2 "PropertiesChanged of job $id naming State"
assert_int "$n" -le 3 "PropertiesChanged of job $id naming State"
last=$(jq -r --arg p "$(job_path "$id")" 'select(.member == "PropertiesChanged" and .path == $p)
                                          | .payload.data[1].State.data // empty' "$TEST_TMP/signals.json" | tail -n 1)
assert_eq done "$last" "the last State told by PropertiesChanged of job $id"
daemon_still_ok
