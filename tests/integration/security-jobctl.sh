#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobctl against a hostile local user (issue 7), on a system-type bus with the shipped policy and a real
# throw-away user:
# - Forged signals: the user sends unicast signals (destination = root's jobctl) that look like jobd's
#   (JobChanged "done" "success", JobRemoved, Run.Finished) and like the bus driver's (NameOwnerChanged
#   saying jobd left, or that the user now owns org.jobd1). The bus enforces a match's sender='org.jobd1'
#   for broadcasts only, so these reach jobctl: root's `jobctl wait`, `run`, `logs -f` and `plan --wait`
#   must keep waiting and end with what the daemon says.
# - Terminal escapes: the user's job has escape sequences in its Argv, WorkingDirectory, Reason and (C1
#   controls, the daemon refuses C0 there) Name; root's human-readable listings show them escaped, no ESC
#   or C1 byte reaches the terminal, and --json gives the exact strings.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"
py=$(find_python_dbus) || skip "no python3 with the dbus module to forge signals"
FORGE="$HARNESS_DIR/forge-signal.py"

setup
system_bus_start
user_add other
jobd_start --system

as_other() {
        as_user "$other" "$@"
}

pid_alive() {
        ! pid_gone "$1"
}

# One signal a line, as forge-signal.py takes them.
sig() {  # PATH INTERFACE MEMBER SIGNATURE ARGS-JSON
        printf '{"path": "%s", "interface": "%s", "member": "%s", "signature": "%s", "args": [%s]}\n' "$@"
}

sig_job_changed() {  # ID STATE RESULT
        sig /org/jobd1 org.jobd1.Manager JobChanged toss "$1, \"$(job_path "$1")\", \"$2\", \"$3\""
}

sig_job_removed() {  # ID
        sig /org/jobd1 org.jobd1.Manager JobRemoved to "$1, \"$(job_path "$1")\""
}

sig_run_finished() {  # RUN RESULT
        sig "$(run_path "$1")" org.jobd1.Run Finished ts "$1, \"$2\""
}

sig_owner_changed() {  # OLD NEW ("$SELF": the forger's unique name)
        sig /org/freedesktop/DBus org.freedesktop.DBus NameOwnerChanged sss "\"org.jobd1\", \"$1\", \"$2\""
}

jobd_unique=$(bctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s org.jobd1)
jobd_unique=$(unwrap "$jobd_unique")
assert_match '^:' "$jobd_unique" "unique name of jobd"

# Everything a forger can say about job ID: it is done and succeeded, it was removed, jobd left the bus,
# jobd came back as the forger (which then says the job succeeded, and was removed), the run finished;
# all of them unicast, and one broadcast.
# shellcheck disable=SC2016 # '$SELF' is for forge-signal.py
all_forgeries() {  # ID [RUN]
        local id=$1
        local l=("$(sig_job_changed "$id" "done" success)"
                 "$(sig_job_changed "$id" running "")"
                 "$(sig_job_removed "$id")"
                 "$(sig_owner_changed "$jobd_unique" "")"
                 "$(sig_owner_changed "" '$SELF')"
                 "$(sig_job_changed "$id" "done" success)"
                 "$(sig_job_removed "$id")"
                 "$(sig_owner_changed '$SELF' "$jobd_unique")")
        [[ -z "${2:-}" ]] || l+=("$(sig_run_finished "$2" success)")
        l+=("$(sig_job_changed "$id" "done" success | sed 's/^{/{"broadcast": true, /')")
        printf '%s\n' "${l[@]}"
}

# forge_all PID WHAT ID [RUN]: the other user sends all of them to the bus connection of process PID,
# which must still be waiting a while later.
forge_all() {
        local pid=$1 what=$2 out
        shift 2
        out=$(as_other "$py" "$FORGE" "$BUS" "$pid" "[$(all_forgeries "$@" | paste -sd,)]") ||
                fail "forge-signal.py failed: $out"
        assert_match "^SENT [0-9]+ :" "$out" "forge-signal.py"
        # On a jobctl that believes them this ends within milliseconds; a second is ample.
        holds_for 1 pid_alive "$pid" || fail "$what ended on forged signals"
}

# A root job that runs until released, prints, then fails with exit code 3.
gate="$TEST_TMP/gate"
gated_cmd=(sh -c 'echo begin; while [ ! -e "$0" ]; do sleep 0.05; done; echo end; exit 3' "$gate")

