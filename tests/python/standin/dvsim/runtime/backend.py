# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in of dvsim.runtime.backend.RuntimeBackend, after its documented contract: submit_many() and
kill_many() abstract; completions through an attached async callback; helpers that build a job's
environment (caller's environment plus exports, MAKEFLAGS dropped), prepare its launch (refuse
interactive jobs without support, pre_launch(), create odir) and judge a finished job from its exit code
and its log (a fail pattern on any line fails; every pass pattern must match some line)."""
import os
import re
from abc import ABC, abstractmethod
from pathlib import Path

from dvsim.job.data import JobStatusInfo
from dvsim.job.status import JobStatus


class RuntimeBackend(ABC):
    name: str
    max_parallelism: int = 0
    supports_interactive: bool = False

    def __init__(self, *, max_parallelism=None):
        if max_parallelism is not None:
            self.max_parallelism = max_parallelism
        self._completion_callback = None

    def attach_completion_callback(self, callback):
        self._completion_callback = callback

    async def _emit_completion(self, events):
        if self._completion_callback is None:
            raise RuntimeError("Backend not attached to the scheduler")
        events = list(events)
        for ev in events:
            ev.spec.post_finish(ev.status)
        await self._completion_callback(events)

    @abstractmethod
    async def submit_many(self, jobs): ...

    async def submit(self, job):
        return (await self.submit_many([job])).get(job.id)

    @abstractmethod
    async def kill_many(self, handles): ...

    async def kill(self, handle):
        await self.kill_many([handle])

    async def close(self):
        pass

    def _build_job_env(self, job, backend_env=None, remove=None):
        env = {**os.environ, **(backend_env or {}), **job.exports}
        if job.interactive:
            env["DVSIM_RUN_INTERACTIVE"] = "1"
        for key in [*(remove or ()), "MAKEFLAGS"]:
            env.pop(key, None)
        return env

    def _prepare_launch(self, job):
        if job.interactive and not self.supports_interactive:
            raise RuntimeError(f"Interactive jobs are not supported by the '{self.name}' backend.")
        job.pre_launch()
        Path(job.odir).mkdir(parents=True, exist_ok=True)

    def _finish_job(self, handle, exit_code, runtime):
        spec = handle.spec
        if spec.dry_run:
            return JobStatus.PASSED, None
        if runtime is not None:
            handle.job_runtime.set(runtime, "s")
        if exit_code is None:
            return JobStatus.KILLED, JobStatusInfo(message=f"Job timed out after {spec.timeout_mins} minutes")
        if spec.pass_patterns or spec.fail_patterns:
            try:
                lines = Path(spec.log_path).read_text(errors="surrogateescape").splitlines()
            except OSError as e:
                return JobStatus.FAILED, JobStatusInfo(message=f"Error opening file {spec.log_path}:\n{e}")
            missing = {re.compile(p) for p in spec.pass_patterns}
            fails = [re.compile(p) for p in spec.fail_patterns]
            for n, line in enumerate(lines, 1):
                if any(r.search(line) for r in fails):
                    return JobStatus.FAILED, JobStatusInfo(message=line.strip(), lines=[n])
                missing = {r for r in missing if not r.search(line)}
            if missing:
                return JobStatus.FAILED, JobStatusInfo(
                    message=f"Some pass patterns missing: {[r.pattern for r in missing]}")
        if exit_code != 0:
            return JobStatus.FAILED, JobStatusInfo(message=f"Job returned a non-zero exit code: {exit_code}")
        return JobStatus.PASSED, None
