#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""openlog.py ADDRESS ID: calls org.jobd1.Job.OpenLog on /org/jobd1/job/ID and copies what the returned fd
reads to stdout. Also checks that the fd is read-only (a write must fail)."""

import os
import sys

import dbus


def main():
    address, job_id = sys.argv[1], int(sys.argv[2])
    bus = dbus.bus.BusConnection(address)
    obj = bus.get_object('org.jobd1', '/org/jobd1/job/%d' % job_id)
    fd = obj.OpenLog(dbus_interface='org.jobd1.Job')
    fd = fd.take()
    try:
        os.write(fd, b'x')
        print('openlog.py: the fd returned by OpenLog is writable', file=sys.stderr)
        return 1
    except OSError:
        pass
    out = sys.stdout.buffer
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        out.write(b)
    out.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
