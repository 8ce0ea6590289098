#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 10, item 2: does the daemon answer others while it does an O(jobs) operation? On a private bus
# with the system bus's limits, a plan of N jobs (one "sleep" blocker, the rest queued behind it at
# --max-parallel=1), then, while another client Gets a property every 5 ms (bench/get-prober.py):
#   1. the first GetManagedObjects() of all of them (its reply time);
#   2. Run.Cancel() of the plan (its reply time, and the time until the run is done);
#   3. Run.Retry("failed") of the cancelled plan, all N jobs again (its reply time, and the time until the
#      blocker runs again: the daemon is done requeuing and announcing them).
# Prints p50/p99/max of the prober's round trips during each operation, and while idle. Target: p99 under
# 50 ms. Never passes or fails on time. Needs root (a cgroup v2 subtree) and python3 with the dbus module.
#
#   bench/loop-latency.sh [--jobs=N[,N...]] [--build-dir=DIR] [--snapshot=REV] [--ops=gmo,cancel,retry]
#
# --jobs: default 100000,250000 (250000 is also the per-user limit of unfinished jobs: the plan then has
# N-1 jobs plus the blocker... N in all). --snapshot=REV builds the committed REV (e.g. the revision before
# a change, for before/after figures) from a `git archive` copy; else DIR (default build-bench, release).

set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench
JOBS_LIST=100000,250000
SNAPSHOT=
OPS=gmo,cancel,retry
for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS_LIST=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        --snapshot=*) SNAPSHOT=${arg#*=} ;;
        --ops=*) OPS=${arg#*=} ;;
        -h | --help) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "loop-latency.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "loop-latency.sh: needs root" >&2; exit 77; }
PY=
for p in /usr/bin/python3 python3; do
        if "$p" -c 'import dbus.bus' 2>/dev/null; then PY=$p; break; fi
done
[[ -n $PY ]] || { echo "loop-latency.sh: no python3 with the dbus module" >&2; exit 77; }

. "$SRC/bench/instance.sh"
instance_setup latency
SRC_BUILD=$SRC
if [[ -n $SNAPSHOT ]]; then
        mkdir "$WORK/src"
        git -C "$SRC" archive "$SNAPSHOT" | tar -x -C "$WORK/src"
        SRC_BUILD=$WORK/src BUILD=$WORK/build
fi
[[ -f $BUILD/build.ninja ]] || meson setup "$BUILD" "$SRC_BUILD" --buildtype=release -Db_sanitize=none >/dev/null
ninja -C "$BUILD" src/jobd/jobd src/jobd/jobd-exec src/jobctl/jobctl >/dev/null
export JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec

cat >"$WORK/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$WORK</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_incoming_bytes">133169152</limit>
  <limit name="max_outgoing_bytes">133169152</limit>
  <limit name="max_message_size">33554432</limit>
  <limit name="reply_timeout">600000</limit>
