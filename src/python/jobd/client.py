# SPDX-License-Identifier: LGPL-2.1-or-later
"""An asyncio client of jobd's D-Bus API (org.jobd1(5)).

The D-Bus library is dbus-next (Debian: python3-dbus-next): it is asyncio-native, passes file
descriptors (``OpenLog()``, ``StdoutFD``) in both directions, and its low-level message API lets this
module add its own match rules and check every signal's sender. jeepney's asyncio I/O (0.8, Debian 12)
cannot pass file descriptors.

Waiting for a job or a run is done by signals only (``JobChanged``, ``Run.Finished``), never by polling:
the match rules are added when the client connects, so a waiter registers, then reads the state once (the
job may have ended before), then sleeps until the signal. Signals are accepted only from the current
owner of ``org.jobd1`` (``GetNameOwner`` at connect, then ``NameOwnerChanged``); when a new daemon takes
the name, jobs still waited for are read again.
"""

from __future__ import annotations

import array
import asyncio
import ctypes
import ctypes.util
import math
import os
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dbus_next import BusType, Message, MessageType, Variant
from dbus_next.aio import MessageBus

from .errors import DaemonGone, JobdError, NoSuchJob, error_from_dbus

__all__ = [
    "BUS_NAME",
    "Client",
    "Job",
    "JobInfo",
    "JobResult",
    "Run",
    "RunInfo",
    "RunResult",
    "Spec",
    "connect",
]

BUS_NAME = "org.jobd1"
MANAGER_PATH = "/org/jobd1"
MANAGER_IFACE = "org.jobd1.Manager"
JOB_IFACE = "org.jobd1.Job"
RUN_IFACE = "org.jobd1.Run"
_DBUS = "org.freedesktop.DBus"
_PROPS = "org.freedesktop.DBus.Properties"

_USEC = 1_000_000
_RECENT_DONE_MAX = 65536
_UINT64_MAX = 2**64 - 1


def _usec(seconds: float | None) -> int:
    if seconds is None or seconds == math.inf:
        return 0
    if seconds < 0:
        raise ValueError("a duration must not be negative")
    return int(math.ceil(seconds * _USEC))


