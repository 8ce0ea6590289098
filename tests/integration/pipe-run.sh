#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `jobctl run --pipe` connects the client's stdin/stdout/stderr to the job (passed as fds) and exits with
# the job's exit code.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

out=$(printf 'hello\nworld\n' | jobctl run --pipe -- tr a-z A-Z) || fail "run --pipe tr failed: $?"
assert_eq $'HELLO\nWORLD' "$out" "stdout of run --pipe tr a-z A-Z"

rc=0
out=$(jobctl run --pipe -- sh -c 'echo to-out; echo to-err >&2; exit 5' 2>"$TEST_TMP/err") || rc=$?
assert_eq 5 "$rc" "exit code of run --pipe"
assert_eq to-out "$out" "stdout of run --pipe"
assert_eq to-err "$(cat "$TEST_TMP/err")" "stderr of run --pipe"

# Larger than a pipe buffer in both directions.
head -c 3000000 /dev/urandom >"$TEST_TMP/big"
jobctl run --pipe -- cat <"$TEST_TMP/big" >"$TEST_TMP/big.out" || fail "run --pipe cat of 3 MB failed"
cmp -s "$TEST_TMP/big" "$TEST_TMP/big.out" || fail "run --pipe cat: output differs from the 3 MB input"

# The job reads EOF when the client's stdin ends.
out=$(jobctl run --pipe -- wc -l </dev/null) || fail "run --pipe wc -l </dev/null failed"
assert_eq 0 "$(echo $out)" "wc -l of an empty stdin"

expect_rc 143 "run --pipe of a job killing itself with SIGTERM" jobctl run --pipe -- sh -c 'kill -TERM $$'
