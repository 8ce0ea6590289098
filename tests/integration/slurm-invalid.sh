#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input around the Slurm backend gets a clear error naming what was wrong, and nothing is queued:
# a Backend that is neither local nor slurm (Submit, jobctl --backend=, a plan's backend), Backend slurm
# on a daemon whose jobd.conf has no [Slurm] (Submit and plan), what a cluster job cannot have
# (StdoutFD, Jobserver, SystemCallFilter); and a daemon that refuses to start on a bad [Slurm] section
# (missing or relative SharedDirectory, an unknown key, a bad PollIntervalSec, ExtraOptions outside the
# supported subset or setting what jobd sets) or on --backend=slurm without one, saying file, line and key.
# No cluster is needed: every refusal comes before anything talks to Slurm.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
jobd_start

expect_bus_error org.jobd1.Error.InvalidSpec "Submit with Backend nope" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Backend s nope
assert_contains 'Backend: "nope" is not one of local, slurm' "$BUS_ERR_MSG" "error for Backend nope"
expect_bus_error org.jobd1.Error.InvalidSpec "Submit with Backend slurm, no [Slurm]" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Backend s slurm
assert_contains "Slurm is not configured" "$BUS_ERR_MSG" "error for Backend slurm without [Slurm]"
expect_bus_error org.jobd1.Error.InvalidSpec "Submit with Backend of the wrong type" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Backend u 1
assert_contains "Backend: must be of type 's'" "$BUS_ERR_MSG" "error for a Backend of the wrong type"
expect_rc 2 "jobctl submit --backend=nope (a usage error)" jobctl submit --backend=nope -- true
assert_contains "Invalid --backend=nope: expected local or slurm" "$RUN_ERR" "jobctl's message"
expect_rc 1 "jobctl submit --backend=slurm without [Slurm]" jobctl submit --backend=slurm -- true
assert_contains "Slurm is not configured" "$RUN_ERR" "jobctl's message for an unconfigured Slurm"
# Backend "" is the daemon's default, here local.
id=$(bsubmit 2 Argv as 1 true Backend s "")
wait_done "$id"
assert_eq local "$(job_prop "$id" Backend)" "Backend \"\" on a local daemon"

printf '{ "jobs": [ { "name": "sim", "command": "true", "backend": "cloud" } ] }\n' >"$TEST_TMP/cloud.json"
expect_rc 1 "jobctl plan with backend cloud" jobctl plan "$TEST_TMP/cloud.json"
assert_contains 'jobs[0] (sim): backend: expected "local" or "slurm", got "cloud"' "$RUN_ERR" "plan message"
printf '{ "defaults": { "backend": "slurm" }, "jobs": [ { "name": "sim", "command": "true" } ] }\n' \
        >"$TEST_TMP/slurm.json"
expect_rc 1 "jobctl plan with backend slurm, no [Slurm]" jobctl plan "$TEST_TMP/slurm.json"
assert_contains "sim" "$RUN_ERR" "plan message names the job"
assert_contains "Slurm is not configured" "$RUN_ERR" "plan message says why"
nothing_queued_but() {
        local jobs
        jobs=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs | jq '.data[0] | length')
        assert_eq "$1" "$jobs" "jobs after the refusals"
}
nothing_queued_but 1

# --- the daemon's own configuration -----------------------------------------------------------------
# refused_conf NAME TEXT NEEDLE... [-- JOBD OPTIONS]: jobd exits non-zero at start, its log has every needle.
refused_conf() {
        local name=$1 text=$2 rc=0 needle
        shift 2
        local needles=() opts=()
        while (($#)) && [[ "$1" != -- ]]; do needles+=("$1"); shift; done
        (($#)) && { shift; opts=("$@"); }
        printf '%b' "$text" >"$TEST_TMP/$name.conf"
        timeout -k 5 30 "$JOBD" --bus-address="$BUS" --cgroup-root="$CG_ROOT" --state-dir="$TEST_TMP/state-$name" \
                --config="$TEST_TMP/$name.conf" "${opts[@]}" >"$TEST_TMP/$name.log" 2>&1 9>&- || rc=$?
        assert_ne 0 "$rc" "exit status of jobd with $name.conf"
        for needle in "${needles[@]}"; do
                assert_contains "$needle" "$(cat "$TEST_TMP/$name.log")" "jobd's message for $name.conf"
        done
}
mkdir -p "$TEST_TMP/shared"
refused_conf nodir '[Slurm]\nPartition=debug\n' "nodir.conf:1:" "[Slurm] needs SharedDirectory="
refused_conf relative '[Slurm]\nSharedDirectory=shared\n' "relative.conf:2:" \
        "SharedDirectory=shared: expected an absolute path"
refused_conf unknown "[Slurm]\nSharedDirectory=$TEST_TMP/shared\nColour=red\n" "unknown.conf:3:" \
        "unknown key Colour= in the [Slurm] section"
refused_conf poll "[Slurm]\nSharedDirectory=$TEST_TMP/shared\nPollIntervalSec=soon\n" "poll.conf:3:" \
        "PollIntervalSec=soon"
refused_conf named "[Slurm cluster1]\nSharedDirectory=$TEST_TMP/shared\n" "named.conf:1:" "[Slurm] takes no name"
refused_conf comma "[Slurm]\nSharedDirectory=$TEST_TMP/shared\nPartition=a,b\n" "comma.conf:3:" "Partition=a,b"
# The subset of ExtraOptions is the Slurm client's (src/slurm); a jobd built without it refuses [Slurm].
if grep -q '^#define HAVE_SLURM 1' "${JOBD_BUILD_ROOT:-/nonexistent}/config.h" 2>/dev/null; then
        refused_conf extra "[Slurm]\nSharedDirectory=$TEST_TMP/shared\nExtraOptions=--exclusive --frobnicate=1\n" \
                "extra.conf:3: ExtraOptions: --frobnicate=1"
        refused_conf extra-time "[Slurm]\nSharedDirectory=$TEST_TMP/shared\nExtraOptions=--time=10\n" \
                "extra-time.conf:3: ExtraOptions: --time=10:" "TimeoutUSec"
else
        refused_conf noclient "[Slurm]\nSharedDirectory=$TEST_TMP/shared\n" "noclient.conf:1:" \
                "built without Slurm support"
fi
refused_conf extra-word "[Slurm]\nSharedDirectory=$TEST_TMP/shared\nExtraOptions=-N1\n" "extra-word.conf:3:" \
        'ExtraOptions: "-N1" is not an sbatch option'
refused_conf twice "[Slurm]\nSharedDirectory=$TEST_TMP/shared\n[Slurm]\n" "twice.conf:3:" \
        "[Slurm] is defined already on line 1"
refused_conf noslurm "[Pool simlic]\nCapacity=1\n" "--backend=slurm needs a [Slurm] section in jobd.conf" \
        -- --backend=slurm
daemon_still_ok
