#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobd --system under a real systemd PID 1 (a booted Debian 12 container, tests/helpers/container.sh), as
# installed by `meson install`: D-Bus activation on the real system bus by a first `jobctl --system`
# call and `systemctl start jobd` (the shipped jobd.service); the systemd backend's scopes under
# jobd.slice seen by systemctl and systemd-cgls; two real users of the container's user database through
# the real bus policy; orphans, kill, timeout, pause, limits; `systemctl restart jobd` and
# `systemctl kill -s KILL jobd` losing nothing; jobd-plan@nightly.timer firing a plan end to end.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/container.sh"

setup
container_boot

mgr_prop_ct() {
        unwrap "$(ct busctl get-property org.jobd1 /org/jobd1 org.jobd1.Manager "$1")"
}

# --- activation and the shipped unit ------------------------------------------------------------------
assert_eq inactive "$(ct systemctl is-active jobd.service || true)" "jobd.service right after boot (not enabled)"
ct jobctl --system list >/dev/null || fail "the first jobctl --system call failed (D-Bus activation)"
assert_eq active "$(ct systemctl is-active jobd.service)" "jobd.service after a first jobctl --system call"
assert_eq systemd "$(mgr_prop_ct Backend)" "Backend of jobd --system under systemd"
ct systemctl stop jobd.service
assert_eq inactive "$(ct systemctl is-active jobd.service || true)" "jobd.service after systemctl stop"
ct systemctl start jobd.service || fail "systemctl start jobd failed: $(ct systemctl status jobd --no-pager)"
assert_eq active "$(ct systemctl is-active jobd.service)" "jobd.service after systemctl start"
assert_eq 0755 "$(ct stat -c 0%a /var/lib/jobd)" "mode of the state folder (StateDirectory=)"

# --- two users of the container's user database ----------------------------------------------------
ct groupadd sim
ct useradd --create-home --shell /bin/sh --groups sim alice
ct useradd --create-home --shell /bin/sh bob
alice_uid=$(ct id -u alice); sim_gid=$(ct getent group sim | cut -d: -f3)

a=$(ct_as alice jobctl --system submit --name=alice-sleep -- sh -c 'id -u; id -G; exec sleep 600') ||
        fail "alice cannot submit"
b=$(ct_as bob jobctl --system submit --name=bob-sleep -- sleep 600) || fail "bob cannot submit"
a=$(parse_id "$a"); b=$(parse_id "$b")
ct_wait_state "$a" running
ct_wait_state "$b" running
assert_eq "$alice_uid" "$(ct_job_prop "$a" Owner)" "Owner of alice's job"
wait_until 10 "alice's job to print its ids" eval '[[ $(ct jobctl --system logs '"$a"' | wc -l) -ge 2 ]]'
ids=$(ct jobctl --system logs "$a")
assert_eq "$alice_uid" "$(head -n 1 <<<"$ids")" "uid alice's job runs as"
assert_contains " $sim_gid" " $(sed -n 2p <<<"$ids")" "groups of alice's job (from the user database)"
assert_eq "$ids" "$(ct_as alice jobctl --system logs "$a")" "alice's own log, read by alice"
assert_eq "alice 600" "$(ct stat -c '%U %a' "$(ct_job_prop "$a" LogPath)")" "owner and mode of alice's log"
rc=0
ct_as bob jobctl --system logs "$a" >/dev/null 2>&1 || rc=$?
assert_eq 4 "$rc" "exit code of bob's jobctl logs of alice's job (access denied)"

# Scopes of the system manager, below jobd.slice.
assert_eq "/jobd.slice/jobd-$a.scope" "$(ct_job_prop "$a" ControlGroup)" "ControlGroup of alice's job"
assert_eq "jobd-$a.scope" "$(ct_job_prop "$a" Unit)" "Unit of alice's job"
units=$(ct systemctl list-units --plain --no-legend 'jobd-*')
assert_contains "jobd-$a.scope" "$units" "systemctl list-units 'jobd-*'"
assert_contains "jobd-$b.scope" "$units" "systemctl list-units 'jobd-*'"
assert_contains "jobd-$a.scope" "$(ct systemd-cgls --no-pager /jobd.slice)" "systemd-cgls /jobd.slice"
assert_eq active "$(ct systemctl show -P ActiveState "jobd-$a.scope")" "ActiveState of alice's scope"

# The real bus policy and the daemon's own check: bob cannot end alice's job, but his own.
rc=0
ct_as bob jobctl --system kill -s KILL "$a" 2>/dev/null || rc=$?
assert_eq 4 "$rc" "exit code of bob's jobctl kill of alice's job (access denied)"
out=$(ct_as bob busctl call org.jobd1 /org/jobd1 org.jobd1.Manager KillJob ti "$a" 9 2>&1) &&
        fail "bob could call KillJob on alice's job: $out"
