#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Signals between the daemon, its exec helper and the job:
#   - a job starts with every signal at its default disposition and none blocked, whatever the daemon
#     itself inherited (a non-interactive shell's background job ignores SIGINT and SIGQUIT, nohup SIGHUP,
#     a caller may ignore more). jobd resets what it inherited as ignored when it starts, so that it
#     passes its exec helper no ignored signal but SIGPIPE, and jobd-exec (which blocks signals rather
#     than ignoring them) resets only SIGPIPE, 32 and 33 and clears the mask before the command runs,
#     instead of all 64 dispositions on every job. The masks pass with the old helper too (it reset
#     all 64): they hold the new pair together, jobd's own mask is what fails without its reset;
#   - the exec helper outlives any signal the job is sent but SIGKILL (SIGPROF, signal 32 that the C
#     library keeps out of sigfillset()), so the job ends as its command does (exit 7 here), not as
#     killed with its "main process" gone;
#   - real-time signals sent to the helper do not pile up in its queue (they are charged to root's
#     RLIMIT_SIGPENDING in --system mode): it takes each off as it comes.
# --libc: the same against the C library build of the helper (what other architectures install).
. "$(dirname "$0")/../helpers/lib.sh"
if [[ "${1:-}" == --libc ]]; then
        [[ -x "${JOBD_EXEC_LIBC_PATH:-}" ]] || skip "\$JOBD_EXEC_LIBC_PATH is not built"
        JOBD_EXEC_PATH=$JOBD_EXEC_LIBC_PATH
fi

# sig_mask PID FIELD: the hex mask of SigIgn/SigBlk/ShdPnd/... in /proc/PID/status.
sig_mask() {
        awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# Ignored by this shell, hence by jobd started from it (and SIGINT/SIGQUIT by bash for any background
# command of a script): none of them is reset by the helper, only jobd's reset keeps them from the job.
trap '' HUP USR1 PROF WINCH XFSZ RTMIN+5
jobd_start
trap - HUP USR1 PROF WINCH XFSZ RTMIN+5

# jobd itself keeps only SIGPIPE ignored (bit 13 - 1 = 12): what the helper relies on.
assert_eq 0000000000001000 "$(sig_mask "$JOBD_PID" SigIgn)" "signals jobd ignores (only SIGPIPE)"

# The command is grep itself (no shell between the helper and it; not awk: gawk ignores SIGPIPE).
id=$(submit -- grep -E '^Sig(Ign|Blk):' /proc/self/status)
wait_done "$id"
assert_eq 0 "$WAIT_RC" "jobctl wait on the job reading its own /proc/self/status"
out=$(jobctl logs "$id") || fail "jobctl logs $id failed"
log "the job's masks: $(echo "$out" | paste -sd' ')"
assert_eq "$(printf 'SigIgn:\t%s' 0000000000000000)" "$(echo "$out" | grep '^SigIgn:')" \
        "signals the job ignores"
assert_eq "$(printf 'SigBlk:\t%s' 0000000000000000)" "$(echo "$out" | grep '^SigBlk:')" \
        "signals the job blocks"

# And a job that signals itself with one of those the daemon inherited as ignored dies of it.
expect_rc $((128 + 10)) "run of a job sending itself SIGUSR1" jobctl run -- sh -c 'kill -USR1 $$; sleep 5'
expect_rc $((128 + 1)) "run of a job sending itself SIGHUP" jobctl run -- sh -c 'kill -HUP $$; sleep 5'
expect_rc $((128 + 27)) "run of a job sending itself SIGPROF" jobctl run -- sh -c 'kill -PROF $$; sleep 5'

# catching_job SIG: a job whose sh catches SIG, is ready once it has made $flag.ready, and exits 7 once
# $flag.go exists (the sleeps its loop starts die of a signal sent to the whole job; sh goes on). Its id.
catching_job() {
        submit -- sh -c 'trap "echo caught $1" "$1"; : >"$0.ready"
                while [ ! -e "$0.go" ]; do sleep 0.05; done; exit 7' "$flag" "$1"
}

# helper_of ID: the pid of the job's exec helper, the parent of its command.
helper_of() {
        local stat pid
        pid=$(job_prop "$1" MainPID)
        read -r -a stat <"/proc/$pid/stat" || fail "no /proc/$pid/stat for job $1's command"
        [[ $(cat "/proc/${stat[3]}/comm") == jobd-exec* ]] ||
                fail "the parent of job $1's command is not jobd-exec"
        echo "${stat[3]}"
}

# job_ends_as_its_command ID WHAT: the job's command exited 7 after $flag.go appeared.
job_ends_as_its_command() {
        : >"$flag.go"
        wait_done "$1"
        assert_eq failed "$(job_prop "$1" Result)" "Result of a job that $2 and exited 7"
        assert_eq 7 "$(job_prop "$1" ExitCode)" "ExitCode of a job that $2 and exited 7"
        assert_eq 0 "$(job_prop "$1" ExitSignal)" "ExitSignal of a job that $2 and exited 7"
}

# SIGPROF to the whole job (the helper used not to ignore it), which the command catches.
flag=$TEST_TMP/catch-prof
id=$(catching_job PROF)
wait_until 10 "job $id to be ready" test -e "$flag.ready"
jobctl kill -s PROF "$id" || fail "jobctl kill -s PROF $id failed"
wait_until 10 "job $id to catch SIGPROF" grep -q "caught PROF" "$(job_prop "$id" LogPath)"
job_ends_as_its_command "$id" "caught SIGPROF"

# Signal 32 to the helper alone (a job's processes get it all the same from KillJob(); no shell can
# catch it, the C library keeps it for itself): glibc's sigfillset() leaves it out, so it used to end the
# libc build of the helper.
flag=$TEST_TMP/catch-32
id=$(catching_job USR2)
wait_until 10 "job $id to be ready" test -e "$flag.ready"
helper=$(helper_of "$id")
kill -n 32 "$helper" || fail "cannot send signal 32 to the helper (pid $helper)"
job_ends_as_its_command "$id" "had its helper sent signal 32"

# 300 real-time signals to the helper alone (as KillJob() may send to the whole job): it takes them off its
# queue instead of leaving them pending.
flag=$TEST_TMP/catch-rt
id=$(catching_job USR2)
wait_until 10 "job $id to be ready" test -e "$flag.ready"
helper=$(helper_of "$id")
for ((i = 0; i < 300; i++)); do
        kill -s RTMIN+1 "$helper"
done
# (The mask is read on each try: an argument "$(sig_mask ...)" would be read once, before the helper took
# the signals off its queue on a loaded machine, and never match.)
no_signal_pending() {
        [[ "$(sig_mask "$1" ShdPnd)" == 0000000000000000 ]]
}
wait_until 10 "the helper (pid $helper) to have no signal pending" no_signal_pending "$helper"
log "the helper's queue: $(grep '^SigQ:' "/proc/$helper/status")"
job_ends_as_its_command "$id" "had its helper sent 300 real-time signals"
