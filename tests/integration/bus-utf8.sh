#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every error reply that echoes a string the caller sent is valid UTF-8 and arrives: the string is cut
# at a character boundary (or escaped), never in the middle of a character. The string used is 63 ASCII
# bytes and an "é" (2 bytes), so that a cut at 64 bytes splits it: sd-bus refuses to send such a reply
# and, before the fix, the caller waited for its timeout while nothing was logged. Each call gets 5 s;
# each must be answered with its named error, the daemon stays up.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

bad="$(printf 'a%.0s' $(seq 63))é"
bad_env="$bad"          # no "=": not NAME=VALUE

# expect_answer ERROR-NAME WHAT BUSCTL-CALL-ARGS...
expect_answer() {
        local want=$1 what=$2
        shift 2
        bus_try --timeout=5 call -- "$@"
        if [[ "$BUS_OK" == 1 ]]; then
                soft_fail "$what: expected $want, the call succeeded: $BUS_OUT"
        elif [[ "$BUS_ERR_NAME" != "$want" ]]; then
                soft_fail "$what: expected the error $want within 5 s, saw '$BUS_ERR_NAME' ($BUS_ERR_MSG)"
        elif ! printf '%s' "$BUS_ERR_MSG" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
                soft_fail "$what: the message is not valid UTF-8: $BUS_ERR_MSG"
        elif [[ "$BUS_ERR_MSG" != *aaaa* ]]; then
                soft_fail "$what: the message does not echo the string: $BUS_ERR_MSG"
        else
                log "ok: $what -> $BUS_ERR_NAME: $BUS_ERR_MSG"
        fi
        daemon_still_ok
}

M=(org.jobd1 /org/jobd1 org.jobd1.Manager)
inv=org.jobd1.Error.InvalidSpec
args=org.freedesktop.DBus.Error.InvalidArgs
expect_answer "$args" "SetPool" "${M[@]}" SetPool su "$bad" 1
expect_answer "$args" "SetGroupLimit" "${M[@]}" SetGroupLimit su "$bad" 1
expect_answer "$args" "PauseGroup" "${M[@]}" PauseGroup s "$bad"
expect_answer "$args" "ResumeGroup" "${M[@]}" ResumeGroup s "$bad"
expect_answer "$args" "SetSlotPool pool" "${M[@]}" SetSlotPool sasu "$bad" 1 s0 0
mcall SetSlotPool sasu board 1 s0 0 >/dev/null || fail "SetSlotPool board failed"
expect_answer org.jobd1.Error.NoSuchSlot "ReleaseSlot" "${M[@]}" ReleaseSlot ss board "$bad"
expect_answer "$inv" "Submit Group" "${M[@]}" Submit 'a{sv}' 2 Argv as 1 true Group s "$bad"
expect_answer "$inv" "Submit AfterCondition" "${M[@]}" Submit 'a{sv}' 2 Argv as 1 true AfterCondition s "$bad"
expect_answer "$inv" "Submit Environment" "${M[@]}" Submit 'a{sv}' 2 Argv as 1 true Environment as 1 "$bad_env"
expect_answer "$inv" "Submit RetryOn" "${M[@]}" Submit 'a{sv}' 2 Argv as 1 true RetryOn as 1 "$bad"
expect_answer "$inv" "Submit unknown key" "${M[@]}" Submit 'a{sv}' 2 Argv as 1 true "$bad" s x
expect_answer "$inv" "SubmitPlan job Group" "${M[@]}" SubmitPlan 'aa{sv}a{sv}' 1 2 Argv as 1 true Group s "$bad" 0
expect_answer "$inv" "SubmitPlan job name" "${M[@]}" SubmitPlan 'aa{sv}a{sv}' 1 3 Argv as 1 true Name s "$bad" Group s "$bad" 0
expect_answer "$inv" "SubmitPlan After" "${M[@]}" SubmitPlan 'aa{sv}a{sv}' 1 3 Argv as 1 true Name s x After as 1 "$bad" 0
expect_answer "$inv" "SubmitPlan Name" "${M[@]}" SubmitPlan 'aa{sv}a{sv}' 1 1 Argv as 1 true 1 Name s "$bad"

# Run.Retry of a finished run with a bad "which".
out=$(mcall SubmitPlan 'aa{sv}a{sv}' 1 2 Argv as 1 true Name s one 0) || fail "SubmitPlan failed: $out"
run=$(awk '{print $2}' <<<"$out")
wait_until 20 "run $run to finish" eval \
        "[[ \$(bctl get-property org.jobd1 /org/jobd1/run/$run org.jobd1.Run State) == 's \"done\"' ]]"
expect_answer "$args" "Run.Retry" org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run Retry s "$bad"

# Nothing needed escaping by the guard (each message was made valid where it was written).
assert_not_contains "not valid UTF-8" "$(cat "$JOBD_LOG")" "jobd's log"
