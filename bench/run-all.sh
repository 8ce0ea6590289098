#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The figures for jobd's throughput and kill targets, all in one run on a private instance:
#   1. throughput: N x /bin/true through jobd (pipelined Submit, wait for JobChanged done) at several
#      --max-parallel values, beside a plain fork+exec+wait loop, the same loop with a fresh cgroup per
#      child (clone3 CLONE_INTO_CGROUP + rmdir), that loop 2 at a time (the daemon-less baseline of
#      jobd --max-parallel=2), that loop again with each job's command run by jobd-exec (the helper
#      alone, no daemon), and task-spooler (tsp -S 2); with jobd's and dbus-daemon's CPU per job;
#      where --parallel has 2, jobd --max-parallel=2 once more with all N jobs in one SubmitPlan;
#   2. kill latency: KillJob(id, SIGKILL) of a 1000-orphan job until JobChanged done, beside cgroup.kill
#      of the same tree in a bare cgroup until cgroup.events says populated 0;
#   3. what a psutil-style /proc tree walk leaves alive of the same tree.
# Prints figures and a summary table; it never passes or fails on time. Needs root (a cgroup v2 subtree).
#
#   bench/run-all.sh [--trials=T] [--jobs=N] [--parallel="2 8 16"] [--state=disk,tmpfs]
#                    [--kill-rounds=R] [--kill-count=K] [--build-dir=DIR] [--only=throughput,kill,walk]
#                    [--snapshot[=REV]]
#
# --snapshot builds the committed REV (default HEAD) from a `git archive` copy in a temporary folder
# instead of the working tree, for when other work in progress does not build.
# --state: where jobd's state folder (jobs/<id>/{log,status}) lives: "disk" is a folder under /tmp
# (here the root file system), "tmpfs" one under /dev/shm; both by default, as per-job file creation is a
# large share of the cost. Each run gets a fresh folder, all removed only at the end: deleting thousands
# of inodes right before a run makes inode allocation on ext4 slower for the next seconds.
#
# Builds DIR (default: build-bench, release, no sanitizers) if needed. Everything it starts (dbus-daemon,
# jobd, tsp server, job processes) runs below its own cgroup and private sockets and is removed on exit.

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench
TRIALS=1
JOBS=2000
NCPU=$(nproc)
PARALLEL="$NCPU 8 16"
KILL_ROUNDS=5
KILL_COUNT=1000
ONLY=throughput,kill,walk
STATE=disk,tmpfs
SNAPSHOT=

for arg in "$@"; do
        case $arg in
        --trials=*) TRIALS=${arg#*=} ;;
        --jobs=*) JOBS=${arg#*=} ;;
        --parallel=*) PARALLEL=${arg#*=} ;;
        --kill-rounds=*) KILL_ROUNDS=${arg#*=} ;;
        --kill-count=*) KILL_COUNT=${arg#*=} ;;
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        --only=*) ONLY=${arg#*=} ;;
        --state=*) STATE=${arg#*=} ;;
        --snapshot) SNAPSHOT=HEAD ;;
        --snapshot=*) SNAPSHOT=${arg#*=} ;;
        -h|--help) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-all.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
want() { [[ ,$ONLY, == *,$1,* ]]; }

[[ $(id -u) == 0 ]] || { echo "run-all.sh: needs root (creates cgroups)" >&2; exit 77; }

