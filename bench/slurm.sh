#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Short jobs on a one-node Slurm cluster (issue 13), all on the same private cluster of the test suite
# (tests/helpers/slurm.sh: the same slurm.conf, scheduler settings included), in the same run:
#   1. `sbatch --array=1-N --wait --wrap true`: one submission of N tasks, waited for by sbatch;
#   2. a loop of M x `sbatch --wait --wrap true`, one job after the other (what a script that submits and
#      waits pays per job; M defaults to 100, not N: sbatch --wait polls the job every 2 s or more, so
#      1000 of them take more than half an hour);
#   3. N x /bin/true through `jobd --backend=slurm` on a private dbus-daemon: bench-submit pipelines the
#      N Submit calls and waits for JobChanged "done" of each; with jobd's CPU per job (utime+stime of
#      /proc/PID/stat over the run) and the time from each job's end in Slurm (EndTime) to its "done" in
#      jobd (FinishUSec). Skipped with the reason when this jobd has no Slurm backend.
# For each: jobs/s (N over the wall time), the CPU per job of slurmctld + slurmd (the slurmstepds, one
# per job, are not counted), and for 1 and 2 the span Slurm itself records (first SubmitTime to last
# EndTime, whole seconds). Prints figures and a summary (end->done: the median, in seconds, of
# FinishUSec - EndTime); never passes or fails on time. Needs root.
#
#   bench/slurm.sh [--jobs=N] [--loop-jobs=M] [--only=array,loop,jobd] [--build-dir=DIR]
#
# Builds DIR (default: build-bench-slurm, release, no sanitizers) for part 3 if needed.

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench-slurm
JOBS=1000
LOOP_JOBS=100
ONLY=array,loop,jobd

for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS=${arg#*=} ;;
        --loop-jobs=*) LOOP_JOBS=${arg#*=} ;;
        --only=*) ONLY=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "slurm.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
want() { [[ ,$ONLY, == *,$1,* ]]; }

[[ $(id -u) == 0 ]] || { echo "slurm.sh: needs root (a private slurmd runs jobs as their users)" >&2; exit 77; }

# shellcheck source=tests/helpers/slurm.sh
. "$SRC/tests/helpers/slurm.sh"

WORK=$(mktemp -d /tmp/jobd-bench-slurm.XXXXXX)
DBUS_PID="" JOBD_PID="" CG=""