assert_contains "only its owner" "$out" "bob's KillJob on alice's job"
out=$(ct_as bob busctl call org.jobd1 /org/jobd1 org.freedesktop.DBus.Properties Set ssv \
        org.jobd1.Manager MaxParallel u 1 2>&1) && fail "bob could set a property of the manager: $out"
assert_eq running "$(ct_job_prop "$a" State)" "alice's job after bob's attempts"
ct_as bob jobctl --system kill -s KILL "$b" || fail "bob cannot kill his own job"
wait_until 20 "bob's job to be done" eval '[[ "$(ct_job_prop '"$b"' State)" == done ]]'
assert_eq killed "$(ct_job_prop "$b" Result)" "Result of bob's job killed by bob"

# --- operators through the system's polkitd (activated on the system bus) ---------------------------
# carol is in group jobops, which a rule allows org.jobd1.manage-jobs but not org.jobd1.manage-daemon.
ct groupadd jobops
ct useradd --shell /bin/sh --groups jobops carol
ct test -f /usr/share/polkit-1/actions/org.jobd1.policy || fail "meson install did not install the polkit actions"
ct sh -c 'cat >/etc/polkit-1/rules.d/50-jobd-test.rules' <<'EOF2'
polkit.addRule(function(action, subject) {
        if (action.id == "org.jobd1.manage-jobs" && subject.isInGroup("jobops"))
                return polkit.Result.YES;
});
EOF2
v=$(parse_id "$(ct_as alice jobctl --system submit --name=victim -- sleep 600)")
ct_wait_state "$v" running
ct_as carol jobctl --system --no-ask-password cancel "$v" >/dev/null ||
        fail "carol (jobops, allowed org.jobd1.manage-jobs by a polkit rule) cannot cancel alice's job"
wait_until 20 "alice's job cancelled by carol to be done" eval '[[ "$(ct_job_prop '"$v"' State)" == done ]]'
assert_eq cancelled "$(ct_job_prop "$v" Result)" "Result of alice's job cancelled by an operator"
assert_contains "cancelled by uid $(ct id -u carol) (polkit)" "$(ct journalctl --no-pager -u jobd.service)" \
        "the daemon's journal: who cancelled alice's job"
rc=0
ct_as carol jobctl --system --no-ask-password set-parallel 1 2>/dev/null || rc=$?
assert_eq 4 "$rc" "carol's set-parallel (org.jobd1.manage-daemon is not granted to jobops)"
rc=0
ct_as bob jobctl --system --no-ask-password cancel "$a" 2>/dev/null || rc=$?
assert_eq 4 "$rc" "bob's cancel of alice's job (not an operator)"

