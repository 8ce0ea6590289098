#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile clients on the bus (issue 10): tests/helpers/bus-fuzz makes 10,000 random calls against this
# build of jobd (the CI build has ASan+UBSan) — wrong signatures, random a{sv} keys and variant types,
# huge, empty and nested values, random object paths — then 50 clients at once, 10 times, disconnect
# mid-call. Every call must get a reply; afterwards jobd is running with no sanitizer report, answers
# Ping within 1 s, and once the jobs the fuzzer submitted are gone its RSS is back within 64 MiB of what
# it was before. BUS_FUZZ_SEED picks another sequence (the seed is printed).
. "$(dirname "$0")/../helpers/lib.sh"
[[ -x "${BUS_FUZZ:-}" ]] || skip "bus-fuzz is not built"
# Freed memory held back by ASan's quarantine would look like growth.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
jobd_start --keep-finished=0 --max-parallel=4

rss() {
        awk '/^VmRSS:/ { print $2 }' "/proc/$JOBD_PID/status"
}

# Warm up (first allocations of each path), then the baseline.
"$BUS_FUZZ" "$BUS" 1 200 0 >/dev/null 2>&1 || true
before=$(rss)
seed=${BUS_FUZZ_SEED:-$(date +%s)}
log "seed $seed, RSS before: ${before} kB"

rc=0
"$BUS_FUZZ" "$BUS" "$seed" 10000 50 >"$TEST_TMP/fuzz.out" 2>&1 || rc=$?
cat "$TEST_TMP/fuzz.out" >&2
[[ "$rc" == 0 ]] || soft_fail "bus-fuzz (seed $seed) exited $rc: a call got no reply or the daemon left"
jobd_alive || fail "jobd died during the fuzzing (seed $seed): $(tail -n 30 "$JOBD_LOG")"

# The daemon answers at once.
t0=$(now_ms)
busctl --address="$BUS" --timeout=1 call org.jobd1 /org/jobd1 org.freedesktop.DBus.Peer Ping \
        >/dev/null 2>"$TEST_TMP/ping.err" ||
        fail "Ping not answered within 1 s after the fuzzing: $(cat "$TEST_TMP/ping.err")"
log "Ping answered in $(($(now_ms) - t0)) ms"

# Undo what the fuzzer may have held back, cancel what it submitted; the done jobs are dropped
# (--keep-finished=0).
mcall Resume >/dev/null || true
mcall SetMaxParallel u 4 >/dev/null || true
for _ in 1 2 3; do
        ids=$(jobctl list --json=short | jq -r '.[] | select(.state != "done") | .id')
        [[ -n "$ids" ]] || break
        for id in $ids; do
                jobctl cancel "$id" >/dev/null 2>&1 || true
        done
done
wait_until 30 "the fuzzer's jobs to be gone" eval '[[ "$(jobctl list --json=short | jq length)" == 0 ]]'
after=$(rss)
log "RSS after the jobs are gone: ${after} kB (before: ${before} kB)"
assert_int "$after" -le $((before + 65536)) "jobd's RSS (kB) after the fuzzing"

daemon_still_ok
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$JOBD_LOG" >&2; then
        fail "a sanitizer report in jobd's log (seed $seed)"
fi
# No error message had to be escaped by the bus guard: each was made valid where it was written.
if grep -E 'not valid UTF-8, sent escaped|Cannot send the error reply' "$JOBD_LOG" >&2; then
        fail "an error reply that was not valid UTF-8 or could not be sent (seed $seed)"
fi
