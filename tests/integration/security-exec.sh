#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What a job inherits from the root daemon and its root exec helper in --system mode (issue 7, defects
# 2-5), with real throw-away users on a system-type bus with the shipped policy:
#   2. the helper drops groups/gid/uid BEFORE it changes to WorkingDirectory: a user's job cannot run in
#      a 0700 directory of another user (or of root), and the Reason for a path below such a directory
#      is the same whether the path exists or not (no oracle);
#   3. every job is a session of its own: jobd started with a controlling terminal (a pty), a job cannot
#      open /dev/tty (ENXIO);
#   4. an fd the daemon inherited (an open /etc/shadow) is closed at daemon start, and the helper passes
#      the command fds 0-2 only (tested on the helper directly too);
#   5. the helper runs with an empty environment (the job's comes as data, exec-env.h), so a submitter's
#      LD_PRELOAD is not loaded by the root helper while the command still gets it; the job's soft
#      RLIMIT_NOFILE is 1024 while the daemon's is raised, the hard limit is kept.
# --libc: the same against the C library build of the helper (jobd-exec.c over exec-sys-libc.c: what other
# architectures install; in a sanitizer build it is dynamically linked, which is where LD_PRELOAD matters).
. "$(dirname "$0")/../helpers/lib.sh"
[[ "${JOBD_TEST_BACKEND:-cgroupfs}" != systemd ]] ||
        skip "jobd --system with the systemd backend needs the system manager (systemd is not PID 1 here)"
command -v runuser >/dev/null || skip "no runuser(1)"
command -v setsid >/dev/null || skip "no setsid(1) to give jobd a controlling terminal"
PYTHON=$(command -v /usr/bin/python3 python3 | head -n 1) || skip "no python3 to hold a pty"
if [[ "${1:-}" == --libc ]]; then
        [[ -x "${JOBD_EXEC_LIBC_PATH:-}" ]] || skip "\$JOBD_EXEC_LIBC_PATH is not built"
        JOBD_EXEC_PATH=$JOBD_EXEC_LIBC_PATH
fi

setup
system_bus_start
user_add alice
user_add bob
alice_uid=$(id -u "$alice")

