#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""forge-signal.py ADDRESS PID SIGNALS_JSON: what a hostile local user can do to a jobctl that waits for
jobd's signals. Finds the unique bus name of the connection of process PID (waiting up to 10 s for it to
connect), then sends it each signal of SIGNALS_JSON, a list of
  {"path": P, "interface": I, "member": M, "signature": S, "args": [...], "broadcast": false}
as a unicast signal (destination = that unique name; "broadcast": true sends it to everyone instead).
In args, "$SELF" stands for our own unique name. Prints "SENT <n> <target>" (exit 0), or "ERROR <why>"
(exit 2)."""

import json
import sys
import time

import dbus
import dbus.lowlevel


def find_connection(bus, pid):
    driver = dbus.Interface(bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus'),
                            'org.freedesktop.DBus')
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for name in driver.ListNames():
            if not name.startswith(':') or name == bus.get_unique_name():
                continue
            try:
                if driver.GetConnectionUnixProcessID(name) == pid:
                    return str(name)
            except dbus.exceptions.DBusException:
                pass    # gone meanwhile
        time.sleep(0.05)
    return None


def main():
    address, pid, signals = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    bus = dbus.bus.BusConnection(address)
    target = find_connection(bus, pid)
    if not target:
        print('ERROR no connection of pid %d on the bus' % pid)
        return 2
    for s in signals:
        msg = dbus.lowlevel.SignalMessage(s['path'], s['interface'], s['member'])
        if not s.get('broadcast'):
            msg.set_destination(target)
        args = [bus.get_unique_name() if a == '$SELF' else a for a in s['args']]
        msg.append(*args, signature=s['signature'])
        bus.send_message(msg)
    bus.flush()
    print('SENT %d %s' % (len(signals), target))
    return 0


if __name__ == '__main__':
    sys.exit(main())
