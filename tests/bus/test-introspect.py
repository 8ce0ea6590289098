#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""test-introspect.py CONTRACT_XML: diffs the live daemon's introspection of org.jobd1.Manager (at
/org/jobd1), org.jobd1.Job (at $JOBD_TEST_JOB_PATH) and org.jobd1.Run (of a plan it submits) against the
contract, both ways: every method, signal and property of the contract must be there with the same
signature, direction and access, and the daemon must not offer anything the contract does not have.
Properties are also compared on their EmitsChangedSignal annotation (true when absent), since clients rely
on PropertiesChanged. Argument names differing is reported as a warning only (not part of the wire
contract).

Run through tests/helpers/with-jobd.sh (private bus, live jobd, one running job)."""

import json
import os
import select
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

INTERFACES = {
    'org.jobd1.Manager': '/org/jobd1',
    'org.jobd1.Job': None,  # the job path from the environment
    'org.jobd1.Run': 'run',  # a run submitted by main() for the purpose
}


def members(iface):
    """Set of (interface, kind, name, signature, direction/access) and a dict of argument names."""
    name = iface.get('name')
    out = set()
    argnames = {}
    for m in iface:
        kind = m.tag
        if kind not in ('method', 'signal', 'property'):
            continue
        mname = m.get('name')
        if kind == 'property':
            out.add((name, kind, mname, m.get('type'), m.get('access')))
            emits = 'true'
            for a in m.findall('annotation'):
                if a.get('name') == 'org.freedesktop.DBus.Property.EmitsChangedSignal':
                    emits = a.get('value')
            out.add((name, 'property-emits-changed', mname, emits, ''))
            continue
        ins = ''.join(a.get('type') for a in m.findall('arg')
                      if kind == 'method' and a.get('direction', 'in') == 'in')
        outs = ''.join(a.get('type') for a in m.findall('arg')
                       if kind == 'signal' or a.get('direction', 'in') == 'out')
        out.add((name, kind, mname, ins, 'in') if kind == 'method' else (name, kind, mname, outs, 'out'))
        if kind == 'method':
            out.add((name, kind, mname, outs, 'out'))
        argnames[(name, kind, mname)] = [a.get('name') for a in m.findall('arg')]
    return out, argnames


def load(xml_text, want):
    root = ET.fromstring(xml_text)
    for iface in root.iter('interface'):
        if iface.get('name') == want:
            return members(iface)
    return None


def introspect(address, path):
    return subprocess.run(['busctl', '--address=' + address, 'introspect', '--xml-interface',
                           'org.jobd1', path],
                          check=True, capture_output=True, text=True).stdout


def fmt(t):
    iface, kind, name, sig, extra = t
    return '%s %s %s %r %s' % (iface, kind, name, sig, extra)


def contract_signals(contract_xml):
    """{(interface, member): signature} of the contract's signals."""
    out = {}
    for iface in ET.fromstring(contract_xml).iter('interface'):
        for sig in iface.findall('signal'):
            out[(iface.get('name'), sig.get('name'))] = ''.join(a.get('type') for a in sig.findall('arg'))
    return out


