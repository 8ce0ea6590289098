#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bus-submit.py ADDRESS SPEC_JSON: calls org.jobd1.Manager.Submit with a spec built from
{"Key": ["type", value], ...} (types: s as i t u b ai) and prints "OK <id> <path>" or
"ERROR <error name> <message>" (exit 0 either way; 2 on a harness error).
Values may use {"repeat": STRING, "times": N} for a large string, and ["as", {"repeat": S, "times": N,
"count": M}] for M copies of it: enough to build multi-MiB specs that busctl cannot pass on a command
line."""

import json
import sys

import dbus

TYPES = {
    's': dbus.String,
    'i': dbus.Int32,
    't': dbus.UInt64,
    'u': dbus.UInt32,
    'b': dbus.Boolean,
    'x': dbus.Int64,
}


def expand(v):
    if isinstance(v, dict) and 'repeat' in v:
        return v['repeat'] * v['times']
    return v


def build(typ, value):
    if typ in TYPES:
        return TYPES[typ](expand(value))
    if typ == 'as':
        if isinstance(value, dict):
            return dbus.Array([expand(value)] * value.get('count', 1), signature='s')
        return dbus.Array([expand(x) for x in value], signature='s')
    if typ == 'ai':
        return dbus.Array([dbus.Int32(x) for x in value], signature='i')
    raise ValueError('unknown type ' + typ)


def main():
    address, spec_json = sys.argv[1], sys.argv[2]
    spec = dbus.Dictionary({k: build(t, v) for k, (t, v) in json.loads(spec_json).items()}, signature='sv')
    bus = dbus.bus.BusConnection(address)
    mgr = dbus.Interface(bus.get_object('org.jobd1', '/org/jobd1'), 'org.jobd1.Manager')
    try:
        job_id, path = mgr.Submit(spec, timeout=20)
        print('OK %d %s' % (job_id, path))
    except dbus.exceptions.DBusException as e:
        print('ERROR %s %s' % (e.get_dbus_name(), e.get_dbus_message()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
