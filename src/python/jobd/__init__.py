# SPDX-License-Identifier: LGPL-2.1-or-later
"""jobd: an asyncio client of the jobd job-scheduling daemon's D-Bus API (org.jobd1(5)).

Example::

    import asyncio, jobd

    async def main():
        async with await jobd.connect() as c:          # $JOBD_BUS_ADDRESS, else the session bus
            job = await c.submit(["sh", "-c", "echo hi"], name="hello", timeout=60)
            res = await job.wait()                      # by signals, never by polling
            print(res.result, (await job.read_log()).decode())

    asyncio.run(main())

Modules: :mod:`jobd.client` (Client, Spec, Job, Run), :mod:`jobd.errors` (one exception per
``org.jobd1.Error.*`` name), :mod:`jobd.dvsim` (a DVSim runtime backend; needs DVSim).
"""

from .client import BUS_NAME, Client, Job, JobInfo, JobResult, Run, RunInfo, RunResult, Spec, connect
from .errors import (AccessDenied, BusError, Busy, DaemonGone, DependencyCycle, InvalidSpec, JobdError,
                     NoSuchJob, NoSuchRun, NoSuchSlot, NotRunning, QuotaExceeded)

__all__ = [
    "BUS_NAME", "Client", "Job", "JobInfo", "JobResult", "Run", "RunInfo", "RunResult", "Spec", "connect",
    "AccessDenied", "BusError", "Busy", "DaemonGone", "DependencyCycle", "InvalidSpec", "JobdError", "NoSuchJob",
    "NoSuchRun", "NoSuchSlot", "NotRunning", "QuotaExceeded",
]
