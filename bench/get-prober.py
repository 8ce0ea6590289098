#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# get-prober.py ADDRESS [INTERVAL_MS]: another client's view of the daemon's responsiveness. Calls
# org.freedesktop.DBus.Properties.Get(org.jobd1.Manager, JobsQueued) on org.jobd1 every INTERVAL_MS
# (default 5) until its stdin closes, then prints "RESULT probes=N p50_ms= p99_ms= max_ms=" of the round
# trips. Needs python3 with the dbus module.
import select
import sys
import time

import dbus

address = sys.argv[1]
interval = float(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.005
bus = dbus.bus.BusConnection(address)
props = dbus.Interface(bus.get_object('org.jobd1', '/org/jobd1', introspect=False),
                       'org.freedesktop.DBus.Properties')
lat = []
print('probing', flush=True)
while True:
    t0 = time.perf_counter()
    props.Get('org.jobd1.Manager', 'JobsQueued', timeout=600)
    lat.append((time.perf_counter() - t0) * 1000)
    r, _, _ = select.select([sys.stdin], [], [], interval)
    if r and not sys.stdin.read(1):
        break
lat.sort()
n = len(lat)
pick = lambda q: lat[min(n - 1, int(q * n))]
print('RESULT probes=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f' % (n, pick(0.5), pick(0.99), lat[-1]))
