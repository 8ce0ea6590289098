#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 13: the Slurm client (src/slurm) alone, on the private one-node cluster of tests/helpers/slurm.sh:
# N jobs submitted through the client's worker thread (held, --hold, so that they stay in the cluster's
# table), followed for a few poll intervals, then cancelled. Prints submissions/s and the time per
# slurm_submit_batch_job(), the time of one slurm_load_jobs() with the whole table (N jobs and more: the
# jobs of earlier rounds stay MinJobAge=300 s), the event loop's worst lateness meanwhile (a 10 ms timer
# in the same loop: the queries run on the worker, not on the loop), and cancels/s. Never passes or fails.
#
#   bench/slurm-client.sh [--jobs=N[,N...]] [--build-dir=DIR]
#
# --jobs: default 1000,10000. DIR (default build) must hold tests/integration/slurm-client-test
# (-Dtests=true, libslurm found). Needs root, slurmctld, slurmd, munged (as the tests do).

set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
JOBS_LIST=1000,10000
for arg in "$@"; do
        case $arg in
        --jobs=*) JOBS_LIST=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        -h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "slurm-client.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "slurm-client.sh: needs root" >&2; exit 77; }
PROG=$BUILD/tests/integration/slurm-client-test
[[ -x "$PROG" ]] || { echo "slurm-client.sh: $PROG is not built" >&2; exit 77; }

# shellcheck source=../tests/helpers/slurm.sh
. "$SRC/tests/helpers/slurm.sh"
TMP=$(mktemp -d /tmp/jobd-bench-slurm-client.XXXXXX)
trap 'slurm_cluster_stop; rm -rf "$TMP"' EXIT
slurm_cluster_start "$TMP/slurm" "simlic:2"
mkdir -p "$SLURM_SHARED/0"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SRC/tests/integration/slurm-lsan.supp"

IFS=, read -ra jobs <<<"$JOBS_LIST"
for n in "${jobs[@]}"; do
        echo "== $n jobs (cluster: proctrack/$SLURM_PROCTRACK) =="
        (cd "$TMP" && "$PROG" "$SLURM_CONF" "$SLURM_SHARED/0" bench "$n") | grep '^bench:'
done
