/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jobd-exec's command line: the grammar and its bounds, in one place for the helper (jobd-exec.c, both
 * builds) and the daemon that writes it (core/job.c) and the unit test.
 *
 *   jobd-exec [--chdir=DIR] [--uid=UID --gid=GID [--groups=G,G,...]] [--seccomp=FILE] [--env-fd=N]
 *             [--wait-fd=N] [--jobserver-fds=R,W] -- COMMAND [ARG...]
 *
 * --jobserver-fds=R,W: the read and write ends of a GNU make jobserver (core/jobserver.h), both above
 * EXEC_JOBSERVER_WRITE_FD and distinct; the command gets them as fds EXEC_JOBSERVER_READ_FD and
 * EXEC_JOBSERVER_WRITE_FD, what MAKEFLAGS names.
 *
 * Ids are plain decimal, 0 to 4294967294 (4294967295 is "no change" to the kernel, never a job's id);
 * --groups is a list of such ids separated by single commas (a trailing one allowed), at most
 * USER_GROUPS_MAX of them (the same constant bounds what the daemon takes from the user database, so it
 * never builds a line the helper refuses); fds are 3 to EXEC_FD_MAX. --gid and --groups count only with
 * --uid. Anything else, or no "--" followed by a command, is refused.
 *
 * The parser is header-only and free of the C library, like exec_env_split(): the helper without the C
 * library compiles it too. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "user-util.h"

#define EXEC_ARG_CHDIR   "--chdir="
#define EXEC_ARG_UID     "--uid="
#define EXEC_ARG_GID     "--gid="
#define EXEC_ARG_GROUPS  "--groups="
#define EXEC_ARG_SECCOMP "--seccomp="
#define EXEC_ARG_WAIT_FD "--wait-fd="
#define EXEC_ARG_ENV_FD  "--env-fd="
#define EXEC_ARG_JOBSERVER_FDS "--jobserver-fds="

/* Where the command finds the jobserver's fds. */
#define EXEC_JOBSERVER_READ_FD  3
#define EXEC_JOBSERVER_WRITE_FD 4

/* The highest fd --wait-fd= and --env-fd= accept. */
#define EXEC_FD_MAX 1023
#define EXEC_ID_MAX 4294967294UL

typedef struct ExecArgs {
        const char *chdir;
        bool set_ids;
        uid_t uid;
        gid_t gid;
        gid_t groups[USER_GROUPS_MAX];
        size_t n_groups;
        const char *seccomp;
        int wait_fd;            /* -1 without */
        int env_fd;             /* -1 without */
        int jobserver_fds[2];   /* -1 without */
        char **cmd;             /* points into argv */
} ExecArgs;

/* If s starts with prefix, the rest of s; NULL otherwise. */
static inline const char *exec_arg_value(const char *s, const char *prefix) {
        for (; *prefix; s++, prefix++)
                if (*s != *prefix)
                        return NULL;
        return s;
}

/* Strict unsigned decimal from s up to (not including) end or its NUL, at most max; -1 on anything else. */
static inline long exec_arg_number(const char *s, char end, unsigned long max) {
        unsigned long v = 0;
        const char *p = s;

        for (; *p && *p != end; p++) {
                if (*p < '0' || *p > '9')
                        return -1;
                v = v * 10 + (unsigned long) (*p - '0');
                if (v > max)
                        return -1;
        }
        return p == s ? -1 : (long) v;
}

/* The number after prefix in arg, at most max; -1 if arg does not start with prefix or no such number
 * follows. */
static inline long exec_arg_number_of(const char *arg, const char *prefix, unsigned long max) {
        const char *v = exec_arg_value(arg, prefix);

        return v ? exec_arg_number(v, 0, max) : -1;
}

/* Parses argv[1..argc) into ret (every field set). Returns 0 or -EINVAL. */
static inline int exec_args_parse(int argc, char **argv, ExecArgs *ret) {
        ExecArgs a = { .wait_fd = -1, .env_fd = -1, .jobserver_fds = { -1, -1 } };
        const char *v;
        long n;
        int i;

        for (i = 1; i < argc; i++) {
                const char *arg = argv[i];

                if (arg[0] == '-' && arg[1] == '-' && arg[2] == 0) {
                        i++;
                        break;
                } else if ((v = exec_arg_value(arg, EXEC_ARG_CHDIR)))
                        a.chdir = v;
                else if ((n = exec_arg_number_of(arg, EXEC_ARG_UID, EXEC_ID_MAX)) >= 0) {
                        a.uid = (uid_t) n;
                        a.set_ids = true;
                } else if ((n = exec_arg_number_of(arg, EXEC_ARG_GID, EXEC_ID_MAX)) >= 0)
                        a.gid = (gid_t) n;
                else if ((v = exec_arg_value(arg, EXEC_ARG_GROUPS))) {
                        while (*v) {
                                n = exec_arg_number(v, ',', EXEC_ID_MAX);
                                if (n < 0 || a.n_groups >= USER_GROUPS_MAX)
                                        return -EINVAL;
                                a.groups[a.n_groups++] = (gid_t) n;
                                while (*v && *v != ',')
                                        v++;
                                if (*v == ',')
                                        v++;
                        }
                } else if ((v = exec_arg_value(arg, EXEC_ARG_SECCOMP)) && *v)
                        a.seccomp = v;
                else if ((n = exec_arg_number_of(arg, EXEC_ARG_WAIT_FD, EXEC_FD_MAX)) > 2)
                        a.wait_fd = (int) n;
                else if ((n = exec_arg_number_of(arg, EXEC_ARG_ENV_FD, EXEC_FD_MAX)) > 2)
                        a.env_fd = (int) n;
                else if ((v = exec_arg_value(arg, EXEC_ARG_JOBSERVER_FDS))) {
                        long w;

                        n = exec_arg_number(v, ',', EXEC_FD_MAX);
                        while (*v && *v != ',')
                                v++;
                        w = *v == ',' ? exec_arg_number(v + 1, 0, EXEC_FD_MAX) : -1;
                        if (n <= EXEC_JOBSERVER_WRITE_FD || w <= EXEC_JOBSERVER_WRITE_FD || n == w)
                                return -EINVAL;
                        a.jobserver_fds[0] = (int) n;
                        a.jobserver_fds[1] = (int) w;
                }
                else
                        return -EINVAL;
        }
        if (i >= argc)
                return -EINVAL;
        a.cmd = argv + i;
        *ret = a;
        return 0;
}
