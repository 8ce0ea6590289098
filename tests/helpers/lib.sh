# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The integration harness, sourced by every scenario in tests/integration/:
#
#     . "$(dirname "$0")/../helpers/lib.sh"
#     jobd_start [--max-parallel=1 ...]       # private dbus-daemon + jobd on a private test cgroup root
#     id=$(submit -- sleep 1)
#     wait_done "$id"
#     assert_eq success "$(job_prop "$id" Result)" "result of job $id"
#
# Everything it starts is recorded by pid and ended by pid in the EXIT trap: jobd, the dbus-daemon, the
# background helpers of the scenario (bg_start). Every process still inside the test cgroup subtree is
# killed through cgroup.kill and the cgroups are removed depth-first. Nothing is ever killed by name.
#
# Environment (set by tests/integration/meson.build): JOBD, JOBCTL, JOBD_EXEC_PATH, SPAWN_TREE.
# Exit 77 (meson: SKIP) when this machine cannot run the scenario, with the reason.
#
# Waits: event-driven where an event exists (jobctl wait); bounded polling with a deadline only for
# conditions that have none (a process disappearing, a cgroup emptying, a file appearing).

set -eu -o pipefail
shopt -s nullglob

TEST_NAME=$(basename "${0%.sh}")
TEST_SKIP=77
HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# JOBD_TEST_BACKEND=systemd: the scenario runs again beside a real, contained systemd user manager
# (systemd-user-manager.sh; it exits 77 with the reason where none can start here) and jobd puts the
# jobs into its scopes.
if [[ "${JOBD_TEST_BACKEND:-}" == systemd && -z "${SDUM_INSIDE:-}" ]]; then
        exec "$HARNESS_DIR/systemd-user-manager.sh" --name="jobd-test-$TEST_NAME-sd-$$" -- bash "$0" "$@"
fi

# --- reporting ----------------------------------------------------------------------------------------

log() {
        printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T.%3N)" "$*" >&2
}

skip() {
        printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*" >&2
        exit "$TEST_SKIP"
}

FAILURES=0

# fail MESSAGE...: reports where the failing assertion was and ends the scenario.
fail() {
        local i=0 where=""
        local line func file
        while read -r line func file < <(caller $i); do
                [[ -n "$line" ]] || break
                where+=$'\n    at '"$file:$line ($func)"
                i=$((i + 1))
        done
        printf '[%s] FAIL: %s%s\n' "$TEST_NAME" "$*" "$where" >&2
        FAILURES=$((FAILURES + 1))
        # In a command substitution ("$(job_prop ...)") the exit ends only the subshell: leave a mark so
        # that the scenario fails even if the caller goes on with an empty value.
        if ((BASH_SUBSHELL > 0)) && [[ -n "$TEST_TMP" && -d "$TEST_TMP" ]]; then
                echo "$*" >>"$TEST_TMP/failed"
        fi
        exit 1
}

# soft_fail MESSAGE...: records a failure but lets the scenario go on (for independent checks in a list).
soft_fail() {
        printf '[%s] FAIL: %s (line %s)\n' "$TEST_NAME" "$*" "$(caller 0 | cut -d' ' -f1)" >&2
        FAILURES=$((FAILURES + 1))
}

note() {
        printf '[%s] NOTE: %s\n' "$TEST_NAME" "$*" >&2
}

# --- assertions: each prints what was expected and what was seen ---------------------------------

assert_eq() {  # EXPECTED ACTUAL WHAT
        [[ "$1" == "$2" ]] || fail "$3: expected '$1', saw '$2'"
}

assert_ne() {  # UNEXPECTED ACTUAL WHAT
        [[ "$1" != "$2" ]] || fail "$3: expected anything but '$1', saw it"
}

assert_match() {  # ERE ACTUAL WHAT
        [[ "$2" =~ $1 ]] || fail "$3: expected a match of /$1/, saw '$2'"
}

assert_contains() {  # NEEDLE HAYSTACK WHAT
        [[ "$2" == *"$1"* ]] || fail "$3: expected to contain '$1', saw '$2'"
}

assert_not_contains() {  # NEEDLE HAYSTACK WHAT
        [[ "$2" != *"$1"* ]] || fail "$3: expected not to contain '$1', saw '$2'"
}

assert_int() {  # A OP B WHAT   (OP: -eq -ne -lt -le -gt -ge)
        [[ "$1" =~ ^-?[0-9]+$ ]] || fail "$4: expected a number, saw '$1'"
        [[ "$3" =~ ^-?[0-9]+$ ]] || fail "$4: expected a number, saw '$3'"
        # shellcheck disable=SC2086
        [ "$1" $2 "$3" ] || fail "$4: expected $1 $2 $3"
}

