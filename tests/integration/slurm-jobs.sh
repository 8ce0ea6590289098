#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Jobs with Backend slurm on the private one-node cluster of tests/helpers/slurm.sh, the scenarios the
# local backends run: exit codes (0, 3, a signal) as ExitCode/ExitSignal/Result and `jobctl run`'s exit
# status, the log in the shared folder (LogPath, OpenLog through `jobctl logs`, FailPatterns judged on
# it), Kill of a running job (a daemonized orphan: killed with proctrack/cgroup, survives with
# proctrack/linuxproc, as the harness documents), Cancel of a job pending in Slurm, TimeoutUSec (jobd's
# timer cancels it through Slurm: Result timeout), and the Backend/SlurmJobId properties.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/slurm.sh"
slurm_require_backend
setup

slurm_test_cluster
conf="$TEST_TMP/jobd.conf"
: >"$conf"
slurm_jobd_conf "$conf"
jobd_start --config="$conf" --backend=slurm --max-parallel=0

# --- exit codes --------------------------------------------------------------------------------------
expect_rc 0 "run true on the cluster" jobctl run -- true
expect_rc 3 "run exit 3 on the cluster" jobctl run -- sh -c 'exit 3'
expect_rc 143 "run of a cluster job killing itself with SIGTERM" jobctl run -- sh -c 'kill -TERM $$'

id=$(submit -- sh -c 'echo out-line; echo err-line >&2; exit 3')
wait_done "$id" 60
assert_eq slurm "$(job_prop "$id" Backend)" "Backend of a job of a --backend=slurm daemon"
sid=$(job_prop "$id" SlurmJobId)
assert_match '^[1-9][0-9]*$' "$sid" "SlurmJobId"
assert_eq "jobd-$id" "$(slurm_job_field "$sid" JobName)" "the Slurm job's name"
assert_eq failed "$(job_prop "$id" Result)" "Result of a cluster job exiting 3"
assert_eq 3 "$(job_prop "$id" ExitCode)" "ExitCode of a cluster job exiting 3"
assert_eq 0 "$(job_prop "$id" ExitSignal)" "ExitSignal of a cluster job exiting 3"
log_path=$(job_prop "$id" LogPath)
assert_eq "$SLURM_SHARED/0/jobd-$id.log" "$log_path" "LogPath of a cluster job"
assert_contains out-line "$(cat "$log_path")" "stdout in the log"
assert_contains err-line "$(cat "$log_path")" "stderr in the log"
assert_contains out-line "$(jobctl logs "$id")" "jobctl logs (OpenLog) of a cluster job"

id=$(submit -- sh -c 'kill -USR1 $$')
wait_done "$id" 60
assert_eq killed "$(job_prop "$id" Result)" "Result of a cluster job killing itself with SIGUSR1"
assert_eq 10 "$(job_prop "$id" ExitSignal)" "ExitSignal of a cluster job killing itself with SIGUSR1"
assert_eq -1 "$(job_prop "$id" ExitCode)" "ExitCode of a cluster job killed by a signal"

# A command the node cannot execute: failed with the shell's 127, as a local job.
id=$(submit -- /nonexistent/tool --x)
wait_done "$id" 60
assert_eq failed "$(job_prop "$id" Result)" "Result of a cluster job whose command does not exist"
assert_eq 127 "$(job_prop "$id" ExitCode)" "ExitCode of a cluster job whose command does not exist"
assert_contains "Cannot execute /nonexistent/tool on node localhost" "$(job_prop "$id" Reason)" \
        "Reason of a cluster job whose command does not exist"

# MemoryMax is the Slurm job's memory: over it, the cluster's cgroup (ConstrainRAMSpace) kills it: oom.
if [[ "$SLURM_PROCTRACK" == cgroup ]]; then
        id=$(submit --memory-max=32M -- sh -c 'head -c 300M /dev/zero | tail >/dev/null')
        wait_done "$id" 60
        assert_eq oom "$(job_prop "$id" Result)" "Result of a cluster job over its MemoryMax"
        assert_eq 32M "$(slurm_job_field "$(job_prop "$id" SlurmJobId)" MinMemoryNode)" "MemoryMax as the Slurm job's memory"
        assert_contains "OOM killer" "$(job_prop "$id" Reason)" "Reason of the job over its MemoryMax"
else
        note "proctrack/linuxproc: the cluster constrains no memory here, no OUT_OF_MEMORY to see"
fi

# A local job next to them: Backend local runs here, in the test cgroup.
id=$(submit --backend=local -- sh -c 'exit 0')
wait_done "$id"
assert_eq local "$(job_prop "$id" Backend)" "Backend of a job submitted with --backend=local"
assert_eq 0 "$(job_prop "$id" SlurmJobId)" "SlurmJobId of a local job"
assert_contains "$CG_NAME" "$(job_prop "$id" ControlGroup)" "a local job's cgroup"

# --- FailPatterns on the cluster job's log ----------------------------------------------------------
id=$(submit --fail-pattern='^FATAL' -- sh -c 'echo FATAL: broken; exit 0')
wait_done "$id" 60
assert_eq failed "$(job_prop "$id" Result)" "Result of a cluster job whose log matches a FailPattern"
assert_contains "FATAL: broken" "$(job_prop "$id" Reason)" "Reason quotes the line"
id=$(submit --pass-pattern='^PASSED' -- sh -c 'echo PASSED')
wait_done "$id" 60
assert_eq success "$(job_prop "$id" Result)" "Result of a cluster job whose log has its PassPattern"

