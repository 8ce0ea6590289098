/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobd-exec's command line (exec-args.h): the input is the arguments, each ended by a NUL (a last one
 * without is taken whole). Whatever the parser accepts must be inside the grammar's bounds, and what it
 * accepts must parse the same again from a command line written back with exec-args.h's names.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec-args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGS_MAX 256

static void check_bounds(const ExecArgs *a, char **argv, int argc) {
        if (a->n_groups > USER_GROUPS_MAX)
                abort();
        if (a->wait_fd != -1 && (a->wait_fd < 3 || a->wait_fd > EXEC_FD_MAX))
                abort();
        if (a->env_fd != -1 && (a->env_fd < 3 || a->env_fd > EXEC_FD_MAX))
                abort();
        if (a->set_ids && (a->uid > EXEC_ID_MAX || a->gid > EXEC_ID_MAX))
                abort();
        if (!a->cmd || a->cmd < argv + 1 || a->cmd >= argv + argc || !a->cmd[0])
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *argv[ARGS_MAX + 2], *again[ARGS_MAX + 8], *copy, buf[6][64], *groups;
        char *chdir_arg = NULL, *seccomp_arg = NULL;
        ExecArgs a, b;
        int argc = 1, n = 1;

        if (size > 64 * 1024)
                return 0;
        copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = 0;
        argv[0] = (char *) "jobd-exec";
        for (size_t i = 0; i < size && argc < ARGS_MAX;) {
                argv[argc++] = copy + i;
                i += strlen(copy + i) + 1;
        }
        argv[argc] = NULL;

        if (exec_args_parse(argc, argv, &a) < 0) {
                free(copy);
                return 0;
        }
        check_bounds(&a, argv, argc);

        /* Written back as core/job.c writes it, it reads the same. */
        groups = malloc(a.n_groups * 11 + 16);
        if (!groups)
                abort();
        again[0] = (char *) "jobd-exec";
        if (a.chdir) {
                char *s = malloc(strlen(a.chdir) + sizeof(EXEC_ARG_CHDIR));
                if (!s)
                        abort();
                again[n++] = chdir_arg = strcat(strcpy(s, EXEC_ARG_CHDIR), a.chdir);
        }
        if (a.set_ids) {
                char *p = groups;

                snprintf(buf[0], sizeof(buf[0]), EXEC_ARG_UID "%u", (unsigned) a.uid);
                snprintf(buf[1], sizeof(buf[1]), EXEC_ARG_GID "%u", (unsigned) a.gid);
                again[n++] = buf[0];
                again[n++] = buf[1];
                p += sprintf(p, EXEC_ARG_GROUPS);
                for (size_t i = 0; i < a.n_groups; i++)
                        p += sprintf(p, "%s%u", i > 0 ? "," : "", (unsigned) a.groups[i]);
                if (a.n_groups > 0)
                        again[n++] = groups;
        }
        if (a.seccomp) {
                char *s = malloc(strlen(a.seccomp) + sizeof(EXEC_ARG_SECCOMP));
                if (!s)
                        abort();
                again[n++] = seccomp_arg = strcat(strcpy(s, EXEC_ARG_SECCOMP), a.seccomp);
        }
        if (a.wait_fd >= 0) {
                snprintf(buf[2], sizeof(buf[2]), EXEC_ARG_WAIT_FD "%d", a.wait_fd);
                again[n++] = buf[2];
        }
        if (a.env_fd >= 0) {
                snprintf(buf[3], sizeof(buf[3]), EXEC_ARG_ENV_FD "%d", a.env_fd);
                again[n++] = buf[3];
        }
        again[n++] = (char *) "--";
        again[n++] = a.cmd[0];
        again[n] = NULL;
        if (exec_args_parse(n, again, &b) < 0)
                abort();
        if (!a.set_ids)
                a.gid = b.gid = 0, a.n_groups = b.n_groups = 0;   /* --gid/--groups count only with --uid */
        if (a.set_ids != b.set_ids || a.uid != b.uid || a.gid != b.gid || a.n_groups != b.n_groups ||
            memcmp(a.groups, b.groups, a.n_groups * sizeof(gid_t)) != 0 || a.wait_fd != b.wait_fd ||
            a.env_fd != b.env_fd || strcmp(a.cmd[0], b.cmd[0]) != 0 ||
            (a.chdir == NULL) != (b.chdir == NULL) || (a.chdir && strcmp(a.chdir, b.chdir) != 0) ||
            (a.seccomp == NULL) != (b.seccomp == NULL) || (a.seccomp && strcmp(a.seccomp, b.seccomp) != 0))
                abort();
        free(chdir_arg);
        free(seccomp_arg);
        free(groups);
        free(copy);
        return 0;
}
