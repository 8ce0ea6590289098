#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Memory a daemon keeps for finished jobs (issue 7, item 8): submits N jobs of the largest spec allowed
# (256 KiB of Argv and 256 KiB of Environment each, command /bin/true) as root on a private jobd, waits
# until all are done, and prints jobd's VmRSS before, right after the submissions, and once all are done.
# With --hold the daemon drains while the jobs are submitted (all of them are held unfinished at once,
# the peak a user's quota bounds), then resumes. Prints figures; never passes or fails on them. Needs root
# (it creates a cgroup).
#
#   bench/spec-memory.sh [--jobs=N] [--hold] [--build-dir=DIR]
#
# DIR (default: build) must be built already; use a build without sanitizers (AddressSanitizer keeps
# freed memory in quarantine, so its RSS says nothing about what the daemon gives back).

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
JOBS=1000
HOLD=0
for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS=${arg#*=} ;;
        --hold) HOLD=1 ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h|--help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "spec-memory.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done

export JOBD=$BUILD/src/jobd/jobd JOBCTL=$BUILD/src/jobctl/jobctl JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec
export SPAWN_TREE=$BUILD/tests/helpers/spawn-tree
[[ -x "$SPAWN_TREE" ]] || SPAWN_TREE=$BUILD/bench/spawn-tree
# The test harness: private bus, cgroup root, state folder, cleanup by pid on exit.
# shellcheck source=../tests/helpers/lib.sh
. "$SRC/tests/helpers/lib.sh"
jobd_start --max-parallel=4

rss() {
        awk '/^VmRSS:/ { print $2 }' "/proc/$JOBD_PID/status"
}

# 255 arguments and 255 variables of 1 KiB: just under the 256 KiB each of Argv and Environment.
chunk=$(printf '%01020d' 0)
argv=(true)
env=()
for i in $(seq 254); do
        argv+=("$chunk")
        env+=("V$i=${chunk:0:1016}")
done

before=$(rss)
((HOLD == 0)) || mcall Drain >/dev/null
start=$(now_ms)
last=""
for i in $(seq "$JOBS"); do
        last=$(bsubmit 2 Argv as "${#argv[@]}" "${argv[@]}" Environment as "${#env[@]}" "${env[@]}")
done
submitted=$(rss)
((HOLD == 0)) || mcall Resume >/dev/null
"$JOBCTL" wait "$last" >/dev/null
wait_until 600 "all $JOBS jobs to be done" eval '[[ "$(mgr_prop JobsRunning) $(mgr_prop JobsQueued)" == "0 0" ]]'
done_rss=$(rss)
printf 'jobs: %s of %s KiB spec each, in %s ms\n' "$JOBS" $(((${#argv[@]} + ${#env[@]}) * 1024 / 1024)) \
        $(($(now_ms) - start))
printf 'jobd VmRSS: %s KiB before, %s KiB after the submissions, %s KiB once all are done\n' \
        "$before" "$submitted" "$done_rss"
