#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Throughput of the systemd backend (issue 4), all on one real, contained systemd user manager
# (tests/helpers/systemd-user-manager.sh) in the same run:
#   1. N x /bin/true through jobd --backend=systemd: a transient scope per job (pipelined Submit through
#      bench-submit, wait for JobChanged done);
#   2. a loop of N x `systemd-run --user --scope -q /bin/true` on the same manager: what a shell script
#      pays per scope (client start-up, a bus connection, a synchronous StartTransientUnit, JobRemoved);
#   3. N x /bin/true through jobd --backend=cgroupfs on a cgroup of the same tree;
#   4. the ceiling: N x /bin/true as scopes of a bare sd-bus client on the manager's private socket
#      (bench/scope-ceiling: the systemd part of what jobd does per job, P in flight, nothing else).
# Also checks that no finished scope is left in the manager after the run (CollectMode), and prints the
# manager's CPU per scope. Prints figures; never passes or fails on time. Needs root.
#
#   bench/bench-systemd.sh [--jobs=N] [--parallel=P] [--state=disk|tmpfs] [--build-dir=DIR]
#
# --state: jobd's state folder under /tmp (default) or on a tmpfs. On ext4 the per-job files are a
# large, variable part of jobd's cost when other work creates and deletes many files there too (the
# inode allocator skips recently deleted inodes); the manager's runtime folder is a tmpfs in both cases,
# as /run/user/UID is.
#
# Builds DIR (default: build-bench-sd, release, no sanitizers) if needed.

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench-sd
JOBS=2000
PARALLEL=16
STATE=disk

for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS=${arg#*=} ;;
        --parallel=*) PARALLEL=${arg#*=} ;;
        --state=disk|--state=tmpfs) STATE=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h|--help) sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-systemd.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done

[[ $(id -u) == 0 ]] || { echo "bench-systemd.sh: needs root (cgroups, a mount namespace)" >&2; exit 77; }

if [[ -z "${SDUM_INSIDE:-}" ]]; then
        TARGETS=(src/jobd/jobd src/jobd/jobd-exec bench/bench-submit bench/scope-ceiling)
        if [[ ! -f $BUILD/build.ninja ]]; then
                meson setup "$BUILD" "$SRC" --buildtype=release -Db_sanitize=none >/dev/null
        fi
        ninja -C "$BUILD" "${TARGETS[@]}" >/dev/null || { echo "bench-systemd.sh: build failed" >&2; exit 1; }
        exec "$SRC/tests/helpers/systemd-user-manager.sh" --name="jobd-bench-sd-$$" -- \
                "$0" --jobs="$JOBS" --parallel="$PARALLEL" --state="$STATE" --build-dir="$BUILD"
fi

# --- inside the contained manager's namespace -----------------------------------------------------
JOBD=$BUILD/src/jobd/jobd
export JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec
SUBMIT=$BUILD/bench/bench-submit
BUS=$DBUS_SESSION_BUS_ADDRESS
WORK=$(mktemp -d /tmp/jobd-bench-sd.XXXXXX)
if [[ $STATE == tmpfs ]]; then
        # Our own mount namespace (systemd-user-manager.sh): gone with it.
        mount -t tmpfs -o mode=0700,size=256m tmpfs "$WORK"
fi
CG2=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
JOBD_PID=

cleanup() {
        set +e
        stop_jobd
        mountpoint -q "$WORK" && umount "$WORK"
        rm -rf "$WORK"
}
trap cleanup EXIT

stop_jobd() {
        if [[ -n $JOBD_PID ]]; then
                kill -TERM "$JOBD_PID" 2>/dev/null
                wait "$JOBD_PID" 2>/dev/null
                JOBD_PID=
        fi
}

start_jobd() {  # STATE-NAME JOBD-OPTIONS...
        local state=$WORK/$1 i
        shift
        "$JOBD" --user --bus-address="$BUS" --state-dir="$state" --max-parallel="$PARALLEL" \
                --keep-finished=100 --log-level=warning "$@" >>"$WORK/jobd.log" 2>&1 &
        JOBD_PID=$!
        for ((i = 0; i < 400; i++)); do
                busctl --address="$BUS" status org.jobd1 >/dev/null 2>&1 && return 0
                kill -0 "$JOBD_PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "bench-systemd.sh: jobd did not start: $(tail -n 5 "$WORK/jobd.log")" >&2
        exit 1
}

cpu_ticks() {  # PID: utime+stime of a process in clock ticks
        awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"
}

tck=$(getconf CLK_TCK)
declare -A RATE