# usubmit USER DICT...: Submit as USER through busctl (the entry count first, as for bsubmit); the id.
usubmit() {
        local u=$1 out
        shift
        out=$(as_user "$u" busctl --address="$BUS" call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit \
                'a{sv}' "$@") || fail "Submit as $u failed: $out"
        [[ "$out" =~ ^to\ ([0-9]+)\ \" ]] || fail "Submit reply as $u: '$out'"
        echo "${BASH_REMATCH[1]}"
}

# job_log ID: the job's log, read by root.
job_log() {
        jobctl logs "$1"
}

# proc_field PID N: field N of /proc/PID/stat (1-based, as proc(5) counts).
proc_field() {
        local s f
        read -r s <"/proc/$1/stat" || return 1
        s=${s##*) }
        read -r -a f <<<"$s"
        echo "${f[$(($2 - 3))]}"
}

# --- 4, on the helper alone: the command gets fds 0-2, whatever the helper was given -----------------
mkdir "$TEST_TMP/direct"
# Which of the fds 3-20 are open in the shell itself ("[ -e ]" is a builtin: it opens nothing).
fds_probe='for fd in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
[ -e /proc/$$/fd/$fd ] && printf "%s " $fd; done; echo "end"'
out=$("$JOBD_EXEC_PATH" --uid="$alice_uid" --gid="$(id -g "$alice")" -- sh -c "$fds_probe" \
        3<"$TEST_TMP/direct" 4</dev/null 7</etc/shadow 2>&1) || fail "the helper run directly failed: $out"
assert_eq "end" "$out" "fds above 2 of a command started by the helper directly with fds 3, 4 and 7 open"
# Its own environment is not the command's: without --env-fd the command's is empty.
out=$(env -i FOO=bar "$JOBD_EXEC_PATH" -- /usr/bin/env 3<"$TEST_TMP/direct" 2>&1) ||
        fail "the helper run directly failed: $out"
assert_eq "" "$out" "environment of a command started by the helper directly, without --env-fd, with FOO=bar"

# --- a daemon with a controlling terminal, an inherited secret fd and a raised fd limit -------------
# A pty whose master a background process holds (it tells the slave's path through a fifo), as if an
# admin had started jobd from a terminal, as the README's private-instance example does.
mkfifo "$TEST_TMP/pty.fifo"
bg_start "$PYTHON" -c '
import os, pty, sys
m, s = pty.openpty()
with open(sys.argv[1], "w") as f:
    f.write(os.ttyname(s) + "\n")
while True:
    try:
        if not os.read(m, 4096):
            break
    except OSError:
        break
' "$TEST_TMP/pty.fifo"
read -r -t 10 PTS <"$TEST_TMP/pty.fifo" || fail "the pty holder printed no pty"
[[ -c "$PTS" ]] || fail "no pty at '$PTS'"
# setsid(1) runs in place (a background process of a shell without job control is no group leader), so
# JOBD_PID stays jobd's pid; --ctty makes the pty on its stdin jobd's controlling terminal.
REAL_JOBD=$JOBD
JOBD="$TEST_TMP/jobd-on-tty"
printf '#!/bin/sh\nexec setsid --ctty "%s" "$@" <"%s"\n' "$REAL_JOBD" "$PTS" >"$JOBD"
chmod +x "$JOBD"
# The cleanup ends the pty holder before jobd: the hangup of its controlling terminal would end jobd with
# SIGHUP (as any program started from a terminal that is closed) and be reported as a crash. So jobd is
# stopped first, here, whatever way the scenario ends.
stop_jobd_first() {
        local rc=$?
        if [[ -n "$JOBD_PID" ]] && jobd_alive; then
                stop_pid "$JOBD_PID" TERM 10
                JOBD_PID=""
                if [[ "$STOP_RC" != 0 ]]; then
                        printf '[%s] FAIL: jobd exited with status %s on SIGTERM\n' "$TEST_NAME" "$STOP_RC" >&2
                        rc=1
                fi
        fi
        (exit "$rc")
        cleanup
}
trap stop_jobd_first EXIT
exec 7</etc/shadow
jobd_start --system
exec 7<&-
JOBD=$REAL_JOBD
assert_ne 0 "$(proc_field "$JOBD_PID" 7)" "tty_nr of jobd (the test's precondition: a controlling terminal)"
jobd_sid=$(proc_field "$JOBD_PID" 6)

# 4: the daemon closed what it inherited.
assert_not_contains /etc/shadow "$(ls -l "/proc/$JOBD_PID/fd/")" "the daemon's open fds"

# 3 and 4, for a job of alice's and one of root's: fds, session, terminal.
probe=$fds_probe'
if { cat <&7; } >/dev/null 2>&1; then echo fd7-readable; else echo fd7-closed; fi
cut -d" " -f6,7 /proc/$$/stat; echo pid $$
{ true </dev/tty && echo tty-opened; } 2>&1 || true
exec sleep 600'
for who in alice root; do
        if [[ "$who" == alice ]]; then
                id=$(usubmit "$alice" 2 Argv as 3 sh -c "$probe" WorkingDirectory s /)
        else
                id=$(bsubmit 2 Argv as 3 sh -c "$probe" WorkingDirectory s /)
        fi
        wait_state "$id" running
        wait_until 10 "job $id to print its findings" eval '[[ $(job_log "$id" | wc -l) -ge 5 ]]'
        log=$(job_log "$id")
        mapfile -t lines <<<"$log"
        assert_eq end "${lines[0]}" "fds above 2 of $who's job ($log)"
        assert_eq fd7-closed "${lines[1]}" "the daemon's inherited /etc/shadow in $who's job"
        read -r sid tty <<<"${lines[2]}"
        assert_contains "No such device or address" "${lines[4]}" "opening /dev/tty in $who's job"
        assert_eq 0 "$tty" "controlling terminal (tty_nr) of $who's job"
        assert_eq "pid $sid" "${lines[3]}" "session of $who's job: its own (it is the session leader)"
        assert_ne "$jobd_sid" "$sid" "session of $who's job vs jobd's"
        # The command itself (sleep, exec'd by the shell): fds 0-2 and nothing else.
        cmd_pid=$(job_prop "$id" MainPID)
        assert_eq "0 1 2" "$(ls "/proc/$cmd_pid/fd" | sort -n | xargs)" "fds of $who's command"
        jobctl cancel "$id" >/dev/null || fail "cannot cancel job $id"
        wait_done "$id"
done

# --- 2: privilege drop before chdir ------------------------------------------------------------------
# $TEST_TMP is 0711: alice may pass. bob's 0700 directory with a subdirectory; root's the same.
mkdir -m 1777 "$TEST_TMP/out"
mkdir -m 755 "$TEST_TMP/home"
install -d -m 700 -o "$bob" -g "$bob" "$TEST_TMP/home/bob"
install -d -m 755 -o "$bob" -g "$bob" "$TEST_TMP/home/bob/sub"
install -d -m 700 "$TEST_TMP/home/root"
install -d -m 755 "$TEST_TMP/home/root/sub"
reasons=()
for dir in home/bob home/bob/sub home/bob/nosuch home/root/sub home/root/nosuch; do
        path=$TEST_TMP/$dir
        id=$(usubmit "$alice" 2 Argv as 4 sh -c 'pwd >"$0/ran"' "$TEST_TMP/out" WorkingDirectory s "$path")
        wait_done "$id"
        assert_file_missing "$TEST_TMP/out/ran" "a job of alice's with WorkingDirectory=$path ran"
        assert_eq failed "$(job_prop "$id" Result)" "Result of alice's job in $path"
        reason=$(job_prop "$id" Reason)
        assert_eq "Cannot change to WorkingDirectory $path: Permission denied" "$reason" "Reason for $path"
done
# The same for a directory that does not exist at all, where alice may look: its own honest error.
id=$(usubmit "$alice" 2 Argv as 1 true WorkingDirectory s "$TEST_TMP/nosuch")
wait_done "$id"
assert_eq "Cannot change to WorkingDirectory $TEST_TMP/nosuch: No such file or directory" \
        "$(job_prop "$id" Reason)" "Reason for a path that does not exist"
# Where alice may go, her job does run (the drop did not break chdir).
id=$(usubmit "$alice" 2 Argv as 1 pwd WorkingDirectory s "$TEST_TMP/home")
wait_done "$id"
assert_eq success "$(job_prop "$id" Result)" "Result of alice's job in a directory she may enter"
assert_eq "$TEST_TMP/home" "$(job_log "$id")" "working directory of alice's job"

# --- 5: the helper's environment and the job's fd limit ----------------------------------------------
# A preload library that records who loaded it: the root helper must never, the command must.
if command -v cc >/dev/null; then
        cat >"$TEST_TMP/preload.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void who(void) {
        char exe[256] = "", line[400];
        const char *f = getenv("PRELOAD_LOG");
        int fd;
        if (!f || readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
                return;
        fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
                return;
        snprintf(line, sizeof(line), "uid=%u exe=%s\n", (unsigned) getuid(), exe);
        (void) write(fd, line, strlen(line));
        close(fd);
}
EOF
        cc -shared -fPIC -o "$TEST_TMP/preload.so" "$TEST_TMP/preload.c" || fail "cannot build the preload library"
        chmod 755 "$TEST_TMP/preload.so"
        preload=(LD_PRELOAD="$TEST_TMP/preload.so" PRELOAD_LOG="$TEST_TMP/out/preload.log"
                 ASAN_OPTIONS=verify_asan_link_order=0)
else
        note "no cc: the LD_PRELOAD library is not built; the helper's environment is checked alone"
        preload=()
fi
env=(JOBD_TEST_MARK=m4rk PATH=/usr/bin:/bin "${preload[@]}")
id=$(usubmit "$alice" 3 Argv as 3 sh -c 'ulimit -Sn; ulimit -Hn; echo "$JOBD_TEST_MARK"; exec sleep 600' \
        Environment as "${#env[@]}" "${env[@]}" WorkingDirectory s /)
wait_state "$id" running
wait_until 10 "job $id to print its limits" eval '[[ $(job_log "$id" | wc -l) -ge 3 ]]'
cmd_pid=$(job_prop "$id" MainPID)
helper_pid=$(awk '/^PPid:/ { print $2 }' "/proc/$cmd_pid/status")
assert_eq "$(readlink -f "$JOBD_EXEC_PATH")" "$(readlink -f "/proc/$helper_pid/exe")" "the job's first process"
assert_eq "" "$(tr '\0' '\n' <"/proc/$helper_pid/environ")" "environment of the root helper"
assert_contains JOBD_TEST_MARK=m4rk "$(tr '\0' '\n' <"/proc/$cmd_pid/environ")" "environment of the command"
mapfile -t lines < <(job_log "$id")
daemon_soft=$(awk '/^Max open files/ { print $4 }' "/proc/$JOBD_PID/limits")
daemon_hard=$(awk '/^Max open files/ { print $5 }' "/proc/$JOBD_PID/limits")
if [[ "$daemon_soft" == unlimited ]] || (("$daemon_soft" > 1024)); then
        assert_eq 1024 "${lines[0]}" "soft RLIMIT_NOFILE of the job (jobd's: $daemon_soft)"
else
        note "jobd's soft RLIMIT_NOFILE is $daemon_soft: nothing to reset"
fi
assert_eq "$daemon_hard" "${lines[1]}" "hard RLIMIT_NOFILE of the job: the daemon's, untouched"
assert_eq m4rk "${lines[2]}" "JOBD_TEST_MARK as the command sees it"
if ((${#preload[@]} > 0)); then
        plog=$(cat "$TEST_TMP/out/preload.log" 2>/dev/null || true)
        assert_not_contains "uid=0 " "$plog" "processes that loaded the submitter's LD_PRELOAD as root"
        assert_contains "uid=$alice_uid exe=" "$plog" "the command loaded its LD_PRELOAD"
fi
jobctl cancel "$id" >/dev/null || fail "cannot cancel job $id"
wait_done "$id"

daemon_still_ok
