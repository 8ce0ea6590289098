#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 2: a plan's JobNew signals go out in batches after the SubmitPlan() reply, and a job that
# changes before its batch is announced first. That used to announce every job before it as well: a
# Cancel() right after the reply goes from the last job to the first, so its first job announced the
# whole plan inside the Cancel() handler (here 19,687 of 20,000 JobNew came before the reply).
# The client sends Cancel() right behind SubmitPlan(), before the reply, so that it is the daemon's next
# message to read when the plan is in and none of the plan's batches went out yet. Checked without
# timing, from the order of the daemon's messages on the bus (dbus-daemon relays one sender's messages
# in the order it sent them): each job gets one JobNew, before its first JobChanged, and the JobNew
# between the SubmitPlan() reply and the Cancel() reply (what the Cancel() handler sent) are a slice of
# the plan, not all of it. Then the same with a subscriber on the bus: each job's InterfacesAdded once
# (the jobs announced on their own, from the last down, and the batches, from the first up, make two
# ranges of ids waiting for it).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
N=${PLAN_CANCEL_JOBS:-20000}
PY=$(find_python_dbus) || skip "no python3 with the dbus module"
/usr/bin/python3 -c 'import dbus_next' 2>/dev/null ||
        skip "/usr/bin/python3 lacks dbus_next (Debian: python3-dbus-next, see .ci/deps)"
jobd_start --max-parallel=1 --keep-finished=$((N + 100))

mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short \
        "--match=type='signal',sender='org.jobd1',interface='org.jobd1.Manager',member='JobNew'" \
        "--match=type='signal',sender='org.jobd1',interface='org.jobd1.Manager',member='JobChanged'" \
        "--match=type='method_call',interface='org.jobd1.Manager',member='SubmitPlan'" \
        "--match=type='method_call',interface='org.jobd1.Run',member='Cancel'" \
        "--match=type='method_return',sender='org.jobd1'" \
        "--match=type='signal',sender='org.jobd1',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded'" \
        >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"

out=$(/usr/bin/python3 "$HARNESS_DIR/plan-cancel-at-once.py" "$BUS" "$N" 2>&1) ||
        fail "plan-cancel-at-once.py failed: $out"
assert_contains cancelled "$out" "plan-cancel-at-once.py"
run=$(awk '$1 == "run" { print $2 }' <<<"$out")
wait_run_done "$run" 120
assert_eq "$N" "$(run_count "$run" ResultCounts cancelled)" "jobs of the run cancelled"
wait_until 60 "the monitor to see $N JobChanged done" \
        eval '[[ $(grep -c "\"member\":\"JobChanged\".*\"done\"" "$mon") -ge $N ]]'

# One pass over the messages of the run whose job ids are FIRST..FIRST+N-1, in the order the bus delivered
# them: jobs with a JobNew, JobNew sent twice, JobNew after the job's first JobChanged, JobNew before the
# SubmitPlan() reply, between it and the Cancel() reply, after that; jobs with an InterfacesAdded, sent
# twice. The replies are those to the first SubmitPlan() and Cancel() on the bus: the phases are the
# first run's.
count_messages() { # FIRST N
        "$PY" - "$mon" "$1" "$2" <<'PY'
import json, sys
first, n = int(sys.argv[2]), int(sys.argv[3])
new, changed_first, added = {}, {}, {}
dup = late = added_dup = before = during = after = 0
calls, phase = {}, 'before'
for i, line in enumerate(open(sys.argv[1])):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t, member = m.get('type'), m.get('member')
    if t == 'method_call' and member in ('SubmitPlan', 'Cancel'):
        calls.setdefault(member, (m.get('sender'), m.get('cookie')))
    elif t == 'method_return':
        for member, to in (('SubmitPlan', 'during'), ('Cancel', 'after')):
            if member in calls and (m.get('destination'), m.get('reply_cookie')) == calls[member]:
                phase = to
    elif t == 'signal' and member in ('JobNew', 'JobChanged', 'InterfacesAdded'):
        if member == 'InterfacesAdded':
            jid = int(m['payload']['data'][0].rsplit('/', 1)[1]) if '/job/' in m['payload']['data'][0] else -1
        else:
            jid = m['payload']['data'][0]
        if not first <= jid < first + n:
            continue
        if member == 'JobChanged':
            changed_first.setdefault(jid, i)
        elif member == 'InterfacesAdded':
            added_dup += jid in added
            added[jid] = i
        else:
            dup += jid in new
            new[jid] = i
            late += jid in changed_first
            if phase == 'before':
                before += 1
            elif phase == 'during':
                during += 1
            else:
                after += 1
print(len(new), dup, late, before, during, after, len(added), added_dup)
PY
}

read -r jobs dup late before during after _ _ < <(count_messages "$(run_job_id "$run" blocker)" "$N")
log "JobNew: $jobs jobs; before the SubmitPlan() reply $before, between it and the Cancel() reply $during, after $after"
assert_eq "$N" "$jobs" "jobs with a JobNew"
assert_eq 0 "$dup" "JobNew signals sent twice for a job"
assert_eq 0 "$late" "jobs whose JobNew came after their first JobChanged"
# The Cancel() reply comes after one slice of cancels (each job's JobNew and JobChanged, a few hundred
# jobs), not after the JobNew of the whole plan. A batch or two (1024 each) may come first where the
# Cancel() reached the daemon late.
assert_int "$during" -le 4096 "JobNew between the SubmitPlan() reply and the Cancel() reply (of $N)"
assert_int "$after" -gt 0 "JobNew after the Cancel() reply"

# With a subscriber: InterfacesAdded too, each job's once.
M=3000
coproc SUB { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS"; }
read -r -t 10 line <&"${SUB[0]}" || fail "subscribe.py did not subscribe"
out=$(/usr/bin/python3 "$HARNESS_DIR/plan-cancel-at-once.py" "$BUS" "$M" 2>&1) || fail "plan-cancel-at-once.py failed: $out"
run2=$(awk '$1 == "run" { print $2 }' <<<"$out")
wait_run_done "$run2" 120
first2=$(run_job_id "$run2" blocker)
wait_until 60 "the monitor to see the InterfacesAdded of the $M jobs" \
        eval '[[ $(count_messages "$first2" "$M" | cut -d" " -f7) -ge $M ]]'
read -r jobs dup late _ _ _ added added_dup < <(count_messages "$first2" "$M")
log "with a subscriber: $jobs jobs with a JobNew, $added with an InterfacesAdded"
assert_eq "$M" "$jobs" "jobs with a JobNew (with a subscriber)"
assert_eq 0 "$dup" "JobNew signals sent twice for a job (with a subscriber)"
assert_eq 0 "$late" "jobs whose JobNew came after their first JobChanged (with a subscriber)"
assert_eq "$M" "$added" "jobs with an InterfacesAdded"
assert_eq 0 "$added_dup" "InterfacesAdded sent twice for a job"
exec {SUB[1]}>&-
wait "$SUB_PID" 2>/dev/null || true
