#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Manager.ListJobsFiltered(): paging with a cursor over a few hundred jobs (every job exactly once, in id
# order, next 0 at the end), each filter key on the daemon's side, refusals naming the bad key; the
# Labels key and property, the Slots property, and forgetting done jobs (RemoveJob, Job.Remove) for good.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

uid=$(id -u)
N=300
t0=$(($(date +%s%6N) - 1))
# Every 3rd job is in group g3, every even one has the label even; submitted through the bus, in order.
for ((i = 1; i <= N; i++)); do
        args=(3 Argv as 1 true)
        if ((i % 3 == 0)); then args[0]=$((args[0] + 1)); args+=(Group s g3); fi
        if ((i % 2 == 0)); then args+=(Labels as 2 even "n$i"); else args+=(Labels as 1 odd); fi
        args[0]=$((args[0] - 1))
        ids[i]=$(bsubmit "${args[@]}")
done
first=${ids[1]}
last=${ids[N]}
assert_eq $((first + N - 1)) "$last" "ids are dense"
expect_rc 0 "jobctl wait for all" jobctl wait --all

# lf FILTER-ARGS... -- AFTER LIMIT: the reply as JSON.
lf() {
        local args=() a
        while [[ "$1" != -- ]]; do args+=("$1"); shift; done
        shift
        bctl --json=short call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobsFiltered 'a{sv}tu' \
                "${args[@]}" "$1" "$2"
}

# Paging: 50 at a time until next is 0.
after=0 pages=0 all=()
while :; do
        out=$(lf 0 -- "$after" 50) || fail "ListJobsFiltered after $after failed"
        mapfile -t page < <(jq -r '.data[0][][0]' <<<"$out")
        next=$(jq -r '.data[1]' <<<"$out")
        all+=("${page[@]}")
        pages=$((pages + 1))
        ((pages < 20)) || fail "paging does not end"
        [[ "$next" == 0 ]] && break
        assert_eq "${page[-1]}" "$next" "next is the last id of the page"
        assert_eq 50 "${#page[@]}" "a page that is followed by more is full"
        after=$next
done
assert_eq "$N" "${#all[@]}" "paging returned every job"
assert_eq 6 "$pages" "300 jobs in pages of 50"
assert_eq "$(seq "$first" "$last" | tr '\n' ' ')" "$(printf '%s ' "${all[@]}")" "each job once, in id order"
# The last page is exactly full: next says 0 (no more), not the last id.
out=$(lf 0 -- $((last - 50)) 50)
assert_eq "50 0" "$(jq -r '"\(.data[0] | length) \(.data[1])"' <<<"$out")" "a last page that is exactly full"
# An entry is ListJobs' (tsssuo).
assert_eq "[$first,\"\",\"done\",\"success\",$uid,\"/org/jobd1/job/$first\"]" \
        "$(lf 0 -- 0 1 | jq -c '.data[0][0]')" "entry of ListJobsFiltered"
# limit 0: the default (1000), which holds them all.
assert_eq "$N 0" "$(lf 0 -- 0 0 | jq -r '"\(.data[0] | length) \(.data[1])"')" "limit 0 is the default"

count() { lf "$@" -- 0 0 | jq -r '.data[0] | length'; }
assert_eq 150 "$(count 1 Label s even)" "Label even"
assert_eq 1 "$(count 1 Label s n10)" "Label n10"
assert_eq 0 "$(count 1 Label s eve)" "Label eve (no prefix match)"
assert_eq 100 "$(count 1 Group s g3)" "Group g3"
assert_eq 200 "$(count 1 Group s '')" "Group '': jobs of no group"
assert_eq 50 "$(count 2 Group s g3 Label s even)" "Group and Label together"
assert_eq "$N" "$(count 1 Owner u "$uid")" "Owner: ours"
assert_eq 0 "$(count 1 Owner u $((uid + 1)))" "Owner: someone else's"
assert_eq "$N" "$(count 1 States as 2 done running)" "States done"
assert_eq 0 "$(count 1 States as 1 queued)" "States queued"
assert_eq "$N" "$(count 1 Results as 1 success)" "Results success"
assert_eq 0 "$(count 1 Results as 2 failed '')" "Results failed or none"
assert_eq "$N" "$(count 1 Run t 0)" "Run 0: jobs of no run"
assert_eq 0 "$(count 1 Run t 1)" "Run 1"
assert_eq 11 "$(count 2 MinId t $((first + 10)) MaxId t $((first + 20)))" "MinId..MaxId"
assert_eq "$N" "$(count 1 SubmittedAfterUSec t "$t0")" "SubmittedAfterUSec before the first"
assert_eq 0 "$(count 1 SubmittedAfterUSec t "$(date +%s%6N)")" "SubmittedAfterUSec now"
# Paging with a filter: 150 even jobs, 40 at a time, the cursor is an id.
out=$(lf 1 Label s even -- 0 40)
assert_eq "40 $((first + 79))" "$(jq -r '"\(.data[0] | length) \(.data[1])"' <<<"$out")" "first page of evens"
out=$(lf 1 Label s even -- $((first + 279)) 40)
assert_eq "10 0" "$(jq -r '"\(.data[0] | length) \(.data[1])"' <<<"$out")" "last page of evens"