echo "== jobd --backend=systemd: $JOBS x /bin/true, --max-parallel=$PARALLEL, state on $STATE, on systemd $(systemctl --user --version | head -n 1 | cut -d' ' -f2)"
start_jobd state-systemd --backend=systemd
m0=$(cpu_ticks "$SDUM_MANAGER_PID")
out=$("$SUBMIT" --bus-address="$BUS" -n "$JOBS" --max-parallel="$PARALLEL" --daemon-pid="$JOBD_PID" \
        --label=jobd-systemd -- /bin/true)
m1=$(cpu_ticks "$SDUM_MANAGER_PID")
echo "$out" | grep -v '^RESULT'
printf '  systemd --user CPU        %8.2f s (%.0f us/job)\n' "$(bc -l <<<"($m1 - $m0) / $tck")" \
        "$(bc -l <<<"($m1 - $m0) / $tck * 1000000 / $JOBS")"
RATE[systemd]=$(sed -n 's/.*jobs_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
left=$(systemctl --user list-units --all --no-legend 'jobd-*' | wc -l)
echo "  scopes jobd-* left in the manager after the run: $left"
stop_jobd

echo "== systemd-run --user --scope -q /bin/true, $JOBS times in a loop, same manager"
m0=$(cpu_ticks "$SDUM_MANAGER_PID")
t0=$(date +%s%N)
for ((i = 0; i < JOBS; i++)); do
        systemd-run --user --scope -q /bin/true
done
t1=$(date +%s%N)
m1=$(cpu_ticks "$SDUM_MANAGER_PID")
RATE[systemd-run]=$(bc -l <<<"scale=1; $JOBS * 1000000000 / ($t1 - $t0)")
printf '  all done after            %8.1f ms\n  throughput                %8.1f jobs/s\n' \
        "$(bc -l <<<"($t1 - $t0) / 1000000")" "${RATE[systemd-run]}"
printf '  systemd --user CPU        %8.2f s (%.0f us/job)\n' "$(bc -l <<<"($m1 - $m0) / $tck")" \
        "$(bc -l <<<"($m1 - $m0) / $tck * 1000000 / $JOBS")"

echo "== scope-ceiling: $JOBS x /bin/true as scopes of a bare sd-bus client, $PARALLEL in flight, same manager"
m0=$(cpu_ticks "$SDUM_MANAGER_PID")
out=$("$BUILD/bench/scope-ceiling" -n "$JOBS" --parallel="$PARALLEL" -- /bin/true)
m1=$(cpu_ticks "$SDUM_MANAGER_PID")
echo "$out" | grep -v '^RESULT' | tail -n +2
printf '  systemd --user CPU        %8.2f s (%.0f us/job)\n' "$(bc -l <<<"($m1 - $m0) / $tck")" \
        "$(bc -l <<<"($m1 - $m0) / $tck * 1000000 / $JOBS")"
RATE[ceiling]=$(sed -n 's/.*jobs_per_s=\([0-9.]*\).*/\1/p' <<<"$out")

echo "== jobd --backend=cgroupfs: $JOBS x /bin/true, --max-parallel=$PARALLEL, state on $STATE, a cgroup of the same tree"
root="$CG2$SDUM_CGROUP/bench-cgroupfs"
mkdir "$root"
start_jobd state-cgroupfs --backend=cgroupfs --cgroup-root="$root"
out=$("$SUBMIT" --bus-address="$BUS" -n "$JOBS" --max-parallel="$PARALLEL" --daemon-pid="$JOBD_PID" \
        --label=jobd-cgroupfs -- /bin/true)
echo "$out" | grep -v '^RESULT'
RATE[cgroupfs]=$(sed -n 's/.*jobs_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
stop_jobd
# jobd's v1 mirrors of the root (hybrid hosts) and the root itself; the helper removes anything left.
rmdir "$root" 2>/dev/null || true

echo
echo "== summary: $JOBS x /bin/true, jobs/s"
printf '  %-44s %8.1f\n' "jobd, systemd backend (--max-parallel=$PARALLEL)" "${RATE[systemd]}"
printf '  %-44s %8.1f\n' "systemd-run --user --scope loop" "${RATE[systemd-run]}"
printf '  %-44s %8.1f\n' "bare sd-bus client, scopes ($PARALLEL in flight)" "${RATE[ceiling]}"
printf '  %-44s %8.1f\n' "jobd, cgroupfs backend (--max-parallel=$PARALLEL)" "${RATE[cgroupfs]}"
printf '  %-44s %8.1fx\n' "systemd backend / systemd-run loop" "$(bc -l <<<"${RATE[systemd]} / ${RATE[systemd-run]}")"
printf '  %-44s %8.0f%%\n' "systemd backend / bare client ceiling" "$(bc -l <<<"100 * ${RATE[systemd]} / ${RATE[ceiling]}")"
