/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroupfs backend: job cgroups are directories of the daemon's delegated cgroup v2 subtree.
 *
 * Limits: on pure v2 hosts the memory/pids/cpu controllers are enabled in the root's subtree_control and
 * the job's memory.max/pids.max/cpu.weight are written directly. On hybrid hosts the v2 hierarchy has no
 * controllers; there libcgroup creates a mirror of the job cgroup in the v1 memory/pids/cpu hierarchies
 * (it knows where they are mounted) and the spawned child joins them by writing "0" to their
 * cgroup.procs before it execs. libcgroup's names (cgroup_*, CGROUP_*) stay inside this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "cgroup-util.h"
#include "fd-util.h"
#include "log.h"

typedef enum CgController {
        CG_MEMORY,
        CG_PIDS,
        CG_CPU,
        _CG_CONTROLLER_MAX,
} CgController;

static const char *const cg_controller_name[_CG_CONTROLLER_MAX] = {
        [CG_MEMORY] = "memory",
        [CG_PIDS] = "pids",
        [CG_CPU] = "cpu",
};

typedef struct CgroupfsBackend {
        Backend base;
        char *mount;                                   /* v2 mount point */
        int root_fd;
        bool v2[_CG_CONTROLLER_MAX];                   /* enabled in root's cgroup.subtree_control */
        char *v1_mount[_CG_CONTROLLER_MAX];            /* v1 hierarchy of this controller, if any */
        bool v1_root_created[_CG_CONTROLLER_MAX];      /* we created the mirror of the root there */
} CgroupfsBackend;

static const char *rel(const char *path) {
        while (*path == '/')
                path++;
        return path;
}

static int v2_enable_controllers(CgroupfsBackend *b) {
        char buf[1024];
        ssize_t n;

        n = read_file_at(b->root_fd, "cgroup.controllers", buf, sizeof(buf) - 1);
        if (n < 0)
                return (int) n;
        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++) {
                char word[32];
                const char *p;
                size_t l = strlen(cg_controller_name[c]);

                for (p = strstr(buf, cg_controller_name[c]); p; p = strstr(p + 1, cg_controller_name[c]))
                        if ((p == buf || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || p[l] == 0))
                                break;
                if (!p)
                        continue;
                snprintf(word, sizeof(word), "+%s", cg_controller_name[c]);
                if (write_string_file_at(b->root_fd, "cgroup.subtree_control", word) >= 0)
                        b->v2[c] = true;
                else
                        log_debug_errno(errno, "Cannot enable %s controller below %s: %m",
                                        cg_controller_name[c], b->base.root_path);
        }
        return 0;
}

static void v1_discover(CgroupfsBackend *b) {
        int r;

        if (b->v2[CG_MEMORY] && b->v2[CG_PIDS] && b->v2[CG_CPU])
                return;

        r = cgroup_init();
        if (r != 0) {
                log_debug("libcgroup: %s, v1 controllers not used.", cgroup_strerror(r));
                return;
        }
        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++) {
                char *mp = NULL, *root = NULL;
                struct stat st;

                if (b->v2[c])
                        continue;
                if (cgroup_get_subsys_mount_point(cg_controller_name[c], &mp) != 0 || !mp)
                        continue;
                /* Only a real v1 hierarchy: on pure v2 libcgroup reports the v2 mount. */
                if (b->mount && streq(mp, b->mount)) {
                        free(mp);
                        continue;
                }
                b->v1_mount[c] = mp;
                if (asprintf(&root, "%s/%s", mp, rel(b->base.root_path)) >= 0) {
                        b->v1_root_created[c] = stat(root, &st) < 0;
                        free(root);
                }
        }
}

static void cgroupfs_done(Backend *base) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;

        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++) {
                if (b->v1_mount[c] && b->v1_root_created[c] && !isempty(rel(b->base.root_path))) {
                        char *root = NULL;
                        if (asprintf(&root, "%s/%s", b->v1_mount[c], rel(b->base.root_path)) >= 0) {
                                (void) rmdir(root);
                                free(root);
                        }
                }
                free(b->v1_mount[c]);
        }
        safe_close(b->root_fd);
        free(b->mount);
}

static bool have_controller(CgroupfsBackend *b, CgController c) {
        return b->v2[c] || b->v1_mount[c];
}

