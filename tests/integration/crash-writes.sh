#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Crash consistency (issue 9): a mixed workload of 200 jobs (short, failing, long, timed-out and retried
# jobs, and plans with dependencies and skips), with a ledger of every execution, while jobd is killed
# with SIGKILL at every journal write in turn: each life of the daemon is started with
# JOBD_TEST_CRASH_AT_WRITE=K (a -Dtest_hooks=true build), completes K-1 appends to state.log and dies
# half-way through the Kth; with K=2 every append of the workload's progress is a crash point once. Then a
# second workload with SIGKILLs at random moments. Checked at the end: no job lost that got a reply, none
# run twice (ledger), no partial plan, the right result and exit code for each, run counts equal to their
# jobs, and no cgroup left with processes in it.
# CRASH_STEP=K (default 2) crashes at every Kth append instead (faster, sampled).
# What it tests is the cgroupfs backend's (jobd started here with --cgroup-root): no -systemd variant.
if [[ "${JOBD_TEST_BACKEND:-}" == systemd ]]; then
        echo "SKIP: cgroupfs backend only" >&2
        exit 77
fi
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup

STEP=${CRASH_STEP:-2}
LEDGER="$TEST_TMP/ledger"
MARK="$TEST_TMP/marks"
mkdir "$MARK"
: >"$LEDGER"
SUBMITTED="$TEST_TMP/submitted"   # "kind id" of every Submit that got a reply
NOTREPLIED="$TEST_TMP/notreplied" # ... and of those that got none but made the job
: >"$SUBMITTED"
: >"$NOTREPLIED"
LIVES=0
CRASHES=0

# life_start [K]: jobd with a crash point at its Kth append (none without K); tolerates its death before
# it takes its bus name (a crash at an early append): then it is started again.
life_start() {
        local k=${1:-} deadline
        while :; do
                LIVES=$((LIVES + 1))
                if [[ -n "$k" ]]; then
                        export JOBD_TEST_CRASH_AT_WRITE=$k
                else
                        unset JOBD_TEST_CRASH_AT_WRITE
                fi
                "$JOBD" --bus-address="$BUS" --cgroup-root="$CG_ROOT" --state-dir="$STATE_DIR" \
                        --max-parallel=16 --log-level=info >>"$TEST_TMP/jobd.log" 2>&1 9>&- &
                JOBD_PID=$!
                state_record JOBD "$JOBD_PID" 2>/dev/null
                ((LIVES % 50 != 0)) || log "life $LIVES, $CRASHES crashes, $(wc -l <"$SUBMITTED") jobs submitted"
                deadline=$(($(now_ms) + 20000))
                until name_has_owner; do
                        if ! jobd_alive; then
                                wait "$JOBD_PID" 2>/dev/null || true
                                CRASHES=$((CRASHES + 1))
                                continue 2
                        fi
                        (($(now_ms) < deadline)) || fail "jobd did not take org.jobd1 within 20s"
                        sleep 0.01
                done
                return 0
        done
}

# ensure_alive: restarts jobd (next crash point) if it died; 0 if it was alive.
ensure_alive() {
        if jobd_alive; then
                return 0
        fi
        wait "$JOBD_PID" 2>/dev/null || true
        CRASHES=$((CRASHES + 1))
        JOBD_PID=""
        local deadline=$(($(now_ms) + 10000)) owner
        while name_has_owner; do
                if (($(now_ms) > deadline)); then
                        owner=$(bctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                                GetConnectionUnixProcessID s org.jobd1 2>&1 || true)
                        fail "org.jobd1 still owned 10 s after jobd died, by pid $owner: $(ps -o pid,ppid,stat,cmd -p "${owner#u }" 2>&1 | tail -n 1)"
                fi
                sleep 0.01
        done
        life_start "$STEP"
        return 1
}

# The jobs write their id into the ledger first thing: a job that ran twice has two lines.
cmd() {
        printf 'echo $JOBD_JOB_ID >>%s; %s' "$LEDGER" "$1"
}

# by_name LIST-METHOD NAME: the id of the job (ListJobs) or run (ListRuns) of that name, if any.
# jobd may die again meanwhile (a job's start is an append too): asked until an answer comes. Sets ID
# (not a subshell: ensure_alive starts jobd from this shell).
by_name() {
        local out
        until out=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager "$1" 2>/dev/null); do
                ensure_alive || true
                sleep 0.02
        done
        ID=$(jq -r --arg n "$2" '.data[0][] | select(.[1] == $n) | .[0]' <<<"$out" | head -n 1)
}

