#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Cost of the run reports and the live view (issue 11, items 3, 4 and 6) on a private jobd: a plan of N
# jobs (one in ten fails after writing a few lines of log) is run twice under the same name, the first
# time with `jobctl plan --wait` piped (a line per job event), and prints:
#   - the wall time of plan --wait against a plain submission waited for by polling the run's State
#     (what the live view adds to the run, if anything), and jobctl's own CPU time while it follows;
#   - the wall and CPU time of `jobctl report --write` (report.xml, report.json, summary.md with the
#     comparison: both runs read over the bus, the failed jobs' logs opened), per job;
#   - the wall time of `jobctl compare --json`, per job.
# Prints figures; never passes or fails on them. Needs root (it creates a cgroup).
#
#   bench/report.sh [--jobs=N] [--build-dir=DIR]
#
# DIR (default: build) must be built already; a build without sanitizers gives the figures that count.

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
JOBS=2000
for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h|--help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "report.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done

export JOBD=$BUILD/src/jobd/jobd JOBCTL=$BUILD/src/jobctl/jobctl JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec
export SPAWN_TREE=$BUILD/tests/helpers/spawn-tree
[[ -x "$SPAWN_TREE" ]] || SPAWN_TREE=$BUILD/bench/spawn-tree
# shellcheck source=../tests/helpers/lib.sh
. "$SRC/tests/helpers/lib.sh"
setup
printf '[Runs]\nKeepRuns=3\n' >"$TEST_TMP/jobd.conf"
jobd_start --max-parallel=16 --config="$TEST_TMP/jobd.conf"

plan="$TEST_TMP/plan.json"
{
        echo '{ "name": "bench", "jobs": ['
        for i in $(seq "$JOBS"); do
                if ((i % 10 == 0)); then
                        cmd="\"sh\", \"-c\", \"echo line 1; echo line 2; echo mismatch $i; exit 1\""
                else
                        cmd="\"true\""
                fi
                printf '  { "name": "t%s", "group": "g%s", "command": [%s] }%s\n' "$i" $((i % 4)) "$cmd" \
                        "$( ((i < JOBS)) && echo , )"
        done
        echo '] }'
} >"$plan"

cpu_of() {  # the user+system CPU seconds of the children waited for by the command
        local t
        t=$( { TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>&1; } 2>&1 ) || true
        awk '{ printf "%.2f", $1 + $2 }' <<<"$t"
}

# 1. plain: submit, poll State
start=$(now_ms)
run=$("$JOBCTL" --json=short plan "$plan" | jq -r .run)
until [[ "$(unwrap "$(bctl get-property org.jobd1 /org/jobd1/run/"$run" org.jobd1.Run State)")" == done ]]; do
        sleep 0.05
done
plain_ms=$(($(now_ms) - start))

# 2. plan --wait, piped: the live view's lines
start=$(now_ms)
cpu=$(cpu_of "$JOBCTL" plan --wait "$plan")
wait_ms=$(($(now_ms) - start))
run2=$(("$run" + 1))

out="$TEST_TMP/out"
mkdir -p "$out"
start=$(now_ms)
rcpu=$(cpu_of "$JOBCTL" report "$run2" --write="$out")
report_ms=$(($(now_ms) - start))
[[ -s "$out/report.xml" ]] || { echo "report.sh: no report.xml written" >&2; exit 1; }

start=$(now_ms)
"$JOBCTL" --json=short compare "$run2" "$run" >"$TEST_TMP/cmp.json"
compare_ms=$(($(now_ms) - start))

printf 'jobs per run: %s (%s failing)\n' "$JOBS" $((JOBS / 10))
printf 'run, submitted and polled:           %6s ms\n' "$plain_ms"
printf 'run, plan --wait piped (live lines): %6s ms, jobctl CPU %s s\n' "$wait_ms" "$cpu"
printf 'report --write (3 files, comparison): %5s ms, jobctl CPU %s s, %s us per job\n' "$report_ms" "$rcpu" \
        $((report_ms * 1000 / JOBS / 2))
printf 'compare --json (two runs):           %6s ms, %s us per job\n' "$compare_ms" $((compare_ms * 1000 / JOBS / 2))
printf 'report sizes: report.xml %s KiB, report.json %s KiB, summary.md %s KiB\n' \
        $(($(stat -c %s "$out/report.xml") / 1024)) $(($(stat -c %s "$out/report.json") / 1024)) \
        $(($(stat -c %s "$out/summary.md") / 1024))
