#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# GNU make jobserver (Jobserver=true): two jobs each running a parallel make of 32 recipes under
# MaxParallel=4 never have more than 4 recipes plus jobs at once, yet use the slots jobd has free; a job
# without it is unaffected; a killed make's tokens come back; raising the limit hands out tokens at once.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
command -v make >/dev/null || skip "no make"
jobd_start --max-parallel=4

W="$TEST_TMP/mk"
mkdir -p "$W"
# 32 recipes; each appends "S <ns> <job>" and "E <ns> <job>" to the log, with one write each.
{
        printf 'T := $(shell seq 1 32)\nall: $(addprefix t,$(T))\n'
        printf 't%%:\n\t@echo "S $$(date +%%s%%N) $(JOB)" >> $(LOG); sleep $(NAP); echo "E $$(date +%%s%%N) $(JOB)" >> $(LOG)\n'
        printf '.PHONY: all\n'
} >"$W/Makefile"
LOG="$W/log"
: >"$LOG"
# A job is its make, bracketed by "J"/"K" lines: its own slot counts from its start to its end.
mkjob() {  # NAME MAKEFLAGS-of-the-spec MAKE-ARGS... (after --)
        local name=$1 flags=$2
        shift 2
        submit --name="$name" --setenv=MAKEFLAGS="$flags" --setenv=PATH="$PATH" "$@" -- \
                sh -c 'echo "J $(date +%s%N) $0" >> "$1"; make -s -C "$2" JOB="$0" LOG="$1" NAP="$3"; rc=$?;
                       echo "K $(date +%s%N) $0" >> "$1"; exit $rc' "$name" "$LOG" "$W" 0.2
}
# The largest number of slots in use at any recorded instant: per running job, its running recipes but
# at least 1 (its own slot; make's first recipe runs on it).
peak() {
        sort -k2,2n "$LOG" | awk '
                $1 == "J" { run[$3] = 1; rec[$3] = 0 }
                $1 == "K" { delete run[$3] }
                $1 == "S" { rec[$3]++ }
                $1 == "E" { rec[$3]-- }
                { n = 0; for (j in run) n += (rec[j] > 1 ? rec[j] : 1);
                  r = 0; for (j in rec) r += rec[j];
                  if (n > max) max = n; if (r > rmax) rmax = r }
                END { print max + 0, rmax + 0 }'
}

# --- Two jobs, make -j32 each (the parallelism given through MAKEFLAGS: a -jN on make's command line
# makes GNU make leave any jobserver, "-jN forced in submake").
a=$(mkjob a -j32 --jobserver)
b=$(mkjob b -j32 --jobserver)
assert_eq true "$(job_prop "$a" Jobserver)" "Jobserver property of a job submitted with --jobserver"
wait_done "$a" 60
wait_done "$b" 60
assert_eq success "$(job_prop "$a" Result)" "Result of make job a"
assert_eq success "$(job_prop "$b" Result)" "Result of make job b"
assert_eq 64 "$(grep -c '^E ' "$LOG")" "recipes finished by the two makes"
read -r slots recipes < <(peak)
note "jobserver: peak slots in use $slots, peak recipes $recipes"
assert_int "$slots" -le 4 "slots in use (recipes + jobs) with MaxParallel=4"
# Both makes ran in parallel beyond their own slot: tokens were handed out and used.
assert_int "$recipes" -ge 3 "recipes at once with 2 jobs and 4 slots (tokens used)"
# The jobserver's FIFO is gone once nobody uses it.
wait_until 5 "no jobserver FIFO left" sh -c "! find '$STATE_DIR/jobserver' -type p | grep -q ."

# --- MAKEFLAGS: merged with the spec's; a job without Jobserver gets the spec's alone.
e1=$(submit --jobserver --setenv=MAKEFLAGS=-k -- sh -c 'echo "$MAKEFLAGS"; ls /proc/self/fd')
wait_done "$e1"
out=$(jobctl logs "$e1" 2>&1 || true)
assert_contains "-k -j --jobserver-auth=3,4" "$out" "MAKEFLAGS of a Jobserver job with the spec's -k"
e2=$(submit --setenv=MAKEFLAGS=-k -- sh -c 'echo "MF=$MAKEFLAGS"')
wait_done "$e2"
assert_contains "MF=-k" "$(jobctl logs "$e2" 2>&1 || true)" "MAKEFLAGS of a job without Jobserver"
assert_not_contains "jobserver" "$(jobctl logs "$e2" 2>&1 || true)" "MAKEFLAGS of a job without Jobserver"

