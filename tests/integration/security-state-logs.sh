#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 7, defects 7 and 9, with real throw-away users on a system-type bus with the shipped policy.
#
# State folder: jobd --system refuses (exit code not 0, a message naming the folder and why) a state folder
# that another user owns or may write, that is a symlink, whose ancestor another user may write, or whose
# journal another user owns; a journal line planted there never runs as root.
#
# Logs: a job's log is its owner's (DIR/logs/<uid>/<id>.log, 0600, in a 0700 folder of theirs): the owner
# follows it (`jobctl run`, `jobctl logs -f`), deletes it, and nobody else reads it; a symlink the owner
# planted in its place is not followed by the root daemon. LogMaxBytes (Submit key, jobctl --log-max-bytes,
# jobd.conf [Defaults]) cuts a log at that size with a note in the log and in the Reason.
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"

setup
system_bus_start
user_add evil
user_add alice
user_add other
evil_uid=$(id -u "$evil")
alice_uid=$(id -u "$alice")

# --- 7. the state folder ------------------------------------------------------------------------------

marker="$TEST_TMP/planted-job-ran"

# jobd_refuses WHAT DIR NEEDLE: jobd --system --state-dir=DIR must exit (not 0) at once, saying NEEDLE,
# and no planted journal line may have run. Bounded: a daemon that accepts the folder runs until killed.
jobd_refuses() {
        local what=$1 dir=$2 needle=$3 rc=0 out
        out=$(timeout -k 5 15 "$JOBD" --bus-address="$BUS" --cgroup-root="$CG_ROOT" --system --state-dir="$dir" \
                2>&1 9>&-) || rc=$?
        [[ "$rc" != 0 ]] || fail "$what: jobd exited 0"
        [[ "$rc" != 124 && "$rc" != 137 ]] || fail "$what: jobd accepted the state folder $dir and ran: $out"
        assert_contains "$needle" "$out" "$what: jobd's message"
        assert_contains "$dir" "$out" "$what: the message names the folder"
        assert_file_missing "$marker" "$what: the planted journal line ran as root"
}

# A line of the journal format: a job of root's, never started, that would be queued again at start.
planted='{"e":"submit","id":1,"owner":0,"gid":0,"argv":["/bin/sh","-c","touch '"$marker"'"],"cwd":"/"}'

# A 1777 folder where a user pre-created the journal (the reported attack).
shared="$TEST_TMP/shared"
mkdir -m 1777 "$shared"
as_user "$evil" tee "$shared/journal" <<<"$planted" >/dev/null ||
        fail "the throw-away user cannot plant a journal in $shared"
jobd_refuses "1777 state folder with a user's journal" "$shared" "lets its group or others write"

# A folder another user owns, mode 0755.
theirs="$TEST_TMP/theirs"
mkdir -m 755 "$theirs"
chown "$evil:" "$theirs"
jobd_refuses "state folder of another user" "$theirs" "belongs to uid $evil_uid"

# A symlink to a good folder.
good="$TEST_TMP/good"
mkdir -m 755 "$good"
ln -s "$good" "$TEST_TMP/link"
jobd_refuses "state folder given as a symlink" "$TEST_TMP/link" "symbolic link"

# A folder of root's whose parent every user may write (not sticky): its entry can be replaced.
mkdir -m 777 "$TEST_TMP/open"
mkdir -m 755 "$TEST_TMP/open/state"
jobd_refuses "state folder below a world-writable parent" "$TEST_TMP/open/state" "ancestor"

# The same with a parent that a user's group may write.
mkdir -m 775 "$TEST_TMP/grp"
chgrp "$evil" "$TEST_TMP/grp"
mkdir -m 755 "$TEST_TMP/grp/state"
jobd_refuses "state folder below a parent another group may write" "$TEST_TMP/grp/state" "ancestor"

# A folder of root's with a journal of the user's (it was theirs before): the journal is refused.
mkdir -m 755 "$TEST_TMP/had"
echo "$planted" >"$TEST_TMP/had/journal"
chown "$evil:" "$TEST_TMP/had/journal"
jobd_refuses "journal owned by another user" "$TEST_TMP/had" "journal"

# A jobs/ folder that a user may write.
mkdir -m 755 "$TEST_TMP/jobsdir"
mkdir -m 777 "$TEST_TMP/jobsdir/jobs"
jobd_refuses "jobs/ writable by others" "$TEST_TMP/jobsdir" "jobs/"

