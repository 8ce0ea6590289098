#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10: what the forgetting of finished jobs (--keep-finished) costs while many jobs wait. A private
# jobd with --keep-finished=100 --max-parallel=2 first takes a plan of HELD jobs and pauses its run (they
# stay queued, with the lowest ids), then runs N short jobs through bench-submit: jobd's CPU per short
# job. Each of them finishes past the 100 kept, so each makes the GC forget one; it used to read every
# queued job on the way to it. Compare with --held=1. Prints figures only. Needs root (a cgroup v2
# subtree).
#
#   bench/gc-held.sh [--held=200000] [--jobs=2000] [--build-dir=DIR]

set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench
HELD=200000
JOBS=2000
for arg in "$@"; do
        case $arg in
        --held=*) HELD=${arg#*=} ;;
        --jobs=*) JOBS=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h|--help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "gc-held.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "gc-held.sh: needs root (creates cgroups)" >&2; exit 77; }
if [[ ! -f $BUILD/build.ninja ]]; then
        meson setup "$BUILD" "$SRC" --buildtype=release -Db_sanitize=none >/dev/null
fi
ninja -C "$BUILD" src/jobd/jobd src/jobd/jobd-exec src/jobctl/jobctl bench/bench-submit >/dev/null

. "$SRC/bench/instance.sh"
instance_setup gc-held
SHM=/dev/shm/jobd-gc-held-$$
INSTANCE_EXTRA=("$SHM")
mkdir -p "$CG/jobs" "$SHM"
instance_bus
export DBUS_SESSION_BUS_ADDRESS=$ADDR
JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec "$BUILD/src/jobd/jobd" --bus-address="$ADDR" \
        --cgroup-root="$CG/jobs" --state-dir="$SHM/state" --max-parallel=2 --keep-finished=100 \
        --log-level=warning 2>"$WORK/jobd.log" &
JOBD_PID=$!
for _ in $(seq 200); do
        busctl --address="$ADDR" status org.jobd1 >/dev/null 2>&1 && break
        sleep 0.05
done

python3 -c '
import json, sys
n = int(sys.argv[1])
print(json.dumps({"name": "held", "jobs": [{"name": "h%d" % i, "command": ["true"]} for i in range(n)]}))
' "$HELD" >"$WORK/plan.json"
run=$("$BUILD/src/jobctl/jobctl" --json=short plan "$WORK/plan.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["run"])')
# A run of one job may be done already; its Pause() then fails, which is fine for --held=1.
busctl --address="$ADDR" call org.jobd1 "/org/jobd1/run/$run" org.jobd1.Run Pause >/dev/null 2>&1 || true
echo "gc-held: $HELD jobs queued in a paused run, --keep-finished=100, then $JOBS x /bin/true"
# Past the 100 kept before the measured ones start.
"$BUILD/bench/bench-submit" --bus-address="$ADDR" -n 300 --quiet >/dev/null
"$BUILD/bench/bench-submit" --bus-address="$ADDR" -n "$JOBS" --daemon-pid="$JOBD_PID" --bus-pid="$DBUS_PID" |
        grep -E 'throughput|daemon CPU|dbus-daemon CPU'
