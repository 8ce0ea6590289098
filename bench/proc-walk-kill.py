#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a psutil-style tree kill leaves behind.

Starts spawn-tree (N setsid'd processes; with --double-fork each one is orphaned at once) in a bare
cgroup of its own, waits until the whole tree is in place, then kills it the way ad-hoc schedulers do
with psutil: Process(launcher).children(recursive=True) -- a walk over /proc matching PPid, done here
without psutil -- SIGKILL to every process found and to the launcher, then a short wait. Counts how many
of the N processes are still alive (pid and start time both match, so a reused pid is not counted).
Everything left is then killed through the cgroup (cgroup.kill) and the cgroup removed.

Prints figures; never passes or fails on them. The last line is "RESULT ...".

    proc-walk-kill.py --cgroup-root=DIR --spawn-tree=PATH [-n N] [--fanout=K]
                      [--orphans=M | --no-double-fork]

By default all N are orphans (the tree walk can find none of them). --orphans=M mixes: a launcher shell
starts two spawn-trees, N-M processes that stay children of their parents and M orphans.
"""

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time


def read_stat(pid):
    """(ppid, starttime) of pid from /proc/PID/stat, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may hold spaces and parentheses: fields start after the last ')'.
    rest = data[data.rindex(b")") + 2:].split()
    # rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[19] field 22 (starttime).
    return int(rest[1]), int(rest[19]), rest[0]


def ppid_map():
    """{pid: ppid} of every process, like psutil's _ppid_map()."""
    m = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = read_stat(int(name))
        if st is not None:
            m[int(name)] = st[0]
    return m


def children_recursive(root):
    """psutil.Process(root).children(recursive=True): breadth-first over the PPid map."""
    by_parent = {}
    for pid, ppid in ppid_map().items():
        by_parent.setdefault(ppid, []).append(pid)
    found, seen, queue = [], {root}, [root]
    while queue:
        parent = queue.pop(0)
        for child in by_parent.get(parent, []):
            if child not in seen:
                seen.add(child)
                found.append(child)
                queue.append(child)
    return found


def alive(pid, starttime):
    st = read_stat(pid)
    # A zombie (Z) is dead for our purpose: it runs nothing any more.
    return st is not None and st[1] == starttime and st[2] != b"Z"


def count_procs(cgdir):
    try:
        with open(os.path.join(cgdir, "cgroup.procs")) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def kill_cgroup(cgdir, timeout=30.0):
    """cgroup.kill, then wait for 'populated 0' (inotify would do; a short poll is enough here)."""
    with open(os.path.join(cgdir, "cgroup.kill"), "w") as f:
        f.write("1")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(os.path.join(cgdir, "cgroup.events")) as f:
            if "populated 0" in f.read():
                return True
        time.sleep(0.005)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cgroup-root", required=True, help="a cgroup v2 directory we may create cgroups in")
    ap.add_argument("--spawn-tree", required=True, help="path of the spawn-tree helper")
    ap.add_argument("-n", "--count", type=int, default=1000)
    ap.add_argument("-f", "--fanout", type=int, default=0,
                    help="build a tree, K children per process (0: flat)")
    ap.add_argument("--no-double-fork", action="store_true",
                    help="processes stay children of their parents (a plain tree)")
    ap.add_argument("--orphans", type=int, default=None,
                    help="only this many of the N are double-forked orphans (default: all)")
    ap.add_argument("--settle", type=float, default=0.5, help="seconds to wait after the kill (default 0.5)")
    ap.add_argument("--label", default=None)
    a = ap.parse_args()

    if a.no_double_fork:
        a.orphans = 0
    if a.orphans is None:
        a.orphans = a.count
    if not 0 <= a.orphans <= a.count:
        sys.exit("proc-walk-kill: --orphans must be between 0 and --count")
    shape = ("flat" if a.fanout == 0 else f"fan-out {a.fanout}") + ", setsid'd, " + \
        (f"{a.orphans} of them double-forked orphans")
    label = a.label or (f"proc-walk-orphans{a.orphans}" + ("" if a.fanout == 0 else f"-f{a.fanout}"))

    cgdir = os.path.join(a.cgroup_root, f"proc-walk-{os.getpid()}")
    os.mkdir(cgdir)
    tmp = tempfile.mkdtemp(prefix="proc-walk-")
    pidfiles = []

    def tree_argv(n, orphans):
        pidfiles.append(os.path.join(tmp, f"pids{len(pidfiles)}"))
        v = [a.spawn_tree, "-n", str(n), "-s", "-i", "-w", "-S", "-p", pidfiles[-1]]
        if a.fanout:
            v += ["-f", str(a.fanout)]
        if orphans:
            v += ["-d"]
        return v

    if a.orphans in (0, a.count):
        argv = tree_argv(a.count, a.orphans > 0)
    else:
        # The launcher is a shell with two spawn-trees below it, like a job script starting tools.
        plain = shlex.join(tree_argv(a.count - a.orphans, False))
        orphaned = shlex.join(tree_argv(a.orphans, True))
        argv = ["/bin/sh", "-c", f"{plain} & {orphaned} & wait"]

    procs_path = os.path.join(cgdir, "cgroup.procs")

    def join_cgroup():
        with open(procs_path, "w") as f:
            f.write("0")

    launcher = subprocess.Popen(argv, preexec_fn=join_cgroup, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (all(os.path.exists(p) for p in pidfiles) and count_procs(cgdir) >= a.count + 1):
            if time.monotonic() > deadline or launcher.poll() is not None:
                sys.exit(f"proc-walk-kill: the tree did not come up ({count_procs(cgdir)} processes)")
            time.sleep(0.005)
        tree = []
        for p in pidfiles:
            with open(p) as f:
                tree += [tuple(int(x) for x in line.split()) for line in f if line.strip()]
        before = sum(1 for pid, st in tree if alive(pid, st))

        t0 = time.monotonic()
        found = children_recursive(launcher.pid)
        t_walk = time.monotonic() - t0
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        launcher.kill()
        launcher.wait()
        t_kill = time.monotonic() - t0
        time.sleep(a.settle)
        survivors = sum(1 for pid, st in tree if alive(pid, st))
        in_cgroup = count_procs(cgdir)

        print(f"psutil-style /proc walk + SIGKILL, {a.count}-process tree ({shape}):")
        print(f"  alive before the kill           {before:6d}")
        print(f"  found by the walk from the launcher {len(found):2d}   (walk {t_walk * 1e3:.1f} ms, "
              f"walk+kill {t_kill * 1e3:.1f} ms)")
        print(f"  still alive {a.settle:.1f} s after the kill  {survivors:6d} of {a.count}  "
              f"({in_cgroup} processes left in the cgroup)")
        print(f"RESULT label={label} n={a.count} found={len(found)} survivors={survivors}")
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        if not kill_cgroup(cgdir):
            print(f"proc-walk-kill: {cgdir} still populated after cgroup.kill", file=sys.stderr)
        for _ in range(100):
            try:
                os.rmdir(cgdir)
                break
            except OSError:
                time.sleep(0.01)
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
