#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 2: a plan's JobNew signals go out in batches after the SubmitPlan() reply, and a job that
# changes before its batch is announced first. That used to announce every job before it as well: a
# Cancel() right after the reply goes from the last job to the first, so its first job announced the
# whole plan inside the Cancel() handler (here 19,687 of 20,000 JobNew came before the reply).
# Checked without timing, from the order of the messages on the bus: each job gets one JobNew, before its
# first JobChanged, and few JobNew come between the Cancel() call and its reply. Then the same with a
# subscriber on the bus: each job's InterfacesAdded once (the jobs announced on their own, from the last
# down, and the batches, from the first up, make two ranges of ids waiting for it).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
N=${PLAN_CANCEL_JOBS:-20000}
PY=$(find_python_dbus) || skip "no python3 with the dbus module"
jobd_start --max-parallel=1 --keep-finished=$((N + 100))

mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short \
        "--match=type='signal',sender='org.jobd1',interface='org.jobd1.Manager',member='JobNew'" \
        "--match=type='signal',sender='org.jobd1',interface='org.jobd1.Manager',member='JobChanged'" \
        "--match=type='method_call',interface='org.jobd1.Run',member='Cancel'" \
        "--match=type='method_return',sender='org.jobd1'" \
        "--match=type='signal',sender='org.jobd1',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded'" \
        >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"

out=$("$PY" "$HARNESS_DIR/plan-cancel-at-once.py" "$BUS" "$N" 2>&1) ||
        fail "plan-cancel-at-once.py failed: $out"
assert_contains cancelled "$out" "plan-cancel-at-once.py"
run=$(awk '$1 == "run" { print $2 }' <<<"$out")
wait_run_done "$run" 120
assert_eq "$N" "$(run_count "$run" ResultCounts cancelled)" "jobs of the run cancelled"
wait_until 60 "the monitor to see $N JobChanged done" \
        eval '[[ $(grep -c "\"member\":\"JobChanged\".*\"done\"" "$mon") -ge $N ]]'

# One pass over the messages of run RUN (job ids FIRST..FIRST+N-1) in the order the bus delivered them:
# jobs with a JobNew, JobNew sent twice, JobNew after the job's first JobChanged, JobNew before the
# Cancel() call, between it and its reply, after it; jobs with an InterfacesAdded, sent twice.
count_messages() { # FIRST N
        "$PY" - "$mon" "$1" "$2" <<'PY'
import json, sys
first, n = int(sys.argv[2]), int(sys.argv[3])
new, changed_first, added = {}, {}, {}
dup = late = added_dup = before = during = after = 0
cancel_cookie, phase = None, 'before'
for i, line in enumerate(open(sys.argv[1])):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t, member = m.get('type'), m.get('member')
    if t == 'method_call' and member == 'Cancel':
        if phase == 'before':
            cancel_cookie, phase = m.get('cookie'), 'during'
    elif t == 'method_return' and cancel_cookie is not None and m.get('reply_cookie') == cancel_cookie:
        phase = 'after'
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
log "JobNew: $jobs jobs; before Cancel() $before, between Cancel() and its reply $during, after $after"
assert_eq "$N" "$jobs" "jobs with a JobNew"
assert_eq 0 "$dup" "JobNew signals sent twice for a job"
assert_eq 0 "$late" "jobs whose JobNew came after their first JobChanged"
# The reply comes after one slice of cancels (each job's JobNew and JobChanged), not after the JobNew of
# every job not announced yet. Where the daemon had announced most of the plan before the Cancel() landed
# (a fast machine), there is nothing to tell apart.
left=$((N - before))
if [[ $left -gt 8192 ]]; then
        assert_int "$during" -le 4096 "JobNew between Cancel() and its reply ($left jobs were not announced yet)"
else
        log "only $left jobs were not announced yet when Cancel() came: the bound is not checked"
fi

# With a subscriber: InterfacesAdded too, each job's once.
M=3000
coproc SUB { "$PY" "$HARNESS_DIR/subscribe.py" "$BUS"; }
read -r -t 10 line <&"${SUB[0]}" || fail "subscribe.py did not subscribe"
out=$("$PY" "$HARNESS_DIR/plan-cancel-at-once.py" "$BUS" "$M" 2>&1) || fail "plan-cancel-at-once.py failed: $out"
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
