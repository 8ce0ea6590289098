/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "message-util.h"
#include "user-limits.h"

#define fail(ret, error, ...) message_set(ret, error, __VA_ARGS__)

static uint64_t pick(uint64_t conf, uint64_t builtin) {
        if (conf == CONF_UNSET)
                return builtin;
        return conf == CONF_INFINITY ? UINT64_MAX : conf;
}

int user_limits_from_conf(const JobdConf *c, bool system_mode, UserLimits *ret, char **ret_error) {
        JobdConf none;
        UserLimits l;
        uint64_t v;

        *ret_error = NULL;
        if (!c) {
                jobd_conf_init(&none);
                c = &none;
        }

        v = pick(c->users.max_running_jobs, UINT64_MAX);
        l = (UserLimits) {
                .max_running_jobs = v >= UINT32_MAX ? UINT32_MAX : (uint32_t) v,
                .max_unfinished_jobs = pick(c->users.max_unfinished_jobs,
                                            system_mode ? USER_LIMITS_SYSTEM_UNFINISHED_JOBS : UINT64_MAX),
                .max_spec_bytes = pick(c->users.max_spec_bytes,
                                       system_mode ? USER_LIMITS_SYSTEM_SPEC_BYTES : UINT64_MAX),
                .max_priority = c->users.max_priority != CONF_PRIORITY_UNSET ? (int32_t) c->users.max_priority :
                                system_mode ? USER_LIMITS_SYSTEM_MAX_PRIORITY : INT32_MAX,
                .max_timeout_usec = pick(c->defaults.max_timeout_usec, USEC_INFINITY),
                .default_timeout_usec = pick(c->defaults.timeout_usec, 0),
                .default_tasks_max = pick(c->defaults.tasks_max, LIMIT_UNSET),
                .default_memory_max = pick(c->defaults.memory_max, LIMIT_UNSET),
        };
        /* No default timeout is "none" (UINT64_MAX from infinity): keep 0 for it. */
        if (l.default_timeout_usec == UINT64_MAX)
                l.default_timeout_usec = 0;

        if (l.max_timeout_usec != USEC_INFINITY && l.default_timeout_usec > l.max_timeout_usec)
                return fail(ret_error, -EINVAL,
                            "[Defaults] TimeoutSec= is longer than MaxTimeoutSec=: a job without a timeout "
                            "would be refused");
        *ret = l;
        return 0;
}

void user_limits_apply_defaults(const UserLimits *l, JobSpec *s) {
        if (s->timeout_usec == 0)
                s->timeout_usec = l->default_timeout_usec > 0 ? l->default_timeout_usec :
                                  l->max_timeout_usec != USEC_INFINITY ? l->max_timeout_usec : 0;
        if (s->limits.tasks_max == LIMIT_UNSET)
                s->limits.tasks_max = l->default_tasks_max;
        if (s->limits.memory_max == LIMIT_UNSET)
                s->limits.memory_max = l->default_memory_max;
}

int user_limits_check_spec(const UserLimits *l, const JobSpec *s, char **ret_message) {
        *ret_message = NULL;
        if (s->priority > l->max_priority)
                return fail(ret_message, -EINVAL,
                            "Priority: %i is more than the %i a user may give (jobd.conf [Users] "
                            "MaxPriority=); only root may raise a job above it",
                            (int) s->priority, (int) l->max_priority);
        if (l->max_timeout_usec != USEC_INFINITY &&
            (s->timeout_usec == 0 || s->timeout_usec > l->max_timeout_usec)) {
                char a[64], b[64];

                return fail(ret_message, -EINVAL,
                            "TimeoutUSec: %s is more than the %s a job may run (jobd.conf [Defaults] "
                            "MaxTimeoutSec=)",
                            s->timeout_usec == 0 || s->timeout_usec == USEC_INFINITY ? "no timeout" :
                            format_timespan(a, sizeof(a), s->timeout_usec),
                            format_timespan(b, sizeof(b), l->max_timeout_usec));
        }
        return 0;
}

int user_limits_check_quota(const UserLimits *l, uid_t uid, uint64_t unfinished, uint64_t spec_bytes,
                            uint64_t n_more, uint64_t more_bytes, char **ret_message) {
        *ret_message = NULL;
        if (l->max_unfinished_jobs != UINT64_MAX && unfinished + n_more > l->max_unfinished_jobs)
                return fail(ret_message, -EDQUOT,
                            "MaxUnfinishedJobs: uid %u has %llu unfinished jobs; %llu more would be over "
                            "the limit of %llu (jobd.conf [Users])",
                            (unsigned) uid, (unsigned long long) unfinished, (unsigned long long) n_more,
                            (unsigned long long) l->max_unfinished_jobs);
        if (l->max_spec_bytes != UINT64_MAX && spec_bytes + more_bytes > l->max_spec_bytes)
                return fail(ret_message, -EDQUOT,
                            "MaxSpecBytes: the jobs of uid %u (unfinished, and those of runs still kept) hold "
                            "%llu bytes of specs; %llu more would be over the limit of %llu (jobd.conf [Users])",
                            (unsigned) uid, (unsigned long long) spec_bytes, (unsigned long long) more_bytes,
                            (unsigned long long) l->max_spec_bytes);
        return 0;
}
