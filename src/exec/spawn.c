/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone-on-stack.h"
#include "fd-util.h"
#include "macro.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

typedef struct ChildArgs {
        const SpawnParams *p;
        int procs_fd;          /* v2 cgroup.procs when joining by write, else -1 */
        int error;             /* written by the child (shared memory), read by the parent */
} ChildArgs;

/* The child runs on its own stack inside the parent's memory until it execs: everything it needs is
 * prepared by the parent, it calls only raw system calls (async-signal-safe, not intercepted by the
 * sanitizers), and it reports an error through ChildArgs.error. */
__attribute__((no_sanitize_address, noinline))
static int child_main(void *arg) {
        ChildArgs *c = arg;
        const SpawnParams *p = c->p;
        int moved[SPAWN_FDS_MAX];
        sigset_t empty;
        long r;

        if (c->procs_fd >= 0 && syscall(SYS_write, c->procs_fd, "0", 1) != 1)
                goto fail;
        for (unsigned i = 0; i < p->n_attach_fds; i++)
                if (syscall(SYS_write, p->attach_fds[i], "0", 1) != 1)
                        goto fail;

        /* Move every fd out of 0..n-1 first, so no dup3() below clobbers a source still needed. */
        for (int i = 0; i < p->n_fds; i++) {
                int fd = p->fds[i];

                if (fd < 0) {
                        fd = (int) syscall(SYS_openat, AT_FDCWD, "/dev/null",
                                           (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
                        if (fd < 0)
                                goto fail;
                }
                if (fd < p->n_fds) {
                        fd = (int) syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, p->n_fds);
                        if (fd < 0)
                                goto fail;
                }
                moved[i] = fd;
        }
        for (int i = 0; i < p->n_fds; i++)
                if (syscall(SYS_dup3, moved[i], i, 0) < 0)
                        goto fail;

        sigemptyset(&empty);
        if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, _NSIG / 8) < 0)
                goto fail;

        syscall(SYS_execve, p->path, p->argv, p->envp);
fail:
        r = errno;
        c->error = r > 0 ? (int) r : EIO;
        return 127;
}

/* 64 KiB is plenty for child_main(); one stack serves every spawn since CLONE_VFORK keeps the parent
 * suspended until the child no longer needs it. */
static uint8_t child_stack[65536] __attribute__((aligned(64)));


static int spawn_clone3(const SpawnParams *p, ChildArgs *c, pid_t *ret_pid, int *ret_pidfd) {
#if HAVE_CLONE_ON_STACK
        int pidfd = -1;
        struct clone_args args = {
                .flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP | (ret_pidfd ? CLONE_PIDFD : 0),
                .pidfd = ret_pidfd ? (uint64_t) (uintptr_t) &pidfd : 0,
                .exit_signal = SIGCHLD,
                .stack = (uint64_t) (uintptr_t) child_stack,
                .stack_size = sizeof(child_stack),
                .cgroup = (uint64_t) p->cgroup_fd,
        };
        long r;

        r = clone_on_stack(SYS_clone3, (long) &args, sizeof(args), child_main, c);
        if (r < 0)
                return (int) r;
        *ret_pid = (pid_t) r;
        if (ret_pidfd)
                *ret_pidfd = pidfd;
        return 0;
#else
        return -ENOSYS;
#endif
}

static int spawn_clone(const SpawnParams *p, ChildArgs *c, pid_t *ret_pid, int *ret_pidfd) {
        int pidfd = -1, r;

        if (p->cgroup_fd >= 0) {
                c->procs_fd = openat(p->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                if (c->procs_fd < 0)
                        return -errno;
        }
        r = clone(child_main, child_stack + sizeof(child_stack),
                  CLONE_VM | CLONE_VFORK | (ret_pidfd ? CLONE_PIDFD : 0) | SIGCHLD, c, ret_pidfd ? &pidfd : NULL);
        r = r < 0 ? -errno : r;
        c->procs_fd = safe_close(c->procs_fd);
        if (r < 0)
                return r;
        *ret_pid = r;
        if (ret_pidfd)
                *ret_pidfd = pidfd;
        return 0;
}

int spawn(const SpawnParams *p, pid_t *ret_pid, int *ret_pidfd) {
        static bool clone3_broken = false;
        ChildArgs c = { .p = p, .procs_fd = -1 };
        pid_t pid = 0;
        int pidfd = -1, r = -ENOSYS;

        if (p->n_fds > SPAWN_FDS_MAX)
                return -E2BIG;

        if (!clone3_broken && p->cgroup_fd >= 0) {
                r = spawn_clone3(p, &c, &pid, ret_pidfd ? &pidfd : NULL);
                /* Kernels before 5.7 know no CLONE_INTO_CGROUP, before 5.3 no clone3(). */
                if (r == -ENOSYS || r == -E2BIG || r == -EINVAL)
                        clone3_broken = true;
        }
        if (r == -ENOSYS || r == -E2BIG || r == -EINVAL)
                r = spawn_clone(p, &c, &pid, ret_pidfd ? &pidfd : NULL);
        if (r < 0)
                return r;

        if (c.error != 0) {
                /* The child has exited with 127: reaped here, nobody needs its status. */
                (void) waitid(P_PID, (id_t) pid, NULL, WEXITED);
                safe_close(pidfd);
                return -c.error;
        }
        *ret_pid = pid;
        if (ret_pidfd)
                *ret_pidfd = pidfd;
        return 0;
}
