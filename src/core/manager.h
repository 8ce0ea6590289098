/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "job.h"
#include "journal.h"
#include "sched.h"
#include "user-limits.h"

/* Jobs (unfinished) one user may have at once, and jobs the daemon keeps in all. */
#define MANAGER_JOBS_PER_USER_MAX 250000U
/* Client fds (StdinFD/StdoutFD/StderrFD) that unfinished jobs may hold at once: each is one of the
 * daemon's own fds until the job is done. */
#define MANAGER_CLIENT_FDS_MAX 4096U
#define MANAGER_JOBS_MAX          1000000U
#define MANAGER_KEEP_FINISHED_DEFAULT 100000U

typedef struct ManagerConfig {
        bool system_mode;
        const char *bus_address;
        const char *backend;           /* "auto", "systemd", "cgroupfs" */
        const char *cgroup_root;
        const char *state_dir;
        const char *exec_path;
        unsigned max_parallel;
        bool max_parallel_set;         /* given with --max-parallel= (else: the number of CPUs) */
        usec_t kill_grace;
        unsigned keep_finished;
        const char *config_path;       /* jobd.conf(5); NULL: the default one, if it exists */
} ManagerConfig;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        Backend *backend;
        Sched *sched;
        bool system_mode;
        uid_t uid;                     /* the daemon's own */

        Job **jobs;                    /* indexed by id; ids are dense, freed slots are NULL */
        uint64_t n_jobs_alloc;
        uint64_t next_id;
        uint64_t gc_cursor;            /* lowest id that may still be collected */
        unsigned n_jobs;
        unsigned n_done;
        unsigned forgotten_since_compact; /* jobs the GC freed since the journal was last rewritten */
        unsigned n_client_fds;         /* held by unfinished jobs, see MANAGER_CLIENT_FDS_MAX */
        unsigned keep_finished;

        char *state_dir;
        int jobs_dir_fd;
        int logs_dir_fd;               /* DIR/logs: a folder per user, owned by that user */
        Journal journal;               /* in the state folder */
        char *exec_path;
        usec_t kill_grace;
        uint64_t default_log_max_bytes; /* jobd.conf [Defaults] LogMaxBytes= (0: no cap) */

        sd_event_source *reschedule_source;
        unsigned reschedule_requests;  /* since the last scheduler pass */
        sd_event_source *gc_source;
        sd_event_source *sigterm_source, *sigint_source;

        SchedCounts last_counts;
        uint32_t last_max_parallel;
        bool counts_sent;

        /* Runs (plans) by id, oldest first, and what the scheduler's controls are set to
         * (src/core/run.c, src/core/resources.c). */
        struct Run **runs;
        size_t n_runs;
        uint64_t next_run_id;
        sd_event_source *runs_source;  /* announces what changed in runs, once per loop iteration */
        bool draining;
        uint64_t config_digest;        /* of jobd.conf (src/core/controls.c) */
        char **config_groups;          /* the groups jobd.conf gives a limit */
        int64_t max_parallel_option;   /* --max-parallel=, -1: not given */
        bool controls_ready;           /* set up: changes of controls are saved from now on */
        char **held_groups;            /* saved holds, until the jobs are restored */
        bool held_draining;
        struct GroupDefault *group_defaults;   /* jobd.conf's default timeouts of groups */
        size_t n_group_defaults;

        UserLimits user_limits;        /* jobd.conf [Users] and [Defaults] (src/core/quota.c) */
        struct UserUsage *usage;       /* what the unfinished jobs of each user hold */
        size_t n_usage;
        uint64_t freed_since_trim;     /* bytes of specs of done jobs given back since malloc_trim() */
        sd_event_source *trim_source;
        /* The folders that hold cgroups of jobs waiting for them to empty, each watched once for all of
         * those jobs (src/core/job.c). */
        struct CgroupDirWatch *cgroup_dir_watches;
        /* Operators (system mode): jobd.conf's [Access] OperatorGroup=, asked where polkit is absent, and
         * the polkit questions that are out (src/bus/bus-polkit.c; freed by bus_polkit_free()). */
        gid_t operator_gid;
        bool have_operator_group;
        struct BusPolkit *polkit;
};

int manager_new(const ManagerConfig *c, Manager **ret);
Manager *manager_free(Manager *m);
int manager_run(Manager *m);

Job *manager_get_job(Manager *m, uint64_t id);

/* Validates and adds a job (spec contents are taken over). On a refused spec returns -EINVAL (or
 * -ENOENT for an unknown dependency, -ENOSPC/-ENXIO for resources, -EDQUOT for quotas, -EOPNOTSUPP for a
 * limit the host cannot enforce) with *ret_message saying why. */
int manager_submit(Manager *m, JobSpec *spec, uid_t owner, Job **ret, char **ret_message);

void manager_set_max_parallel(Manager *m, unsigned n);

/* Makes room in the job table for ids up to id. */
int manager_grow(Manager *m, uint64_t id);

/* Coalesces state changes into one scheduler pass on the next loop iteration. */
void manager_reschedule(Manager *m);
void manager_job_done(Manager *m, Job *j);
/* Counts a job that became done without running (for the GC of finished jobs). */
void manager_count_done(Manager *m);

/* Tells the job's run and the observers that the properties in changed (a JobChange mask) changed. The
 * state itself is set with job_set_state(), which calls this. */
void manager_job_changed(Manager *m, Job *j, JobChange changed);
