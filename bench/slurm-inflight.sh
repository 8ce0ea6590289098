#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# slurm-inflight.sh [--jobs=N] [--build-dir=DIR]: how the daemon fares with N cluster jobs in flight
# (issue 13: "stays responsive with 10k cluster jobs in flight"). On the private one-node cluster of
# tests/helpers/slurm.sh with its partition down, so that every job stays pending in Slurm: a plan of N
# jobs through `jobd --backend=slurm --max-parallel=0`, then
#   - the time until slurmctld has all N (squeue) and jobd's CPU for it (utime+stime of /proc/PID/stat),
#     and of its main thread alone (the Slurm client's worker thread makes the RPCs);
#   - jobd's CPU over 10 s with the N jobs in flight (its one incremental query per PollIntervalSec=0.5);
#   - the latency of ListJobs and of `jobctl status` meanwhile (the daemon answering);
#   - Run.Cancel() of the plan: the time until all N are cancelled in jobd and in Slurm, and jobd's CPU.
# Prints figures; never passes or fails on time. Needs root. The binaries come from DIR (default: build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=10000
BUILD=$here/build
for arg in "$@"; do
        case $arg in
        --jobs=*) N=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h|--help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "slurm-inflight.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
: "${JOBD:=$BUILD/src/jobd/jobd}" "${JOBCTL:=$BUILD/src/jobctl/jobctl}"
: "${JOBD_EXEC_PATH:=$BUILD/src/jobd/jobd-exec}" "${SPAWN_TREE:=$BUILD/tests/helpers/spawn-tree}"
export JOBD JOBCTL JOBD_EXEC_PATH SPAWN_TREE
set +e
. "$here/tests/helpers/lib.sh"
. "$here/tests/helpers/plans.sh"
. "$here/tests/helpers/slurm.sh"
setup
rc=0
slurm_cluster_start "$TEST_TMP/slurm" || rc=$?
[[ $rc == 0 ]] || { [[ $rc == 77 ]] && skip "Slurm cannot start (see above)"; fail "the cluster did not start"; }
scontrol update PartitionName=debug State=DOWN || fail "cannot take the partition down"
conf="$TEST_TMP/jobd.conf"
: >"$conf"
slurm_jobd_conf "$conf"
jobd_start --config="$conf" --backend=slurm --max-parallel=0 --log-level=info

{
        printf '{ "name": "inflight", "jobs": ['
        for ((i = 0; i < N; i++)); do
                printf '%s{ "name": "j%d", "command": ["true"] }' "$( ((i == 0)) || echo ,)" "$i"
        done
        echo '] }'
} >"$TEST_TMP/plan.json"
hz=$(getconf CLK_TCK)
# The whole daemon (its Slurm client's worker thread, which makes every libslurm RPC, included), and its
# main thread alone (the event loop: D-Bus, scheduler, journal, the core's handling of each job).
cpu_ms() { awk -v hz="$hz" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$JOBD_PID/stat"; }
main_ms() { awk -v hz="$hz" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$JOBD_PID/task/$JOBD_PID/stat"; }
in_slurm() { squeue -h -o %i 2>/dev/null | wc -l; }

echo "jobd $JOBD, $(nproc) CPUs, $N jobs, PollIntervalSec=0.5, partition down (all pending)"
c0=$(cpu_ms)
m0=$(main_ms)
t0=$(now_ms)
run=$(plan_submit "$TEST_TMP/plan.json")
t1=$(now_ms)
wait_until 600 "$N jobs in Slurm" eval '(( $(in_slurm) >= N ))'
t2=$(now_ms)
c1=$(cpu_ms)
m1=$(main_ms)
printf '%-44s %8d ms\n' "plan of $N submitted (reply)" $((t1 - t0))
printf '%-44s %8d ms  (%d jobs/s)\n' "all $N pending in Slurm" $((t2 - t0)) $((N * 1000 / (t2 - t0 > 0 ? t2 - t0 : 1)))
printf '%-44s %8d ms  (%d us/job)\n' "jobd CPU for it" $((c1 - c0)) $(((c1 - c0) * 1000 / N))
printf '%-44s %8d ms  (%d us/job)\n' "... of which its event loop (main thread)" $((m1 - m0)) $(((m1 - m0) * 1000 / N))
sleep 10
c2=$(cpu_ms)
printf '%-44s %8d ms\n' "jobd CPU over 10 s with $N in flight" $((c2 - c1))
best=999999 worst=0
for _ in 1 2 3 4 5; do
        s=$(now_ms)
        bctl call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs >/dev/null
        d=$(($(now_ms) - s))
        ((d < best)) && best=$d
        ((d > worst)) && worst=$d
done
printf '%-44s %8d ms  (worst of 5: %d ms)\n' "ListJobs ($N entries), best of 5" "$best" "$worst"
s=$(now_ms)
jobctl status >/dev/null
printf '%-44s %8d ms\n' "jobctl status" $(($(now_ms) - s))
c3=$(cpu_ms)
m3=$(main_ms)
s=$(now_ms)
jobctl run-cancel "$run" >/dev/null
wait_run_done "$run" 600
t3=$(now_ms)
wait_until 600 "Slurm's queue to empty" eval '(( $(in_slurm) == 0 ))'
printf '%-44s %8d ms  (jobd CPU %d ms, event loop %d ms)\n' "Run.Cancel(): all $N cancelled in jobd" \
        $((t3 - s)) $(($(cpu_ms) - c3)) $(($(main_ms) - m3))
printf '%-44s %8d ms\n' "... and gone from Slurm's queue" $(($(now_ms) - s))
echo "result of the run: $(run_prop "$run" Result)"
