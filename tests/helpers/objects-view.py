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

Once no signal came for two seconds, it reads the objects afresh (nothing changes any more) and prints
  removed-early N   jobs removed by a RemoveJob() that returned before the reply, and in the reply
  changed-early 0|1 the same for the SetPriority()
  stale N           objects whose view differs from the daemon's, then a line "stale-object ..." each."""

import asyncio
import importlib.metadata
import sys

import dbus_next.aio.message_bus
from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus

JOB, RUN = 'org.jobd1.Job', 'org.jobd1.Run'
COMPARED = {JOB: ('State', 'Result', 'Priority', 'Held'), RUN: ('State', 'ResultCounts')}
SIGNALS = ("type='signal',sender='org.jobd1',path_namespace='/org/jobd1',"
           "interface='org.freedesktop.DBus.ObjectManager'",
           "type='signal',sender='org.jobd1',path_namespace='/org/jobd1',"
           "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'")


def write_callback(self):
    """dbus-next's _MessageWriter.write_callback(), but one that waits for the socket to take more where
    that gives up on EAGAIN (and drops the connection): the socket fills with a few hundred calls written
    at once. Without file descriptors, which these calls do not pass."""
    try:
        while True:
            if self.buf is None:
                if self.messages.qsize() == 0:
                    self.loop.remove_writer(self.fd)
                    return
                buf, _, self.fut = self.messages.get_nowait()
                self.buf, self.offset = memoryview(buf), 0
            try:
                self.offset += self.sock.send(self.buf[self.offset:])
            except BlockingIOError:
                return          # called again when the socket is writable
            if self.offset < len(self.buf):
                return
            self.buf = None
            dbus_next.aio.message_bus._future_set_result(self.fut, None)
    except Exception as e:
        dbus_next.aio.message_bus._future_set_exception(self.fut, e)
        self.bus._finalize(e)


# Written against the writer of Debian 12's dbus-next; another one is left as it is.
if importlib.metadata.version('dbus-next') == '0.2.3':
    dbus_next.aio.message_bus._MessageWriter.write_callback = write_callback


def call(bus, path, interface, member, signature='', body=(), destination='org.jobd1', sent=None):
    msg = Message(destination=destination, path=path, interface=interface, member=member,
                  signature=signature, body=list(body))
    if sent is not None:
        sent.append(msg)        # its serial is set when it is written
    return bus.call(msg)


def check(reply, what):
    if reply.message_type == MessageType.ERROR:
        sys.exit('%s failed: %s: %s' % (what, reply.error_name, reply.body[0] if reply.body else ''))
    return reply.body


def values(ifaces):
    """The compared properties of an object's interfaces (a{sa{sv}}), plain."""
    out = {}
    for iface, names in COMPARED.items():
        if iface in ifaces:
            props = ifaces[iface]
            out[iface] = {n: props[n].value for n in names if n in props}
    return out


async def main(address, queued, first, count):
    bus = await MessageBus(bus_address=address).connect()
    arrived = []        # the signals and replies, in the order they arrived (seen before dbus-next's own)
    last_signal = [asyncio.get_running_loop().time()]

    def on_message(msg):
        if msg.message_type == MessageType.SIGNAL and msg.sender != 'org.freedesktop.DBus':
            arrived.append(msg)
            last_signal[0] = asyncio.get_running_loop().time()
        elif msg.message_type in (MessageType.METHOD_RETURN, MessageType.ERROR):
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

    loop = asyncio.get_running_loop()
    while loop.time() < last_signal[0] + 2.0:
        await asyncio.sleep(0.2)

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

    truth_bus = await MessageBus(bus_address=address).connect()
    truth = check(await call(truth_bus, '/org/jobd1', 'org.freedesktop.DBus.ObjectManager',
                             'GetManagedObjects'), 'the last GetManagedObjects()')[0]
    truth = {path: values(ifaces) for path, ifaces in truth.items() if values(ifaces)}
    view = {path: v for path, v in view.items() if v}
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
    bus = await MessageBus(bus_address=address).connect()
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