assert_file_exists() {
        [[ -e "$1" ]] || fail "${2:-file}: expected $1 to exist, it does not"
}

assert_file_missing() {
        [[ ! -e "$1" ]] || fail "${2:-file}: expected $1 not to exist, it does"
}

# assert_cgroup_gone DIR WHAT: a job that is done has no process left in its cgroup (DESIGN.md: done only
# when none remains), checked at once. The directory itself: jobd removes its own cgroups (cgroupfs)
# before it says done, so it must be gone already; a scope's cgroup is removed by systemd when it
# collects the unit, asynchronously after the scope emptied (jobd does not hold done back for the
# manager's garbage collection), so it is waited for, bounded.
assert_cgroup_gone() {
        local d=$1 what=$2
        if [[ -e "$d/cgroup.procs" ]]; then
                [[ ! -s "$d/cgroup.procs" ]] || fail "$what: $d still has processes: $(head -n 5 "$d/cgroup.procs" | tr '\n' ' ')"
        fi
        if [[ "$JOBD_TEST_BACKEND" == systemd ]]; then
                wait_until 10 "systemd to remove $d ($what)" test ! -e "$d"
        fi
        assert_file_missing "$d" "$what"
}

# run_rc VAR CMD...: runs CMD, stores its exit code in VAR and its stdout/stderr in RUN_OUT/RUN_ERR.
RUN_OUT=""
RUN_ERR=""
run_rc() {
        local __var=$1 __rc=0 __o __e
        shift
        __o=$(mktemp -p "$TEST_TMP")
        __e=$(mktemp -p "$TEST_TMP")
        "$@" >"$__o" 2>"$__e" || __rc=$?
        RUN_OUT=$(cat "$__o")
        RUN_ERR=$(cat "$__e")
        rm -f "$__o" "$__e"
        printf -v "$__var" '%s' "$__rc"
}

# expect_rc RC WHAT CMD...: CMD must exit with RC.
expect_rc() {
        local want=$1 what=$2 rc
        shift 2
        run_rc rc "$@"
        [[ "$rc" == "$want" ]] ||
                fail "$what: expected exit code $want from '$*', saw $rc (stdout: '$RUN_OUT', stderr: '$RUN_ERR')"
}

# --- time and bounded waits -----------------------------------------------------------------------

now_ms() {
        local s
        s=$(date +%s%N)
        echo $((s / 1000000))
}

# wait_until TIMEOUT_SEC WHAT CMD...: polls CMD (a condition with no event to wait on) until it succeeds;
# fails the scenario at the deadline.
wait_until() {
        local timeout=$1 what=$2 deadline
        shift 2
        deadline=$(($(now_ms) + timeout * 1000))
        until "$@"; do
                if [[ -n "$JOBD_PID" ]] && ! jobd_alive; then
                        fail "jobd (pid $JOBD_PID) died while waiting for: $what"
                fi
                if (($(now_ms) > deadline)); then
                        fail "timed out after ${timeout}s waiting for: $what"
                fi
                sleep 0.02
        done
}

# holds_for SEC CMD...: true if CMD stays true over the whole window (polled); a bounded observation
# window, used only where the assertion is "nothing happens" (e.g. a frozen job does not progress).
holds_for() {
        local window=$1 end
        shift
        end=$(($(now_ms) + window * 1000))
        while (($(now_ms) < end)); do
                "$@" || return 1
                sleep 0.05
        done
        "$@"
}

# --- environment checks -----------------------------------------------------------------------------

# The cgroup v2 mount point, from /proc/self/mountinfo (never hard-coded: /sys/fs/cgroup on pure v2 hosts,
# /sys/fs/cgroup/unified on hybrid ones).
cgroup2_mount() {
        awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") { print $5; exit } break } }' \
                /proc/self/mountinfo
}

# Mount points of the cgroup v1 hierarchies that have CONTROLLER (e.g. memory, pids).
cgroup1_mount() {
        awk -v c="$1" '{ for (i = 7; i <= NF; i++) if ($i == "-") {
                if ($(i+1) == "cgroup") { n = split($(i+3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }
                break } }' /proc/self/mountinfo
}

# All cgroup mount points (v1 and v2), for the cleanup.
cgroup_mounts_all() {
        awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2" || $(i+1) == "cgroup") print $5; break } }' \
                /proc/self/mountinfo
}

# Is CONTROLLER usable for jobs on this host: in the v2 root's cgroup.controllers, or a v1 hierarchy?
controller_available() {
        local c=$1 m
        m=$(cgroup2_mount)
        if [[ -n "$m" && -r "$m/cgroup.controllers" ]] && grep -qw "$c" "$m/cgroup.controllers"; then
                return 0
        fi
        [[ -n "$(cgroup1_mount "$c")" ]]
}