# --- A job without Jobserver is unaffected: its make -j32 runs more than 4 recipes at once.
: >"$LOG"
c=$(mkjob c -j32)
wait_done "$c" 60
assert_eq success "$(job_prop "$c" Result)" "Result of the make job without Jobserver"
read -r slots recipes < <(peak)
note "without jobserver: peak recipes $recipes"
assert_int "$recipes" -gt 4 "recipes at once of make -j32 without Jobserver"

# --- A killed make's tokens come back: a make holding 3 tokens (4 long recipes) is killed; then 4
# plain jobs must all run at once.
: >"$LOG"
k=$(submit --jobserver --setenv=MAKEFLAGS=-j --setenv=PATH="$PATH" -- \
        sh -c 'make -s -C "$2" JOB=k LOG="$1" NAP=300' k "$LOG" "$W")
wait_until 20 "4 recipes of the make running" sh -c "[ \$(grep -c '^S ' '$LOG') -ge 4 ]"
assert_eq 4 "$(grep -c '^S ' "$LOG")" "recipes the make started with 4 slots"
release="$TEST_TMP/release"
hold() { submit -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release"; }
# The make's 3 tokens hold slots: a plain job waits.
h1=$(hold)
holds_for 1 job_state_is "$h1" queued || fail "a job started while a make held all other slots as tokens"
expect_rc 0 "jobctl kill -s KILL" jobctl kill -s KILL "$k"
wait_done "$k" 30
h2=$(hold); h3=$(hold); h4=$(hold)
for h in "$h1" "$h2" "$h3" "$h4"; do
        wait_state "$h" running 10
done
touch "$release"
for h in "$h1" "$h2" "$h3" "$h4"; do
        wait_done "$h"
done

# --- Raising the limit hands out tokens at once; a cut takes tokens back as makes give them back. A make
# gives a token back after each recipe and, if another recipe can run, takes one again at once, so jobd
# gets tokens back where a make has nothing to run for them: here at the barrier between two phases (6
# recipes p*, then 4 recipes q* that need all of them).
{
        printf 'all: q1 q2 q3 q4\nq%%: p1 p2 p3 p4 p5 p6\n'
        printf '\t@echo "S $$(date +%%s%%N) $(JOB) $@" >> $(LOG); sleep 0.3; echo "E $$(date +%%s%%N) $(JOB) $@" >> $(LOG)\n'
        printf 'p%%:\n\t@echo "S $$(date +%%s%%N) $(JOB) $@" >> $(LOG); sleep 0.6; echo "E $$(date +%%s%%N) $(JOB) $@" >> $(LOG)\n'
        printf '.PHONY: all\n'
} >"$W/Makefile.phases"
running() { echo $(($(grep -c '^S ' "$LOG") - $(grep -c '^E ' "$LOG"))); }
running_le() { (($(running) <= $1)); }
running_ge() { (($(running) >= $1)); }
expect_rc 0 "jobctl set-parallel 1" jobctl set-parallel 1
: >"$LOG"
r=$(submit --jobserver --setenv=MAKEFLAGS=-j --setenv=PATH="$PATH" -- \
        sh -c 'make -s -C "$2" -f Makefile.phases JOB=r LOG="$1"' r "$LOG" "$W")
wait_until 20 "the first recipe running" running_ge 1
holds_for 1 running_le 1 || fail "more than one recipe at once with MaxParallel=1"
expect_rc 0 "jobctl set-parallel 3" jobctl set-parallel 3
wait_until 5 "3 recipes at once after set-parallel 3" running_ge 3
expect_rc 0 "jobctl set-parallel 1" jobctl set-parallel 1
# No other job starts while the make holds the slots it took.
h5=$(submit -- true)
assert_eq queued "$(job_prop "$h5" State)" "a job submitted while a make holds tokens above the cut limit"
# Cancelled again: the tokens must come back without a waiting job asking for a pass.
expect_rc 0 "jobctl cancel" jobctl cancel "$h5"
wait_done "$r" 60
assert_eq success "$(job_prop "$r" Result)" "Result of the make job resized under way"
# At most 3 at once, and one q at a time: the tokens came back at the barrier and stayed with jobd.
read -r slots recipes < <(peak)
assert_int "$recipes" -le 3 "recipes at once with MaxParallel raised to 3"
assert_eq 1 "$(sort -k2,2n "$LOG" | awk '$4 ~ /^q/ && $1 == "S" { n++ } $4 ~ /^q/ && $1 == "E" { n-- }
        { if (n > m) m = n } END { print m + 0 }')" "q recipes at once after the cut to MaxParallel=1"
expect_rc 0 "jobctl set-parallel 4" jobctl set-parallel 4

# --- The fifo style (make >= 4.4): MAKEFLAGS names the FIFO, no fds are passed. A client of the
# protocol (Debian 12's make 4.3 has none for it) takes 3 tokens: a plain job waits; it gives them back
# while it goes on running: the plain job starts at once (the returned tokens wake jobd).
expect_rc 0 "jobctl set-parallel 4" jobctl set-parallel 4
expect_rc 2 "jobctl --jobserver=bad" jobctl submit --jobserver=bad -- true
out=$(mcall Submit 'a{sv}' 2 Argv as 1 true JobserverStyle s bad 2>&1) && fail "JobserverStyle bad accepted"
assert_contains "JobserverStyle" "$out" "error for an unknown JobserverStyle"
took="$TEST_TMP/took" back="$TEST_TMP/back" done_="$TEST_TMP/done"
f=$(submit --jobserver=fifo -- sh -c '
        echo "MF=$MAKEFLAGS"; p=${MAKEFLAGS##*fifo:}
        [ -e /proc/self/fd/3 ] && echo "fd 3 open"
        [ -p "$p" ] || { echo "not a FIFO: $p"; exit 3; }
        stat -c "mode %a" "$p" "${p%/*}"
        exec 5<>"$p"; head -c 3 <&5 >/dev/null; touch "$0"
        while [ ! -e "$1" ]; do sleep 0.05; done
        printf +++ >&5; while [ ! -e "$2" ]; do sleep 0.05; done' "$took" "$back" "$done_")
assert_eq fifo "$(job_prop "$f" JobserverStyle)" "JobserverStyle of a job submitted with --jobserver=fifo"
wait_until 20 "the fifo client holding 3 tokens" test -e "$took"
w1=$(submit -- true)
holds_for 1 job_state_is "$w1" queued || fail "a job started while the fifo client held 3 tokens"
touch "$back"
wait_done "$w1" 10
assert_eq running "$(job_prop "$f" State)" "the fifo client after it gave its tokens back"
touch "$done_"
wait_done "$f"
assert_eq success "$(job_prop "$f" Result)" "Result of the fifo client"
out=$(jobctl logs "$f" 2>&1 || true)
assert_match "MF=-j --jobserver-auth=fifo:$STATE_DIR/jobserver/[0-9]+/global" "$out" "MAKEFLAGS of the fifo style"
assert_not_contains "fd 3 open" "$out" "fds of the fifo style"
assert_contains "mode 600" "$out" "the FIFO's mode"
assert_contains "mode 700" "$out" "the mode of the FIFO's folder"

# --- Jobserver and its style survive a restart of the daemon (the journal): a job queued before it gets
# its jobserver when it starts after.
expect_rc 0 "jobctl set-parallel 1" jobctl set-parallel 1
rel2="$TEST_TMP/release2"
blk=$(submit -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$rel2")
wait_state "$blk" running
q=$(submit --jobserver=fifo -- sh -c 'echo "MF=$MAKEFLAGS"')
assert_eq queued "$(job_prop "$q" State)" "State of the jobserver job behind the limit"
jobd_crash
jobd_start --max-parallel=1
assert_eq true "$(job_prop "$q" Jobserver)" "Jobserver after a restart"
assert_eq fifo "$(job_prop "$q" JobserverStyle)" "JobserverStyle after a restart"
touch "$rel2"
wait_done "$q" 20
assert_contains "--jobserver-auth=fifo:" "$(jobctl logs "$q" 2>&1 || true)" "MAKEFLAGS of a job restored from the journal"

# --- A job of a limited group gets its group's jobserver: its make runs at most the group's limit of
# recipes, while the global limit leaves room for a job outside the group.
expect_rc 0 "jobctl set-parallel 4" jobctl set-parallel 4
expect_rc 0 "jobctl group g 2" jobctl group g 2
: >"$LOG"
g1=$(submit --group=g --jobserver --setenv=MAKEFLAGS=-j --setenv=PATH="$PATH" -- \
        sh -c 'make -s -C "$2" JOB=g LOG="$1" NAP=0.2' g "$LOG" "$W")
o1=$(submit -- sh -c 'echo "MF=$MAKEFLAGS"; sleep 1')
wait_done "$g1" 60
wait_done "$o1" 20
assert_eq success "$(job_prop "$g1" Result)" "Result of the make job of group g"
read -r slots recipes < <(peak)
note "group g (limit 2): peak recipes $recipes"
assert_eq 2 "$recipes" "recipes at once of a make in a group of limit 2"
gf=$(submit --group=g --jobserver=fifo -- sh -c 'echo "MF=$MAKEFLAGS"')
wait_done "$gf"
assert_match "fifo:$STATE_DIR/jobserver/[0-9]+/group\.g\$" "$(jobctl logs "$gf" 2>&1 || true)" "the FIFO of group g"

# --- Ninja: Debian 12's 1.11 is no jobserver client (one came with 1.13): a Jobserver job running
# `ninja -j8` runs its 8 edges at once, beyond MaxParallel=4; say so.
if command -v ninja >/dev/null; then
        nv=$(ninja --version)
        N="$TEST_TMP/nj"
        mkdir -p "$N"
        {
                printf 'rule r\n  command = echo "S $$(date +%%s%%N) n" >> %s; sleep 0.5; echo "E $$(date +%%s%%N) n" >> %s; touch $out\n' "$LOG" "$LOG"
                for i in 1 2 3 4 5 6 7 8; do printf 'build o%s: r\n' "$i"; done
        } >"$N/build.ninja"
        : >"$LOG"
        nj=$(submit --jobserver --setenv=PATH="$PATH" -- ninja -C "$N" -j8)
        wait_done "$nj" 30
        assert_eq success "$(job_prop "$nj" Result)" "Result of the ninja job"
        read -r slots recipes < <(peak)
        note "ninja $nv under a jobserver: $recipes edges at once with MaxParallel=4"
        if [[ "$(printf '%s\n1.13\n' "$nv" | sort -V | head -1)" != 1.13 ]]; then
                assert_int "$recipes" -gt 4 "edges at once of ninja $nv, which has no jobserver client"
        fi
fi

# --- Plans: "jobserver" in the defaults and per job (true, "pipe", "fifo", false).
cat >"$TEST_TMP/plan.json" <<'JSON'
{ "name": "js", "defaults": { "jobserver": "fifo" },
  "jobs": [ { "name": "dflt", "command": "echo \"MF=$MAKEFLAGS\"" },
            { "name": "pipe", "command": "echo \"MF=$MAKEFLAGS\"", "jobserver": true },
            { "name": "off", "command": "echo \"MF=$MAKEFLAGS\"", "jobserver": false } ] }
JSON
run_rc rc jobctl plan --wait "$TEST_TMP/plan.json"
assert_eq 0 "$rc" "exit status of jobctl plan --wait ($RUN_ERR)"
run_id=$(grep -oE 'Run [0-9]+' <<<"$RUN_OUT" | head -1 | cut -d' ' -f2)
for n in dflt pipe off; do
        id=$(run_job_id "$run_id" "$n")
        eval "log_$n=\$(jobctl logs \"\$id\" 2>&1 || true)"
done
assert_contains "--jobserver-auth=fifo:" "$log_dflt" "MAKEFLAGS of a plan job with the defaults' jobserver fifo"
assert_eq true "$(job_prop "$(run_job_id "$run_id" dflt)" Jobserver)" "Jobserver of the plan job dflt"
# A job's own true keeps the defaults' style (a style is a key of its own).
assert_contains "--jobserver-auth=fifo:" "$log_pipe" "MAKEFLAGS of a plan job with jobserver true"
assert_not_contains "jobserver" "$log_off" "MAKEFLAGS of a plan job with jobserver false"
