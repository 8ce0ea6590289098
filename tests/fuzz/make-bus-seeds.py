#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpus of fuzz-bus-spec: D-Bus method calls (little-endian wire format, as a client
sends them) whose body is a Submit() a{sv} or a SubmitPlan() aa{sv}a{sv}. Run once by hand; the output is
kept in tests/fuzz/fuzz-bus-spec/. A minimal marshaller of its own: the seeds must not depend on a client
library's choices."""
import os
import struct
import sys


class W:
    def __init__(self):
        self.b = bytearray()

    def pad(self, n):
        while len(self.b) % n:
            self.b.append(0)

    def put(self, sig, v):
        c = sig[0]
        if c == 'y':
            self.b.append(v)
        elif c == 'b':
            self.pad(4); self.b += struct.pack('<I', 1 if v else 0)
        elif c in 'iu':
            self.pad(4); self.b += struct.pack('<i' if c == 'i' else '<I', v)
        elif c in 'xt':
            self.pad(8); self.b += struct.pack('<q' if c == 'x' else '<Q', v)
        elif c == 'h':
            self.pad(4); self.b += struct.pack('<I', v)
        elif c in 'so':
            e = v.encode() if isinstance(v, str) else v
            self.pad(4); self.b += struct.pack('<I', len(e)) + e + b'\0'
        elif c == 'g':
            e = v.encode()
            self.b.append(len(e)); self.b += e + b'\0'
        elif c == 'v':
            vs, vv = v
            self.put('g', vs)
            self.put(vs, vv)
        elif c == 'a':
            elem = sig[1:]
            self.pad(4)
            at = len(self.b)
            self.b += b'\0\0\0\0'
            self.pad(8 if elem[0] in 'xt({' else ALIGN.get(elem[0], 1))
            start = len(self.b)
            items = v.items() if elem[0] == '{' else v
            for it in items:
                self.put(elem, it)
            struct.pack_into('<I', self.b, at, len(self.b) - start)
        elif c in '({':
            self.pad(8)
            for s, x in zip(split(sig[1:-1]), v):
                self.put(s, x)
        else:
            raise ValueError(sig)


ALIGN = {'y': 1, 'b': 4, 'i': 4, 'u': 4, 'h': 4, 's': 4, 'o': 4, 'g': 1, 'v': 1, 'a': 4, 'x': 8, 't': 8}


def split(sig):
    out, i = [], 0
    while i < len(sig):
        j = i
        while sig[j] == 'a':
            j += 1
        if sig[j] in '({':
            depth, k = 0, j
            while True:
                depth += sig[k] in '({'
                depth -= sig[k] in ')}'
                k += 1
                if depth == 0:
                    break
            j = k
        else:
            j += 1
        out.append(sig[i:j])
        i = j
    return out


def message(member, sig, args, serial=1):
    body = W()
    for s, a in zip(split(sig), args):
        body.put(s, a)
    fields = [(1, ('o', '/org/jobd1')), (2, ('s', 'org.jobd1.Manager')), (3, ('s', member)),
              (6, ('s', 'org.jobd1')), (8, ('g', sig))]
    h = W()
    h.b += b'l' + bytes([1, 0, 1])
    h.b += struct.pack('<II', len(body.b), serial)
    h.put('a(yv)', fields)
    h.pad(8)
    return bytes(h.b + body.b)


def spec(**kw):
    return kw


SEEDS = {
    'submit-minimal': ('Submit', 'a{sv}', [{'Argv': ('as', ['true'])}]),
    'submit-full': ('Submit', 'a{sv}', [{
        'Argv': ('as', ['sh', '-c', 'echo $A']), 'Name': ('s', 'build-1'), 'Priority': ('i', -3),
        'Environment': ('as', ['A=1', 'B=x']), 'WorkingDirectory': ('s', '/tmp'),
        'TimeoutUSec': ('t', 90000000), 'MemoryMax': ('t', 1 << 30), 'TasksMax': ('t', 64),
        'CPUWeight': ('t', 100), 'Group': ('s', 'build'), 'Resources': ('a{su}', {'lic': 1}),
        'After': ('at', [1, 2]), 'AfterCondition': ('s', 'any'), 'Retries': ('u', 2),
        'RetryOn': ('as', ['failed', 'timeout', '3']), 'RetryDelayUSec': ('t', 1000000),
        'SystemCallFilter': ('as', ['~@mount', 'ptrace']), 'RestrictAddressFamilies': ('as', ['AF_UNIX']),
        'LogMaxBytes': ('t', 1 << 20), 'Slots': ('a{su}', {'board': 1}),
    }]),
    'submit-wrong-types': ('Submit', 'a{sv}', [{'Argv': ('s', 'true'), 'Priority': ('t', 5),
                                                'Unknown': ('a{sv}', {'x': ('i', 1)})}]),
    'submit-nested': ('Submit', 'a{sv}', [{'Argv': ('as', ['true']),
                                           'Name': ('v', ('v', ('s', 'deep')))}]),
    'plan': ('SubmitPlan', 'aa{sv}a{sv}', [
        [{'Name': ('s', 'a'), 'Argv': ('as', ['true'])},
         {'Name': ('s', 'b'), 'Argv': ('as', ['false']), 'After': ('as', ['a']),
          'AfterCondition': ('s', 'failure')}],
        {'Name': ('s', 'nightly'), 'MaxParallel': ('u', 4), 'Group': ('s', 'g'),
         'Environment': ('as', ['X=1'])}]),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'fuzz-bus-spec')
os.makedirs(out, exist_ok=True)
for name, (member, sig, args) in SEEDS.items():
    with open(os.path.join(out, name + '.msg'), 'wb') as f:
        f.write(message(member, sig, args))
