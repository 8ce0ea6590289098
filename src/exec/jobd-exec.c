/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobd-exec: the first process of every job's cgroup. The daemon starts it with the job's stdio at
 * fds 0-2, the job's state folder at fd 3 and an empty environment. It forks the command, waits for it
 * and writes how it ended into the state folder atomically, so the true exit status survives a daemon
 * restart. It ignores the signals the daemon sends to the whole job (so it outlives the command to record
 * its status) and is ended, like everything in the job, by SIGKILL.
 *
 *   jobd-exec [--chdir=DIR] [--uid=UID --gid=GID [--groups=G,G,...]] [--seccomp=FILE] [--env-fd=N]
 *             [--wait-fd=N] -- COMMAND [ARG...]
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
 * What the command inherits is decided here, in this order, between fork and exec (the same in
 * jobd-exec-nolibc.c): a new session (setsid(): never the daemon's controlling terminal); every fd but
 * 0-2 closed (the state folder, the env and wait fds, anything the daemon might have leaked); with --uid,
 * groups, gid and uid dropped BEFORE any path of the user's choice is touched, so that chdir() and the
 * PATH search are done with the user's rights only and their errors tell the user nothing it could not
 * find out itself; the soft RLIMIT_NOFILE reset to 1024 (the daemon raises its own; select() users break
 * above 1024: systemd's rule), the hard limit kept; then the seccomp filter and execve().
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec-env.h"
#include "exec-status.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"

#define GROUPS_MAX 256
/* The kernel's limit on a filter program (BPF_MAXINSNS). */
#define SECCOMP_INSNS_MAX 4096
/* systemd's rule: select() cannot handle fds above 1023, so that is what a program gets by default. */
#define NOFILE_SOFT 1024
/* Without close_range() (before Linux 5.9): the daemon passes us at most this many fds (SPAWN_FDS_MAX) and
 * marks every other fd of its own close-on-exec, so closing our own numbers is enough there. */
#define HELPER_FDS_MAX 16

static const int ignored_signals[] = {
        SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU,
};

typedef struct Setup {
        const char *chdir;
        uid_t uid;
        gid_t gid;
        gid_t groups[GROUPS_MAX];
        int n_groups;
        bool set_ids;
        int wait_fd;
        int env_fd;
        char **envp;
        const char *seccomp;
        struct sock_fprog filter;
} Setup;

/* One write() to a fresh file: the daemon reads it only after this process is gone, so it sees all of
 * it or (killed between open and write) an empty file, which counts as no status. Cheaper than a
 * temporary file and rename() on every job. */
static void record(const ExecStatus *s) {
        _cleanup_close_ int fd = -EBADF;
        char buf[128];

        if (exec_status_format(s, buf, sizeof(buf)) < 0)
                return;
        fd = openat(EXEC_STATE_FD, EXEC_STATUS_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0)
                (void) write(fd, buf, strlen(buf));
}

/* Set by the vfork()ed child, which shares our memory until it execs. */
typedef struct ExecError {
        int error;
        /* A pointer to a literal, not a copy: stores through a volatile ExecError stay volatile (a strcpy()
         * into it that casts volatile away was dropped by the optimiser, the child _exit()ing next). */
        const char *stage;
} ExecError;

static int parse_args(int argc, char **argv, Setup *s, char ***ret_cmd) {
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                unsigned v;

                if (streq(a, "--")) {
                        i++;
                        break;
                } else if (strneq(a, "--chdir=", 8))
                        s->chdir = a + 8;
                else if (strneq(a, "--uid=", 6) && safe_atou(a + 6, &v) >= 0) {
                        s->uid = v;
                        s->set_ids = true;
                } else if (strneq(a, "--gid=", 6) && safe_atou(a + 6, &v) >= 0)
                        s->gid = v;
                else if (strneq(a, "--seccomp=", 10) && a[10])
                        s->seccomp = a + 10;
                else if (strneq(a, "--wait-fd=", 10) && safe_atou(a + 10, &v) >= 0 && v > 2 && v < 1024)
                        s->wait_fd = (int) v;
                else if (strneq(a, "--env-fd=", 9) && safe_atou(a + 9, &v) >= 0 && v > 2 && v < 1024)
                        s->env_fd = (int) v;
                else if (strneq(a, "--groups=", 9)) {
                        char *copy = strdupa(a + 9), *save = NULL;
                        for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
                                if (s->n_groups >= GROUPS_MAX || safe_atou(g, &v) < 0)
                                        return -EINVAL;
                                s->groups[s->n_groups++] = v;
                        }
                } else
                        return -EINVAL;
        }
        if (i >= argc)
                return -EINVAL;
        *ret_cmd = argv + i;
        return 0;
}

static int load_filter(Setup *s) {
        static struct sock_filter prog[SECCOMP_INSNS_MAX + 1];
        ssize_t n;

        n = read_file_at(EXEC_STATE_FD, s->seccomp, (char *) prog, sizeof(prog));
        if (n < 0)
                return (int) n;
        if (n == 0 || n % sizeof(struct sock_filter) != 0 || (size_t) n > SECCOMP_INSNS_MAX * sizeof(struct sock_filter))
                return -EBADMSG;
        s->filter = (struct sock_fprog) { .len = (unsigned short) (n / sizeof(struct sock_filter)), .filter = prog };
        return 0;
}

/* The job's environment from the daemon's memfd (exec-env.h). */
static int load_env(Setup *s) {
        static char buf[EXEC_ENV_BYTES_MAX + 1];
        static char *envp[EXEC_ENV_ENTRIES_MAX + 1];
        size_t n = 0;
        int r;

        for (;;) {
                ssize_t k = pread(s->env_fd, buf + n, sizeof(buf) - n, (off_t) n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n >= sizeof(buf))
                        return -E2BIG;
        }
        r = exec_env_split(buf, n, envp, EXEC_ENV_ENTRIES_MAX);
        if (r < 0)
                return r;
        s->envp = envp;
        return 0;
}

