#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A licence pool of 2 (issue 3), set up by jobd.conf: 8 simulations that each hold a licence never run
# more than 2 at once, checked by sampling the running set over D-Bus while they run and by the intervals
# the jobs themselves recorded. Raising the capacity at run time lets more start; lowering it stops none of
# the running ones. A request that can never be met is refused at submit.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup
cat >"$TEST_TMP/jobd.conf" <<'CONF'
# The simulator's licences.
[Pool vcs_license]
Capacity=2

[Group sim]
Limit=infinity
TimeoutSec=10min
CONF
jobd_start --max-parallel=16 --config="$TEST_TMP/jobd.conf"

pools=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListPools | jq -c '.data[0]')
assert_eq '[["vcs_license",false,2,0,[]]]' "$pools" "ListPools after jobd.conf"
assert_match "vcs_license +counted +2 +0" "$(jobctl pools)" "jobctl pools"

# sims N NAME: a plan of N simulations that hold a licence for a moment and record when they ran.
sims() {
        local n=$1 name=$2 i sep=""
        mkdir -p "$TEST_TMP/$name"
        printf '{ "name": "%s", "defaults": { "group": "sim", "resources": { "vcs_license": 1 } }, "jobs": [' "$name"
        for ((i = 0; i < n; i++)); do
                printf '%s{ "name": "sim-%d", "command": ["sh", "-c", "%s"] }' "$sep" "$i" \
                        "date +%s%N > $TEST_TMP/$name/$i.start; sleep ${SIM_SECONDS:-0.4}; date +%s%N > $TEST_TMP/$name/$i.end"
                sep=","
        done
        echo '] }'
}

# The most jobs of the run running at once in any sample (ListJobs), until the run is done.
running_now() {
        bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs |
                jq --arg first "$1" '[.data[0][] | select(.[0] >= ($first | tonumber) and .[2] == "running")] | length'
}
sample_max() {  # RUN FIRST_JOB
        local max=0 n
        while ! run_state_is "$1" done; do
                n=$(running_now "$2")
                ((n > max)) && max=$n
                sleep 0.05
        done
        echo "$max"
}

# The most intervals [start, end] the jobs recorded that overlap at one instant.
overlap_max() {
        local dir=$1 f
        for f in "$dir"/*.start; do
                echo "$(cat "$f") 1"
                echo "$(cat "${f%.start}.end") -1"
        done | sort -n -k1,1 -k2,2n | awk '{ n += $2; if (n > max) max = n } END { print max + 0 }'
}

sims 8 two >"$TEST_TMP/two.json"
run=$(plan_submit "$TEST_TMP/two.json")
first=$(run_job_id "$run" sim-0)
max=$(sample_max "$run" "$first")
assert_eq success "$(run_prop "$run" Result)" "Result of the run with 2 licences"
assert_int "$max" -le 2 "jobs running at once in the samples, with 2 licences"
assert_int "$max" -ge 1 "jobs seen running in the samples"
assert_eq 2 "$(overlap_max "$TEST_TMP/two")" "jobs running at once by their own clocks, with 2 licences"
assert_eq '{"vcs_license":1}' "$(job_prop_json "$first" Resources)" "Resources of a simulation"
assert_eq 600000000 "$(job_prop "$first" TimeoutUSec)" "the sim group's default timeout (jobd.conf)"
own=$(submit --group=sim --timeout=30s -- true)
assert_eq 30000000 "$(job_prop "$own" TimeoutUSec)" "a job's own timeout beats its group's"
wait_done "$own"

# More licences at night: the capacity changes at run time, with immediate effect.
expect_rc 0 "jobctl pool vcs_license 3" jobctl pool vcs_license 3
sims 9 three >"$TEST_TMP/three.json"
run=$(plan_submit "$TEST_TMP/three.json")
wait_run_done "$run" 30
assert_eq 3 "$(overlap_max "$TEST_TMP/three")" "jobs running at once with 3 licences"

# Lowering it stops no running job, it only delays new starts.
SIM_SECONDS=1.5 sims 4 lower >"$TEST_TMP/lower.json"
run=$(plan_submit "$TEST_TMP/lower.json")
first=$(run_job_id "$run" sim-0)
wait_until 10 "3 simulations to run" eval '[[ $(running_now '"$first"') == 3 ]]'
mcall SetPool su vcs_license 1 >/dev/null
assert_eq '[["vcs_license",false,1,3,[]]]' \
        "$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListPools | jq -c '.data[0]')" \
        "ListPools right after lowering the capacity below what is in use"
wait_run_done "$run" 30
assert_eq success "$(run_prop "$run" Result)" "Result of the run whose pool shrank (none was killed)"
assert_eq 3 "$(overlap_max "$TEST_TMP/lower")" "the first three ran together, the fourth after them"
last=$(cat "$TEST_TMP/lower/3.start")
for i in 0 1 2; do
        assert_int "$last" -ge "$(cat "$TEST_TMP/lower/$i.end")" "the fourth started after simulation $i ended"
done

# Never satisfiable, or unknown: refused at submit, with the job and the pool named; nothing queued.
expect_bus_error org.jobd1.Error.InvalidSpec "a job asking for more licences than exist" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Resources 'a{su}' 1 vcs_license 2
assert_contains "Resources" "$BUS_ERR_MSG" "message of the refusal"
printf '{ "jobs": [ { "name": "big", "command": "true", "resources": { "vcs_license": 5 } } ] }' >"$TEST_TMP/big.json"
run_rc rc jobctl plan "$TEST_TMP/big.json"
assert_eq 1 "$rc" "exit status of jobctl plan for a job that could never start"
assert_contains "$TEST_TMP/big.json: jobs[0] (big): Resources: asks for more" "$RUN_ERR" "message of the refused plan"
printf '{ "jobs": [ { "name": "odd", "command": "true", "resources": { "no_such_pool": 1 } } ] }' >"$TEST_TMP/odd.json"
run_rc rc jobctl plan "$TEST_TMP/odd.json"
assert_contains "jobs[0] (odd): Resources: no pool named \"no_such_pool\"" "$RUN_ERR" "message for an unknown pool"
daemon_still_ok
