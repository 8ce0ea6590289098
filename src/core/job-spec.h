/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a client asks for when it submits a job, and the rules it must obey. Pure: no bus, no I/O. */

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "sched.h"
#include "time-util.h"

/* Bounds on what one client request may make the daemon hold. */
#define JOB_ARGV_MAX            16384U
#define JOB_ARGV_BYTES_MAX      (256U * 1024U)
#define JOB_ENV_MAX             4096U
#define JOB_ENV_BYTES_MAX       (256U * 1024U)
#define JOB_NAME_MAX            255U
#define JOB_GROUP_MAX           64U
#define JOB_RETRIES_MAX         100U
#define JOB_TIMEOUT_MAX         (366ULL * 24 * 3600 * USEC_PER_SEC)
#define JOB_TASKS_MAX_MAX       4194304ULL
#define JOB_MEMORY_MAX_MIN      (1024ULL * 1024ULL)
#define JOB_CPU_WEIGHT_MIN      1ULL
#define JOB_CPU_WEIGHT_MAX      10000ULL
#define JOB_POOL_NAME_MAX       64U

typedef struct JobResourceRequest {
        char *pool;
        uint32_t amount;
} JobResourceRequest;

typedef struct JobSpec {
        char **argv;
        char *name;
        char *working_directory;
        char **environment;
        int32_t priority;
        usec_t timeout_usec;                 /* 0: none */
        JobLimits limits;
        int stdio_fds[3];                    /* owned; -EBADF: default (stdin /dev/null, output: log) */
        uint64_t *after;
        size_t n_after;
        SchedCondition after_condition;
        char *group;
        JobResourceRequest *resources;
        size_t n_resources;
        uint32_t retries;
} JobSpec;

void job_spec_init(JobSpec *s);
/* Frees everything the spec owns and closes its fds; leaves an initialised spec. */
void job_spec_done(JobSpec *s);

/* Checks every rule. 0 if valid; otherwise -EINVAL and *ret_message (malloc'ed) says which key and why,
 * e.g. "WorkingDirectory: must be an absolute path". */
int job_spec_validate(const JobSpec *s, char **ret_message);

/* Key names a client may send in the a{sv} spec, with their D-Bus types. */
typedef struct JobSpecKey {
        const char *name;
        const char *signature;
} JobSpecKey;
extern const JobSpecKey job_spec_keys[];
/* Looks up a key; NULL if unknown. */
const JobSpecKey *job_spec_key_find(const char *name);

/* True for a valid environment variable assignment "NAME=value" (NAME: no '=', not empty). */
bool env_assignment_is_valid(const char *e);
/* True for names of groups and pools: 1..max chars of [A-Za-z0-9_.-]. */
bool identifier_is_valid(const char *s, size_t max);