# --- jobctl wait ---------------------------------------------------------------------------------------
id=$(submit -- "${gated_cmd[@]}")
wait_state "$id" running
bg_start env JOBD_LOG_LEVEL=debug "$JOBCTL" wait "$id" >"$TEST_TMP/wait.out" 2>"$TEST_TMP/wait.log"
wpid=$BG_PID
forge_all "$wpid" "root's jobctl wait $id" "$id"
assert_eq running "$(job_prop "$id" State)" "State of job $id after the forgeries"
touch "$gate"
wait_until 20 "jobctl wait $id to return after the job ended" pid_gone "$wpid"
rc=0; wait "$wpid" || rc=$?
# One job: jobctl wait exits with its exit code (3), as jobctl run does; the forged signals said success.
assert_eq 3 "$rc" "exit code of jobctl wait (the job exited 3; forged: success) ($(cat "$TEST_TMP/wait.log"))"
assert_contains "did not succeed: failed" "$(cat "$TEST_TMP/wait.log")" "jobctl wait's message"
assert_contains "not from the owner of org.jobd1" "$(cat "$TEST_TMP/wait.log")" \
        "jobctl wait's debug log (the forged signals reached it and were dropped)"
rm -f "$gate"

# --- jobctl wait across a restart of jobd: the new owner of org.jobd1 is believed, forgers still not --
id=$(submit -- "${gated_cmd[@]}")
wait_state "$id" running
bg_start env JOBD_LOG_LEVEL=debug "$JOBCTL" wait "$id" >"$TEST_TMP/wait.out" 2>"$TEST_TMP/wait.log"
wpid=$BG_PID
forge_all "$wpid" "root's jobctl wait $id" "$id"
jobd_crash
jobd_start --system
wait_until 10 "jobctl wait to see jobd back" grep -q "jobd is back on the bus" "$TEST_TMP/wait.log"
jobd_unique=$(unwrap "$(bctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s org.jobd1)")
forge_all "$wpid" "root's jobctl wait $id after jobd restarted" "$id"
assert_eq running "$(job_prop "$id" State)" "State of job $id after the restart and the forgeries"
touch "$gate"
wait_until 20 "jobctl wait $id to return after the job ended" pid_gone "$wpid"
rc=0; wait "$wpid" || rc=$?
result=$(job_prop "$id" Result)
assert_ne success "$result" "Result of job $id, which exited 3 (adopted by the restarted jobd)"
# Its exit code (3) if the restarted jobd read it, else 1 (lost): never the forged success.
if [[ "$result" == failed ]]; then want=3; else want=1; fi
assert_eq "$want" "$rc" "exit code of jobctl wait across a restart, result $result ($(cat "$TEST_TMP/wait.log"))"
assert_contains "did not succeed: $result" "$(cat "$TEST_TMP/wait.log")" "jobctl wait's message after a restart"
rm -f "$gate"

# --- jobctl run -------------------------------------------------------------------------------------
bg_start env JOBD_LOG_LEVEL=debug "$JOBCTL" run -- "${gated_cmd[@]}" >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.log"
rpid=$BG_PID
wait_until 10 "jobctl run to print the job's first line" grep -q begin "$TEST_TMP/run.out"
id=$(jobctl --json=short list | jq -er '[.[] | select(.state == "running")] | last | .id')
forge_all "$rpid" "root's jobctl run (job $id)" "$id"
touch "$gate"
wait_until 20 "jobctl run to return after the job ended" pid_gone "$rpid"
rc=0; wait "$rpid" || rc=$?
assert_eq 3 "$rc" "exit code of jobctl run (the job's own: 3; forged: success) ($(cat "$TEST_TMP/run.log"))"
assert_eq $'begin\nend' "$(cat "$TEST_TMP/run.out")" "output of jobctl run"
rm -f "$gate"

