# SPDX-License-Identifier: LGPL-2.1-or-later
"""A DVSim runtime backend that runs every job through jobd, each in a cgroup of its own.

DVSim (lowRISC's hardware-verification runner) selects runtime backends by name. To make ``jobd`` one
of them, a DVSim user adds one line where DVSim registers its built-in backends
(``dvsim/runtime/registry.py``), or in any module imported before the scheduler starts::

    register_backend(BackendType("jobd"), "jobd.dvsim.JobdRuntimeBackend")

(:func:`register` does the same.) Then the jobs whose backend is ``jobd`` (or all of them, with ``jobd``
as the default backend) run under jobd: a kill stops the whole cgroup, daemonized children included, and
a job is reported complete only when none of its processes is left.

How a DVSim ``JobSpec`` maps onto a jobd job:

* ``cmd``: split with :func:`shlex.split` and run without a shell, as DVSim's local backend does.
* ``exports``: the job's whole environment, built by DVSim's own ``_build_job_env()`` (the caller's
  environment, the exports on top, DVSim's magic variables removed); entries jobd cannot carry (names
  with ``=`` or blanks) are dropped. The working directory is the caller's, as with the local backend.
* ``odir``/``log_path``: the output directory is prepared by DVSim's ``_prepare_launch()``; the log is
  opened by this backend, starts with the same ``[Executing]`` preamble as the local backend's, and is
  handed to jobd as the job's standard output and error (``StdoutFD``/``StderrFD``): the job writes
  straight into the file DVSim reads.
* ``timeout_mins``: ``TimeoutUSec`` (counted by jobd from the job's start); a timeout is ``KILLED``.
* ``pass_patterns``/``fail_patterns``: checked on the log when the job ends, by DVSim's ``_finish_job()``
  (the log is this backend's file, given as ``StdoutFD``, which jobd's own ``FailPatterns``/
  ``PassPatterns`` do not scan: they judge the log jobd writes).
* ``weight``: ``Priority`` (higher starts first).
* ``backend``: ``"slurm"`` sends the job to the Slurm cluster of the daemon's jobd.conf ``[Slurm]``
  (``Backend`` "slurm"); its output cannot be a descriptor of this process there, so the log (with the
  same preamble) is given as its ``LogPath``, which the node appends to: it must be on a folder the nodes
  share (DVSim's scratch area usually is). Any other value runs the job on the daemon's default backend.
* ``interactive``: refused (``RuntimeError``), as DVSim refuses it for backends without support.
* ``max_parallelism``: DVSim's scheduler keeps at most that many jobs dispatched; on top, when the daemon
  allows it (the session bus, or root), the backend's jobs form a jobd group with that limit.

Completions come from jobd's signals (never by polling) and are reported through the completion
callback as ``JobCompletionEvent``\\ s: jobd's ``success``/``failed`` go through DVSim's log checks
(``PASSED``/``FAILED``); ``killed``, ``timeout``, ``cancelled``, ``oom``, ``skipped``, ``lost`` and a
command that could not be started are ``KILLED``. A non-passing event's ``JobStatusInfo`` names jobd's
result and carries jobd's ``Reason`` when there is one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shlex
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from dvsim.job.data import JobSpec, JobStatusInfo
from dvsim.job.status import JobStatus
from dvsim.job.time import JobTime
from dvsim.runtime.backend import RuntimeBackend
from dvsim.runtime.data import JobCompletionEvent, JobHandle

from .client import Client, Spec
from .errors import AccessDenied, JobdError, NoSuchJob, NotRunning, QuotaExceeded

__all__ = ("JobdJobHandle", "JobdRuntimeBackend", "register")

log = logging.getLogger("jobd.dvsim")

_ENV_NAME = re.compile(r"[!-<>-~]+")  # printable, no space, no "="


@dataclass(kw_only=True)
class JobdJobHandle(JobHandle):
    """The handle of a job that runs under jobd: its jobd id beside DVSim's fields."""

    jobd_id: int
    start_time: float
    kill_requested: bool = False
    done: bool = False


