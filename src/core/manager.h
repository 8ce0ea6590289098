/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "macro.h"
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

struct Run;

/* What changed in the manager's own properties, for ManagerObservers.changed. */
typedef enum ManagerChange {
        MANAGER_CHANGE_JOBS_RUNNING = 1U << 0,
        MANAGER_CHANGE_JOBS_QUEUED  = 1U << 1,
        MANAGER_CHANGE_JOBS_WAITING = 1U << 2,
        MANAGER_CHANGE_MAX_PARALLEL = 1U << 3,
        MANAGER_CHANGE_DRAINING     = 1U << 4,
} ManagerChange;

/* Who presents the manager (src/bus/bus-emit.c) learns of its changes here, in the style of
 * SchedCallbacks: core calls these and knows nothing of how they are told on. Any member may be NULL.
 * Nothing is told before manager_set_observers(): a restore tells nobody. */
typedef struct ManagerObservers {
        /* A job was submitted; in_run: one of a plan's (announced in batches, only by the signal). */
        void (*job_new)(Manager *m, uint64_t id, bool in_run, void *userdata);
        /* changed: a JobChange mask of the job's properties. */
        void (*job_changed)(Manager *m, Job *j, JobChange changed, void *userdata);
        /* A finished job was forgotten. */
        void (*job_removed)(Manager *m, uint64_t id, void *userdata);
        void (*run_new)(Manager *m, struct Run *r, void *userdata);
        /* Its state, result, counts or finish time changed (once per loop iteration). */
        void (*run_changed)(Manager *m, struct Run *r, void *userdata);
        void (*run_finished)(Manager *m, struct Run *r, void *userdata);
        void (*run_removed)(Manager *m, uint64_t id, void *userdata);
        /* The job counts, MaxParallel or draining changed: a ManagerChange mask. */
        void (*changed)(Manager *m, ManagerChange changed, void *userdata);
        void (*slot_quarantined)(Manager *m, const char *pool, const char *slot, void *userdata);
        /* Has the observer more queued than it can pass on soon (messages not yet written to the bus)?
         * Work sliced over loop iterations that produces signals (Run.Cancel()) waits meanwhile, so that
         * replies to others are not queued behind it. */
        bool (*backlogged)(Manager *m, void *userdata);
        /* manager_free(): the observer lets go of what it holds in userdata. */
        void (*detach)(Manager *m, void *userdata);
} ManagerObservers;

/* Calls an observer, if there is one. */
#define manager_notify(m, member, ...)                                                          \
        do {                                                                                    \
                const ManagerObservers *_o = (m)->observers;                                    \
                if (_o && _o->member)                                                           \
                        _o->member((m), __VA_ARGS__, (m)->observers_userdata);                  \
        } while (false)

typedef struct ManagerConfig {
        bool system_mode;
        const char *bus_address;
        const char *backend;           /* "auto", "systemd", "cgroupfs", "slurm" (local jobs: as auto) */
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
        /* Set by bus_setup(): src/bus's connection is in the userdata, let go of by observers->detach. */
        const ManagerObservers *observers;
        void *observers_userdata;
        Backend *backend;
        Sched *sched;
        bool system_mode;
        uid_t uid;                     /* the daemon's own */

        Job **jobs;                    /* indexed by id; ids are dense, freed slots are NULL */
        uint64_t n_jobs_alloc;
        uint64_t next_id;
        uint64_t gc_cursor;            /* lowest id that may still be collected */
        uint64_t gc_scan;              /* where the GC's sweep goes on (on_gc(): GC_SCAN_MAX jobs a pass) */
        uint64_t *done_bits;           /* bit id: jobs[id] is done (a hint for the GC, which checks it);
                                        * n_jobs_alloc bits */
        unsigned n_jobs;
        unsigned n_done;
        unsigned forgotten_since_compact; /* jobs the GC freed since the journal was last rewritten */
        bool removed_since_compact;    /* a client removed jobs (manager_remove_job()): rewrite it soon */
        bool slot_reasons_dirty;       /* a slot was quarantined or released: Reasons to update */
        bool have_slot_reasons;        /* some job has the Reason of a pool that is all quarantined */
        unsigned n_client_fds;         /* held by unfinished jobs, see MANAGER_CLIENT_FDS_MAX */
        unsigned keep_finished;
        unsigned keep_runs;            /* jobd.conf [Runs] KeepRuns= (0: none kept beyond keep_finished) */
        bool runs_history_changed;     /* a run came or finished: which are kept is to be worked out */

        char *state_dir;
        int jobs_dir_fd;
        int logs_dir_fd;               /* DIR/logs: a folder per user, owned by that user */
        int log_dir_fd;                /* DIR/logs/<log_dir_uid>, the last one a job's log was opened in */
        uid_t log_dir_uid;
        Journal journal;               /* in the state folder */
        bool root_missing;             /* the backend's cgroup root was removed: no job is started */
        sd_event_source *root_retry_source;
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
        int controls_log_fd;           /* controls.log, appended to by each control call (controls.c) */
        unsigned controls_log_lines;   /* lines in it since the last snapshot */
        unsigned controls_entries;     /* groups and pools in the last snapshot */
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
        /* Scans of logs for FailPatterns/PassPatterns (src/core/job-scan.c): running, and waiting. */
        unsigned n_scans;
        Job *scan_queue_head, *scan_queue_tail;
        /* GNU make jobservers of jobs with Jobserver=true (src/core/jobserver.c), and DIR/jobserver. */
        struct Jobserver **jobservers;
        size_t n_jobservers;
        int jobserver_dir_fd;
        /* jobd.conf [Slurm]: the cluster client (src/slurm), NULL: none; --backend=slurm makes it the
         * default of jobs without a Backend; the shared folder of their logs (src/core/job-slurm.c). */
        struct SlurmClient *slurm;
        bool slurm_default;
        char *slurm_shared_dir;
};

