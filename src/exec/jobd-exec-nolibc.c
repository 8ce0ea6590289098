/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobd-exec for x86-64, without the C library: the same program as jobd-exec.c (read that first: what it
 * does and why), written on raw system calls.
 *
 * Why a second implementation: the helper is exec'd once per job, and glibc's start-up probes the CPU
 * with cpuid before main() (init_cpu_features, cache sizes). In a virtual machine every cpuid is a trap
 * to the hypervisor: measured here, a static glibc program that does nothing costs 440 µs of CPU per
 * exec, one without glibc 100 µs — a fifth of all the CPU a short job costs. So this file is built with
 * -nostdlib; it uses the C library's headers for constants only. Other architectures build jobd-exec.c.
 *
 * The output contract is shared with the daemon through exec-status.h; the status line is formatted here
 * by hand, in exactly exec_status_format()'s format (the integration tests parse what this writes).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "clone-on-stack.h"
#include "exec-env.h"
#include "exec-status.h"

#define GROUPS_MAX 256
#define PATH_BUF 4096
#define SECCOMP_INSNS_MAX 4096      /* BPF_MAXINSNS */
#define NOFILE_SOFT 1024            /* jobd-exec.c: systemd's rule for select() users */
#define HELPER_FDS_MAX 16           /* jobd-exec.c: what to close without close_range() */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The compiler may emit calls to these for struct copies and initialisations. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *s, int c, size_t n) {
        unsigned char *p = s;
        while (n--)
                *p++ = (unsigned char) c;
        return s;
}
void *memcpy(void *d, const void *s, size_t n) {
        unsigned char *a = d;
        const unsigned char *b = s;
        while (n--)
                *a++ = *b++;
        return d;
}

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        register long r9 __asm__("r9") = f;
        long ret;

        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        return ret;     /* -errno on failure */
}
#define sys(n, a, b, c) sys6((n), (long) (a), (long) (b), (long) (c), 0, 0, 0)

__attribute__((noreturn)) static void sys_exit(int code) {
        for (;;)
                sys(SYS_exit_group, code, 0, 0);
}

static size_t slen(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static int sprefix(const char *s, const char *p) {
        while (*p)
                if (*s++ != *p++)
                        return 0;
        return 1;
}

static int seq(const char *a, const char *b) {
        while (*a && *a == *b)
                a++, b++;
        return *a == *b;
}

/* Strict unsigned decimal; -1 on anything else or overflow past limit. */
static long parse_u(const char *s, long limit) {
        long v = 0;

        if (!*s)
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -1;
                v = v * 10 + (*s - '0');
                if (v > limit)
                        return -1;
        }
        return v;
}

/* A small output buffer: the status line and error messages. */
typedef struct Buf {
        char s[512];
        size_t n;
} Buf;

static void put(Buf *b, const char *s) {
        while (*s && b->n < sizeof(b->s) - 1)
                b->s[b->n++] = *s++;
}

static void put_int(Buf *b, long v) {
        char t[24];
        int i = 0;

        if (v < 0) {
                put(b, "-");
                v = -v;
        }
        do
                t[i++] = (char) ('0' + v % 10);
        while ((v /= 10) && i < (int) sizeof(t));
        while (i > 0 && b->n < sizeof(b->s) - 1)
                b->s[b->n++] = t[--i];
}

static const char *errno_name(int e) {
        switch (e) {
        case ENOENT: return "No such file or directory";
        case EACCES: return "Permission denied";
        case ENOEXEC: return "Exec format error";
        case ENOTDIR: return "Not a directory";
        case ELOOP: return "Too many levels of symbolic links";
        case ENAMETOOLONG: return "File name too long";
        case E2BIG: return "Argument list too long";
        case ENOMEM: return "Cannot allocate memory";
        case EPERM: return "Operation not permitted";
        case EINVAL: return "Invalid argument";
        case ETXTBSY: return "Text file busy";
        case EISDIR: return "Is a directory";
        default: return NULL;
        }
}

