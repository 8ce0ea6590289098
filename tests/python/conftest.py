# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers of the Python tests. They run against the private jobd that run-pytest.sh started
($JOBD_BUS_ADDRESS). DVSim: the real package when ``import dvsim`` works, else the stand-in in standin/."""
import asyncio
import os
import sys

import pytest

try:
    import dvsim  # noqa: F401

    REAL_DVSIM = not getattr(dvsim, "STANDIN", False)
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "standin"))
    REAL_DVSIM = False

if not os.environ.get("JOBD_BUS_ADDRESS"):
    pytest.exit("JOBD_BUS_ADDRESS is not set: run through tests/python/run-pytest.sh (meson test)", 2)


def run(coro, timeout: float = 60):
    """Runs a coroutine to its end in a new event loop, bounded."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def pid_alive(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
