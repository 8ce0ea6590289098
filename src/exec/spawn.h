/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#define SPAWN_FDS_MAX 8

typedef struct SpawnParams {
        const char *path;             /* executable, absolute */
        char *const *argv;
        char *const *envp;
        const int *fds;               /* become fds 0..n_fds-1 of the child; < 0: /dev/null */
        int n_fds;
        int cgroup_fd;                /* cgroup v2 directory the child starts in; < 0: the daemon's */
        const int *attach_fds;        /* further cgroup.procs files (v1) the child joins before exec */
        unsigned n_attach_fds;
} SpawnParams;

/* Starts p->path in a new process that is in its cgroup from its first instruction (clone3 with
 * CLONE_INTO_CGROUP; on kernels or architectures without it the child joins by writing cgroup.procs
 * before exec). The parent is suspended until the child has exec'd (CLONE_VFORK) and shares no copy of
 * its memory (CLONE_VM), so the cost does not grow with the daemon's size. The caller must hold
 * SIGCHLD blocked or handled; the child starts with an empty signal mask.
 * Returns 0 and the pid and a pidfd, or -errno; an exec failure is returned as that errno. ret_pidfd may
 * be NULL: then no pidfd is made (the caller watches the pid some other way). */
int spawn(const SpawnParams *p, pid_t *ret_pid, int *ret_pidfd);