WORK=$(mktemp -d /tmp/jobd-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- build ------------------------------------------------------------------------------------------
if [[ -n $SNAPSHOT ]]; then
        mkdir "$WORK/src"
        git -C "$SRC" archive "$SNAPSHOT" | tar -x -C "$WORK/src"
        echo "building $(git -C "$SRC" rev-parse --short "$SNAPSHOT") from a snapshot in $WORK/src"
        SRC_BUILD=$WORK/src BUILD=$WORK/build
else
        SRC_BUILD=$SRC
fi
TARGETS=(src/jobd/jobd src/jobd/jobd-exec bench/bench-submit bench/bench-kill bench/forkexec-loop)
if [[ ! -f $BUILD/build.ninja ]]; then
        meson setup "$BUILD" "$SRC_BUILD" --buildtype=release -Db_sanitize=none >/dev/null
fi
# spawn-tree comes from the test suite when it is built, else bench/ builds its own. (grep reads all of
# ninja's output: grep -q would exit at the first match and, with pipefail, ninja's SIGPIPE would fail
# the test now and then.)
if ninja -C "$BUILD" -t targets all 2>/dev/null | grep '^tests/helpers/spawn-tree:' >/dev/null; then
        TARGETS+=(tests/helpers/spawn-tree); SPAWN_TREE=$BUILD/tests/helpers/spawn-tree
else
        TARGETS+=(bench/spawn-tree); SPAWN_TREE=$BUILD/bench/spawn-tree
fi
# Only what the figures need: other parts of the tree may be half-written.
ninja -C "$BUILD" "${TARGETS[@]}" >/dev/null || { echo "run-all.sh: build failed" >&2; exit 1; }
JOBD=$BUILD/src/jobd/jobd
B=$BUILD/bench

# --- private bus, cgroup and state; all of it goes away in cleanup ----------------------------------
SHM=/dev/shm/jobd-bench-$$
CG_MOUNT=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
[[ -n $CG_MOUNT ]] || { echo "run-all.sh: no cgroup v2 hierarchy mounted" >&2; exit 77; }
CG=$CG_MOUNT/jobd-bench-$$
DBUS_PID= JOBD_PID= TSP_STARTED=

stop_jobd() {
        if [[ -n $JOBD_PID ]]; then
                kill -TERM "$JOBD_PID" 2>/dev/null || true
                wait "$JOBD_PID" 2>/dev/null || true
                JOBD_PID=
        fi
}

cleanup() {
        set +e
        stop_jobd
        if [[ -n $TSP_STARTED ]]; then
                TMPDIR=$WORK/tsp TS_SOCKET=$WORK/tsp/socket tsp -K >/dev/null 2>&1
        fi
        if [[ -n $DBUS_PID ]]; then
                kill -TERM "$DBUS_PID" 2>/dev/null
                wait "$DBUS_PID" 2>/dev/null
        fi
        if [[ -d $CG ]]; then
                # Whatever still runs in our cgroups (jobs outlive the daemon by design): kill, wait, rmdir,
                # children first.
                echo 1 >"$CG/cgroup.kill" 2>/dev/null
                for _ in $(seq 200); do
                        grep -q 'populated 0' "$CG/cgroup.events" && break
                        sleep 0.05
                done
                find "$CG" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
                rmdir "$CG" || echo "run-all.sh: could not remove $CG" >&2
        fi
        rm -rf "$WORK" "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$CG"
mkdir -p "$WORK/tsp"
dbus-daemon --session --nofork --print-address=3 3>"$WORK/bus-address" 2>"$WORK/dbus.log" &
DBUS_PID=$!
for _ in $(seq 100); do [[ -s $WORK/bus-address ]] && break; sleep 0.05; done
ADDR=$(head -n1 "$WORK/bus-address")
[[ -n $ADDR ]] || { echo "run-all.sh: dbus-daemon did not start" >&2; exit 1; }

RUN=0 JOBD_CG=
start_jobd() { # max-parallel [disk|tmpfs]; job cgroups go below a fresh $JOBD_CG, so its cpu.stat is theirs
        local n=$1 where=${2:-disk} state
        RUN=$((RUN + 1))
        if [[ $where == tmpfs ]]; then state=$SHM/state-$RUN; else state=$WORK/state-$RUN; fi
        JOBD_CG=$CG/run-$RUN
        mkdir "$JOBD_CG"
        "$JOBD" --bus-address="$ADDR" --cgroup-root="$JOBD_CG" --state-dir="$state" --max-parallel="$n" \
                --log-level=warning 2>>"$WORK/jobd.log" &
        JOBD_PID=$!
        for _ in $(seq 200); do
                if busctl --address="$ADDR" call org.freedesktop.DBus /org/freedesktop/DBus \
                        org.freedesktop.DBus NameHasOwner s org.jobd1 2>/dev/null | grep -q true; then
                        return 0
                fi
                kill -0 "$JOBD_PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "run-all.sh: jobd did not come up; its log:" >&2
        cat "$WORK/jobd.log" >&2
        exit 1
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

declare -A RES=()     # label -> space-separated jobs/s of each trial
declare -A CPU=()     # label -> space-separated CPU us per job of each trial
declare -A DBCPU=()   # label -> space-separated CPU us per job of jobd + dbus-daemon of each trial
run_jobd() { # max-parallel disk|tmpfs key label [bench-submit option...]: one jobd run of $JOBS jobs
        local p=$1 where=$2 key=$3 label=$4 out
        shift 4
        start_jobd "$p" "$where"
        # A short warm-up so the first figure does not pay for cold caches.
        "$B/bench-submit" --bus-address="$ADDR" -n 100 --quiet >/dev/null
        out=$("$B/bench-submit" --bus-address="$ADDR" -n "$JOBS" "$@" --label="$label" \
                --daemon-pid="$JOBD_PID" --bus-pid="$DBUS_PID" --cgroup="$JOBD_CG") || true
        echo "$out" | grep -v ^RESULT
        record "$key" "$out"
        stop_jobd
}

record() { # label "RESULT ..." output
        # No RESULT line (the run failed, or an older bench-submit refused an option): no figure, so
        # the summary shows "-" rather than 0.
        [[ $2 == *RESULT* ]] || return 0
        RES[$1]="${RES[$1]:-} $(echo "$2" | result_of jobs_per_s)"
        local c
        c=$(echo "$2" | result_of cpu_us_per_job)
        [[ -z $c ]] || CPU[$1]="${CPU[$1]:-} $c"
        local d b
        d=$(echo "$2" | result_of daemon_us_per_job)
        b=$(echo "$2" | result_of bus_us_per_job)
        [[ -z $d || -z $b ]] || DBCPU[$1]="${DBCPU[$1]:-} $((d + b))"
        # A loop's own CPU (without its children): what stands for jobd + dbus-daemon there.
        d=$(echo "$2" | result_of self_us_per_job)
        [[ -z $d ]] || DBCPU[$1]="${DBCPU[$1]:-} $d"
}
usage_usec() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
result_of() { # "RESULT ... key=value ..." lines on stdin, key -> value of the last one
        awk -v k="$1" '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v = kv[2] } }
                       END { print v }'
}

run_tsp() { # jobs; prints a RESULT line
        local n=$1 t0 t1 left rate
        export TMPDIR=$WORK/tsp TS_SOCKET=$WORK/tsp/socket TS_MAXFINISHED=$((n + 10))
        TSP_STARTED=1
        tsp -K >/dev/null 2>&1 || true
        rm -f "$WORK"/tsp/ts-out.*
        tsp -S 2 >/dev/null
        t0=$(now_ms)
        for ((i = 0; i < n; i++)); do
                tsp true >/dev/null
        done
        # Wait for every job, not just the last (two run at once).
        while left=$(tsp -l | awk 'NR > 1 && $2 != "finished" && $2 != "skipped" { print $1; exit }') &&
              [[ -n $left ]]; do
                tsp -w "$left" >/dev/null 2>&1 || true
        done
        t1=$(now_ms)
        local done_ok
        done_ok=$(tsp -l | awk 'NR > 1 && $2 == "finished" && $4 == 0' | wc -l)
        tsp -K >/dev/null 2>&1 || true
        unset TMPDIR TS_SOCKET TS_MAXFINISHED
        rate=$(awk -v n="$n" -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f\n", n / (ms / 1000) }')
        echo "tsp: $n x true, tsp -S 2, enqueue one by one + wait for all: $((t1 - t0)) ms, $rate jobs/s" \
             "($done_ok finished with exit 0)"
        echo "RESULT label=tsp jobs=$n wall_ms=$((t1 - t0)) jobs_per_s=$rate"
}

run_in_cgroup() { # dir command...: runs the command (a shell function too) inside a fresh cgroup dir
        mkdir "$1"
        ( echo "$BASHPID" >"$1/cgroup.procs"; shift; "$@" )
}

# Appends cpu_us_per_job, from the cgroup's usage_usec, to the RESULT line of the output on stdin.
add_cgroup_cpu() { # dir jobs
        local usec
        usec=$(usage_usec "$1")
        awk -v u="$usec" -v n="$2" '/^RESULT/ { $0 = $0 sprintf(" cpu_us_per_job=%.0f", u / n) } { print }'
}

echo "jobd benchmarks: $(nproc) CPUs, kernel $(uname -r), cgroup $CG, $(date -u '+%F %T') UTC"
echo "build: $BUILD ($(meson configure "$BUILD" 2>/dev/null | awk '$1 == "buildtype" || $1 == "b_sanitize" {
        printf "%s%s=%s", sep, $1, $2; sep = " " }'))"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- 1. throughput -------------------------------------------------------------------------------------
if want throughput; then
        for ((trial = 1; trial <= TRIALS; trial++)); do
                echo "=== throughput, trial $trial/$TRIALS: $JOBS x /bin/true ==="
                out=$("$B/forkexec-loop" -n "$JOBS")
                echo "$out" | grep -v ^RESULT
                record loop "$out"

                out=$("$B/forkexec-loop" -n "$JOBS" -j "$NCPU" --label=fork-exec-loop-j$NCPU)
                echo "$out" | grep -v ^RESULT
                record loop-j "$out"

                mkdir "$CG/loop-$trial"
                out=$("$B/forkexec-loop" -n "$JOBS" --cgroup="$CG/loop-$trial")
                echo "$out" | grep -v ^RESULT
                record cgloop "$out"

                # The daemon-less baseline of jobd --max-parallel=2: each job into a fresh cgroup, 2 at once.
                mkdir "$CG/loop2-$trial"
                out=$("$B/forkexec-loop" -n "$JOBS" -j 2 --cgroup="$CG/loop2-$trial" \
                        --label=clone3-cgroup-loop-j2)
                echo "$out" | grep -v ^RESULT
                record cgloop2 "$out"

                # The same, each job's command run by jobd-exec (what jobd starts as every job's first
                # process): what the helper alone costs, without a daemon or a bus. Its fd 3 is a state
                # folder on tmpfs, as jobd gives it; every job (re)writes the one status file there.
                mkdir "$CG/hloop2-$trial"
                mkdir -p "$SHM/hloop2-$trial"
                out=$("$B/forkexec-loop" -n "$JOBS" -j 2 --cgroup="$CG/hloop2-$trial" \
                        --label=clone3-cgroup-loop-j2-jobd-exec -- "$BUILD/src/jobd/jobd-exec" -- /bin/true \
                        3<"$SHM/hloop2-$trial")
                echo "$out" | grep -v ^RESULT
                record hloop2 "$out"

                if command -v tsp >/dev/null; then
                        # In a cgroup of its own: the CPU of the clients, the server and the jobs.
                        out=$(run_in_cgroup "$CG/tsp-$trial" run_tsp "$JOBS")
                        out=$(echo "$out" | add_cgroup_cpu "$CG/tsp-$trial" "$JOBS")
                        echo "$out" | grep -v ^RESULT
                        record tsp "$out"
                fi

                for where in ${STATE//,/ }; do
                        for p in $PARALLEL; do
                                run_jobd "$p" "$where" "jobd-$where-$p" "jobd --max-parallel=$p, state on $where"
                        done
                        # Item 8's comparison again, the jobs submitted as a regression is (jobctl plan): one
                        # SubmitPlan, so no Submit call and reply per job through the bus.
                        [[ " $PARALLEL " != *" 2 "* ]] || run_jobd 2 "$where" "jobdplan-$where-2" \
                                "jobd --max-parallel=2, one SubmitPlan, state on $where" --plan
                done
                echo
        done
fi

# --- 2. kill latency -----------------------------------------------------------------------------------
KILL_OUT=
if want kill; then
        echo "=== kill latency ==="
        start_jobd "$NCPU"
        KILL_OUT=$("$B/bench-kill" --bus-address="$ADDR" --cgroup-root="$JOBD_CG" --spawn-tree="$SPAWN_TREE" \
                -n "$KILL_COUNT" -r "$KILL_ROUNDS")
        echo "$KILL_OUT" | grep -v ^RESULT
        stop_jobd
        echo
fi

# --- 3. /proc walk -------------------------------------------------------------------------------------
WALK_OUT=
if want walk; then
        echo "=== psutil-style /proc walk on the same tree ==="
        walk=("$SRC_BUILD/bench/proc-walk-kill.py" --cgroup-root="$CG" --spawn-tree="$SPAWN_TREE" -n "$KILL_COUNT")
        WALK_OUT=$(python3 "${walk[@]}")
        WALK_OUT+=$'\n'$(python3 "${walk[@]}" --orphans=$((KILL_COUNT / 4)))
        echo "$WALK_OUT" | grep -v ^RESULT
        echo
fi

# --- summary -------------------------------------------------------------------------------------------
stats() { # values... -> "best median"
        # (printf prints one empty line when there is no value at all: not a 0.)
        printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END {
                if (NR == 0) { print "- -"; exit }
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.1f %.1f\n", v[NR], m }'
}
ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'
}

echo "=== summary ==="
BEST_LINES=()
if want throughput; then
        read -r loop_best loop_med < <(stats ${RES[loop]})
        read -r tsp_best tsp_med < <(stats ${RES[tsp]:-})
        printf '%-42s %8s %8s %7s %7s %9s %9s\n' "throughput ($JOBS x /bin/true)" "best/s" "median/s" \
                "x loop" "x tsp" "CPU us/j" "own us/j"
        row() { # label key
                local best med cbest cmed dbest dmed
                read -r best med < <(stats ${RES[$2]:-})
                read -r cbest cmed < <(stats ${CPU[$2]:-})
                dmed=-
                [[ -z ${DBCPU[$2]:-} ]] || read -r dbest dmed < <(stats ${DBCPU[$2]})
                printf '%-42s %8s %8s %7s %7s %9s %9s\n' "$1" "$best" "$med" "$(ratio "$med" "$loop_med")" \
                        "$(ratio "$med" "$tsp_med")" "${cmed%.*}" "${dmed%.*}"
        }
        row "fork+exec+wait loop" loop
        row "fork+exec+wait loop, $NCPU at once" loop-j
        row "clone3 into fresh cgroup + rmdir" cgloop
        row "clone3 into fresh cgroup + rmdir, 2 at once" cgloop2
        row "the same, each job under jobd-exec" hloop2
        row "tsp -S 2" tsp
        for where in ${STATE//,/ }; do
                best_jobd=- best_p=
                for p in $PARALLEL; do
                        row "jobd --max-parallel=$p, state on $where" "jobd-$where-$p"
                        read -r b m < <(stats ${RES[jobd-$where-$p]:-})
                        if [[ $m != - ]] && { [[ $best_jobd == - ]] ||
                                awk -v a="$m" -v b="$best_jobd" 'BEGIN { exit !(a > b) }'; }; then
                                best_jobd=$m best_p=$p
                        fi
                done
                [[ " $PARALLEL " != *" 2 "* ]] ||
                        row "jobd --max-parallel=2, SubmitPlan, $where" "jobdplan-$where-2"
                line="state on $where: best is jobd --max-parallel=$best_p:"
                line+=" $(ratio "$best_jobd" "$loop_med")x the loop (target >= 0.5x),"
                BEST_LINES+=("$line $(ratio "$best_jobd" "$tsp_med")x tsp (target >= 2x)")
        done
        read -r _ cg2_med < <(stats ${RES[cgloop2]:-})
        read -r _ cg2_own < <(stats ${DBCPU[cgloop2]:-})
        read -r _ h2_med < <(stats ${RES[hloop2]:-})
        read -r _ cg2_cpu < <(stats ${CPU[cgloop2]:-})
        read -r _ h2_cpu < <(stats ${CPU[hloop2]:-})
        [[ $h2_med == - ]] ||
                BEST_LINES+=("the cgroup loop 2 at a time with each job under jobd-exec is $(ratio "$h2_med" \
                        "$cg2_med")x that loop without it ($(ratio "$cg2_cpu" "$h2_cpu")x by CPU per job): the ceiling of a jobd that keeps its exec helper")
        for where in ${STATE//,/ }; do
                read -r _ j2_med < <(stats ${RES[jobd-$where-2]:-})
                read -r _ d2_med < <(stats ${DBCPU[jobd-$where-2]:-})
                read -r _ j2_cpu < <(stats ${CPU[jobd-$where-2]:-})
                [[ $j2_med != - ]] || continue
                BEST_LINES+=("state on $where: jobd --max-parallel=2 is $(ratio "$j2_med" "$cg2_med")x the cgroup loop 2 at a time (target >= 0.8x; $(ratio "$cg2_cpu" "$j2_cpu")x by CPU per job), $(ratio "$j2_med" "$h2_med")x it with jobd-exec; jobd + dbus-daemon CPU ${d2_med%.*} us/job (target <= 250; that loop's own: ${cg2_own%.*})")
                read -r _ p2_med < <(stats ${RES[jobdplan-$where-2]:-})
                read -r _ pd2_med < <(stats ${DBCPU[jobdplan-$where-2]:-})
                [[ $p2_med == - ]] ||
                        BEST_LINES+=("state on $where: the same with one SubmitPlan is $(ratio "$p2_med" \
                                "$cg2_med")x that loop; jobd + dbus-daemon CPU ${pd2_med%.*} us/job")
        done
        echo "(ratios: medians over $TRIALS trial(s); CPU us/j: median CPU time per job of everything involved"
        echo " -- loop and its children, tsp clients+server+jobs, jobd + dbus-daemon + the jobs' cgroups;"
        echo " own us/j: the runner's own CPU per job, without the jobs' -- jobd's + dbus-daemon's (no client"
        echo " subscribed or reading the objects), the loop process itself for the loops;"
        echo " state on disk = $(findmnt -no FSTYPE -T /tmp) under /tmp, on tmpfs = /dev/shm)"
        printf '%s\n' "${BEST_LINES[@]}"
        echo
fi
if [[ -n $KILL_OUT ]]; then
        jmin=$(echo "$KILL_OUT" | grep 'label=kill-jobd' | result_of min_ms)
        jmed=$(echo "$KILL_OUT" | grep 'label=kill-jobd' | result_of median_ms)
        bmin=$(echo "$KILL_OUT" | grep 'label=kill-bare' | result_of min_ms)
        bmed=$(echo "$KILL_OUT" | grep 'label=kill-bare' | result_of median_ms)
        printf '%-46s %10s %10s\n' "kill latency, $KILL_COUNT orphans ($KILL_ROUNDS rounds)" "min ms" \
                "median ms"
        printf '%-46s %10s %10s\n' "jobd KillJob -> JobChanged done" "$jmin" "$jmed"
        printf '%-46s %10s %10s\n' "bare cgroup.kill -> populated 0" "$bmin" "$bmed"
        printf '%-46s %10s %10s\n' "ratio jobd / bare" "$(ratio "$jmin" "$bmin")" "$(ratio "$jmed" "$bmed")"
        echo "targets: within 1.3x of bare cgroup.kill, under 100 ms"
        echo
fi
if [[ -n $WALK_OUT ]]; then
        printf '%-46s %10s %10s\n' "/proc walk + SIGKILL ($KILL_COUNT processes)" "found" "survivors"
        while read -r line; do
                [[ $line == RESULT* ]] || continue
                lab=$(echo "$line" | result_of label)
                printf '%-46s %10s %10s\n' "$lab" "$(echo "$line" | result_of found)" \
                        "$(echo "$line" | result_of survivors)"
        done <<<"$WALK_OUT"
        echo "(jobd: 0 survivors by construction, the cgroup holds them all; see kill latency above)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
