#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# GNU make jobserver in system mode: each user's jobs get a jobserver of their own, a FIFO that is
# theirs (0600, in a 0700 folder of theirs) and that no other user can open; make 4.3 runs on it (pipe
# style: fds 3 and 4) as the job's user.
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"
command -v make >/dev/null || skip "no make"

setup
system_bus_start
user_add alice
user_add bob
alice_uid=$(id -u "$alice")
# As units/jobd.service makes it (StateDirectoryMode=0755): users reach their folders below it.
chmod 755 "$STATE_DIR"
jobd_start --system --max-parallel=4

release="$TEST_TMP/release"
mkdir -m 777 "$TEST_TMP/x"
# alice's job holds its FIFO open until released; its path is in its MAKEFLAGS.
out=$(as_user "$alice" "$JOBCTL" submit --jobserver=fifo -- sh -c '
        p=${MAKEFLAGS##*fifo:}; echo "$p" > "$0/path"; exec 5<>"$p" && echo opened
        while [ ! -e "$1" ]; do sleep 0.05; done' "$TEST_TMP/x" "$release") || fail "alice cannot submit: $out"
a=$(parse_id "$out")
wait_until 20 "alice's job to open its FIFO" test -s "$TEST_TMP/x/path"
p=$(cat "$TEST_TMP/x/path")
assert_eq "$STATE_DIR/jobserver/$alice_uid/global" "$p" "the FIFO of alice's jobs"
assert_eq "p 600 $alice_uid" "$(stat -c '%F %a %u' "$p" | sed 's/^fifo/p/')" "type, mode and owner of alice's FIFO"
assert_eq "700 $alice_uid" "$(stat -c '%a %u' "$(dirname "$p")")" "mode and owner of alice's jobserver folder"
# Nobody else reaches it.
as_user "$bob" sh -c 'exec 5<>"$0"' "$p" 2>/dev/null && fail "bob opened alice's jobserver FIFO"
as_user "$bob" sh -c 'ls "$0"' "$(dirname "$p")" >/dev/null 2>&1 && fail "bob listed alice's jobserver folder"

# make 4.3 on the pipe style as alice: 8 recipes, at most 4 at once (alice's job above holds one slot).
W="$TEST_TMP/x/mk"
mkdir -m 777 "$W"
printf 'all: t1 t2 t3 t4 t5 t6 t7 t8\nt%%:\n\t@echo "S $$(date +%%s%%N)" >> log; sleep 0.3; echo "E $$(date +%%s%%N)" >> log\n' \
        >"$W/Makefile"
out=$(as_user "$alice" "$JOBCTL" submit --jobserver --setenv=PATH="$PATH" -- make -C "$W") ||
        fail "alice cannot submit make: $out"
m=$(parse_id "$out")
wait_done "$m" 30
assert_eq success "$(job_prop "$m" Result)" "Result of alice's make"
assert_eq 8 "$(grep -c '^E ' "$W/log")" "recipes of alice's make"
peak=$(sort -k2,2n "$W/log" | awk '$1 == "S" { n++ } $1 == "E" { n-- } { if (n > m) m = n } END { print m }')
note "alice's make: $peak recipes at once, beside a job of hers holding one slot of 4"
assert_int "$peak" -le 3 "recipes at once (4 slots, one held by another job)"
assert_int "$peak" -ge 2 "recipes at once (tokens used)"
assert_eq "$alice_uid" "$(stat -c %u "$W/log")" "the recipes ran as alice"
touch "$release"
wait_done "$a"
