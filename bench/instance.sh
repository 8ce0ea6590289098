# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A private instance for the bench scripts that start their own jobd (loop-latency.sh, gc-held.sh):
#
#     . "$(dirname "$0")/instance.sh"
#     instance_setup NAME     # WORK (a temporary folder), CG (a fresh cgroup in the v2 mount); EXIT trap
#     instance_bus [CONFIG]   # a private dbus-daemon (--session, or CONFIG); ADDR, DBUS_PID
#
# Whoever starts jobd sets JOBD_PID. On exit (^C too) jobd and the bus are stopped by pid, whatever is left
# in CG is killed and its cgroups removed, then WORK and the folders in INSTANCE_EXTRA.

DBUS_PID= JOBD_PID= WORK= CG=
INSTANCE_EXTRA=()

instance_cleanup() {
        set +e
        [[ -z $JOBD_PID ]] || { kill "$JOBD_PID"; wait "$JOBD_PID"; }
        [[ -z $DBUS_PID ]] || { kill "$DBUS_PID"; wait "$DBUS_PID"; }
        if [[ -n $CG && -d $CG ]]; then
                echo 1 >"$CG/cgroup.kill" 2>/dev/null
                for _ in $(seq 100); do grep -q 'populated 0' "$CG/cgroup.events" && break; sleep 0.05; done
                find "$CG" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
                rmdir "$CG"
        fi
        rm -rf "$WORK" "${INSTANCE_EXTRA[@]}"
}

instance_setup() { # NAME
        local mount
        mount=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
        [[ -n $mount ]] || { echo "$1: no cgroup v2 hierarchy mounted" >&2; exit 77; }
        WORK=$(mktemp -d "/tmp/jobd-$1.XXXXXX")
        CG=$mount/jobd-$1-$$
        trap instance_cleanup EXIT
        trap 'exit 130' INT TERM
        mkdir "$CG"
}

instance_bus() { # [CONFIG]
        if [[ -n ${1:-} ]]; then
                dbus-daemon --config-file="$1" --nofork --print-address=3 3>"$WORK/addr" 2>"$WORK/dbus.log" &
        else
                dbus-daemon --session --nofork --print-address=3 3>"$WORK/addr" 2>"$WORK/dbus.log" &
        fi
        DBUS_PID=$!
        for _ in $(seq 100); do [[ -s $WORK/addr ]] && break; sleep 0.05; done
        ADDR=$(head -n1 "$WORK/addr")
        [[ -n $ADDR ]] || { echo "dbus-daemon did not start: $(cat "$WORK/dbus.log")" >&2; exit 1; }
}
