/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A backend puts each job into a cgroup of its own and acts on that cgroup as a whole. One
 * implementation per file (backend-cgroupfs.c, ...), behind this table of operations.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LIMIT_UNSET UINT64_MAX

typedef struct JobLimits {
        uint64_t memory_max;    /* bytes, LIMIT_UNSET: none */
        uint64_t tasks_max;
        uint64_t cpu_weight;    /* 1..10000 */
} JobLimits;

#define JOB_LIMITS_NONE ((JobLimits) { LIMIT_UNSET, LIMIT_UNSET, LIMIT_UNSET })

typedef struct JobStats {
        uint64_t cpu_nsec;
        uint64_t memory_peak;   /* 0: unknown */
        bool oom;               /* the kernel's OOM killer killed something of the job */
} JobStats;

typedef struct Backend Backend;
typedef struct BackendJob BackendJob;

#define BACKEND_ATTACH_MAX 3

struct BackendJob {
        Backend *backend;
        uint64_t id;
        unsigned attempt;                /* 1 for a job's first attempt, then 2, 3, ... */
        int cgroup_fd;                   /* the job's cgroup v2 directory */
        char *cgroup_path;               /* relative to the v2 mount: the ControlGroup property */
        char *cgroup_events_path;        /* absolute path of cgroup.events, for inotify */
        char *unit;                      /* systemd unit of the job (the Unit property), or NULL */
        /* cgroup.procs of further (v1) hierarchies that the spawned child joins by writing "0". */
        int attach_fds[BACKEND_ATTACH_MAX];
        unsigned n_attach_fds;
        void *data;                      /* backend private */
        bool finished;                   /* backend_job_finish() removed the cgroup, stats read */
        JobStats final_stats;
};

/* The end of BackendOps.job_place_async(): error 0 once the held process is in the job's cgroup
 * (cgroup_fd, cgroup_path, cgroup_events_path and unit are set); else -errno and message says why. The
 * callee may free j. */
typedef void (*backend_placed_t)(BackendJob *j, int error, const char *message, void *userdata);

typedef struct BackendOps {
        const char *name;
        void (*done)(Backend *b);
        /* 0 if the limits can be enforced here; otherwise -EOPNOTSUPP and *ret_why names the limit. */
        int (*check_limits)(Backend *b, const JobLimits *l, const char **ret_why);
        /* Creates the job's cgroup with its limits; on return the job's first process can be spawned
         * into j->cgroup_fd. */
        int (*job_create)(Backend *b, BackendJob *j, const JobLimits *l);
        /* Removes the (empty) cgroup; 0, or -EBUSY if processes remain. */
        int (*job_destroy)(Backend *b, BackendJob *j);
        void (*job_stats)(Backend *b, BackendJob *j, JobStats *ret);
        /* Backends whose cgroups someone else creates around a given process (systemd: a scope takes a
         * pid) leave job_create() without a cgroup; the core then spawns the job's first process held
         * (it does not exec the command yet) and calls this. 0 if cb will be called once; job_destroy()
         * before that cancels it (cb is not called). NULL for backends that give job_create() a
         * cgroup to spawn into. */
        int (*job_place_async)(Backend *b, BackendJob *j, const char *description, pid_t pid, int pidfd,
                               backend_placed_t cb, void *userdata);
        /* Optional, with job_place_async: takes fd, the socket to the released helper. The helper sends
         * a byte once its command has ended and exits when fd is closed, so the backend can read the
         * job's final figures while the cgroup certainly still exists (systemd removes a scope's cgroup as
         * soon as it is empty). NULL: the core closes fd. */
        void (*job_watch_end)(Backend *b, BackendJob *j, int fd);
        /* Optional: asks whoever owns the job's cgroup to signal every process in it (systemd: KillUnit
         * whom=all), so its manager knows. 0 once asked (the signal goes out asynchronously), or -errno:
         * then backend_job_kill() signals through the cgroup alone. */
        int (*job_kill)(Backend *b, BackendJob *j, int sig);
        /* Optional: the cgroup (relative to the v2 mount) that job id has or had, for backends that name it
         * themselves (cgroupfs). NULL where someone else names it (systemd: only the scope tells). */
        int (*job_cgroup_path)(Backend *b, uint64_t id, char **ret);
        /* Optional: 1 if the root below which job cgroups are made is there, 0 if it was removed (and is
         * not back: once a cgroup of that path exists again, it is opened and set up, and 1 returned). */
        int (*root_check)(Backend *b);
        /* Optional: the job's main process has ended. Reads the stats and removes the cgroup if nothing
         * is left in it: 1 (removed), 0 (processes remain: nothing read or removed), -errno (ask
         * backend_job_populated() instead). Saves reading cgroup.events first: rmdir says it. */
        int (*job_finish)(Backend *b, BackendJob *j, JobStats *ret);
} BackendOps;

struct Backend {
        const BackendOps *ops;
        char *root_path;                 /* relative to the v2 mount */
};

typedef struct BackendJob BackendJob;

/* Allocates an empty handle (no cgroup yet). */
int backend_job_new(Backend *b, uint64_t id, BackendJob **ret);
/* A handle on the existing cgroup of a job started earlier (path relative to the v2 mount), for
 * re-adoption after a daemon restart. -ENOENT if the cgroup is gone. */
int backend_job_adopt(Backend *b, uint64_t id, const char *cgroup_path, BackendJob **ret);
/* Destroys the cgroup if it is still there (ignoring -EBUSY) and frees the handle. NULL-safe. */
BackendJob *backend_job_free(BackendJob *j);

/* The operations that are the same for every backend: they act on the job's cgroup v2 directory. */
int backend_job_kill(BackendJob *j, int sig);        /* SIGKILL: cgroup.kill; else each process */
int backend_job_freeze(BackendJob *j, bool freeze);
int backend_job_frozen(BackendJob *j);               /* asked to be frozen: 1, 0 or -errno */
int backend_job_populated(BackendJob *j);            /* 1, 0 or -errno */
/* The main process has ended: 1 if the cgroup was empty (it is removed, the stats are kept for
 * backend_job_stats()), 0 if processes remain, -errno if not known (ask backend_job_populated()). */
int backend_job_finish(BackendJob *j);
void backend_job_stats(BackendJob *j, JobStats *ret);
int backend_job_count(BackendJob *j);

/* The cgroup job id has or had, as the backend names it: -ENODATA if only a placed job knows it. */
int backend_job_cgroup_path(Backend *b, uint64_t id, char **ret);

Backend *backend_free(Backend *b);

/* cgroupfs: job cgroups under root (absolute path of a writable cgroup v2 directory, or NULL for the
 * daemon's own cgroup, which it then leaves for a "supervisor" child so jobs are siblings). */
int backend_cgroupfs_new(const char *root, Backend **ret);

typedef struct sd_event sd_event;
/* systemd: each job a transient scope of the system (system=true) or the user manager, created
 * asynchronously on event. quiet: log the reason no manager answers at debug level only (for auto). */
int backend_systemd_new(sd_event *event, bool system, bool quiet, Backend **ret);
