#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cgroup root removed and made again while jobd runs (issue 9, item 7): jobd notices, says so once,
# starts no job meanwhile (they stay queued instead of failing one after the other), and starts them once
# the root is back.
# What it tests is the cgroupfs backend's (jobd started here with --cgroup-root): no -systemd variant.
if [[ "${JOBD_TEST_BACKEND:-}" == systemd ]]; then
        echo "SKIP: cgroupfs backend only" >&2
        exit 77
fi
. "$(dirname "$0")/../helpers/lib.sh"
setup
jobd_start

first=$(submit -- true)
wait_done "$first"
assert_eq success "$(job_prop "$first" Result)" "a job before the root is removed"
wait_until 10 "the finished job's cgroup to be removed" eval '[[ ! -d "$CG_ROOT/jobd-$first" ]]'
rmdir "$CG_ROOT" || fail "cannot remove the cgroup root $CG_ROOT"

ids=()
for i in 1 2 3; do
        ids+=("$(submit --name="while-gone-$i" -- true)")
done
holds_for 1.5 job_state_is "${ids[2]}" queued || fail "a job submitted while the root is gone left the queue"
for id in "${ids[@]}"; do
        assert_eq queued "$(job_prop "$id" State)" "job $id while the cgroup root is gone"
done
assert_eq 1 "$(grep -c "cgroup root .* was removed" "$JOBD_LOG")" "lines that say the root was removed"
daemon_still_ok

mkdir "$CG_ROOT"
for id in "${ids[@]}"; do
        wait_done "$id" 10
        assert_eq success "$(job_prop "$id" Result)" "job $id once the cgroup root is back"
done
assert_contains "is there again" "$(cat "$JOBD_LOG")" "the log once the root is back"
daemon_still_ok
