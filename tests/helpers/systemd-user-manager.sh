#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# systemd-user-manager.sh [--name=NAME] -- CMD [ARG...]
#
# Runs CMD next to a real, contained systemd user manager and tears everything down afterwards. The
# containment follows DESIGN.md ("Environment facts"):
#
#   1. a cgroup NAME of our own at the top of EVERY mounted hierarchy (v2 and each v1 one), with two
#      leaves: NAME/init.scope for the manager (systemd then takes NAME as its root and never looks above
#      it) and NAME/harness for CMD and the bus; /proc/self/cgroup is checked before systemd starts;
#   2. a private mount namespace (unshare -m) with a tmpfs on /run/systemd holding /run/systemd/system;
#   3. a private 0700 XDG_RUNTIME_DIR on a tmpfs, as /run/user/UID is (SDUM_RUNTIME_TMPFS=0: a plain
#      folder under /tmp), and private XDG_CONFIG/DATA/STATE homes, where every unit the distribution
#      would start by default (dbus.socket, gpg-agent sockets, ...) is masked;
#   4. a private session dbus-daemon at $XDG_RUNTIME_DIR/bus;
#   5. /lib/systemd/systemd --user, awaited (bounded) with `systemctl --user is-system-running`.
#
# NEVER start a systemd manager from the root cgroup: it would move every process of the machine, PID 1
# included, into its own cgroups. This script refuses to if the checks of step 1 fail.
#
# CMD runs in the namespace with XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS, SDUM_CGROUP (the manager's root
# cgroup, relative to each hierarchy), SDUM_MANAGER_PID, SDUM_MANAGER_LOG and SDUM_INSIDE=1 in its
# environment. The exit code is CMD's; 77 (meson: SKIP) with the reason on stderr when no manager can be
# started here. Teardown: the manager and the bus by pid (SIGTERM, then SIGKILL), every process left in
# NAME killed (cgroup.kill, or SIGKILL of each listed pid in v1), the cgroups removed depth-first in every
# hierarchy. Nothing is killed by name.

set -eu -o pipefail

SKIP=77
SYSTEMD=${SYSTEMD_BINARY:-/lib/systemd/systemd}

sdum_log() {
        printf '[systemd-user-manager %s] %s\n' "$(date +%T.%3N)" "$*" >&2
}

sdum_skip() {
        printf '[systemd-user-manager] SKIP: %s\n' "$*" >&2
        exit "$SKIP"
}

now_ms() {
        local s
        s=$(date +%s%N)
        echo $((s / 1000000))
}

# Mount points of every cgroup hierarchy, v2 and v1, from /proc/self/mountinfo (never hard-coded).
cgroup_mounts() {
        awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2" || $(i+1) == "cgroup") print $5; break } }' \
                /proc/self/mountinfo
}

cgroup2_mount() {
        awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") { print $5; exit } break } }' \
                /proc/self/mountinfo
}

# mkcg DIR: creates a cgroup directory; a v1 cpuset needs cpus and mems before it can take a process.
mkcg() {
        local d=$1 f
        mkdir "$d"
        for f in cpuset.cpus cpuset.mems; do
                if [[ -e "$d/$f" && -z "$(cat "$d/$f")" ]]; then
                        cat "$(dirname "$d")/$f" >"$d/$f"
                fi
        done
}

# join LEAF: moves the calling (sub)shell into NAME/LEAF in every hierarchy.
join() {
        local m
        for m in "${MOUNTS[@]}"; do
                echo "$BASHPID" >"$m/$NAME/$1/cgroup.procs"
        done
}

# The calling process must be in NAME/LEAF in every hierarchy it belongs to (v2 and each v1 one): systemd
# takes its root from its own cgroup, and a wrong one could let it reorganise the whole machine.
check_joined() {
        local leaf=$1 line
        while IFS= read -r line; do
                if [[ "${line#*:*:}" != "/$NAME/$leaf" ]]; then
                        echo "not in /$NAME/$leaf in every hierarchy: /proc/self/cgroup has '$line'"
                        return 1
                fi
        done </proc/"$BASHPID"/cgroup
}