find_python_dbus() {
        local p
        for p in /usr/bin/python3 python3; do
                if command -v "$p" >/dev/null && "$p" -c 'import dbus' 2>/dev/null; then
                        command -v "$p"
                        return 0
                fi
        done
        return 1
}

check_environment() {
        local b
        [[ $(id -u) == 0 ]] || skip "needs root to create cgroups and run jobd on a cgroup root"
        CG2=$(cgroup2_mount)
        [[ -n "$CG2" ]] || skip "no cgroup2 mount in /proc/self/mountinfo"
        [[ -w "$CG2" ]] || skip "cgroup2 mount $CG2 is not writable"
        [[ -e "$CG2/cgroup.procs" ]] || skip "$CG2 is not a cgroup2 hierarchy root"
        for b in dbus-daemon busctl; do
                command -v "$b" >/dev/null || skip "$b is not installed"
        done
        for b in JOBD JOBCTL JOBD_EXEC_PATH SPAWN_TREE; do
                [[ -n "${!b:-}" ]] || skip "\$$b is not set (run through meson test)"
                [[ -x "${!b}" ]] || skip "\$$b=${!b} is not built yet"
        done
}

# --- setup and cleanup ------------------------------------------------------------------------------

# The backend the scenarios run against (DESIGN.md: the same scenarios for each backend); extra jobd
# options in JOBD_TEST_ARGS.
JOBD_TEST_BACKEND=${JOBD_TEST_BACKEND:-cgroupfs}
TEST_TMP=""
STATE_DIR=""
CG2=""
CG_NAME=""
CG_ROOT=""
DBUS_PID=""
BUS=""
JOBD_PID=""
JOBD_LOG=""
BG_PIDS=()
JOBD_EXPECT_DEAD=0

setup() {
        check_environment
        TEST_TMP=$(mktemp -d "/tmp/jobd-test-$TEST_NAME.XXXXXX")
        STATE_DIR=$(mktemp -d "$TEST_TMP/state.XXXXXX")
        CG_NAME="jobd-test-$TEST_NAME-$$"
        CG_ROOT="$CG2/$CG_NAME"
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        guardian_start
        mkdir "$CG_ROOT" || skip "cannot create test cgroup $CG_ROOT"
}

# The guardian: a process in a session of its own that cleans up if this shell dies without running its
# EXIT trap (meson's timeout sends SIGTERM to the test's process group, then SIGKILL 0.5 s later). It
# holds the read end of a fifo whose only writer is this shell (fd 9, closed in every long-lived child),
# so it wakes on EOF, event-driven. It finds what to clean in $TEST_TMP/harness.state; the EXIT trap
# removes $TEST_TMP when it has cleaned up itself, and the guardian then has nothing to do.
guardian_start() {
        local fifo="$TEST_TMP/guardian.fifo"
        mkfifo "$fifo"
        {
                echo "CG_NAME=$CG_NAME"
                echo "TEST_TMP=$TEST_TMP"
        } >"$TEST_TMP/harness.state"
        setsid bash "$HARNESS_DIR/guardian.sh" "$TEST_TMP" "$fifo" </dev/null >/dev/null 2>&1 &
        exec 9>"$fifo"
}

# state_record KEY PID: records a process for the guardian, with its start time (pid reuse).
state_record() {
        echo "$1=$2:$(proc_starttime "$2" 2>/dev/null || echo 0)" >>"$TEST_TMP/harness.state"
}

# bg_start CMD...: starts CMD in the background, recorded for the cleanup; its pid in BG_PID.
BG_PID=""
bg_start() {
        "$@" 9>&- &
        BG_PID=$!
        BG_PIDS+=("$BG_PID")
        state_record BG "$BG_PID"
}

# Kills every process in one cgroup directory of any hierarchy and waits (bounded) until it is empty.
cg_empty_one() {
        local d=$1 deadline pid
        deadline=$(($(now_ms) + 10000))
        if [[ -e "$d/cgroup.kill" ]]; then
                echo 1 >"$d/cgroup.kill" 2>/dev/null || true
                while grep -q '^populated 1' "$d/cgroup.events" 2>/dev/null; do
                        if (($(now_ms) > deadline)); then
                                log "cleanup: $d still populated after 10s"
                                return 1
                        fi
                        sleep 0.02
                done
        else
                # cgroup v1 (or v2 without cgroup.kill): SIGKILL what is listed until nothing is. (A cgroup
                # file has no size: -s would never see a process in it.)
                while [[ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ]]; do
                        while read -r pid; do
                                kill -KILL "$pid" 2>/dev/null || true
                        done <"$d/cgroup.procs"
                        if (($(now_ms) > deadline)); then
                                log "cleanup: $d still has processes after 10s"
                                return 1
                        fi
                        sleep 0.02
                done
        fi
}