static inline bool manager_observers_backlogged(Manager *m) {
        return m->observers && m->observers->backlogged &&
               m->observers->backlogged(m, m->observers_userdata);
}

int manager_new(const ManagerConfig *c, Manager **ret);
/* Registers who is told of changes from now on (one set at a time). */
void manager_set_observers(Manager *m, const ManagerObservers *observers, void *userdata);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_run(Manager *m);

Job *manager_get_job(Manager *m, uint64_t id);

/* The jobs the table holds, lowest id first; the _RANGE form only those of ids in [first, end). The table
 * must not change during the loop. */
#define MANAGER_FOREACH_JOB_RANGE(j, m, first, end)                                                    \
        for (uint64_t _id = MAX((uint64_t) (first), (m)->gc_cursor),                                   \
                      _end = MIN((uint64_t) (end), (m)->next_id); _id < _end; _id++)                   \
                if (!((j) = (m)->jobs[_id])) {} else
#define MANAGER_FOREACH_JOB(j, m) MANAGER_FOREACH_JOB_RANGE(j, m, (m)->gc_cursor, (m)->next_id)

/* What the scheduler holds, for those who present it (bus/ does not ask the scheduler itself). */
void manager_get_counts(Manager *m, SchedCounts *ret);
/* 0: unlimited. */
uint32_t manager_get_max_parallel(Manager *m);
int manager_foreach_group(Manager *m, int (*f)(void *userdata, const SchedGroupInfo *g), void *userdata);
int manager_foreach_pool(Manager *m, int (*f)(void *userdata, const SchedPoolInfo *p), void *userdata);
int manager_foreach_slot(Manager *m, const char *pool, int (*f)(void *userdata, const SchedSlotInfo *i),
                         void *userdata);

/* Validates and adds a job (spec contents are taken over). On a refused spec returns -EINVAL (or
 * -ENOENT for an unknown dependency, -ENOSPC/-ENXIO for resources, -EDQUOT for quotas, -EOPNOTSUPP for a
 * limit the host cannot enforce) with *ret_message saying why. */
/* -EROFS and *ret_message naming the state folder and why it cannot be written (read-only mode). */
int manager_refuse_state_full(Manager *m, char **ret_message);
int manager_submit(Manager *m, JobSpec *spec, uid_t owner, Job **ret, char **ret_message);

void manager_set_max_parallel(Manager *m, unsigned n);

/* After a restore: timers for the jobs whose NotBeforeUSec is still ahead (src/core/job-hold.c). */
void manager_arm_not_before(Manager *m);

/* Forgets a done job that is not of a run (Job.Remove()), and its log: -EBUSY if it is not done or a job
 * that is not done depends on it, -EXDEV if it is a run's (a run's jobs go with the run). */
int manager_remove_job(Manager *m, Job *j);

/* Makes room in the job table for ids up to id. */
int manager_grow(Manager *m, uint64_t id);
/* Job id entered (true) or left (false) the state done: job_set_state() tells, for the GC. */
void manager_note_done(Manager *m, uint64_t id, bool done);

/* Coalesces state changes into one scheduler pass on the next loop iteration. */
void manager_reschedule(Manager *m);
void manager_job_done(Manager *m, Job *j);
/* Counts a job that became done without running (for the GC of finished jobs). */
void manager_count_done(Manager *m);

/* Tells the job's run and the observers that the properties in changed (a JobChange mask) changed. The
 * state itself is set with job_set_state(), which calls this. */
void manager_job_changed(Manager *m, Job *j, JobChange changed);
