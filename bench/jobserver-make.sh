#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# GNU make jobserver (issue 15): wall time of two parallel builds of a real C project, jobd's own
# sources (a Makefile generated from DIR/compile_commands.json: one rule per translation unit, each
# compiler run recording its start and end), run at the same time:
#   standalone make -j2 x2   two `make -j2`, no jobd: 4 compilers on a 2-slot budget
#   standalone make -j1 x2   two `make -j1`, no jobd: the static split of 2 slots
#   jobd, no jobserver       jobd MaxParallel=2, two jobs of `make -j2`
#   jobd, jobserver          jobd MaxParallel=2, two jobs of `make` with Jobserver=true
# and, for scale, one build alone: `make -j2` and a jobd job with the jobserver. For each: the wall time
# and the peak of compilers (plus jobs without a compiler, under jobd) running at once. Prints figures;
# never passes or fails on them. Needs root (a cgroup).
#
# Then the scheduling alone, free of the machine's load: the same four with builds whose "compilers" sleep
# 0.1 s (one build of 40 units, one of 20), where a slot that sits idle shows as wall time.
#
#   bench/jobserver-make.sh [--build-dir=DIR] [--cflags=FLAGS] [--files=N] [--rounds=N] [--sleep-only]
#
# --rounds: the four two-build scenarios N times, each round in another order (the machine may be shared:
# compare within a round; the load average is printed with each figure).
# DIR (default: build) must be configured (compile_commands.json). The compiler's flags are the build's
# without sanitizers and dependency files, with FLAGS (default: -O2) appended; --files takes the first N
# translation units only (default: all).

set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
CFLAGS_EXTRA=-O2
FILES=0
ROUNDS=1
SLEEP_ONLY=0
for arg in "$@"; do
        case $arg in
        --build-dir=*) BUILD=$(realpath -m "${arg#*=}") ;;
        --cflags=*) CFLAGS_EXTRA=${arg#*=} ;;
        --files=*) FILES=${arg#*=} ;;
        --rounds=*) ROUNDS=${arg#*=} ;;
        --sleep-only) SLEEP_ONLY=1 ;;
        -h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "jobserver-make.sh: unknown argument $arg" >&2; exit 2 ;;
        esac
done
command -v make >/dev/null || { echo "jobserver-make.sh: no make (.ci/deps installs it)" >&2; exit 1; }

export JOBD=$BUILD/src/jobd/jobd JOBCTL=$BUILD/src/jobctl/jobctl JOBD_EXEC_PATH=$BUILD/src/jobd/jobd-exec
export SPAWN_TREE=$BUILD/tests/helpers/spawn-tree
# shellcheck source=../tests/helpers/lib.sh
. "$SRC/tests/helpers/lib.sh"
jobd_start --max-parallel=2

W=$TEST_TMP/jobserver-bench
mkdir -p "$W"
# The recorder: one "S"/"E" line per compiler run, tagged with the build's name.
cat >"$W/rec" <<'EOF'
#!/bin/sh
echo "S $(date +%s%N) $REC_TAG" >> "$REC_LOG"
"$@"; rc=$?
echo "E $(date +%s%N) $REC_TAG" >> "$REC_LOG"
exit $rc
EOF
chmod +x "$W/rec"
python3 - "$BUILD/compile_commands.json" "$W/Makefile" "$CFLAGS_EXTRA" "$FILES" <<'EOF'
import json, shlex, sys
cmds = [c for c in json.load(open(sys.argv[1])) if c["file"].endswith(".c")]
if int(sys.argv[4]) > 0:
    cmds = cmds[:int(sys.argv[4])]
rules, objs = [], []
for i, c in enumerate(cmds):
    a = shlex.split(c["command"])
    out, skip = [], False
    for w in a:
        if skip:
            skip = False
            continue
        if w in ("-o", "-MF", "-MQ"):
            skip = True
            continue
        if w.startswith("-fsanitize") or w in ("-MD", "-fdiagnostics-color=always"):
            continue
        out.append(w)
    obj = "o%d.o" % i
    objs.append(obj)
    rules.append("%s:\n\tcd %s && $(REC) %s %s -o $(OUT)/%s\n" % (
        obj, shlex.quote(c["directory"]), " ".join(shlex.quote(w) for w in out), sys.argv[3], obj))
with open(sys.argv[2], "w") as f:
    f.write("all: %s\n.PHONY: all %s\n" % (" ".join(objs), " ".join(objs)))
    f.write("".join(rules))
print("%d translation units" % len(objs), file=sys.stderr)
EOF

