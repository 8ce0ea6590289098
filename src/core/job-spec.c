/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "fd-util.h"
#include "job-spec.h"
#include "message-util.h"
#include "seccomp-filter.h"
#include "strv.h"

const JobSpecKey job_spec_keys[_JOB_KEY_MAX + 1] = {
        [JOB_KEY_ARGV]             = { "Argv", "as" },
        [JOB_KEY_NAME]             = { "Name", "s" },
        [JOB_KEY_WORKING_DIRECTORY] = { "WorkingDirectory", "s" },
        [JOB_KEY_ENVIRONMENT]      = { "Environment", "as" },
        [JOB_KEY_PRIORITY]         = { "Priority", "i" },
        [JOB_KEY_TIMEOUT_USEC]     = { "TimeoutUSec", "t" },
        [JOB_KEY_MEMORY_MAX]       = { "MemoryMax", "t" },
        [JOB_KEY_TASKS_MAX]        = { "TasksMax", "t" },
        [JOB_KEY_CPU_WEIGHT]       = { "CPUWeight", "t" },
        [JOB_KEY_STDIN_FD]         = { "StdinFD", "h" },
        [JOB_KEY_STDOUT_FD]        = { "StdoutFD", "h" },
        [JOB_KEY_STDERR_FD]        = { "StderrFD", "h" },
        [JOB_KEY_AFTER]            = { "After", "at" },
        [JOB_KEY_AFTER_CONDITION]  = { "AfterCondition", "s" },
        [JOB_KEY_GROUP]            = { "Group", "s" },
        [JOB_KEY_RESOURCES]        = { "Resources", "a{su}" },
        [JOB_KEY_RETRIES]          = { "Retries", "u" },
        [JOB_KEY_RETRY_ON]         = { "RetryOn", "as" },
        [JOB_KEY_RETRY_DELAY_USEC] = { "RetryDelayUSec", "t" },
        [JOB_KEY_SYSTEM_CALL_FILTER] = { "SystemCallFilter", "as" },
        [JOB_KEY_RESTRICT_ADDRESS_FAMILIES] = { "RestrictAddressFamilies", "as" },
        [JOB_KEY_LOG_MAX_BYTES]    = { "LogMaxBytes", "t" },
        [JOB_KEY_LABELS]           = { "Labels", "as" },
        [JOB_KEY_HOLD]             = { "Hold", "b" },
        [JOB_KEY_NOT_BEFORE_USEC]  = { "NotBeforeUSec", "t" },
        [JOB_KEY_FAIL_PATTERNS]    = { "FailPatterns", "as" },
        [JOB_KEY_PASS_PATTERNS]    = { "PassPatterns", "as" },
        [JOB_KEY_LOG_PATH]         = { "LogPath", "s" },
        [JOB_KEY_OUTPUT_DIRECTORY] = { "OutputDirectory", "s" },
        [JOB_KEY_JOBSERVER]        = { "Jobserver", "b" },
        [JOB_KEY_JOBSERVER_STYLE]  = { "JobserverStyle", "s" },
        [JOB_KEY_BACKEND]          = { "Backend", "s" },
        {}
};

const JobSpecKey *job_spec_key_find(const char *name) {
        for (const JobSpecKey *k = job_spec_keys; k->name; k++)
                if (streq(k->name, name))
                        return k;
        return NULL;
}

static const char *const job_backend_kind_table[_JOB_BACKEND_KIND_MAX] = {
        [JOB_BACKEND_DEFAULT] = "",
        [JOB_BACKEND_LOCAL] = "local",
        [JOB_BACKEND_SLURM] = "slurm",
};

const char *job_backend_kind_to_string(JobBackendKind k) {
        return k >= 0 && k < _JOB_BACKEND_KIND_MAX ? job_backend_kind_table[k] : NULL;
}

JobBackendKind job_backend_kind_from_string(const char *s) {
        for (JobBackendKind k = 0; s && k < _JOB_BACKEND_KIND_MAX; k++)
                if (streq(job_backend_kind_table[k], s))
                        return k;
        return _JOB_BACKEND_KIND_INVALID;
}

const char *job_after_condition_to_string(SchedCondition c) {
        return sched_condition_to_string(c);
}

SchedCondition job_after_condition_from_string(const char *s) {
        return sched_condition_from_string(s);
}