# --- LogMaxBytes: the log written on the node is cut as a local one ---------------------------------
id=$(submit --log-max-bytes=4K -- sh -c 'head -c 100000 /dev/zero | tr "\\0" x; echo')
wait_done "$id" 60
assert_eq success "$(job_prop "$id" Result)" "Result of a cluster job over its LogMaxBytes"
size=$(stat -c %s "$(job_prop "$id" LogPath)")
assert_int "$size" -lt 4200 "size of the log of a cluster job cut at 4K"
assert_contains "jobd: log truncated at 4096 bytes" "$(jobctl logs "$id")" "the note at the cut"
assert_contains "LogMaxBytes" "$(job_prop "$id" Reason)" "Reason of a job whose log was cut"

# --- logs while it runs: follow ---------------------------------------------------------------------
id=$(submit -- sh -c 'echo first; sleep 2; echo second')
wait_state "$id" running 30
follow="$TEST_TMP/follow.out"
timeout -k 5 30 "$JOBCTL" logs -f "$id" >"$follow" 2>&1 || true
assert_contains first "$(cat "$follow")" "jobctl logs -f: output before the end"
assert_contains second "$(cat "$follow")" "jobctl logs -f: output up to the end"
wait_done "$id" 30
assert_eq success "$(job_prop "$id" Result)" "Result of the followed job"

# --- kill of a running job, with a daemonized orphan ------------------------------------------------
pidfile="$SLURM_SHARED/orphan.pid"
# (A subshell forks it and exits: it is reparented away from the job, as a daemon is.)
id=$(submit -- sh -c "( setsid sh -c 'echo \$\$ >$pidfile.tmp; mv $pidfile.tmp $pidfile; exec sleep 1000' </dev/null >/dev/null 2>&1 & ); sleep 1000")
wait_state "$id" running 30
wait_file "$pidfile"
orphan=$(cat "$pidfile")
kill -0 "$orphan" || fail "the orphan $orphan is not running"
expect_rc 0 "jobctl kill of a running cluster job" jobctl kill --signal=KILL "$id"
wait_done "$id" 60
assert_eq killed "$(job_prop "$id" Result)" "Result of a killed cluster job"
assert_eq 9 "$(job_prop "$id" ExitSignal)" "ExitSignal of a killed cluster job"
sid=$(job_prop "$id" SlurmJobId)
assert_eq CANCELLED "$(slurm_job_field "$sid" JobState)" "the Slurm job was cancelled"
if [[ "$SLURM_PROCTRACK" == cgroup ]]; then
        wait_until 15 "the daemonized orphan $orphan to be killed by proctrack/cgroup" eval "! kill -0 $orphan 2>/dev/null || [[ \$(proc_state $orphan) == Z ]]"
else
        sleep 3
        kill -0 "$orphan" 2>/dev/null || fail "proctrack/linuxproc: the orphan was expected to survive"
        note "proctrack/linuxproc: the daemonized orphan $orphan of the killed job survives (Slurm does not track it)"
        kill -KILL "$orphan"
fi

# --- cancel of a job pending in Slurm (its partition is down: it never runs) --------------------------
scontrol update PartitionName=debug State=DOWN || fail "cannot take the partition down"
id=$(bsubmit 2 Argv as 2 sleep 100 Backend s slurm)
wait_until 30 "job $id submitted to Slurm" eval "[[ \$(job_prop $id SlurmJobId) != 0 ]]"
sid=$(job_prop "$id" SlurmJobId)
slurm_wait_job_state "$sid" PENDING 15 || fail "Slurm job $sid is not pending"
holds_for 2 job_state_is "$id" starting || fail "job $id pending in Slurm is $(job_prop "$id" State), not starting"
expect_rc 0 "jobctl cancel of a pending cluster job" jobctl cancel "$id"
wait_done "$id" 30
assert_eq cancelled "$(job_prop "$id" Result)" "Result of a cancelled pending cluster job"
slurm_wait_job_state "$sid" CANCELLED 15 || fail "Slurm job $sid was not cancelled"
scontrol update PartitionName=debug State=UP || fail "cannot bring the partition up again"

# --- timeout: jobd's own timer cancels the Slurm job ------------------------------------------------
id=$(submit --timeout=2s -- sleep 100)
wait_done "$id" 60
assert_eq timeout "$(job_prop "$id" Result)" "Result of a cluster job over its TimeoutUSec"
assert_contains "Timed out after 2" "$(job_prop "$id" Reason)" "Reason of the timed-out job"
sid=$(job_prop "$id" SlurmJobId)
assert_match '^[0-9]+$' "$(slurm_job_field "$sid" TimeLimit | tr -d :-)" "a Slurm TimeLimit was set"
assert_eq 00:01:00 "$(slurm_job_field "$sid" TimeLimit)" "TimeoutUSec 2s as a Slurm time limit (whole minutes)"
slurm_wait_job_state "$sid" CANCELLED 15 || fail "Slurm job $sid was not cancelled at the timeout"

# --- Pause: not for cluster jobs ---------------------------------------------------------------------
id=$(submit -- sleep 100)
wait_state "$id" running 30
expect_rc 1 "jobctl pause of a cluster job" jobctl pause "$id"
err=$(bctl call org.jobd1 "$(job_path "$id")" org.jobd1.Job Pause 2>&1 || true)
assert_contains "not supported for cluster jobs" "$err" "Pause of a cluster job says why"
jobctl cancel "$id"
wait_done "$id" 30
daemon_still_ok
