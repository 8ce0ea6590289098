#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Operators (issue 7): an administrator delegates "act on anyone's job, change the daemon" without root.
#
#   security-operators.sh          polkit is absent (nobody owns org.freedesktop.PolicyKit1 on the bus):
#                                  jobd.conf's [Access] OperatorGroup= decides, from the user database. A
#                                  member may cancel, kill, pause another user's job, open its log,
#                                  SetMaxParallel and drain; a non-member gets AccessDenied; the daemon's
#                                  log names the caller's uid for each.
#   security-operators.sh polkit   a real polkitd on the private system bus, inside a mount namespace of
#                                  its own whose actions and rules folders are private copies (the host's
#                                  are never touched), with a rule that gives the operator group
#                                  org.jobd1.manage-jobs and not org.jobd1.manage-daemon: polkit decides,
#                                  not OperatorGroup= (which would allow both).
#   security-operators.sh journal  jobd's stderr is a stream of a real systemd-journald (in a mount
#                                  namespace of this test, on tmpfs: the host's journal is untouched): the
#                                  operator's actions are journal entries with MESSAGE_ID= and the
#                                  JOBD_* fields.
#
# Real throw-away users and groups, a system-type bus with the machine's default-deny rules and the
# shipped policy/org.jobd1.conf (plus polkit's own bus policy).
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"

MODE=${1:-group}
POLKITD=/usr/lib/polkit-1/polkitd
POLKIT_BUS_CONF=/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
if [[ "$MODE" == polkit ]]; then
        [[ -x "$POLKITD" ]] || skip "no $POLKITD (Debian package polkitd)"
        [[ -r "$POLKIT_BUS_CONF" ]] || skip "no $POLKIT_BUS_CONF (polkit's bus policy)"
        getent passwd polkitd >/dev/null || skip "no polkitd user (polkitd drops to it, and only it may own org.freedesktop.PolicyKit1)"
        command -v unshare >/dev/null || skip "no unshare(1) for polkitd's private mount namespace"
fi

JOURNALD=/lib/systemd/systemd-journald
if [[ "$MODE" == journal && -z "${JOBD_TEST_OPERATORS_NS:-}" ]]; then
        [[ -x "$JOURNALD" ]] || skip "no $JOURNALD"
        for b in unshare systemd-cat journalctl stat; do
                command -v "$b" >/dev/null || skip "no $b"
        done
        # A mount namespace of its own: tmpfs over the journal's sockets and folders before journald starts.
        export JOBD_TEST_OPERATORS_NS=1
        exec unshare -m --propagation private bash "$0" "$@"
fi
if [[ "$MODE" == journal ]]; then
        mount -t tmpfs -o mode=755 tmpfs /run/systemd || skip "cannot mount a tmpfs on /run/systemd"
        mount -t tmpfs -o mode=755 tmpfs /run/log
        if [[ -d /var/log/journal ]]; then
                mount -t tmpfs -o mode=755 tmpfs /var/log/journal
        fi
fi

setup
if [[ "$MODE" == journal ]]; then
        bg_start "$JOURNALD" >"$TEST_TMP/journald.log" 2>&1
        wait_until 10 "systemd-journald's sockets" test -S /run/systemd/journal/stdout -a -S /run/systemd/journal/socket
        # jobd as under systemd: stderr a journal stream, JOURNAL_STREAM naming it.
        cat >"$TEST_TMP/jobd-journal" <<EOF
#!/bin/bash
exec systemd-cat -t jobd bash -c 'JOURNAL_STREAM=\$(stat -L -c %d:%i /proc/self/fd/2) exec "\$0" "\$@"' "$JOBD" "\$@"
EOF
        chmod 755 "$TEST_TMP/jobd-journal"
        JOBD="$TEST_TMP/jobd-journal"
fi
if [[ "$MODE" == polkit ]]; then
        system_bus_start "$POLKIT_BUS_CONF"
else
        system_bus_start
