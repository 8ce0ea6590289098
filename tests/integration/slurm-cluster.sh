#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The private one-node Slurm cluster of tests/helpers/slurm.sh (no jobd here): it starts, runs a batch
# job and keeps its exit code, enforces --mem (OUT_OF_MEMORY), kills a daemonized orphan of a cancelled
# or finished job (proctrack/cgroup; with proctrack/linuxproc the orphan survives, and this says so),
# turns a running job into NODE_FAIL when slurmd stops, takes the node back when slurmd returns, and
# stops leaving no process, cgroup or file.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/slurm.sh"
setup

rc=0
slurm_cluster_start "$TEST_TMP/slurm" "simlic:2" || rc=$?
[[ $rc == 0 ]] || { [[ $rc == 77 ]] && skip "Slurm cannot start (see above)"; fail "the cluster did not start (logs above)"; }
daemons=("$SLURM_MUNGED_PID" "$SLURM_CTLD_PID" "$SLURM_SLURMD_PID")
cgdirs=("${SLURM_CG_DIRS[@]}")
log "proctrack/$SLURM_PROCTRACK, cgroups: ${cgdirs[*]}"

assert_file_exists "$SLURM_CONF" "slurm.conf"
assert_contains "$SLURM_DIR/shared" "$SLURM_SHARED" "SLURM_SHARED"
assert_match "simlic +Total=2" "$(scontrol -o show licenses 2>&1 | sed 's/LicenseName=\([^ ]*\)/\1/; s/ Used=.*//')" \
        "licenses of the cluster"
assert_eq IDLE "$(scontrol -o show node localhost | sed -n 's/.* State=\([^ ]*\).*/\1/p')" "node state"

run() {  # sbatch with the job's files in the shared folder; the job id on stdout
        sbatch --parsable --chdir="$SLURM_SHARED" --output="$SLURM_SHARED/%j.out" "$@"
}

# --- a batch job's exit code, kept by scontrol (no accounting on this cluster) -----------------------
expect_rc 3 "sbatch --wait of a script exiting 3" run --wait --wrap 'exit 3'
id=${RUN_OUT%%;*}
assert_match '^[0-9]+$' "$id" "job id from sbatch --parsable"
assert_eq FAILED "$(slurm_job_field "$id" JobState)" "state of a job exiting 3"
assert_eq 3:0 "$(slurm_job_field "$id" ExitCode)" "ExitCode of a job exiting 3"
expect_rc 0 "sbatch --wait of true" run --wait --wrap true
assert_eq COMPLETED "$(slurm_job_field "${RUN_OUT%%;*}" JobState)" "state of true"

# --- --mem is the job's memory limit (task/cgroup, cgroup mode): over it -> OUT_OF_MEMORY -------------
if [[ "$SLURM_PROCTRACK" == cgroup ]]; then
        run_rc rc run --wait --mem=50M --wrap 'python3 -c "a = bytearray(300 << 20)"'
        assert_ne 0 "$rc" "sbatch --wait of a job going over --mem=50M"
        assert_eq OUT_OF_MEMORY "$(slurm_job_field "${RUN_OUT%%;*}" JobState)" "state of a job going over --mem"
else
        note "proctrack/linuxproc + task/none: --mem is not enforced here"
fi