</busconfig>
CONF
instance_bus "$WORK/bus.conf"
export JOBD_BUS_ADDRESS=$ADDR
bctl() { busctl --address="$ADDR" --timeout=900 "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

probe_start() {
        coproc PROBE { "$PY" "$SRC/bench/get-prober.py" "$ADDR"; }
        read -r _ <&"${PROBE[0]}"
}
probe_stop() { # sets PROBED to the RESULT line (not in a subshell: the coprocess is ours)
        local pid=$PROBE_PID
        PROBED=
        if [[ -n ${PROBE[0]:-} ]]; then
                local fd=${PROBE[0]}
                exec {PROBE[1]}>&-
                read -r PROBED <&"$fd" || PROBED=
        fi
        wait "$pid" 2>/dev/null || true
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
report() { # what result-line
        printf '  %-44s probes %6s  p50 %8s ms  p99 %8s ms  max %8s ms\n' "$1" "$(field probes "$2")" \
                "$(field p50_ms "$2")" "$(field p99_ms "$2")" "$(field max_ms "$2")"
}

echo "loop latency: $(git -C "$SRC" rev-parse --short "${SNAPSHOT:-HEAD}")${SNAPSHOT:+ (snapshot)}," \
     "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %T') UTC"
for N in ${JOBS_LIST//,/ }; do
        run=$CG/n$N
        mkdir "$run"
        "$BUILD/src/jobd/jobd" --bus-address="$ADDR" --cgroup-root="$run" --state-dir="$WORK/state-$N" \
                --max-parallel=1 --keep-finished=$((N + 10)) --log-level=warning 2>>"$WORK/jobd.log" &
        JOBD_PID=$!
        for _ in $(seq 200); do
                bctl call org.jobd1 /org/jobd1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1 && break
                sleep 0.05
        done
        {
                printf '{"name": "latency", "jobs": [{"name": "blocker", "command": ["sleep", "3600"]}'
                for ((i = 1; i < N; i++)); do printf ',{"name":"j%d","command":["true"]}' "$i"; done
                printf ']}\n'
        } >"$WORK/plan.json"
        t0=$(now_ms)
        timeout 600 "$BUILD/src/jobctl/jobctl" plan "$WORK/plan.json" >/dev/null || { echo "jobctl plan failed; jobd log:"; tail -n 5 "$WORK/jobd.log"; exit 1; }
        echo "== $N jobs (plan submitted in $(($(now_ms) - t0)) ms)"
        sleep "${SETTLE:-5}"     # the plan's JobNew (and InterfacesAdded) go out after the reply
        probe_start; sleep 2; probe_stop; report "idle" "$PROBED"

        if [[ ,$OPS, == *,gmo,* ]]; then
                probe_start
                t0=$(now_ms)
                if bctl call org.jobd1 /org/jobd1 org.freedesktop.DBus.ObjectManager GetManagedObjects \
                        >/dev/null 2>"$WORK/gmo.err"; then
                        what=reply
                else
                        what="error: $(head -c 60 "$WORK/gmo.err")"
                fi
                t1=$(now_ms)
                probe_stop 2>/dev/null
                report "GetManagedObjects ($((t1 - t0)) ms, $what)" "$PROBED"
                if ! kill -0 "$JOBD_PID" 2>/dev/null; then
                        rc=0; wait "$JOBD_PID" || rc=$?; JOBD_PID=
                        echo "  jobd is gone after GetManagedObjects (exit status $rc): $(tail -n 1 "$WORK/jobd.log")"
                        continue
                fi
        fi
        [[ ,$OPS, == *,cancel,* ]] || { kill "$JOBD_PID"; wait "$JOBD_PID" || true; JOBD_PID=; continue; }

        probe_start
        t0=$(now_ms)
        bctl call org.jobd1 /org/jobd1/run/1 org.jobd1.Run Cancel >/dev/null
        t1=$(now_ms)
        until [[ $(bctl get-property org.jobd1 /org/jobd1/run/1 org.jobd1.Run State) == 's "done"' ]]; do
                sleep 0.1
        done
        t2=$(now_ms)
        probe_stop
        report "Run.Cancel (reply $((t1 - t0)) ms, done $((t2 - t0)) ms)" "$PROBED"

        if [[ ,$OPS, == *,retry,* ]]; then
                probe_start
                t0=$(now_ms)
                queued=$(bctl call org.jobd1 /org/jobd1/run/1 org.jobd1.Run Retry s failed)
                t1=$(now_ms)
                until [[ $(bctl get-property org.jobd1 /org/jobd1 org.jobd1.Manager JobsRunning) == 'u 1' ]]; do
                        sleep 0.1
                done
                t2=$(now_ms)
                probe_stop
                report "Run.Retry (${queued#u } jobs; reply $((t1 - t0)) ms, blocker runs $((t2 - t0)) ms)" "$PROBED"
        fi
        kill "$JOBD_PID"; wait "$JOBD_PID" || true; JOBD_PID=
done
