#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# subscribe.py ADDRESS: a client that calls org.jobd1.Manager.Subscribe() and stays on the bus (so that
# per-job PropertiesChanged goes out) until it is ended or its stdin closes. Prints "subscribed" once the
# call returned. With --unsubscribe-after=SECONDS it calls Unsubscribe() then and prints "unsubscribed".
# With --objects it calls org.freedesktop.DBus.ObjectManager.GetManagedObjects() instead, as an
# ObjectManager client does (then the jobs' InterfacesAdded/InterfacesRemoved go out), and prints
# "objects N" (N objects in the reply).
import select
import sys
import time

import dbus

address = sys.argv[1]
unsub = None
objects = False
for a in sys.argv[2:]:
    if a.startswith('--unsubscribe-after='):
        unsub = float(a.split('=', 1)[1])
    elif a == '--objects':
        objects = True
bus = dbus.bus.BusConnection(address)
obj = bus.get_object('org.jobd1', '/org/jobd1', introspect=False)
mgr = dbus.Interface(obj, 'org.jobd1.Manager')
if objects:
    n = len(dbus.Interface(obj, 'org.freedesktop.DBus.ObjectManager').GetManagedObjects())
    print('objects %d' % n, flush=True)
else:
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
