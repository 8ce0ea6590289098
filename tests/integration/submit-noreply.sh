#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Accepted means created (issue 9, item 4): fire-and-forget Submits (no reply expected, the sender exits at
# once) are each either created or refused with a line in the daemon's log, never dropped silently; a
# --user daemon (this one) runs every job as itself and creates them all, even when the sender has left
# before its uid could be asked for.
. "$(dirname "$0")/../helpers/lib.sh"
setup
jobd_start

N=40
for i in $(seq 1 "$N"); do
        busctl --address="$BUS" --expect-reply=no call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit \
                'a{sv}' 2 Argv as 1 true Name s "ff-$i" || fail "busctl could not send Submit $i"
done
accounted() {
        local created refused
        created=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs |
                jq '[.data[0][] | select(.[1] | startswith("ff-"))] | length')
        refused=$(grep -c "Submit from .* refused: cannot learn the sender's uid" "$JOBD_LOG" || true)
        echo "$created created, $refused refused with a log line" >"$TEST_TMP/accounted"
        ((created + refused == N))
}
wait_until 20 "every fire-and-forget Submit to be created or logged as refused" accounted
note "$(cat "$TEST_TMP/accounted")"
assert_contains "$N created" "$(cat "$TEST_TMP/accounted")" "fire-and-forget Submits to a --user daemon"
daemon_still_ok
