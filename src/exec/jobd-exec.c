/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobd-exec: the first process of every job's cgroup. The daemon starts it with the job's stdio at
 * fds 0-2, the job's state folder at fd 3 and an empty environment. It forks the command, waits for it
 * and writes how it ended into the state folder atomically, so the true exit status survives a daemon
 * restart. It blocks every signal the job may be sent (so it outlives the command to record its status)
 * and is ended, like everything in the job, by SIGKILL.
 *
 *   jobd-exec [--chdir=DIR] [--uid=UID --gid=GID [--groups=G,G,...]] [--seccomp=FILE] [--env-fd=N]
 *             [--wait-fd=N] [--jobserver-fds=R,W] -- COMMAND [ARG...]
 *
 * (the grammar and its bounds: exec-args.h). This is the helper's one source: it calls no C library
 * function, only the system calls of exec-sys.h, which exec-sys-nolibc.c implements without the C library
 * (x86-64: the installed helper; why: the top of that file) and exec-sys-libc.c with it.
 *
 * --env-fd=N: the job's environment, as data (exec-env.h: "NAME=VALUE\0" entries in a memfd, at most
 * EXEC_ENV_BYTES_MAX bytes and EXEC_ENV_ENTRIES_MAX entries). The helper's own environment is empty and
 * ignored: it runs as root, and a dynamically linked helper would otherwise honour LD_PRELOAD & co. of
 * the submitter's choice. Without --env-fd the command gets an empty environment. PATH of the job's
 * environment is where a COMMAND without '/' is looked up.
 *
 * --seccomp=FILE: a BPF program (struct sock_filter[]) in the state folder that the daemon compiled from
 * the job's SystemCallFilter; loaded with no_new_privs right before the command is executed.
 *
 * --wait-fd=N: first block reading fd N, and run the command only once the daemon writes a byte there
 * (EOF: the daemon gave the job up; exit without running anything). The daemon holds the helper so while
 * a backend moves it into the job's cgroup (systemd: a scope created around its pid). When the command
 * has ended, send a byte on fd N (a socket) and exit only once the daemon closes it (or is gone): the
 * helper keeps the cgroup populated while the daemon reads the job's final figures.
 *
 * Signals: from the start (the hold on --wait-fd included) we block every signal but SIGKILL and SIGSTOP
 * (which cannot be blocked), whichever one the job is sent, and ignore none ourselves; while the command
 * runs we take what arrives off the queue (wait_command()). The daemon starts us with no signal ignored
 * but SIGPIPE (it resets what it inherited as ignored when it starts, src/jobd/main.c, except 32 and 33,
 * which the C library keeps from it), so the command gets every disposition at its default and no signal
 * blocked once its child resets those three and clears the mask: 6 system calls on every job with the
 * rt_sigtimedwait() before the command's end, where ignoring 11 signals, resetting all 64 and clearing
 * the mask took 76.
 *
 * What the command inherits is decided here, in this order, between fork and exec: a new session (setsid():
 * never the daemon's controlling terminal); every fd but 0-2 closed (the state folder, the env and wait fds,
 * anything the daemon might have leaked); with --uid, groups, gid and uid dropped BEFORE any path of the
 * user's choice is touched, so that chdir() and the PATH search are done with the user's rights only and
 * their errors tell the user nothing it could not find out itself; the soft RLIMIT_NOFILE reset to 1024 (the
 * daemon raises its own; select() users break above 1024: systemd's rule), the hard limit kept; then the
 * seccomp filter and execve(). A COMMAND without '/' is looked up in the job's PATH (else EXEC_DEFAULT_PATH)
 * as execvp() does, without its fall-back to /bin/sh for a file that is not a program (ENOEXEC is reported
 * as such).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "exec-args.h"
#include "exec-env.h"
#include "exec-status.h"
#include "exec-sys.h"

/* The kernel's limit on a filter program (BPF_MAXINSNS). */
#define SECCOMP_INSNS_MAX 4096
/* systemd's rule: select() cannot handle fds above 1023, so that is what a program gets by default. */
#define NOFILE_SOFT 1024
/* Without close_range() (before Linux 5.9): the daemon passes us at most this many fds (SPAWN_FDS_MAX) and
 * marks every other fd of its own close-on-exec, so closing our own numbers is enough there. */
#define HELPER_FDS_MAX 16
/* Where a COMMAND without '/' is looked up when the job's environment has no PATH. */
#define EXEC_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define PATH_BUF 4096

typedef struct Exec {
        ExecArgs args;
        char **envp;
        struct sock_fprog filter;
        /* Set by the child, which shares our memory until it execs. The stage is a pointer to a literal,
         * not a copy: stores through volatile stay volatile (a copy that casts volatile away was once
         * dropped by the optimiser, the child exiting next). */
        volatile int error;
        const char *volatile stage;
} Exec;

static size_t str_len(const char *s) {
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

static bool str_eq(const char *a, const char *b) {
        while (*a && *a == *b)
                a++, b++;
        return *a == *b;
}

static void write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                long k = sys_write(fd, s, n);
                if (k == -EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

/* "jobd-exec: WHAT[ WHO][: ERROR]\n" on stderr (the job's, or the daemon's log); error > 0 or 0. */
static void log_error(const char *what, const char *who, int error) {
        char buf[512];
        size_t n = 0;
        const char *msg;

        (void) (exec_fmt_str(buf, sizeof(buf), &n, "jobd-exec: ") &&
                exec_fmt_str(buf, sizeof(buf), &n, what));
        if (who)
                (void) (exec_fmt_str(buf, sizeof(buf), &n, " ") && exec_fmt_str(buf, sizeof(buf), &n, who));
        if (error > 0) {
                msg = sys_strerror(error);
                (void) exec_fmt_str(buf, sizeof(buf), &n, ": ");
                if (msg)
                        (void) exec_fmt_str(buf, sizeof(buf), &n, msg);
                else
                        (void) (exec_fmt_str(buf, sizeof(buf), &n, "error ") &&
                                exec_fmt_int(buf, sizeof(buf), &n, error));
        }
        /* What did not fit is cut, but the line still ends. */
        if (n + 1 >= sizeof(buf))
                n = sizeof(buf) - 2;
        buf[n++] = '\n';
        write_all(2, buf, n);
}

/* One write() to a fresh file: the daemon reads it only after this process is gone, so it sees all of
 * it or (killed between open and write) an empty file, which counts as no status. Cheaper than a
 * temporary file and rename() on every job. */
static void record(const ExecStatus *st) {
        char buf[128];
        int fd;

        if (exec_status_format(st, buf, sizeof(buf)) < 0)
                return;
        fd = sys_openat(EXEC_STATE_FD, EXEC_STATUS_FILE,
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return;
        write_all(fd, buf, str_len(buf));
        (void) sys_close(fd);
}

static void record_setup_failed(int error, const char *stage, pid_t pid) {
        ExecStatus st = { .outcome = EXEC_SETUP_FAILED, .value = error, .pid = pid };
        size_t n = 0;

        (void) exec_fmt_str(st.stage, sizeof(st.stage), &n, stage);
        record(&st);
}

/* The daemon's compiled SystemCallFilter, from the state folder. */
static int load_filter(Exec *x) {
        static struct sock_filter prog[SECCOMP_INSNS_MAX + 1];
        size_t n = 0;
        long k;
        int fd;

        fd = sys_openat(EXEC_STATE_FD, x->args.seccomp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
        if (fd < 0)
                return fd;
        for (;;) {
                k = sys_read(fd, (char *) prog + n, sizeof(prog) - n);
                if (k == -EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
                if (n >= sizeof(prog)) {
                        k = -EFBIG;
                        break;
                }
        }
        (void) sys_close(fd);
        if (k < 0)
                return (int) k;
        if (n == 0 || n % sizeof(struct sock_filter) != 0)
                return -EBADMSG;
        x->filter = (struct sock_fprog) {
                .len = (unsigned short) (n / sizeof(struct sock_filter)),
                .filter = prog,
        };
        return 0;
}

/* The job's environment from the daemon's memfd (exec-env.h). */
static int load_env(Exec *x) {
        static char buf[EXEC_ENV_BYTES_MAX + 1];
        static char *envp[EXEC_ENV_ENTRIES_MAX + 1];
        size_t n = 0;
        long k;

        for (;;) {
                k = sys_pread(x->args.env_fd, buf + n, sizeof(buf) - n, (off_t) n);
                if (k == -EINTR)
                        continue;
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n >= sizeof(buf))
                        return -E2BIG;
        }
        k = exec_env_split(buf, n, envp, EXEC_ENV_ENTRIES_MAX);
        if (k < 0)
                return (int) k;
        x->envp = envp;
        return 0;
}

static const char *env_get(char **envp, const char *key) {
        for (; envp && *envp; envp++) {
                const char *v = exec_arg_value(*envp, key);
                if (v && v[0] == '=')
                        return v + 1;
        }
        return NULL;
}

/* execvp(): a name without '/' is tried in every folder of PATH; EACCES wins over ENOENT/ENOTDIR, any other
 * error stops the search. Returns -errno (on success it does not return). */
static int exec_search(Exec *x) {
        char **cmd = x->args.cmd, buf[PATH_BUF];
        const char *file = cmd[0], *path, *p;
        bool seen_eacces = false;
        size_t fl = str_len(file);
        int r;

        for (p = file; *p; p++)
                if (*p == '/')
                        return sys_execve(file, cmd, x->envp);

        path = env_get(x->envp, "PATH") ?: EXEC_DEFAULT_PATH;
        for (p = path;; p++) {
                const char *start = p;
                size_t dl;

                while (*p && *p != ':')
                        p++;
                dl = (size_t) (p - start);
                /* An empty element is the current folder. */
                if (dl == 0) {
                        start = ".";
                        dl = 1;
                }
                if (dl + fl + 2 <= sizeof(buf)) {
                        memcpy(buf, start, dl);
                        buf[dl] = '/';
                        memcpy(buf + dl + 1, file, fl + 1);
                        r = sys_execve(buf, cmd, x->envp);
                        if (r == -EACCES)
                                seen_eacces = true;
                        else if (r != -ENOENT && r != -ENOTDIR)
                                return r;
                }
                if (!*p)
                        break;
        }
        return seen_eacces ? -EACCES : -ENOENT;
}

/* Every fd but 0-2, and but the jobserver's once moved to the numbers MAKEFLAGS names (above both, so
 * neither move clobbers the other). The child has a copy of our fd table (no CLONE_FILES): ours stay
 * open. */
static int close_all_but_stdio(const ExecArgs *a) {
        unsigned first = 3;
        int r;

        if (a->jobserver_fds[0] >= 0) {
                r = sys_dup3(a->jobserver_fds[0], EXEC_JOBSERVER_READ_FD);
                if (r < 0)
                        return r;
                r = sys_dup3(a->jobserver_fds[1], EXEC_JOBSERVER_WRITE_FD);
                if (r < 0)
                        return r;
                first = EXEC_JOBSERVER_WRITE_FD + 1;
        }
        if (sys_close_range(first, ~0U) >= 0)
                return 0;
        for (int fd = first; fd < 3 + HELPER_FDS_MAX; fd++)
                (void) sys_close(fd);
        return 0;
}

/* Waits for the command. Every signal is blocked, so what the job is sent meanwhile stays pending: we take
 * each off the queue, because blocked real-time signals queue up once per send, each charged to our real
 * uid's RLIMIT_SIGPENDING (root's in --system mode), and a job's user may send its job any number of them.
 * The command's end is one of them (SIGCHLD, pending already if it came first). */
static int wait_command(pid_t pid, int *status) {
        pid_t r;

        for (;;) {
                r = sys_sigwait_any();
                if (r < 0 && r != -EINTR && r != -EAGAIN)
                        break;
                r = sys_wait4(pid, status, WNOHANG);
                if (r != 0)
                        return r < 0 ? (int) r : 0;
        }
        /* No signal to wait for (cannot happen: all are blocked): wait without taking them. */
        do
                r = sys_wait4(pid, status, 0);
        while (r == -EINTR);
        return r < 0 ? (int) r : 0;
}

/* The child, in our memory until it execs. Errors go back through x. The order and why: the top of this
 * file. */
static int child_main(void *userdata) {
        Exec *x = userdata;
        const ExecArgs *a = &x->args;
        struct rlimit rl;
        int r;

        /* SIGPIPE is the one signal the daemon passes on ignored, 32 and 33 the ones its reset cannot
         * reach (see the top of this file); a signal that came while blocked is not inherited from us,
         * but one sent to the child since is delivered now. */
        (void) sys_signal_set(SIGPIPE, false);
        (void) sys_signal_set(32, false);
        (void) sys_signal_set(33, false);
        (void) sys_sigmask_clear();

        r = sys_setsid();
        if (r < 0) {
                x->stage = "setsid";
                goto fail;
        }
        r = close_all_but_stdio(a);
        if (r < 0) {
                x->stage = "jobserver";
                goto fail;
        }
        if (a->set_ids &&
            ((r = sys_setgroups(a->n_groups, a->groups)) < 0 ||
             (r = sys_setresgid(a->gid, a->gid, a->gid)) < 0 ||
             (r = sys_setresuid(a->uid, a->uid, a->uid)) < 0)) {
                x->stage = "credentials";
                goto fail;
        }
        /* Only now, with the user's rights: see the top of this file. */
        if (a->chdir && (r = sys_chdir(a->chdir)) < 0) {
                x->stage = "chdir";
                goto fail;
        }
        if (sys_prlimit(RLIMIT_NOFILE, NULL, &rl) >= 0 && rl.rlim_cur > NOFILE_SOFT) {
                rl.rlim_cur = NOFILE_SOFT;
                (void) sys_prlimit(RLIMIT_NOFILE, &rl, NULL);
        }
        if (x->filter.len > 0 &&
            ((r = sys_prctl(PR_SET_NO_NEW_PRIVS, 1)) < 0 ||
             (r = sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, &x->filter)) < 0)) {
                x->stage = "seccomp";
                goto fail;
        }
        r = exec_search(x);
        x->stage = "exec";
fail:
        x->error = r < 0 ? -r : EIO;
        return 127;
}

int exec_main(int argc, char **argv) {
        /* Our own environment is ignored: the job's comes with --env-fd (exec-env.h). */
        static char *empty_env[] = { NULL };
        static Exec x;
        ExecStatus st = {};
        int status = 0, r;
        pid_t pid;

        /* Before anything else, the hold on --wait-fd included: see the top of this file. */
        (void) sys_sigmask_block_all();
        x.envp = empty_env;
        if (exec_args_parse(argc, argv, &x.args) < 0) {
                log_error("invalid arguments (this program is started by jobd).", NULL, 0);
                return 127;
        }
        if (x.args.wait_fd >= 0) {
                char c;
                long k;

                do
                        k = sys_read(x.args.wait_fd, &c, 1);
                while (k == -EINTR);
                if (k != 1)
                        return 127;    /* the daemon gave the job up before it was placed */
        }
        r = sys_fd_check(EXEC_STATE_FD);
        if (r < 0) {
                log_error("no state folder at fd 3", NULL, -r);
                return 127;
        }
        if (x.args.seccomp) {
                r = load_filter(&x);
                if (r < 0) {
                        log_error("cannot read the system call filter", x.args.seccomp, -r);
                        record_setup_failed(-r, "seccomp", 0);
                        return 127;
                }
        }
        if (x.args.env_fd >= 0) {
                r = load_env(&x);
                if (r < 0) {
                        log_error("cannot read the job's environment", NULL, -r);
                        record_setup_failed(-r, "env", 0);
                        return 127;
                }
                (void) sys_close(x.args.env_fd);
                x.args.env_fd = -1;
        }

        /* The child shares our memory until it execs: we only wait for it (exec-sys.h). The daemon finds
         * the command's pid in /proc/<our pid>/task/<our pid>/children. */
        pid = sys_spawn(child_main, &x);
        if (pid < 0) {
                record_setup_failed(-pid, "fork", 0);
                return 127;
        }
        r = wait_command(pid, &status);
        if (r < 0)
                return 127;

        st.pid = pid;
        if (x.error != 0) {
                const char *stage = x.stage ?: "exec";

                log_error(stage, str_eq(stage, "chdir") ? x.args.chdir : x.args.cmd[0], x.error);
                record_setup_failed(x.error, stage, pid);
        } else {
                if (WIFSIGNALED(status)) {
                        st.outcome = EXEC_SIGNALED;
                        st.value = WTERMSIG(status);
                } else {
                        st.outcome = EXEC_EXITED;
                        st.value = WEXITSTATUS(status);
                }
                record(&st);
        }

        if (x.args.wait_fd >= 0) {
                char c;

                /* SIGPIPE is ignored: a daemon that is gone gives EPIPE, then EOF. */
                if (sys_write(x.args.wait_fd, "d", 1) == 1)
                        while (sys_read(x.args.wait_fd, &c, 1) == -EINTR)
                                ;
                (void) sys_close(x.args.wait_fd);
        }

        if (x.error != 0)
                return 127;
        if (st.outcome == EXEC_SIGNALED)
                return 128 + st.value;
        return st.value;
}
