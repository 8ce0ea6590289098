# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in of dvsim.runtime.data: JobHandle and JobCompletionEvent."""
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass

from dvsim.job.data import JobSpec, JobStatusInfo
from dvsim.job.status import JobStatus
from dvsim.job.time import JobTime


@dataclass(kw_only=True)
class JobHandle:
    spec: JobSpec
    backend: str
    job_runtime: JobTime
    simulated_time: JobTime

    @property
    def job_id(self) -> Hashable:
        return self.spec.id


@dataclass(frozen=True)
class JobCompletionEvent:
    spec: JobSpec
    status: JobStatus
    reason: JobStatusInfo | None


CompletionCallback = Callable[[Iterable[JobCompletionEvent]], Awaitable[None]]
