#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# issue 7, defect 1 and the login variables of defect 5: in system mode the bus gives only the caller's
# uid (the one its socket had when it connected); gid and supplementary groups come from the user
# database, at submit and again at start, never from the client's /proc (which it can change after it
# connected: setgid programs, pid reuse) nor from the journal. A uid with no passwd entry is refused.
# HOME, USER, LOGNAME and SHELL come from the user record unless the spec sets them.
#
# Real throw-away users, a system-type bus with the default-deny rules and the shipped policy.
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
for b in runuser setpriv gpasswd userdel usermod jq; do
        command -v "$b" >/dev/null || skip "no $b"
done
py=$(find_python_dbus) || skip "no python3 with the dbus module"

setup
system_bus_start
group_add extra
user_add alice "$extra"
user_add bob "$extra"
user_add carol
jobd_start --system --max-parallel=1

# The user database's view of NAME: "uid gid groups..." (groups sorted, as `id -G` of a job is compared).
userdb_ids() {
        printf '%s %s %s' "$(id -u "$1")" "$(id -g "$1")" "$(id -G "$1" | tr ' ' '\n' | sort -n | tr '\n' ' ')"
}

# What the job printed with `ids`: uid, gid, groups sorted.
ids='printf "%s %s %s" "$(id -u)" "$(id -g)" "$(id -G | tr " " "\n" | sort -n | tr "\n" " ")"'

# submit_forged USER SETPRIV-CREDS...: Submit through busctl from a process whose real and effective uid
# is USER's but whose gid and groups are whatever setpriv gives it (what a client gets by exec'ing a
# setgid program after it connected, or from a reused pid); echoes the job id.
submit_forged() {
        local u=$1 out
        shift
        out=$(setpriv --reuid="$(id -u "$u")" "$@" -- busctl --address="$BUS" call -- org.jobd1 /org/jobd1 \
                org.jobd1.Manager Submit 'a{sv}' 3 Argv as 3 sh -c "$ids" WorkingDirectory s / \
                Environment as 0) || fail "Submit as $u with forged groups ($*) failed"
        [[ "$out" =~ ^to\ ([0-9]+)\  ]] || fail "Submit reply: '$out'"
        echo "${BASH_REMATCH[1]}"
}

job_output() {  # ID: the job's log, once it is done
        wait_done "$1"
        assert_eq success "$(job_prop "$1" Result)" "Result of job $1 ($(job_prop "$1" Reason))"
        jobctl logs "$1"
}

blocker() {  # a root job holding the only slot; echoes its id
        local b
        b=$(bsubmit 2 Argv as 2 sleep 600 WorkingDirectory s /)
        wait_state "$b" running
        echo "$b"
}

release() {  # BLOCKER
        jobctl cancel "$1" >/dev/null || fail "cannot cancel the blocker $1"
        wait_done "$1"
}

# --- (a) groups the client's process has but the user database does not give -------------------------

want=$(userdb_ids "$alice")
j=$(submit_forged "$alice" --regid="$(id -g "$alice")" --groups=0,4)
got=$(job_output "$j")
assert_eq "$want" "$got" "uid, gid and groups of a job submitted with groups 0,4 in the client's process"
assert_not_contains " 0 " " ${got#* } " "the job's gid and groups (root's group 0 must not be there)"
assert_not_contains " 4 " " ${got#* } " "the job's gid and groups (adm, 4, must not be there)"

j=$(submit_forged "$alice" --regid=0 --clear-groups)
assert_eq "$want" "$(job_output "$j")" "uid, gid and groups of a job submitted with gid 0 in the client"

# Through jobctl too: a client whose process has a group ("extra", as shadow would be) its user has not.
want=$(userdb_ids "$carol")
out=$(setpriv --reuid="$(id -u "$carol")" --regid="$(getent group "$extra" | cut -d: -f3)" --clear-groups -- \
        env JOBD_BUS_ADDRESS="$BUS" "$JOBCTL" submit --cwd=/ --no-env -- sh -c "$ids") ||
        fail "jobctl submit as $carol with a forged gid failed: $out"
assert_eq "$want" "$(job_output "$(parse_id "$out")")" "ids of a job submitted by jobctl with a forged gid"

# --- (b) the user database is asked again at start -----------------------------------------------------

b=$(blocker)
jb=$(as_user "$bob" "$JOBCTL" submit --cwd=/ --no-env -- sh -c "$ids") || fail "bob cannot submit"
jb=$(parse_id "$jb")
assert_eq queued "$(job_prop "$jb" State)" "State of bob's job behind the blocker"
assert_contains " $(getent group "$extra" | cut -d: -f3) " " $(id -G "$bob") " "bob's groups before gpasswd -d"
# A user who is deleted between submit and start. useradd gives the highest uid in use plus one: a user
# made after dave (and kept) stops a useradd elsewhere on the machine from taking dave's uid again.
user_add dave
user_add _spare
jd=$(as_user "$dave" "$JOBCTL" submit --cwd=/ --no-env -- true) || fail "dave cannot submit"
jd=$(parse_id "$jd")
dave_uid=$(id -u "$dave")
gpasswd -d "$bob" "$extra" >/dev/null || fail "cannot remove $bob from $extra"
userdel "$dave" || fail "cannot delete $dave"
release "$b"
got=$(job_output "$jb")
assert_eq "$(userdb_ids "$bob")" "$got" "ids of bob's job started after he left $extra"
assert_not_contains " $(getent group "$extra" | cut -d: -f3) " " ${got#* } " \
        "gid and groups of bob's job started after he left $extra"
