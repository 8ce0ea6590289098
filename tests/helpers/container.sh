# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A booted Debian 12 system with systemd as PID 1, for the scenarios that need a real system manager
# (jobd --system with the systemd backend, jobd.service, D-Bus activation on a real system bus, the
# nightly timer). Sourced after lib.sh:
#
#     . "$(dirname "$0")/../helpers/lib.sh"
#     . "$(dirname "$0")/../helpers/container.sh"
#     container_boot                  # build the root file system once, install this build, boot
#     ct jobctl --system list         # a command inside, as root
#     ct_as alice jobctl --system ... # as a user of the container
#     container_poweroff              # also done by the cleanup if the scenario fails first
#
# The root file system is made once per build folder with mmdebstrap from the machine's own apt sources
# (about 200 MB, 40-110 s) and cached in $JOBD_BUILD_ROOT/container/rootfs; this build is installed into
# it (meson install --destdir) before each boot, under a lock, so scenarios that boot containers run one
# after another. Each boot is --volatile=overlay: the tree stays read-only and pristine, what a scenario
# changes lives in a tmpfs that goes with the container.
#
# Containment (DESIGN.md): systemd-nspawn runs from a subshell that first moved itself into the test's own
# cgroup in every hierarchy a manager touches (unified, name=systemd, memory, pids), never from the root
# cgroup; --keep-unit --register=no keep it off the host's (absent) machined. The cleanup powers the
# container off, and lib.sh's cleanup kills what is left in the test cgroups and removes them.

CT_ROOT=""
CT_PID=""
CT_NSPAWN_PID=""
CT_PACKAGES=systemd,systemd-sysv,dbus,libcgroup2,libseccomp2,libjson-c5,libasan8,libubsan1,polkitd,procps,libslurm38,libpcre2-8-0

container_check() {
        local b
        for b in mmdebstrap systemd-nspawn nsenter flock; do
                command -v "$b" >/dev/null || skip "$b is not installed (.ci/deps installs it)"
        done
        [[ -n "${JOBD_BUILD_ROOT:-}" && -d "$JOBD_BUILD_ROOT" ]] ||
                skip "\$JOBD_BUILD_ROOT is not set (run through meson test)"
        local prefix
        prefix=$(meson introspect --buildoptions "$JOBD_BUILD_ROOT" 2>/dev/null |
                python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))' \
                2>/dev/null) || skip "cannot read this build's prefix with meson introspect"
        # The D-Bus policy and activation files must be where the container's dbus-daemon reads them.
        [[ "$prefix" == /usr ]] ||
                skip "this build's prefix is $prefix: the container needs a build configured with --prefix=/usr (.ci/run does)"
        local h
        for h in systemd memory pids; do
                [[ -n "$(cgroup_hierarchy "$h")" ]] || skip "no $h cgroup hierarchy to contain the container's manager in"
        done
}

# The mount point of a cgroup v1 hierarchy by controller or name (systemd: the name=systemd one).
cgroup_hierarchy() {
        if [[ "$1" == systemd ]]; then
                awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
                        if ($(i+1) == "cgroup" && $(i+3) ~ /(^|,)name=systemd(,|$)/) { print $5; exit } break } }' \
                        /proc/self/mountinfo
        else
                cgroup1_mount "$1"
        fi
}

# Builds the root file system if this build folder has none yet, and installs this build into it.
# Holds the lock on fd 7 for the rest of the scenario (released when the scenario exits).
container_prepare() {
        local dir="$JOBD_BUILD_ROOT/container"
        mkdir -p "$dir"
        exec 7>"$dir/lock"
        local t0
        t0=$(now_ms)
        flock -w 900 7 || fail "another scenario held the container lock for 15 minutes"
        log "container lock taken after $(($(now_ms) - t0)) ms"
        CT_ROOT="$dir/rootfs"
        if [[ ! -f "$dir/rootfs.done" || "$(cat "$dir/rootfs.done")" != "$CT_PACKAGES" ]]; then
                rm -rf "$CT_ROOT" "$dir/rootfs.done"
                log "building the container's root file system (mmdebstrap, once per build folder)"
                t0=$(now_ms)
                # Once more after a failure: the package mirror may drop a connection now and then.
                if ! mmdebstrap --quiet --variant=minbase --include="$CT_PACKAGES" bookworm "$CT_ROOT" \
                        >"$dir/mmdebstrap.log" 2>&1; then
                        log "mmdebstrap failed, trying once more: $(tail -n 3 "$dir/mmdebstrap.log")"
                        rm -rf "$CT_ROOT"
                        mmdebstrap --quiet --variant=minbase --include="$CT_PACKAGES" bookworm "$CT_ROOT" \
                                >"$dir/mmdebstrap.log" 2>&1 ||
                                fail "mmdebstrap failed: $(tail -n 20 "$dir/mmdebstrap.log")"
                fi
                echo "$CT_PACKAGES" >"$dir/rootfs.done"
                log "root file system built in $(($(now_ms) - t0)) ms"
        fi
        DESTDIR="$CT_ROOT" meson install -C "$JOBD_BUILD_ROOT" --no-rebuild --quiet >"$dir/install.log" 2>&1 ||
                fail "meson install into the container failed: $(tail -n 20 "$dir/install.log")"
        # The test payloads, for scenarios that need a tree that daemonizes and ignores SIGTERM.
        install -m 755 "$SPAWN_TREE" "$CT_ROOT/usr/local/bin/spawn-tree"
}

