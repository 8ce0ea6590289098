#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The figures for issue 3 on a private instance: a 100k-job regression plan (100 builds x 1000 tests,
# 10 merges per build, one final merge: 101,101 jobs) submitted with one SubmitPlan() call:
#   1. the time to the SubmitPlan() reply, the daemon's RSS per job, ListJobs() of all of them;
#   2. with --run, the plan run to the end with jobs that do nothing (/bin/true): wall time and the
#      daemon's CPU time per job;
#   3. the pure scheduler's cost for the same shape of DAG (bench/sched-cost).
# Prints figures; it never passes or fails on time. Needs root (a cgroup v2 subtree).
#
#   bench/plan-100k.sh [--run] [--builds=B] [--tests=T] [--merges=M] [--env-bytes=N]
#                      [--max-parallel=P] [--state=disk|tmpfs] [--build-dir=DIR]
#
# --env-bytes: the size of the environment the plan gives all its jobs (default 2048, about a user's
# shell; sent once, shared by all jobs in the daemon). Builds DIR (default: build-bench, release, no
# sanitizers) if needed. Everything it starts runs below its own cgroup and private socket and is removed
# on exit.

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench
RUN=
ARGS=()
MAX_PARALLEL=$(($(nproc) * 4))
STATE=tmpfs
ENV_BYTES=2048

for arg in "$@"; do
        case $arg in
        --run) RUN=--run ;;
        --builds=* | --tests=* | --merges=*) ARGS+=("$arg") ;;
        --env-bytes=*) ENV_BYTES=${arg#*=} ;;
        --max-parallel=*) MAX_PARALLEL=${arg#*=} ;;
        --state=*) STATE=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h | --help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "plan-100k.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "plan-100k.sh: needs root (creates cgroups)" >&2; exit 77; }

if [[ ! -f $BUILD/build.ninja ]]; then
        meson setup "$BUILD" "$SRC" --buildtype=release -Db_sanitize=none >/dev/null
fi
ninja -C "$BUILD" src/jobd/jobd src/jobd/jobd-exec bench/bench-plan bench/sched-cost >/dev/null

case $STATE in
tmpfs) WORK=$(mktemp -d /dev/shm/jobd-plan-bench.XXXXXX) ;;
disk) WORK=$(mktemp -d /tmp/jobd-plan-bench.XXXXXX) ;;
*) echo "plan-100k.sh: --state=disk or tmpfs" >&2; exit 2 ;;
esac
V2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[[ -n $V2 ]] || { echo "plan-100k.sh: no cgroup v2 hierarchy mounted" >&2; exit 77; }
CG=$V2/jobd-plan-bench-$$
DBUS_PID= JOBD_PID=

cleanup() {
        local cg
        [[ -n $JOBD_PID ]] && kill "$JOBD_PID" 2>/dev/null && wait "$JOBD_PID" 2>/dev/null || true
        if [[ -d $CG ]]; then
                shopt -s nullglob
                for cg in "$CG"/*/; do
                        echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
                done
                for cg in "$CG"/*/; do
                        for _ in $(seq 200); do
                                grep -q 'populated 0' "$cg/cgroup.events" 2>/dev/null && break
                                sleep 0.02
                        done
                        rmdir "$cg" 2>/dev/null || true
                done
                rmdir "$CG" 2>/dev/null || echo "plan-100k.sh: cannot remove $CG" >&2
        fi
        [[ -n $DBUS_PID ]] && kill "$DBUS_PID" 2>/dev/null && wait "$DBUS_PID" 2>/dev/null || true
        rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkfifo "$WORK/address"
dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$WORK/address" >/dev/null 2>&1 &
DBUS_PID=$!
read -r -t 10 ADDRESS <"$WORK/address"
mkdir "$CG"
: >"$WORK/jobd.conf"            # no pools, no groups: not the user's own configuration
JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec "$BUILD/src/jobd/jobd" --bus-address="$ADDRESS" \
        --cgroup-root="$CG" \
        --state-dir="$WORK/state" --max-parallel="$MAX_PARALLEL" --keep-finished=200000 --log-level=warning \
        --config="$WORK/jobd.conf" >"$WORK/jobd.log" 2>&1 &
JOBD_PID=$!
for _ in $(seq 200); do
        busctl --address="$ADDRESS" status org.jobd1 >/dev/null 2>&1 && break
        sleep 0.05
done

echo "== jobd $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?'), $(nproc) CPUs," \
     "--max-parallel=$MAX_PARALLEL, state on $STATE ($WORK)"
"$BUILD/bench/bench-plan" --bus-address="$ADDRESS" --daemon-pid="$JOBD_PID" --env-bytes="$ENV_BYTES" \
        --label="$STATE" --drain $RUN "${ARGS[@]}"
if ! kill -0 "$JOBD_PID" 2>/dev/null; then
        echo "plan-100k.sh: jobd died:" >&2
        tail -n 20 "$WORK/jobd.log" >&2
        exit 1
fi
echo
echo "== the scheduler alone (bench/sched-cost), a DAG of the same shape"
"$BUILD/bench/sched-cost"
