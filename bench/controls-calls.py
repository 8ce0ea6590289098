#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a control call costs as names accumulate (issue 10, item 7): SetGroupLimit with a new group name
N times against a live jobd, printing the mean time of a call per batch of 100 and the size of the
state folder's controls files (found through the daemon's --state-dir=). Run it through
tests/helpers/with-jobd.sh (a private daemon of a given build), e.g.

    JOBD=build/src/jobd/jobd ... tests/helpers/with-jobd.sh bench/controls-calls.py 1000

It prints figures and never passes or fails."""
import os
import sys
import time

import dbus

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
bus = dbus.bus.BusConnection(os.environ["JOBD_BUS_ADDRESS"])
m = dbus.Interface(bus.get_object("org.jobd1", "/org/jobd1"), "org.jobd1.Manager")
drv = dbus.Interface(bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus")
pid = int(drv.GetConnectionUnixProcessID("org.jobd1"))
state = next(a.split("=", 1)[1] for a in open("/proc/%d/cmdline" % pid).read().split("\0")
             if a.startswith("--state-dir="))


def sizes():
    out = []
    for f in ("controls.json", "controls.log"):
        p = os.path.join(state, f)
        out.append("%s %d B" % (f, os.path.getsize(p)) if os.path.exists(p) else "%s -" % f)
    return ", ".join(out)


refused = 0
t_batch = time.monotonic()
for i in range(1, n + 1):
    try:
        m.SetGroupLimit("bench-group-%d" % i, dbus.UInt32(1 + i % 7), timeout=60)
    except dbus.DBusException:
        refused += 1
    if i % 100 == 0:
        now = time.monotonic()
        print("calls %5d-%5d: %7.3f ms/call  (%s; %d refused so far)" %
              (i - 99, i, (now - t_batch) * 10.0, sizes(), refused))
        t_batch = now
print("rss of jobd: %s" % next(l.split(":")[1].strip() for l in open("/proc/%d/status" % pid)
                               if l.startswith("VmRSS")))