# --- jobctl logs -f ----------------------------------------------------------------------------------
id=$(submit -- "${gated_cmd[@]}")
wait_until 10 "first line of job $id" grep -q begin "$(job_prop "$id" LogPath)"
bg_start env JOBD_LOG_LEVEL=debug "$JOBCTL" logs -f "$id" >"$TEST_TMP/follow.out" 2>"$TEST_TMP/follow.log"
fpid=$BG_PID
wait_until 10 "jobctl logs -f to print the first line" grep -q begin "$TEST_TMP/follow.out"
forge_all "$fpid" "root's jobctl logs -f $id" "$id"
touch "$gate"
wait_until 20 "jobctl logs -f to return after the job ended" pid_gone "$fpid"
rc=0; wait "$fpid" || rc=$?
assert_eq 0 "$rc" "exit code of jobctl logs -f ($(cat "$TEST_TMP/follow.log"))"
assert_eq $'begin\nend' "$(cat "$TEST_TMP/follow.out")" "output of jobctl logs -f (all of it: it did not stop early)"
rm -f "$gate"

# --- jobctl plan --wait (what the nightly timer runs) -------------------------------------------------
cat >"$TEST_TMP/nightly.json" <<JSON
{
  "name": "nightly",
  "jobs": [
    { "name": "gated", "command": "echo begin; while [ ! -e '$gate' ]; do sleep 0.05; done; exit 3", "cwd": "/" }
  ]
}
JSON
bg_start env JOBD_LOG_LEVEL=debug "$JOBCTL" plan --wait "$TEST_TMP/nightly.json" >"$TEST_TMP/plan.out" \
        2>"$TEST_TMP/plan.log"
ppid_=$BG_PID
wait_until 10 "jobctl plan to say the run was submitted" grep -q '^Run [0-9]* (nightly)' "$TEST_TMP/plan.out"
run=$(sed -n 's/^Run \([0-9]*\) (nightly).*/\1/p' "$TEST_TMP/plan.out" | head -n 1)
id=$(run_job_id "$run" gated)
wait_state "$id" running
forge_all "$ppid_" "root's jobctl plan --wait (run $run)" "$id" "$run"
assert_eq running "$(run_prop "$run" State)" "State of run $run after the forgeries"
touch "$gate"
wait_until 20 "jobctl plan --wait to return after the run finished" pid_gone "$ppid_"
rc=0; wait "$ppid_" || rc=$?
assert_eq 1 "$rc" "exit code of jobctl plan --wait (the run failed; forged: success) ($(cat "$TEST_TMP/plan.log"))"
assert_contains "finished: failed (1 failed)" "$(cat "$TEST_TMP/plan.out")" "jobctl plan --wait summary"
rm -f "$gate"

# --- terminal escapes ----------------------------------------------------------------------------------
# What the other user chooses: ESC sequences that set the title and clear the screen in Argv, the
# Environment and WorkingDirectory (and so in the Reason its job fails with); the daemon refuses C0 in a
# Name, so that has C1 controls: CSI (U+009B) and OSC (U+009D), which some terminals take as ESC [ and ESC ].
evil=$'\033]0;pwned\007\033[2J'
evil_name=$'x\xc2\x9b2J\xc2\x9d0;pwned\xc2\x9c'
evil_dir="/nonexistent$evil"