# bus_submit KIND NAME N DICT-ENTRIES... (N entries with the Name this adds): one Submit, retried while jobd is not on the bus (the call was
# not delivered). A reply goes into SUBMITTED. A call without a reply (jobd died with it) may or may not
# have made the job: once jobd is back, the job is looked for by its name (NOTREPLIED) and submitted
# again only if it is not there, as a careful client would.
bus_submit() {
        local kind=$1 name=$2 n=$3 out err id
        shift 3
        while :; do
                ensure_alive || true
                if out=$(mcall Submit 'a{sv}' "$n" "$@" Name s "$name" 2>"$TEST_TMP/submit.err"); then
                        [[ "$out" =~ ^to\ ([0-9]+) ]] || fail "Submit reply: '$out'"
                        echo "$kind ${BASH_REMATCH[1]}" >>"$SUBMITTED"
                        return 0
                fi
                err=$(cat "$TEST_TMP/submit.err")
                [[ "$err" == *StateFull* || "$err" == *InvalidSpec* ]] && fail "Submit refused: $err"
                by_name ListJobs "$name"
                if [[ -n "$ID" ]]; then
                        echo "$kind $ID" >>"$NOTREPLIED"
                        return 0
                fi
        done
}

plan_json() {  # NAME FIRST-COMMAND: first, 20 jobs after it, last after them all
        local name=$1 first=$2 i
        printf '{ "name": "%s", "jobs": [ { "name": "first", "command": ["sh", "-c", "%s"] }' "$name" \
                "$(cmd "$first")"
        for i in $(seq 1 20); do
                printf ', { "name": "m%s", "command": ["sh", "-c", "%s"], "after": ["first"] }' "$i" \
                        "$(cmd "echo m$i")"
        done
        printf ', { "name": "last", "command": ["sh", "-c", "%s"], "after": [' "$(cmd "echo last")"
        for i in $(seq 1 20); do
                printf '%s"m%s"' "$([[ $i == 1 ]] || echo ,)" "$i"
        done
        printf '] } ] }\n'
}

plan_submit_crashy() {  # KIND NAME FILE
        local kind=$1 name=$2 file=$3 out rc id
        while :; do
                ensure_alive || true
                rc=0
                out=$(jobctl --json=short plan "$file" 2>"$TEST_TMP/plan.err") || rc=$?
                if [[ "$rc" == 0 ]]; then
                        echo "$kind $(jq -er .run <<<"$out")" >>"$SUBMITTED.runs"
                        return 0
                fi
                grep -q "StateFull\|InvalidSpec" "$TEST_TMP/plan.err" && fail "plan refused: $(cat "$TEST_TMP/plan.err")"
                by_name ListRuns "$name"
                [[ -z "$ID" ]] || return 0
        done
}
: >"$SUBMITTED.runs"

# wait_all_done TIMEOUT WHAT: restarting jobd whenever it died.
wait_all_done() {
        local deadline=$(($(now_ms) + $1 * 1000))
        until ensure_alive && all_done; do
                (($(now_ms) < deadline)) || fail "timed out after $1 s waiting for $2"
                sleep 0.05
        done
}

all_done() {
        local out
        out=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs 2>/dev/null) || return 1
        jq -e '[.data[0][] | select(.[2] != "done")] | length == 0' <<<"$out" >/dev/null
}

