#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobd --system with Slurm jobs of two users on the private one-node cluster: a job of a throw-away user
# runs on the cluster as that user (uid and gid from the user database), its log is
# <SharedDirectory>/<uid>/jobd-ID.log in a folder of the user's own (0700), which the user reads through
# jobd (OpenLog, with the user's credentials) and root's job's log the user may not; the user may kill
# their own cluster job, not root's; Remove takes the log in the shared folder with the job.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/slurm.sh"
slurm_require_backend
command -v runuser >/dev/null || skip "no runuser(1)"

setup
system_bus_start
user_add other
uid=$(id -u "$other")
gid=$(id -g "$other")
slurm_test_cluster
conf="$TEST_TMP/jobd.conf"
: >"$conf"
slurm_jobd_conf "$conf"
jobd_start --system --config="$conf" --backend=slurm --max-parallel=0

as_other() {
        as_user "$other" "$@"
}

root_job=$(bsubmit 2 Argv as 3 sh -c 'echo root-secret; exec sleep 600' WorkingDirectory s /)
wait_state "$root_job" running 30

out=$(as_other "$JOBCTL" submit --cwd=/ -- sh -c 'echo "uid=$(id -u) gid=$(id -g)"') || fail "the user cannot submit: $out"
id=$(parse_id "$out")
wait_done "$id" 60
assert_eq success "$(job_prop "$id" Result)" "Result of the user's cluster job"
assert_eq slurm "$(job_prop "$id" Backend)" "Backend of the user's job"
sid=$(job_prop "$id" SlurmJobId)
assert_match "^$other\\($uid\\)\$" "$(slurm_job_field "$sid" UserId)" "the Slurm job's user"
assert_eq "uid=$uid gid=$gid" "$(as_other "$JOBCTL" logs "$id")" "what the job ran as, read by its owner"
log=$(job_prop "$id" LogPath)
assert_eq "$SLURM_SHARED/$uid/jobd-$id.log" "$log" "LogPath of the user's job"
assert_eq "$uid 700" "$(stat -c '%u %a' "$SLURM_SHARED/$uid")" "owner and mode of the user's folder of logs"
assert_eq "$uid" "$(stat -c '%u' "$log")" "owner of the log"

rc=0
as_other "$JOBCTL" logs "$root_job" >/dev/null 2>&1 || rc=$?
assert_eq 4 "$rc" "jobctl logs of root's cluster job by the user (access denied)"
rc=0
as_other "$JOBCTL" kill --signal=KILL "$root_job" >/dev/null 2>&1 || rc=$?
assert_eq 4 "$rc" "jobctl kill of root's cluster job by the user (access denied)"
assert_eq running "$(job_prop "$root_job" State)" "root's job after the user's attempts"
assert_contains root-secret "$(jobctl logs "$root_job")" "root reads its own job's log"

out=$(as_other "$JOBCTL" submit --cwd=/ -- sleep 600) || fail "the user cannot submit: $out"
own=$(parse_id "$out")
wait_state "$own" running 30
expect_rc 0 "the user kills their own cluster job" as_other "$JOBCTL" kill --signal=KILL "$own"
wait_done "$own" 60
assert_eq killed "$(job_prop "$own" Result)" "Result of the user's killed cluster job"

expect_rc 0 "the user removes their finished job" as_other "$JOBCTL" remove "$id"
[[ ! -e "$log" ]] || fail "the log $log is still there after Remove"
jobctl cancel "$root_job"
wait_done "$root_job" 30
daemon_still_ok
