/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The filter of Manager.ListJobsFiltered() (org.jobd1(5)): which jobs match, and which ids one page looks
 * at. Pure: no bus, no manager; src/bus reads the a{sv} into a JobFilter, src/core's table is walked by the
 * caller. */

#include <stdbool.h>
#include <stdint.h>

#include "job-enums.h"
#include "time-util.h"

/* ListJobsFiltered's limit: 0 means the default; more than the maximum is cut to it. */
#define JOB_FILTER_LIMIT_DEFAULT 1000U
#define JOB_FILTER_LIMIT_MAX     10000U

typedef struct JobFilter {
        bool owner_set;
        uint32_t owner;                /* Owner */
        bool run_set;
        uint64_t run;                  /* Run; 0: jobs of no run */
        uint32_t states;               /* States: 1U << JobState each; 0: any */
        uint32_t results;              /* Results: 1U << JobResult each ("" is JOB_RESULT_NONE); 0: any */
        char *group;                   /* Group; NULL: any, "": jobs of no group */
        char *label;                   /* Label: jobs that have it; NULL: any */
        uint64_t min_id;               /* MinId; 0: none */
        uint64_t max_id;               /* MaxId; 0: none */
        usec_t submitted_after;        /* SubmittedAfterUSec: SubmitUSec strictly later; 0: none */
} JobFilter;

/* What the filter looks at of one job. */
typedef struct JobFilterItem {
        uint64_t id;
        uint32_t owner;
        uint64_t run;                  /* 0: none */
        JobState state;
        JobResult result;
        const char *group;             /* NULL or "": none */
        char *const *labels;
        usec_t submit_usec;
} JobFilterItem;

void job_filter_done(JobFilter *f);

/* Adds one name of States/Results: -EINVAL if it is not a state/result. */
int job_filter_add_state(JobFilter *f, const char *s);
int job_filter_add_result(JobFilter *f, const char *s);

bool job_filter_match(const JobFilter *f, const JobFilterItem *i);

/* The limit a page has (0: the default, capped at the maximum). */
uint32_t job_filter_limit(uint32_t limit);

/* The ids a page after "after" looks at: [*ret_first, *ret_end). Empty (first >= end) if none can match. */
void job_filter_id_range(const JobFilter *f, uint64_t after, uint64_t *ret_first, uint64_t *ret_end);
