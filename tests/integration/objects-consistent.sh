#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 10, item 8: GetManagedObjects() is answered in slices over several loop iterations, and its reply
# has each job as it was when its entry went in. A signal about such a job must not go out before the
# reply: the caller gets it first, and the reply undoes it (a job removed stayed in the caller's view, a
# changed Priority went back). Checked with a client that applies what it gets in the order it arrives,
# and that changes jobs while its GetManagedObjects() is answered: removes 300 done jobs and sets a
# queued job's priority, all sent right behind the call. Afterwards its view must be the daemon's: the
# same objects, with the same State, Result, Priority and Held (jobs) and State and ResultCounts (runs).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
N=${OBJECTS_JOBS:-8000}
/usr/bin/python3 -c 'import dbus_next' 2>/dev/null ||
        skip "/usr/bin/python3 lacks dbus_next (Debian: python3-dbus-next, see .ci/deps)"
jobd_start --max-parallel=1 --keep-finished=$((N + 1000))

# 300 done jobs to remove, then a running job and one queued behind it (the daemon runs one job at a
# time), then a plan of N jobs, cancelled: N more done jobs that the reply takes a while to go through.
first=$(/usr/bin/python3 "$HARNESS_DIR/objects-view.py" "$BUS" submit 300 2>&1) ||
        fail "objects-view.py submit failed: $first"
s=$(submit -- sleep 3600)
wait_state "$s" running
q=$(submit -- true)
out=$(/usr/bin/python3 "$HARNESS_DIR/plan-cancel-at-once.py" "$BUS" "$N" 2>&1) ||
        fail "plan-cancel-at-once.py failed: $out"
run=$(awk '$1 == "run" { print $2 }' <<<"$out")
wait_run_done "$run" 120
assert_eq queued "$(job_prop "$q" State)" "job $q, queued behind job $s"

out=$(/usr/bin/python3 "$HARNESS_DIR/objects-view.py" "$BUS" view "$q" "$first" 300 2>&1) ||
        fail "objects-view.py failed: $out"
log "$(head -3 <<<"$out" | tr '\n' ' ')"
early=$(awk '$1 == "removed-early" { print $2 }' <<<"$out")
stale=$(awk '$1 == "stale" { print $2 }' <<<"$out")
# Else the client's calls were all answered before or after the reply, and nothing was checked.
assert_int "$early" -gt 0 "jobs removed after their entry went into the reply and before it went out"
assert_eq 0 "$stale" "objects that the client's view has wrong: $(grep stale-object <<<"$out" | head -3)"
assert_eq 7 "$(job_prop "$q" Priority)" "Priority of job $q"
