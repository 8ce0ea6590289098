#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Slurm client (src/slurm) on a real one-node cluster: tests/slurm-client-test.c submits jobs through
# libslurm and follows them with one query per interval; it checks what each job's end is reported as
# (exit codes, a signal, a cancel, a pending job killed, licences, a refused submission, an id slurmctld
# never gave, the words and environment the job sees) and that a fresh client re-adopts running jobs by
# their ids; a job suspended and resumed; OUT_OF_MEMORY where the cluster enforces --mem; NODE_FAIL when
# slurmd dies under a job. With SLURM_CLIENT_TEST_TIMEOUT=1, also a job over its 1 min time limit (slow:
# ~90 s).
# Usage (meson): slurm-client.sh PATH-TO-slurm-client-test
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/slurm.sh"

prog=${1:-}
[[ -x "$prog" ]] || skip "the test program (slurm-client-test) is not built"
setup
rc=0
slurm_cluster_start "$TEST_TMP/slurm" "simlic:2" || rc=$?
[[ $rc == 0 ]] || { [[ $rc == 77 ]] && skip "Slurm cannot start (see above)"; fail "the cluster did not start (logs above)"; }

# libslurm leaks slurmctld's answer to a refused submission (slurm-lsan.supp says where).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "$0")" && pwd)/slurm-lsan.supp"

shared="$SLURM_SHARED/$(id -u)"
mkdir -p "$shared"
args=(scenario)
[[ "${SLURM_CLIENT_TEST_TIMEOUT:-0}" == 1 ]] && args+=(--timeout)
# MemoryMax -> --mem is enforced only where the cluster both constrains memory (task/cgroup) and
# allocates it (SelectTypeParameters with Memory; otherwise a job's limit is the whole node).
if [[ "$SLURM_PROCTRACK" == cgroup ]] && grep -qi '^SelectTypeParameters=.*memory' "$SLURM_CONF" &&
        command -v python3 >/dev/null; then
        args+=(--oom)
else
        note "no OUT_OF_MEMORY check: this cluster does not enforce --mem (proctrack/$SLURM_PROCTRACK," \
                "$(grep -i '^SelectTypeParameters=' "$SLURM_CONF" || echo 'no SelectTypeParameters')); " \
                "SLURM_CLIENT_TEST_OOM=1 forces it"
fi
[[ "${SLURM_CLIENT_TEST_OOM:-0}" == 1 && " ${args[*]} " != *" --oom "* ]] && args+=(--oom)

out="$TEST_TMP/scenario.out"
rc=0
(cd "$TEST_TMP" && timeout -k 5 180 "$prog" "$SLURM_CONF" "$shared" "${args[@]}") >"$out" 2>&1 || rc=$?
cat "$out" >&2
assert_eq 0 "$rc" "slurm-client-test scenario (its FAIL lines are above)"
assert_contains "scenario: ok" "$(cat "$out")" "the scenario's last line"
# Every job reported by its Slurm id, and the fresh client saw the running ones again.
assert_contains "restart: dropping the client" "$(cat "$out")" "the restart step"
assert_match "job [0-9]+ \(restart\): completed" "$(cat "$out")" "the re-adopted job's end"
assert_match "job [0-9]+ \(pending-killed\): cancelled node=n/a reason=Licenses" "$(cat "$out")" \
        "the job waiting for the licences, cancelled"

# The client freed while 200 submissions are under way: none of them is left in the cluster unseen.
out="$TEST_TMP/stop.out"
rc=0
(cd "$TEST_TMP" && timeout -k 5 60 "$prog" "$SLURM_CONF" "$shared" stop) >"$out" 2>&1 || rc=$?
cat "$out" >&2
assert_eq 0 "$rc" "slurm-client-test stop (its FAIL lines are above)"
assert_match "stop: [0-9]+ of 200 submissions reached slurmctld, 0 left behind" "$(cat "$out")" "stop"

# A node failure under a running job: NODE_FAIL (jobd's "lost", retryable).
out="$TEST_TMP/nodefail.out"
(cd "$TEST_TMP" && exec timeout -k 5 120 "$prog" "$SLURM_CONF" "$shared" nodefail) >"$out" 2>&1 &
nodefail_pid=$!
BG_PIDS+=("$nodefail_pid")
wait_until 60 "the node-fail job to run" grep -q '^running ' "$out"
slurm_node_stop
rc=0
wait "$nodefail_pid" || rc=$?
cat "$out" >&2
assert_eq 0 "$rc" "slurm-client-test nodefail (its FAIL lines are above)"
assert_match "job [0-9]+ \(node-fail\): node-fail node=localhost" "$(cat "$out")" "the job on the failed node"
slurm_node_start

# What slurm_client_new() refuses, each with its line, in seconds and without libslurm ending the process:
# a missing or unprocessable slurm.conf, unsupported ExtraOptions, a controller that does not answer.
port=$(sed -n 's/^SlurmctldPort=\([0-9]*\).*/\1/p' "$SLURM_CONF")
dead_port=$((port + 1000))
sed "s/^SlurmctldPort=.*/SlurmctldPort=$dead_port/" "$SLURM_CONF" >"$TEST_TMP/dead.conf"
printf 'ClusterName=broken\nSlurmctldHost=\nNodeName=a CPUs=many\n' >"$TEST_TMP/malformed.conf"
out="$TEST_TMP/unreachable.out"
rc=0
(cd "$TEST_TMP" && timeout -k 5 60 "$prog" "$TEST_TMP/dead.conf" "$shared" unreachable "$TEST_TMP/malformed.conf") \
        >"$out" 2>&1 || rc=$?
cat "$out" >&2
assert_eq 0 "$rc" "slurm-client-test unreachable (its FAIL lines are above)"
assert_contains "cannot read Slurm's configuration /nonexistent/slurm.conf" "$(cat "$out")" "missing slurm.conf"
assert_contains "libslurm cannot process the configuration $TEST_TMP/malformed.conf" "$(cat "$out")" \
        "malformed slurm.conf"
assert_contains "extra option --mem=1G is set from the job's own settings" "$(cat "$out")" "ExtraOptions"
assert_match "slurmctld (did not answer within 5s|does not answer: )" "$(cat "$out")" \
        "a controller that does not answer"
