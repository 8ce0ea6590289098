#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Damaged state must not stop the daemon (issue 9, item 5): ids beyond what a job may have, a run of 2^32-1
# jobs and a start line that names a cgroup that is not the job's own are skipped or refused with a
# message naming the line, never a crash or a hang, and nothing outside the job's own cgroup is adopted
# (nor killed). The order of records (item 6): a job skipped at submission has its submit line before its
# done line, so a restart keeps its Reason with the dependency's name and warns of no unknown job.
. "$(dirname "$0")/../helpers/lib.sh"
setup

# --- item 6 ---------------------------------------------------------------------------------------
jobd_start
dep=$(submit --name=dep -- sh -c 'exit 3')
wait_done "$dep"
skipped=$(submit --name=skipped --after="$dep" -- true)
wait_done "$skipped"
reason=$(job_prop "$skipped" Reason)
assert_contains "Dependency $dep (dep) ended with result failed" "$reason" "Reason of the skipped job"
sub_line=$(grep -n "\"e\":\"submit\",\"id\":$skipped," "$STATE_DIR/state.log" | cut -d: -f1)
done_line=$(grep -n "\"e\":\"done\",\"id\":$skipped," "$STATE_DIR/state.log" | cut -d: -f1)
[[ -n "$sub_line" && -n "$done_line" ]] || fail "no submit or done line of job $skipped in state.log"
assert_int "$sub_line" -lt "$done_line" "line of the submit before the line of the done of job $skipped"
jobd_crash
jobd_start
assert_eq "$reason" "$(job_prop "$skipped" Reason)" "Reason of the skipped job after a restart"
assert_not_contains "unknown job" "$(cat "$JOBD_LOG")" "warnings of events for unknown jobs"
jobd_crash

# --- item 5 ---------------------------------------------------------------------------------------
# A process in a cgroup below the root that is not a job's: a forged start line names it.
mkdir "$CG_ROOT/victim"
sleep 600 9>&- &
victim=$!
BG_PIDS+=("$victim")
echo "$victim" >"$CG_ROOT/victim/cgroup.procs"
rel=${CG_ROOT#"$CG2"}
now=$(($(date +%s) * 1000000))
cat >"$STATE_DIR/state.log" <<EOF
{"jobd_state":1}
{"e":"submit","id":1,"submit":$now,"owner":0,"argv":["true"]}
{"e":"submit","id":18446744073709551615,"submit":$now,"owner":0,"argv":["true"]}
{"e":"submit","id":1099511627776,"submit":$now,"owner":0,"argv":["true"]}
{"e":"run","id":1,"first":2,"n":4294967295,"owner":0,"submit":$now,"finish":0,"cancelled":false}
{"e":"submit","id":5,"submit":$now,"owner":0,"argv":["sleep","600"]}
{"e":"start","id":5,"start":$now,"pid":$victim,"cgroup":"$rel/victim"}
{"e":"submit","id":6,"submit":$now,"owner":0,"argv":["sleep","600"]}
{"e":"start","id":6,"start":$now,"pid":$victim,"cgroup":"/"}
{"e":"done","id":1,"result":"success","code":0,"signal":0,"start":$now,"finish":$now}
EOF
chmod 600 "$STATE_DIR/state.log"
jobd_start
daemon_still_ok
assert_eq success "$(job_prop 1 Result)" "the good job of the damaged file"
assert_contains "line 3" "$(cat "$JOBD_LOG")" "the message about the id 2^64-1 names its line"
assert_contains "line 4" "$(cat "$JOBD_LOG")" "the message about the id 2^40 names its line"
for id in 5 6; do
        assert_eq done "$(job_prop "$id" State)" "job $id whose start line names a foreign cgroup"
        assert_contains "not re-adopting" "$(grep "Job $id:" "$JOBD_LOG")" "the message about job $id"
        bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager KillJob ti "$id" 9
done
kill -0 "$victim" || fail "the process in the foreign cgroup was killed"
assert_eq "$victim" "$(cat "$CG_ROOT/victim/cgroup.procs")" "the foreign cgroup's process"
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
rmdir "$CG_ROOT/victim"
# The next job gets an id after the good ones, not after the damaged ones.
next=$(submit -- true)
assert_int "$next" -lt 100 "id of the next job"
wait_done "$next"
daemon_still_ok
