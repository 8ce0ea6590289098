#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobctl's everyday verbs against the live daemon: submit options reach the job (name, priority, env,
# cwd, timeout), list/show (plain and --json) agree with the bus, status, --address vs JOBD_BUS_ADDRESS.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

wd=$(mktemp -d -p "$TEST_TMP")
id=$(submit --name=basics --priority=7 --timeout=60s --cwd="$wd" -E FOO=bar -E EMPTY= -- \
        sh -c 'echo "foo=$FOO empty=[$EMPTY] pwd=$(pwd)"')
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result"
assert_eq "foo=bar empty=[] pwd=$wd" "$(jobctl logs "$id")" "what the job saw of -E and --cwd"
assert_eq basics "$(job_prop "$id" Name)" "Name from --name"
assert_eq 7 "$(job_prop "$id" Priority)" "Priority from --priority"
assert_eq 60000000 "$(job_prop "$id" TimeoutUSec)" "TimeoutUSec from --timeout=60s"
assert_eq "$wd" "$(job_prop "$id" WorkingDirectory)" "WorkingDirectory from --cwd"
# -E reached the job (its output above); a done job gives its Environment back (org.jobd1(5)).
assert_eq '[]' "$(job_prop_json "$id" Environment)" "Environment of the done job"
assert_eq '["sh","-c","echo \"foo=$FOO empty=[$EMPTY] pwd=$(pwd)\""]' "$(job_prop_json "$id" Argv)" "Argv"
assert_eq "$(id -u)" "$(job_prop "$id" Owner)" "Owner"
assert_int "$(job_prop "$id" SubmitUSec)" -gt 0 "SubmitUSec"
assert_int "$(job_prop "$id" StartUSec)" -ge "$(job_prop "$id" SubmitUSec)" "StartUSec >= SubmitUSec"

# submit --json
out=$(jobctl submit --json --name=j2 -- true) || fail "jobctl submit --json failed"
jq -e . >/dev/null <<<"$out" || fail "jobctl submit --json printed no JSON: '$out'"
id2=$(jq -r .id <<<"$out")
assert_eq "/org/jobd1/job/$id2" "$(jq -r .path <<<"$out")" "path in jobctl submit --json"
wait_done "$id2"
# The plain output is the bare ID.
out=$(jobctl submit -- true)
assert_match '^[0-9]+$' "$out" "output of jobctl submit"
wait_done "$out"
expect_rc 0 "jobctl wait --all with only successes" jobctl wait --all
bad=$(submit -- false)
wait_done "$bad"
expect_rc 1 "jobctl wait --all with a failed job" jobctl wait --all

# list / list --json
out=$(jobctl list) || fail "jobctl list failed"
assert_contains basics "$out" "jobctl list shows the job's name"
out=$(jobctl list --json) || fail "jobctl list --json failed"
jq -e . >/dev/null <<<"$out" || fail "jobctl list --json printed no JSON: '${out:0:300}'"
n=$(jq -r '(if type == "array" then . else (.jobs // .Jobs) end) | length' <<<"$out")
assert_eq 4 "$n" "number of jobs in jobctl list --json"
lst=$(mcall ListJobs) || fail "ListJobs failed"
assert_match "^a\(tsssuo\) 4 " "$lst" "ListJobs count"
assert_contains "$id \"basics\" \"done\" \"success\" $(id -u) \"/org/jobd1/job/$id\"" "$lst" "ListJobs entry of job $id"

# show / show --json
out=$(jobctl show "$id") || fail "jobctl show failed"
assert_contains basics "$out" "jobctl show names the job"
assert_contains success "$out" "jobctl show gives the result"
out=$(jobctl show "$id" --json) || fail "jobctl show --json failed"
st=$(jq -r '.State // .state' <<<"$out") || fail "jobctl show --json: no JSON: '${out:0:300}'"
assert_eq done "$st" "State in jobctl show --json"

# status
out=$(jobctl status) || fail "jobctl status failed"
assert_ne "" "$out" "jobctl status output"

# --address takes the place of JOBD_BUS_ADDRESS.
expect_rc 0 "jobctl --address=... list without JOBD_BUS_ADDRESS" env -u JOBD_BUS_ADDRESS "$JOBCTL" --address="$BUS" list
run_rc rc env -u JOBD_BUS_ADDRESS DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus "$JOBCTL" --address=unix:path=/nonexistent/jobd-test list
assert_eq 1 "$rc" "jobctl against a bus that does not exist"

# Usage errors.
expect_rc 2 "jobctl submit with an unknown option" jobctl submit --no-such-option -- true
expect_rc 2 "jobctl set-parallel abc" jobctl set-parallel abc
expect_rc 2 "jobctl kill with a bad signal" jobctl kill -s NOSUCHSIG "$id"
