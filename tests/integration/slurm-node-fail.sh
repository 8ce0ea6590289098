#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Node failure on the private one-node cluster: slurmd stops (SIGKILL) while two cluster jobs run; Slurm
# declares the node DOWN and the jobs NODE_FAIL. The job without retries is done with result lost and a
# Reason naming the node; the one with Retries=1 is retried (lost is retried by default for cluster jobs),
# waits in Slurm while the node is down, and succeeds once slurmd is back. Its Attempts keep the lost one.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/slurm.sh"
slurm_require_backend
setup

slurm_test_cluster
conf="$TEST_TMP/jobd.conf"
: >"$conf"
slurm_jobd_conf "$conf"
jobd_start --config="$conf" --backend=slurm --max-parallel=0

marker="$SLURM_SHARED/attempted"
# The first attempt marks that it ran and waits for the failure; the second one finds the mark and ends.
retried=$(submit --retries=1 -- sh -c "if [ -e $marker ]; then echo second attempt; exit 0; fi; echo 1 >$marker; sleep 1000")
lost=$(submit -- sleep 1000)
wait_state "$retried" running 30
wait_state "$lost" running 30
first_sid=$(job_prop "$retried" SlurmJobId)
wait_file "$marker"

slurm_node_stop
wait_done "$lost" 60
assert_eq lost "$(job_prop "$lost" Result)" "Result of a cluster job whose node failed"
assert_contains "node localhost failed" "$(job_prop "$lost" Reason)" "Reason of the lost job"
assert_eq NODE_FAIL "$(slurm_job_field "$(job_prop "$lost" SlurmJobId)" JobState)" "Slurm's state of it"

# The retry is submitted while the node is down: it waits in Slurm.
wait_until 30 "job $retried to be submitted again" eval "[[ \$(job_prop $retried SlurmJobId) != $first_sid && \$(job_prop $retried SlurmJobId) != 0 ]]"
assert_eq starting "$(job_prop "$retried" State)" "State of the retry while the node is down"
slurm_node_start
wait_done "$retried" 60
assert_eq success "$(job_prop "$retried" Result)" "Result of the retried job once the node is back"
attempts=$(job_prop_json "$retried" Attempts)
assert_eq 2 "$(jq 'length' <<<"$attempts")" "attempts of the retried job"
assert_eq lost "$(jq -r '.[0][2]' <<<"$attempts")" "result of its first attempt"
assert_contains "second attempt" "$(jobctl logs "$retried")" "the log has the second attempt's output"
daemon_still_ok
