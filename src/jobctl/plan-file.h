/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Plan files (jobd.plan(5)): a JSON object with defaults every job inherits and the jobs, which refer to
 * each other by name. Pure: JSON text in, a PlanFile out; jobctl-plan.c turns it into SubmitPlan(). Only
 * the file's own form is checked here (types, keys, units); what the daemon checks — unique and known
 * names, cycles, limits — it says itself, naming the job.
 *
 *     {
 *       "name": "nightly",
 *       "defaults": { "cwd": "/srv/regress", "env": { "SEED": "1" }, "timeout": "2h",
 *                     "retries": 1, "retry_on": ["timeout"], "group": "tests" },
 *       "jobs": [
 *         { "name": "build", "command": ["make", "-j8"], "group": "build" },
 *         { "name": "test-1", "command": "./run-test 1", "after": ["build"],
 *           "resources": { "vcs_license": 1 } }
 *       ]
 *     }
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

typedef struct PlanFileResource {
        char *pool;
        uint32_t amount;
} PlanFileResource;

/* A job, or the defaults (which have no name, command or after). Unset fields are NULL / *_set false. */
typedef struct PlanFileSpec {
        char *name;
        char **command;                /* argv; a string in the file becomes /bin/sh -c STRING */
        char *cwd;                     /* absolute (a relative one is resolved against the file's folder) */
        char **env;                    /* "NAME=VALUE" */
        bool priority_set;
        int32_t priority;
        bool timeout_set;
        usec_t timeout;                /* 0: none */
        bool memory_max_set;
        uint64_t memory_max;
        bool tasks_max_set;
        uint64_t tasks_max;
        bool cpu_weight_set;
        uint64_t cpu_weight;
        char **after;                  /* names of jobs of the plan */
        char *after_condition;         /* success, failure, any */
        char *group;
        PlanFileResource *resources;
        size_t n_resources;
        bool resources_set;
        bool retries_set;
        uint32_t retries;
        char **retry_on;
        bool retry_delay_set;
        usec_t retry_delay;
        char **system_call_filter;     /* [] clears a default */
        char **restrict_address_families; /* [] clears a default */
        bool log_max_bytes_set;
        uint64_t log_max_bytes;        /* 0: no cap */
        char **labels;                 /* NULL: not given */
        char **fail_patterns;          /* PCRE2, checked by jobd */
        char **pass_patterns;
        char *log;                     /* LogPath, absolute (resolved against the file's folder) */
        char *odir;                    /* OutputDirectory, likewise */
        bool jobserver_set;
        bool jobserver;                /* a GNU make jobserver in MAKEFLAGS */
        char *jobserver_style;         /* "pipe", "fifo", NULL: not given */
        char *backend;                 /* "local", "slurm", NULL: not given */
} PlanFileSpec;

typedef struct PlanFile {
        char *name;
        bool max_parallel_set;
        uint32_t max_parallel;
        bool inherit_environment;      /* default true: jobs start from jobctl's environment */
        usec_t timeout;                /* "timeout": the run's (RunTimeoutUSec); 0: none */
        char *output_root;             /* "output_root", absolute (resolved against the file's folder) */
        PlanFileSpec defaults;
        PlanFileSpec *jobs;
        size_t n_jobs;
} PlanFile;

/* Parses a plan file's text. filename is what messages call it; base_dir (absolute) is what relative
 * "cwd" values are resolved against. On a mistake returns -EINVAL and *ret_error says where, as
 * "FILE: jobs[3] (test-a-2): timeout: expected ..." or "FILE:12:5: JSON syntax error: ...". */
int plan_file_parse(const char *text, size_t size, const char *filename, const char *base_dir, PlanFile *ret,
                    char **ret_error);
void plan_file_done(PlanFile *p);