class LineReader:
    """Lines from a pipe, waiting with select() on the fd itself: a buffered readline() would keep lines
    that arrived together in its buffer, where select() cannot see them (a wait until the deadline)."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b''

    def next(self, deadline):
        while b'\n' not in self.buf:
            r, _, _ = select.select([self.fd], [], [], max(0, deadline - time.monotonic()))
            if not r:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode(errors='replace')


def check_emitted_signals(address, contract_xml):
    """Introspection shows what the vtable declares; this checks what the daemon really emits. Watches the
    signals of org.jobd1 (busctl monitor --json) while a job runs from submit to done, and compares the
    signature of every signal of the contract's interfaces with the contract. JobNew and JobChanged must be
    seen, as must PropertiesChanged of the job's State (sent only while a client is subscribed: this one
    subscribes). Returns the number of failures."""
    want = contract_signals(contract_xml)
    # Subscribe() holds for as long as the subscriber's connection stays (tests/helpers/subscribe.py,
    # on a python3 that has the dbus module).
    helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'helpers', 'subscribe.py')
    py = next((p for p in [sys.executable, '/usr/bin/python3']
               if subprocess.run([p, '-c', 'import dbus.bus'], capture_output=True).returncode == 0), None)
    if py is None:
        print('FAIL: no python3 with the dbus module to subscribe with')
        return 1
    subscriber = subprocess.Popen([py, helper, address], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
    if subscriber.stdout.readline().strip() != 'subscribed':
        print('FAIL: Manager.Subscribe() failed')
        return 1
    mon = subprocess.Popen(['busctl', '--address=' + address, 'monitor', '--json=short',
                            "--match=type='signal',sender='org.jobd1'"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = 0
    # busctl says "Monitoring bus message stream." on stderr once it is a monitor: wait for that.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r, _, _ = select.select([mon.stderr], [], [], max(0, deadline - time.monotonic()))
        if not r:
            break
        line = mon.stderr.readline()
        if not line or 'Monitoring' in line:
            break
    seen = {}
    state_props = False
    lines = LineReader(mon.stdout.fileno())
    try:
        # Should a signal still slip past, submit again (bounded) until a job is seen from JobNew on.
        for attempt in range(5):
            out = subprocess.run(['busctl', '--address=' + address, 'call', '--', 'org.jobd1', '/org/jobd1',
                                  'org.jobd1.Manager', 'Submit', 'a{sv}', '2', 'Argv', 'as', '1', 'true',
                                  'Name', 's', 'signal-check'],
                                 check=True, capture_output=True, text=True).stdout.split()
            job_id, job_path = int(out[1]), json.loads(out[2])
            deadline = time.monotonic() + 10
            got_new = got_done = False
            while time.monotonic() < deadline and not got_done:
                line = lines.next(deadline)
                if line is None:
                    break
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                key = (msg.get('interface'), msg.get('member'))
                sig = msg.get('payload', {}).get('type', '')
                data = msg.get('payload', {}).get('data', [])
                if key in want:
                    seen.setdefault(key, set()).add(sig)
                if key == ('org.freedesktop.DBus.Properties', 'PropertiesChanged') and \
                        msg.get('path') == job_path and sig == 'sa{sv}as' and 'State' in data[1]:
                    state_props = True
                if key == ('org.jobd1.Manager', 'JobNew') and data and data[0] == job_id:
                    got_new = True
                if key == ('org.jobd1.Manager', 'JobChanged') and data and data[0] == job_id and \
                        len(data) > 2 and data[2] == 'done':
                    got_done = True
                # A JobChanged of another signature still ends the wait for this job.
                if key == ('org.jobd1.Manager', 'JobChanged') and sig != want[key] and got_new:
                    got_done = True
            if got_new:
                break
    finally:
        mon.terminate()
        mon.wait()
        subscriber.stdin.close()
        subscriber.wait()

    for key, sigs in sorted(seen.items()):
        for sig in sorted(sigs):
            if sig != want[key]:
                print('FAIL: the daemon emits %s.%s with signature %r, the contract says %r'
                      % (key[0], key[1], sig, want[key]))
                failures += 1
    for key in [('org.jobd1.Manager', 'JobNew'), ('org.jobd1.Manager', 'JobChanged')]:
        if key not in seen:
            print('FAIL: no %s.%s signal seen while a job ran from submit to done' % key)
            failures += 1
    if not state_props:
        print('FAIL: no PropertiesChanged (sa{sv}as) with State on the job object while it ran')
        failures += 1
    print('emitted signals checked: %s' % ', '.join('%s.%s %s' % (k[0], k[1], sorted(v))
                                                     for k, v in sorted(seen.items())))
    return failures


def main():
    contract_path = sys.argv[1]
    address = os.environ.get('JOBD_BUS_ADDRESS')
    job_path = os.environ.get('JOBD_TEST_JOB_PATH')
    if not address or not job_path:
        print('SKIP: needs JOBD_BUS_ADDRESS and JOBD_TEST_JOB_PATH (run through with-jobd.sh)')
        return 77
    contract_xml = open(contract_path, encoding='utf-8').read()
    failures = 0

    # A one-job plan, so that there is a run to introspect.
    out = subprocess.run(['busctl', '--address=' + address, 'call', '--', 'org.jobd1', '/org/jobd1',
                          'org.jobd1.Manager', 'SubmitPlan', 'aa{sv}a{sv}', '1',
                          '2', 'Argv', 'as', '1', 'true', 'Name', 's', 'introspected-plan', '0'],
                         check=True, capture_output=True, text=True).stdout.split()
    run_path = json.loads(out[2])

    for iface, path in INTERFACES.items():
        path = run_path if path == 'run' else path or job_path
        live_xml = introspect(address, path)
        want = load(contract_xml, iface)
        have = load(live_xml, iface)
        if want is None:
            print('FAIL: %s is not in the contract %s' % (iface, contract_path))
            failures += 1
            continue
        if have is None:
            print('FAIL: the daemon does not offer %s at %s' % (iface, path))
            failures += 1
            continue
        (want_set, want_names), (have_set, have_names) = want, have
        for t in sorted(want_set - have_set):
            print('FAIL: in the contract, not in the daemon at %s: %s' % (path, fmt(t)))
            failures += 1
        for t in sorted(have_set - want_set):
            print('FAIL: in the daemon at %s, not in the contract: %s' % (path, fmt(t)))
            failures += 1
        for k in sorted(set(want_names) & set(have_names)):
            if want_names[k] != have_names[k]:
                print('WARNING: argument names of %s %s %s: contract %s, daemon %s'
                      % (k + (want_names[k], have_names[k])))
        print('%s at %s: %d contract items, %d live items compared'
              % (iface, path, len(want_set), len(have_set)))

    # The contract also puts the standard ObjectManager at /org/jobd1, and the job nodes must be enumerable.
    root = ET.fromstring(introspect(address, '/org/jobd1'))
    if 'org.freedesktop.DBus.ObjectManager' not in {i.get('name') for i in root.iter('interface')}:
        print('FAIL: no org.freedesktop.DBus.ObjectManager at /org/jobd1')
        failures += 1
    parent, leaf = job_path.rsplit('/', 1)
    nodes = {n.get('name') for n in ET.fromstring(introspect(address, parent)).findall('node')}
    if leaf not in nodes:
        print('FAIL: introspection of %s does not list the job node %s (has %s)' % (parent, leaf, sorted(nodes)))
        failures += 1

    failures += check_emitted_signals(address, contract_xml)

    if failures:
        print('%d difference(s) between the live daemon and %s' % (failures, contract_path))
        return 1
    print('live introspection matches %s' % contract_path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
