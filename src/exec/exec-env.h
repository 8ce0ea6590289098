/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How the daemon hands a job's environment to jobd-exec: as data, never as the helper's own environment.
 * The helper starts as root; a dynamically linked one (the C library's, sanitizer builds, architectures
 * other than x86-64) would honour LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH, MALLOC_* ... chosen by the
 * submitter before its main() ran. So it is exec'd with an empty environment, and the job's environment
 * comes in a memfd (--env-fd=N) that holds every "NAME=VALUE" entry followed by a NUL, back to back; the
 * helper gives it to the command's execve() only.
 *
 * The parser is header-only and free of the C library (constants only): both builds of the helper
 * (jobd-exec.c over exec-sys-nolibc.c or exec-sys-libc.c) use it, and so does the unit test. */

#include <errno.h>
#include <stddef.h>

/* Bounds of the block the helper accepts. The Submit spec allows far less (JOB_ENV_MAX entries,
 * JOB_ENV_BYTES_MAX bytes, job-spec.h); the daemon adds a few variables of its own. */
#define EXEC_ENV_ENTRIES_MAX 8192U
#define EXEC_ENV_BYTES_MAX   (1024U * 1024U)

/* Splits the block buf[0..n) into envp, which has room for max + 1 pointers; envp[count] is NULL and the
 * pointers point into buf. Returns the number of entries (0 for n == 0); -E2BIG for more than
 * EXEC_ENV_BYTES_MAX bytes or more than max entries; -EBADMSG if the block does not end in a NUL or an
 * entry has no '=' after a non-empty name. */
static inline int exec_env_split(char *buf, size_t n, char **envp, size_t max) {
        size_t count = 0, i = 0;

        if (n > EXEC_ENV_BYTES_MAX)
                return -E2BIG;
        if (n > 0 && buf[n - 1] != 0)
                return -EBADMSG;
        while (i < n) {
                size_t start = i, eq = 0;

                for (; buf[i] != 0; i++)
                        if (buf[i] == '=' && eq == 0)
                                eq = i;
                if (eq <= start)    /* no '=', or an empty name */
                        return -EBADMSG;
                if (count >= max)
                        return -E2BIG;
                envp[count++] = buf + start;
                i++;
        }
        envp[count] = NULL;
        return (int) count;
}

/* The daemon's side (exec-env.c, C library). exec_env_pack(): the block for env, in a new buffer the
 * caller frees; -E2BIG past the bounds above. exec_env_memfd(): that block in a new memfd (close-on-exec,
 * to be passed to the helper at --env-fd=), or -errno. */
int exec_env_pack(char *const *env, char **ret, size_t *ret_size);
int exec_env_memfd(char *const *env);