class JobdRuntimeBackend(RuntimeBackend):
    """Runs DVSim jobs through jobd (see the module documentation for the mapping)."""

    name = "jobd"
    supports_interactive = False

    def __init__(self, *, max_parallelism: int | None = None, bus: str | None = None,
                 group: str | None = None) -> None:
        """Construct the backend; it connects on first use.

        Args:
            max_parallelism: as for every DVSim backend (0: no limit; None: the default, 0).
            bus: ``"user"``, ``"system"`` or a D-Bus address; default ``$JOBD_BUS_ADDRESS``, else the
                session bus.
            group: the jobd group of this backend's jobs; by default ``dvsim-<pid>`` when
                ``max_parallelism`` is set (and the daemon lets this user set a group limit), else none.

        """
        super().__init__(max_parallelism=max_parallelism)
        self._bus = bus
        self._group = group
        self._group_limited = False
        self._client: Client | None = None
        self._connecting: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _get_client(self) -> Client:
        if self._client is not None:
            return self._client
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._client is None:
                client = await Client.connect(self._bus)
                if self.max_parallelism:
                    group = self._group or f"dvsim-{os.getpid()}"
                    try:
                        await client.set_group_limit(group, self.max_parallelism)
                        self._group = group
                        self._group_limited = True
                    except AccessDenied:
                        # The system bus: only root sets limits. DVSim's scheduler keeps at most
                        # max_parallelism jobs dispatched to this backend anyway.
                        pass
                self._client = client
        return self._client

    @staticmethod
    def _job_name(job: JobSpec) -> str:
        name = "".join(c for c in str(job.full_name) if c.isprintable())
        return name.encode()[:255].decode(errors="ignore") or "dvsim-job"

    @staticmethod
    def _jobd_env(env: dict[str, str]) -> list[str]:
        """KEY=VALUE entries jobd accepts: D-Bus strings are UTF-8 (no undecodable bytes), names have no
        blank or "="."""
        out = []
        for k, v in env.items():
            entry = f"{k}={v}"
            try:
                entry.encode()
            except UnicodeEncodeError:
                continue
            if _ENV_NAME.fullmatch(k) and "\0" not in v:
                out.append(entry)
        return out

    def _open_log(self, job: JobSpec) -> int:
        """Creates the log with the local backend's preamble; returns an append-only fd for the job."""
        with open(job.log_path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(f"[Executing]:\n{job.cmd}\n\n")
        return os.open(job.log_path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)

    async def submit_many(self, jobs: Iterable[JobSpec]) -> dict[Hashable, JobHandle]:
        """Submit & launch jobs: all Submit() calls go out at once (pipelined on the connection).

        Returns the handles of the jobs that were accepted; a job refused for a quota (jobd busy) is
        missing and DVSim submits it again later; a job that cannot start at all completes as KILLED.
        """
        client = await self._get_client()
        completions: list[JobCompletionEvent] = []
        handles: dict[Hashable, JobHandle] = {}
        prepared: list[tuple[JobSpec, Spec, int]] = []

        try:
            for job in jobs:
                env = self._build_job_env(job)
                self._prepare_launch(job)
                try:
                    argv = shlex.split(job.cmd)
                    if not argv:
                        raise ValueError("empty command")
                    fd = self._open_log(job)
                except (OSError, ValueError) as e:
                    completions.append(JobCompletionEvent(
                        job, JobStatus.KILLED, JobStatusInfo(message=f"Failed to launch job: {e}")))
                    continue
                spec = Spec(argv, name=self._job_name(job), working_directory=os.getcwd(),
                            environment=self._jobd_env(env), priority=int(job.weight),
                            timeout=job.timeout_secs, stdout=fd, stderr=fd, group=self._group)
                if getattr(job, "backend", None) == "slurm":
                    # On a node of the cluster: the log by its path, appended to after the preamble.
                    spec.backend = "slurm"
                    spec.stdout = spec.stderr = None
                    spec.log_path = os.path.abspath(job.log_path)
                prepared.append((job, spec, fd))
            results = await asyncio.gather(*(client.submit(spec) for _, spec, _ in prepared),
                                           return_exceptions=True)
        finally:
            # jobd holds its own copies of the log descriptors once Submit() returned.
            for _, _, fd in prepared:
                os.close(fd)

        now = time.monotonic()
        for (job, _, _), res in zip(prepared, results):
            if isinstance(res, QuotaExceeded):
                continue
            if isinstance(res, BaseException):
                if not isinstance(res, JobdError):
                    raise res
                completions.append(JobCompletionEvent(
                    job, JobStatus.KILLED, JobStatusInfo(message=f"Failed to launch job: {res}")))
                continue
            handle = JobdJobHandle(spec=job, backend=self.name, job_runtime=JobTime(),
                                   simulated_time=JobTime(), jobd_id=res.id, start_time=now)
            handles[job.id] = handle
            task = asyncio.create_task(self._monitor(handle))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        if completions:
            await self._emit_completion(completions)
        return handles

    async def _monitor(self, handle: JobdJobHandle) -> None:
        """Waits for the job's end (signals) and reports it."""
        client = await self._get_client()
        try:
            result = (await client.wait(handle.jobd_id, details=False)).result
            props: dict[str, Any] = {}
            if result == "success":
                # Nothing more to read: exit code 0, and the run time as the local backend measures it.
                props = {"ExitCode": 0}
            else:
                try:
                    props = await client.get_job_properties(
                        handle.jobd_id, "ExitCode", "ExitSignal", "Reason", "StartUSec", "FinishUSec")
                except NoSuchJob:
                    pass
        except JobdError as e:
            result, props = "lost", {"Reason": str(e)}
        handle.done = True
        status, reason = self._outcome(handle, result, props)
        await self._emit_completion([JobCompletionEvent(handle.spec, status, reason)])

    def _outcome(self, handle: JobdJobHandle, result: str,
                 props: dict[str, Any]) -> tuple[JobStatus, JobStatusInfo | None]:
        exit_code = props.get("ExitCode", -1)
        exit_signal = props.get("ExitSignal", 0)
        jobd_reason = props.get("Reason", "")
        start, finish = props.get("StartUSec", 0), props.get("FinishUSec", 0)
        runtime = (finish - start) / 1e6 if start and finish >= start else time.monotonic() - handle.start_time
        context = [f"jobd job {handle.jobd_id}: result {result}, exit code {exit_code}, signal {exit_signal}"]
        if jobd_reason:
            context.append(f"jobd reason: {jobd_reason}")

        handle.job_runtime.set(runtime, "s")
        if result == "failed" and exit_code == 127 and jobd_reason:
            # jobd could not start the command (missing program, working directory).
            return JobStatus.KILLED, JobStatusInfo(message=f"Failed to launch job: {jobd_reason}",
                                                   context=context)
        if result in ("success", "failed"):
            return self._finish_job(handle, exit_code if exit_code >= 0 else 1, runtime)
        if result == "timeout":
            msg = f"Job timed out after {handle.spec.timeout_mins} minutes"
        elif result == "cancelled":
            msg = "Job killed" if handle.kill_requested else "Job cancelled through jobd"
        elif result == "killed":
            msg = f"Job killed by signal {exit_signal}"
        elif result == "oom":
            msg = "Job killed by the out-of-memory killer"
        elif result == "skipped":
            msg = "Job skipped by jobd"
        else:
            msg = f"jobd lost the job ({result})"
        if jobd_reason:
            msg += f": {jobd_reason}"
        return JobStatus.KILLED, JobStatusInfo(message=msg, context=context)

    async def kill_many(self, handles: Iterable[JobHandle]) -> None:
        """Cancel jobs: SIGTERM to every process of each job's cgroup, SIGKILL after jobd's grace period.

        The killed jobs complete (as KILLED) when jobd says they are done, that is when none of their
        processes is left.
        """
        client = await self._get_client()
        todo: list[JobdJobHandle] = []
        for handle in handles:
            if not isinstance(handle, JobdJobHandle):
                msg = f"jobd backend expected handle of type JobdJobHandle, not `{type(handle)}`."
                raise TypeError(msg)
            if not handle.done and not handle.kill_requested:
                handle.kill_requested = True
                todo.append(handle)
        results = await asyncio.gather(*(client.cancel(h.jobd_id) for h in todo), return_exceptions=True)
        for res in results:
            if isinstance(res, (NotRunning, NoSuchJob)):
                continue  # done meanwhile: its completion comes from the signal
            if isinstance(res, BaseException):
                raise res

    async def close(self) -> None:
        """Releases the connection (and the group limit this backend set)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            if self._group_limited and self._group:
                try:
                    await self._client.set_group_limit(self._group, 0)
                except JobdError:
                    pass
            await self._client.close()
            self._client = None


def register() -> None:
    """Registers this backend with DVSim under the name ``jobd``."""
    from dvsim.runtime.registry import BackendType, register_backend

    register_backend(BackendType("jobd"), "jobd.dvsim.JobdRuntimeBackend")
