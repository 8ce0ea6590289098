# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the dbus-next helpers (plan-cancel-at-once.py, objects-view.py) share: a connection that takes
many calls written at once, and calls to org.jobd1 whose error replies end the helper."""

import os
import sys

from dbus_next import Message, MessageType
from dbus_next.aio import MessageBus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'python'))
from jobd.client import _tolerate_full_socket  # noqa: E402  (the project's client, from the source tree)


async def connect(address):
    """A connection whose writer waits for a full socket to drain (dbus-next 0.2.3 drops the
    connection there), as the project's Python client has it."""
    bus = await MessageBus(bus_address=address).connect()
    _tolerate_full_socket(bus)
    return bus


def call(bus, path, interface, member, signature='', body=(), destination='org.jobd1', sent=None):
    """bus.call() of a new message; with sent, the message is appended to it (its serial is set once it is
    written)."""
    msg = Message(destination=destination, path=path, interface=interface, member=member,
                  signature=signature, body=list(body))
    if sent is not None:
        sent.append(msg)
    return bus.call(msg)


def check(reply, what):
    """The reply's body; an error reply ends the helper, naming what failed."""
    if reply.message_type == MessageType.ERROR:
        sys.exit('%s failed: %s: %s' % (what, reply.error_name, reply.body[0] if reply.body else ''))
    return reply.body