# has_controls FILE: whether FILE has a control character a terminal acts on (C0 but newline, DEL, C1).
has_controls() {
        python3 -c 'import re, sys
sys.exit(0 if re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", open(sys.argv[1], "rb").read()) else 1)' "$1"
}

# expect_clean WHAT JOBCTL-ARGS...: root's jobctl prints no control character, on stdout or stderr.
expect_clean() {
        local what=$1 rc=0
        shift
        "$JOBCTL" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
        ! has_controls "$TEST_TMP/out" ||
                soft_fail "$what: control characters on stdout: $(od -c "$TEST_TMP/out" | head -n 20)"
        ! has_controls "$TEST_TMP/err" ||
                soft_fail "$what: control characters on stderr: $(od -c "$TEST_TMP/err" | head -n 20)"
        CLEAN_RC=$rc
}

bad=$(as_other env EVIL="$evil" "$JOBCTL" submit --name="$evil_name" --cwd="$evil_dir" -- \
        /bin/echo "$evil" "it's") || fail "the other user cannot submit its job"
bad=$(parse_id "$bad")
wait_done "$bad"
assert_eq failed "$(job_prop "$bad" Result)" "Result of a job whose WorkingDirectory does not exist"
# (Its Environment is shown from the running job: a finished job outside a run gives its back.)
running=$(as_other env EVIL="$evil" "$JOBCTL" submit --name="$evil_name" --cwd=/ -- sh -c 'exec sleep 600' "$evil") ||
        fail "the other user cannot submit its job"
running=$(parse_id "$running")
wait_state "$running" running

expect_clean "jobctl list" list
assert_contains 'x\xc2\x9b2J\xc2\x9d0;pwned\xc2\x9c' "$(cat "$TEST_TMP/out")" "jobctl list: the name, escaped"
expect_clean "jobctl show" show "$bad" "$running"
out=$(cat "$TEST_TMP/out")
assert_contains "/nonexistent\\x1b]0;pwned\\a\\x1b[2J" "$out" "jobctl show: WorkingDirectory, escaped"
assert_contains "/bin/echo \$'\\x1b]0;pwned\\a\\x1b[2J' 'it'\\''s'" "$out" "jobctl show: Argv, quoted and escaped"
assert_contains "EVIL=\\x1b]0;pwned\\a\\x1b[2J" "$out" "jobctl show: Environment, escaped"
# The command line as shown reads back in bash as the job's Argv.
argv_line=$(sed -n "s/^Argv: *//p" <<<"$out" | head -n 1)
eval "words=($argv_line)"
assert_eq "/bin/echo|$evil|it's" "$(IFS='|'; echo "${words[*]}")" "jobctl show's Argv read back by bash"
assert_match "Name: +x\\\\xc2\\\\x9b2J" "$out" "jobctl show: Name, escaped"
expect_clean "jobctl status" status
expect_clean "jobctl wait --progress" wait --progress "$bad"
# One job: its exit status, as jobctl run gives it (the job could not be started: 127).
assert_eq "$(job_prop "$bad" ExitCode)" "$CLEAN_RC" "exit code of jobctl wait --progress on a failed job"
assert_ne 0 "$CLEAN_RC" "jobctl wait --progress on a failed job does not exit 0"
expect_clean "jobctl wait" wait "$bad"
expect_clean "jobctl list --json" --json=short list
# --json gives the exact strings (json-c escapes C0, jobctl DEL and C1: still the same JSON strings).
"$JOBCTL" --json=short show "$bad" >"$TEST_TMP/show.json" || fail "jobctl show --json failed"
! has_controls "$TEST_TMP/show.json" || soft_fail "jobctl show --json: control characters in the JSON"
assert_eq "$evil_name" "$(jq -j .Name "$TEST_TMP/show.json")" "Name in jobctl show --json"
assert_eq "$evil_dir" "$(jq -j .WorkingDirectory "$TEST_TMP/show.json")" "WorkingDirectory in jobctl show --json"
assert_eq "$evil" "$(jq -j '.Argv[1]' "$TEST_TMP/show.json")" "Argv[1] in jobctl show --json"
assert_eq "$(job_prop_json "$bad" Reason | jq -j .)" "$(jq -j .Reason "$TEST_TMP/show.json")" \
        "Reason in jobctl show --json (as the bus has it)"
assert_eq "$evil_name" "$("$JOBCTL" --json=short list | jq -j --argjson id "$bad" '.[] | select(.id == $id) | .name')" \
        "name in jobctl list --json"
as_other "$JOBCTL" cancel "$running" || fail "the other user cannot cancel its job"

# A plan of the other user's: run-status lists the jobs that did not succeed, with names and reasons.
cat >"$TEST_TMP/evil.json" <<JSON
{ "name": "evil", "jobs": [ { "name": $(jq -Rn --arg s "$evil_name" '$s'), "command": "true",
                              "cwd": $(jq -Rn --arg s "$evil_dir" '$s') } ] }
JSON
chmod 644 "$TEST_TMP/evil.json"
run_rc rc as_other "$JOBCTL" --json=short plan --wait "$TEST_TMP/evil.json"
assert_eq 1 "$rc" "exit code of the other user's jobctl plan --wait (its job failed) ($RUN_ERR)"
evil_run=$(jq -er .run <<<"$RUN_OUT") || fail "no run id in the output of jobctl plan: $RUN_OUT"
expect_clean "jobctl run-status" run-status "$evil_run"
assert_contains 'x\xc2\x9b2J' "$(cat "$TEST_TMP/out")" "jobctl run-status: the job's name, escaped"
expect_clean "jobctl runs" runs
((FAILURES == 0)) || fail "$FAILURES checks failed"
