#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# regression.plan.json on a private one-node Slurm cluster (tests/helpers/slurm.sh: its own slurm.conf,
# munge key, slurmctld and slurmd) and a private jobd (its own bus, cgroup and state folder): the build and
# the coverage merge run here, the four simulations on the cluster, two at a time (the vcs_license pool is
# a Slurm licence there). Everything goes away when the script exits.
#
#   examples/slurm/run.sh [BUILD_DIR]        (as root: slurmd runs jobs as their users; default: build)
set -euo pipefail
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/helpers/slurm.sh"
cluster=$(mktemp -d /tmp/jobd-slurm-example.XXXXXX)
trap 'slurm_cluster_stop; rm -rf "$cluster"' EXIT
slurm_cluster_start "$cluster/cluster" "vcs_license:2"
cp "$here/jobd.conf" "$cluster/jobd.conf"
slurm_jobd_conf "$cluster/jobd.conf"

. "$here/../private-jobd.sh"
private_jobd_start slurm-example "${1:-build}" --config="$cluster/jobd.conf" --max-parallel=0
trap 'private_jobd_cleanup; slurm_cluster_stop; rm -rf "$cluster"' EXIT

# The plan's commands are found relative to its folder: a copy beside a copy of the fake steps, on the
# folder the "nodes" share.
mkdir -p "$SLURM_SHARED/example"
cp -r "$here" "$SLURM_SHARED/example/slurm"
cp -r "$here/../regression" "$SLURM_SHARED/example/regression"
chmod -R a+rX "$SLURM_SHARED/example"
echo "== the nightly plan: a local build, four simulations on the cluster, a local coverage merge"
jobctl plan --wait --progress "$SLURM_SHARED/example/slurm/regression.plan.json" || true
echo
jobctl list
echo
for id in $(jobctl list --no-legend | awk '{ print $1 }'); do
        jobctl show "$id" | awk -v id="$id" '/^(Name|Backend|SlurmJobId|Result):/ { l = l " " $1 " " $2 }
                END { print id ":" l }'
done
echo
echo "== Slurm's view of the simulations"
scontrol -o show job 2>/dev/null | tr ' ' '\n' | grep -E '^(JobId|JobName|JobState|Licenses)=' | paste - - - - || true
