#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""objects-view.py ADDRESS submit COUNT: submits COUNT jobs "true" at once, prints their first id when
all are done.

objects-view.py ADDRESS view QUEUED FIRST COUNT: an ObjectManager client that applies what it gets in the
order it arrives, as one with an asynchronous GetManagedObjects() does, while its objects change.

It subscribes (so that per-job PropertiesChanged goes out) and then writes, without waiting for a reply,
GetManagedObjects() and RemoveJob() of the done jobs FIRST to FIRST+COUNT-1, with SetPriority(7) of the
queued job QUEUED among them. jobd reads them in that order, between the slices of the GetManagedObjects() reply, so most
of them change a job that is in the reply already. The view starts empty: InterfacesAdded/InterfacesRemoved
and PropertiesChanged apply as they come (an interface that InterfacesAdded brings again is kept as it
is, as GDBusObjectManagerClient does), and the reply's objects when it comes.

Then it reads the objects afresh (nothing changes any more), waits until its view is the same (30 s at
most: the signals that waited for the reply come after it) and prints
  removed-early N   jobs removed by a RemoveJob() that returned before the reply, and in the reply
  changed-early 0|1 the same for the SetPriority()
  stale N           objects whose view differs from the daemon's, then a line "stale-object ..." each."""

import asyncio
import sys

from dbus_next import MessageType, Variant

from busnext import call, check, connect

JOB, RUN = 'org.jobd1.Job', 'org.jobd1.Run'
COMPARED = {JOB: ('State', 'Result', 'Priority', 'Held'), RUN: ('State', 'ResultCounts')}
SIGNALS = ("type='signal',sender='org.jobd1',path_namespace='/org/jobd1',"
           "interface='org.freedesktop.DBus.ObjectManager'",
           "type='signal',sender='org.jobd1',path_namespace='/org/jobd1',"
           "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'")


def values(ifaces):
    """The compared properties of an object's interfaces (a{sa{sv}}), plain."""
    out = {}
    for iface, names in COMPARED.items():
        if iface in ifaces:
            props = ifaces[iface]
            out[iface] = {n: props[n].value for n in names if n in props}
    return out


def apply(arrived, sent, reply):
    """The view of a client that applies the messages in arrived in order, with the reply to sent[0]
    among them; also how many jobs a RemoveJob() (sent[1:-1]) removed before that reply though it had them,
    and whether the SetPriority() (sent[-1]) returned before it."""
    objects_serial, prio_serial = sent[0].serial, sent[-1].serial
    removed_by = {m.serial: '/org/jobd1/job/%d' % m.body[0] for m in sent[1:-1]}
    view, removed_before_reply, removed_early, prio_before_reply = {}, set(), 0, False
    for msg in arrived:
        if msg.message_type != MessageType.SIGNAL:
            if msg.reply_serial in removed_by:
                removed_before_reply.add(removed_by[msg.reply_serial])
            elif msg.reply_serial == prio_serial:
                prio_before_reply = True
            elif msg.reply_serial == objects_serial:
                removed_early = len(removed_before_reply & set(reply))
                for path, ifaces in reply.items():
                    view[path] = values(ifaces)
        else:
            if msg.member == 'InterfacesAdded':
                # As GDBusObjectManagerClient: an interface the object has already is left as it is.
                obj = view.setdefault(msg.body[0], {})
                for iface, props in values(msg.body[1]).items():
                    obj.setdefault(iface, props)
            elif msg.member == 'InterfacesRemoved':
                view.pop(msg.body[0], None)
            elif msg.member == 'PropertiesChanged' and msg.path in view and msg.body[0] in COMPARED:
                obj = view[msg.path].setdefault(msg.body[0], {})
                for name, v in msg.body[1].items():
                    if name in COMPARED[msg.body[0]]:
                        obj[name] = v.value
    return {path: v for path, v in view.items() if v}, removed_early, prio_before_reply