# Kills what is left in one cgroup directory of any hierarchy; bounded.
cg_empty_one() {
        local d=$1 deadline pid
        deadline=$(($(now_ms) + 10000))
        if [[ -e "$d/cgroup.kill" ]]; then
                echo 1 >"$d/cgroup.kill" 2>/dev/null || true
                while grep -q '^populated 1' "$d/cgroup.events" 2>/dev/null; do
                        (($(now_ms) < deadline)) || { sdum_log "teardown: $d still populated after 10s"; return 1; }
                        sleep 0.02
                done
        else
                while [[ -s "$d/cgroup.procs" ]]; do
                        while read -r pid; do
                                kill -KILL "$pid" 2>/dev/null || true
                        done <"$d/cgroup.procs"
                        (($(now_ms) < deadline)) || { sdum_log "teardown: $d still has processes after 10s"; return 1; }
                        sleep 0.02
                done
        fi
}

teardown_cgroups() {
        local m sub
        for m in "${MOUNTS[@]}"; do
                [[ -d "$m/$NAME" ]] || continue
                while IFS= read -r sub; do
                        cg_empty_one "$sub" || true
                done < <(find "$m/$NAME" -depth -type d 2>/dev/null)
        done
        for m in "${MOUNTS[@]}"; do
                [[ -d "$m/$NAME" ]] || continue
                while IFS= read -r sub; do
                        rmdir "$sub" 2>/dev/null || sdum_log "teardown: cannot remove $sub"
                done < <(find "$m/$NAME" -depth -type d 2>/dev/null)
        done
}