typedef struct Setup {
        const char *chdir;
        long uid, gid;
        uint32_t groups[GROUPS_MAX];
        int n_groups;
        int set_ids;
        int wait_fd;
        int env_fd;
        const char *seccomp;
        struct sock_fprog filter;
        char **cmd;
        char **envp;
        /* Written by the child (it shares our memory until it execs). */
        volatile int error;
        volatile const char *stage;
} Setup;

static int parse_args(int argc, char **argv, Setup *s) {
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                long v;

                if (seq(a, "--")) {
                        i++;
                        break;
                } else if (sprefix(a, "--chdir="))
                        s->chdir = a + 8;
                else if (sprefix(a, "--uid=") && (v = parse_u(a + 6, 0xfffffffe)) >= 0) {
                        s->uid = v;
                        s->set_ids = 1;
                } else if (sprefix(a, "--gid=") && (v = parse_u(a + 6, 0xfffffffe)) >= 0)
                        s->gid = v;
                else if (sprefix(a, "--groups=")) {
                        char num[16];
                        const char *p = a + 9;

                        while (*p) {
                                size_t k = 0;
                                while (*p && *p != ',' && k < sizeof(num) - 1)
                                        num[k++] = *p++;
                                num[k] = 0;
                                if (*p == ',')
                                        p++;
                                v = parse_u(num, 0xfffffffe);
                                if (v < 0 || s->n_groups >= GROUPS_MAX)
                                        return -1;
                                s->groups[s->n_groups++] = (uint32_t) v;
                        }
                } else if (sprefix(a, "--seccomp=") && a[10])
                        s->seccomp = a + 10;
                else if (sprefix(a, "--wait-fd=") && (v = parse_u(a + 10, 1023)) > 2)
                        s->wait_fd = (int) v;
                else if (sprefix(a, "--env-fd=") && (v = parse_u(a + 9, 1023)) > 2)
                        s->env_fd = (int) v;
                else
                        return -1;
        }
        if (i >= argc)
                return -1;
        s->cmd = argv + i;
        return 0;
}

static const char *env_get(char **envp, const char *key) {
        size_t k = slen(key);

        for (; envp && *envp; envp++)
                if (sprefix(*envp, key) && (*envp)[k] == '=')
                        return *envp + k + 1;
        return NULL;
}

/* execvp(): a name without '/' is looked up in PATH (the job's, else the default). */
static int exec_search(Setup *s) {
        const char *file = s->cmd[0], *path, *p;
        char buf[PATH_BUF];
        int r, seen_eacces = 0;

        for (p = file; *p; p++)
                if (*p == '/')
                        return (int) sys(SYS_execve, file, s->cmd, s->envp);

        path = env_get(s->envp, "PATH") ?: "/usr/local/bin:/usr/bin:/bin";
        for (p = path;; p++) {
                const char *start = p;
                size_t dl, fl = slen(file);

                while (*p && *p != ':')
                        p++;
                dl = (size_t) (p - start);
                if (dl + fl + 2 <= sizeof(buf)) {
                        memcpy(buf, dl ? start : ".", dl ? dl : 1);
                        dl = dl ? dl : 1;
                        buf[dl] = '/';
                        memcpy(buf + dl + 1, file, fl + 1);
                        r = (int) sys(SYS_execve, buf, s->cmd, s->envp);
                        if (r == -EACCES)
                                seen_eacces = 1;
                        else if (r != -ENOENT && r != -ENOTDIR)
                                return r;
                }
                if (!*p)
                        break;
        }
        return seen_eacces ? -EACCES : -ENOENT;
}