cg_rmdir() {
        local deadline
        deadline=$(($(now_ms) + 5000))
        until rmdir "$1" 2>/dev/null; do
                [[ -d "$1" ]] || return 0
                (($(now_ms) < deadline)) || return 1
                sleep 0.05
        done
}

# Removes the test cgroup subtree in every hierarchy (the daemon may have created v1 memory/pids cgroups
# under the same name), killing what is left, depth-first.
cgroup_cleanup() {
        local m d
        for m in $(cgroup_mounts_all); do
                while IFS= read -r d; do
                        [[ -n "$d" ]] || continue
                        while IFS= read -r sub; do
                                cg_empty_one "$sub" || true
                        done < <(find "$d" -depth -type d 2>/dev/null)
                        # A killed process leaves its cgroup a moment after cgroup.procs stops listing it
                        # (v1, a container's many processes): rmdir is retried, bounded.
                        while IFS= read -r sub; do
                                cg_rmdir "$sub" || log "cleanup: cannot remove $sub"
                        done < <(find "$d" -depth -type d 2>/dev/null)
                done < <(find "$m" -maxdepth 4 -type d -name "$CG_NAME" 2>/dev/null)
        done
}

# kill_foreign PID STARTTIME: for the guardian, which cannot wait for these (not its children): SIGTERM,
# SIGKILL after 5 s, until the process (the same one: same start time) is gone.
kill_foreign() {
        local pid=$1 st=$2 deadline sig=TERM
        deadline=$(($(now_ms) + 5000))
        while [[ "$(proc_starttime "$pid" 2>/dev/null)" == "$st" ]] && ! is_zombie "$pid"; do
                kill -"$sig" "$pid" 2>/dev/null || true
                if (($(now_ms) > deadline)); then
                        sig=KILL
                fi
                sleep 0.05
        done
}

# Stops PID (our child) with SIG, then SIGKILL after GRACE seconds; its exit status in STOP_RC. (Not
# to be called in a subshell: only this shell can wait for its children.)
STOP_RC=""
stop_pid() {
        local pid=$1 sig=$2 grace=$3 deadline rc=0
        kill "-$sig" "$pid" 2>/dev/null || true
        deadline=$(($(now_ms) + grace * 1000))
        while kill -0 "$pid" 2>/dev/null && ! is_zombie "$pid"; do
                if (($(now_ms) > deadline)); then
                        log "pid $pid did not exit within ${grace}s of SIG$sig, sending SIGKILL"
                        kill -KILL "$pid" 2>/dev/null || true
                        break
                fi
                sleep 0.02
        done
        wait "$pid" 2>/dev/null || rc=$?
        STOP_RC=$rc
}

is_zombie() {
        local st
        st=$(proc_state "$1") || return 1
        [[ "$st" == Z || "$st" == X ]]
}

# Functions the cleanup calls first, before it ends the recorded processes (e.g. a container's clean
# poweroff: container.sh).
CLEANUP_HOOKS=()

