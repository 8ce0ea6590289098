#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One plan across backends on the private one-node cluster: a local build job, then three simulations with
# backend "slurm" that each hold a licence of a capacity-1 pool, then a local report job. The build and the
# report run here (in the test cgroup), the simulations on the cluster with the pool as a Slurm licence
# ("simlic:1"); by the jobs' own clocks no two simulations ever run at once, each starts after the build
# ended, and the report starts after the last one ended. Then the licence is shown to be enforced
# cluster-wide: while a job from outside jobd holds the cluster's only licence, jobd's job waits pending
# in Slurm (starting) and runs only once the other has ended. A pool the cluster has no licence for makes
# slurmctld refuse the job: failed, with Slurm's reason.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
. "$(dirname "$0")/../helpers/slurm.sh"
slurm_require_backend
setup
# libslurm leaks slurmctld's answer to a refused submission (slurm-lsan.supp says where).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "$0")" && pwd)/slurm-lsan.supp"

slurm_test_cluster "simlic:1"
conf="$TEST_TMP/jobd.conf"
cat >"$conf" <<'CONF'
# The simulator's licence: one, here and on the cluster (slurm.conf Licenses=simlic:1).
[Pool simlic]
Capacity=1
# A pool the cluster has no licence for: its cluster jobs are refused by slurmctld.
[Pool nolic]
Capacity=1
CONF
slurm_jobd_conf "$conf"
# Local by default: the plan says which jobs go to the cluster.
jobd_start --config="$conf" --max-parallel=8

out="$SLURM_SHARED/plan"
mkdir -p "$out"
stamp() {  # NAME SECONDS: a command that records when it ran
        printf '["sh", "-c", "date +%%s%%N > %s/%s.start; sleep %s; date +%%s%%N > %s/%s.end"]' \
                "$out" "$1" "$2" "$out" "$1"
}
cat >"$TEST_TMP/plan.json" <<EOF
{
  "name": "mixed",
  "defaults": { "timeout": "2min" },
  "jobs": [
    { "name": "build", "command": $(stamp build 0.3) },
    { "name": "sim-0", "command": $(stamp sim-0 0.6), "after": ["build"], "backend": "slurm",
      "resources": { "simlic": 1 } },
    { "name": "sim-1", "command": $(stamp sim-1 0.6), "after": ["build"], "backend": "slurm",
      "resources": { "simlic": 1 } },
    { "name": "sim-2", "command": $(stamp sim-2 0.6), "after": ["build"], "backend": "slurm",
      "resources": { "simlic": 1 } },
    { "name": "report", "command": $(stamp report 0.1), "after": ["sim-0", "sim-1", "sim-2"] }
  ]
}
EOF
run=$(plan_submit "$TEST_TMP/plan.json")
wait_run_done "$run" 90
assert_eq success "$(run_prop "$run" Result)" "Result of the mixed plan"

build=$(run_job_id "$run" build)
report=$(run_job_id "$run" report)
assert_eq local "$(job_prop "$build" Backend)" "Backend of the build"
assert_eq local "$(job_prop "$report" Backend)" "Backend of the report"
assert_contains "$CG_NAME" "$(job_prop "$build" ControlGroup)" "the build ran here"
for s in sim-0 sim-1 sim-2; do
        id=$(run_job_id "$run" "$s")
        assert_eq slurm "$(job_prop "$id" Backend)" "Backend of $s"
        assert_eq success "$(job_prop "$id" Result)" "Result of $s"
        sid=$(job_prop "$id" SlurmJobId)
        assert_match '^[1-9][0-9]*$' "$sid" "SlurmJobId of $s"
        assert_eq simlic:1 "$(slurm_job_field "$sid" Licenses)" "the Slurm licence of $s"
        assert_int "$(cat "$out/$s.start")" -ge "$(cat "$out/build.end")" "$s started after the build ended"
        assert_int "$(cat "$out/report.start")" -ge "$(cat "$out/$s.end")" "the report started after $s ended"
done

# The most intervals [start, end] the simulations recorded that overlap at one instant.
overlap=$(for f in "$out"/sim-*.start; do
        echo "$(cat "$f") 1"
        echo "$(cat "${f%.start}.end") -1"
done | sort -n -k1,1 -k2,2n | awk '{ n += $2; if (n > max) max = n } END { print max + 0 }')
assert_eq 1 "$overlap" "simulations running at once on the cluster by their own clocks (1 licence)"

# --- the licence is the cluster's: someone else holding it makes jobd's job wait in Slurm ------------
other=$(sbatch --parsable --licenses=simlic:1 --output=/dev/null \
        --wrap "date +%s%N > $out/other.start; sleep 3; date +%s%N > $out/other.end") ||
        fail "sbatch of the other user's job failed"
slurm_wait_job_state "$other" RUNNING 30 || fail "the other job $other did not start"
id=$(submit --backend=slurm --resource=simlic=1 -- sh -c "date +%s%N > $out/mine.start")
wait_until 30 "job $id submitted to Slurm" eval "[[ \$(job_prop $id SlurmJobId) != 0 ]]"
sid=$(job_prop "$id" SlurmJobId)
slurm_wait_job_state "$sid" PENDING 10 || fail "job $id did not wait in Slurm for the licence"
assert_eq starting "$(job_prop "$id" State)" "State of a job waiting in Slurm for its licence"
wait_done "$id" 60
assert_eq success "$(job_prop "$id" Result)" "Result of the job that waited for the licence"
assert_int "$(cat "$out/mine.start")" -ge "$(cat "$out/other.end")" "jobd's job ran after the other released the licence"

# --- a licence the cluster does not have: slurmctld refuses the job, its Reason says so ---------------
id=$(submit --backend=slurm --resource=nolic=1 -- true)
wait_done "$id" 30
assert_eq failed "$(job_prop "$id" Result)" "Result of a cluster job asking for a licence the cluster lacks"
assert_contains "Slurm refused the job" "$(job_prop "$id" Reason)" "Reason of the refused job"
assert_eq 0 "$(job_prop "$id" SlurmJobId)" "SlurmJobId of a refused job"
daemon_still_ok
