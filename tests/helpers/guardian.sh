#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guardian.sh TEST_TMP FIFO: started by lib.sh in a session of its own. Waits for EOF on FIFO (the test
# shell is gone); if the shell did not clean up (its $TEST_TMP is still there), stops the processes it
# recorded in TEST_TMP/harness.state (by pid, checked against their start time), empties and removes the
# test cgroups and the temporary directory.
. "$(dirname "$0")/lib.sh"
set +e
trap '' PIPE INT TERM HUP
tmp=$1 fifo=$2
exec 8<"$fifo"
read -r -u 8 _
exec 8<&-
state="$tmp/harness.state"
[[ -f "$state" ]] || exit 0
grep -q '^CLEAN=1$' "$state" && exit 0

CG_NAME=$(sed -n 's/^CG_NAME=//p' "$state")
# Background helpers and jobd first (jobd would otherwise go on starting jobs), the bus last.
for key in BG JOBD DBUS; do
        while IFS=: read -r pid st; do
                [[ -n "$pid" ]] && kill_foreign "$pid" "$st"
        done < <(sed -n "s/^$key=//p" "$state")
done
[[ -n "$CG_NAME" ]] && cgroup_cleanup
users_cleanup $(sed -n 's/^TUSER=//p; s/^TGROUP=//p' "$state")
rm -rf "$tmp"