async def main(address, queued, first, count):
    bus = await connect(address)
    arrived = []        # the signals and replies, in the order they arrived (seen before dbus-next's own)

    def on_message(msg):
        if (msg.message_type == MessageType.SIGNAL and msg.sender != 'org.freedesktop.DBus') or \
           msg.message_type in (MessageType.METHOD_RETURN, MessageType.ERROR):
            arrived.append(msg)
        return None

    bus.add_message_handler(on_message)
    for rule in SIGNALS:
        check(await call(bus, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', (rule,),
                         destination='org.freedesktop.DBus'), 'AddMatch()')
    check(await call(bus, '/org/jobd1', 'org.jobd1.Manager', 'Subscribe'), 'Subscribe()')

    # All written before the first reply is read: each task writes its message when it starts, in order.
    sent = []
    objects = asyncio.ensure_future(call(bus, '/org/jobd1', 'org.freedesktop.DBus.ObjectManager',
                                         'GetManagedObjects', sent=sent))
    removes, prio, prio_msg = [], None, []
    for i in range(first, first + count):
        removes.append(asyncio.ensure_future(call(bus, '/org/jobd1', 'org.jobd1.Manager', 'RemoveJob', 't',
                                                  (i,), sent=sent)))
        if i == first + count // 4:     # once the reply has the queued job, as a rule
            prio = asyncio.ensure_future(call(bus, '/org/jobd1/job/%d' % queued, JOB, 'SetPriority', 'i',
                                              (7,), sent=prio_msg))
    sent += prio_msg
    reply = check(await objects, 'GetManagedObjects()')[0]
    check(await prio, 'SetPriority(7) of job %d' % queued)
    for i, f in zip(range(first, first + count), removes):
        check(await f, 'RemoveJob(%d)' % i)

    # Nothing changes any more: what the daemon has now is what the view must come to once the signals
    # that waited for the reply are in. Waited for up to 30 s, looking at each message as it comes.
    truth_bus = await connect(address)
    truth = check(await call(truth_bus, '/org/jobd1', 'org.freedesktop.DBus.ObjectManager',
                             'GetManagedObjects'), 'the last GetManagedObjects()')[0]
    truth = {path: values(ifaces) for path, ifaces in truth.items() if values(ifaces)}
    loop = asyncio.get_running_loop()
    deadline, seen = loop.time() + 30, -1
    while True:
        if len(arrived) != seen:
            seen = len(arrived)
            view, removed_early, prio_before_reply = apply(arrived[:seen], sent, reply)
            if view == truth:
                break
        if loop.time() >= deadline:
            break
        await asyncio.sleep(0.05)
    stale = sorted(set(view) ^ set(truth)) + sorted(p for p in set(view) & set(truth) if view[p] != truth[p])
    queued_path = '/org/jobd1/job/%d' % queued
    print('removed-early %d' % removed_early)
    # SetPriority() returned before the reply, which has the job with its old priority: the change came
    # while the reply was built, after the job's entry went in.
    print('changed-early %d' % (prio_before_reply and
                                values(reply.get(queued_path, {})).get(JOB, {}).get('Priority') == 0))
    print('stale %d' % len(stale))
    for p in stale[:20]:
        print('stale-object %s view %s daemon %s' % (p, view.get(p), truth.get(p)))


async def submit(address, count):
    bus = await connect(address)
    spec = {'Argv': Variant('as', ['true'])}
    calls = [asyncio.ensure_future(call(bus, '/org/jobd1', 'org.jobd1.Manager', 'Submit', 'a{sv}', (spec,)))
             for _ in range(count)]
    ids = [check(await c, 'Submit()')[0] for c in calls]
    for i in ids:
        path = '/org/jobd1/job/%d' % i
        while check(await call(bus, path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', (JOB, 'State')),
                    'Get(State) of job %d' % i)[0].value != 'done':
            await asyncio.sleep(0.1)
    print(min(ids))


if sys.argv[2] == 'submit':
    asyncio.run(submit(sys.argv[1], int(sys.argv[3])))
else:
    asyncio.run(main(sys.argv[1], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