# --- orphans, timeout, pause, limits on the systemd backend -------------------------------------------
t=$(parse_id "$(ct jobctl --system submit -- spawn-tree -n 30 -s -d -i -I -S -w -p /run/t.pids)")
wait_until 20 "the tree's pid file" ct test -s /run/t.pids
ct jobctl --system cancel "$t" >/dev/null
wait_until 30 "the cancelled tree to be done" eval '[[ "$(ct_job_prop '"$t"' State)" == done ]]'
assert_eq cancelled "$(ct_job_prop "$t" Result)" "Result of a cancelled tree that ignores SIGTERM"
# spawn-tree's file: "PID STARTTIME" per process, in the container's pid namespace.
alive=$(ct sh -c 'n=0; while read -r p s; do
        [ -r /proc/$p/stat ] || continue
        st=$(sed "s/.*) //" /proc/$p/stat | cut -d" " -f20)
        [ "$st" = "$s" ] && n=$((n + 1)); done </run/t.pids; echo $n')
assert_eq 0 "$alive" "processes of the cancelled tree still alive"
wait_until 20 "systemd to collect jobd-$t.scope" eval \
        '[[ -z "$(ct systemctl list-units --plain --no-legend --all jobd-'"$t"'.scope)" ]]'

to=$(parse_id "$(ct jobctl --system submit --timeout=1s -- sleep 100)")
wait_until 20 "the timed-out job to be done" eval '[[ "$(ct_job_prop '"$to"' State)" == done ]]'
assert_eq timeout "$(ct_job_prop "$to" Result)" "Result of sleep 100 with --timeout=1s"

p=$(parse_id "$(ct_as alice jobctl --system submit -- sh -c 'while :; do date +%s%N >/tmp/tick; sleep 0.05; done')")
ct_wait_state "$p" running
ct_as alice jobctl --system pause "$p" || fail "alice cannot pause her job"
ct_wait_state "$p" paused
assert_eq 1 "$(ct cat "/sys/fs/cgroup/unified/jobd.slice/jobd-$p.scope/cgroup.freeze")" "cgroup.freeze of a paused job"
ct_as alice jobctl --system resume "$p" || fail "alice cannot resume her job"
ct_wait_state "$p" running
ct_as alice jobctl --system kill -s KILL "$p"

l=$(parse_id "$(ct jobctl --system submit --tasks-max=20 --memory-max=64M -- sleep 600)")
ct_wait_state "$l" running
assert_eq 20 "$(ct systemctl show -P TasksMax "jobd-$l.scope")" "TasksMax of the job's scope"
assert_eq 67108864 "$(ct systemctl show -P MemoryMax "jobd-$l.scope")" "MemoryMax of the job's scope"
ct jobctl --system kill -s KILL "$l"

# --- restarts lose nothing ---------------------------------------------------------------------------
main_a=$(ct_job_prop "$a" MainPID)
ct jobctl --system set-parallel 1 || fail "root cannot set MaxParallel"
q=$(parse_id "$(ct_as bob jobctl --system submit --name=queued -- true)")
ct_wait_state "$q" queued
pid0=$(ct systemctl show -P MainPID jobd.service)
ct systemctl restart jobd.service || fail "systemctl restart jobd failed"
assert_ne "$pid0" "$(ct systemctl show -P MainPID jobd.service)" "jobd's MainPID after systemctl restart"
assert_eq running "$(ct_job_prop "$a" State)" "alice's job after systemctl restart jobd"
assert_eq "$main_a" "$(ct_job_prop "$a" MainPID)" "MainPID of alice's job after systemctl restart jobd"
assert_eq queued "$(ct_job_prop "$q" State)" "bob's queued job after systemctl restart jobd"

pid1=$(ct systemctl show -P MainPID jobd.service)
ct systemctl kill -s KILL jobd.service
wait_until 30 "systemd to restart jobd after SIGKILL (Restart=on-failure)" eval \
        '[[ "$(ct systemctl show -P MainPID jobd.service)" =~ ^[1-9][0-9]*$ && "$(ct systemctl show -P MainPID jobd.service)" != '"$pid1"' && "$(ct systemctl is-active jobd.service)" == active ]]'
assert_eq running "$(ct_job_prop "$a" State)" "alice's job after systemctl kill -s KILL jobd"
assert_eq "$main_a" "$(ct_job_prop "$a" MainPID)" "MainPID of alice's job after the daemon's SIGKILL"
assert_eq queued "$(ct_job_prop "$q" State)" "bob's queued job after the daemon's SIGKILL"
assert_eq 1 "$(mgr_prop_ct MaxParallel)" "MaxParallel kept across the daemon's SIGKILL"
ct_as alice jobctl --system kill -s KILL "$a"
wait_until 30 "bob's queued job to run and finish" eval '[[ "$(ct_job_prop '"$q"' State)" == done ]]'
assert_eq success "$(ct_job_prop "$q" Result)" "Result of bob's job that waited across two restarts"
assert_eq killed "$(ct_job_prop "$a" Result)" "Result of alice's job killed after the restarts"
ct jobctl --system set-parallel 4

# --- the nightly timer --------------------------------------------------------------------------------
ct mkdir -p /etc/jobd/plans /etc/systemd/system/jobd-plan@nightly.timer.d
ct sh -c 'cat >/etc/jobd/plans/nightly.json' <<'EOF'
{
  "name": "nightly",
  "defaults": { "timeout": "60s" },
  "jobs": [
    { "name": "build", "command": ["sh", "-c", "echo building"] },
    { "name": "test-a", "command": ["sh", "-c", "echo test-a passed"], "after": ["build"] },
    { "name": "test-b", "command": ["sh", "-c", "echo test-b passed"], "after": ["build"] }
  ]
}
EOF
# Fire in a few seconds instead of at 02:00 (the drop-in the man page tells admins to write).
ct sh -c "printf '[Timer]\nOnCalendar=\nOnCalendar=%s\nRandomizedDelaySec=0\nPersistent=false\n' \
        \"\$(date -d '+3 seconds' '+%Y-%m-%d %H:%M:%S')\" >/etc/systemd/system/jobd-plan@nightly.timer.d/soon.conf"
ct systemctl daemon-reload
ct systemctl start jobd-plan@nightly.timer || fail "cannot start jobd-plan@nightly.timer"
assert_contains "jobd-plan@nightly.timer" "$(ct systemctl list-timers --all --no-pager)" "systemctl list-timers"
wait_until 60 "jobd-plan@nightly.service to have run from its timer" eval \
        '[[ "$(ct systemctl show -P ExecMainExitTimestampMonotonic jobd-plan@nightly.service)" =~ ^[1-9] ]]'
assert_eq success "$(ct systemctl show -P Result jobd-plan@nightly.service)" "Result of the plan's unit"
assert_eq 0 "$(ct systemctl show -P ExecMainStatus jobd-plan@nightly.service)" "jobctl plan --wait's exit status"
status=$(ct systemctl status --no-pager --lines=20 jobd-plan@nightly.service || true)
assert_match "Run [0-9]+ \(nightly\) finished: success" "$status" "systemctl status jobd-plan@nightly"
runs=$(ct jobctl --system runs)
assert_contains nightly "$runs" "jobctl runs after the timer fired"

container_poweroff
