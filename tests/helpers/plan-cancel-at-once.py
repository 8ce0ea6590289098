#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""plan-cancel-at-once.py ADDRESS N: submits a plan of N jobs (a "sleep 3600" blocker first, then N-1
"true") with SubmitPlan() and, on the same connection and without waiting for its reply, calls Cancel()
on the run it is going to be (the newest run's id + 1). The daemon reads a connection's calls in order,
so the Cancel() is waiting for it when SubmitPlan() returns: it lands before the plan's JobNew batches,
whatever the load of the machine, and what comes between the two replies is what the Cancel() handler
sent. Prints "run <id> <path>" and then "cancelled" once both calls returned."""

import asyncio
import sys

from dbus_next import Variant

from busnext import call, check, connect


def job(name, argv):
    return {'Name': Variant('s', name), 'Argv': Variant('as', argv)}


async def main(address, n):
    bus = await connect(address)
    runs, = check(await call(bus, '/org/jobd1', 'org.jobd1.Manager', 'ListRuns'), 'ListRuns()')
    expect = max((r[0] for r in runs), default=0) + 1
    path = '/org/jobd1/run/%d' % expect
    jobs = [job('blocker', ['sleep', '3600'])] + [job('j%d' % i, ['true']) for i in range(1, n)]
    # Both written before either reply is read: tasks run in the order they were made, and each
    # writes its message before it waits.
    submit = asyncio.ensure_future(call(bus, '/org/jobd1', 'org.jobd1.Manager', 'SubmitPlan', 'aa{sv}a{sv}',
                                        (jobs, {'Name': Variant('s', 'at-once')})))
    cancel = asyncio.ensure_future(call(bus, path, 'org.jobd1.Run', 'Cancel'))
    run, run_path = check(await submit, 'SubmitPlan()')[:2]
    if run != expect:
        sys.exit('SubmitPlan() made run %d, not the %d that Cancel() went to' % (run, expect))
    print('run %d %s' % (run, run_path), flush=True)
    check(await cancel, 'Cancel() of %s' % path)
    print('cancelled', flush=True)


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
