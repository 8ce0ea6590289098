/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fairness between the users of one daemon (jobd.conf(5) [Users] and [Defaults]): what each user may hold
 * and what a job gets when its spec says nothing. Pure: no bus, no I/O; the Manager counts what each user
 * holds (src/core/quota.c) and asks these functions. Limits never apply to root (uid 0). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf-parse.h"
#include "job-spec.h"

/* Built-in limits of a system daemon whose jobd.conf sets none, so that one user cannot make it hold
 * jobs or memory without bound: 10000 unfinished jobs are several nights of regressions of one user,
 * and 64 MiB of specs are 10000 jobs with 6 KiB of argv and environment each (1000 jobs of the largest
 * spec take 512 MiB). A --user daemon has no built-in limits: it serves one user. */
#define USER_LIMITS_SYSTEM_UNFINISHED_JOBS 10000U
#define USER_LIMITS_SYSTEM_SPEC_BYTES      (64ULL * 1024 * 1024)
#define USER_LIMITS_SYSTEM_MAX_PRIORITY    0

typedef struct UserLimits {
        uint32_t max_running_jobs;           /* UINT32_MAX: none */
        uint64_t max_unfinished_jobs;        /* UINT64_MAX: none */
        uint64_t max_spec_bytes;             /* UINT64_MAX: none */
        int32_t max_priority;                /* INT32_MAX: none */
        usec_t max_timeout_usec;             /* USEC_INFINITY: none */
        usec_t default_timeout_usec;         /* 0: none */
        uint64_t default_tasks_max;          /* LIMIT_UNSET: none */
        uint64_t default_memory_max;         /* LIMIT_UNSET: none */
} UserLimits;

/* The limits jobd.conf gives (c NULL: none), over the built-in ones of the mode. -EINVAL with
 * *ret_error when they contradict each other (a default timeout longer than the maximum). */
int user_limits_from_conf(const JobdConf *c, bool system_mode, UserLimits *ret, char **ret_error);

static inline bool user_limits_apply_to(uid_t uid) {
        return uid != 0;
}

/* Fills in the defaults for what the spec does not give: the timeout (the default, else the maximum),
 * TasksMax and MemoryMax. For every job, root's too. */
void user_limits_apply_defaults(const UserLimits *l, JobSpec *s);

/* For a user the limits apply to: 0, or -EINVAL with *ret_message naming the key and the allowed
 * maximum (Priority, TimeoutUSec). */
int user_limits_check_spec(const UserLimits *l, const JobSpec *s, char **ret_message);

/* For a user the limits apply to, who holds unfinished jobs with spec_bytes and asks for n_more jobs with
 * more_bytes: 0, or -EDQUOT with *ret_message naming the limit and the numbers. */
int user_limits_check_quota(const UserLimits *l, uid_t uid, uint64_t unfinished, uint64_t spec_bytes,
                            uint64_t n_more, uint64_t more_bytes, char **ret_message);