@dataclass
class Spec:
    """A job to submit: the keys of the Submit spec (org.jobd1(5), SUBMIT SPEC), typed.

    Only ``argv`` is required; a field left at ``None`` is not sent, so the daemon's default applies.
    Durations are in seconds (floats); the spec carries microseconds. ``not_before`` is a point in time,
    seconds since the epoch (``time.time() + 60``). ``stdin``, ``stdout`` and ``stderr``
    take a file descriptor (int) or an object with ``fileno()``: the daemon gets a duplicate. ``after``
    holds job ids, or, in a plan, names of jobs of the same plan. ``extra`` sends further keys as they
    are, ``{"Key": Variant("s", "...")}``, for keys newer than this module.
    """

    argv: Sequence[str]
    name: str | None = None
    working_directory: str | None = None
    environment: Mapping[str, str] | Sequence[str] | None = None
    priority: int | None = None
    timeout: float | None = None
    memory_max: int | None = None
    tasks_max: int | None = None
    cpu_weight: int | None = None
    stdin: Any = None
    stdout: Any = None
    stderr: Any = None
    after: Sequence[int] | Sequence[str] | None = None
    after_condition: str | None = None
    group: str | None = None
    resources: Mapping[str, int] | None = None
    retries: int | None = None
    retry_on: Sequence[str] | None = None
    retry_delay: float | None = None
    system_call_filter: Sequence[str] | None = None
    labels: Sequence[str] | None = None
    hold: bool | None = None
    not_before: float | None = None
    fail_patterns: Sequence[str] | None = None
    pass_patterns: Sequence[str] | None = None
    log_path: str | None = None
    output_directory: str | None = None
    jobserver: bool | None = None
    jobserver_style: str | None = None
    backend: str | None = None
    extra: dict[str, Variant] = field(default_factory=dict)

    def to_dbus(self, fds: list[int] | None = None) -> dict[str, Variant]:
        """The a{sv} dictionary. File descriptors are appended to ``fds`` and referenced by index."""
        d: dict[str, Variant] = {}
        if self.argv is not None:
            d["Argv"] = Variant("as", [str(a) for a in self.argv])
        if self.name is not None:
            d["Name"] = Variant("s", self.name)
        if self.working_directory is not None:
            d["WorkingDirectory"] = Variant("s", os.fspath(self.working_directory))
        if self.environment is not None:
            env = self.environment
            if isinstance(env, Mapping):
                env = [f"{k}={v}" for k, v in env.items()]
            d["Environment"] = Variant("as", list(env))
        if self.priority is not None:
            d["Priority"] = Variant("i", int(self.priority))
        if self.timeout is not None:
            d["TimeoutUSec"] = Variant("t", _usec(self.timeout))
        for key, value in (("MemoryMax", self.memory_max), ("TasksMax", self.tasks_max),
                           ("CPUWeight", self.cpu_weight)):
            if value is not None:
                d[key] = Variant("t", int(value))
        for key, value in (("StdinFD", self.stdin), ("StdoutFD", self.stdout), ("StderrFD", self.stderr)):
            if value is None:
                continue
            if fds is None:
                raise ValueError(f"{key}: file descriptors cannot be given here (plans take none)")
            fd = value if isinstance(value, int) else value.fileno()
            fds.append(fd)
            d[key] = Variant("h", len(fds) - 1)
        if self.after is not None:
            after = list(self.after)
            if all(isinstance(a, int) for a in after):
                d["After"] = Variant("at", after)
            else:
                d["After"] = Variant("as", [str(a) for a in after])
        if self.after_condition is not None:
            d["AfterCondition"] = Variant("s", self.after_condition)
        if self.group is not None:
            d["Group"] = Variant("s", self.group)
        if self.resources is not None:
            d["Resources"] = Variant("a{su}", {k: int(v) for k, v in self.resources.items()})
        if self.retries is not None:
            d["Retries"] = Variant("u", int(self.retries))
        if self.retry_on is not None:
            d["RetryOn"] = Variant("as", [str(x) for x in self.retry_on])
        if self.retry_delay is not None:
            d["RetryDelayUSec"] = Variant("t", _usec(self.retry_delay))
        if self.system_call_filter is not None:
            d["SystemCallFilter"] = Variant("as", list(self.system_call_filter))
        if self.labels is not None:
            d["Labels"] = Variant("as", [str(x) for x in self.labels])
        if self.hold is not None:
            d["Hold"] = Variant("b", bool(self.hold))
        if self.not_before is not None:
            d["NotBeforeUSec"] = Variant("t", _usec(self.not_before))
        if self.fail_patterns is not None:
            d["FailPatterns"] = Variant("as", [str(p) for p in self.fail_patterns])
        if self.pass_patterns is not None:
            d["PassPatterns"] = Variant("as", [str(p) for p in self.pass_patterns])
        if self.log_path is not None:
            d["LogPath"] = Variant("s", os.fspath(self.log_path))
        if self.output_directory is not None:
            d["OutputDirectory"] = Variant("s", os.fspath(self.output_directory))
        if self.jobserver is not None:
            d["Jobserver"] = Variant("b", bool(self.jobserver))
        if self.jobserver_style is not None:
            d["JobserverStyle"] = Variant("s", self.jobserver_style)
        if self.backend is not None:
            d["Backend"] = Variant("s", self.backend)
        d.update(self.extra)
        return d


@dataclass(frozen=True)
class JobInfo:
    """One entry of ListJobs(): id, name, state, result ("" while not done), owner uid, object path."""

    id: int
    name: str
    state: str
    result: str
    owner: int
    path: str


@dataclass(frozen=True)
class RunInfo:
    """One entry of ListRuns(): id, name, state, result, jobs, jobs done, jobs done unsuccessfully, path."""

    id: int
    name: str
    state: str
    result: str
    jobs: int
    done: int
    failed: int
    path: str


@dataclass(frozen=True)
class JobResult:
    """How a job ended. ``exit_code`` is -1 and ``exit_signal`` 0 when there is none; ``reason`` is
    jobd's Reason property (why skipped, lost, not started). A job forgotten by the daemon before its
    details could be read has ``result`` and defaults elsewhere."""

    id: int
    result: str
    exit_code: int = -1
    exit_signal: int = 0
    reason: str = ""

    @property
    def success(self) -> bool:
        """True if the job's result is ``success``."""
        return self.result == "success"


