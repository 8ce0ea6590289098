#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every bad Submit spec gets org.jobd1.Error.InvalidSpec with a message naming the key; the daemon stays
# up and a job accepted earlier is intact. Sent with busctl (a{sv} on the command line) and, for sizes
# no command line can carry, python3-dbus. (An embedded NUL cannot be sent through busctl: the core's unit
# tests cover it.)
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

py=$(find_python_dbus) || py=""
release="$TEST_TMP/release"
good=$(bsubmit 3 Argv as 4 sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release" Name s keeper Environment as 1 KEEP=1)
wait_state "$good" running
good_argv=$(job_prop_json "$good" Argv)
good_pid=$(job_prop "$good" MainPID)

# submit_err DICT...: Submit through busctl; sets ERR_NAME and ERR_MSG ("" if it succeeded; then OK_ID).
ERR_NAME=""; ERR_MSG=""; OK_ID=""
submit_err() {
        bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' "$@"
        ERR_NAME=$BUS_ERR_NAME; ERR_MSG=$BUS_ERR_MSG; OK_ID=""
        if [[ "$BUS_OK" == 1 ]]; then
                OK_ID=$(cut -d' ' -f2 <<<"$BUS_OUT")
        fi
}

# expect_invalid KEY WHAT DICT...
expect_invalid() {
        local key=$1 what=$2
        shift 2
        submit_err "$@"
        if [[ -n "$OK_ID" ]]; then
                soft_fail "$what: expected org.jobd1.Error.InvalidSpec naming $key, the spec was accepted as job $OK_ID"
                jobctl kill -s KILL "$OK_ID" >/dev/null 2>&1 || true
        elif [[ "$ERR_NAME" != org.jobd1.Error.InvalidSpec ]]; then
                soft_fail "$what: expected org.jobd1.Error.InvalidSpec, saw '$ERR_NAME' ($ERR_MSG)"
        elif [[ "$ERR_MSG" != *"$key"* ]]; then
                soft_fail "$what: expected the InvalidSpec message to name '$key', saw '$ERR_MSG'"
        else
                log "ok: $what -> $ERR_NAME: $ERR_MSG"
        fi
        daemon_still_ok
}

expect_invalid Bogus "unknown key" 2 Argv as 1 true Bogus s x
expect_invalid Argv "Argv as a string" 1 Argv s true
expect_invalid Argv "Argv as an array of int" 1 Argv ai 2 1 2
expect_invalid Argv "empty Argv" 1 Argv as 0
expect_invalid Argv "no Argv at all" 1 Name s no-argv
expect_invalid Argv "empty spec" 0
expect_invalid WorkingDirectory "relative WorkingDirectory" 2 Argv as 1 true WorkingDirectory s tmp
expect_invalid WorkingDirectory "empty WorkingDirectory" 2 Argv as 1 true WorkingDirectory s ""
expect_invalid WorkingDirectory "WorkingDirectory as an int" 2 Argv as 1 true WorkingDirectory i 1
expect_invalid Environment "Environment entry without =" 2 Argv as 1 true Environment as 1 NOEQUALS
expect_invalid Environment "Environment entry with an empty name" 2 Argv as 1 true Environment as 1 =v
expect_invalid Environment "Environment as a string" 2 Argv as 1 true Environment s A=B
expect_invalid Name "Name as an int" 2 Argv as 1 true Name i 3
expect_invalid Priority "Priority as a string" 2 Argv as 1 true Priority s high
expect_invalid Priority "Priority as uint64" 2 Argv as 1 true Priority t 5
expect_invalid TimeoutUSec "TimeoutUSec as int32" 2 Argv as 1 true TimeoutUSec i 5
expect_invalid CPUWeight "CPUWeight 0" 2 Argv as 1 true CPUWeight t 0
expect_invalid CPUWeight "CPUWeight 100000" 2 Argv as 1 true CPUWeight t 100000
expect_invalid MemoryMax "MemoryMax 0" 2 Argv as 1 true MemoryMax t 0
expect_invalid MemoryMax "MemoryMax as a string" 2 Argv as 1 true MemoryMax s 1G
expect_invalid TasksMax "TasksMax 0" 2 Argv as 1 true TasksMax t 0
expect_invalid StdoutFD "StdoutFD as an int" 2 Argv as 1 true StdoutFD i 1

# Sizes: ~1.1 MiB of argv and of environment through busctl (as much as its own exec can carry).
chunk=$(head -c 65536 /dev/zero | tr '\0' a)
big_args=(); for _ in $(seq 17); do big_args+=("$chunk"); done
expect_invalid Argv "1.1 MiB of argv" 1 Argv as 18 true "${big_args[@]}"
big_env=(); for i in $(seq 17); do big_env+=("V$i=$chunk"); done
expect_invalid Environment "1.1 MiB of environment" 2 Argv as 1 true Environment as 17 "${big_env[@]}"

# Sizes beyond any command line (4 MiB), through python3-dbus.
py_invalid() {  # KEY WHAT JSON
        local out
        out=$("$py" "$(dirname "$0")/../helpers/bus-submit.py" "$BUS" "$3") || fail "bus-submit.py failed"
        case "$out" in
        "ERROR org.jobd1.Error.InvalidSpec "*"$1"*) log "ok: $2 -> ${out:0:200}" ;;
        OK\ *) soft_fail "$2: expected InvalidSpec naming $1, accepted: $out"
                jobctl kill -s KILL "$(cut -d" " -f2 <<<"$out")" >/dev/null 2>&1 || true ;;
        *) soft_fail "$2: expected org.jobd1.Error.InvalidSpec naming $1, saw '${out:0:300}'" ;;
        esac
        daemon_still_ok
}
if [[ -n "$py" ]]; then
        py_invalid Argv "4 MiB of argv" '{"Argv": ["as", {"repeat": "a", "times": 65536, "count": 64}]}'
        py_invalid Environment "4 MiB of environment" \
                '{"Argv": ["as", ["true"]], "Environment": ["as", {"repeat": "A", "times": 65536, "count": 64}]}'
        py_invalid Name "a 1 MiB Name" '{"Argv": ["as", ["true"]], "Name": ["s", {"repeat": "n", "times": 1048576}]}'
        py_invalid WorkingDirectory "a 1 MiB WorkingDirectory" \
                '{"Argv": ["as", ["true"]], "WorkingDirectory": ["s", {"repeat": "/d", "times": 524288}]}'
