#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# LogPath and output roots in system mode (issue 11): jobd (root) creates a user's log and links only with
# that user's credentials. The log is the user's; a path the user cannot write, a symlink in the last
# component, or a folder swapped for a link to root's files after the job ended gets the user nothing
# (the job fails, OpenLog refuses); the passing/failed links of a run under the user's output_root are
# the user's.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"

setup
system_bus_start
user_add other
jobd_start --system

as_other() {
        as_user "$other" "$@"
}
udir=$(as_other mktemp -d /tmp/jobd-test-output.XXXXXX) || fail "cannot make the user's folder"
mkdir -m 700 "$TEST_TMP/rootonly"
echo rootsecret >"$TEST_TMP/rootonly/log"
mkdir -m 755 "$TEST_TMP/rootdir"
echo rootsecret >"$TEST_TMP/rootdir/log"
chmod 644 "$TEST_TMP/rootdir/log"
chmod 755 "$TEST_TMP"

submit_other() {  # LOGPATH CMD...
        local log=$1 out
        shift
        out=$(as_other busctl --address="$BUS" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 3 \
                Argv as "$#" "$@" WorkingDirectory s / LogPath s "$log") || fail "Submit as $other failed: $out"
        [[ "$out" =~ ^to\ ([0-9]+) ]] || fail "Submit reply: $out"
        echo "${BASH_REMATCH[1]}"
}

# The log is created as the user, folders included.
id=$(submit_other "$udir/logs/a.log" sh -c 'echo mine')
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "the user's job with a LogPath in its folder"
assert_eq "$other" "$(stat -c %U "$udir/logs/a.log")" "owner of the log"
assert_eq "$other" "$(stat -c %U "$udir/logs")" "owner of the folder jobd made for it"
assert_eq mine "$(as_other "$JOBCTL" logs "$id")" "jobctl logs of it as the user"

# A folder the user may not write: refused by the kernel, as the user.
id=$(submit_other "$TEST_TMP/rootonly/new.log" echo x)
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "a LogPath in root's folder"
assert_contains "Permission denied" "$(job_prop_json "$id" Reason | jq -r .)" "Reason of it"
assert_file_missing "$TEST_TMP/rootonly/new.log"

# A symlink in the last component, to root's file.
as_other ln -s "$TEST_TMP/rootdir/log" "$udir/evil.log"
id=$(submit_other "$udir/evil.log" echo overwritten)
wait_done "$id"
assert_eq failed "$(job_prop "$id" Result)" "a LogPath that is a symlink to root's file"
assert_eq rootsecret "$(cat "$TEST_TMP/rootdir/log")" "root's file after it"

# The folder swapped for a link to root's folder once the job ended: OpenLog does not read root's file.
id=$(submit_other "$udir/swap/log" echo "the user's own")
wait_done "$id"
as_other mv "$udir/swap" "$udir/swap.old"
as_other ln -s "$TEST_TMP/rootdir" "$udir/swap"
rc=0
out=$(as_other "$JOBCTL" logs "$id" 2>&1) || rc=$?
assert_ne 0 "$rc" "exit code of jobctl logs once the folder was swapped"
assert_not_contains rootsecret "$out" "what jobctl logs printed"

# A run under the user's output_root: links made as the user.
cat >"$udir/plan.json" <<JSON
{ "name": "mine", "output_root": "$udir/scratch", "defaults": { "cwd": "/" },
  "jobs": [ { "name": "ok", "command": ["true"] }, { "name": "bad", "command": ["false"] } ] }
JSON
chmod 644 "$udir/plan.json"
out=$(as_other "$JOBCTL" --json=short plan "$udir/plan.json") || fail "plan as $other failed: $out"
run=$(jq -r .run <<<"$out")
wait_run_done "$run" 30
wait_until 10 "the run's links" test -L "$udir/scratch/failed/bad"
assert_eq "$other" "$(stat -c %U "$udir/scratch/passing/ok")" "owner of passing/ok"
assert_eq "$other" "$(stat -c %U "$udir/scratch/failed")" "owner of failed/"
assert_eq "$other" "$(stat -c %U "$udir/scratch/ok/job.log")" "owner of a job's log under the root"
rm -rf "$udir"
