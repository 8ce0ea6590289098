/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs: each submitted plan is a run, an object at /org/jobd1/run/<id>. Its jobs have consecutive ids
 * (first_job ...), so a run is an id range plus what it last saw of each job: its counts per state and per
 * result are kept up to date as the jobs change (run_job_changed(), from manager_job_changed()),
 * never recounted. What changed is announced once per loop iteration. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "job-enums.h"
#include "manager.h"
#include "plan.h"
#include "time-util.h"

/* Runs the daemon keeps: finished ones beyond this are forgotten, oldest first; no new plan is taken
 * while this many are unfinished. */
#define MANAGER_RUNS_MAX 1024U
/* Unfinished runs one user may have, so that one user cannot take every run for itself. */
#define MANAGER_RUNS_PER_USER_MAX 64U

typedef struct Run {
        Manager *manager;
        uint64_t id;
        char *name;
        uid_t owner;
        uint64_t first_job;            /* its jobs: first_job ... first_job + n_jobs - 1 */
        uint32_t n_jobs;
        uint32_t max_parallel;         /* 0: none; else the limit of the group below */
        JobSharedEnv *environment;     /* the plan's default environment, shared by its jobs (or NULL) */
        usec_t submit_usec, finish_usec;

        uint8_t *job_status;           /* per job: RUN_STATUS(state, result) as last seen */
        uint32_t state_counts[_JOB_STATE_MAX];
        uint32_t result_counts[_JOB_RESULT_MAX];      /* of the jobs that are done */
        /* The first pass: each job's result when it was first done, kept apart from what Retry() does
         * later (FirstResultCounts, Job.FirstResult). Complete once the run first finished. */
        uint8_t *first_result;         /* per job: a JobResult, JOB_RESULT_NONE while not done yet */
        uint32_t first_result_counts[_JOB_RESULT_MAX];
        bool first_pass_done;
        bool kept;                     /* one of the newest KeepRuns= of its name: its jobs stay */

        uint32_t n_announced;          /* jobs the batches have reached, from the first (a job that changed
                                        * before its batch was announced on its own: Job.announced) */
        sd_event_source *announce_source;

        bool paused;
        bool cancelled;                /* Cancel() was called: the result is "cancelled" */
        bool changed;                  /* counts or state to announce */
        bool finished_pending;         /* Finished to send */
        bool pause_pending;            /* a job started while the run is paused: freeze it */

        /* Cancel() goes through the jobs in slices, one per loop iteration, last to first: the jobs of
         * index < cancel_next are left to do. */
        uint32_t cancel_next;
        sd_event_source *cancel_source;
        /* Retry() requeues its jobs at once and announces them (their state taken from the scheduler,
         * JobChanged) in slices: retry_ids[retry_next..n_retry) are left to do. The run stays held in the
         * scheduler meanwhile. */
        uint64_t *retry_ids;
        size_t n_retry, retry_next;
        sd_event_source *retry_source;
        usec_t timeout_usec;           /* RunTimeoutUSec; 0: none */
        usec_t deadline_usec;          /* CLOCK_REALTIME: submit (or Retry()) + timeout_usec; 0: none */
        sd_event_source *timeout_source;
        bool timed_out;                /* the deadline passed: the result is "timeout" */
        char *output_root;             /* OutputRoot, NULL: none */
        uint64_t *links_pending;       /* jobs done whose link under passing/, failed/... is to be made */
        size_t n_links_pending, n_links_alloc;
        sd_event_source *links_source;
} Run;

/* Validates and submits a plan (prepared here: see plan_prepare()); every job of it or none. The jobs take
 * over the plan's specs. Errors: -EINVAL (*ret_message names the job and the key), -ELOOP (a dependency
 * cycle, *ret_message names it by the jobs' names), -EDQUOT (quotas), -EOPNOTSUPP (a limit the host cannot
 * enforce), -ENOENT/-ENXIO/-ENOSPC (unknown dependency id, unknown pool, more than a pool has; with
 * *ret_message). */
int manager_submit_plan(Manager *m, Plan *p, uid_t owner, Run **ret, char **ret_message);

Run *manager_get_run(Manager *m, uint64_t id);
/* Is there a pool of that name (jobd.conf's or SetPool()'s)? */
bool manager_pool_exists(Manager *m, const char *name);
/* The run a job belongs to, NULL if none. */
Run *manager_run_of_job(Manager *m, uint64_t job_id);
void manager_runs_free(Manager *m);

/* A job's State or Result may have changed: updates its run's counts. Cheap for jobs of no run. */
void run_job_changed(Manager *m, Job *j);
/* The result of the run's k-th job as the run last saw it (JOB_RESULT_NONE while not done). */
JobResult run_job_result(const Run *r, uint32_t k);

/* The scheduler's spec of a job: its run and the run's group, its resources (res has room for
 * j->spec.n_resources), its retry policy. */
SchedJobSpec manager_job_sched_spec(Manager *m, Job *j, SchedResourceRequest *res);

/* After a restart: the runs of the journal's run lines, for the jobs restored from it (called once they
 * are in the job table, before they go to the scheduler); run_recount_all() once their states are
 * settled. */
int manager_restore_runs(Manager *m);
/* Paused runs hold in the scheduler again, once their running jobs are re-adopted. */
void manager_hold_paused_runs(Manager *m);
void manager_recount_runs(Manager *m);

/* The result of the run's k-th job in its first pass (JOB_RESULT_NONE while not done then). */
JobResult run_job_first_result(const Run *r, uint32_t k);
/* jobd.conf [Runs] KeepRuns=: a finished job of one of the newest KeepRuns runs of its name is not
 * forgotten by the GC. Returns the last job id of that run if job_id is of a kept run (the GC skips the
 * whole run at once), else 0. */
uint64_t manager_job_kept_until(Manager *m, uint64_t job_id);

/* "running", "paused", "done". */
const char *run_state(const Run *r);
/* "" until done; then "success" (every job succeeded), "timeout" (RunTimeoutUSec passed), "cancelled"
 * (Cancel() was called) or "failed". */
const char *run_result(const Run *r);

/* Cancels every job of the run that is not done (the running ones get SIGTERM, then SIGKILL): nothing
 * more of the run starts from now on, and its jobs are cancelled in slices of at most RUN_CANCEL_SLICE_USEC
 * per loop iteration (250k jobs took a minute of the daemon's time in one go), the first one at once. */
int run_cancel(Run *r);
/* Freezes the run's running jobs and starts nothing new of it; Resume undoes both. */
int run_pause(Run *r);
int run_resume(Run *r);
/* Runs jobs of a finished run again: which is "failed" (every job that did not succeed, and so the
 * skipped) or "all". -EBUSY if the run has not finished, -EINVAL for another which, -ESTALE if a job to
 * run again was forgotten already (--keep-finished) or others still wait on it; *ret_message says why.
 * Returns the number of jobs queued again. */
int run_retry(Run *r, const char *which, char **ret_message);