# --- 9. logs ------------------------------------------------------------------------------------------

# The normal case starts; jobd.conf gives every job a default cap of 1 MiB.
conf="$TEST_TMP/jobd.conf"
printf '[Defaults]\nLogMaxBytes=1M\n' >"$conf"
# Searchable by all, as jobd makes /var/lib/jobd (mktemp made it 0700): users reach their logs by path.
chmod 755 "$STATE_DIR"
jobd_start --system --config="$conf"

# The owner follows the log of its job: `jobctl run` (submit + follow + wait) and `jobctl logs -f`.
out=$(as_user "$alice" timeout -k 5 30 "$JOBCTL" run --cwd=/ --log-max-bytes=0 -- sh -c 'echo one; echo two' 2>&1) ||
        fail "jobctl run as the job's owner failed: $out"
assert_eq "one
two" "$out" "output of jobctl run as a non-root user"

id=$(as_user "$alice" "$JOBCTL" submit --cwd=/ -- sh -c 'echo started; exec sleep 600') ||
        fail "alice cannot submit"
id=$(parse_id "$id")
wait_state "$id" running
as_user "$alice" timeout -k 5 30 "$JOBCTL" logs -f "$id" >"$TEST_TMP/follow.out" 2>"$TEST_TMP/follow.err" 9>&- &
follow=$!
BG_PIDS+=("$follow")
wait_until 10 "jobctl logs -f as alice to print the job's output" grep -q started "$TEST_TMP/follow.out"
pid_gone "$follow" && fail "jobctl logs -f as alice ended early: $(cat "$TEST_TMP/follow.err")"
as_user "$alice" "$JOBCTL" cancel "$id" >/dev/null || fail "alice cannot cancel her job"
wait_done "$id"
wait_until 10 "jobctl logs -f to end with the job" pid_gone "$follow"
rc=0
wait "$follow" || rc=$?
assert_eq 0 "$rc" "exit code of jobctl logs -f as alice ($(cat "$TEST_TMP/follow.err"))"

# The log is alice's, in a folder of hers; LogPath says where.
log=$(job_prop "$id" LogPath)
assert_eq "$STATE_DIR/logs/$alice_uid/$id.log" "$log" "LogPath of alice's job"
assert_eq "$alice 600" "$(stat -c '%U %a' "$log")" "owner and mode of alice's log"
assert_eq "$alice 700" "$(stat -c '%U %a' "$(dirname "$log")")" "owner and mode of alice's log folder"

# Nobody else reads it, through the file or the bus.
as_user "$other" cat "$log" >/dev/null 2>&1 && fail "another user can read alice's log $log"
rc=0
as_user "$other" "$JOBCTL" logs "$id" >/dev/null 2>&1 || rc=$?
assert_eq 4 "$rc" "exit code of jobctl logs of alice's job as another user (access denied)"

# Alice deletes it.
as_user "$alice" rm "$log" || fail "alice cannot delete her own log $log"
assert_file_missing "$log" "alice's log after rm"

# A symlink alice planted where her next job's log goes is not followed by the root daemon: the job fails
# to start, root's file is untouched. The same for a log she replaced by a symlink after the job ended.
secret="$TEST_TMP/root-secret"
echo "root only" >"$secret"
chmod 600 "$secret"
next=$((id + 1))
as_user "$alice" ln -s "$secret" "$STATE_DIR/logs/$alice_uid/$next.log" || fail "alice cannot plant a symlink"
sid=$(as_user "$alice" "$JOBCTL" submit --cwd=/ -- sh -c 'echo overwritten') || fail "alice cannot submit"
sid=$(parse_id "$sid")
assert_eq "$next" "$sid" "id of alice's job (predicted for the planted symlink)"
wait_done "$sid"
assert_eq failed "$(job_prop "$sid" Result)" "Result of a job whose log name is a planted symlink"
assert_contains "log" "$(job_prop "$sid" Reason)" "Reason of a job whose log name is a planted symlink"
assert_eq "root only" "$(cat "$secret")" "root's file after a job logged through alice's symlink"
out=$(as_user "$alice" "$JOBCTL" logs "$sid" 2>&1) && fail "OpenLog followed alice's symlink: $out"
assert_not_contains "root only" "$out" "jobctl logs through alice's symlink"