# --- orphans: a child that daemonizes (setsid + the parent exits: reparented away from the job) --------
# orphan_job WHAT: a job whose script starts such a child, writes its pid to $SLURM_SHARED/WHAT.pid, then
# runs $2 (sleep: cancelled; exit: the job ends first).
orphan_job() {
        run --wrap "( setsid sh -c 'echo \$\$ >$SLURM_SHARED/$1.tmp; mv $SLURM_SHARED/$1.tmp $SLURM_SHARED/$1.pid; exec sleep 1000' </dev/null >/dev/null 2>&1 & )
                    while [ ! -s $SLURM_SHARED/$1.pid ]; do sleep 0.1; done; $2"
}
orphan_alive() {
        local pid
        pid=$(cat "$SLURM_SHARED/$1.pid")
        kill -0 "$pid" 2>/dev/null && [[ "$(proc_state "$pid")" != Z ]]
}
check_orphan() {  # WHAT: killed (cgroup) / survives (linuxproc)
        local pid
        pid=$(cat "$SLURM_SHARED/$1.pid")
        if [[ "$SLURM_PROCTRACK" == cgroup ]]; then
                # KillWait=2: SIGTERM, SIGKILL 2 s later; done by the time the job is final, a margin for the
                # stepd's last kill.
                wait_until 10 "the daemonized orphan $pid of the $1 job to be killed" eval "! orphan_alive $1"
        else
                sleep 3
                orphan_alive "$1" || fail "with proctrack/linuxproc the orphan was expected to survive (it did not)"
                note "proctrack/linuxproc: the daemonized orphan $pid of the $1 job survives (Slurm does not track it)"
                kill -KILL "$pid"
        fi
}

id=$(orphan_job cancel 'sleep 1000')
slurm_wait_job_state "$id" RUNNING || fail "job $id did not start"
wait_file "$SLURM_SHARED/cancel.pid"
orphan_alive cancel || fail "the orphan of job $id is not running"
ppid=$(awk '{ print $4 }' "/proc/$(cat "$SLURM_SHARED/cancel.pid")/stat")
[[ "$(tr '\0' ' ' <"/proc/$ppid/cmdline")" != *slurm* ]] || fail "the orphan is still a child of the job (parent $ppid)"
scancel "$id"
slurm_wait_job_state "$id" CANCELLED || fail "job $id was not cancelled"
check_orphan cancel

id=$(orphan_job end 'exit 0')
slurm_wait_job_state "$id" COMPLETED || fail "job $id did not complete"
wait_file "$SLURM_SHARED/end.pid"
check_orphan end

# --- node failure: slurmd stops while a job runs -> the node goes DOWN, the job NODE_FAIL (JobRequeue=0) -
id=$(run --wrap 'echo $$ >'"$SLURM_SHARED"'/nodefail.pid; exec sleep 1000')
slurm_wait_job_state "$id" RUNNING || fail "job $id did not start"
wait_file "$SLURM_SHARED/nodefail.pid"
t0=$(now_ms)
slurm_node_stop
slurm_wait_job_state "$id" NODE_FAIL 40 || fail "job $id is not NODE_FAIL 40 s after slurmd stopped"
log "NODE_FAIL $(($(now_ms) - t0)) ms after slurmd stopped"
assert_match '^DOWN' "$(scontrol -o show node localhost | sed -n 's/.* State=\([^ ]*\).*/\1/p')" "node state without slurmd"
slurm_node_start || fail "the node did not come back"
# The job's processes outlived slurmd (slurmstepd is not its child); the returning slurmd is told the job
# is gone and ends them.
pid=$(cat "$SLURM_SHARED/nodefail.pid")
wait_until 30 "the processes of the NODE_FAIL job $id to end once slurmd is back" eval "! kill -0 $pid 2>/dev/null"
assert_eq NODE_FAIL "$(slurm_job_field "$id" JobState)" "the failed job stays NODE_FAIL (not requeued)"
expect_rc 0 "a job after the node came back" run --wait --wrap true

# --- stop: no daemon, no job process, no cgroup, no file left --------------------------------------
id=$(run --wrap 'echo $$ >'"$SLURM_SHARED"'/atstop.pid; exec sleep 1000')
slurm_wait_job_state "$id" RUNNING || fail "job $id did not start"
wait_file "$SLURM_SHARED/atstop.pid"
pid=$(cat "$SLURM_SHARED/atstop.pid")
dir=$SLURM_DIR
slurm_cluster_stop
for p in "${daemons[@]}" "$pid"; do
        ! kill -0 "$p" 2>/dev/null || fail "process $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) is left after slurm_cluster_stop"
done
for d in "${cgdirs[@]}"; do
        assert_file_missing "$d" "cgroup of the cluster"
done
assert_file_missing "$dir" "the cluster's folder"
slurm_cluster_stop  # twice: nothing to do, no error
