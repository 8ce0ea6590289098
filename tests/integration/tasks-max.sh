#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# TasksMax: a job trying to start 50 processes under TasksMax=10 cannot fork them all and fails; nothing
# of it remains. Without a pids controller, TasksMax must be refused with InvalidSpec.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

if ! controller_available pids; then
        expect_bus_error org.jobd1.Error.InvalidSpec "error for TasksMax without a pids controller" \
                call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true TasksMax t 10
        exit 0
fi

pids="$TEST_TMP/tm.pids"
id=$(submit --tasks-max=10 -- "$SPAWN_TREE" -n 50 -S -p "$pids")
wait_done "$id" 30
assert_eq failed "$(job_prop "$id" Result)" "Result of a job forking 50 under TasksMax=10"
if [[ -e "$pids" ]]; then
        n=$(wc -l <"$pids")
        assert_int "$n" -lt 50 "processes started under TasksMax=10"
        assert_none_alive "$pids" "processes of the job after it failed"
fi
id=$(submit --tasks-max=100 -- "$SPAWN_TREE" -n 20 -S -p "$TEST_TMP/ok.pids")
wait_done "$id" 30
assert_eq success "$(job_prop "$id" Result)" "Result of a job forking 20 under TasksMax=100"
