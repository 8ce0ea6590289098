#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 6: others acting on a job's cgroup. A job whose cgroup a third party froze stayed
# "running" and Resume() succeeded without thawing it; after a third party moved the processes out and
# removed the cgroup, Kill() returned a bare FileNotFound and Cancel() said OK without killing anything.
# Now: the frozen job reads "paused" with a Reason, Resume() thaws it; Kill()/Cancel() on a removed cgroup
# fail with org.jobd1.Error.CgroupGone naming the job, and nothing claims success.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

f="$TEST_TMP/counter"
id=$(submit -- sh -c 'while :; do echo x >> "$0"; sleep 0.05; done' "$f")
wait_file "$f"
wait_state "$id" running
cg=$(job_cgroup_dir "$id")
[[ -e "$cg/cgroup.freeze" ]] || skip "no cgroup.freeze on this kernel"

# A third party freezes it.
echo 1 >"$cg/cgroup.freeze"
wait_until 5 "cgroup.events frozen 1" grep -q '^frozen 1' "$cg/cgroup.events"
assert_eq paused "$(job_prop "$id" State)" "State of a job frozen by someone else"
assert_contains "another process" "$(job_prop "$id" Reason)" "Reason of a job frozen by someone else"
bctl call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job Resume || fail "Resume() fails"
assert_eq 0 "$(cat "$cg/cgroup.freeze")" "cgroup.freeze after Resume()"
assert_eq running "$(job_prop "$id" State)" "State after Resume()"
assert_eq "" "$(job_prop "$id" Reason)" "Reason after Resume()"
n0=$(wc -l <"$f")
grew() { [[ $(wc -l <"$f") -gt "$n0" ]]; }
wait_until 5 "the job to run again after Resume()" grew

# A third party thaws it itself: running again.
echo 1 >"$cg/cgroup.freeze"
assert_eq paused "$(job_prop "$id" State)" "State frozen again"
echo 0 >"$cg/cgroup.freeze"
assert_eq running "$(job_prop "$id" State)" "State once the third party thawed it"

# A third party moves the processes out and removes the cgroup.
elsewhere="$CG_ROOT/elsewhere"
mkdir "$elsewhere"
move_out() {  # again until none is left (the job forks meanwhile)
        local pid
        while read -r pid; do
                echo "$pid" >"$elsewhere/cgroup.procs" 2>/dev/null || true
        done < <(cat "$cg/cgroup.procs" 2>/dev/null)
        # systemd stops an emptied scope and removes its cgroup itself.
        [[ ! -e "$cg/cgroup.procs" ]] || ! grep -q . "$cg/cgroup.procs"
}
wait_until 5 "the job's cgroup to be empty" move_out
rmdir "$cg" 2>/dev/null || [[ ! -e "$cg" ]] || fail "cannot remove $cg"
expect_bus_error org.jobd1.Error.CgroupGone "Kill(15) of a job whose cgroup was removed" \
        call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job Kill i 15
assert_contains "Job $id" "$BUS_ERR_MSG" "the CgroupGone error names the job"
expect_bus_error org.jobd1.Error.CgroupGone "Cancel() of a job whose cgroup was removed" \
        call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job Cancel
assert_ne stopping "$(job_prop "$id" State)" "State after a Cancel() that could not act"
expect_bus_error org.jobd1.Error.CgroupGone "Pause() of a job whose cgroup was removed" \
        call -- org.jobd1 "$(job_path "$id")" org.jobd1.Job Pause
jobctl cancel "$id" >/dev/null 2>&1 && fail "jobctl cancel succeeded on a job whose cgroup was removed"

# Our processes, moved out by us: end them, and the job ends.
kill_moved() {
        local pid
        if [[ -e "$elsewhere/cgroup.kill" ]]; then
                echo 1 >"$elsewhere/cgroup.kill"
        else
                while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$elsewhere/cgroup.procs"
        fi
        ! grep -q . "$elsewhere/cgroup.procs"
}
wait_until 10 "the moved processes to end" kill_moved
rmdir "$elsewhere"
wait_done "$id"
daemon_still_ok
