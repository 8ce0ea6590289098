/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system calls jobd-exec makes, and nothing else: jobd-exec.c, the helper's one source, is written
 * against this and calls no C library function. Two implementations:
 *
 *   exec-sys-nolibc.c  raw system calls, no C library, its own _start (x86-64: the helper installed there;
 *                      why without the C library: the top of that file);
 *   exec-sys-libc.c    the C library's wrappers and main() (every other architecture; on x86-64 built too,
 *                      as jobd-exec-libc, so that the tests hold both to the same contract).
 *
 * Every call returns what the kernel returns: a value >= 0, or -errno (never errno, never -1). Only the C
 * library's headers are used for types and constants: struct rlimit and gid_t have the kernel's layout on
 * the architectures the nolibc build exists for. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct rlimit;

/* The program (jobd-exec.c). The layer's entry point calls it with the kernel's argc and argv, never
 * reads the environment it was given (exec-env.h: why), and exits with what it returns. */
int exec_main(int argc, char **argv);

long sys_read(int fd, void *buf, size_t n);
long sys_pread(int fd, void *buf, size_t n, off_t offset);
long sys_write(int fd, const void *buf, size_t n);
int sys_openat(int dirfd, const char *path, int flags, mode_t mode);
int sys_close(int fd);
/* fcntl(fd, F_GETFD): whether fd is open. */
int sys_fd_check(int fd);
/* close_range(first, last, 0); -ENOSYS before Linux 5.9. */
int sys_close_range(unsigned first, unsigned last);
/* dup3(): newfd without close-on-exec. */
int sys_dup3(int oldfd, int newfd);

/* sig's disposition: SIG_IGN if ignore, else SIG_DFL (the helper installs no handler). */
int sys_signal_set(int sig, bool ignore);
/* Blocks every signal (but SIGKILL and SIGSTOP, which cannot be), 32 and 33 too, which the C library
 * keeps out of a sigfillset(). */
int sys_sigmask_block_all(void);
/* Waits until a signal is pending, takes it off the queue and returns its number (rt_sigtimedwait() on
 * every signal, which must be blocked), or -errno. */
int sys_sigwait_any(void);
/* Unblocks every signal. */
int sys_sigmask_clear(void);

int sys_setsid(void);
int sys_setgroups(size_t n, const gid_t *groups);
int sys_setresgid(gid_t rgid, gid_t egid, gid_t sgid);
int sys_setresuid(uid_t ruid, uid_t euid, uid_t suid);
int sys_chdir(const char *path);
/* prlimit(0, ...): this process. */
int sys_prlimit(int resource, const struct rlimit *new_limit, struct rlimit *old_limit);
int sys_prctl(int option, unsigned long arg2);
int sys_seccomp(unsigned op, unsigned flags, const void *args);
int sys_execve(const char *path, char *const *argv, char *const *envp);

/* vfork() with a function: the child shares our memory and runs fn(arg) (on its own stack where the
 * layer can give it one), then exits with its return value unless it exec'd. The caller does nothing but
 * wait4() for it before it reads what the child wrote: the nolibc layer does not suspend us until the
 * child has exec'd (CLONE_VM without CLONE_VFORK: one sleep and wake-up less per job), the libc one does
 * (vfork()). Returns the child's pid, or -errno. */
pid_t sys_spawn(int (*fn)(void *), void *arg);
/* wait4(pid, status, options, NULL). */
pid_t sys_wait4(pid_t pid, int *status, int options);

/* A message for error, or NULL where the layer has none (the nolibc one knows the errors a job's setup
 * usually meets). */
const char *sys_strerror(int error);