wait_done "$jd"
assert_eq failed "$(job_prop "$jd" Result)" "Result of the job of a user deleted before it started"
assert_match "uid $dave_uid .*(no longer|deleted|no entry)" "$(job_prop "$jd" Reason)" \
        "Reason of the job of a user deleted before it started"

# --- (c) a uid the user database does not know is refused at submit ------------------------------------

# dbus-daemon itself does not let a uid without passwd entry connect (it looks up its groups for its
# policy; dbus-broker does not), so the uid is made unknown after it connected: a client connects as erin
# (effective uid only, saved uid root), goes back to root, erin is deleted, then it submits over the same
# connection.
user_add erin
user_add _spare
erin_uid=$(id -u "$erin")
erin_gid=$(id -g "$erin")
ghost_client='
import os, sys, dbus
os.setresgid(int(sys.argv[3]), int(sys.argv[3]), 0)
os.setgroups([])
os.setresuid(int(sys.argv[2]), int(sys.argv[2]), 0)
bus = dbus.bus.BusConnection(sys.argv[1])
os.setresuid(0, 0, 0)
print("connected", flush=True)
open(sys.argv[4]).readline()
mgr = dbus.Interface(bus.get_object("org.jobd1", "/org/jobd1", introspect=False), "org.jobd1.Manager")
spec = dbus.Dictionary({"Argv": dbus.Array(["true"], signature="s"), "WorkingDirectory": "/"}, signature="sv")
try:
    print("OK %d" % mgr.Submit(spec, timeout=20)[0], flush=True)
except dbus.exceptions.DBusException as e:
    print("ERROR %s %s" % (e.get_dbus_name(), e.get_dbus_message()), flush=True)
'
mkfifo "$TEST_TMP/ghost.in"
bg_start "$py" -c "$ghost_client" "$BUS" "$erin_uid" "$erin_gid" "$TEST_TMP/ghost.in" >"$TEST_TMP/ghost.out" 2>&1
wait_until 20 "the client of erin to connect" grep -q connected "$TEST_TMP/ghost.out"
userdel "$erin" || fail "cannot delete $erin"
echo go >"$TEST_TMP/ghost.in"
wait_until 20 "the Submit of the deleted erin to return" grep -q '^OK\|^ERROR' "$TEST_TMP/ghost.out"
out=$(grep '^OK\|^ERROR' "$TEST_TMP/ghost.out")
assert_match "^ERROR org.jobd1.Error.AccessDenied " "$out" "Submit by uid $erin_uid, which has no passwd entry"
assert_contains "uid $erin_uid has no entry in the user database" "$out" \
        "message of the refusal of Submit by a uid with no passwd entry"

# --- (d) a restart: groups are not taken from the journal ---------------------------------------------

b=$(blocker)
jr=$(submit_forged "$alice" --regid=0 --groups=0,4)
assert_eq queued "$(job_prop "$jr" State)" "State of alice's job behind the blocker"
jobd_crash
journal="$STATE_DIR/state.log"
assert_file_exists "$journal" "the journal"
line=$(jq -c "select(.e == \"submit\" and .id == $jr)" "$journal")
[[ -n "$line" ]] || fail "no submit line for job $jr in the journal"
assert_eq "null null" "$(jq -r "[.gid, .groups] | map(tostring) | join(\" \")" <<<"$line")" \
        "gid and groups in the journal's submit line of job $jr"
# A journal written by an older jobd (or edited) that names groups: they are not trusted.
jq -c "if .e == \"submit\" and .id == $jr then .gid = 0 | .groups = [0, 4, 6] else . end" "$journal" \
        >"$journal.new"
mv "$journal.new" "$journal"
jobd_start --system --max-parallel=1
assert_eq queued "$(job_prop "$jr" State)" "State of alice's job after the restart"
release "$b"
assert_eq "$(userdb_ids "$alice")" "$(job_output "$jr")" "ids of a restored job whose journal line names groups"

# --- (e) HOME, USER, LOGNAME, SHELL from the user database -------------------------------------------

usermod --home "/home/$carol-nowhere" --shell /bin/bash "$carol" || fail "cannot change $carol's home and shell"
IFS=: read -r _ _ _ _ _ home shell < <(getent passwd "$carol")
envprint='printf "%s|%s|%s|%s" "$HOME" "$USER" "$LOGNAME" "$SHELL"'
je=$(as_user "$carol" busctl --address="$BUS" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' \
        3 Argv as 3 sh -c "$envprint" WorkingDirectory s / Environment as 0) || fail "carol cannot submit"
[[ "$je" =~ ^to\ ([0-9]+)\  ]] || fail "Submit reply: '$je'"
assert_eq "$home|$carol|$carol|$shell" "$(job_output "${BASH_REMATCH[1]}")" \
        "HOME|USER|LOGNAME|SHELL of carol's job with an empty Environment"
je=$(as_user "$carol" busctl --address="$BUS" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' \
        3 Argv as 3 sh -c "$envprint" WorkingDirectory s / Environment as 2 HOME=/tmp USER=someone) ||
        fail "carol cannot submit"
[[ "$je" =~ ^to\ ([0-9]+)\  ]] || fail "Submit reply: '$je'"
assert_eq "/tmp|someone|$carol|$shell" "$(job_output "${BASH_REMATCH[1]}")" \
        "HOME|USER|LOGNAME|SHELL of carol's job whose spec sets HOME and USER"

daemon_still_ok
