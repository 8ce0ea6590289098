/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-sys.h on the C library: jobd-exec on every architecture but x86-64 (there: jobd-exec-libc, for the
 * tests). The wrappers' errno becomes the return value. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec-sys.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* A wrapper's result as exec-sys.h returns it: -errno instead of -1. */
static inline long ret_errno(long r) {
        return r < 0 ? -errno : r;
}

long sys_read(int fd, void *buf, size_t n) {
        return ret_errno(read(fd, buf, n));
}

long sys_pread(int fd, void *buf, size_t n, off_t offset) {
        return ret_errno(pread(fd, buf, n, offset));
}

long sys_write(int fd, const void *buf, size_t n) {
        return ret_errno(write(fd, buf, n));
}

int sys_openat(int dirfd, const char *path, int flags, mode_t mode) {
        return (int) ret_errno(openat(dirfd, path, flags, mode));
}

int sys_close(int fd) {
        return (int) ret_errno(close(fd));
}

int sys_fd_check(int fd) {
        return (int) ret_errno(fcntl(fd, F_GETFD));
}

int sys_close_range(unsigned first, unsigned last) {
        /* syscall(): the C library's close_range() wrapper is younger than some we build with. */
        return (int) ret_errno(syscall(SYS_close_range, first, last, 0U));
}

int sys_dup3(int oldfd, int newfd) {
        return (int) ret_errno(dup3(oldfd, newfd, 0));
}

int sys_signal_set(int sig, bool ignore) {
        struct sigaction sa = { .sa_handler = ignore ? SIG_IGN : SIG_DFL };

        return (int) ret_errno(sigaction(sig, &sa, NULL));
}

/* The system calls, not sigprocmask() and sigwaitinfo(): the C library would leave out the signals it
 * keeps for itself (32 and 33 with glibc), and a job may be sent those too. The helper has one thread.
 * The kernel's sigset is _NSIG bits (64, 128 on MIPS), as for the daemon's spawn(). */
int sys_sigmask_block_all(void) {
        uint8_t all[_NSIG / 8];

        memset(all, 0xff, sizeof(all));
        return (int) ret_errno(syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, NULL, sizeof(all)));
}

int sys_sigwait_any(void) {
        uint8_t all[_NSIG / 8];

        memset(all, 0xff, sizeof(all));
        return (int) ret_errno(syscall(SYS_rt_sigtimedwait, all, NULL, NULL, sizeof(all)));
}

int sys_sigmask_clear(void) {
        sigset_t none;

        sigemptyset(&none);
        return (int) ret_errno(sigprocmask(SIG_SETMASK, &none, NULL));
}

int sys_setsid(void) {
        return (int) ret_errno(setsid());
}

int sys_setgroups(size_t n, const gid_t *groups) {
        return (int) ret_errno(setgroups(n, groups));
}

int sys_setresgid(gid_t rgid, gid_t egid, gid_t sgid) {
        return (int) ret_errno(setresgid(rgid, egid, sgid));
}

int sys_setresuid(uid_t ruid, uid_t euid, uid_t suid) {
        return (int) ret_errno(setresuid(ruid, euid, suid));
}

int sys_chdir(const char *path) {
        return (int) ret_errno(chdir(path));
}

int sys_prlimit(int resource, const struct rlimit *new_limit, struct rlimit *old_limit) {
        return (int) ret_errno(prlimit(0, resource, new_limit, old_limit));
}

int sys_prctl(int option, unsigned long arg2) {
        return (int) ret_errno(prctl(option, arg2, 0UL, 0UL, 0UL));
}

int sys_seccomp(unsigned op, unsigned flags, const void *args) {
        return (int) ret_errno(syscall(SYS_seccomp, op, flags, args));
}

int sys_execve(const char *path, char *const *argv, char *const *envp) {
        return (int) ret_errno(execve(path, argv, envp));
}

pid_t sys_spawn(int (*fn)(void *), void *arg) {
        pid_t pid;

        /* vfork(): no copy of our page tables. The child never returns from here: it execs or _exit()s. */
        pid = vfork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(fn(arg));
        return pid;
}

pid_t sys_wait4(pid_t pid, int *status, int options) {
        return (int) ret_errno(wait4(pid, status, options, NULL));
}

const char *sys_strerror(int error) {
        return strerror(error);
}

/* The environment main() is given is never read: exec-env.h. */
int main(int argc, char **argv) {
        return exec_main(argc, argv);
}