# container_boot: prepares, boots and waits (bounded) until the system is running.
container_boot() {
        [[ -n "$TEST_TMP" ]] || setup
        container_check
        container_prepare
        local h d
        for h in systemd memory pids; do
                d="$(cgroup_hierarchy "$h")/$CG_NAME"
                mkdir -p "$d"
        done
        (
                # Into the test's own cgroups first: never boot a manager from the root cgroup.
                for h in unified systemd memory pids; do
                        if [[ "$h" == unified ]]; then
                                d=$CG_ROOT
                        else
                                d="$(cgroup_hierarchy "$h")/$CG_NAME"
                        fi
                        echo "$BASHPID" >"$d/cgroup.procs"
                done
                exec systemd-nspawn --quiet --directory="$CT_ROOT" --volatile=overlay --register=no \
                        --keep-unit --boot --machine="ct$$" </dev/null >"$TEST_TMP/nspawn.log" 2>&1
        ) 9>&- &
        CT_NSPAWN_PID=$!
        BG_PIDS+=("$CT_NSPAWN_PID")
        state_record BG "$CT_NSPAWN_PID"
        wait_until 30 "the container's PID 1" container_find_init
        log "container booting: nspawn $CT_NSPAWN_PID, its PID 1 is $CT_PID on the host"
        # is-system-running --wait needs the manager's socket, which appears a moment after PID 1 starts.
        CT_STATE=""
        wait_until 90 "the container's system to finish starting up" container_started
        local st=$CT_STATE
        [[ "$st" == running ]] || {
                ct systemctl --failed --no-pager >&2 || true
                fail "the container's system did not reach 'running' (saw '$st'): $(tail -n 20 "$TEST_TMP/nspawn.log")"
        }
        CT_BOOTED=1
        log "container running"
}

CT_STATE=""
container_started() {
        CT_STATE=$(nsenter -t "$CT_PID" -a systemctl is-system-running 2>/dev/null) || true
        [[ "$CT_STATE" == running || "$CT_STATE" == degraded || "$CT_STATE" == maintenance ]]
}

container_find_init() {
        local c
        kill -0 "$CT_NSPAWN_PID" 2>/dev/null || fail "systemd-nspawn exited: $(tail -n 20 "$TEST_TMP/nspawn.log")"
        for c in $(cat /proc/"$CT_NSPAWN_PID"/task/*/children 2>/dev/null); do
                if [[ "$(cat /proc/"$c"/comm 2>/dev/null)" == systemd ]]; then
                        CT_PID=$c
                        return 0
                fi
        done
        return 1
}

# ct CMD...: CMD inside the container, as root (all its namespaces; bounded at 120 s).
ct() {
        timeout -k 5 120 nsenter -t "$CT_PID" -a -- "$@"
}

# ct_as USER CMD...: CMD inside the container as USER (uid, gid and groups from the container's user
# database).
ct_as() {
        local u=$1
        shift
        ct runuser -u "$u" -- "$@"
}

# ct_job_prop ID PROP: a job's property from the container's jobd, unquoted.
ct_job_prop() {
        local out
        out=$(ct busctl get-property org.jobd1 "/org/jobd1/job/$1" org.jobd1.Job "$2") ||
                fail "cannot read property $2 of job $1 in the container"
        unwrap "$out"
}

ct_wait_state() {  # ID STATE [TIMEOUT]
        wait_until "${3:-30}" "job $1 in state $2 in the container" eval \
                '[[ "$(unwrap "$(ct busctl get-property org.jobd1 /org/jobd1/job/'"$1"' org.jobd1.Job State 2>/dev/null)")" == '"$2"' ]]'
}

# container_poweroff: a clean shutdown, bounded; SIGKILL to nspawn after 60 s (the cleanup then kills
# what is left through the test cgroups).
CT_BOOTED=0
CLEANUP_HOOKS+=(container_poweroff)
container_poweroff() {
        [[ -n "$CT_NSPAWN_PID" ]] || return 0
        if kill -0 "$CT_NSPAWN_PID" 2>/dev/null && [[ -n "$CT_PID" ]]; then
                if ((FAILURES > 0)); then
                        echo "----- the container's journal of jobd (last 80 lines) -----" >&2
                        timeout 10 nsenter -t "$CT_PID" -a journalctl --no-pager -n 80 -u jobd.service -u 'jobd-*' >&2
                        echo "-----------------------------------------------------------" >&2
                fi
                nsenter -t "$CT_PID" -a systemctl poweroff >/dev/null 2>&1 || kill -TERM "$CT_NSPAWN_PID" 2>/dev/null
        fi
        stop_pid "$CT_NSPAWN_PID" CONT 60
        CT_NSPAWN_PID=""
        CT_PID=""
        # The container's processes leave its cgroups (v1 ones too) a moment after nspawn has exited:
        # wait, bounded, so that the cleanup finds them empty and can remove them.
        # (No fail() here: this also runs inside the cleanup.)
        local d deadline
        d="$(cgroup_hierarchy systemd)/$CG_NAME"
        deadline=$(($(now_ms) + 20000))
        until container_cgroups_empty "$d"; do
                if (($(now_ms) > deadline)); then
                        log "the container's processes did not leave $d within 20 s"
                        break
                fi
                sleep 0.1
        done
}

container_cgroups_empty() {
        local f
        while IFS= read -r f; do
                [[ ! -s "$f" ]] || return 1
        done < <(find "$1" -name cgroup.procs 2>/dev/null)
        return 0
}
