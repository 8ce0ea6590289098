#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# FailPatterns/PassPatterns (issue 11): what the verdict costs.
#   1. scan throughput of jobd's scanner (bench/log-scan, src/core/log-scan.c) against `grep -E -c` of the
#      same fail patterns on a 1 GiB log of simulation-like lines (no fail match: both read it all), the
#      file in the page cache, best of 3;
#   2. the daemon's added CPU per job: a plan of N jobs each writing a ~20 KB log, without and with
#      patterns, twice each (jobd's CPU time from the cpu.stat of a cgroup of its own, threads included);
#   3. responsiveness: Get of Manager.Version on one bus connection (python3-dbus-next), again and again
#      while jobd scans the 1 GiB log of a job: the median and the longest round trip.
# Prints figures; never passes or fails on time. Needs root (creates a cgroup). The 1 GiB log lives in a
# temporary folder that is deleted at the end.
#
#   bench/log-scan.sh [--jobs=N] [--size-mb=M] [--build-dir=DIR]
#
# Builds DIR (default: build-bench, release, no sanitizers) if needed.

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench
JOBS=200
SIZE_MB=1024
for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS=${arg#*=} ;;
        --size-mb=*) SIZE_MB=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h | --help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "log-scan.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "log-scan.sh: needs root (creates cgroups)" >&2; exit 77; }

if [[ ! -f $BUILD/build.ninja ]]; then
        meson setup "$BUILD" "$SRC" --buildtype=release -Db_sanitize=none >/dev/null
fi
ninja -C "$BUILD" src/jobd/jobd src/jobd/jobd-exec src/jobctl/jobctl bench/log-scan >/dev/null

WORK=$(mktemp -d /tmp/jobd-scan-bench.XXXXXX)
V2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[[ -n $V2 ]] || { echo "log-scan.sh: no cgroup v2 hierarchy mounted" >&2; exit 77; }
CG=$V2/jobd-scan-bench-$$
DCG=$V2/jobd-scan-bench-daemon-$$      # jobd itself, for its CPU time in µs (cpu.stat), threads included
DBUS_PID= JOBD_PID=

