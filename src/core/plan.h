/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A plan as Manager.SubmitPlan() receives it: jobs that refer to each other by Name, and defaults every job
 * inherits unless it gives the key itself. Pure: no bus, no I/O; src/core/run.c submits a prepared plan. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "escape-util.h"
#include "job-spec.h"

/* Jobs in one plan; more than one user may have unfinished anyway (MANAGER_JOBS_PER_USER_MAX). */
#define PLAN_JOBS_MAX 250000U

typedef struct PlanJob {
        JobSpec spec;                  /* spec.after: ids of jobs outside the plan ("After at") */
        uint64_t keys;                 /* JOB_SPEC_KEY_BIT() of every key the job gave itself */
        char **after_names;            /* jobs of the same plan it runs after ("After as") */
} PlanJob;

typedef struct Plan {
        char *name;
        uint32_t max_parallel;         /* 0: no limit of the plan's own */
        usec_t timeout_usec;           /* RunTimeoutUSec: the run's unfinished jobs are cancelled after it;
                                        * 0: none */
        char *output_root;             /* OutputRoot: absolute, or NULL */
        JobSpec defaults;              /* the keys in default_keys apply to jobs that do not give them */
        uint64_t default_keys;
        PlanJob *jobs;
        size_t n_jobs, n_allocated;
} Plan;

void plan_init(Plan *p);
void plan_done(Plan *p);

/* Appends an initialised job; -E2BIG beyond PLAN_JOBS_MAX. */
int plan_add_job(Plan *p, PlanJob **ret);

/* "jobs[3] (build-a)", or "jobs[3]" for a job without a name (SHORT_STRING() of it). Returns buf, which
 * should have room for PLAN_LABEL_MAX bytes. */
#define PLAN_LABEL_MAX (32 + SHORT_STRING_BUF)
const char *plan_job_label(const Plan *p, size_t i, char *buf, size_t l);

/* Makes the plan ready to submit with the ids first_id, first_id + 1, ... for its jobs in order: applies
 * the defaults (every job shares one copy of the default Environment), validates each job
 * (job_spec_validate()), checks that names are unique and that every After name is a job of the plan,
 * and appends the ids of the After names to each job's spec.after. A MaxParallel of its own needs jobs
 * without a Group (a job is in one group: the plan's limit is a group of its own).
 * On a refused plan returns -EINVAL and *ret_message names the job and the key, e.g.
 * "jobs[7] (test-3): After: no job named \"build-x\" in the plan". Dependency cycles are found when the
 * plan is added to the scheduler: see plan_format_cycle(). */
int plan_prepare(Plan *p, uint64_t first_id, char **ret_message);

/* "Dependency cycle: a → b → a" for a cycle of the plan's ids as sched_add_batch() reports it (each runs
 * after the next, the last after the first). NULL on OOM. */
char *plan_format_cycle(const Plan *p, uint64_t first_id, const uint64_t *cycle, size_t n);
