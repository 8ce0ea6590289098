#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobd --system on a bus every user may join (DESIGN.md, run modes): a job runs as its submitter's uid; only
# its owner or root may kill, cancel, pause or read its log (org.jobd1.Error.AccessDenied otherwise, jobctl
# exit code 4); its Argv and Environment are shown to its owner and root only.
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"

setup
# A system-type bus with the machine's default-deny rules and the shipped policy/org.jobd1.conf, and a
# real throw-away user (uid, gid and groups from the user database) as the other user.
system_bus_start
user_add other
nobody=$(id -u "$other")
# Started from a folder below a 0700 one, as root might from a shell in its home.
mkdir -m 700 "$TEST_TMP/secret"
mkdir "$TEST_TMP/secret/work"
echo hunter2 >"$TEST_TMP/secret/work/notes"
pushd "$TEST_TMP/secret/work" >/dev/null
jobd_start --system
popd >/dev/null

as_nobody() {
        as_user "$other" "$@"
}

# A job of root's, with a secret in its environment.
root_job=$(bsubmit 3 Argv as 2 sleep 600 Environment as 1 SECRET=hunter2 WorkingDirectory s /)
wait_state "$root_job" running
assert_contains SECRET=hunter2 "$(bctl get-property org.jobd1 "$(job_path "$root_job")" org.jobd1.Job Environment)" \
        "Environment of root's job, read by root"
out=$(as_nobody busctl --address="$BUS" get-property org.jobd1 "$(job_path "$root_job")" org.jobd1.Job \
        Environment Argv) || fail "nobody cannot read the properties of root's job: $out"
assert_eq "as 0
as 0" "$out" "Environment and Argv of root's job, read by nobody"

# nobody may not act on it, through the bus or jobctl.
out=$(as_nobody busctl --address="$BUS" call org.jobd1 /org/jobd1 org.jobd1.Manager KillJob ti "$root_job" 9 2>&1) &&
        fail "nobody could kill root's job"
assert_contains "only its owner or root" "$out" "KillJob of root's job by nobody"
rc=0
as_nobody "$JOBCTL" cancel "$root_job" 2>/dev/null || rc=$?
assert_eq 4 "$rc" "exit code of jobctl cancel of root's job as nobody (access denied)"
rc=0
as_nobody "$JOBCTL" logs "$root_job" 2>/dev/null || rc=$?
assert_eq 4 "$rc" "exit code of jobctl logs of root's job as nobody"
assert_eq running "$(job_prop "$root_job" State)" "State of root's job after nobody's attempts"

# A job of nobody's runs as nobody, and nobody may read and end it.
nb_job=$(as_nobody "$JOBCTL" submit --cwd=/ -E TOKEN=abc -- sh -c 'id -u; exec sleep 600') ||
        fail "nobody cannot submit a job"
nb_job=$(parse_id "$nb_job")
wait_state "$nb_job" running
assert_eq "$nobody" "$(job_prop "$nb_job" Owner)" "Owner of nobody's job"
wait_until 10 "nobody's job to print its uid" eval '[[ -n "$(as_nobody "$JOBCTL" logs "$nb_job")" ]]'
assert_eq "$nobody" "$(as_nobody "$JOBCTL" logs "$nb_job")" "uid the job of nobody runs as"
assert_contains TOKEN=abc "$(as_nobody busctl --address="$BUS" get-property org.jobd1 "$(job_path "$nb_job")" \
        org.jobd1.Job Environment)" "Environment of nobody's job, read by nobody"
as_nobody "$JOBCTL" kill -s KILL "$nb_job" || fail "nobody cannot kill its own job"
wait_done "$nb_job"
assert_eq killed "$(job_prop "$nb_job" Result)" "Result of nobody's job killed by nobody"

# Root may end anyone's job.
jobctl cancel "$root_job" >/dev/null || fail "root cannot cancel root's job"
wait_done "$root_job"

# A job without a WorkingDirectory runs in "/", not in the folder jobd was started from: nobody may not
# read below root's 0700 folder that way.
out=$(as_nobody busctl --address="$BUS" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 1 \
        Argv as 3 sh -c 'pwd; cat notes 2>&1; exit 0' 2>&1) || fail "nobody cannot submit without a WorkingDirectory: $out"
[[ "$out" =~ ^to\ ([0-9]+) ]] || fail "Submit reply: $out"
cwd_job=${BASH_REMATCH[1]}
wait_done "$cwd_job"
log_out=$(as_nobody "$JOBCTL" logs "$cwd_job")
assert_eq / "$(head -n 1 <<<"$log_out")" "folder of a job without WorkingDirectory in system mode"
assert_not_contains hunter2 "$log_out" "what a job without WorkingDirectory could read where jobd was started"
