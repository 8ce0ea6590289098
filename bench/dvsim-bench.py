#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""DVSim's local backend beside jobd.dvsim.JobdRuntimeBackend: orphans left by killed jobs, and throughput.

Needs DVSim (a checkout: --dvsim=PATH, its src/ is put on sys.path; with its dependencies, pydantic 2 ...)
and a jobd on $JOBD_BUS_ADDRESS: bench/dvsim-bench.sh starts a private one and runs this. Prints figures;
nothing passes or fails on time.

Orphans: N DVSim-style jobs, a third each of
  * "leaver": starts a daemonized child (setsid, double fork, ignores SIGTERM) that keeps the job's output
    open, then exits 0;
  * "hanger+child": the same child, then hangs until killed;
  * "hanger": hangs until killed.
Each backend submits them, waits until every child has written its pid, kills every job (kill_many) and
waits up to --grace seconds for the completions. Counted: completions, and the children still alive
(killed by pid afterwards: this script started them).

Throughput: DVSim's scheduler runs --jobs jobs of `true` on each backend, --parallel at once; jobs/s is
jobs over the wall time of Scheduler.run().
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def make_spec(root: Path, name: str, cmd: str):
    from dvsim.job.data import JobSpec, WorkspaceConfig
    from dvsim.report.data import IPMeta, ToolMeta

    return JobSpec(name=name, full_name=name, qual_name=name, cmd=cmd, odir=root / name / "out",
                   log_path=root / name / "log.txt", exports={}, weight=1, timeout_mins=None,
                   interactive=False, dry_run=False, renew_odir=False, pass_patterns=[], fail_patterns=[],
                   pre_launch=lambda: None, post_finish=lambda _s: None, job_type="bench", target="run",
                   backend=None, resources=None, seed=None, dependencies=[],
                   needs_all_dependencies_passing=True,
                   block=IPMeta(name="ip", variant=None, commit="c", commit_short="c", branch="b", url="u",
                                revision_info=None),
                   tool=ToolMeta(name="tool", version="1"),
                   workspace_cfg=WorkspaceConfig(timestamp="t", project_root=root, scratch_root=root,
                                                 scratch_path=root))


def orphan_cmd(pidfile: Path, then: str) -> str:
    # The child: its own session, reparented away from the job (the subshell exits), SIGTERM ignored,
    # stdout/stderr inherited from the job (the output pipe, with the local backend).
    child = f"trap '' TERM; echo $$ > {shlex.quote(str(pidfile))}; exec sleep 600"
    script = f"(setsid sh -c {shlex.quote(child)} &); {then}"
    return f"sh -c {shlex.quote(script)}"


async def orphans(backend, root: Path, n: int, grace: float) -> dict[str, float]:
    pidfiles, specs = [], []
    for i in range(n):
        kind = i % 3
        pf = root / f"child-{i}.pid"
        if kind == 0:
            # Exits once its child runs (with jobd, the child then dies with the job: a stray process).
            cmd = orphan_cmd(pf, f"while [ ! -s {shlex.quote(str(pf))} ]; do sleep 0.01; done; echo leaving; exit 0")
        elif kind == 1:
            cmd = orphan_cmd(pf, "trap '' TERM; sleep 600")
        else:
            cmd = "sh -c 'sleep 600'"
            pf = None
        if pf:
            pidfiles.append(pf)
        specs.append(make_spec(root, f"orphan-{i}", cmd))

    done: dict[str, object] = {}
    ev = asyncio.Event()

    async def on_complete(events):
        for e in events:
            done[e.spec.id] = e.status
        ev.set()

    backend.attach_completion_callback(on_complete)
    handles = await backend.submit_many(specs)
    deadline = time.monotonic() + 30
    while not all(p.exists() and p.read_text().strip() for p in pidfiles):
        if time.monotonic() > deadline:
            missing = [str(p) for p in pidfiles if not (p.exists() and p.read_text().strip())]
            raise RuntimeError(f"{backend.name}: the jobs' children did not start: {missing[:3]}")
        await asyncio.sleep(0.05)
    pids = [int(p.read_text()) for p in pidfiles]
    done_before_kill = len(done)
    t0 = time.monotonic()
    await backend.kill_many(list(handles.values()))
    end = t0 + grace
    while len(done) < len(specs) and time.monotonic() < end:
        ev.clear()
        try:
            await asyncio.wait_for(ev.wait(), max(0.01, end - time.monotonic()))
        except asyncio.TimeoutError:
            break
    kill_s = time.monotonic() - t0
    survivors = [p for p in pids if pid_alive(p)]
    for p in survivors:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return {"jobs": len(specs), "children": len(pids), "survivors": len(survivors),
            "completed": len(done), "completed_before_kill": done_before_kill,
            "never_completed": len(specs) - len(done), "kill_s": kill_s}


async def throughput(backend, root: Path, n: int, parallel: int) -> float:
    from dvsim.scheduler.core import Scheduler

    specs = [make_spec(root, f"t{i}", "true") for i in range(n)]
    t0 = time.monotonic()
    results = await Scheduler(specs, {"b": backend}, "b", max_parallelism=parallel).run()
    dt = time.monotonic() - t0
    bad = [r for r in results if r.status.name != "PASSED"]
    if bad:
        raise RuntimeError(f"{len(bad)} jobs did not pass on {backend.name}")
    return n / dt


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dvsim", help="a DVSim checkout (its src/ goes on sys.path)")
    ap.add_argument("--orphan-jobs", type=int, default=30)
    ap.add_argument("--grace", type=float, default=15.0, help="seconds to wait for completions after the kill")
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--only", choices=("orphans", "throughput"))
    args = ap.parse_args()
    if args.dvsim:
        sys.path.insert(0, str(Path(args.dvsim) / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src" / "python"))
    from dvsim.runtime.local import LocalRuntimeBackend

    from jobd.dvsim import JobdRuntimeBackend

    backends = {"local": lambda: LocalRuntimeBackend(), "jobd": lambda: JobdRuntimeBackend()}
    with tempfile.TemporaryDirectory(prefix="dvsim-bench-") as tmp:
        if args.only in (None, "orphans"):
            print(f"orphans: {args.orphan_jobs} jobs, kill_many() on all, {args.grace:g}s to complete")
            print(f"{'backend':8} {'children':>8} {'survivors':>9} {'completed':>9} {'never':>5} {'kill s':>7}")
            for name, make in backends.items():
                be = make()
                r = await orphans(be, Path(tmp) / f"o-{name}", args.orphan_jobs, args.grace)
                print(f"{name:8} {r['children']:8d} {r['survivors']:9d} {r['completed']:9d} "
                      f"{r['never_completed']:5d} {r['kill_s']:7.2f}")
                try:
                    await asyncio.wait_for(be.close(), 10)
                except asyncio.TimeoutError:
                    pass
        if args.only in (None, "throughput"):
            print(f"throughput: DVSim's scheduler, {args.jobs} x true, {args.parallel} at once")
            for name, make in backends.items():
                be = make()
                rate = await throughput(be, Path(tmp) / f"t-{name}", args.jobs, args.parallel)
                await be.close()
                print(f"{name:8} {rate:8.1f} jobs/s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