static int cgroupfs_check_limits(Backend *base, const JobLimits *l, const char **ret_why) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;

        if (l->memory_max != LIMIT_UNSET && !have_controller(b, CG_MEMORY)) {
                *ret_why = "MemoryMax: no memory controller is available to jobd on this host";
                return -EOPNOTSUPP;
        }
        if (l->tasks_max != LIMIT_UNSET && !have_controller(b, CG_PIDS)) {
                *ret_why = "TasksMax: no pids controller is available to jobd on this host";
                return -EOPNOTSUPP;
        }
        if (l->cpu_weight != LIMIT_UNSET && !have_controller(b, CG_CPU)) {
                *ret_why = "CPUWeight: no cpu controller is available to jobd on this host";
                return -EOPNOTSUPP;
        }
        return 0;
}

static int v2_set(int fd, const char *file, uint64_t v) {
        char buf[32];

        if (v == UINT64_MAX)
                return write_string_file_at(fd, file, "max");
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long) v);
        return write_string_file_at(fd, file, buf);
}

static uint64_t v1_limit(const JobLimits *l, CgController c) {
        return c == CG_MEMORY ? l->memory_max : c == CG_PIDS ? l->tasks_max : l->cpu_weight;
}

static int v1_create(CgroupfsBackend *b, BackendJob *j, const JobLimits *l) {
        struct cgroup *cg;
        char name[4096];
        bool any = false;
        int r;

        /* Most jobs set no limit a v1 hierarchy would take: then no libcgroup struct cgroup (allocated
         * and zeroed, some 7000 instructions a job) is made at all. */
        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (v1_limit(l, c) != LIMIT_UNSET && !b->v2[c] && b->v1_mount[c])
                        any = true;
        if (!any)
                return 0;
        any = false;

        snprintf(name, sizeof(name), "%s/jobd-%llu", rel(b->base.root_path), (unsigned long long) j->id);
        cg = cgroup_new_cgroup(name);
        if (!cg)
                return -ENOMEM;

        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++) {
                struct cgroup_controller *ctrl;
                uint64_t v = v1_limit(l, c);

                if (v == LIMIT_UNSET || b->v2[c] || !b->v1_mount[c])
                        continue;
                ctrl = cgroup_add_controller(cg, cg_controller_name[c]);
                if (!ctrl) {
                        cgroup_free(&cg);
                        return -ENOMEM;
                }
                if (c == CG_MEMORY) {
                        r = cgroup_add_value_int64(ctrl, "memory.limit_in_bytes",
                                                   v == UINT64_MAX ? -1 : (int64_t) v);
                        /* Without swap accounting a job could escape its limit into swap. */
                } else if (c == CG_PIDS)
                        r = v == UINT64_MAX ? cgroup_add_value_string(ctrl, "pids.max", "max")
                                            : cgroup_add_value_uint64(ctrl, "pids.max", v);
                else
                        /* CPUWeight 100 is the default, like cpu.shares 1024. */
                        r = cgroup_add_value_uint64(ctrl, "cpu.shares", MAX(2ULL, v * 1024 / 100));
                if (r != 0) {
                        cgroup_free(&cg);
                        return -EINVAL;
                }
                any = true;
        }
        if (!any) {
                cgroup_free(&cg);
                return 0;
        }

        r = cgroup_create_cgroup(cg, 0);
        if (r != 0) {
                log_warning("libcgroup: cannot create %s: %s", name, cgroup_strerror(r));
                cgroup_free(&cg);
                return -EIO;
        }
        j->data = cg;

        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++) {
                _cleanup_free_ char *path = NULL;
                int fd;

                if (!cgroup_get_controller(cg, cg_controller_name[c]))
                        continue;
                if (asprintf(&path, "%s/%s/cgroup.procs", b->v1_mount[c], name) < 0)
                        return -ENOMEM;
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                j->attach_fds[j->n_attach_fds++] = fd;
        }
        return 0;
}

static int cgroupfs_job_cgroup_path(Backend *b, uint64_t id, char **ret) {
        return asprintf(ret, "%s/jobd-%llu", streq(b->root_path, "/") ? "" : b->root_path,
                        (unsigned long long) id) < 0 ? -ENOMEM : 0;
}