@dataclass(frozen=True)
class RunResult:
    """How a run ended: its result (success, failed, cancelled) and counts of its jobs' results."""

    id: int
    result: str
    result_counts: dict[str, int]


def _tolerate_full_socket(bus: MessageBus) -> None:
    """dbus-next 0.2.3 (Debian 12) closes the connection when a send finds the socket buffer full
    (BlockingIOError), which many pipelined calls (a DVSim batch) do. Its writer stays registered for
    writability, so the fix is to stop there and go on when the socket drains: this replaces the writer's
    callback by one that does so. Skipped where the writer does not look as expected."""
    w = getattr(bus, "_writer", None)
    if w is None or not all(hasattr(w, a) for a in ("messages", "buf", "offset", "unix_fds", "fut", "sock")):
        return

    def done(fut: asyncio.Future[None] | None, exc: BaseException | None = None) -> None:
        if fut is not None and not fut.done():
            if exc is None:
                fut.set_result(None)
            else:
                fut.set_exception(exc)

    def write_callback() -> None:
        try:
            while True:
                if w.buf is None:
                    if w.messages.qsize() == 0:
                        w.loop.remove_writer(w.fd)
                        return
                    buf, w.unix_fds, w.fut = w.messages.get_nowait()
                    w.buf = memoryview(buf)
                    w.offset = 0
                try:
                    if w.unix_fds and w.negotiate_unix_fd:
                        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", w.unix_fds))]
                        w.offset += w.sock.sendmsg([w.buf[w.offset:]], anc)
                        w.unix_fds = None
                    else:
                        w.offset += w.sock.send(w.buf[w.offset:])
                except BlockingIOError:
                    return
                if w.offset < len(w.buf):
                    return
                w.buf = None
                done(w.fut)
        except Exception as e:  # noqa: BLE001
            done(w.fut, e)
            bus._finalize(e)

    w.write_callback = write_callback


def _unvariant(v: Any) -> Any:
    return v.value if isinstance(v, Variant) else v


class _Inotify:
    """IN_MODIFY on an open file (through /proc/self/fd/N), awaitable: for following a log."""

    IN_MODIFY = 0x2
    IN_CLOEXEC = 0o2000000
    IN_NONBLOCK = 0o4000

    def __init__(self, fd: int) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = libc.inotify_init1(self.IN_CLOEXEC | self.IN_NONBLOCK)
        if self.fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
        if libc.inotify_add_watch(self.fd, f"/proc/self/fd/{fd}".encode(), self.IN_MODIFY) < 0:
            e = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(e, os.strerror(e))
        self._event = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.fd, self._readable)

    def _readable(self) -> None:
        try:
            while os.read(self.fd, 4096):
                pass
        except BlockingIOError:
            pass
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
        self._event.clear()

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