cleanup() {
        local cg
        [[ -n $JOBD_PID ]] && kill "$JOBD_PID" 2>/dev/null && wait "$JOBD_PID" 2>/dev/null || true
        if [[ -d $CG ]]; then
                shopt -s nullglob
                for cg in "$CG"/*/; do
                        echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
                        for _ in $(seq 200); do
                                grep -q 'populated 0' "$cg/cgroup.events" 2>/dev/null && break
                                sleep 0.02
                        done
                        rmdir "$cg" 2>/dev/null || true
                done
                rmdir "$CG" 2>/dev/null || echo "log-scan.sh: cannot remove $CG" >&2
        fi
        [[ -n $DBUS_PID ]] && kill "$DBUS_PID" 2>/dev/null && wait "$DBUS_PID" 2>/dev/null || true
        [[ -d $DCG ]] && { rmdir "$DCG" 2>/dev/null || echo "log-scan.sh: cannot remove $DCG" >&2; }
        rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAIL1='UVM_(ERROR|FATAL)'
FAIL2='^Error-\[[A-Z]+\]'
PASS='TEST PASSED'

# A MiB of varied simulation-like lines, repeated; the pass line at the end.
python3 - "$WORK/chunk.log" <<'PY'
import random, sys
random.seed(1)
msgs = ["UVM_INFO @ %dns: [SEQ] sending item %d to the driver",
        "UVM_INFO @ %dns: [SCB] compared %d transactions, all matched",
        "  addr=0x%08x data=0x%08x",
        "UVM_WARNING @ %dns: [MON] late response id=%d",
        "Simulation time %d ps, cycle %d"]
out, size = [], 0
while size < 1 << 20:
    l = random.choice(msgs) % (random.randint(0, 10**9), random.randint(0, 10**6)) + "\n"
    out.append(l)
    size += len(l)
open(sys.argv[1], "w").write("".join(out))
PY
for _ in $(seq "$SIZE_MB"); do cat "$WORK/chunk.log"; done >"$WORK/big.log"
echo "$PASS" >>"$WORK/big.log"
BYTES=$(stat -c %s "$WORK/big.log")
cat "$WORK/big.log" >/dev/null

echo "== jobd $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?'), $(nproc) CPUs," \
     "log $((BYTES / 1048576)) MiB in $WORK"
best() {  # CMD...: the best wall time of 3 runs, in seconds
        local b=999999 t0 t1 ms
        for _ in 1 2 3; do
                t0=$(date +%s%N)
                "$@" >/dev/null || true
                t1=$(date +%s%N)
                ms=$(((t1 - t0) / 1000000))
                ((ms < b)) && b=$ms
        done
        echo "$b"
}
ms=$(best "$BUILD/bench/log-scan" "$WORK/big.log" --fail="$FAIL1" --fail="$FAIL2" --pass="$PASS")
echo "jobd scanner (2 fail patterns as one alternation + 1 pass pattern): $ms ms, $((BYTES / 1000 / ms)) MB/s"
"$BUILD/bench/log-scan" "$WORK/big.log" --fail="$FAIL1" --fail="$FAIL2" --pass="$PASS" | sed 's/^/    /'
ms=$(best "$BUILD/bench/log-scan" "$WORK/big.log" --fail="$FAIL1" --fail="$FAIL2")
echo "jobd scanner (the 2 fail patterns only):                          $ms ms, $((BYTES / 1000 / ms)) MB/s"
ms=$(best env LC_ALL=C grep -E -c -e "$FAIL1" -e "$FAIL2" "$WORK/big.log")
echo "LC_ALL=C grep -E -c (the 2 fail patterns):                         $ms ms, $((BYTES / 1000 / ms)) MB/s"
ms=$(best grep -E -c -e "$FAIL1" -e "$FAIL2" "$WORK/big.log")
echo "grep -E -c in the locale ${LANG:-C} (the 2 fail patterns):          $ms ms, $((BYTES / 1000 / ms)) MB/s"

# The daemon.
mkfifo "$WORK/address"
dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$WORK/address" >/dev/null 2>&1 &
DBUS_PID=$!
read -r -t 10 ADDRESS <"$WORK/address"
mkdir "$CG"
: >"$WORK/jobd.conf"
JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec "$BUILD/src/jobd/jobd" --bus-address="$ADDRESS" --cgroup-root="$CG" \
        --state-dir="$WORK/state" --max-parallel=8 --keep-finished=100000 --log-level=warning \
        --config="$WORK/jobd.conf" >"$WORK/jobd.log" 2>&1 &
JOBD_PID=$!
mkdir "$DCG"
echo "$JOBD_PID" >"$DCG/cgroup.procs"
for _ in $(seq 200); do
        busctl --address="$ADDRESS" status org.jobd1 >/dev/null 2>&1 && break
        sleep 0.05
done
export JOBD_BUS_ADDRESS=$ADDRESS DBUS_SESSION_BUS_ADDRESS=$ADDRESS
jobctl() { "$BUILD/src/jobctl/jobctl" --address="$ADDRESS" "$@"; }
cpu_us() { awk '$1 == "usage_usec" { print $2 }' "$DCG/cpu.stat"; }

plan() {  # FILE WITH_PATTERNS
        local defaults='{}'
        [[ $2 == yes ]] && defaults="{ \"fail_patterns\": [\"$FAIL1\", \"^Error-\\\\[[A-Z]+\\\\]\"], \"pass_patterns\": \"$PASS\" }"
        {
                echo "{ \"name\": \"cpu-$2\", \"defaults\": $defaults, \"jobs\": ["
                for i in $(seq "$JOBS"); do
                        ((i > 1)) && echo ","
                        echo "{ \"name\": \"t$i\", \"command\": [\"sh\", \"-c\", \"head -c 20000 $WORK/chunk.log; echo '$PASS'\"] }"
                done
                echo "] }"
        } >"$1"
}
# Alternated, twice each: the machine's other load drifts.
plan "$WORK/plan-no.json" no
plan "$WORK/plan-yes.json" yes
cpu_no=0 cpu_yes=0
for with in no yes no yes; do
        c0=$(cpu_us)
        t0=$(date +%s%N)
        jobctl plan --wait "$WORK/plan-$with.json" >/dev/null || { echo "log-scan.sh: the plan failed" >&2; exit 1; }
        t1=$(date +%s%N)
        c1=$(cpu_us)
        echo "plan of $JOBS jobs (20 KB logs), patterns $with: jobd CPU $(((c1 - c0) / JOBS)) µs per job," \
             "wall $(((t1 - t0) / 1000000)) ms"
        eval "cpu_$with=\$((cpu_$with + c1 - c0))"
done
echo "added jobd CPU per job with patterns: $(((cpu_yes - cpu_no) / 2 / JOBS)) µs" \
     "($((cpu_no / 2 / JOBS)) -> $((cpu_yes / 2 / JOBS)) µs)"

# Responsiveness while a 1 GiB log is scanned.
id=$(jobctl submit --fail-pattern="$FAIL1" --fail-pattern="$FAIL2" --pass-pattern="$PASS" -- cat "$WORK/big.log")
id=$(grep -o '[0-9]*' <<<"$id" | head -n 1)
c0=$(cpu_us)
until [[ $(busctl --address="$ADDRESS" get-property org.jobd1 "/org/jobd1/job/$id" org.jobd1.Job State) == 's "stopping"' ]]; do
        st=$(busctl --address="$ADDRESS" get-property org.jobd1 "/org/jobd1/job/$id" org.jobd1.Job State)
        [[ $st == 's "done"' ]] && break
        sleep 0.005
done
# One connection, Get after Get (Manager.Version), until the job is done: the time of each round trip.
/usr/bin/python3 - "$ADDRESS" "$id" >"$WORK/lat.txt" <<'PY'
import asyncio, sys, time
from dbus_next.aio import MessageBus
from dbus_next import Message

async def main(address, job):
    bus = await MessageBus(bus_address=address).connect()
    lat = []
    while True:
        t0 = time.monotonic()
        r = await bus.call(Message(destination="org.jobd1", path="/org/jobd1",
                                   interface="org.freedesktop.DBus.Properties", member="Get",
                                   signature="ss", body=["org.jobd1.Manager", "Version"]))
        lat.append((time.monotonic() - t0) * 1e6)
        st = await bus.call(Message(destination="org.jobd1", path="/org/jobd1/job/" + job,
                                    interface="org.freedesktop.DBus.Properties", member="Get",
                                    signature="ss", body=["org.jobd1.Job", "State"]))
        if st.body[0].value == "done":
            break
    lat.sort()
    print(len(lat), int(lat[len(lat) // 2]), int(lat[-1]))

asyncio.run(main(sys.argv[1], sys.argv[2]))
PY
c1=$(cpu_us)
read -r n median max <"$WORK/lat.txt"
echo "1 GiB log: result $(busctl --address="$ADDRESS" get-property org.jobd1 "/org/jobd1/job/$id" org.jobd1.Job Result)," \
     "jobd CPU over the job's end and scan $(((c1 - c0) / 1000)) ms"
echo "Get (Manager.Version) on one connection while scanning: $n calls, median $median µs, max $max µs"