void job_spec_init(JobSpec *s) {
        *s = (JobSpec) {
                .limits = JOB_LIMITS_NONE,
                .stdio_fds = { -EBADF, -EBADF, -EBADF },
                .after_condition = SCHED_AFTER_SUCCESS,
                .log_max_bytes = JOB_LOG_MAX_BYTES_UNSET,
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
        free(s->retry_on_exit_codes);
        job_shared_env_unref(s->base_environment);
        seccomp_filter_unref(s->system_call_filter);
        strv_free(s->labels);
        job_patterns_unref(s->patterns);
        free(s->log_path);
        free(s->output_directory);
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

bool slot_name_is_valid(const char *s) {
        size_t l = 0;

        if (isempty(s))
                return false;
        for (; s[l]; l++)
                if ((unsigned char) s[l] <= ' ' || (unsigned char) s[l] >= 0x7f || s[l] == '=' ||
                    s[l] == ',')
                        return false;
        return l <= JOB_SLOT_NAME_MAX;
}

/* Refuses: *ret says why. */
#define fail(ret, ...) message_set(ret, -EINVAL, __VA_ARGS__)

/* LogPath, OutputDirectory: absolute, printable, with room for what jobd puts under them. */
static int check_path(const char *key, const char *p, char **ret) {
        if (!p)
                return 0;
        if (p[0] != '/')
                return fail(ret, "%s: must be an absolute path, got \"%.64s\"", key, p);
        if (strlen(p) >= PATH_MAX / 2)
                return fail(ret, "%s: longer than %u bytes", key, PATH_MAX / 2 - 1);
        for (const char *c = p; *c; c++)
                if ((unsigned char) *c < ' ' || *c == 0x7f)
                        return fail(ret, "%s: must not contain control characters", key);
        return 0;
}

int job_spec_validate(const JobSpec *s, char **ret) {
        size_t n, bytes, n_env, env_bytes;
        int r;

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

        n_env = n = strv_length(s->environment);
        if (n > JOB_ENV_MAX)
                return fail(ret, "Environment: %zu entries, at most %u are allowed", n, JOB_ENV_MAX);
        env_bytes = bytes = strv_bytes(s->environment);
        if (bytes > JOB_ENV_BYTES_MAX)
                return fail(ret, "Environment: %zu bytes, at most %u are allowed", bytes, JOB_ENV_BYTES_MAX);
        STRV_FOREACH(e, s->environment)
                if (!env_assignment_is_valid(*e))
                        return fail(ret, "Environment: \"%s\" is not of the form NAME=VALUE",
                                    SHORT_STRING(*e));

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
                return fail(ret, "Group: \"%s\" is not 1-%u characters of A-Z a-z 0-9 _ . -",
                            SHORT_STRING(s->group), JOB_GROUP_MAX);

        if (s->n_resources > SCHED_RESOURCES_MAX)
                return fail(ret, "Resources: %zu pools, at most %u are allowed", s->n_resources,
                            SCHED_RESOURCES_MAX);
        for (size_t i = 0; i < s->n_resources; i++) {
                if (!identifier_is_valid(s->resources[i].pool, JOB_POOL_NAME_MAX))
                        return fail(ret, "Resources: pool name \"%s\" is not 1-%u characters of "
                                    "A-Z a-z 0-9 _ . -", SHORT_STRING(s->resources[i].pool),
                                    JOB_POOL_NAME_MAX);
                if (s->resources[i].amount == 0)
                        return fail(ret, "Resources: amount of pool \"%s\" must be at least 1",
                                    s->resources[i].pool);
        }

        if (s->retries > JOB_RETRIES_MAX)
                return fail(ret, "Retries: at most %u, got %u", JOB_RETRIES_MAX, s->retries);
        if (s->retry_delay_usec > JOB_RETRY_DELAY_MAX)
                return fail(ret, "RetryDelayUSec: %llu µs is more than a day",
                            (unsigned long long) s->retry_delay_usec);
        if (s->log_max_bytes != 0 && s->log_max_bytes != JOB_LOG_MAX_BYTES_UNSET &&
            s->log_max_bytes < JOB_LOG_MAX_BYTES_MIN)
                return fail(ret, "LogMaxBytes: %llu bytes is below the minimum of %llu (0: no cap)",
                            (unsigned long long) s->log_max_bytes, JOB_LOG_MAX_BYTES_MIN);
        if (s->log_max_bytes != JOB_LOG_MAX_BYTES_UNSET && s->log_max_bytes > JOB_LOG_MAX_BYTES_MAX)
                return fail(ret, "LogMaxBytes: %llu bytes is above the maximum of %llu (0: no cap)",
                            (unsigned long long) s->log_max_bytes, JOB_LOG_MAX_BYTES_MAX);
        if (strv_length(s->labels) > JOB_LABELS_MAX)
                return fail(ret, "Labels: %zu labels, at most %u are allowed", strv_length(s->labels),
                            JOB_LABELS_MAX);
        STRV_FOREACH(l, s->labels) {
                if (!identifier_is_valid(*l, JOB_LABEL_MAX))
                        return fail(ret, "Labels: \"%.64s\" is not 1-%u characters of A-Z a-z 0-9 _ . -", *l,
                                    JOB_LABEL_MAX);
                for (char **k = s->labels; k < l; k++)
                        if (streq(*k, *l))
                                return fail(ret, "Labels: \"%s\" given twice", *l);
        }
        r = seccomp_filter_check(s->system_call_filter ? s->system_call_filter->names : NULL, ret);
        if (r < 0)
                return r;
        r = seccomp_address_families_check(
                        s->system_call_filter ? s->system_call_filter->address_families : NULL, ret);
        if (r < 0)
                return r;

        r = check_path("LogPath", s->log_path, ret);
        if (r < 0)
                return r;
        if (s->log_path && s->log_path[strlen(s->log_path) - 1] == '/')
                return fail(ret, "LogPath: names a folder, \"%s\": give the file's name", s->log_path);
        r = check_path("OutputDirectory", s->output_directory, ret);
        if (r < 0)
                return r;

        /* Compiled here, once for the patterns a plan's jobs share. */
        r = job_patterns_compile(s->patterns, ret);
        if (r < 0)
                return r;

        if (s->base_environment) {
                n = n_env + strv_length(s->base_environment->env);
                bytes = env_bytes + strv_bytes(s->base_environment->env);
                if (n > JOB_ENV_MAX || bytes > JOB_ENV_BYTES_MAX)
                        return fail(ret,
                                    "Environment: %zu entries, %zu bytes with the plan's defaults, at most "
                                    "%u and %u are allowed",
                                    n, bytes, JOB_ENV_MAX, JOB_ENV_BYTES_MAX);
        }

        return 0;
}

static size_t strlen_null(const char *s) {
        return s ? strlen(s) + 1 : 0;
}

uint64_t job_spec_bytes(const JobSpec *s) {
        uint64_t b;

        b = strv_bytes(s->argv) + strv_bytes(s->environment) + strlen_null(s->name) +
            strlen_null(s->working_directory) + strlen_null(s->group) + s->n_after * sizeof(uint64_t) +
            strv_bytes(s->labels) + strlen_null(s->log_path) + strlen_null(s->output_directory);
        for (size_t i = 0; i < s->n_resources; i++)
                b += strlen_null(s->resources[i].pool) + sizeof(uint32_t);
        return b;
}

void job_spec_trim_done(JobSpec *s) {
        size_t bytes = 0, k = 0;

        s->environment = strv_free(s->environment);
        if (strv_bytes(s->argv) <= JOB_DONE_ARGV_BYTES_MAX)
                return;

        /* The command stays whatever its length; then whole arguments while they fit. */
        for (; s->argv[k]; k++) {
                size_t l = strlen(s->argv[k]) + 1;

                if (k > 0 && bytes + l > JOB_DONE_ARGV_BYTES_MAX - sizeof("…"))
                        break;
                bytes += l;
        }
        if (!s->argv[k])
                return;   /* a long command alone */
        for (size_t i = k + 1; s->argv[i]; i++)
                s->argv[i] = mfree(s->argv[i]);
        free(s->argv[k]);
        /* Out of memory: the argv just ends without the mark. */
        s->argv[k] = strdup("…");
        s->argv = reallocarray(s->argv, k + 2, sizeof(char *)) ?: s->argv;
}

JobSharedEnv *job_shared_env_new(char **env) {
        JobSharedEnv *e;

        if (!env) {
                env = calloc(1, sizeof(char *));
                if (!env)
                        return NULL;
        }
        e = malloc(sizeof(JobSharedEnv));
        if (!e) {
                strv_free(env);
                return NULL;
        }
        *e = (JobSharedEnv) { .n_ref = 1, .env = env };
        return e;
}

JobSharedEnv *job_shared_env_ref(JobSharedEnv *e) {
        if (e)
                e->n_ref++;
        return e;
}

JobSharedEnv *job_shared_env_unref(JobSharedEnv *e) {
        if (!e || --e->n_ref > 0)
                return NULL;
        strv_free(e->env);
        free(e);
        return NULL;
}

static bool env_has_name(char *const *l, const char *assignment) {
        size_t k = strcspn(assignment, "=");

        for (char *const *e = l; e && *e; e++)
                if (strncmp(*e, assignment, k) == 0 && (*e)[k] == '=')
                        return true;
        return false;
}

char **job_spec_environment(const JobSpec *s) {
        _cleanup_strv_free_ char **l = NULL;

        if (!s->base_environment)
                return strv_copy(s->environment);

        l = calloc(1, sizeof(char *));
        if (!l)
                return NULL;
        STRV_FOREACH(e, s->base_environment->env)
                if (!env_has_name(s->environment, *e) && strv_extend(&l, *e) < 0)
                        return NULL;
        STRV_FOREACH(e, s->environment)
                if (strv_extend(&l, *e) < 0)
                        return NULL;
        return TAKE_PTR(l);
}

static const SchedResult retry_on_results[] = {
        SCHED_RESULT_FAILED, SCHED_RESULT_TIMEOUT, SCHED_RESULT_KILLED, SCHED_RESULT_OOM, SCHED_RESULT_LOST,
};

SchedRetryPolicy job_spec_retry_policy(const JobSpec *s) {
        return (SchedRetryPolicy) {
                .retries = s->retries,
                /* On a cluster a node may fail under a job: lost is retried too (RetryOn= not given). */
                .on_results = s->retry_on != 0 ? s->retry_on :
                              s->backend == JOB_BACKEND_SLURM ? SCHED_RETRY_DEFAULT_RESULTS | (1U << SCHED_RESULT_LOST) :
                              SCHED_RETRY_DEFAULT_RESULTS,
                .on_exit_codes = s->retry_on_exit_codes,
                .n_on_exit_codes = s->n_retry_on_exit_codes,
        };
}

int job_spec_set_retry_on(JobSpec *s, char *const *words, char **ret) {
        _cleanup_free_ int *codes = NULL;
        size_t n_codes = 0, n = strv_length(words);
        uint32_t mask = 0;

        if (n > SCHED_EXIT_CODES_MAX)
                return fail(ret, "RetryOn: %zu entries, at most %u are allowed", n, SCHED_EXIT_CODES_MAX);
        if (n > 0) {
                codes = calloc(n, sizeof(int));
                if (!codes)
                        return -ENOMEM;
        }
        STRV_FOREACH(w, (char **) words) {
                bool found = false;
                char *end;
                long v;

                for (size_t i = 0; i < ELEMENTSOF(retry_on_results); i++)
                        if (streq(*w, sched_result_to_string(retry_on_results[i]))) {
                                mask |= 1U << retry_on_results[i];
                                found = true;
                        }
                if (found)
                        continue;

                errno = 0;
                v = strtol(*w, &end, 10);
                if (!isdigit((unsigned char) (*w)[0]) || *end || errno != 0 || v < 1 || v > 255)
                        return fail(ret,
                                    "RetryOn: \"%s\" is not one of failed, timeout, killed, oom, lost "
                                    "or an exit code 1-255",
                                    SHORT_STRING(*w));
                for (size_t i = 0; i < n_codes; i++)
                        if (codes[i] == (int) v) {
                                found = true;
                                break;
                        }
                if (!found)
                        codes[n_codes++] = (int) v;
        }
        /* Exit codes say which failures to retry: "failed" is implied, and restricted to them. */
        if (n_codes > 0)
                mask |= 1U << SCHED_RESULT_FAILED;

        free(s->retry_on_exit_codes);
        s->retry_on = mask;
        s->n_retry_on_exit_codes = n_codes;
        s->retry_on_exit_codes = n_codes > 0 ? TAKE_PTR(codes) : NULL;
        return 0;
}

char **job_spec_retry_on_strv(const JobSpec *s) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        char buf[16];

        if (!l)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(retry_on_results); i++) {
                SchedResult r = retry_on_results[i];

                /* "failed" with exit codes is said by the codes. */
                if (!(s->retry_on & (1U << r)) || (r == SCHED_RESULT_FAILED && s->n_retry_on_exit_codes > 0))
                        continue;
                if (strv_extend(&l, sched_result_to_string(r)) < 0)
                        return NULL;
        }
        for (size_t i = 0; i < s->n_retry_on_exit_codes; i++) {
                snprintf(buf, sizeof(buf), "%i", s->retry_on_exit_codes[i]);
                if (strv_extend(&l, buf) < 0)
                        return NULL;
        }
        return TAKE_PTR(l);
}
