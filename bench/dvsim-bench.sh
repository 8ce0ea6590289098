#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dvsim-bench.sh [PYTHON] -- ARGS...: bench/dvsim-bench.py (DVSim's local backend beside jobd's) against a
# private dbus-daemon and jobd on a private cgroup (tests/helpers/lib.sh; everything ended by pid and the
# cgroups removed on exit). The binaries come from build/ unless $JOBD etc. say otherwise. Run as root.
# Example: bench/dvsim-bench.sh python3 -- --dvsim=$HOME/src/dvsim
here=$(cd "$(dirname "$0")/.." && pwd)
: "${JOBD:=$here/build/src/jobd/jobd}" "${JOBCTL:=$here/build/src/jobctl/jobctl}"
: "${JOBD_EXEC_PATH:=$here/build/src/jobd/jobd-exec}" "${SPAWN_TREE:=$here/build/tests/helpers/spawn-tree}"
export JOBD JOBCTL JOBD_EXEC_PATH SPAWN_TREE
PY=python3
if [[ $# -gt 0 && "$1" != -- ]]; then PY=$1; shift; fi
[[ "${1:-}" != -- ]] || shift
. "$here/tests/helpers/lib.sh"
jobd_start --max-parallel=0 --kill-grace=2s
rc=0
"$PY" "$here/bench/dvsim-bench.py" "$@" || rc=$?
[[ "$rc" == 0 ]] || fail "dvsim-bench.py exited with $rc"
