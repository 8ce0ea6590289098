#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 8: per-job PropertiesChanged goes out only while a client is subscribed
# (Manager.Subscribe()), coalesced per loop iteration; JobChanged always. A subscription ends with
# Unsubscribe() or when its client leaves the bus.
# A job's InterfacesAdded/InterfacesRemoved go out only while an ObjectManager client (one that called
# GetManagedObjects()) or a subscriber is on the bus; the Manager's job counts get at most one
# PropertiesChanged per 100 ms, the last values always told.
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

# interfaces_added ID / interfaces_removed ID: the ObjectManager's signals for job ID seen so far.
om_signals() {
        grep '^{' "$mon" | jq --arg m "$1" --arg p "$(job_path "$2")" \
                'select(.member == $m and .payload.data[0] == $p)' | jq -s length
}
# Nobody reads the objects (jobs a, c, d above: no subscriber then): no InterfacesAdded.
for id in "$a" "$c" "$d"; do
        assert_eq 0 "$(om_signals InterfacesAdded "$id")" "InterfacesAdded of job $id with no ObjectManager client"
done
# The subscriber of job b was there: it got InterfacesAdded.
assert_eq 1 "$(om_signals InterfacesAdded "$b")" "InterfacesAdded of job $b with a subscriber"

# An ObjectManager client (GetManagedObjects(), then it stays): InterfacesAdded, and InterfacesRemoved
# when a job is removed (RemoveJob).
coproc OM { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS" --objects; }
read -r -t 10 line <&"${OM[0]}" || fail "subscribe.py --objects did not read the objects"
assert_match '^objects [0-9]+$' "$line" "subscribe.py --objects"
e=$(run_one)
assert_eq 1 "$(om_signals InterfacesAdded "$e")" "InterfacesAdded of job $e with an ObjectManager client"
bctl call -- org.jobd1 /org/jobd1 org.jobd1.Manager RemoveJob t "$e" || fail "RemoveJob($e) failed"
wait_until 10 "InterfacesRemoved of job $e" eval '[[ $(om_signals InterfacesRemoved "$e") == 1 ]]'
# It leaves: nothing more.
exec {OM[1]}>&-
wait "$OM_PID" 2>/dev/null || true
sleep 0.2
f=$(run_one)
assert_eq 0 "$(om_signals InterfacesAdded "$f")" "InterfacesAdded of job $f after the ObjectManager client left"
bctl call -- org.jobd1 /org/jobd1 org.jobd1.Manager RemoveJob t "$f" || fail "RemoveJob($f) failed"
wait_until 10 "JobRemoved of job $f" grep -q "\"member\":\"JobRemoved\".*\"data\":\\[$f," "$mon"
assert_eq 0 "$(om_signals InterfacesRemoved "$f")" "InterfacesRemoved of job $f with no ObjectManager client"

# The job counts: 40 short jobs at once change JobsQueued/JobsRunning some 80 times; their
# PropertiesChanged come at most one per 100 ms, and the last one tells the final values (all 0).
mgr_counts() {
        grep '^{' "$mon" | jq -c 'select(.member == "PropertiesChanged" and .path == "/org/jobd1"
                                        and .payload.data[0] == "org.jobd1.Manager")'
}
before=$(mgr_counts | wc -l)
t0=$(date +%s%N)
ids=()
for i in $(seq 40); do ids+=("$(submit -- true)"); done
for id in "${ids[@]}"; do wait_done "$id"; done
sleep 0.3   # the last PropertiesChanged is at most 100 ms late
t1=$(date +%s%N)
n=$(( $(mgr_counts | wc -l) - before ))
limit=$(( (t1 - t0) / 100000000 + 2 ))
log "Manager PropertiesChanged for 40 jobs: $n in $(( (t1 - t0) / 1000000 )) ms"
assert_int "$n" -ge 1 "Manager PropertiesChanged of the counts for 40 jobs"
assert_int "$n" -le "$limit" "Manager PropertiesChanged of the counts for 40 jobs (at most one per 100 ms)"
last_running=$(mgr_counts | jq -r 'select(.payload.data[1].JobsRunning) | .payload.data[1].JobsRunning.data' | tail -n 1)
last_queued=$(mgr_counts | jq -r 'select(.payload.data[1].JobsQueued) | .payload.data[1].JobsQueued.data' | tail -n 1)
assert_eq 0 "$last_running" "the last JobsRunning told"
assert_eq 0 "${last_queued:-0}" "the last JobsQueued told (if it changed at all)"
daemon_still_ok
