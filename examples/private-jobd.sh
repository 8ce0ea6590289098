# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the examples: a private jobd instance, with its own D-Bus bus, cgroup and state folder, that
# goes away (jobs, cgroups, bus, files) when the script exits, also when interrupted.
#
#   . private-jobd.sh; private_jobd_start NAME BUILD_DIR [JOBD_OPTION...]
#
# Afterwards jobctl is on PATH and JOBD_BUS_ADDRESS names the bus; $tmp is a scratch folder, $cgroot
# the job cgroups' parent.

private_jobd_cleanup() {
        [ -n "$jobd_pid" ] && kill "$jobd_pid" 2>/dev/null && wait "$jobd_pid" 2>/dev/null || true
        for cg in "$cgroot"/jobd-*; do
                [ -d "$cg" ] || continue
                echo 1 > "$cg/cgroup.kill" 2>/dev/null || true
                for _ in $(seq 100); do grep -q 'populated 0' "$cg/cgroup.events" && break; sleep 0.02; done
                rmdir "$cg" 2>/dev/null || true
        done
        rmdir "$cgroot" 2>/dev/null || true
        [ -n "$dbus_pid" ] && kill "$dbus_pid" 2>/dev/null || true
        rm -rf "$tmp"
}

private_jobd_start() {
        local name=$1 build v2 jobd
        build=$(realpath "$2")
        shift 2
        jobd="$build/src/jobd/jobd"
        export PATH="$build/src/jobctl:$PATH"
        [ -x "$jobd" ] || { echo "$name: no $jobd; build first: meson setup build && meson compile -C build" >&2; exit 2; }

        v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
        [ -n "$v2" ] || { echo "$name: no cgroup v2 hierarchy is mounted" >&2; exit 1; }
        tmp=$(mktemp -d "/tmp/jobd-$name.XXXXXX")
        cgroot="$v2/jobd-$name-$$"
        dbus_pid= jobd_pid=
        trap private_jobd_cleanup EXIT
        # Without these, bash skips the EXIT trap when interrupted and the cgroup would stay.
        trap 'exit 130' INT
        trap 'exit 143' TERM

        dbus-daemon --session --nofork --nopidfile --print-address=3 3>"$tmp/address" 2>/dev/null &
        dbus_pid=$!
        for _ in $(seq 100); do [ -s "$tmp/address" ] && break; sleep 0.05; done
        JOBD_BUS_ADDRESS=$(head -n1 "$tmp/address")
        export JOBD_BUS_ADDRESS

        mkdir "$cgroot"
        "$jobd" --bus-address="$JOBD_BUS_ADDRESS" --cgroup-root="$cgroot" --state-dir="$tmp/state" \
                --log-level=warning "$@" &
        jobd_pid=$!
        for _ in $(seq 100); do jobctl status >/dev/null 2>&1 && break; sleep 0.05; done
}