# Refusals name what is wrong.
expect_bus_error org.freedesktop.DBus.Error.InvalidArgs "unknown filter key" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobsFiltered 'a{sv}tu' 1 Colour s red 0 0
assert_contains Colour "$BUS_ERR_MSG" "the unknown key is named"
expect_bus_error org.freedesktop.DBus.Error.InvalidArgs "wrong type" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobsFiltered 'a{sv}tu' 1 Owner s root 0 0
assert_contains Owner "$BUS_ERR_MSG" "the key of the wrong type is named"
expect_bus_error org.freedesktop.DBus.Error.InvalidArgs "unknown state" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobsFiltered 'a{sv}tu' 1 States as 1 finished 0 0
assert_contains finished "$BUS_ERR_MSG" "the unknown state is named"
daemon_still_ok

# ListJobDetails: the list's columns for a batch of jobs; unknown ids are left out; a bound.
out=$(bctl --json=short call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobDetails at 3 "${ids[2]}" 999999 "$first")
assert_eq "[[${ids[2]},0,0,true,[\"true\"],[\"even\",\"n2\"]],[$first,0,0,true,[\"true\"],[\"odd\"]]]" \
        "$(jq -c '[.data[0][] | [.[0], .[1], .[2], (.[4] >= .[3] and .[3] > 0), .[5], .[6]]]' <<<"$out")" \
        "ListJobDetails entries"
expect_bus_error org.freedesktop.DBus.Error.InvalidArgs "ListJobDetails of too many ids" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobDetails at 10001 $(seq 1 10001)

# Labels: the property, and bad labels refused.
assert_eq '["even","n2"]' "$(job_prop_json "${ids[2]}" Labels)" "Labels property"
assert_eq '["odd"]' "$(job_prop_json "$first" Labels)" "Labels of an odd job"
expect_bus_error org.jobd1.Error.InvalidSpec "a label with a space" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Labels as 1 "a b"
assert_contains Labels "$BUS_ERR_MSG" "the key is named"
expect_bus_error org.jobd1.Error.InvalidSpec "a label twice" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Labels as 2 x x

# Slots: the slot a job held, kept once it is done.
expect_rc 0 "jobctl slot-pool" jobctl slot-pool board b0 b1
sid=$(bsubmit 2 Argv as 3 sh -c 'echo "$JOBD_SLOT_BOARD"' Resources 'a{su}' 1 board 1)
wait_done "$sid"
assert_eq '{"board":"b0"}' "$(job_prop_json "$sid" Slots)" "Slots of a done job"
assert_eq b0 "$(jobctl logs "$sid")" "the job saw its slot in JOBD_SLOT_BOARD"
assert_eq '{}' "$(job_prop_json "$first" Slots)" "Slots of a job without any"

# Removing: a done job goes (with its log), a running one is refused, a removed one stays gone after a
# restart.
rid=${ids[5]}
log_file=$(job_prop "$rid" LogPath)
assert_file_exists "$log_file"
bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager RemoveJob t "$rid"
assert_eq 1 "$BUS_OK" "RemoveJob of a done job ($BUS_ERR_NAME $BUS_ERR_MSG)"
expect_bus_error org.jobd1.Error.NoSuchJob "the removed job" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager GetJob t "$rid"
assert_file_missing "$log_file"
bus_try call -- org.jobd1 "$(job_path "${ids[6]}")" org.jobd1.Job Remove
assert_eq 1 "$BUS_OK" "Job.Remove ($BUS_ERR_NAME $BUS_ERR_MSG)"
assert_eq $((N + 1 - 2)) "$(count 0)" "removed jobs are not listed (the slot job is the +1)"
lid=$(bsubmit 1 Argv as 2 sleep 30)
wait_state "$lid" running
expect_bus_error org.jobd1.Error.Busy "removing a running job" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager RemoveJob t "$lid"
assert_contains "not done" "$BUS_ERR_MSG" "the message says why"
jobctl cancel "$lid"
wait_done "$lid"
# Let the daemon rewrite its journal (idle), then kill it hard: what it wrote is all there is.
wait_until 10 "the journal to be rewritten" bash -c "! grep -q '\"id\":$rid,' '$STATE_DIR/state.log'"
# The newest job, never started, removed: its id is not given out again after a restart.
nid=$(bsubmit 2 Argv as 1 true Hold b true)
mcall CancelJob t "$nid" >/dev/null
wait_done "$nid"
mcall RemoveJob t "$nid" >/dev/null || fail "RemoveJob of a cancelled job"
wait_until 10 "the journal to be rewritten" bash -c "! grep -q '\"id\":$nid,' '$STATE_DIR/state.log'"
jobd_crash
jobd_start
after_restart=$(bsubmit 2 Argv as 1 true Hold b true)
assert_int "$after_restart" -gt "$nid" "no id is given out twice (removed $nid, new $after_restart)"
expect_bus_error org.jobd1.Error.NoSuchJob "a removed job after a restart" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager GetJob t "$rid"
assert_eq '["even","n2"]' "$(job_prop_json "${ids[2]}" Labels)" "Labels survive a restart"
assert_eq 149 "$(count 1 Label s even)" "Label filter after a restart (job 6 was removed)"