/* The child, on its own stack, in our memory until it execs. Errors go back through s. */
static int child_main(void *arg) {
        Setup *s = arg;
        struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } dfl = {};
        struct { uint64_t rlim_cur, rlim_max; } rl;
        unsigned long none = 0;
        int r;

        for (int sig = 1; sig <= 64; sig++)
                (void) sys6(SYS_rt_sigaction, sig, (long) &dfl, 0, 8, 0, 0);
        (void) sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long) &none, 0, 8, 0, 0);

        /* The order and why: the top of jobd-exec.c. */
        if ((r = (int) sys(SYS_setsid, 0, 0, 0)) < 0) {
                s->stage = "setsid";
                goto fail;
        }
        if (sys(SYS_close_range, 3, ~0U, 0) < 0)
                for (int fd = 3; fd < 3 + HELPER_FDS_MAX; fd++)
                        (void) sys(SYS_close, fd, 0, 0);
        if (s->set_ids &&
            ((r = (int) sys(SYS_setgroups, s->n_groups, s->groups, 0)) < 0 ||
             (r = (int) sys(SYS_setresgid, s->gid, s->gid, s->gid)) < 0 ||
             (r = (int) sys(SYS_setresuid, s->uid, s->uid, s->uid)) < 0)) {
                s->stage = "credentials";
                goto fail;
        }
        if (s->chdir && (r = (int) sys(SYS_chdir, s->chdir, 0, 0)) < 0) {
                s->stage = "chdir";
                goto fail;
        }
        if (sys6(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long) &rl, 0, 0) >= 0 && rl.rlim_cur > NOFILE_SOFT) {
                rl.rlim_cur = NOFILE_SOFT;
                (void) sys6(SYS_prlimit64, 0, RLIMIT_NOFILE, (long) &rl, 0, 0, 0);
        }
        if (s->filter.len > 0 &&
            ((r = (int) sys6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)) < 0 ||
             (r = (int) sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &s->filter)) < 0)) {
                s->stage = "seccomp";
                goto fail;
        }
        r = exec_search(s);
        s->stage = "exec";
fail:
        s->error = -r;
        return 127;
}

static uint8_t child_stack[32768] __attribute__((aligned(64)));

/* The daemon's compiled SystemCallFilter, from the state folder. */
static long load_filter(Setup *s) {
        static struct sock_filter prog[SECCOMP_INSNS_MAX + 1];
        size_t n = 0;
        long fd, k;

        fd = sys6(SYS_openat, EXEC_STATE_FD, (long) s->seccomp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0, 0, 0);
        if (fd < 0)
                return fd;
        for (;;) {
                k = sys(SYS_read, fd, (char *) prog + n, sizeof(prog) - n);
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
        (void) sys(SYS_close, fd, 0, 0);
        if (k < 0)
                return k;
        if (n == 0 || n % sizeof(struct sock_filter) != 0)
                return -EBADMSG;
        s->filter.len = (unsigned short) (n / sizeof(struct sock_filter));
        s->filter.filter = prog;
        return 0;
}

/* The job's environment from the daemon's memfd (exec-env.h). */
static long load_env(Setup *s) {
        static char buf[EXEC_ENV_BYTES_MAX + 1];
        static char *envp[EXEC_ENV_ENTRIES_MAX + 1];
        size_t n = 0;
        long k;

        for (;;) {
                k = sys6(SYS_pread64, s->env_fd, (long) (buf + n), (long) (sizeof(buf) - n), (long) n, 0, 0);
                if (k == -EINTR)
                        continue;
                if (k < 0)
                        return k;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n >= sizeof(buf))
                        return -E2BIG;
        }
        k = exec_env_split(buf, n, envp, EXEC_ENV_ENTRIES_MAX);
        if (k < 0)
                return k;
        s->envp = envp;
        return 0;
}