cleanup() {
        local rc=$? p drc
        set +e
        trap - EXIT

        for p in "${CLEANUP_HOOKS[@]}"; do
                "$p"
        done

        for p in "${BG_PIDS[@]}"; do
                kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done

        if [[ -n "$JOBD_PID" ]]; then
                if ! kill -0 "$JOBD_PID" 2>/dev/null || is_zombie "$JOBD_PID"; then
                        wait "$JOBD_PID" 2>/dev/null
                        drc=$?
                        if [[ "$JOBD_EXPECT_DEAD" != 1 ]]; then
                                printf '[%s] FAIL: jobd (pid %s) died during the test, exit status %s\n' \
                                        "$TEST_NAME" "$JOBD_PID" "$drc" >&2
                                rc=1
                        fi
                else
                        stop_pid "$JOBD_PID" TERM 10
                        drc=$STOP_RC
                        if [[ "$drc" != 0 && "${JOBD_TEST_IGNORE_DAEMON_EXIT:-0}" != 1 ]]; then
                                printf '[%s] FAIL: jobd exited with status %s on SIGTERM (sanitizer report?)\n' \
                                        "$TEST_NAME" "$drc" >&2
                                rc=1
                        fi
                fi
        fi

        if [[ -n "$CG_NAME" ]]; then
                cgroup_cleanup
        fi

        if [[ -n "$DBUS_PID" ]]; then
                stop_pid "$DBUS_PID" TERM 5
        fi

        if ((${#TEST_USERS[@]} + ${#TEST_GROUPS[@]} > 0)); then
                users_cleanup "${TEST_USERS[@]}" "${TEST_GROUPS[@]}"
        fi

        if [[ "$rc" != 0 && "$rc" != "$TEST_SKIP" && -n "$JOBD_LOG" && -s "$JOBD_LOG" ]]; then
                echo "----- jobd log (last 60 lines) -----" >&2
                tail -n 60 "$JOBD_LOG" >&2
                echo "------------------------------------" >&2
        fi

        if [[ "$rc" == 0 && -n "$TEST_TMP" && -s "$TEST_TMP/failed" ]]; then
                printf '[%s] FAIL: an assertion failed inside a command substitution (see above)\n' "$TEST_NAME" >&2
                rc=1
        fi

        if [[ -n "$TEST_TMP" && "${JOBD_TEST_KEEP:-0}" != 1 ]]; then
                rm -rf "$TEST_TMP"
        elif [[ -n "$TEST_TMP" ]]; then
                echo "CLEAN=1" >>"$TEST_TMP/harness.state"
                log "kept $TEST_TMP"
        fi

        if [[ "$rc" == 0 && "$FAILURES" != 0 ]]; then
                rc=1
        fi
        if [[ "$rc" == 0 ]]; then
                printf '[%s] PASS\n' "$TEST_NAME" >&2
        fi
        exit "$rc"
}

# Starts the private dbus-daemon; sets BUS. Event-driven: the address arrives through a fifo.
dbus_start() {
        local fifo="$TEST_TMP/bus-address"
        mkfifo "$fifo"
        # DBUS_TEST_CONFIG: a bus configuration of the scenario's own (e.g. one every user may join).
        local conf=(--session)
        [[ -z "${DBUS_TEST_CONFIG:-}" ]] || conf=(--config-file="$DBUS_TEST_CONFIG")
        dbus-daemon "${conf[@]}" --nofork --nopidfile --print-address=3 3>"$fifo" \
                >"$TEST_TMP/dbus-daemon.log" 2>&1 9>&- &
        DBUS_PID=$!
        state_record DBUS "$DBUS_PID"
        if ! read -r -t 10 BUS <"$fifo"; then
                fail "dbus-daemon printed no address within 10s: $(cat "$TEST_TMP/dbus-daemon.log")"
        fi
        [[ -n "$BUS" ]] || fail "dbus-daemon printed an empty address"
        export JOBD_BUS_ADDRESS="$BUS"
}

name_has_owner() {
        busctl --address="$BUS" call -- org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                NameHasOwner s org.jobd1 2>/dev/null | grep -q '^b true$'
}

jobd_alive() {
        kill -0 "$JOBD_PID" 2>/dev/null && ! is_zombie "$JOBD_PID"
}

# jobd_start [JOBD OPTIONS...]: bus, cgroup root, state dir, jobd; waits (bounded) for org.jobd1.
jobd_start() {
        local deadline drc
        [[ -n "$TEST_TMP" ]] || setup
        [[ -n "$BUS" ]] || dbus_start
        JOBD_LOG="$TEST_TMP/jobd.log"
        export JOBD_EXEC_PATH
        local backend_args=(--cgroup-root="$CG_ROOT")
        if [[ "$JOBD_TEST_BACKEND" != cgroupfs ]]; then
                # e.g. systemd, run inside tests/helpers/systemd-user-manager.sh: the job cgroups are the
                # manager's scopes; the test cgroup root stays empty.
                backend_args=(--backend="$JOBD_TEST_BACKEND")
        fi
        # shellcheck disable=SC2086
        "$JOBD" --bus-address="$BUS" "${backend_args[@]}" --state-dir="$STATE_DIR" \
                --log-level=debug ${JOBD_TEST_ARGS:-} "$@" >>"$JOBD_LOG" 2>&1 9>&- &
        JOBD_PID=$!
        state_record JOBD "$JOBD_PID"
        deadline=$(($(now_ms) + 20000))
        until name_has_owner; do
                if ! jobd_alive; then
                        wait "$JOBD_PID" 2>/dev/null && drc=0 || drc=$?
                        JOBD_EXPECT_DEAD=1
                        fail "jobd exited (status $drc) before taking org.jobd1: $(tail -n 20 "$JOBD_LOG")"
                fi
                if (($(now_ms) > deadline)); then
                        fail "jobd did not take org.jobd1 within 20s"
                fi
                sleep 0.02
        done
        log "jobd pid $JOBD_PID on $BUS, cgroup root $CG_ROOT"
}

# --- system mode: a system-type bus with the shipped policy, and throw-away users --------------------

SRC_ROOT=$(cd "$HARNESS_DIR/../.." && pwd)

# system_bus_start [EXTRA-POLICY-FILE...]: a private bus of type system whose rules are the machine's
# default-deny system bus rules (the <policy context="default"> of dbus's own system.conf: nobody may own
# a name or call a method unless a policy file punches the hole) plus <include> of the shipped
# policy/org.jobd1.conf and of each EXTRA-POLICY-FILE (e.g. polkit's). Every user may connect. Sets BUS.
system_bus_start() {
        local sysconf=/usr/share/dbus-1/system.conf f
        [[ -n "$TEST_TMP" ]] || setup
        [[ -r "$sysconf" ]] || skip "no $sysconf to take the system bus's default rules from"
        chmod 711 "$TEST_TMP"
        mkdir -m 755 "$TEST_TMP/bus"
        DBUS_TEST_CONFIG="$TEST_TMP/system-bus.conf"
        {
                cat <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir=$TEST_TMP/bus</listen>
  <auth>EXTERNAL</auth>
CONF
                awk '/<policy context="default">/ { p = 1 } p { print } p && /<\/policy>/ { exit }' "$sysconf"
                echo "  <include>$SRC_ROOT/policy/org.jobd1.conf</include>"
                for f in "$@"; do
                        echo "  <include>$f</include>"
                done
                echo "</busconfig>"
        } >"$DBUS_TEST_CONFIG"
        grep -q '<deny own="\*"/>' "$DBUS_TEST_CONFIG" ||
                fail "the default policy taken from $sysconf does not deny owning names: $(cat "$DBUS_TEST_CONFIG")"
        local old_umask
        old_umask=$(umask)
        umask 000
        dbus_start
        umask "$old_umask"
}

# user_add VAR [GROUP...]: creates a throw-away user (with a group of its own, no home, a real uid from
# the user database) that is also a member of each GROUP; its name goes into VAR. Removed by the cleanup
# (or the guardian). group_add VAR: the same for a group.
TEST_USERS=()
TEST_GROUPS=()
user_add() {
        local var=$1 name
        shift
        command -v useradd >/dev/null || skip "no useradd(8) to create throw-away users"
        name="jt$$u${#TEST_USERS[@]}"
        local g=()
        (($# == 0)) || g=(--groups "$(IFS=,; echo "$*")")
        useradd --no-create-home --home-dir / --shell /bin/sh --user-group "${g[@]}" "$name" ||
                fail "cannot create the throw-away user $name"
        TEST_USERS+=("$name")
        echo "TUSER=$name" >>"$TEST_TMP/harness.state"
        printf -v "$var" '%s' "$name"
}

group_add() {
        local var=$1 name
        name="jt$$g${#TEST_GROUPS[@]}"
        groupadd "$name" || fail "cannot create the throw-away group $name"
        TEST_GROUPS+=("$name")
        echo "TGROUP=$name" >>"$TEST_TMP/harness.state"
        printf -v "$var" '%s' "$name"
}

# users_cleanup [USER... -- GROUP...]: removes the throw-away users and groups (after their jobs' cgroups
# are gone). Only names this harness made (jt<pid>u<n>, jt<pid>g<n>) are ever removed.
users_cleanup() {
        local u
        for u in "$@"; do
                [[ "$u" =~ ^jt[0-9]+[ug][0-9]+$ ]] || continue
                if [[ "$u" == *u* ]] && getent passwd "$u" >/dev/null; then
                        userdel "$u" 2>/dev/null || log "cleanup: cannot remove user $u"
                fi
                if getent group "$u" >/dev/null; then
                        groupdel "$u" 2>/dev/null || log "cleanup: cannot remove group $u"
                fi
        done
}

# as_user NAME CMD...: CMD as NAME (its uid, gid and groups from the user database), on the test bus.
as_user() {
        local u=$1
        shift
        runuser -u "$u" -- env JOBD_BUS_ADDRESS="$BUS" "$@"
}

# --- talking to the daemon --------------------------------------------------------------------------

# jobctl finds the bus through $JOBD_BUS_ADDRESS (exported by dbus_start); --address is tested apart.
# Bounded, so a hanging client fails the scenario instead of running into meson's timeout (exit 124,
# message on stderr; --foreground keeps it in our process group).
JOBCTL_TIMEOUT=${JOBCTL_TIMEOUT:-60}
jobctl() {
        local rc=0
        timeout --foreground -k 5 "$JOBCTL_TIMEOUT" "$JOBCTL" "$@" || rc=$?
        if [[ "$rc" == 124 || "$rc" == 137 ]] && [[ "$1" != run ]]; then
                log "jobctl $* did not return within ${JOBCTL_TIMEOUT}s (exit $rc)"
        fi
        return "$rc"
}

bctl() {
        busctl --address="$BUS" "$@"
}

mcall() {  # METHOD SIGNATURE ARGS...: org.jobd1.Manager call
        bctl call -- org.jobd1 /org/jobd1 org.jobd1.Manager "$@"
}

job_path() {
        echo "/org/jobd1/job/$1"
}

# job_prop ID PROP: the property's value, unquoted for strings ('s "done"' -> done; 'u 50' -> 50).
job_prop() {
        local out
        out=$(bctl get-property org.jobd1 "$(job_path "$1")" org.jobd1.Job "$2") ||
                fail "cannot read property $2 of job $1"
        unwrap "$out"
}

# job_prop_json ID PROP: the property's value as JSON (arrays and escaped strings).
job_prop_json() {
        bctl --json=short get-property org.jobd1 "$(job_path "$1")" org.jobd1.Job "$2" | jq -c .data
}

mgr_prop() {
        local out
        out=$(bctl get-property org.jobd1 /org/jobd1 org.jobd1.Manager "$1") ||
                fail "cannot read Manager property $1"
        unwrap "$out"
}

unwrap() {
        local v=$1
        v=${v#* }
        if [[ "$v" == \"*\" ]]; then
                v=${v#\"}
                v=${v%\"}
        fi
        printf '%s' "$v"
}

# submit [JOBCTL SUBMIT OPTIONS...] -- CMD...: submits through jobctl, echoes the new job's id.
submit() {
        local out rc=0 id
        out=$(jobctl submit "$@" 2>"$TEST_TMP/submit.err") || rc=$?
        [[ "$rc" == 0 ]] || fail "jobctl submit $* failed with $rc: $(cat "$TEST_TMP/submit.err") $out"
        id=$(parse_id "$out") || fail "cannot find a job id in the output of jobctl submit: '$out'"
        echo "$id"
}

# Takes the id out of jobctl's output: a bare number, JSON with "id"/"Id", or the first number.
parse_id() {
        local out=$1 id
        if [[ "$out" =~ ^[[:space:]]*([0-9]+)[[:space:]]*$ ]]; then
                echo "${BASH_REMATCH[1]}"
                return 0
        fi
        id=$(jq -er '.id // .Id // empty' <<<"$out" 2>/dev/null) && [[ -n "$id" ]] && {
                echo "$id"
                return 0
        }
        if [[ "$out" =~ /org/jobd1/job/([0-9]+) ]] || [[ "$out" =~ ([0-9]+) ]]; then
                echo "${BASH_REMATCH[1]}"
                return 0
        fi
        return 1
}

# bsubmit DICT...: submits through busctl (bsubmit 2 Argv as 2 sleep 1 Name s x: the entry count first,
# as busctl wants it); echoes the id after checking the reply's shape.
bsubmit() {
        local out
        out=$(mcall Submit 'a{sv}' "$@") || fail "Submit $* failed"
        [[ "$out" =~ ^to\ ([0-9]+)\ \"(/org/jobd1/job/[0-9]+)\"$ ]] ||
                fail "Submit reply: expected 'to ID \"/org/jobd1/job/ID\"', saw '$out'"
        [[ "${BASH_REMATCH[2]}" == "/org/jobd1/job/${BASH_REMATCH[1]}" ]] ||
                fail "Submit reply: path ${BASH_REMATCH[2]} does not match id ${BASH_REMATCH[1]}"
        echo "${BASH_REMATCH[1]}"
}

# wait_done ID [TIMEOUT]: event-driven wait through `jobctl wait`, then checks the daemon agrees that the
# job is done (so a jobctl that returns early is caught here). Sets WAIT_RC to jobctl's exit code.
WAIT_RC=""
wait_done() {
        local id=$1 t=${2:-30} st
        WAIT_RC=0
        timeout -k 5 "$t" "$JOBCTL" wait "$id" >/dev/null 2>"$TEST_TMP/wait.err" || WAIT_RC=$?
        jobd_alive || fail "jobd (pid $JOBD_PID) died while jobctl wait $id ran (rc $WAIT_RC)"
        # 124 is also what jobctl wait gives for one job that timed out: then the job is done.
        if [[ "$WAIT_RC" == 124 ]] && ! job_state_is "$id" done; then
                fail "jobctl wait $id did not return within ${t}s (state $(job_prop "$id" State))"
        fi
        st=$(job_prop "$id" State)
        [[ "$st" == done ]] ||
                fail "jobctl wait $id returned $WAIT_RC but the job's State is '$st' ($(cat "$TEST_TMP/wait.err"))"
}

job_state_is() {
        local st
        st=$(bctl get-property org.jobd1 "$(job_path "$1")" org.jobd1.Job State 2>/dev/null) || return 1
        [[ "$(unwrap "$st")" == "$2" ]]
}

wait_state() {  # ID STATE [TIMEOUT]: bounded poll (for states jobctl wait does not cover)
        wait_until "${3:-20}" "job $1 in state $2" job_state_is "$1" "$2"
}

# The job's cgroup directory (absolute path under the v2 mount) from ControlGroup; accepts either an
# absolute filesystem path or a path relative to the mount.
job_cgroup_dir() {
        local cg
        cg=$(job_prop "$1" ControlGroup)
        if [[ "$cg" == "$CG2"/* ]]; then
                echo "$cg"
        else
                echo "$CG2/${cg#/}"
        fi
}

# --- processes ---------------------------------------------------------------------------------------

# proc_state PID: the state letter from /proc/PID/stat.
proc_state() {
        local s
        read -r s <"/proc/$1/stat" 2>/dev/null || return 1
        s=${s##*) }
        echo "${s%% *}"
}

proc_starttime() {
        local s f
        read -r s <"/proc/$1/stat" 2>/dev/null || return 1
        s=${s##*) }
        read -r -a f <<<"$s"
        # After ')' the fields start at 3 (state); starttime is field 22.
        echo "${f[19]}"
}

# alive_pids FILE: prints the pids of FILE ("PID STARTTIME" lines from spawn-tree -S) that still run
# (same pid, same start time, not a zombie).
alive_pids() {
        local pid st cur state
        while read -r pid st; do
                [[ -n "$pid" ]] || continue
                cur=$(proc_starttime "$pid") || continue
                [[ -z "$st" || "$cur" == "$st" ]] || continue
                state=$(proc_state "$pid") || continue
                [[ "$state" == Z || "$state" == X ]] && continue
                echo "$pid"
        done <"$1"
}

count_alive() {
        alive_pids "$1" | wc -l
}

none_alive() {
        [[ $(count_alive "$1") == 0 ]]
}

# assert_none_alive FILE WHAT: the check is immediate (the job is done: nothing of it may remain).
assert_none_alive() {
        local alive
        alive=$(alive_pids "$1" | head -n 10 | tr '\n' ' ')
        [[ -z "$alive" ]] || fail "$2: expected no process of $1 alive, saw $(count_alive "$1") alive (e.g. $alive)"
}

wait_file() {  # FILE [TIMEOUT]
        wait_until "${2:-20}" "file $1" test -s "$1"
}

daemon_still_ok() {
        jobd_alive || fail "jobd (pid $JOBD_PID) is no longer running"
        name_has_owner || fail "org.jobd1 is no longer owned on the bus"
        busctl --address="$BUS" --timeout=10 call -- org.jobd1 /org/jobd1 org.jobd1.Manager ListJobs >/dev/null ||
                fail "ListJobs fails (or takes more than 10 s)"
}

# pid_gone PID: our child PID has exited (or is a zombie waiting for our wait).
pid_gone() {
        ! kill -0 "$1" 2>/dev/null || is_zombie "$1"
}

# bus_try BUSCTL-ARGS...: runs busctl against the test bus. On success BUS_OK=1, BUS_OUT = its output; on
# failure BUS_OK=0 and BUS_ERR_NAME/BUS_ERR_MSG = the D-Bus error of the reply (busctl itself prints only
# the message; its debug log has the name).
BUS_OK=0; BUS_OUT=""; BUS_ERR_NAME=""; BUS_ERR_MSG=""
bus_try() {
        local out line
        BUS_OK=0; BUS_OUT=""; BUS_ERR_NAME=""; BUS_ERR_MSG=""
        if out=$(SYSTEMD_LOG_LEVEL=debug busctl --address="$BUS" "$@" 2>"$TEST_TMP/busctl.err"); then
                BUS_OK=1
                BUS_OUT=$out
                return 0
        fi
        line=$(grep -m1 '^Got message type=error ' "$TEST_TMP/busctl.err" || true)
        if [[ -n "$line" ]]; then
                BUS_ERR_NAME=${line#* error-name=}
                BUS_ERR_NAME=${BUS_ERR_NAME%% *}
                BUS_ERR_MSG=${line#* error-message=}
        else
                BUS_ERR_NAME="(no error reply)"
                BUS_ERR_MSG=$(grep -v '^\(Sent\|Got\) message\|^Bus \|^Sent \|^Got ' "$TEST_TMP/busctl.err" | tail -n 3 | tr '\n' ' ')
        fi
        return 0
}

# expect_bus_error ERROR-NAME WHAT BUSCTL-ARGS...: the call must fail with that error.
expect_bus_error() {
        local want=$1 what=$2
        shift 2
        bus_try "$@"
        [[ "$BUS_OK" == 0 ]] || fail "$what: expected $want, the call succeeded: $BUS_OUT"
        [[ "$BUS_ERR_NAME" == "$want" ]] || fail "$what: expected $want, saw $BUS_ERR_NAME ($BUS_ERR_MSG)"
}

# jobd_crash: SIGKILL to jobd (no chance to save anything), waited for. jobd_start again restarts it on
# the same bus, cgroup root and state directory.
jobd_crash() {
        kill -KILL "$JOBD_PID"
        wait "$JOBD_PID" 2>/dev/null || true
        JOBD_PID=""
        wait_until 10 "org.jobd1 to leave the bus" eval '! name_has_owner'
}