fi
group_add ops
user_add owner
user_add operator "$ops"
user_add stranger
user_add operator2 "$ops"
op2_uid=$(id -u "$operator2")
owner_uid=$(id -u "$owner")
op_uid=$(id -u "$operator")

# The operator is in the group only as a supplementary member in /etc/group: the daemon must find it in the
# user database, the bus says nothing about groups.
cat >"$TEST_TMP/jobd.conf" <<EOF
[Access]
OperatorGroup=$ops
EOF

# user_bus_try USER BUSCTL-ARGS...: bus_try as USER.
user_bus_try() {
        local u=$1 out line
        shift
        BUS_OK=0; BUS_OUT=""; BUS_ERR_NAME=""; BUS_ERR_MSG=""
        if out=$(as_user "$u" env SYSTEMD_LOG_LEVEL=debug busctl --address="$BUS" "$@" 2>"$TEST_TMP/busctl.err"); then
                BUS_OK=1
                BUS_OUT=$out
                return 0
        fi
        line=$(grep -m1 '^Got message type=error ' "$TEST_TMP/busctl.err" || true)
        BUS_ERR_NAME=${line#* error-name=}
        BUS_ERR_NAME=${BUS_ERR_NAME%% *}
        BUS_ERR_MSG=${line#* error-message=}
        [[ -n "$line" ]] || BUS_ERR_NAME="(no error reply: $(tail -n 3 "$TEST_TMP/busctl.err" | tr '\n' ' '))"
}

user_expect_error() {  # USER ERROR-NAME WHAT BUSCTL-ARGS...
        local u=$1 want=$2 what=$3
        shift 3
        user_bus_try "$u" "$@"
        [[ "$BUS_OK" == 0 ]] || fail "$what: expected $want, the call succeeded: $BUS_OUT"
        [[ "$BUS_ERR_NAME" == "$want" ]] || fail "$what: expected $want, saw $BUS_ERR_NAME ($BUS_ERR_MSG)"
}

user_expect_ok() {  # USER WHAT BUSCTL-ARGS...
        local u=$1 what=$2
        shift 2
        user_bus_try "$u" "$@"
        [[ "$BUS_OK" == 1 ]] || fail "$what: expected success, saw $BUS_ERR_NAME ($BUS_ERR_MSG)"
}

owner_job() {
        local out
        out=$(as_user "$owner" "$JOBCTL" submit --cwd=/ -- sh -c 'echo owner-output; exec sleep 600') ||
                fail "the owner cannot submit a job: $out"
        parse_id "$out"
}

# assert_logged REGEX WHAT: the daemon's log (stderr, no journal here: the plain line) has a match.
assert_logged() {
        wait_until 10 "the daemon's log to record: $2 (/$1/)" grep -Eq "$1" "$JOBD_LOG"
}

start_polkitd() {
        local pk="$TEST_TMP/polkit"
        # polkitd (it drops to the polkitd user) reads actions from /usr/share/polkit-1/actions and rules
        # from /etc/polkit-1/rules.d and /usr/share/polkit-1/rules.d: private copies are bind-mounted over
        # them in a mount namespace of its own (private propagation), so the host's stay as they are and
        # only this test's action and rule are known.
        mkdir -m 755 "$pk" "$pk/actions" "$pk/rules-etc" "$pk/rules-usr"
        install -m 644 "$SRC_ROOT/policy/org.jobd1.policy" "$pk/actions/"
        cat >"$pk/rules-etc/50-jobd-test.rules" <<EOF
polkit.addRule(function(action, subject) {
    if (action.id == "org.jobd1.manage-jobs" && subject.isInGroup("$ops")) {
        // A slow answer: the daemon must go on serving others meanwhile.
        if (action.lookup("verb") == "Kill") {
            var end = Date.now() + 1000;
            while (Date.now() < end) {}
            return polkit.Result.YES;
        }
        // jobd passes what is acted on: pausing is for an administrator with a password only.
        if (action.lookup("verb") == "Pause")
            return polkit.Result.AUTH_ADMIN;
        if (action.lookup("owner_uid") == "$owner_uid")
            return polkit.Result.YES;
    }
});
EOF
        chmod 644 "$pk/rules-etc/50-jobd-test.rules"
        bg_start env DBUS_SYSTEM_BUS_ADDRESS="$BUS" unshare -m --propagation private sh -c '
                mount --bind "$1/actions" /usr/share/polkit-1/actions &&
                mount --bind "$1/rules-etc" /etc/polkit-1/rules.d &&
                mount --bind "$1/rules-usr" /usr/share/polkit-1/rules.d &&
                exec "$2" --no-debug' sh "$pk" "$POLKITD" >"$TEST_TMP/polkitd.log" 2>&1
        POLKITD_PID=$BG_PID
        local deadline=$(($(now_ms) + 15000))
        until bctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s \
                org.freedesktop.PolicyKit1 2>/dev/null | grep -q '^b true$'; do
                if pid_gone "$POLKITD_PID"; then
                        skip "polkitd cannot run here: $(tail -n 5 "$TEST_TMP/polkitd.log" | tr '\n' ' ')"
                fi
                (($(now_ms) < deadline)) ||
                        skip "polkitd did not take org.freedesktop.PolicyKit1 within 15s: $(tail -n 5 "$TEST_TMP/polkitd.log" | tr '\n' ' ')"
                sleep 0.05
        done
        log "polkitd pid $POLKITD_PID on $BUS"
}

if [[ "$MODE" == polkit ]]; then
        start_polkitd
fi
jobd_start --system --config="$TEST_TMP/jobd.conf"

job=$(owner_job)
wait_state "$job" running
job2=$(owner_job)
wait_state "$job2" running
[[ $(mgr_prop MaxParallel) != 3 ]] || fail "MaxParallel is 3 already; the test needs another value"
max_before=$(mgr_prop MaxParallel)

# A user who is no operator: refused everywhere, in both modes (polkit says no, or not in the group).
user_expect_error "$stranger" org.jobd1.Error.AccessDenied "CancelJob of the owner's job by a stranger" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager CancelJob t "$job"
user_expect_error "$stranger" org.jobd1.Error.AccessDenied "Kill of the owner's job by a stranger" \
        call org.jobd1 "$(job_path "$job")" org.jobd1.Job Kill i 9
user_expect_error "$stranger" org.jobd1.Error.AccessDenied "OpenLog of the owner's job by a stranger" \
        call org.jobd1 "$(job_path "$job")" org.jobd1.Job OpenLog
user_expect_error "$stranger" org.jobd1.Error.AccessDenied "SetMaxParallel by a stranger" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager SetMaxParallel u 3
user_expect_error "$stranger" org.jobd1.Error.AccessDenied "Drain by a stranger" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager Drain
rc=0
as_user "$stranger" "$JOBCTL" cancel "$job" 2>/dev/null || rc=$?
assert_eq 4 "$rc" "exit code of jobctl cancel of the owner's job by a stranger"
assert_eq running "$(job_prop "$job" State)" "State of the owner's job after the stranger's attempts"
assert_eq "$max_before" "$(mgr_prop MaxParallel)" "MaxParallel after the stranger's attempt"
assert_eq false "$(mgr_prop Draining)" "Draining after the stranger's attempt"

# journal_field MESSAGE-ID FIELD MATCH...: FIELD of the last entry with that MESSAGE_ID (and the matches).
journal_field() {
        local id=$1 field=$2
        shift 2
        journalctl --no-pager -o json "MESSAGE_ID=$id" "$@" 2>/dev/null | tail -n 1 | jq -r ".$field // empty"
}

journal_has() {
        [[ -n "$(journal_field "$@")" ]]
}

if [[ "$MODE" == journal ]]; then
        as_user "$operator" "$JOBCTL" cancel "$job" || fail "the operator cannot cancel the owner's job"
        wait_done "$job"
        id=f5456f2f3ea8456ba2f0d8daeba12100
        wait_until 10 "the journal entry of the operator's cancel" journal_has "$id" MESSAGE "JOBD_JOB_ID=$job"
        assert_eq "Job $job of uid $owner_uid cancelled by uid $op_uid (OperatorGroup)." \
                "$(journal_field "$id" MESSAGE "JOBD_JOB_ID=$job")" "MESSAGE of the operator's cancel"
        assert_eq "$op_uid" "$(journal_field "$id" JOBD_CALLER_UID "JOBD_JOB_ID=$job")" "JOBD_CALLER_UID"
        assert_eq "$owner_uid" "$(journal_field "$id" JOBD_OWNER_UID "JOBD_JOB_ID=$job")" "JOBD_OWNER_UID"
        assert_eq CancelJob "$(journal_field "$id" JOBD_ACTION "JOBD_JOB_ID=$job")" "JOBD_ACTION"
        assert_eq OperatorGroup "$(journal_field "$id" JOBD_AUTHORIZED_BY "JOBD_JOB_ID=$job")" "JOBD_AUTHORIZED_BY"
        assert_eq 5 "$(journal_field "$id" PRIORITY "JOBD_JOB_ID=$job")" "PRIORITY (notice)"

        user_expect_ok "$operator" "SetMaxParallel by the operator" \
                call org.jobd1 /org/jobd1 org.jobd1.Manager SetMaxParallel u 3
        id=d1b1321e96cf488f813c4578fb812bf1
        wait_until 10 "the journal entry of the operator's SetMaxParallel" journal_has "$id" MESSAGE \
                JOBD_ACTION=SetMaxParallel
        assert_eq "MaxParallel set to 3 by uid $op_uid (OperatorGroup)." \
                "$(journal_field "$id" MESSAGE JOBD_ACTION=SetMaxParallel)" "MESSAGE of the operator's SetMaxParallel"
        assert_eq "$op_uid" "$(journal_field "$id" JOBD_CALLER_UID JOBD_ACTION=SetMaxParallel)" \
                "JOBD_CALLER_UID of SetMaxParallel"
        # The daemon's ordinary lines still reach the journal through the stream.
        [[ -n "$(journalctl --no-pager -o cat SYSLOG_IDENTIFIER=jobd 2>/dev/null | grep -m1 'ready: bus name')" ]] ||
                fail "jobd's ordinary log lines are not in the journal"
elif [[ "$MODE" != polkit ]]; then
        # The operator, through OperatorGroup= (no polkit on this bus).
        user_expect_ok "$operator" "OpenLog of the owner's job by the operator" \
                call org.jobd1 "$(job_path "$job")" org.jobd1.Job OpenLog
        assert_logged "Log of job $job of uid $owner_uid opened by uid $op_uid \(OperatorGroup\)" "the operator's OpenLog"
        user_expect_ok "$operator" "Pause of the owner's job by the operator" \
                call org.jobd1 "$(job_path "$job2")" org.jobd1.Job Pause
        wait_state "$job2" paused
        user_expect_ok "$operator" "Resume of the owner's job by the operator" \
                call org.jobd1 "$(job_path "$job2")" org.jobd1.Job Resume
        wait_state "$job2" running
        as_user "$operator" "$JOBCTL" kill -s KILL "$job2" || fail "the operator cannot kill the owner's job"
        wait_done "$job2"
        assert_eq killed "$(job_prop "$job2" Result)" "Result of the owner's job killed by the operator"
        assert_logged "Signal 9 \([A-Za-z]+\) sent to job $job2 of uid $owner_uid by uid $op_uid \(OperatorGroup\)" \
                "the operator's kill"

        as_user "$operator" "$JOBCTL" cancel "$job" || fail "the operator cannot cancel the owner's job"
        wait_done "$job"
        assert_eq cancelled "$(job_prop "$job" Result)" "Result of the owner's job cancelled by the operator"
        assert_logged "Job $job of uid $owner_uid cancelled by uid $op_uid \(OperatorGroup\)\." "the operator's cancel"

        user_expect_ok "$operator" "SetMaxParallel by the operator" \
                call org.jobd1 /org/jobd1 org.jobd1.Manager SetMaxParallel u 3
        assert_eq 3 "$(mgr_prop MaxParallel)" "MaxParallel after the operator's SetMaxParallel"
        assert_logged "MaxParallel set to 3 by uid $op_uid \(OperatorGroup\)\." "the operator's SetMaxParallel"
        as_user "$operator" "$JOBCTL" drain || fail "the operator cannot drain the daemon"
        assert_eq true "$(mgr_prop Draining)" "Draining after the operator's drain"
        assert_logged "Daemon drained by uid $op_uid \(OperatorGroup\)\." "the operator's drain"
        as_user "$operator" "$JOBCTL" undrain || fail "the operator cannot resume the daemon"
        assert_eq false "$(mgr_prop Draining)" "Draining after the operator's undrain"

        # A run (plan) of the owner's, and a pool: the same rules.
        out=$(as_user "$owner" busctl --address="$BUS" call org.jobd1 /org/jobd1 org.jobd1.Manager SubmitPlan \
                'aa{sv}a{sv}' 1 2 Argv as 2 sleep 600 WorkingDirectory s / 0) || fail "the owner cannot submit a plan: $out"
        [[ "$out" =~ ^toao\ ([0-9]+)\  ]] || fail "SubmitPlan reply: '$out'"
        run=${BASH_REMATCH[1]}
        user_expect_error "$stranger" org.jobd1.Error.AccessDenied "Run.Cancel of the owner's run by a stranger" \
                call org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run Cancel
        user_expect_ok "$operator" "Run.Cancel of the owner's run by the operator" \
                call org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run Cancel
        assert_logged "Run $run of uid $owner_uid cancelled by uid $op_uid \(OperatorGroup\)\." "the operator's Run.Cancel"
        user_expect_error "$stranger" org.jobd1.Error.AccessDenied "SetPool by a stranger" \
                call org.jobd1 /org/jobd1 org.jobd1.Manager SetPool su lic 2
        user_expect_ok "$operator" "SetPool by the operator" call org.jobd1 /org/jobd1 org.jobd1.Manager SetPool su lic 2
        assert_logged "Capacity of pool lic set to 2 by uid $op_uid \(OperatorGroup\)\." "the operator's SetPool"

        # The owner acting on their own job is no operator's action: nothing recorded.
        job3=$(owner_job)
        as_user "$owner" "$JOBCTL" cancel "$job3" || fail "the owner cannot cancel their own job"
        wait_done "$job3"
        if grep -q "Job $job3 of uid $owner_uid cancelled" "$JOBD_LOG"; then
                fail "the owner's cancel of their own job is logged as an operator's action"
        fi
        # Nobody asked polkit for the owner's job or for root.
        jobctl cancel "$(owner_job)" >/dev/null || fail "root cannot cancel the owner's job"
        assert_logged "cancelled by uid 0 \(root\)\." "root's cancel of another user's job"
else
        # polkit decides: the rule gives the operator group manage-jobs (for the owner's jobs), not
        # manage-daemon, although OperatorGroup= names the same group (it is only the fallback).
        as_user "$operator" "$JOBCTL" cancel "$job" || fail "the operator cannot cancel the owner's job (polkit)"
        wait_done "$job"
        assert_eq cancelled "$(job_prop "$job" Result)" "Result of the owner's job cancelled by the operator"
        assert_logged "Job $job of uid $owner_uid cancelled by uid $op_uid \(polkit\)\." "the operator's cancel"
        user_expect_ok "$operator" "OpenLog of the owner's job by the operator (polkit)" \
                call org.jobd1 "$(job_path "$job2")" org.jobd1.Job OpenLog

        # The rule asks for a password to pause: a caller that does not allow interactive authorization
        # is told so (and not just refused).
        user_expect_error "$operator" org.freedesktop.DBus.Error.InteractiveAuthorizationRequired \
                "Pause by the operator without interactive authorization (polkit: auth_admin)" \
                --allow-interactive-authorization=no call org.jobd1 "$(job_path "$job2")" org.jobd1.Job Pause
        assert_eq running "$(job_prop "$job2" State)" "State of the job the operator could not pause"
        # jobctl lets polkit ask for a password only on a terminal, and never with --no-ask-password.
        rc=0
        as_user "$operator" "$JOBCTL" --no-ask-password pause "$job2" 2>"$TEST_TMP/pause.err" || rc=$?
        assert_eq 4 "$rc" "exit code of jobctl --no-ask-password pause by the operator (polkit: auth_admin)"
        assert_contains "Interactive authentication required" "$(cat "$TEST_TMP/pause.err")" \
                "jobctl --no-ask-password pause by the operator"
        assert_logged "uid $op_uid \([^)]*\) may org.jobd1.manage-jobs \(Pause\)\.$" \
                "a non-interactive question from jobctl --no-ask-password"
        if command -v script >/dev/null; then
                rc=0
                as_user "$operator" script -qec "$JOBCTL pause $job2" /dev/null >"$TEST_TMP/pause-tty.out" 2>&1 || rc=$?
                assert_logged "uid $op_uid \([^)]*\) may org.jobd1.manage-jobs \(Pause\), interactively\.$" \
                        "an interactive question from jobctl on a terminal"
                log "jobctl pause on a terminal without an agent: exit $rc: $(tr -d '\r' <"$TEST_TMP/pause-tty.out")"
                assert_eq running "$(job_prop "$job2" State)" "State of the job after jobctl pause on a terminal"
        fi

        user_expect_error "$operator" org.jobd1.Error.AccessDenied "SetMaxParallel by the operator (polkit: no)" \
                call org.jobd1 /org/jobd1 org.jobd1.Manager SetMaxParallel u 3
        assert_eq "$max_before" "$(mgr_prop MaxParallel)" "MaxParallel after the operator's refused attempt"
        user_expect_error "$operator" org.jobd1.Error.AccessDenied "Drain by the operator (polkit: no)" \
                call org.jobd1 /org/jobd1 org.jobd1.Manager Drain
        rc=0
        as_user "$operator" "$JOBCTL" set-parallel 3 2>/dev/null || rc=$?
        assert_eq 4 "$rc" "exit code of jobctl set-parallel by the operator (polkit: no)"

        # A job of root's: the rule gives the operator the owner's jobs only (owner_uid detail).
        root_job=$(bsubmit 2 Argv as 2 sleep 600 WorkingDirectory s /)
        user_expect_error "$operator" org.jobd1.Error.AccessDenied "CancelJob of root's job by the operator" \
                call org.jobd1 /org/jobd1 org.jobd1.Manager CancelJob t "$root_job"
        jobctl cancel "$root_job" >/dev/null || fail "root cannot cancel its job"
        jobctl cancel "$job2" >/dev/null || fail "root cannot cancel the owner's job"
        wait_done "$job2"
        wait_done "$root_job"
        pid_gone "$POLKITD_PID" && fail "polkitd died during the test: $(tail -n 5 "$TEST_TMP/polkitd.log")"

        # polkit takes a second per Kill (the rule above): 8 questions of one user may be out at once, the
        # 9th (from a second connection) is refused at once, and the daemon answers others meanwhile (it never waits for polkit). The
        # caller stays connected until it is told to go (a file appears).
        py=$(find_python_dbus) || skip "no python3 with dbus to send calls without waiting"
        job4=$(owner_job)
        job5=$(owner_job)
        wait_state "$job4" running
        wait_state "$job5" running
        cat >"$TEST_TMP/kills.py" <<'PY'
import os, sys, time, dbus
c = dbus.bus.BusConnection(sys.argv[1])
def kill(path, sig):
    m = dbus.lowlevel.MethodCallMessage("org.jobd1", path, "org.jobd1.Job", "Kill")
    m.append(dbus.Int32(sig))
    c.send_message(m)
if sys.argv[3] == "quit":
    kill(sys.argv[2], 9)
else:
    for i in range(8):
        kill(sys.argv[2], 18)
    c.flush()
    # The 9th from another connection of the same user: the bound is per uid, not per connection.
    c2 = dbus.bus.BusConnection(sys.argv[1])
    try:
        c2.call_blocking("org.jobd1", sys.argv[2], "org.jobd1.Job", "Kill", "i", (18,), timeout=5)
        print("accepted", flush=True)
    except dbus.exceptions.DBusException as e:
        print(e.get_dbus_name(), flush=True)
c.flush()
# Connected until the test says (bounded).
for i in range(1200):
    if os.path.exists(sys.argv[4]):
        break
    time.sleep(0.05)
PY
        chmod 644 "$TEST_TMP/kills.py"
        bg_start as_user "$operator" "$py" "$TEST_TMP/kills.py" "$BUS" "$(job_path "$job4")" wait \
                "$TEST_TMP/kills.done" >"$TEST_TMP/kills.out" 2>&1
        wait_file "$TEST_TMP/kills.out" 10
        assert_eq org.freedesktop.DBus.Error.LimitsExceeded "$(cat "$TEST_TMP/kills.out")" \
                "the 9th question of one user (another connection) while 8 are out"
        t0=$(now_ms)
        bctl call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs >/dev/null || fail "ListJobs fails while polkit is slow"
        t1=$(now_ms)
        assert_int $((t1 - t0)) -lt 900 "ms for ListJobs while 8 questions wait for a slow polkit"

        # A caller that leaves after the daemon asked polkit about it, before polkit got to the question
        # (it is busy with the 8 slow ones): polkit cannot tell who it was, and the daemon must refuse, not
        # ask OperatorGroup= (which would allow it).
        # (Another operator: the first one has its 8 questions out, all a user may have.)
        bg_start as_user "$operator2" "$py" "$TEST_TMP/kills.py" "$BUS" "$(job_path "$job5")" quit \
                "$TEST_TMP/kills.quit"
        quitter=$BG_PID
        wait_until 10 "the daemon to ask polkit about the leaving caller's Kill" eval \
                '(( $(grep -c "Asking polkit whether uid $op2_uid .* (Kill)" "$JOBD_LOG") == 1 ))'
        touch "$TEST_TMP/kills.quit"
        wait_until 10 "the leaving caller to leave" pid_gone "$quitter"

        # Each answer dispatches its call again: the signal is sent.
        wait_until 30 "polkit's 8 slow answers, each acted on" eval \
                '(( $(grep -Ec "Signal 18 \([A-Za-z]+\) sent to job $job4 of uid $owner_uid by uid $op_uid \(polkit\)" "$JOBD_LOG") == 8 ))'
        touch "$TEST_TMP/kills.done"
        wait_until 30 "the answer for the caller that left" \
                grep -Eq "polkit did not answer whether uid $op2_uid may|sent to job $job5 " "$JOBD_LOG"
        assert_eq running "$(job_prop "$job5" State)" "State of the job a caller that left tried to SIGKILL"
        if grep -q "sent to job $job5 " "$JOBD_LOG"; then
                fail "the Kill of a caller that left before polkit's answer was carried out: $(grep "job $job5 " "$JOBD_LOG")"
        fi
        jobctl cancel "$job4" >/dev/null || fail "root cannot cancel the owner's job"
        jobctl cancel "$job5" >/dev/null || fail "root cannot cancel the owner's job"
        wait_done "$job4"
        wait_done "$job5"
fi
daemon_still_ok
