#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 8: per-job PropertiesChanged goes out only while a client is subscribed
# (Manager.Subscribe()), coalesced per loop iteration; JobChanged always. A subscription ends with
# Unsubscribe() or when its client leaves the bus.
. "$(dirname "$0")/../helpers/lib.sh"
PY=$(find_python_dbus) || skip "no python3 with the dbus module"
jobd_start

mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short "--match=type='signal',sender='org.jobd1'" >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"

# props_changed ID: PropertiesChanged signals of job ID seen so far.
props_changed() {
        grep '^{' "$mon" | jq --arg p "$(job_path "$1")" \
                'select(.member == "PropertiesChanged" and .path == $p)' | jq -s length
}
job_changed() {
        grep '^{' "$mon" | jq --argjson id "$1" \
                'select(.member == "JobChanged" and .payload.data[0] == $id)' | jq -s length
}
run_one() {  # echoes the id of a short job, once its JobChanged done is seen
        local id
        id=$(submit -- true)
        wait_done "$id"
        wait_until 10 "JobChanged done of job $id" \
                grep -q "\"member\":\"JobChanged\".*\"data\":\\[$id,[^]]*\"done\"" "$mon"
        echo "$id"
}

# Nobody subscribed: JobChanged only.
a=$(run_one)
assert_int "$(job_changed "$a")" -ge 2 "JobChanged of job $a without subscribers"
assert_eq 0 "$(props_changed "$a")" "PropertiesChanged of job $a without subscribers"

# A subscriber: PropertiesChanged, one per job and loop iteration, State among them.
coproc SUB { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS"; }
read -r -t 10 line <&"${SUB[0]}" || fail "subscribe.py did not subscribe"
assert_eq subscribed "$line" "subscribe.py"
b=$(run_one)
n=$(props_changed "$b")
assert_int "$n" -ge 1 "PropertiesChanged of job $b with a subscriber"
states=$(grep '^{' "$mon" | jq -r --arg p "$(job_path "$b")" \
        'select(.member == "PropertiesChanged" and .path == $p) | .payload.data[1].State.data // empty' | tail -n 1)
assert_eq done "$states" "last State told by PropertiesChanged of job $b"
# Coalesced: fewer PropertiesChanged than JobChanged + the changes of the job (it was 7 for /bin/true).
assert_int "$n" -le "$(job_changed "$b")" "PropertiesChanged of job $b (one per loop iteration at most)"

# The subscriber leaves: no more PropertiesChanged.
exec {SUB[1]}>&-
wait "$SUB_PID" 2>/dev/null || true
sleep 0.2
c=$(run_one)
assert_eq 0 "$(props_changed "$c")" "PropertiesChanged of job $c after the subscriber left"

# Unsubscribe() ends it too.
coproc SUB2 { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS" --unsubscribe-after=1; }
read -r -t 10 line <&"${SUB2[0]}" || fail "subscribe.py did not subscribe"
read -r -t 10 line <&"${SUB2[0]}" || fail "subscribe.py did not unsubscribe"
assert_eq unsubscribed "$line" "subscribe.py"
d=$(run_one)
assert_eq 0 "$(props_changed "$d")" "PropertiesChanged of job $d after Unsubscribe()"
exec {SUB2[1]}>&-
wait "$SUB2_PID" 2>/dev/null || true
daemon_still_ok