# Stops our child PID with SIGTERM, SIGKILL after GRACE seconds.
stop_pid() {
        local pid=$1 grace=$2 deadline
        kill -TERM "$pid" 2>/dev/null || return 0
        deadline=$(($(now_ms) + grace * 1000))
        while kill -0 "$pid" 2>/dev/null; do
                if [[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" == Z ]]; then
                        break
                fi
                if (($(now_ms) > deadline)); then
                        sdum_log "pid $pid did not exit within ${grace}s of SIGTERM, sending SIGKILL"
                        kill -KILL "$pid" 2>/dev/null || true
                        break
                fi
                sleep 0.02
        done
        wait "$pid" 2>/dev/null || true
}

# --- inside the namespace ----------------------------------------------------------------------------

inner() {
        local base rt fifo bus deadline st rc=0 u
        DBUS_PID=""
        MANAGER_PID=""
        base=$(mktemp -d "/tmp/jobd-sdum-$NAME.XXXXXX")
        inner_cleanup() {
                set +e
                [[ -n "$MANAGER_PID" ]] && stop_pid "$MANAGER_PID" 10
                [[ -n "$DBUS_PID" ]] && stop_pid "$DBUS_PID" 5
                mountpoint -q "$base/run" && umount "$base/run"
                if [[ "${SDUM_KEEP:-0}" == 1 ]]; then
                        sdum_log "kept $base"
                else
                        rm -rf "$base"
                fi
        }
        trap inner_cleanup EXIT

        mount -t tmpfs -o mode=0755,size=16m tmpfs /run/systemd || sdum_skip "cannot mount a tmpfs on /run/systemd"
        mkdir /run/systemd/system

        rt="$base/run"
        mkdir -m 0700 "$rt" "$base/config" "$base/data" "$base/state" "$base/cache"
        # A tmpfs, as /run/user/UID is: the manager writes a file or two per transient unit there.
        if [[ "${SDUM_RUNTIME_TMPFS:-1}" == 1 ]]; then
                mount -t tmpfs -o mode=0700,size=64m tmpfs "$rt" || sdum_skip "cannot mount a tmpfs on $rt"
        fi
        export XDG_RUNTIME_DIR="$rt"
        export XDG_CONFIG_HOME="$base/config" XDG_DATA_HOME="$base/data" XDG_STATE_HOME="$base/state"
        export XDG_CACHE_HOME="$base/cache"
        export SDUM_MANAGER_LOG="$base/manager.log"

        # Only what the tests start runs in this manager: mask what the distribution pulls in by default.
        mkdir -p "$XDG_CONFIG_HOME/systemd/user"
        for u in dbus.socket dbus.service /etc/systemd/user/*.wants/* /usr/lib/systemd/user/*.wants/*; do
                [[ "$u" == *'*'* ]] && continue
                ln -sf /dev/null "$XDG_CONFIG_HOME/systemd/user/$(basename "$u")"
        done

        bus="unix:path=$rt/bus"
        fifo="$base/bus-address"
        mkfifo "$fifo"
        dbus-daemon --session --address="$bus" --nofork --nopidfile --print-address=3 3>"$fifo" \
                >"$base/dbus-daemon.log" 2>&1 &
        DBUS_PID=$!
        read -r -t 10 _ <"$fifo" || sdum_skip "the session dbus-daemon did not start: $(cat "$base/dbus-daemon.log")"
        export DBUS_SESSION_BUS_ADDRESS="$bus"

        (
                join init.scope
                why=$(check_joined init.scope) || { echo "refusing to start systemd: $why" >&2; exit 1; }
                exec "$SYSTEMD" --user --log-target=console --log-level="${SDUM_LOG_LEVEL:-info}" \
                        --show-status=no
        ) </dev/null >"$SDUM_MANAGER_LOG" 2>&1 &
        MANAGER_PID=$!
        export SDUM_MANAGER_PID="$MANAGER_PID"

        deadline=$(($(now_ms) + 30000))
        while :; do
                st=$(systemctl --user is-system-running 2>/dev/null) || true
                [[ "$st" == running || "$st" == degraded ]] && break
                if ! kill -0 "$MANAGER_PID" 2>/dev/null; then
                        wait "$MANAGER_PID" 2>/dev/null && rc=0 || rc=$?
                        MANAGER_PID=""
                        sdum_skip "systemd --user exited with status $rc before answering: $(tail -n 20 "$SDUM_MANAGER_LOG")"
                fi
                if (($(now_ms) > deadline)); then
                        sdum_skip "systemd --user did not answer within 30s (state '$st'): $(tail -n 20 "$SDUM_MANAGER_LOG")"
                fi
                sleep 0.05
        done
        [[ "$st" == running ]] ||
                sdum_log "manager is $st: $(systemctl --user list-units --failed --no-legend 2>&1 | head -n 5)"
        sdum_log "systemd --user pid $MANAGER_PID is $st, root cgroup /$NAME, XDG_RUNTIME_DIR=$rt"

        export SDUM_CGROUP="/$NAME" SDUM_INSIDE=1
        "$@" || rc=$?
        exit "$rc"
}

# --- outside: cgroups, then the namespace --------------------------------------------------------------

NAME="jobd-sdum-$$"
while (($# > 0)); do
        case "$1" in
        --name=*) NAME=${1#--name=} ;;
        --inner) INNER=1 ;;
        --) shift; break ;;
        *) echo "usage: $0 [--name=NAME] -- CMD [ARG...]" >&2; exit 2 ;;
        esac
        shift
done
(($# > 0)) || { echo "usage: $0 [--name=NAME] -- CMD [ARG...]" >&2; exit 2; }
[[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ && "$NAME" != *.slice && "$NAME" != *.scope ]] ||
        { echo "$0: bad --name=$NAME" >&2; exit 2; }

mapfile -t MOUNTS < <(cgroup_mounts)

if [[ "${INNER:-0}" == 1 ]]; then
        inner "$@"
fi

[[ $(id -u) == 0 ]] || sdum_skip "needs root (cgroups in every hierarchy, a mount namespace)"
[[ -x "$SYSTEMD" ]] || sdum_skip "$SYSTEMD is not installed (apt-get install systemd)"
for b in unshare dbus-daemon systemctl; do
        command -v "$b" >/dev/null || sdum_skip "$b is not installed"
done
((${#MOUNTS[@]} > 0)) || sdum_skip "no cgroup hierarchy is mounted"
CG2=$(cgroup2_mount)
[[ -n "$CG2" ]] || sdum_skip "no cgroup2 hierarchy is mounted (systemd needs one to track units)"

for m in "${MOUNTS[@]}"; do
        if [[ -e "$m/$NAME" ]]; then
                sdum_skip "cgroup $m/$NAME exists already (a leftover? remove it, or choose another --name)"
        fi
done
trap 'teardown_cgroups' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for m in "${MOUNTS[@]}"; do
        mkcg "$m/$NAME" || sdum_skip "cannot create cgroup $m/$NAME"
        mkcg "$m/$NAME/init.scope" || sdum_skip "cannot create cgroup $m/$NAME/init.scope"
        mkcg "$m/$NAME/harness" || sdum_skip "cannot create cgroup $m/$NAME/harness"
done

rc=0
(
        join harness
        why=$(check_joined harness) || { sdum_log "$why"; exit "$SKIP"; }
        exec unshare --mount --propagation private -- "$0" --name="$NAME" --inner -- "$@"
) || rc=$?
exit "$rc"
