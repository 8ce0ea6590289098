#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# with-jobd.sh CMD...: runs CMD against a live private jobd (lib.sh: private bus, test cgroup root) with
# one running job; CMD sees JOBD_BUS_ADDRESS and JOBD_TEST_JOB_PATH. Exit code: CMD's (77: skip).
. "$(dirname "$0")/lib.sh"
jobd_start
release="$TEST_TMP/release"
id=$(bsubmit 2 Argv as 4 sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release" Name s introspected)
wait_state "$id" running
export JOBD_TEST_JOB_PATH
JOBD_TEST_JOB_PATH=$(job_path "$id")
rc=0
"$@" || rc=$?
[[ "$rc" != 77 ]] || skip "$* skipped"
touch "$release"
wait_done "$id"
[[ "$rc" == 0 ]] || fail "$* exited with $rc"
