# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exceptions of the jobd client: one class per ``org.jobd1.Error.*`` name of org.jobd1(5)."""

from __future__ import annotations

__all__ = [
    "JobdError",
    "BusError",
    "InvalidSpec",
    "NoSuchJob",
    "AccessDenied",
    "DependencyCycle",
    "QuotaExceeded",
    "NotRunning",
    "NoSuchRun",
    "NoSuchSlot",
    "StateFull",
    "Busy",
    "DaemonGone",
    "error_from_dbus",
]


class JobdError(Exception):
    """Base class of every error of this package.

    ``name`` is the D-Bus error name (``org.jobd1.Error.NoSuchJob``, ``org.freedesktop.DBus.Error.*``)
    or empty for errors raised by the client itself; ``message`` is the daemon's text.
    """

    dbus_name: str = ""

    def __init__(self, message: str = "", name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.name = name if name is not None else self.dbus_name

    def __str__(self) -> str:
        if self.name and self.message:
            return f"{self.name}: {self.message}"
        return self.message or self.name


class BusError(JobdError):
    """A D-Bus error that is not one of jobd's own (``org.freedesktop.DBus.Error.*`` and others)."""


class InvalidSpec(JobdError):
    """The Submit spec or plan is not valid; the message names the key and says why."""

    dbus_name = "org.jobd1.Error.InvalidSpec"


class NoSuchJob(JobdError):
    """There is no job with this id or object path."""

    dbus_name = "org.jobd1.Error.NoSuchJob"


class AccessDenied(JobdError):
    """The caller is neither the job's owner nor root, or may not change a global setting."""

    dbus_name = "org.jobd1.Error.AccessDenied"


class DependencyCycle(JobdError):
    """The dependencies would form a cycle."""

    dbus_name = "org.jobd1.Error.DependencyCycle"


class QuotaExceeded(JobdError):
    """A per-user limit of jobs or runs, or the daemon's limit of client descriptors, is reached."""

    dbus_name = "org.jobd1.Error.QuotaExceeded"


class NotRunning(JobdError):
    """The job or run is not in a state the operation needs (e.g. Kill() of a job that is done)."""

    dbus_name = "org.jobd1.Error.NotRunning"


class NoSuchRun(JobdError):
    """There is no run with this id."""

    dbus_name = "org.jobd1.Error.NoSuchRun"


class NoSuchSlot(JobdError):
    """There is no such pool or slot (ReleaseSlot())."""

    dbus_name = "org.jobd1.Error.NoSuchSlot"


class StateFull(JobdError):
    """The daemon cannot write its state folder (a full disk): it accepts no jobs until it can."""

    dbus_name = "org.jobd1.Error.StateFull"


class Busy(JobdError):
    """The job cannot be removed now: it is not done, others depend on it, or it is a run's."""

    dbus_name = "org.jobd1.Error.Busy"


class DaemonGone(JobdError):
    """The connection to the bus was lost while waiting."""


_BY_NAME: dict[str, type[JobdError]] = {
    c.dbus_name: c
    for c in (InvalidSpec, NoSuchJob, AccessDenied, DependencyCycle, QuotaExceeded, NotRunning,
              NoSuchRun, NoSuchSlot, StateFull, Busy)
}


def error_from_dbus(name: str, message: str) -> JobdError:
    """The exception for a D-Bus error reply: a jobd class by name, else :class:`BusError`."""
    cls = _BY_NAME.get(name, BusError)
    return cls(message, name)
