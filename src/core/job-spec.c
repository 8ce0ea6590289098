/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fd-util.h"
#include "job-spec.h"
#include "strv.h"

const JobSpecKey job_spec_keys[] = {
        { "Argv", "as" },
        { "Name", "s" },
        { "WorkingDirectory", "s" },
        { "Environment", "as" },
        { "Priority", "i" },
        { "TimeoutUSec", "t" },
        { "MemoryMax", "t" },
        { "TasksMax", "t" },
        { "CPUWeight", "t" },
        { "StdinFD", "h" },
        { "StdoutFD", "h" },
        { "StderrFD", "h" },
        { "After", "at" },
        { "AfterCondition", "s" },
        { "Group", "s" },
        { "Resources", "a{su}" },
        { "Retries", "u" },
        {}
};

const JobSpecKey *job_spec_key_find(const char *name) {
        for (const JobSpecKey *k = job_spec_keys; k->name; k++)
                if (streq(k->name, name))
                        return k;
        return NULL;
}

void job_spec_init(JobSpec *s) {
        *s = (JobSpec) {
                .limits = JOB_LIMITS_NONE,
                .stdio_fds = { -EBADF, -EBADF, -EBADF },
                .after_condition = SCHED_AFTER_SUCCESS,
        };
}

void job_spec_done(JobSpec *s) {
        strv_free(s->argv);
        free(s->name);
        free(s->working_directory);
        strv_free(s->environment);
        for (size_t i = 0; i < 3; i++)
                safe_close(s->stdio_fds[i]);
        free(s->after);
        free(s->group);
        for (size_t i = 0; i < s->n_resources; i++)
                free(s->resources[i].pool);
        free(s->resources);
        job_spec_init(s);
}

bool env_assignment_is_valid(const char *e) {
        const char *eq = strchr(e, '=');

        if (!eq || eq == e)
                return false;
        for (const char *p = e; p < eq; p++)
                if (!isprint((unsigned char) *p) || *p == ' ')
                        return false;
        return true;
}

bool identifier_is_valid(const char *s, size_t max) {
        size_t l = 0;

        if (isempty(s))
                return false;
        for (; s[l]; l++)
                if (!isalnum((unsigned char) s[l]) && !strchr("_.-", s[l]))
                        return false;
        return l <= max;
}

_printf_(2, 3)
static int fail(char **ret, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return -EINVAL;
}

int job_spec_validate(const JobSpec *s, char **ret) {
        size_t n, bytes;

        n = strv_length(s->argv);
        if (n == 0)
                return fail(ret, "Argv: is required and must not be empty");
        if (isempty(s->argv[0]))
                return fail(ret, "Argv: the command (first element) must not be empty");
        if (n > JOB_ARGV_MAX)
                return fail(ret, "Argv: %zu arguments, at most %u are allowed", n, JOB_ARGV_MAX);
        bytes = strv_bytes(s->argv);
        if (bytes > JOB_ARGV_BYTES_MAX)
                return fail(ret, "Argv: %zu bytes, at most %u are allowed", bytes, JOB_ARGV_BYTES_MAX);

        if (s->name) {
                if (strlen(s->name) > JOB_NAME_MAX)
                        return fail(ret, "Name: longer than %u bytes", JOB_NAME_MAX);
                for (const char *p = s->name; *p; p++)
                        if ((unsigned char) *p < ' ' || *p == 0x7f)
                                return fail(ret, "Name: must not contain control characters");
        }

        if (s->working_directory) {
                if (s->working_directory[0] != '/')
                        return fail(ret, "WorkingDirectory: must be an absolute path, got \"%s\"",
                                    s->working_directory);
                if (strlen(s->working_directory) >= PATH_MAX)
                        return fail(ret, "WorkingDirectory: longer than %u bytes", PATH_MAX - 1);
        }

        n = strv_length(s->environment);
        if (n > JOB_ENV_MAX)
                return fail(ret, "Environment: %zu entries, at most %u are allowed", n, JOB_ENV_MAX);
        bytes = strv_bytes(s->environment);
        if (bytes > JOB_ENV_BYTES_MAX)
                return fail(ret, "Environment: %zu bytes, at most %u are allowed", bytes, JOB_ENV_BYTES_MAX);
        STRV_FOREACH(e, s->environment)
                if (!env_assignment_is_valid(*e))
                        return fail(ret, "Environment: \"%.64s\" is not of the form NAME=VALUE", *e);

        if (s->timeout_usec != USEC_INFINITY && s->timeout_usec > JOB_TIMEOUT_MAX)
                return fail(ret, "TimeoutUSec: %llu µs is more than a year (use 0 for no timeout)",
                            (unsigned long long) s->timeout_usec);

        if (s->limits.memory_max != LIMIT_UNSET && s->limits.memory_max < JOB_MEMORY_MAX_MIN)
                return fail(ret, "MemoryMax: %llu bytes is below the minimum of %llu",
                            (unsigned long long) s->limits.memory_max, JOB_MEMORY_MAX_MIN);
        if (s->limits.tasks_max != LIMIT_UNSET &&
            (s->limits.tasks_max == 0 || s->limits.tasks_max > JOB_TASKS_MAX_MAX))
                return fail(ret, "TasksMax: must be between 1 and %llu, got %llu", JOB_TASKS_MAX_MAX,
                            (unsigned long long) s->limits.tasks_max);
        if (s->limits.cpu_weight != LIMIT_UNSET &&
            (s->limits.cpu_weight < JOB_CPU_WEIGHT_MIN || s->limits.cpu_weight > JOB_CPU_WEIGHT_MAX))
                return fail(ret, "CPUWeight: must be between %llu and %llu, got %llu", JOB_CPU_WEIGHT_MIN,
                            JOB_CPU_WEIGHT_MAX, (unsigned long long) s->limits.cpu_weight);

        if (s->n_after > SCHED_DEPS_MAX)
                return fail(ret, "After: %zu dependencies, at most %u are allowed", s->n_after, SCHED_DEPS_MAX);
        for (size_t i = 0; i < s->n_after; i++)
                if (s->after[i] == 0)
                        return fail(ret, "After: job ids start at 1, got 0");

        if (s->group && !identifier_is_valid(s->group, JOB_GROUP_MAX))
                return fail(ret, "Group: \"%.64s\" is not 1-%u characters of A-Z a-z 0-9 _ . -",
                            s->group, JOB_GROUP_MAX);

        if (s->n_resources > SCHED_RESOURCES_MAX)
                return fail(ret, "Resources: %zu pools, at most %u are allowed", s->n_resources,
                            SCHED_RESOURCES_MAX);
        for (size_t i = 0; i < s->n_resources; i++) {
                if (!identifier_is_valid(s->resources[i].pool, JOB_POOL_NAME_MAX))
                        return fail(ret, "Resources: pool name \"%.64s\" is not 1-%u characters of "
                                    "A-Z a-z 0-9 _ . -", s->resources[i].pool, JOB_POOL_NAME_MAX);
                if (s->resources[i].amount == 0)
                        return fail(ret, "Resources: amount of pool \"%s\" must be at least 1",
                                    s->resources[i].pool);
        }

        if (s->retries > JOB_RETRIES_MAX)
                return fail(ret, "Retries: at most %u, got %u", JOB_RETRIES_MAX, s->retries);

        return 0;
}