# workload NAME-PREFIX N-OK N-FAIL N-LONG N-TIMEOUT N-RETRY N-PLANS
workload() {
        local p=$1 i
        for i in $(seq 1 "$2"); do
                bus_submit ok "$p-ok-$i" 2 Argv as 3 sh -c "$(cmd "echo out-\$JOBD_JOB_ID")"
        done
        for i in $(seq 1 "$3"); do
                bus_submit fail "$p-fail-$i" 2 Argv as 3 sh -c "$(cmd "exit 3")"
        done
        for i in $(seq 1 "$4"); do
                bus_submit long "$p-long-$i" 2 Argv as 3 sh -c "$(cmd "sleep 2")"
        done
        for i in $(seq 1 "$5"); do
                bus_submit timeout "$p-to-$i" 3 Argv as 3 sh -c "$(cmd "sleep 30")" TimeoutUSec t 500000
        done
        for i in $(seq 1 "$6"); do
                bus_submit retry "$p-retry-$i" 3 Argv as 3 sh -c \
                        "$(cmd "[ -e $MARK/\$JOBD_JOB_ID ] && exit 0; touch $MARK/\$JOBD_JOB_ID; exit 1")" \
                        Retries u 2
        done
        for i in $(seq 1 "$7"); do
                if ((i % 2 == 0)); then
                        plan_json "$p-bad-$i" "exit 3" >"$TEST_TMP/plan-$p-$i.json"
                        plan_submit_crashy badplan "$p-bad-$i" "$TEST_TMP/plan-$p-$i.json"
                else
                        plan_json "$p-good-$i" "echo first" >"$TEST_TMP/plan-$p-$i.json"
                        plan_submit_crashy goodplan "$p-good-$i" "$TEST_TMP/plan-$p-$i.json"
                fi
        done
}

dbus_start
begin=$(now_ms)
life_start "$STEP"
# 60 + 20 + 10 + 10 + 10 + 4 x 22 = 198 jobs.
workload a 60 20 10 10 10 4
wait_all_done 240 "every job to be done across the crashes"
note "$(wc -l <"$SUBMITTED") Submits replied; crash at append number $STEP of each life: $CRASHES crashes over $LIVES lives of jobd in $(( ($(now_ms) - begin) / 1000 ))s"
assert_int "$CRASHES" -ge 100 "crashes at journal writes (every append is a crash point)"

# Random moments: SIGKILL 0.05-0.4 s after each restart, while a second, smaller workload runs.
unset JOBD_TEST_CRASH_AT_WRITE
STEP=""
random_killer() {
        while [[ ! -e "$TEST_TMP/stop-killer" ]]; do
                sleep "0.$(printf '%02d' $((5 + RANDOM % 35)))"
                [[ -e "$TEST_TMP/stop-killer" ]] && break
                local pid
                pid=$(cat "$TEST_TMP/jobd.pid" 2>/dev/null) || continue
                kill -KILL "$pid" 2>/dev/null && echo kill >>"$TEST_TMP/random-kills"
        done
}
: >"$TEST_TMP/random-kills"
life_start_random() {
        life_start
        echo "$JOBD_PID" >"$TEST_TMP/jobd.pid"
}
ensure_alive() {
        if jobd_alive; then
                return 0
        fi
        wait "$JOBD_PID" 2>/dev/null || true
        CRASHES=$((CRASHES + 1))
        JOBD_PID=""
        wait_until 10 "org.jobd1 to leave the bus" eval '! name_has_owner'
        life_start_random
        return 1
}
echo "$JOBD_PID" >"$TEST_TMP/jobd.pid"
random_killer 9>&- &
bg_pid=$!
BG_PIDS+=("$bg_pid")
workload b 20 5 5 5 5 2
touch "$TEST_TMP/stop-killer"
wait "$bg_pid" 2>/dev/null || true
wait_all_done 120 "every job to be done after the random kills"
note "random kills: $(wc -l <"$TEST_TMP/random-kills")"

# --- the checks ----------------------------------------------------------------------------------
jobs_json=$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs | jq -c '.data[0]')
result_of() { jq -r --argjson id "$1" '.[] | select(.[0] == $id) | .[3]' <<<"$jobs_json"; }
runs_of() { grep -cx "$1" "$LEDGER" || true; }

