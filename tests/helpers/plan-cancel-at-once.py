#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""plan-cancel-at-once.py ADDRESS N: submits a plan of N jobs (a "sleep 3600" blocker first, then N-1
"true") with SubmitPlan() and calls Cancel() on the run as soon as the reply is in, on the same
connection, so that the Cancel() lands while the daemon is still sending the plan's JobNew signals in
batches. Prints "run <id> <path>" and then "cancelled" once Cancel() returned."""

import sys

import dbus

address, n = sys.argv[1], int(sys.argv[2])
bus = dbus.bus.BusConnection(address)
mgr = dbus.Interface(bus.get_object('org.jobd1', '/org/jobd1', introspect=False), 'org.jobd1.Manager')


def job(name, argv):
    return dbus.Dictionary({'Name': dbus.String(name), 'Argv': dbus.Array(argv, signature='s')},
                           signature='sv')


jobs = [job('blocker', ['sleep', '3600'])] + [job('j%d' % i, ['true']) for i in range(1, n)]
run, path, _ = mgr.SubmitPlan(dbus.Array(jobs, signature='a{sv}'),
                              dbus.Dictionary({'Name': dbus.String('at-once')}, signature='sv'),
                              timeout=120)
print('run %d %s' % (run, path), flush=True)
dbus.Interface(bus.get_object('org.jobd1', path, introspect=False), 'org.jobd1.Run').Cancel(timeout=120)
print('cancelled', flush=True)
