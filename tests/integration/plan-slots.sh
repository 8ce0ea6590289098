#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A slot pool (issue 3): boards with names; a job that asks for one gets its name in $JOBD_SLOT_BOARD. A
# board on which 2 jobs in a row failed is quarantined: no job gets it any more, jobctl pools and ListPools
# show it, SlotQuarantined is sent; ReleaseSlot puts it back.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start --max-parallel=8

expect_rc 0 "jobctl slot-pool" jobctl slot-pool board b0 b1 --quarantine-after=2
expect_rc 0 "jobctl group serial 1" jobctl group serial 1
assert_match "serial +1 +0 +0 +no" "$(jobctl groups)" "jobctl groups"

mon="$TEST_TMP/monitor"
bg_start busctl --address="$BUS" monitor --json=short \
        "--match=type='signal',sender='org.jobd1',member='SlotQuarantined'" >"$mon" 2>&1
wait_until 10 "busctl monitor to listen" grep -q . "$mon"

# Board b0 is broken: every job on it fails. The jobs run one at a time (group serial), slots are handed
# out in the order the pool lists them.
boards() {  # N NAME
        local i sep=""
        printf '{ "name": "%s", "defaults": { "group": "serial", "resources": { "board": 1 } }, "jobs": [' "$2"
        for ((i = 0; i < $1; i++)); do
                printf '%s{ "name": "t%d", "command": "%s" }' "$sep" "$i" \
                        'echo $JOBD_SLOT_BOARD; test \"$JOBD_SLOT_BOARD\" != b0'
                sep=","
        done
        echo '] }'
}
boards 5 lab >"$TEST_TMP/lab.json"
run=$(plan_submit "$TEST_TMP/lab.json")
wait_run_done "$run" 30

got=""
for i in 0 1 2 3 4; do
        got+="$(jobctl logs "$(run_job_id "$run" "t$i")") "
done
assert_eq "b0 b0 b1 b1 b1 " "$got" "the boards the jobs got (b0 twice, then quarantined)"
assert_eq 2 "$(run_count "$run" ResultCounts failed)" "jobs that failed on b0"

pools=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListPools | jq -c '.data[0][0]')
assert_eq '["board",true,2,0,[["b0",0,2,true],["b1",0,0,false]]]' "$pools" "ListPools with b0 quarantined"
assert_match "b0 +QUARANTINED +2 consecutive failures" "$(jobctl pools)" "jobctl pools shows the quarantine"
wait_until 10 "the SlotQuarantined signal" grep -q '"data":\["board","b0"\]' "$mon"

# Released: b0 is handed out again (it comes first).
expect_rc 0 "jobctl release-slot" jobctl release-slot board b0
assert_contains "released from quarantine" "$RUN_OUT" "jobctl release-slot output"
assert_eq "b false" "$(mcall ReleaseSlot ss board b1)" "ReleaseSlot of a slot not in quarantine"
expect_bus_error org.jobd1.Error.NoSuchSlot "ReleaseSlot of an unknown slot" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager ReleaseSlot ss board b9
id=$(submit --group=serial --resource=board=1 -- sh -c 'echo $JOBD_SLOT_BOARD')
wait_done "$id"
assert_eq b0 "$(jobctl logs "$id")" "the board a job gets once b0 is released"

# A slot pool cannot become a counted one, nor can a job ask for more boards than there are.
expect_bus_error org.freedesktop.DBus.Error.InvalidArgs "SetPool on a slot pool" \
        call org.jobd1 /org/jobd1 org.jobd1.Manager SetPool su board 4
expect_bus_error org.jobd1.Error.InvalidSpec "a job asking for 3 of 2 boards" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Resources 'a{su}' 1 board 3
daemon_still_ok
