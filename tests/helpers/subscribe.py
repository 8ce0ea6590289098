#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# subscribe.py ADDRESS: a client that calls org.jobd1.Manager.Subscribe() and stays on the bus (so that
# per-job PropertiesChanged goes out) until it is ended or its stdin closes. Prints "subscribed" once the
# call returned. With --unsubscribe-after=SECONDS it calls Unsubscribe() then and prints "unsubscribed".
import select
import sys
import time

import dbus

address = sys.argv[1]
unsub = None
for a in sys.argv[2:]:
    if a.startswith('--unsubscribe-after='):
        unsub = float(a.split('=', 1)[1])
bus = dbus.bus.BusConnection(address)
mgr = dbus.Interface(bus.get_object('org.jobd1', '/org/jobd1'), 'org.jobd1.Manager')
mgr.Subscribe()
print('subscribed', flush=True)
start = time.monotonic()
while True:
    timeout = None if unsub is None else max(0, start + unsub - time.monotonic())
    r, _, _ = select.select([sys.stdin], [], [], timeout)
    if r and not sys.stdin.read(1):
        break
    if not r and unsub is not None:
        mgr.Unsubscribe()
        print('unsubscribed', flush=True)
        unsub = None
