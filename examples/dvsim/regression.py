#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small DVSim-style regression run by DVSim's own scheduler on jobd: a build, then tests that pass,
fail by a log pattern, time out, and one that leaves a daemonized child behind. Every job runs in a cgroup
of its own; the child dies with its job. Needs DVSim: --dvsim=CHECKOUT or an installed dvsim.

    examples/dvsim/run.sh build --dvsim=$HOME/src/dvsim
"""
import argparse
import asyncio
import sys
import tempfile
from pathlib import Path


def spec(root: Path, name: str, cmd: str, deps=(), **kw):
    from dvsim.job.data import JobSpec, WorkspaceConfig
    from dvsim.report.data import IPMeta, ToolMeta

    fields = dict(name=name, full_name=name, qual_name=name, cmd=cmd, odir=root / name,
                  log_path=root / name / "run.log", exports={"SEED": "42"}, weight=1, timeout_mins=None,
                  interactive=False, dry_run=False, renew_odir=False, pass_patterns=["TEST PASSED"],
                  fail_patterns=["UVM_ERROR"], pre_launch=lambda: None, post_finish=lambda _s: None,
                  job_type="run", target="run", backend="jobd", resources=None, seed=42,
                  dependencies=list(deps), needs_all_dependencies_passing=True,
                  block=IPMeta(name="uart", variant=None, commit="0", commit_short="0", branch="main",
                               url="", revision_info=None),
                  tool=ToolMeta(name="fake", version="1"),
                  workspace_cfg=WorkspaceConfig(timestamp="now", project_root=root, scratch_root=root,
                                                scratch_path=root))
    fields.update(kw)
    return JobSpec(**fields)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dvsim")
    args = ap.parse_args()
    if args.dvsim:
        sys.path.insert(0, str(Path(args.dvsim) / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src" / "python"))
    from dvsim.runtime.registry import BackendType, backend_registry, register_backend
    from dvsim.scheduler.core import Scheduler

    # The one line a DVSim user adds (where DVSim registers its backends):
    register_backend(BackendType("jobd"), "jobd.dvsim.JobdRuntimeBackend")

    with tempfile.TemporaryDirectory(prefix="dvsim-jobd-") as tmp:
        root = Path(tmp)
        jobs = [
            spec(root, "build", "sh -c 'echo compiling $SEED; sleep 0.3; echo TEST PASSED'",
                 pass_patterns=[], job_type="build"),
            spec(root, "smoke", "sh -c 'echo TEST PASSED'", deps=["build"]),
            spec(root, "error", "sh -c 'echo UVM_ERROR @ 10ns: mismatch; echo TEST PASSED'", deps=["build"]),
            spec(root, "hang", "sleep 600", deps=["build"], timeout_mins=0.05),
            spec(root, "daemon", "sh -c '(setsid sleep 600 &); echo TEST PASSED'", deps=["build"]),
        ]
        backend = backend_registry.create(BackendType("jobd"), max_parallelism=4)
        results = await Scheduler(jobs, {"jobd": backend}, "jobd").run()
        for r in sorted(results, key=lambda r: r.name):
            print(f"{r.name:8} {r.status.name:7} {r.job_runtime:6.2f}s  {r.log_path}")


if __name__ == "__main__":
    asyncio.run(main())