static int cgroupfs_job_create(Backend *base, BackendJob *j, const JobLimits *l) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;
        char name[32];
        int r;

        snprintf(name, sizeof(name), "jobd-%llu", (unsigned long long) j->id);
        if (mkdirat(b->root_fd, name, 0755) < 0) {
                if (errno != EEXIST)
                        return -errno;
                /* A leftover of an earlier instance: reuse it only if it is empty. */
                if (unlinkat(b->root_fd, name, AT_REMOVEDIR) < 0 || mkdirat(b->root_fd, name, 0755) < 0)
                        return -EEXIST;
        }
        j->cgroup_fd = openat(b->root_fd, name, O_DIRECTORY | O_CLOEXEC);
        if (j->cgroup_fd < 0)
                return -errno;
        if (asprintf(&j->cgroup_path, "%s/%s", streq(b->base.root_path, "/") ? "" : b->base.root_path,
                     name) < 0)
                return -ENOMEM;
        if (asprintf(&j->cgroup_events_path, "%s%s/cgroup.events", b->mount, j->cgroup_path) < 0)
                return -ENOMEM;

        if (b->v2[CG_MEMORY] && l->memory_max != LIMIT_UNSET) {
                r = v2_set(j->cgroup_fd, "memory.max", l->memory_max);
                if (r < 0)
                        return r;
                /* An OOM kill takes the whole job, like systemd's OOMPolicy=stop. */
                (void) write_string_file_at(j->cgroup_fd, "memory.oom.group", "1");
        }
        if (b->v2[CG_PIDS] && l->tasks_max != LIMIT_UNSET) {
                r = v2_set(j->cgroup_fd, "pids.max", l->tasks_max);
                if (r < 0)
                        return r;
        }
        if (b->v2[CG_CPU] && l->cpu_weight != LIMIT_UNSET) {
                r = v2_set(j->cgroup_fd, "cpu.weight", l->cpu_weight);
                if (r < 0)
                        return r;
        }
        return v1_create(b, j, l);
}

static int cgroupfs_job_destroy(Backend *base, BackendJob *j) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;
        char name[32];

        if (j->data) {
                struct cgroup *cg = j->data;
                /* Never the default flags: they move remaining tasks to the parent. */
                (void) cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_EMPTY_ONLY);
                cgroup_free(&cg);
                j->data = NULL;
        }
        if (j->cgroup_fd < 0)
                return 0;
        snprintf(name, sizeof(name), "jobd-%llu", (unsigned long long) j->id);
        if (unlinkat(b->root_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        j->cgroup_fd = safe_close(j->cgroup_fd);
        return 0;
}

static void cgroupfs_job_stats(Backend *base, BackendJob *j, JobStats *ret) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;
        uint64_t v;

        *ret = (JobStats) {};
        if (j->cgroup_fd < 0)
                return;
        (void) cg_cpu_usage(j->cgroup_fd, &ret->cpu_nsec);
        if (b->v2[CG_MEMORY]) {
                if (cg_read_keyed(j->cgroup_fd, "memory.events", "oom_kill", &v) >= 0)
                        ret->oom = v > 0;
                char buf[32];
                if (read_file_at(j->cgroup_fd, "memory.peak", buf, sizeof(buf) - 1) > 0)
                        ret->memory_peak = strtoull(buf, NULL, 10);
        } else if (j->data && cgroup_get_controller(j->data, "memory")) {
                char path[4096];
                _cleanup_close_ int fd = -EBADF;

                snprintf(path, sizeof(path), "%s/%s/jobd-%llu", b->v1_mount[CG_MEMORY],
                         rel(b->base.root_path), (unsigned long long) j->id);
                fd = open(path, O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        char buf[32];
                        if (cg_read_keyed(fd, "memory.oom_control", "oom_kill", &v) >= 0)
                                ret->oom = v > 0;
                        if (read_file_at(fd, "memory.max_usage_in_bytes", buf, sizeof(buf) - 1) > 0)
                                ret->memory_peak = strtoull(buf, NULL, 10);
                }
        }
}

/* The stats while the cgroup is there, then rmdir: EBUSY while processes remain (then nothing is
 * lost: the stats are read again at the end). Not with v1 hierarchies (their cgroups go with the v2 one
 * in job_destroy()). */
static int cgroupfs_job_finish(Backend *base, BackendJob *j, JobStats *ret) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;
        char name[32];

        if (j->data || j->cgroup_fd < 0)
                return -EOPNOTSUPP;
        cgroupfs_job_stats(base, j, ret);
        snprintf(name, sizeof(name), "jobd-%llu", (unsigned long long) j->id);
        if (unlinkat(b->root_fd, name, AT_REMOVEDIR) < 0)
                return errno == EBUSY ? 0 : -errno;
        j->cgroup_fd = safe_close(j->cgroup_fd);
        return 1;
}

static int cgroupfs_root_check(Backend *base);

