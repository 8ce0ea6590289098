#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An unknown job id: org.jobd1.Error.NoSuchJob from the Manager methods, jobctl exit code 3 from every
# verb that takes an id (or an unknown name), exit code 2 for a malformed id.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

for call in "GetJob t 999999" "KillJob ti 999999 9" "CancelJob t 999999" "GetJob t 0" \
            "GetJob t 18446744073709551615"; do
        # shellcheck disable=SC2086
        expect_bus_error org.jobd1.Error.NoSuchJob "$call" call -- org.jobd1 /org/jobd1 org.jobd1.Manager $call
done
# A job object that does not exist: no such object (the fallback's find callback refuses it).
bus_try get-property org.jobd1 /org/jobd1/job/999999 org.jobd1.Job State
assert_eq 0 "$BUS_OK" "reading a property of /org/jobd1/job/999999 fails"
assert_match 'UnknownObject|UnknownInterface|UnknownProperty|NoSuchJob' "$BUS_ERR_NAME" "error for a property of /org/jobd1/job/999999"
# Methods on the object of an unknown job.
for m in Cancel Pause Resume OpenLog; do
        bus_try call -- org.jobd1 /org/jobd1/job/999999 org.jobd1.Job "$m"
        assert_eq 0 "$BUS_OK" "Job.$m on /org/jobd1/job/999999 fails"
        assert_match 'UnknownObject|UnknownMethod|NoSuchJob' "$BUS_ERR_NAME" "error of Job.$m on an unknown job"
done

for verb in show kill cancel pause resume logs wait; do
        expect_rc 3 "jobctl $verb of an unknown id" jobctl "$verb" 999999
done
expect_rc 3 "jobctl show --json of an unknown id" jobctl show 999999 --json
for verb in show kill cancel wait; do
        expect_rc 2 "jobctl $verb of a malformed id" jobctl "$verb" 12abc
        # A word that is not a number is a job's name (jobctl(1)): no job has it.
        expect_rc 3 "jobctl $verb of an unknown name" jobctl "$verb" not-a-number
done
expect_rc 2 "jobctl with an unknown verb" jobctl no-such-verb
expect_rc 2 "jobctl submit without a command" jobctl submit

# A known job after a done one is gone neither: the ids keep working.
id=$(submit -- true)
wait_done "$id"
expect_rc 0 "jobctl show of a known id" jobctl show "$id"
out=$(mcall GetJob t "$id") || fail "GetJob $id failed"
assert_eq "o \"/org/jobd1/job/$id\"" "$out" "GetJob reply"
