#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A full state folder (issue 9, item 3), on a small tmpfs: a Submit or SubmitPlan whose line cannot be
# written is refused with org.jobd1.Error.StateFull naming the folder and the errno; jobs accepted before
# stay (also across a restart); the daemon keeps running and says so once per episode, with the right
# errno; a restart on the full disk starts read-only; once there is space again, jobs are accepted and
# started, and a restart brings back every accepted one.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup

FS="$TEST_TMP/fs"
mkdir "$FS"
mount -t tmpfs -o size=1m,mode=0755 jobd-test-state "$FS" 2>/dev/null || skip "cannot mount a tmpfs"
# Lazily: jobd may still hold it open when the harness's hooks run.
unmount_fs() {
        umount -l "$FS" 2>/dev/null || true
}
CLEANUP_HOOKS+=(unmount_fs)
STATE_DIR="$FS/state"
mkdir -m 0755 "$STATE_DIR"
jobd_start

before=$(submit --name=before -- true)
wait_done "$before"
long=$(submit --name=long -- sh -c "while [ ! -e $TEST_TMP/release ]; do sleep 0.05; done")
wait_state "$long" running

fill() {
        dd if=/dev/zero of="$FS/fill" bs=4k 2>/dev/null || true
        # What a page of the file system still takes: filled up to the last byte.
        dd if=/dev/zero of="$FS/fill2" bs=1 2>/dev/null || true
}
fill

# The last page of state.log may still take a few lines: those Submits are accepted, and must stay.
accepted=()
for i in $(seq 1 200); do
        bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Name s "fits-$i"
        [[ "$BUS_OK" == 1 ]] || break
        [[ "$BUS_OUT" =~ ^to\ ([0-9]+) ]] && accepted+=("${BASH_REMATCH[1]}")
done
[[ "$BUS_OK" == 0 ]] || fail "200 Submits accepted on a full state folder"
assert_eq org.jobd1.Error.StateFull "$BUS_ERR_NAME" "the first refusal on a full state folder"
note "${#accepted[@]} Submits fitted into the file's last page"
refused=0
for i in $(seq 1 50); do
        bus_try call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Name s "full-$i"
        if [[ "$BUS_OK" == 1 ]]; then
                soft_fail "Submit $i on a full state folder was accepted: $BUS_OUT"
                continue
        fi
        [[ "$BUS_ERR_NAME" == org.jobd1.Error.StateFull ]] ||
                soft_fail "Submit $i: expected org.jobd1.Error.StateFull, saw $BUS_ERR_NAME ($BUS_ERR_MSG)"
        refused=$((refused + 1))
done
assert_eq 50 "$refused" "Submits refused on a full state folder"
assert_contains "$STATE_DIR" "$BUS_ERR_MSG" "the refusal names the state folder"
assert_contains "No space left on device" "$BUS_ERR_MSG" "the refusal names the errno"
printf '{ "jobs": [ { "name": "p", "command": "true" } ] }' >"$TEST_TMP/plan.json"
run_rc rc jobctl plan "$TEST_TMP/plan.json"
assert_ne 0 "$rc" "jobctl plan on a full state folder"
assert_contains "cannot be written (No space left on device)" "$(jobctl plan "$TEST_TMP/plan.json" 2>&1 || true)" "the plan's refusal"
daemon_still_ok
n=$(grep -c "Cannot write $STATE_DIR/state.log" "$JOBD_LOG" || true)
assert_eq 1 "$n" "lines that say the state folder cannot be written (once per episode)"
assert_contains "No space left on device" "$(grep "Cannot write $STATE_DIR/state.log" "$JOBD_LOG")" \
        "the errno in the log"
assert_not_contains "Input/output error" "$(cat "$JOBD_LOG")" "a wrong errno in the log"
assert_eq success "$(job_prop "$before" Result)" "a job accepted before the disk filled"

# A restart on the full disk: it starts (read-only), keeps what it had, refuses new jobs.
jobd_crash
jobd_start
assert_eq success "$(job_prop "$before" Result)" "the job accepted before, after a restart on a full disk"
assert_eq running "$(job_prop "$long" State)" "the running job, re-adopted after a restart on a full disk"
expect_bus_error org.jobd1.Error.StateFull "Submit after a restart on a full disk" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit "a{sv}" 1 Argv as 1 true

bus_try_ok() {
        bus_try "$@"
        [[ "$BUS_OK" == 1 ]]
}

# Space again: within the retry interval, jobs are accepted and started again.
rm -f "$FS/fill" "$FS/fill2"
wait_until 10 "the daemon to accept jobs again" bus_try_ok call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true Name s after
after=$(jq -r '.[] | .[0]' <<<"$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs |
        jq -c '[.data[0][] | select(.[1] == "after")]')")
wait_done "$after"
# Its exit status file needs space too: released once there is some.
touch "$TEST_TMP/release"
wait_done "$long" 20
assert_eq success "$(job_prop "$long" Result)" "the job that ran while the disk was full"
assert_contains "can be written again" "$(cat "$JOBD_LOG")" "the end of the episode in the log"
jobd_crash
jobd_start
for id in "$before" "$long" "$after"; do
        assert_eq success "$(job_prop "$id" Result)" "job $id after a restart with space again"
done
# Those ran while the disk was full, where even their exit status files had no room: they are there.
for id in "${accepted[@]}"; do
        assert_eq done "$(job_prop "$id" State)" "job $id, accepted in the file's last page, after a restart"
done
n=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs | jq '[.data[0][] | select(.[1] | startswith("full-"))] | length')
assert_eq 0 "$n" "refused jobs after the restart"
daemon_still_ok