static const BackendOps cgroupfs_ops = {
        .name = "cgroupfs",
        .job_cgroup_path = cgroupfs_job_cgroup_path,
        .done = cgroupfs_done,
        .check_limits = cgroupfs_check_limits,
        .job_create = cgroupfs_job_create,
        .job_destroy = cgroupfs_job_destroy,
        .job_stats = cgroupfs_job_stats,
        .root_check = cgroupfs_root_check,
        .job_finish = cgroupfs_job_finish,
};

/* A removed cgroup keeps its fd open but has no files any more; one made again at the path is another. */
static int cgroupfs_root_check(Backend *base) {
        CgroupfsBackend *b = (CgroupfsBackend *) base;
        _cleanup_free_ char *abs = NULL;
        int fd;

        if (faccessat(b->root_fd, "cgroup.procs", F_OK, 0) >= 0)
                return 1;
        if (asprintf(&abs, "%s/%s", b->mount, rel(b->base.root_path)) < 0)
                return 0;
        fd = open(abs, O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        if (faccessat(fd, "cgroup.procs", W_OK, 0) < 0 || faccessat(fd, ".", W_OK, 0) < 0) {
                safe_close(fd);
                return 0;
        }
        safe_close(b->root_fd);
        b->root_fd = fd;
        (void) v2_enable_controllers(b);
        return 1;
}

int backend_cgroupfs_new(const char *root, Backend **ret) {
        _cleanup_free_ char *mount = NULL, *own = NULL, *abs = NULL;
        CgroupfsBackend *b;
        int r;

        r = cg_find_unified_mount(&mount);
        if (r < 0)
                return log_error_errno(r, "No cgroup v2 hierarchy is mounted (needed for job cgroups): %m");

        if (root) {
                size_t l = strlen(mount);
                if (!strneq(root, mount, l) || (root[l] != '/' && root[l] != 0))
                        return log_error_errno(-EINVAL, "--cgroup-root=%s is not below the cgroup v2 mount %s.",
                                               root, mount);
                abs = strdup(root);
                if (!abs)
                        return log_oom();
                own = strdup(root[l] ? root + l : "/");
        } else {
                r = cg_pid_get_path(0, &own);
                if (r < 0)
                        return log_error_errno(r, "Cannot find the daemon's own cgroup: %m");
                if (asprintf(&abs, "%s%s", mount, own) < 0)
                        return log_oom();
        }
        if (!own)
                return log_oom();

        b = calloc(1, sizeof(CgroupfsBackend));
        if (!b)
                return log_oom();
        b->base.ops = &cgroupfs_ops;
        b->base.root_path = TAKE_PTR(own);
        b->mount = TAKE_PTR(mount);
        b->root_fd = open(abs, O_DIRECTORY | O_CLOEXEC);
        if (b->root_fd < 0) {
                r = log_error_errno(errno, "Cannot open cgroup root %s: %m", abs);
                goto fail;
        }
        if (faccessat(b->root_fd, "cgroup.procs", W_OK, 0) < 0 || faccessat(b->root_fd, ".", W_OK, 0) < 0) {
                r = log_error_errno(errno, "Cgroup %s is not delegated to jobd (not writable): %m", abs);
                goto fail;
        }

        if (!root) {
                /* Our own cgroup: leave it for a child, so that job cgroups are our siblings and the
                 * "no internal processes" rule lets us enable controllers for them. */
                _cleanup_close_ int sfd = -EBADF;
                char buf[32];

                if (mkdirat(b->root_fd, "supervisor", 0755) < 0 && errno != EEXIST) {
                        r = log_error_errno(errno, "Cannot create %s/supervisor: %m", abs);
                        goto fail;
                }
                sfd = openat(b->root_fd, "supervisor", O_DIRECTORY | O_CLOEXEC);
                snprintf(buf, sizeof(buf), "%i", (int) getpid());
                if (sfd < 0 || write_string_file_at(sfd, "cgroup.procs", buf) < 0) {
                        r = log_error_errno(errno, "Cannot move jobd into %s/supervisor: %m", abs);
                        goto fail;
                }
        }

        (void) v2_enable_controllers(b);
        v1_discover(b);

        for (CgController c = 0; c < _CG_CONTROLLER_MAX; c++)
                log_debug("Controller %s: %s", cg_controller_name[c],
                          b->v2[c] ? "cgroup v2" : b->v1_mount[c] ? b->v1_mount[c] : "not available");

        *ret = &b->base;
        return 0;

fail:
        backend_free(&b->base);
        return r;
}
