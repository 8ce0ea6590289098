/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cgroup-util.h"
#include "fd-util.h"

int backend_job_new(Backend *b, uint64_t id, BackendJob **ret) {
        BackendJob *j;

        j = calloc(1, sizeof(BackendJob));
        if (!j)
                return -ENOMEM;
        j->backend = b;
        j->id = id;
        j->attempt = 1;
        j->cgroup_fd = -EBADF;
        for (unsigned i = 0; i < BACKEND_ATTACH_MAX; i++)
                j->attach_fds[i] = -EBADF;
        *ret = j;
        return 0;
}

int backend_job_adopt(Backend *b, uint64_t id, const char *cgroup_path, BackendJob **ret) {
        _cleanup_free_ char *mount = NULL, *dir = NULL;
        BackendJob *j;
        int r;

        r = cg_find_unified_mount(&mount);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s%s", mount, cgroup_path) < 0)
                return -ENOMEM;
        r = backend_job_new(b, id, &j);
        if (r < 0)
                return r;
        j->cgroup_fd = open(dir, O_DIRECTORY | O_CLOEXEC);
        if (j->cgroup_fd < 0) {
                r = -errno;
                backend_job_free(j);
                return r;
        }
        j->cgroup_path = strdup(cgroup_path);
        if (!j->cgroup_path || asprintf(&j->cgroup_events_path, "%s/cgroup.events", dir) < 0) {
                backend_job_free(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

BackendJob *backend_job_free(BackendJob *j) {
        if (!j)
                return NULL;
        if (j->cgroup_fd >= 0 || j->data)
                (void) j->backend->ops->job_destroy(j->backend, j);
        safe_close(j->cgroup_fd);
        for (unsigned i = 0; i < j->n_attach_fds; i++)
                safe_close(j->attach_fds[i]);
        free(j->cgroup_path);
        free(j->cgroup_events_path);
        free(j->unit);
        free(j);
        return NULL;
}

int backend_job_kill(BackendJob *j, int sig) {
        bool asked = false;
        int r;

        if (j->cgroup_fd < 0)
                return -ESRCH;
        /* A cgroup someone else removed: say so rather than let the manager's KillUnit (asynchronous, its
         * answer not waited for) pass for a success. */
        if (faccessat(j->cgroup_fd, "cgroup.procs", F_OK, 0) < 0)
                return -errno;
        if (j->backend->ops->job_kill)
                asked = j->backend->ops->job_kill(j->backend, j, sig) >= 0;
        /* SIGKILL always through cgroup.kill as well: atomic for a tree that forks while anyone walks it,
         * which a manager's KillUnit is not guaranteed to be. */
        if (sig == SIGKILL) {
                r = cg_kill_all(j->cgroup_fd);
                if (r == -EOPNOTSUPP) {
                        /* Kernels before 5.14 have no cgroup.kill: freeze, so nothing forks meanwhile. */
                        (void) cg_freeze(j->cgroup_fd, true);
                        r = cg_signal_all(j->cgroup_fd, SIGKILL);
                        (void) cg_freeze(j->cgroup_fd, false);
                }
                /* The manager was asked first and may have killed everything and removed the scope's
                 * cgroup before we got here (seen under load): gone is what was asked for. */
                if (r < 0 && asked && faccessat(j->cgroup_fd, "cgroup.procs", F_OK, 0) < 0 && errno == ENOENT)
                        return 0;
                return r < 0 ? r : 0;
        }
        if (asked)
                return 0;
        r = cg_signal_all(j->cgroup_fd, sig);
        return r < 0 ? r : 0;
}

int backend_job_freeze(BackendJob *j, bool freeze) {
        if (j->cgroup_fd < 0)
                return -ESRCH;
        return cg_freeze(j->cgroup_fd, freeze);
}

int backend_job_frozen(BackendJob *j) {
        if (j->cgroup_fd < 0)
                return -ESRCH;
        return cg_get_freeze(j->cgroup_fd);
}

int backend_job_populated(BackendJob *j) {
        bool populated;
        int r;

        if (j->cgroup_fd < 0)
                return 0;
        r = cg_read_events(j->cgroup_fd, &populated, NULL);
        if (r < 0)
                return r;
        return populated;
}

int backend_job_finish(BackendJob *j) {
        int r;

        if (!j->backend->ops->job_finish)
                return -EOPNOTSUPP;
        r = j->backend->ops->job_finish(j->backend, j, &j->final_stats);
        if (r > 0)
                j->finished = true;
        return r;
}

void backend_job_stats(BackendJob *j, JobStats *ret) {
        if (j->finished)
                *ret = j->final_stats;
        else
                j->backend->ops->job_stats(j->backend, j, ret);
}

int backend_job_count(BackendJob *j) {
        if (j->cgroup_fd < 0)
                return 0;
        return cg_count_procs(j->cgroup_fd);
}

int backend_job_cgroup_path(Backend *b, uint64_t id, char **ret) {
        if (!b->ops->job_cgroup_path)
                return -ENODATA;
        return b->ops->job_cgroup_path(b, id, ret);
}

Backend *backend_free(Backend *b) {
        if (!b)
                return NULL;
        b->ops->done(b);
        free(b->root_path);
        free(b);
        return NULL;
}
