#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/list-filtered.py [N]: what a listing costs with N jobs in the daemon (default 20000), against a
live jobd ($JOBD_BUS_ADDRESS; e.g. run through tests/helpers/with-jobd.sh, JOBD_TEST_BUILD_DIR as for the
tests). N held jobs (no processes) are submitted, 1 in 100 with the label "rare"; then, each the median
of 5 calls: ListJobs() (everything), ListJobsFiltered() paged to the end with the default page, one page of
50, and the 1% with Label=rare; and jobctl list with and without --label (once, $JOBCTL). Prints
figures; asserts nothing on time."""
import asyncio
import os
import statistics
import subprocess
import sys
import time

from dbus_next import Variant

import jobd
from jobd import Spec


async def timed(f, n=5):
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await f()
        t.append(time.perf_counter() - t0)
    return statistics.median(t) * 1000, r


async def main(n):
    async with await jobd.connect() as c:
        t0 = time.perf_counter()
        batch = []
        for i in range(n):
            labels = ["rare"] if i % 100 == 0 else ["bulk"]
            batch.append(c.submit(Spec(["true"], hold=True, labels=labels)))
            if len(batch) >= 500:
                await asyncio.gather(*batch)
                batch = []
        jobs = await asyncio.gather(*batch)
        print(f"submitted {n} held jobs in {time.perf_counter() - t0:.1f} s")

        ms, rows = await timed(c.list_jobs)
        print(f"ListJobs() of {len(rows)} jobs:                      {ms:8.1f} ms")

        async def all_pages():
            after, total = 0, 0
            while True:
                rows, after = await c.list_jobs_filtered({}, after, 0)
                total += len(rows)
                if after == 0:
                    return total
        ms, total = await timed(all_pages)
        print(f"ListJobsFiltered() every page (1000), {total} jobs:  {ms:8.1f} ms")
        ms, (rows, _) = await timed(lambda: c.list_jobs_filtered({}, 0, 50))
        print(f"ListJobsFiltered() first page of 50:               {ms:8.1f} ms")
        ms, (rows, _) = await timed(lambda: c.list_jobs_filtered({"Label": Variant("s", "rare")}, 0, 0))
        print(f"ListJobsFiltered() Label=rare ({len(rows)} jobs):          {ms:8.1f} ms")
        ms, (rows, _) = await timed(lambda: c.list_jobs_filtered({"States": Variant("as", ["running"])}, 0, 0))
        print(f"ListJobsFiltered() States=running ({len(rows)} jobs):       {ms:8.1f} ms")
        # jobctl list: the page(s) plus one GetAll per listed job, 64 in flight ($JOBCTL, if set).
        jobctl = os.environ.get("JOBCTL")
        if jobctl:
            for args in (["list", "--label=rare"], ["list"]):
                t0 = time.perf_counter()
                out = subprocess.run([jobctl, *args, "--no-legend"], check=True, capture_output=True).stdout
                ms = (time.perf_counter() - t0) * 1000
                what = ' '.join(args)
                print(f"jobctl {what:<14} ({len(out.splitlines())} lines):              {ms:8.1f} ms")
        del jobs


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
