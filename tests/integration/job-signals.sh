#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every state a job goes through is signalled: JobChanged and the job's PropertiesChanged(State) for each,
# starting included (it used to be set silently, so a client could Get a state no signal had told it).
# A new job is announced by JobNew with its first state (queued here), not by a JobChanged.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

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
assert_eq "starting running done" "$states" "states of job $id in its JobChanged signals"
n=$(jq --arg p "$(job_path "$id")" 'select(.member == "PropertiesChanged" and .path == $p)
                                    | select((.payload.data[1] | has("State"))
                                             or (.payload.data[2] | index("State") != null))' \
        "$TEST_TMP/signals.json" | jq -s length)
assert_eq 3 "$n" "PropertiesChanged of job $id naming State"
daemon_still_ok