cleanup() {
        set +e
        if [[ -n $JOBD_PID ]]; then
                kill -TERM "$JOBD_PID" 2>/dev/null
                wait "$JOBD_PID" 2>/dev/null
        fi
        if [[ -n $DBUS_PID ]]; then
                kill -TERM "$DBUS_PID" 2>/dev/null
                wait "$DBUS_PID" 2>/dev/null
        fi
        slurm_cluster_stop
        if [[ -n $CG && -d $CG ]]; then
                echo 1 >"$CG/cgroup.kill" 2>/dev/null
                for _ in $(seq 200); do
                        grep -q 'populated 0' "$CG/cgroup.events" && break
                        sleep 0.05
                done
                find "$CG" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
                rmdir "$CG" || echo "slurm.sh: could not remove $CG" >&2
        fi
        rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
cpu_ticks() { # PID...: utime+stime of each, summed, in clock ticks
        local p s f sum=0
        for p in "$@"; do
                read -r s <"/proc/$p/stat"
                s=${s##*) }
                read -r -a f <<<"$s"
                sum=$((sum + f[11] + f[12]))
        done
        echo "$sum"
}
TCK=$(getconf CLK_TCK)
slurm_cpu() { cpu_ticks "$SLURM_CTLD_PID" "$SLURM_SLURMD_PID"; }
us_per_job() { # TICKS JOBS
        awk -v t="$1" -v n="$2" -v h="$TCK" 'BEGIN { printf "%.0f\n", t * 1e6 / h / n }'
}
rate() { # JOBS MS
        awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.1f\n", n / (ms / 1000) }'
}
# slurm_span ID...: seconds from the first SubmitTime to the last EndTime of these jobs (an array's id:
# all its tasks), from one `scontrol -o show job` of all jobs.
slurm_span() {
        scontrol -o show job 2>/dev/null | python3 -c '
import sys, time
ids = set(sys.argv[1:])
sub, end = [], []
for line in sys.stdin:
    f = dict(w.split("=", 1) for w in line.split() if "=" in w)
    if f.get("JobId") not in ids and f.get("ArrayJobId") not in ids:
        continue
    for key, dst in (("SubmitTime", sub), ("EndTime", end)):
        v = f.get(key, "Unknown")
        if v not in ("Unknown", "None"):
            dst.append(time.mktime(time.strptime(v, "%Y-%m-%dT%H:%M:%S")))
print("%d" % (max(end) - min(sub)) if sub and end else "-")' "$@" || echo -
}

declare -A RATE=() SCPU=() DCPU=() SPAN=() E2D=()

echo "Slurm benchmarks: $(nproc) CPUs, kernel $(uname -r), $(slurmctld -V 2>/dev/null), $(date -u '+%F %T') UTC"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
slurm_cluster_start "$WORK/cluster" >/dev/null 2>"$WORK/start.log" || {
        rc=$?
        cat "$WORK/start.log" >&2
        exit "$rc"
}
echo "cluster: one node, $(sed -n 's/^NodeName=localhost NodeAddr=[^ ]* //p' "$SLURM_CONF" | cut -d' ' -f1), proctrack/$SLURM_PROCTRACK," \
        "$(grep -E '^SchedulerParameters=' "$SLURM_CONF")"
echo

# --- 1. one job array -----------------------------------------------------------------------------
if want array; then
        echo "=== sbatch --array=1-$JOBS --wait --wrap true ==="
        c0=$(slurm_cpu)
        t0=$(now_ms)
        out=$(sbatch --parsable --array=1-"$JOBS" --wait --output=/dev/null --wrap true)
        t1=$(now_ms)
        c1=$(slurm_cpu)
        id=${out%%;*}
        RATE[array]=$(rate "$JOBS" $((t1 - t0)))
        SCPU[array]=$(us_per_job $((c1 - c0)) "$JOBS")
        SPAN[array]=$(slurm_span "$id")
        bad=$(scontrol -o show job "$id" | grep -vc 'JobState=COMPLETED' || true)
        echo "array job $id: $((t1 - t0)) ms to sbatch's return, ${RATE[array]} jobs/s;" \
                "Slurm's span (submit to last end) ${SPAN[array]} s; $bad task(s) not COMPLETED"
        echo "slurmctld+slurmd CPU: ${SCPU[array]} us/job"
        echo
fi

# --- 2. a loop of sbatch --wait -----------------------------------------------------------------------
if want loop; then
        echo "=== $LOOP_JOBS x sbatch --wait --wrap true, one after the other ==="
        ids=()
        c0=$(slurm_cpu)
        t0=$(now_ms)
        for ((i = 0; i < LOOP_JOBS; i++)); do
                out=$(sbatch --parsable --wait --output=/dev/null --wrap true)
                ids+=("${out%%;*}")
        done
        t1=$(now_ms)
        c1=$(slurm_cpu)
        RATE[loop]=$(rate "$LOOP_JOBS" $((t1 - t0)))
        SCPU[loop]=$(us_per_job $((c1 - c0)) "$LOOP_JOBS")
        SPAN[loop]=$(slurm_span "${ids[@]}")
        echo "$((t1 - t0)) ms, ${RATE[loop]} jobs/s ($(awk -v ms=$((t1 - t0)) -v n="$LOOP_JOBS" 'BEGIN { printf "%.0f", ms / n }') ms per job);" \
                "Slurm's span ${SPAN[loop]} s"
        echo "slurmctld+slurmd CPU: ${SCPU[loop]} us/job"
        echo
fi

# --- 3. through jobd --backend=slurm -------------------------------------------------------------------
if want jobd; then
        echo "=== $JOBS x /bin/true through jobd --backend=slurm ==="
        skip_jobd=
        if [[ ! -f $BUILD/build.ninja ]]; then
                meson setup "$BUILD" "$SRC" --buildtype=release -Db_sanitize=none >/dev/null
        fi
        if ! ninja -C "$BUILD" src/jobd/jobd src/jobd/jobd-exec bench/bench-submit >"$WORK/build.log" 2>&1; then
                skip_jobd="jobd does not build in $BUILD (see below)"
                tail -n 20 "$WORK/build.log"
        elif ! "$BUILD/src/jobd/jobd" --help 2>&1 | grep -q -- 'slurm'; then
                skip_jobd="this jobd has no Slurm backend (jobd --help does not name --backend=slurm)"
        fi
        if [[ -n $skip_jobd ]]; then
                echo "skipped: $skip_jobd"
                echo
        else
                CG_MOUNT=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
                CG=$CG_MOUNT/jobd-bench-slurm-$$
                mkdir "$CG"
                dbus-daemon --session --nofork --print-address=3 3>"$WORK/bus-address" 2>"$WORK/dbus.log" &
                DBUS_PID=$!
                for _ in $(seq 100); do [[ -s $WORK/bus-address ]] && break; sleep 0.05; done
                ADDR=$(head -n1 "$WORK/bus-address")
                : >"$WORK/jobd.conf"
                slurm_jobd_conf "$WORK/jobd.conf"
                "$BUILD/src/jobd/jobd" --bus-address="$ADDR" --cgroup-root="$CG" --state-dir="$WORK/state" \
                        --backend=slurm --config="$WORK/jobd.conf" --max-parallel=0 --log-level=warning \
                        2>>"$WORK/jobd.log" &
                JOBD_PID=$!
                up=
                for _ in $(seq 200); do
                        if busctl --address="$ADDR" call org.freedesktop.DBus /org/freedesktop/DBus \
                                org.freedesktop.DBus NameHasOwner s org.jobd1 2>/dev/null | grep -q true; then
                                up=1
                                break
                        fi
                        kill -0 "$JOBD_PID" 2>/dev/null || break
                        sleep 0.05
                done
                [[ -n $up ]] || { echo "slurm.sh: jobd did not come up; its log:" >&2; cat "$WORK/jobd.log" >&2; exit 1; }
                c0=$(slurm_cpu)
                out=$("$BUILD/bench/bench-submit" --bus-address="$ADDR" -n "$JOBS" --daemon-pid="$JOBD_PID" \
                        --bus-pid="$DBUS_PID" --label=jobd-slurm -- /bin/true)
                c1=$(slurm_cpu)
                echo "$out" | grep -v ^RESULT
                RATE[jobd]=$(echo "$out" | sed -n 's/^RESULT.* jobs_per_s=\([^ ]*\).*/\1/p')
                DCPU[jobd]=$(echo "$out" | sed -n 's/^RESULT.* daemon_us_per_job=\([^ ]*\).*/\1/p')
                SCPU[jobd]=$(us_per_job $((c1 - c0)) "$JOBS")
                echo "slurmctld+slurmd CPU: ${SCPU[jobd]} us/job"
                # From Slurm's EndTime (whole seconds: the real end is up to 1 s later, 0.5 s on average) to
                # jobd's FinishUSec, per job; the jobs by their SlurmJobId.
                scontrol -o show job >"$WORK/slurm-jobs" 2>/dev/null || true
                py=python3
                for p in /usr/bin/python3 python3; do
                        if "$p" -c 'import dbus.bus' 2>/dev/null; then py=$p; break; fi
                done
                "$py" - "$ADDR" "$WORK/slurm-jobs" >"$WORK/e2d" <<-'PY' || echo "end-to-done: could not be measured (python3-dbus?)"
		import sys, time, statistics
		import dbus
		import dbus.bus
		bus = dbus.bus.BusConnection(sys.argv[1])
		end = {}
		for line in open(sys.argv[2]):
		    f = dict(w.split("=", 1) for w in line.split() if "=" in w)
		    if f.get("EndTime", "Unknown") not in ("Unknown", "None"):
		        end[int(f["JobId"])] = time.mktime(time.strptime(f["EndTime"], "%Y-%m-%dT%H:%M:%S"))
		mgr = dbus.Interface(bus.get_object("org.jobd1", "/org/jobd1"), "org.jobd1.Manager")
		lat, missing = [], 0
		for job in mgr.ListJobs():
		    props = dbus.Interface(bus.get_object("org.jobd1", job[-1]), "org.freedesktop.DBus.Properties")
		    p = props.GetAll("org.jobd1.Job")
		    sid, fin = int(p.get("SlurmJobId", 0)), int(p.get("FinishUSec", 0))
		    if sid in end and fin:
		        lat.append(fin / 1e6 - end[sid])
		    else:
		        missing += 1
		if not lat:
		    print("end-to-done: no job with both a SlurmJobId/EndTime and a FinishUSec (%d jobs)" % missing)
		    sys.exit(0)
		lat.sort()
		print("end-to-done (FinishUSec - EndTime, %d jobs, %d without): median %.2f s, mean %.2f s, "
		      "p95 %.2f s, max %.2f s (EndTime is whole seconds: subtract ~0.5 s)"
		      % (len(lat), missing, statistics.median(lat), statistics.mean(lat),
		         lat[int(0.95 * (len(lat) - 1))], lat[-1]))
		print("RESULT end_to_done_median_s=%.2f" % statistics.median(lat))
		PY
                grep -v ^RESULT "$WORK/e2d" || true
                E2D[jobd]=$(sed -n 's/^RESULT end_to_done_median_s=//p' "$WORK/e2d")
                echo
        fi
fi

echo "=== summary ==="
printf '%-44s %8s %13s %12s %7s %14s\n' "variant" "jobs/s" "slurm us/job" "jobd us/job" "span s" "end->done s"
for v in array loop jobd; do
        [[ -n ${RATE[$v]:-} ]] || continue
        case $v in
        array) label="sbatch --array=1-$JOBS --wait" ;;
        loop) label="$LOOP_JOBS x sbatch --wait (loop)" ;;
        jobd) label="$JOBS x jobd --backend=slurm (bench-submit)" ;;
        esac
        printf '%-44s %8s %13s %12s %7s %14s\n' "$label" "${RATE[$v]}" "${SCPU[$v]:--}" "${DCPU[$v]:--}" \
                "${SPAN[$v]:--}" "${E2D[$v]:--}"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