class Client:
    """A connection to jobd. Create with :func:`connect` (or ``await Client.connect(...)``); use as an
    async context manager or call :meth:`close`.

    Every method that calls the daemon raises a :class:`jobd.errors.JobdError` subclass for an error
    reply (``NoSuchJob``, ``InvalidSpec``, ...; ``BusError`` for non-jobd errors).
    """

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus
        self._owner: str | None = None
        self._job_waiters: dict[int, list[asyncio.Future[str]]] = {}
        self._run_waiters: dict[int, list[asyncio.Future[str]]] = {}
        # The last ends seen (JobChanged "done"), whether or not anyone waited: a job submitted here may end
        # before the coroutine that submitted it runs again. A job that runs again (Run.Retry) leaves it.
        self._recent_done: OrderedDict[int, str] = OrderedDict()
        # Jobs submitted here without After: their end comes as a signal after the Submit() reply (the
        # matches were added first), so waiting for one needs no read first. Forgotten if jobd restarts.
        self._fresh: set[int] = set()
        self._closed = False

    # --- connection ------------------------------------------------------------------------------

    @classmethod
    async def connect(cls, bus: str | None = None) -> Client:
        """Connects and subscribes to jobd's signals.

        ``bus``: ``"user"`` (the session bus), ``"system"``, or a D-Bus address
        (``unix:path=...``). ``None``: ``$JOBD_BUS_ADDRESS`` if set, else the session bus, as jobctl(1).
        """
        if bus is None:
            bus = os.environ.get("JOBD_BUS_ADDRESS") or "user"
        if bus in ("user", "session"):
            mb = MessageBus(bus_type=BusType.SESSION, negotiate_unix_fd=True)
        elif bus == "system":
            mb = MessageBus(bus_type=BusType.SYSTEM, negotiate_unix_fd=True)
        else:
            mb = MessageBus(bus_address=bus, negotiate_unix_fd=True)
        await mb.connect()
        _tolerate_full_socket(mb)
        self = cls(mb)
        mb.add_message_handler(self._on_message)
        self._disconnect_task = asyncio.ensure_future(self._on_disconnect())
        # The matches go out before anything else is sent, so no signal about a job submitted or read
        # afterwards can be missed.
        rules = [
            f"type='signal',sender='{_DBUS}',interface='{_DBUS}',member='NameOwnerChanged',arg0='{BUS_NAME}'",
            f"type='signal',sender='{BUS_NAME}',interface='{MANAGER_IFACE}',member='JobChanged'",
            f"type='signal',sender='{BUS_NAME}',interface='{RUN_IFACE}',member='Finished'",
        ]
        await asyncio.gather(*(self._call(_DBUS, "/org/freedesktop/DBus", _DBUS, "AddMatch", "s", [r])
                               for r in rules))
        try:
            (self._owner,) = await self._call(_DBUS, "/org/freedesktop/DBus", _DBUS, "GetNameOwner", "s",
                                              [BUS_NAME])
        except JobdError:
            self._owner = None
        return self

    async def _on_disconnect(self) -> None:
        try:
            await self._bus.wait_for_disconnect()
        except Exception:  # noqa: BLE001
            pass
        self._fail_waiters(DaemonGone("the connection to the bus was lost"))

    async def close(self) -> None:
        """Closes the connection; pending waits raise :class:`DaemonGone`."""
        if self._closed:
            return
        self._closed = True
        self._bus.disconnect()
        try:
            await asyncio.wait_for(self._bus.wait_for_disconnect(), 5)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001
            pass
        self._fail_waiters(DaemonGone("connection closed"))

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def owner(self) -> str | None:
        """The unique bus name of the current owner of org.jobd1 (None while nobody owns it)."""
        return self._owner

    # --- low level -----------------------------------------------------------------------------

    async def _call(self, dest: str, path: str, iface: str, member: str, sig: str = "",
                    body: list[Any] | None = None, fds: list[int] | None = None) -> list[Any]:
        reply = await self._bus.call(Message(destination=dest, path=path, interface=iface, member=member,
                                             signature=sig, body=body or [], unix_fds=fds or []))
        if reply.message_type == MessageType.ERROR:
            text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            raise error_from_dbus(reply.error_name, text)
        if reply.unix_fds:
            # Replace fd indices by the fds themselves (only 'h' at top level in this API: OpenLog).
            return [reply.unix_fds[v] if s.token == "h" else v
                    for s, v in zip(reply.signature_tree.types, reply.body)]
        return reply.body

    async def call_manager(self, member: str, sig: str = "", body: list[Any] | None = None,
                           fds: list[int] | None = None) -> list[Any]:
        """Calls a method of org.jobd1.Manager and returns the reply's body."""
        return await self._call(BUS_NAME, MANAGER_PATH, MANAGER_IFACE, member, sig, body, fds)

    async def get_properties(self, path: str, iface: str) -> dict[str, Any]:
        """All properties of an object, as plain Python values."""
        (props,) = await self._call(BUS_NAME, path, _PROPS, "GetAll", "s", [iface])
        return {k: _unvariant(v) for k, v in props.items()}

    async def get_property(self, path: str, iface: str, name: str) -> Any:
        """One property of an object."""
        (v,) = await self._call(BUS_NAME, path, _PROPS, "Get", "ss", [iface, name])
        return _unvariant(v)

    # --- signals -------------------------------------------------------------------------------

    def _on_message(self, msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL:
            return None
        if msg.sender == "org.freedesktop.DBus" and msg.member == "NameOwnerChanged":
            name, _old, new = msg.body
            if name == BUS_NAME:
                self._owner = new or None
                self._fresh.clear()
                self._recent_done.clear()
                if new:
                    # A (re)started daemon: jobs and runs waited for may have ended meanwhile.
                    asyncio.get_event_loop().create_task(self._reread_pending())
            return None
        # Only the current owner of org.jobd1 speaks for jobd: anything else is ignored.
        if self._owner is None or msg.sender != self._owner:
            return None
        if msg.interface == MANAGER_IFACE and msg.member == "JobChanged" and msg.signature == "toss":
            job_id, _path, state, result = msg.body
            if state == "done":
                self._recent_done[job_id] = result
                self._recent_done.move_to_end(job_id)
                if len(self._recent_done) > _RECENT_DONE_MAX:
                    old, _ = self._recent_done.popitem(last=False)
                    self._fresh.discard(old)
                self._settle_job(job_id, result)
            else:
                self._recent_done.pop(job_id, None)
        elif msg.interface == RUN_IFACE and msg.member == "Finished" and msg.signature == "ts":
            run_id, result = msg.body
            for fut in self._run_waiters.pop(run_id, []):
                if not fut.done():
                    fut.set_result(result)
        return None

    def _settle_job(self, job_id: int, result: str) -> None:
        waiters = self._job_waiters.pop(job_id, None)
        if waiters is None:
            return
        for fut in waiters:
            if not fut.done():
                fut.set_result(result)

    def _fail_waiters(self, exc: Exception) -> None:
        for table in (self._job_waiters, self._run_waiters):
            for futs in table.values():
                for fut in futs:
                    if not fut.done():
                        fut.set_exception(exc)
            table.clear()

    async def _reread_pending(self) -> None:
        for job_id in list(self._job_waiters):
            try:
                props = await self.get_properties(f"{MANAGER_PATH}/job/{job_id}", JOB_IFACE)
            except NoSuchJob:
                self._settle_job(job_id, "lost")
                continue
            except JobdError:
                continue
            if props.get("State") == "done":
                self._settle_job(job_id, props.get("Result", ""))
        for run_id in list(self._run_waiters):
            try:
                props = await self.get_properties(f"{MANAGER_PATH}/run/{run_id}", RUN_IFACE)
            except JobdError:
                continue
            if props.get("State") == "done":
                for fut in self._run_waiters.pop(run_id, []):
                    if not fut.done():
                        fut.set_result(props.get("Result", ""))

    # --- jobs ----------------------------------------------------------------------------------

    async def submit(self, spec: Spec | Sequence[str], **fields: Any) -> Job:
        """Submits one job; ``spec`` is a :class:`Spec` or an argv (then ``fields`` are Spec fields)."""
        if not isinstance(spec, Spec):
            spec = Spec(list(spec), **fields)
        fds: list[int] = []
        d = spec.to_dbus(fds)
        job_id, path = await self.call_manager("Submit", "a{sv}", [d], fds)
        if not spec.after:
            self._fresh.add(job_id)
        return Job(self, job_id, path)

    async def list_jobs(self) -> list[JobInfo]:
        """ListJobs(): every job the daemon knows."""
        (rows,) = await self.call_manager("ListJobs")
        return [JobInfo(*r) for r in rows]

    async def list_jobs_filtered(self, filter: Mapping[str, Variant] | None = None, after: int = 0,
                                 limit: int = 0) -> tuple[list[JobInfo], int]:
        """ListJobsFiltered(): one page of the jobs that match, and the id to pass as ``after`` for the
        next page (0: none follows). ``filter`` keys as in org.jobd1(5), e.g.
        ``{"States": Variant("as", ["running"]), "Label": Variant("s", "nightly")}``."""
        rows, next_id = await self.call_manager("ListJobsFiltered", "a{sv}tu",
                                                [dict(filter or {}), int(after), int(limit)])
        return [JobInfo(*r) for r in rows], next_id

    async def remove_job(self, job_id: int) -> None:
        """RemoveJob(): forgets a done job and its log (``Busy`` if it is not done)."""
        await self.call_manager("RemoveJob", "t", [job_id])

    async def get_job(self, job_id: int) -> Job:
        """The job of an id (``NoSuchJob`` if there is none)."""
        (path,) = await self.call_manager("GetJob", "t", [job_id])
        return Job(self, job_id, path)

    async def kill(self, job_id: int, signal: int = 15) -> None:
        """KillJob(): sends a signal to every process of the job (SIGKILL through cgroup.kill)."""
        await self.call_manager("KillJob", "ti", [job_id, int(signal)])

    async def cancel(self, job_id: int) -> None:
        """CancelJob(): a queued job never runs; a running one is stopped with grace."""
        await self.call_manager("CancelJob", "t", [job_id])

    async def pause(self, job_id: int) -> None:
        """Job.Pause(): freezes the job's processes."""
        await self._call(BUS_NAME, f"{MANAGER_PATH}/job/{job_id}", JOB_IFACE, "Pause")

    async def resume(self, job_id: int) -> None:
        """Job.Resume(): thaws a paused job."""
        await self._call(BUS_NAME, f"{MANAGER_PATH}/job/{job_id}", JOB_IFACE, "Resume")

    async def subscribe(self) -> None:
        """Manager.Subscribe(): the daemon sends every job's PropertiesChanged (coalesced per turn of its
        loop) while this connection is subscribed; without it, job changes come as JobChanged only (which
        is all wait() needs). Ends with unsubscribe() or close()."""
        await self.call_manager("Subscribe")

    async def unsubscribe(self) -> None:
        """Manager.Unsubscribe(): ends what subscribe() started."""
        await self.call_manager("Unsubscribe")

    async def job_properties(self, job_id: int) -> dict[str, Any]:
        """Every property of a job (``jobctl show``)."""
        return await self.get_properties(f"{MANAGER_PATH}/job/{job_id}", JOB_IFACE)

    async def open_log(self, job_id: int) -> int:
        """Job.OpenLog(): a read-only file descriptor of the job's log; the caller closes it."""
        (fd,) = await self._call(BUS_NAME, f"{MANAGER_PATH}/job/{job_id}", JOB_IFACE, "OpenLog")
        return fd

    async def read_log(self, job_id: int) -> bytes:
        """The job's log as it is now."""
        fd = await self.open_log(job_id)
        with os.fdopen(fd, "rb") as f:
            return f.read()

    async def follow_log(self, job_id: int, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Yields the job's log: what it holds, then what is appended, until the job is done
        (``jobctl log --follow``). Driven by inotify and the job's end signal, not by polling."""
        done = self._job_future(job_id)
        fd = await self.open_log(job_id)
        ino = _Inotify(fd)
        try:
            await self._check_done_now(job_id)
            while True:
                data = os.read(fd, chunk_size)
                if data:
                    yield data
                    continue
                if done.done():
                    break
                modified = asyncio.ensure_future(ino.wait())
                await asyncio.wait({modified, done}, return_when=asyncio.FIRST_COMPLETED)
                modified.cancel()
            # The job is done: what it wrote last is in the file now.
            while data := os.read(fd, chunk_size):
                yield data
        finally:
            ino.close()
            os.close(fd)
            if not done.done():
                done.cancel()

    def _job_future(self, job_id: int) -> asyncio.Future[str]:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._job_waiters.setdefault(job_id, []).append(fut)
        return fut

    async def _check_done_now(self, job_id: int) -> None:
        path = f"{MANAGER_PATH}/job/{job_id}"
        try:
            state = await self.get_property(path, JOB_IFACE, "State")
            if state == "done":
                self._settle_job(job_id, await self.get_property(path, JOB_IFACE, "Result"))
        except NoSuchJob:
            self._settle_job(job_id, "lost")
            raise

    async def get_job_properties(self, job_id: int, *names: str) -> dict[str, Any]:
        """Some properties of a job, read with one Get() each, all sent at once: cheaper than GetAll()
        when a job carries a large Environment."""
        path = f"{MANAGER_PATH}/job/{job_id}"
        values = await asyncio.gather(*(self.get_property(path, JOB_IFACE, n) for n in names))
        return dict(zip(names, values))

    async def wait(self, job_id: int, *, details: bool = True) -> JobResult:
        """Waits until the job is done (by its JobChanged signal) and says how it ended."""
        if job_id in self._recent_done:
            result = self._recent_done[job_id]
        else:
            fut = self._job_future(job_id)
            if job_id not in self._fresh:
                try:
                    await self._check_done_now(job_id)
                except BaseException:
                    fut.cancel()
                    raise
            result = await fut
        self._fresh.discard(job_id)
        if not details:
            return JobResult(job_id, result)
        try:
            p = await self.get_job_properties(job_id, "ExitCode", "ExitSignal", "Reason")
        except NoSuchJob:
            return JobResult(job_id, result)
        return JobResult(job_id, result, p.get("ExitCode", -1), p.get("ExitSignal", 0), p.get("Reason", ""))

    async def wait_all(self, job_ids: Iterable[int], *, details: bool = True) -> list[JobResult]:
        """Waits for several jobs; results in the order of ``job_ids``."""
        return list(await asyncio.gather(*(self.wait(i, details=details) for i in job_ids)))

    # --- plans and runs ------------------------------------------------------------------------

    async def submit_plan(self, jobs: Sequence[Spec], *, name: str | None = None,
                          max_parallel: int | None = None, defaults: Spec | None = None,
                          timeout: float | None = None, output_root: str | None = None) -> Run:
        """SubmitPlan(): the jobs as one run, all or nothing. A job's ``after`` may name jobs of the
        plan. ``defaults`` (a Spec whose argv is ignored) gives every job the keys it does not give.
        ``timeout`` (seconds) is the run's RunTimeoutUSec, ``output_root`` its OutputRoot."""
        specs = [s.to_dbus(None) for s in jobs]
        opts: dict[str, Variant] = {}
        if defaults is not None:
            opts = defaults.to_dbus(None)
            opts.pop("Argv", None)
            opts.pop("After", None)
        if name is not None:
            opts["Name"] = Variant("s", name)
        if max_parallel is not None:
            opts["MaxParallel"] = Variant("u", int(max_parallel))
        if timeout is not None:
            opts["RunTimeoutUSec"] = Variant("t", _usec(timeout))
        if output_root is not None:
            opts["OutputRoot"] = Variant("s", os.fspath(output_root))
        run_id, run_path, job_paths = await self.call_manager("SubmitPlan", "aa{sv}a{sv}", [specs, opts])
        job_objs = [Job(self, int(p.rsplit("/", 1)[1]), p) for p in job_paths]
        return Run(self, run_id, run_path, job_objs)

    async def list_runs(self) -> list[RunInfo]:
        """ListRuns()."""
        (rows,) = await self.call_manager("ListRuns")
        return [RunInfo(*r) for r in rows]

    async def get_run(self, run_id: int) -> Run:
        """The run of an id (``NoSuchRun`` if there is none)."""
        (path,) = await self.call_manager("GetRun", "t", [run_id])
        return Run(self, run_id, path, None)

    async def run_properties(self, run_id: int) -> dict[str, Any]:
        """Every property of a run."""
        return await self.get_properties(f"{MANAGER_PATH}/run/{run_id}", RUN_IFACE)

    async def wait_run(self, run_id: int) -> RunResult:
        """Waits until every job of the run is done (its Finished signal)."""
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._run_waiters.setdefault(run_id, []).append(fut)
        try:
            props = await self.run_properties(run_id)
        except BaseException:
            fut.cancel()
            raise
        if props["State"] == "done" and not fut.done():
            fut.set_result(props["Result"])
        result = await fut
        counts = (await self.run_properties(run_id))["ResultCounts"]
        return RunResult(run_id, result, dict(counts))

    # --- global settings -----------------------------------------------------------------------

    async def manager_properties(self) -> dict[str, Any]:
        """Version, Backend, MaxParallel, JobsRunning, JobsQueued, JobsWaiting, Draining."""
        return await self.get_properties(MANAGER_PATH, MANAGER_IFACE)

    async def set_max_parallel(self, n: int) -> None:
        """SetMaxParallel()."""
        await self.call_manager("SetMaxParallel", "u", [n])

    async def set_group_limit(self, group: str, limit: int) -> None:
        """SetGroupLimit(): 0 for none."""
        await self.call_manager("SetGroupLimit", "su", [group, limit])

    async def pause_group(self, group: str) -> None:
        """PauseGroup()."""
        await self.call_manager("PauseGroup", "s", [group])

    async def resume_group(self, group: str) -> None:
        """ResumeGroup()."""
        await self.call_manager("ResumeGroup", "s", [group])

    async def list_groups(self) -> list[tuple[str, int, int, int, bool]]:
        """ListGroups(): name, limit, running, queued, paused."""
        (rows,) = await self.call_manager("ListGroups")
        return [tuple(r) for r in rows]

    async def set_pool(self, pool: str, capacity: int) -> None:
        """SetPool(): a counted pool."""
        await self.call_manager("SetPool", "su", [pool, capacity])

    async def set_slot_pool(self, pool: str, slots: Sequence[str], quarantine_after: int = 0) -> None:
        """SetSlotPool(): a pool of named units."""
        await self.call_manager("SetSlotPool", "sasu", [pool, list(slots), quarantine_after])

    async def release_slot(self, pool: str, slot: str) -> bool:
        """ReleaseSlot(): false if it was not quarantined."""
        (released,) = await self.call_manager("ReleaseSlot", "ss", [pool, slot])
        return released

    async def list_pools(self) -> list[Any]:
        """ListPools(): (name, is slot pool, capacity, in use, [(slot, job, failures, quarantined)])."""
        (rows,) = await self.call_manager("ListPools")
        return rows

    async def drain(self) -> None:
        """Drain(): no new job starts."""
        await self.call_manager("Drain")

    async def resume_all(self) -> None:
        """Resume(): ends a drain."""
        await self.call_manager("Resume")


class Job:
    """A job of the daemon: its id and object path, and the calls that act on it."""

    def __init__(self, client: Client, job_id: int, path: str) -> None:
        self.client = client
        self.id = job_id
        self.path = path

    def __repr__(self) -> str:
        return f"<jobd.Job {self.id}>"

    async def kill(self, signal: int = 15) -> None:
        """Job.Kill()."""
        await self.client._call(BUS_NAME, self.path, JOB_IFACE, "Kill", "i", [int(signal)])

    async def cancel(self) -> None:
        """Job.Cancel()."""
        await self.client._call(BUS_NAME, self.path, JOB_IFACE, "Cancel")

    async def pause(self) -> None:
        """Job.Pause()."""
        await self.client._call(BUS_NAME, self.path, JOB_IFACE, "Pause")

    async def resume(self) -> None:
        """Job.Resume()."""
        await self.client._call(BUS_NAME, self.path, JOB_IFACE, "Resume")

    async def properties(self) -> dict[str, Any]:
        """Every property (``jobctl show``)."""
        return await self.client.get_properties(self.path, JOB_IFACE)

    async def wait(self, *, details: bool = True) -> JobResult:
        """Waits until the job is done."""
        return await self.client.wait(self.id, details=details)

    async def open_log(self) -> int:
        """Job.OpenLog(): a read-only fd of the log."""
        (fd,) = await self.client._call(BUS_NAME, self.path, JOB_IFACE, "OpenLog")
        return fd

    async def read_log(self) -> bytes:
        """The log as it is now."""
        return await self.client.read_log(self.id)

    def follow_log(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """The log until the job is done (see :meth:`Client.follow_log`)."""
        return self.client.follow_log(self.id, chunk_size)


class Run:
    """A run (a submitted plan): its id, path, and its jobs when known from SubmitPlan()."""

    def __init__(self, client: Client, run_id: int, path: str, jobs: list[Job] | None) -> None:
        self.client = client
        self.id = run_id
        self.path = path
        self.jobs = jobs

    def __repr__(self) -> str:
        return f"<jobd.Run {self.id}>"

    async def cancel(self) -> None:
        """Run.Cancel(): every job not done."""
        await self.client._call(BUS_NAME, self.path, RUN_IFACE, "Cancel")

    async def pause(self) -> None:
        """Run.Pause()."""
        await self.client._call(BUS_NAME, self.path, RUN_IFACE, "Pause")

    async def resume(self) -> None:
        """Run.Resume()."""
        await self.client._call(BUS_NAME, self.path, RUN_IFACE, "Resume")

    async def retry(self, which: str = "failed") -> int:
        """Run.Retry(): ``failed`` or ``all``; returns how many jobs were queued again."""
        (n,) = await self.client._call(BUS_NAME, self.path, RUN_IFACE, "Retry", "s", [which])
        return n

    async def list_jobs(self) -> list[JobInfo]:
        """Run.ListJobs()."""
        (rows,) = await self.client._call(BUS_NAME, self.path, RUN_IFACE, "ListJobs")
        return [JobInfo(*r) for r in rows]

    async def properties(self) -> dict[str, Any]:
        """Every property of the run."""
        return await self.client.get_properties(self.path, RUN_IFACE)

    async def wait(self) -> RunResult:
        """Waits for the run's Finished signal."""
        return await self.client.wait_run(self.id)


async def connect(bus: str | None = None) -> Client:
    """Connects to jobd: see :meth:`Client.connect`."""
    return await Client.connect(bus)