LOG=$W/log
# Peak of slots in use: per build, its running compilers, but at least 1 while the build runs (a jobd
# job holds its slot whether or not its make has a compiler running).
peak() {
        sort -k2,2n "$LOG" | awk '
                $1 == "J" { run[$3] = 1; rec[$3] += 0 }
                $1 == "K" { delete run[$3] }
                $1 == "S" { rec[$3]++ }
                $1 == "E" { rec[$3]-- }
                { n = 0; for (j in rec) n += (j in run && rec[j] < 1) ? 1 : rec[j]; if (n > max) max = n }
                END { print max + 0 }'
}
MK=$W/Makefile
build_cmd() {  # TAG MAKEARGS...: the shell command of one build (its own output folder)
        local tag=$1
        shift
        printf 'echo "J $(date +%%s%%N) %s" >> %q; mkdir -p %q; REC_TAG=%s REC_LOG=%q make -s -f %q REC=%q OUT=%q %s; rc=$?; echo "K $(date +%%s%%N) %s" >> %q; exit $rc' \
                "$tag" "$LOG" "$W/out-$tag" "$tag" "$LOG" "$MK" "$W/rec" "$W/out-$tag" "$*" "$tag" "$LOG"
}
row() {  # NAME START_NS
        local t=$(( ($(date +%s%N) - $2) / 1000000 ))
        printf '%-34s %8.2f s   peak %2d compilers+jobs on 2 slots   load %s\n' "$1" \
                "$(echo "$t / 1000" | bc -l)" "$(peak)" "$(cut -d' ' -f1 /proc/loadavg)"
}
clean() { rm -rf "$W"/out-*; : >"$LOG"; }

standalone() {  # NAME MAKEARGS (two builds at once)
        clean
        local t0 p1 p2
        t0=$(date +%s%N)
        sh -c "$(build_cmd a "$2 ${A_ARGS:-}")" & p1=$!
        sh -c "$(build_cmd b "$2 ${B_ARGS:-}")" & p2=$!
        wait "$p1" "$p2"
        row "$1" "$t0"
}
under_jobd() {  # NAME MAKEARGS JOBCTL-OPTIONS... (two jobs at once)
        clean
        local t0 a b name=$1 margs=$2
        shift 2
        t0=$(date +%s%N)
        a=$(submit "$@" --setenv=PATH="$PATH" -- sh -c "$(build_cmd a "$margs ${A_ARGS:-}")")
        b=$(submit "$@" --setenv=PATH="$PATH" -- sh -c "$(build_cmd b "$margs ${B_ARGS:-}")")
        wait_done "$a" 3600
        wait_done "$b" 3600
        [[ "$(job_prop "$a" Result)" == success && "$(job_prop "$b" Result)" == success ]] ||
                fail "a build failed: $(jobctl logs "$a" | tail -5)"
        row "$name" "$t0"
}

echo "two builds of $(grep -c '^o' "$W/Makefile") units each at once, 2 slots, $(nproc) CPUs, CFLAGS +$CFLAGS_EXTRA:"
scenario() {
        case $1 in
        0) standalone "standalone make -j2 x2" -j2 ;;
        1) standalone "standalone make -j1 x2 (static)" -j1 ;;
        2) under_jobd "jobd, no jobserver (make -j2)" -j2 ;;
        3) under_jobd "jobd, jobserver (make)" "" --jobserver --setenv=MAKEFLAGS=-j ;;
        esac
}
if ((!SLEEP_ONLY)); then
        for ((round = 0; round < ROUNDS; round++)); do
                ((ROUNDS == 1)) || echo "round $((round + 1)):"
                for ((k = 0; k < 4; k++)); do
                        scenario $(((k + round) % 4))
                done
        done
        echo "one build alone:"
        clean; t0=$(date +%s%N); sh -c "$(build_cmd a -j2)"; row "standalone make -j2" "$t0"
        clean; t0=$(date +%s%N)
        a=$(submit --jobserver --setenv=PATH="$PATH" -- sh -c "$(build_cmd a "")")
        wait_done "$a" 3600
        row "jobd, jobserver (make)" "$t0"
fi

# Scheduling alone: units that sleep (no CPU), builds of 40 and 20 units.
MK=$W/Makefile.sleep
printf 'all: $(addprefix s,$(shell seq 1 $(UNITS)))\ns%%:\n\t@$(REC) sleep 0.1\n.PHONY: all\n' >"$MK"
A_ARGS=UNITS=40 B_ARGS=UNITS=20
echo "scheduling alone: builds of 40 and 20 units of 0.1 s (sleep) at once, 2 slots (ideal: 3.0 s):"
for ((k = 0; k < 4; k++)); do
        scenario $k
done