declare -A want=([ok]=success [fail]=failed [long]=success [timeout]=timeout [retry]=success)
declare -A want_runs=([ok]=1 [fail]=1 [long]=1 [timeout]=1 [retry]=2)
n_checked=0
while read -r kind id; do
        res=$(result_of "$id")
        [[ -n "$res" ]] || { soft_fail "job $id ($kind) got a reply but is gone after the crashes"; continue; }
        [[ "$res" == "${want[$kind]}" ]] ||
                soft_fail "job $id ($kind): result $res, expected ${want[$kind]} ($(job_prop "$id" Reason))"
        n=$(runs_of "$id")
        [[ "$n" == "${want_runs[$kind]}" ]] ||
                soft_fail "job $id ($kind) ran $n times (ledger), expected ${want_runs[$kind]}"
        if [[ "$kind" == fail ]]; then
                assert_eq 3 "$(job_prop "$id" ExitCode)" "exit code of failing job $id"
        fi
        if [[ "$kind" == ok ]] && ((n_checked++ % 10 == 0)); then
                assert_eq "out-$id" "$(jobctl logs "$id")" "output of job $id"
        fi
done < <(cat "$SUBMITTED" "$NOTREPLIED")
note "$(wc -l <"$SUBMITTED") replied Submits and $(wc -l <"$NOTREPLIED") unreplied ones that made a job checked"
# Each name once: a Submit without a reply made at most one job.
dups=$(jq -r '.[] | .[1] | select(test("^[ab]-"))' <<<"$jobs_json" | sort | uniq -d | head -n 5)
[[ -z "$dups" ]] || soft_fail "more than one job of the same name: $dups"

# Every job of the ledger is one jobd knows (a job the client got no reply for may exist, whole).
while read -r id; do
        [[ -n "$(result_of "$id")" ]] || soft_fail "the ledger has job $id, which jobd does not know"
done < <(sort -u "$LEDGER")

# Plans: all there, the right results, each job run once (or never, if skipped); run counts = jobs.
for run in $(jq -r '.[] | .[0]' <<<"$(bctl --json=short call org.jobd1 /org/jobd1 org.jobd1.Manager ListRuns |
        jq -c '.data[0]')"); do
        ids=$(bctl --json=short call org.jobd1 "$(run_path "$run")" org.jobd1.Run ListJobs | jq -r '.data[0][][0]')
        n=$(wc -w <<<"$ids")
        assert_eq 22 "$n" "jobs of run $run (no partial plan)"
        name=$(run_prop "$run" Name)
        total=$(bctl --json=short get-property org.jobd1 "$(run_path "$run")" org.jobd1.Run ResultCounts |
                jq '[.data[]] | add')
        assert_eq 22 "$total" "the ResultCounts of run $run add up to its jobs"
        for id in $ids; do
                res=$(result_of "$id")
                runs=$(runs_of "$id")
                if [[ "$name" == *-bad-* && "$id" != "${ids%%$'\n'*}" ]]; then
                        [[ "$res" == skipped && "$runs" == 0 ]] ||
                                soft_fail "job $id of bad run $run: $res, ran $runs times (expected skipped, 0)"
                elif [[ "$name" == *-bad-* ]]; then
                        [[ "$res" == failed && "$runs" == 1 ]] ||
                                soft_fail "first job $id of run $run: $res, ran $runs times (expected failed, 1)"
                else
                        [[ "$res" == success && "$runs" == 1 ]] ||
                                soft_fail "job $id of run $run: $res, ran $runs times (expected success, 1)"
                fi
        done
done
replied_runs=$(wc -l <"$SUBMITTED.runs")
while read -r kind run; do
        run_prop "$run" Name >/dev/null
done <"$SUBMITTED.runs"
note "$replied_runs replied plans checked"

# No cgroup of a job left with processes in it, after a clean stop.
kill -TERM "$JOBD_PID"
wait "$JOBD_PID" 2>/dev/null || true
JOBD_PID=""
for cg in "$CG_ROOT"/jobd-*; do
        [[ -d "$cg" ]] || continue
        [[ -z "$(cat "$cg/cgroup.procs" 2>/dev/null)" ]] ||
                soft_fail "cgroup $cg still has processes: $(cat "$cg/cgroup.procs" | tr '\n' ' ')"
done
((FAILURES == 0)) || fail "$FAILURES check(s) failed"
log "ok: $CRASHES crashes over $LIVES lives in $(( ($(now_ms) - begin) / 1000 ))s"
