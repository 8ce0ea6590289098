/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exec-sys.h on raw system calls, without the C library: x86-64, the jobd-exec installed there.
 *
 * Why without the C library: the helper is exec'd once per job, and glibc's start-up probes the CPU with
 * cpuid before main() (init_cpu_features, cache sizes). In a virtual machine every cpuid is a trap to the
 * hypervisor: measured here, a static glibc program that does nothing costs 440 µs of CPU per exec, one
 * without glibc 100 µs — a fifth of all the CPU a short job costs. So jobd-exec.c and this file are built
 * with -nostdlib; the C library's headers give constants and types only.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "clone-on-stack.h"
#include "exec-sys.h"

#if !HAVE_CLONE_ON_STACK
#error "exec-sys-nolibc.c is for x86-64 only; other architectures build exec-sys-libc.c"
#endif

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

/* The kernel's struct sigaction (not the C library's: no sa_restorer is needed for SIG_IGN/SIG_DFL). */
typedef struct KernelSigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        unsigned long mask;
} KernelSigaction;

long sys_read(int fd, void *buf, size_t n) {
        return sys(SYS_read, fd, buf, n);
}

long sys_pread(int fd, void *buf, size_t n, off_t offset) {
        return sys6(SYS_pread64, fd, (long) buf, (long) n, (long) offset, 0, 0);
}

long sys_write(int fd, const void *buf, size_t n) {
        return sys(SYS_write, fd, buf, n);
}

int sys_openat(int dirfd, const char *path, int flags, mode_t mode) {
        return (int) sys6(SYS_openat, dirfd, (long) path, flags, (long) mode, 0, 0);
}

int sys_close(int fd) {
        return (int) sys(SYS_close, fd, 0, 0);
}

int sys_fd_check(int fd) {
        return (int) sys(SYS_fcntl, fd, F_GETFD, 0);
}

int sys_close_range(unsigned first, unsigned last) {
        return (int) sys(SYS_close_range, first, last, 0);
}

int sys_dup3(int oldfd, int newfd) {
        return (int) sys(SYS_dup3, oldfd, newfd, 0);
}

int sys_signal_set(int sig, bool ignore) {
        KernelSigaction sa = { .handler = ignore ? (void *) SIG_IGN : (void *) SIG_DFL };

        return (int) sys6(SYS_rt_sigaction, sig, (long) &sa, 0, sizeof(sa.mask), 0, 0);
}

int sys_sigmask_block_all(void) {
        unsigned long all = ~0UL;       /* the kernel leaves SIGKILL and SIGSTOP out */

        return (int) sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long) &all, 0, sizeof(all), 0, 0);
}

int sys_sigwait_any(void) {
        unsigned long all = ~0UL;

        return (int) sys6(SYS_rt_sigtimedwait, (long) &all, 0, 0, sizeof(all), 0, 0);
}

int sys_sigmask_clear(void) {
        unsigned long none = 0;

        return (int) sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long) &none, 0, sizeof(none), 0, 0);
}

int sys_setsid(void) {
        return (int) sys(SYS_setsid, 0, 0, 0);
}

int sys_setgroups(size_t n, const gid_t *groups) {
        return (int) sys(SYS_setgroups, n, groups, 0);
}

int sys_setresgid(gid_t rgid, gid_t egid, gid_t sgid) {
        return (int) sys(SYS_setresgid, rgid, egid, sgid);
}

int sys_setresuid(uid_t ruid, uid_t euid, uid_t suid) {
        return (int) sys(SYS_setresuid, ruid, euid, suid);
}

int sys_chdir(const char *path) {
        return (int) sys(SYS_chdir, path, 0, 0);
}

/* struct rlimit of the C library's headers is the kernel's struct rlimit64 here (two 64-bit words). */
_Static_assert(sizeof(struct rlimit) == 2 * sizeof(uint64_t), "struct rlimit is not rlimit64");

int sys_prlimit(int resource, const struct rlimit *new_limit, struct rlimit *old_limit) {
        return (int) sys6(SYS_prlimit64, 0, resource, (long) new_limit, (long) old_limit, 0, 0);
}

int sys_prctl(int option, unsigned long arg2) {
        return (int) sys6(SYS_prctl, option, (long) arg2, 0, 0, 0, 0);
}

int sys_seccomp(unsigned op, unsigned flags, const void *args) {
        return (int) sys(SYS_seccomp, op, flags, args);
}

int sys_execve(const char *path, char *const *argv, char *const *envp) {
        return (int) sys(SYS_execve, path, argv, envp);
}

/* The child's stack: it must not run on ours (it shares our memory and would return through our frames).
 * One child per helper, so one static stack.
 *
 * No CLONE_VFORK: we would wake once the child has exec'd only to go to sleep in wait4() at once. Both
 * run at the same time in the same memory until the child execs, which is safe as the caller only waits
 * (exec-sys.h): we write nothing the child reads, it writes only its error, read after wait4(), and
 * neither has a signal handler that could run on the other's stack (none is installed; we block all). */
static uint8_t child_stack[32768] __attribute__((aligned(64)));

pid_t sys_spawn(int (*fn)(void *), void *arg) {
        return (pid_t) clone_on_stack(SYS_clone, CLONE_VM | SIGCHLD,
                                      (long) (child_stack + sizeof(child_stack)), fn, arg);
}

pid_t sys_wait4(pid_t pid, int *status, int options) {
        return (pid_t) sys6(SYS_wait4, pid, (long) status, options, 0, 0, 0);
}

const char *sys_strerror(int e) {
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
        case EBADF: return "Bad file descriptor";
        case EBADMSG: return "Bad message";
        case EFBIG: return "File too large";
        default: return NULL;
        }
}

/* The kernel's entry: argc, argv..., NULL, envp..., NULL on the stack (envp ignored: exec-env.h). */
__attribute__((used, noreturn)) static void start_c(long *sp) {
        int argc = (int) sp[0];
        char **argv = (char **) (sp + 1);
        int r = exec_main(argc, argv);

        for (;;)
                sys(SYS_exit_group, r, 0, 0);
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "        xor %rbp, %rbp\n"
        "        mov %rsp, %rdi\n"
        "        and $-16, %rsp\n"
        "        call start_c\n"
        "        hlt\n");
