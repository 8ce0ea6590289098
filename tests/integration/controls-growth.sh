#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# controls.json does not grow with every name a client ever used, and a control call costs O(1) I/O:
#  - a control call appends one line to controls.log and leaves the snapshot controls.json alone (before,
#    every call rewrote the whole file: 1.87 MB and 90 ms each after 27,500 names);
#  - at most 1024 groups keep a limit or hold: one more is refused with LimitsExceeded naming the bound,
#    and lifting a limit makes room again;
#  - the log is compacted into the snapshot as it grows; both stay small;
#  - after a SIGKILL the last changes (only in the log) are all there.
. "$(dirname "$0")/../helpers/lib.sh"
py=$(find_python_dbus) || skip "python3-dbus is not installed"
jobd_start

snap="$STATE_DIR/controls.json"
log_file="$STATE_DIR/controls.log"
wait_file "$snap" 10

mcall SetGroupLimit su g-first 2 >/dev/null || fail "SetGroupLimit failed"
ino=$(stat -c '%i %Y.%y' "$snap")
mcall SetGroupLimit su g-second 3 >/dev/null || fail "SetGroupLimit failed"
mcall SetPool su lic 4 >/dev/null || fail "SetPool failed"
mcall SetMaxParallel u 7 >/dev/null || fail "SetMaxParallel failed"
assert_eq "$ino" "$(stat -c '%i %Y.%y' "$snap")" "controls.json (inode, mtime) after three control calls"
assert_file_exists "$log_file"
assert_eq 4 "$(wc -l <"$log_file")" "lines in controls.log after four control calls"
assert_contains '"name":"g-second","limit":3' "$(cat "$log_file")" "controls.log"

# 1100 new group names through one connection: the first 1024 (with g-first and g-second) are kept,
# the rest refused by name.
out=$("$py" - "$BUS" <<'PY'
import sys, dbus
bus = dbus.bus.BusConnection(sys.argv[1])
m = dbus.Interface(bus.get_object("org.jobd1", "/org/jobd1"), "org.jobd1.Manager")
ok = refused = 0
msg = ""
for i in range(1100):
    try:
        m.SetGroupLimit("grp-%d" % i, dbus.UInt32(1), timeout=10)
        ok += 1
    except dbus.DBusException as e:
        if e.get_dbus_name() != "org.freedesktop.DBus.Error.LimitsExceeded":
            raise
        refused += 1
        msg = e.get_dbus_message()
print(ok, refused)
print(msg)
PY
) || fail "the python client failed: $out"
read -r ok refused <<<"$(head -n1 <<<"$out")"
assert_eq 1022 "$ok" "new groups accepted (1024 with g-first and g-second)"
assert_eq 78 "$refused" "new groups refused"
assert_contains "1024 groups have a limit or a hold already" "$(tail -n1 <<<"$out")" "the refusal"

# Lifting one makes room for another.
mcall SetGroupLimit su grp-0 0 >/dev/null || fail "lifting grp-0 failed"
mcall SetGroupLimit su grp-late 1 >/dev/null || fail "a new group after lifting one was refused"
expect_bus_error org.freedesktop.DBus.Error.LimitsExceeded "one more group" \
        call -- org.jobd1 /org/jobd1 org.jobd1.Manager SetGroupLimit su grp-more 1

# The log was compacted on the way (1024 + 2 x entries lines at most), both files stay small.
assert_int "$(wc -l <"$log_file")" -le $((1024 + 2 * 1100)) "lines in controls.log"
assert_int "$(stat -c %s "$snap")" -lt 200000 "bytes of controls.json"
assert_int "$(stat -c %s "$log_file")" -lt 400000 "bytes of controls.log"

# Changes only in the log survive a SIGKILL.
mcall SetGroupLimit su grp-5 9 >/dev/null || fail "SetGroupLimit failed"
mcall PauseGroup s g-second >/dev/null || fail "PauseGroup failed"
assert_contains '"name":"grp-5","limit":9' "$(tail -n2 "$log_file")" "the last lines of controls.log"
jobd_crash
jobd_start
groups=$(jobctl groups)
assert_match "grp-5 +9 " "$groups" "grp-5's limit after the restart"
assert_match "g-second +3 +0 +0 +yes" "$groups" "g-second's limit and hold after the restart"
assert_match "lic +counted +4 " "$(jobctl pools)" "the pool after the restart"
assert_eq 7 "$(mgr_prop MaxParallel)" "MaxParallel after the restart"
assert_not_contains "grp-0 " "$groups" "the lifted grp-0 after the restart"
