#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-pytest.sh PYTHON TEST-FILE... : the Python package's tests (pytest, from Debian) against a live
# private jobd: lib.sh starts a private dbus-daemon and jobd on a test cgroup root and cleans up after
# (processes by pid, cgroups through cgroup.kill). The tests find the bus in $JOBD_BUS_ADDRESS and the
# package in the source tree (src/python). Exit: pytest's; "no tests ran" (pytest's 5) is a failure.
. "$(dirname "$0")/../helpers/lib.sh"
PY=$1
shift
"$PY" -c 'import pytest, dbus_next' 2>/dev/null ||
        skip "$PY lacks pytest or dbus_next (Debian: python3-pytest python3-dbus-next, see .ci/deps)"
jobd_args=(--max-parallel=0 --kill-grace=1s)
# JOBD_TEST_SLURM=1: a private one-node Slurm cluster (tests/helpers/slurm.sh) in jobd.conf's [Slurm],
# for the tests of jobs with backend "slurm".
if [[ "${JOBD_TEST_SLURM:-0}" == 1 ]]; then
        . "$(dirname "$0")/../helpers/slurm.sh"
        slurm_require_backend
        setup
        slurm_test_cluster
        : >"$TEST_TMP/jobd.conf"
        slurm_jobd_conf "$TEST_TMP/jobd.conf"
        jobd_args+=(--config="$TEST_TMP/jobd.conf")
fi
jobd_start "${jobd_args[@]}"
export PYTHONPATH="$SRC_ROOT/src/python${PYTHONPATH:+:$PYTHONPATH}"
export JOBD_TEST_CG_ROOT="$CG_ROOT"
rc=0
"$PY" -m pytest -p no:cacheprovider --basetemp="$TEST_TMP/pytest" -v "$@" || rc=$?
[[ "$rc" != 5 ]] || fail "pytest collected no tests from $*"
[[ "$rc" == 0 ]] || fail "pytest exited with $rc"