else
        note "no python3 with the dbus module: the 4 MiB cases are not run"
fi

# Duplicate keys: a client bug; rejecting is expected (accepting one of them is tolerated, but noted).
submit_err 3 Argv as 1 true Argv as 1 false Name s dup
if [[ -n "$OK_ID" ]]; then
        note "a spec with Argv twice was accepted as job $OK_ID"
        wait_done "$OK_ID"
else
        assert_eq org.jobd1.Error.InvalidSpec "$ERR_NAME" "error for a duplicate Argv key"
fi
daemon_still_ok

# Edge values that have a sensible meaning: TimeoutUSec 0 and UINT64_MAX (no timeout, or refused),
# MemoryMax UINT64_MAX (no limit, or refused), extreme priorities (accepted). If accepted, a short job
# must not time out or be killed.
edge() {  # WHAT KEY DICT...
        local what=$1 key=$2
        shift 2
        submit_err "$@"
        if [[ -n "$OK_ID" ]]; then
                wait_done "$OK_ID" 20
                assert_eq success "$(job_prop "$OK_ID" Result)" "$what: accepted, so a 0.3s job must succeed"
        else
                assert_eq org.jobd1.Error.InvalidSpec "$ERR_NAME" "$what: refused, so with InvalidSpec"
                assert_contains "$key" "$ERR_MSG" "$what: the message names the key"
        fi
        daemon_still_ok
}
edge "TimeoutUSec 0" TimeoutUSec 2 Argv as 2 sleep 0.3 TimeoutUSec t 0
edge "TimeoutUSec UINT64_MAX" TimeoutUSec 2 Argv as 2 sleep 0.3 TimeoutUSec t 18446744073709551615
edge "MemoryMax UINT64_MAX" MemoryMax 2 Argv as 2 sleep 0.3 MemoryMax t 18446744073709551615
submit_err 2 Argv as 1 true Priority i -2147483648
assert_ne "" "$OK_ID" "Priority INT32_MIN accepted ($ERR_NAME $ERR_MSG)"
wait_done "$OK_ID"
submit_err 2 Argv as 1 true Priority i 2147483647
assert_ne "" "$OK_ID" "Priority INT32_MAX accepted ($ERR_NAME $ERR_MSG)"
wait_done "$OK_ID"

# The job accepted before all this is intact.
assert_eq running "$(job_prop "$good" State)" "State of the earlier job"
assert_eq keeper "$(job_prop "$good" Name)" "Name of the earlier job"
assert_eq "$good_argv" "$(job_prop_json "$good" Argv)" "Argv of the earlier job"
assert_eq "$good_pid" "$(job_prop "$good" MainPID)" "MainPID of the earlier job"
assert_eq '["KEEP=1"]' "$(job_prop_json "$good" Environment)" "Environment of the earlier job"
touch "$release"
wait_done "$good"
assert_eq success "$(job_prop "$good" Result)" "Result of the earlier job"
daemon_still_ok

# Many small entries (each check cheap, the count large): refused as quickly as one big one, and the
# daemon keeps answering. Last, because a daemon that chokes on it would take the checks above with it.
if [[ -n "$py" ]]; then
        t0=$(now_ms)
        py_invalid Argv "200000 argv entries" '{"Argv": ["as", {"repeat": "a", "times": 1, "count": 200000}]}'
        py_invalid Environment "200000 environment entries" \
                '{"Argv": ["as", ["true"]], "Environment": ["as", {"repeat": "A=1", "times": 1, "count": 200000}]}'
        log "200000-entry specs refused in $(($(now_ms) - t0)) ms"
fi