# LogMaxBytes: 10 MB of output, a 1 MiB cap (jobctl --log-max-bytes): the log keeps the first MiB and a
# note, the Reason says so, the job succeeds.
cid=$(as_user "$alice" "$JOBCTL" submit --cwd=/ --log-max-bytes=1M -- sh -c \
        'head -c 10485760 /dev/zero | tr "\0" a; echo; echo tail-of-output') || fail "alice cannot submit"
cid=$(parse_id "$cid")
assert_eq 1048576 "$(job_prop "$cid" LogMaxBytes)" "LogMaxBytes of the job"
wait_done "$cid" 60
assert_eq success "$(job_prop "$cid" Result)" "Result of a job whose log was cut"
assert_contains "truncated at 1048576 bytes" "$(job_prop "$cid" Reason)" "Reason of a job whose log was cut"
log=$(job_prop "$cid" LogPath)
size=$(stat -c %s "$log")
assert_int "$size" -ge 1048576 "size of the cut log"
assert_int "$size" -le $((1048576 + 80)) "size of the cut log"
assert_eq "jobd: log truncated at 1048576 bytes" "$(tail -n 1 "$log")" "last line of the cut log"
assert_eq 1048576 "$(head -c 1048576 "$log" | tr -d a | wc -c | awk '{ print 1048576 - $1 }')" \
        "the first MiB of the cut log is the job's output"
assert_not_contains tail-of-output "$(cat "$log")" "the cut log"

# The default of jobd.conf applies to a job that does not set it (here one of root's, through the bus).
did=$(bsubmit 2 Argv as 3 sh -c 'head -c 3000000 /dev/zero' WorkingDirectory s /)
assert_eq 1048576 "$(job_prop "$did" LogMaxBytes)" "LogMaxBytes from jobd.conf's [Defaults]"
wait_done "$did" 60
size=$(stat -c %s "$(job_prop "$did" LogPath)")
assert_int "$size" -le $((1048576 + 80)) "size of a log cut by jobd.conf's default"

# The cap holds for a job re-adopted after a restart of jobd (SIGKILL): it writes only afterwards.
release="$TEST_TMP/release"
rid=$(bsubmit 3 Argv as 4 sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done; head -c 1000000 /dev/zero' "$release" \
        WorkingDirectory s / LogMaxBytes t 65536)
wait_state "$rid" running
jobd_crash
jobd_start --system --config="$conf"
touch "$release"
wait_done "$rid" 30
assert_contains "truncated at 65536 bytes" "$(job_prop "$rid" Reason)" "Reason of a re-adopted job whose log was cut"
assert_int "$(stat -c %s "$(job_prop "$rid" LogPath)")" -le $((65536 + 80)) "size of a re-adopted job's cut log"

# A plan: its defaults' log_max_bytes reaches its jobs; a job's own 0 lifts every cap.
cat >"$TEST_TMP/plan.json" <<'PLAN'
{ "name": "capped", "defaults": { "cwd": "/", "log_max_bytes": "64K" },
  "jobs": [ { "name": "a", "command": "true" }, { "name": "b", "command": "true", "log_max_bytes": 0 } ] }
PLAN
run_rc rc jobctl plan --wait "$TEST_TMP/plan.json"
assert_eq 0 "$rc" "exit status of jobctl plan --wait ($RUN_ERR)"
caps=""
for pid in $(mcall ListJobs | grep -oE '[0-9]+ "(a|b)"' | awk '{ print $1 }'); do
        caps+="$(job_prop "$pid" Name)=$(job_prop "$pid" LogMaxBytes) "
done
assert_eq "a=65536 b=0 " "$caps" "LogMaxBytes of the plan's jobs"

# A job that ended before this layout keeps its log where it was (DIR/jobs/<id>/log, the daemon's).
rm "$(job_prop "$did" LogPath)"
printf 'from an older jobd\n' >"$STATE_DIR/jobs/$did/log"
assert_eq "from an older jobd" "$(jobctl logs "$did")" "jobctl logs of a job whose log is in the old place"

# A cap below the minimum is refused with the key's name.
expect_bus_error org.jobd1.Error.InvalidSpec "LogMaxBytes below the minimum" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true LogMaxBytes t 10
assert_contains LogMaxBytes "$BUS_ERR_MSG" "message of a too small LogMaxBytes"

daemon_still_ok