/* Every fd but 0-2. The vfork()ed child has a copy of our fd table (no CLONE_FILES): ours stay open. */
static void close_all_but_stdio(void) {
        if (syscall(SYS_close_range, 3U, ~0U, 0U) >= 0)
                return;
        for (int fd = 3; fd < 3 + HELPER_FDS_MAX; fd++)
                (void) close(fd);
}

/* In the vfork()ed child: errors go back through *e, in the parent's memory. */
_noreturn_ static void run_command(const Setup *s, char **cmd, volatile ExecError *e) {
        static char *empty_env[] = { NULL };
        struct sigaction sa = { .sa_handler = SIG_DFL };
        struct rlimit rl;
        sigset_t none;

        for (int sig = 1; sig < _NSIG; sig++)
                (void) sigaction(sig, &sa, NULL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);

        if (setsid() < 0) {
                e->stage = "setsid";
                goto fail;
        }
        close_all_but_stdio();
        if (s->set_ids) {
                if (setgroups(s->n_groups, s->groups) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
                    setresuid(s->uid, s->uid, s->uid) < 0) {
                        e->stage = "credentials";
                        goto fail;
                }
        }
        /* Only now, with the user's rights: see the top of this file. */
        if (s->chdir && chdir(s->chdir) < 0) {
                e->stage = "chdir";
                goto fail;
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur > NOFILE_SOFT) {
                rl.rlim_cur = NOFILE_SOFT;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (s->filter.len > 0 &&
            (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
             syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &s->filter) < 0)) {
                e->stage = "seccomp";
                goto fail;
        }
        /* execvp() searches the PATH of environ: the job's. (The parent, which shares our memory, no
         * longer reads its environment.) */
        environ = s->envp ?: empty_env;
        execvp(cmd[0], cmd);
        e->stage = "exec";
fail:
        e->error = errno > 0 ? errno : EIO;
        _exit(127);
}

int main(int argc, char **argv) {
        struct sigaction ign = { .sa_handler = SIG_IGN };
        volatile ExecError e = {};
        ExecStatus st = {};
        Setup s = { .wait_fd = -1, .env_fd = -1 };
        char **cmd = NULL;
        int status;
        ssize_t n;
        pid_t pid;

        if (parse_args(argc, argv, &s, &cmd) < 0) {
                fprintf(stderr, "jobd-exec: invalid arguments (this program is started by jobd).\n");
                return 127;
        }
        if (s.wait_fd >= 0) {
                char c;

                do
                        n = read(s.wait_fd, &c, 1);
                while (n < 0 && errno == EINTR);
                if (n != 1)
                        return 127;    /* the daemon gave the job up before it was placed */
        }
        if (fcntl(EXEC_STATE_FD, F_GETFD) < 0) {
                fprintf(stderr, "jobd-exec: no state folder at fd %i: %m\n", EXEC_STATE_FD);
                return 127;
        }
        for (size_t i = 0; i < ELEMENTSOF(ignored_signals); i++)
                (void) sigaction(ignored_signals[i], &ign, NULL);
        if (s.seccomp) {
                int r = load_filter(&s);
                if (r < 0) {
                        st = (ExecStatus) { .outcome = EXEC_SETUP_FAILED, .value = -r, .stage = "seccomp" };
                        fprintf(stderr, "jobd-exec: cannot read the system call filter %s: %s\n", s.seccomp,
                                strerror(-r));
                        record(&st);
                        return 127;
                }
        }

        if (s.env_fd >= 0) {
                int r = load_env(&s);
                if (r < 0) {
                        st = (ExecStatus) { .outcome = EXEC_SETUP_FAILED, .value = -r, .stage = "env" };
                        fprintf(stderr, "jobd-exec: cannot read the job's environment: %s\n", strerror(-r));
                        record(&st);
                        return 127;
                }
                s.env_fd = safe_close(s.env_fd);
        }

        /* vfork(): no copy of our page tables, and we resume once the command has exec'd or failed.
         * The daemon finds the command's pid in /proc/<our pid>/task/<our pid>/children. */
        pid = vfork();
        if (pid < 0) {
                st = (ExecStatus) { .outcome = EXEC_SETUP_FAILED, .value = errno, .stage = "fork" };
                record(&st);
                return 127;
        }
        if (pid == 0)
                run_command(&s, cmd, &e);

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 127;

        st.pid = pid;
        if (e.error != 0) {
                st.outcome = EXEC_SETUP_FAILED;
                st.value = e.error;
                snprintf(st.stage, sizeof(st.stage), "%s", e.stage ?: "exec");
                fprintf(stderr, "jobd-exec: %s %s: %s\n", st.stage, streq(st.stage, "chdir") ? s.chdir : cmd[0],
                        strerror(e.error));
        } else if (WIFSIGNALED(status)) {
                st.outcome = EXEC_SIGNALED;
                st.value = WTERMSIG(status);
        } else {
                st.outcome = EXEC_EXITED;
                st.value = WEXITSTATUS(status);
        }
        record(&st);

        if (s.wait_fd >= 0) {
                char c;

                /* SIGPIPE is ignored: a daemon that is gone gives EPIPE, then EOF. */
                if (write(s.wait_fd, "d", 1) == 1)
                        while (read(s.wait_fd, &c, 1) < 0 && errno == EINTR)
                                ;
                safe_close(s.wait_fd);
        }

        if (st.outcome == EXEC_SIGNALED)
                return 128 + st.value;
        return st.outcome == EXEC_EXITED ? st.value : 127;
}