static void write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                long k = sys(SYS_write, fd, s, n);
                if (k == -EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

static void record(const Buf *b) {
        long fd;

        /* One write() to a fresh file, as jobd-exec.c does (see there for why no rename()). */
        fd = sys6(SYS_openat, EXEC_STATE_FD, (long) EXEC_STATUS_FILE,
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644, 0, 0);
        if (fd < 0)
                return;
        write_all((int) fd, b->s, b->n);
        (void) sys(SYS_close, fd, 0, 0);
}

static int run(int argc, char **argv) {
        static const int ignored[] = {
                SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU,
        };
        struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } ign = {
                .handler = (void *) SIG_IGN,
        };
        /* Our own environment is ignored: the job's comes with --env-fd (exec-env.h). */
        static char *empty_env[] = { NULL };
        static Setup s;
        Buf b = {};
        long pid, r;
        int status = 0;

        s.wait_fd = s.env_fd = -1;
        s.envp = empty_env;
        if (parse_args(argc, argv, &s) < 0) {
                static const char msg[] = "jobd-exec: invalid arguments (this program is started by jobd).\n";
                write_all(2, msg, sizeof(msg) - 1);
                return 127;
        }
        if (s.wait_fd >= 0) {
                char c;
                do
                        r = sys(SYS_read, s.wait_fd, &c, 1);
                while (r == -EINTR);
                if (r != 1)
                        return 127;    /* the daemon gave the job up before it was placed */
        }
        if (sys(SYS_fcntl, EXEC_STATE_FD, F_GETFD, 0) < 0) {
                static const char msg[] = "jobd-exec: no state folder at fd 3\n";
                write_all(2, msg, sizeof(msg) - 1);
                return 127;
        }
        for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
                (void) sys6(SYS_rt_sigaction, ignored[i], (long) &ign, 0, 8, 0, 0);
        if (s.seccomp && (r = load_filter(&s)) < 0) {
                static const char msg[] = "jobd-exec: cannot read the system call filter\n";
                write_all(2, msg, sizeof(msg) - 1);
                put(&b, "setup-failed ");
                put_int(&b, -r);
                put(&b, " seccomp pid 0\n");
                record(&b);
                return 127;
        }
        if (s.env_fd >= 0) {
                if ((r = load_env(&s)) < 0) {
                        static const char msg[] = "jobd-exec: cannot read the job's environment\n";
                        write_all(2, msg, sizeof(msg) - 1);
                        put(&b, "setup-failed ");
                        put_int(&b, -r);
                        put(&b, " env pid 0\n");
                        record(&b);
                        return 127;
                }
                (void) sys(SYS_close, s.env_fd, 0, 0);
                s.env_fd = -1;
        }

        /* We resume once the child has exec'd or exited. */
        pid = clone_on_stack(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
                             (long) (child_stack + sizeof(child_stack)), child_main, &s);
        if (pid < 0) {
                put(&b, "setup-failed ");
                put_int(&b, -pid);
                put(&b, " fork pid 0\n");
                record(&b);
                return 127;
        }
        do
                r = sys6(SYS_wait4, pid, (long) &status, 0, 0, 0, 0);
        while (r == -EINTR);
        if (r < 0)
                return 127;

        if (s.error != 0) {
                Buf e = {};
                const char *name = errno_name(s.error);

                put(&b, "setup-failed ");
                put_int(&b, s.error);
                put(&b, " ");
                put(&b, (const char *) s.stage);
                put(&b, " pid ");
                put_int(&b, pid);
                put(&b, "\n");
                put(&e, "jobd-exec: ");
                put(&e, (const char *) s.stage);
                put(&e, " ");
                put(&e, seq((const char *) s.stage, "chdir") ? s.chdir : s.cmd[0]);
                put(&e, ": ");
                if (name)
                        put(&e, name);
                else {
                        put(&e, "error ");
                        put_int(&e, s.error);
                }
                put(&e, "\n");
                write_all(2, e.s, e.n);
        } else if (WIFSIGNALED(status)) {
                put(&b, "signaled ");
                put_int(&b, WTERMSIG(status));
                put(&b, " pid ");
                put_int(&b, pid);
                put(&b, "\n");
        } else {
                put(&b, "exited ");
                put_int(&b, WEXITSTATUS(status));
                put(&b, " pid ");
                put_int(&b, pid);
                put(&b, "\n");
        }
        record(&b);

        if (s.wait_fd >= 0) {
                char c;

                /* SIGPIPE is ignored: a daemon that is gone gives EPIPE, then EOF. */
                if (sys(SYS_write, s.wait_fd, "d", 1) == 1)
                        while (sys(SYS_read, s.wait_fd, &c, 1) == -EINTR)
                                ;
                (void) sys(SYS_close, s.wait_fd, 0, 0);
        }

        if (s.error != 0)
                return 127;
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

/* The kernel's entry: argc, argv..., NULL, envp..., NULL on the stack (envp ignored, see run()). */
__attribute__((used)) static void start_c(long *sp) {
        int argc = (int) sp[0];
        char **argv = (char **) (sp + 1);

        sys_exit(run(argc, argv));
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "        xor %rbp, %rbp\n"
        "        mov %rsp, %rdi\n"
        "        and $-16, %rsp\n"
        "        call start_c\n"
        "        hlt\n");
