/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "bus-spec.h"
#include "fd-util.h"
#include "jobd-bus.h"
#include "seccomp-filter.h"
#include "strv.h"

static int invalid(sd_bus_error *error, const char *key, const char *why) {
        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC, "%s: %s", key, why);
}

/* sd_bus_message_read_strv() grows its array one entry at a time, quadratic in the entries: a client
 * sending 200k arguments would stall the daemon. Read with doubling, and stop at the bound. */
int bus_read_strv_bounded(sd_bus_message *m, const char *key, size_t max_entries, size_t max_bytes,
                             char ***ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, allocated = 0, bytes = 0;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &s)) > 0) {
                bytes += strlen(s) + 1;
                if (n >= max_entries || bytes > max_bytes)
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "%s: more than %zu entries or %zu bytes", key, max_entries,
                                                 max_bytes);
                if (n + 2 > allocated) {
                        char **t;

                        allocated = MAX(allocated * 2, (size_t) 16);
                        t = reallocarray(l, allocated, sizeof(char *));
                        if (!t)
                                return -ENOMEM;
                        l = t;
                }
                l[n] = strdup(s);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static int read_string(sd_bus_message *m, char **ret) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int read_fd(sd_bus_message *m, const char *key, bool writable, int *ret, sd_bus_error *error) {
        int fd, flags, r;

        r = sd_bus_message_read_basic(m, 'h', &fd);
        if (r < 0)
                return r;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return invalid(error, key, "not a valid file descriptor");
        if (writable ? (flags & O_ACCMODE) == O_RDONLY : (flags & O_ACCMODE) == O_WRONLY)
                return invalid(error, key, writable ? "file descriptor is not open for writing"
                                                    : "file descriptor is not open for reading");
        safe_close(*ret);
        *ret = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return *ret < 0 ? -errno : 0;
}

static int read_after(sd_bus_message *m, JobSpec *spec) {
        const void *p;
        size_t sz;
        int r;

        r = sd_bus_message_read_array(m, 't', &p, &sz);
        if (r < 0)
                return r;
        free(spec->after);
        spec->after = NULL;
        spec->n_after = sz / sizeof(uint64_t);
        if (spec->n_after > SCHED_DEPS_MAX)
                return 0; /* job_spec_validate() says why */
        if (sz > 0) {
                spec->after = malloc(sz);
                if (!spec->after)
                        return -ENOMEM;
                memcpy(spec->after, p, sz);
        }
        return 0;
}

static int read_resources(sd_bus_message *m, JobSpec *spec, sd_bus_error *error) {
        const char *pool;
        uint32_t amount;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{su}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{su}", &pool, &amount)) > 0) {
                JobResourceRequest *t;

                if (spec->n_resources >= SCHED_RESOURCES_MAX)
                        return invalid(error, "Resources", "too many pools");
                for (size_t i = 0; i < spec->n_resources; i++)
                        if (streq(spec->resources[i].pool, pool))
                                return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                         "Resources: pool \"%s\" given twice", pool);
                t = reallocarray(spec->resources, spec->n_resources + 1, sizeof(JobResourceRequest));
                if (!t)
                        return -ENOMEM;
                spec->resources = t;
                t[spec->n_resources].pool = strdup(pool);
                if (!t[spec->n_resources].pool)
                        return -ENOMEM;
                t[spec->n_resources++].amount = amount;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_value(sd_bus_message *m, const char *key, JobSpec *spec, sd_bus_error *error) {
        uint64_t t;
        int r;

        if (streq(key, "Argv"))
                return bus_read_strv_bounded(m, key, JOB_ARGV_MAX, JOB_ARGV_BYTES_MAX, &spec->argv, error);
        if (streq(key, "Environment"))
                return bus_read_strv_bounded(m, key, JOB_ENV_MAX, JOB_ENV_BYTES_MAX, &spec->environment, error);
        if (streq(key, "Name"))
                return read_string(m, &spec->name);
        if (streq(key, "WorkingDirectory"))
                return read_string(m, &spec->working_directory);
        if (streq(key, "Group"))
                return read_string(m, &spec->group);
        if (streq(key, "LogPath"))
                return read_string(m, &spec->log_path);
        if (streq(key, "OutputDirectory"))
                return read_string(m, &spec->output_directory);
        if (streq(key, "Priority"))
                return sd_bus_message_read_basic(m, 'i', &spec->priority);
        if (streq(key, "Retries"))
                return sd_bus_message_read_basic(m, 'u', &spec->retries);
        if (streq(key, "StdinFD"))
                return read_fd(m, key, false, &spec->stdio_fds[0], error);
        if (streq(key, "StdoutFD"))
                return read_fd(m, key, true, &spec->stdio_fds[1], error);
        if (streq(key, "StderrFD"))
                return read_fd(m, key, true, &spec->stdio_fds[2], error);
        if (streq(key, "After"))
                return read_after(m, spec);
        if (streq(key, "Resources"))
                return read_resources(m, spec, error);
        if (streq(key, "Hold")) {
                int b;

                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0)
                        spec->hold = b;
                return r;
        }
        if (streq(key, "Labels"))
                /* One more than allowed is read, so that job_spec_validate() says how many are. */
                return bus_read_strv_bounded(m, key, JOB_LABELS_MAX + 1, (JOB_LABELS_MAX + 1) * (JOB_LABEL_MAX + 1),
                                             &spec->labels, error);
        if (streq(key, "RetryOn")) {
                _cleanup_strv_free_ char **l = NULL;
                _cleanup_free_ char *why = NULL;

                /* Result names and exit codes, each at most once. */
                r = bus_read_strv_bounded(m, key, SCHED_EXIT_CODES_MAX + _SCHED_RESULT_MAX, 64 * 1024, &l, error);
                if (r < 0)
                        return r;
                r = job_spec_set_retry_on(spec, l, &why);
                if (r == -EINVAL)
                        return sd_bus_error_set(error, JOBD_ERROR_INVALID_SPEC, why);
                return r;
        }
        if (streq(key, "SystemCallFilter")) {
                char **l = NULL;

                /* Checked with the rest of the spec (job_spec_validate()). */
                r = bus_read_strv_bounded(m, key, SECCOMP_FILTER_NAMES_MAX,
                                          SECCOMP_FILTER_NAMES_MAX * (SECCOMP_FILTER_NAME_MAX + 2), &l, error);
                if (r < 0)
                        return r;
                return seccomp_filter_set_names(&spec->system_call_filter, l);
        }
        if (streq(key, "RestrictAddressFamilies")) {
                char **l = NULL;

                /* Checked with the rest of the spec; one filter with SystemCallFilter. */
                r = bus_read_strv_bounded(m, key, SECCOMP_FAMILIES_MAX,
                                          SECCOMP_FAMILIES_MAX * (SECCOMP_FAMILY_NAME_MAX + 2), &l, error);
                if (r < 0)
                        return r;
                return seccomp_filter_set_address_families(&spec->system_call_filter, l);
        }
        if (streq(key, "FailPatterns") || streq(key, "PassPatterns")) {
                _cleanup_strv_free_ char **l = NULL;

                /* Compiled with the rest of the spec (job_spec_validate()). */
                r = bus_read_strv_bounded(m, key, JOB_PATTERNS_MAX, JOB_PATTERNS_BYTES_MAX, &l, error);
                if (r < 0)
                        return r;
                if (!spec->patterns) {
                        spec->patterns = job_patterns_new();
                        if (!spec->patterns)
                                return -ENOMEM;
                }
                if (streq(key, "FailPatterns")) {
                        strv_free(spec->patterns->fail);
                        spec->patterns->fail = TAKE_PTR(l);
                } else {
                        strv_free(spec->patterns->pass);
                        spec->patterns->pass = TAKE_PTR(l);
                }
                return 0;
        }
        if (streq(key, "Jobserver")) {
                int b;

                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r < 0)
                        return r;
                spec->jobserver = b;
                return 0;
        }
        if (streq(key, "JobserverStyle")) {
                const char *s;

                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                if (!streq(s, "pipe") && !streq(s, "fifo"))
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "JobserverStyle: \"%s\" is not one of pipe, fifo", SHORT_STRING(s));
                spec->jobserver_fifo = streq(s, "fifo");
                return 0;
        }
        if (streq(key, "Backend")) {
                const char *s;
                JobBackendKind k;

                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                /* Whether Slurm is configured is the manager's to say (manager_resolve_backend()). */
                k = job_backend_kind_from_string(s);
                if (k < 0)
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "Backend: \"%s\" is not one of local, slurm (or \"\": the "
                                                 "daemon's default)", SHORT_STRING(s));
                spec->backend = k;
                return 0;
        }
        if (streq(key, "AfterCondition")) {
                const char *s;
                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                spec->after_condition = job_after_condition_from_string(s);
                if (spec->after_condition < 0)
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "AfterCondition: \"%s\" is not one of success, failure, any",
                                                 SHORT_STRING(s));
                return 0;
        }

        r = sd_bus_message_read_basic(m, 't', &t);
        if (r < 0)
                return r;
        if (streq(key, "TimeoutUSec"))
                spec->timeout_usec = t;
        else if (streq(key, "MemoryMax"))
                spec->limits.memory_max = t;
        else if (streq(key, "TasksMax"))
                spec->limits.tasks_max = t;
        else if (streq(key, "CPUWeight"))
                spec->limits.cpu_weight = t;
        else if (streq(key, "RetryDelayUSec"))
                spec->retry_delay_usec = t;
        else if (streq(key, "LogMaxBytes"))
                spec->log_max_bytes = t;
        else if (streq(key, "NotBeforeUSec"))
                spec->not_before_usec = t;
        return 0;
}

/* Plan jobs name the jobs they run after ("as"), or give ids of jobs outside the plan ("at"). */
static int read_after_names(sd_bus_message *m, BusSpecExtra *x, sd_bus_error *error) {
        return bus_read_strv_bounded(m, "After", SCHED_DEPS_MAX, SCHED_DEPS_MAX * (JOB_NAME_MAX + 1),
                                     &x->after_names, error);
}

int bus_read_job_spec_full(sd_bus_message *m, JobSpec *spec, BusSpecKind kind, BusSpecExtra *x,
                           sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        for (;;) {
                const JobSpecKey *k;
                const char *key, *contents;
                JobSpecKeyId id;
                char type;

                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;

                /* The plan's own options, beside the job defaults. */
                if (kind == BUS_SPEC_PLAN_OPTIONS && (streq(key, "Name") || streq(key, "MaxParallel"))) {
                        bool name = streq(key, "Name");

                        if (!streq(contents, name ? "s" : "u"))
                                return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                         "options: %s: must be of type '%s', got '%s'", key,
                                                         name ? "s" : "u", contents);
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r < 0)
                                return r;
                        r = name ? read_string(m, &x->name) :
                                   sd_bus_message_read_basic(m, 'u', &x->max_parallel);
                        if (r < 0)
                                return r;
                        goto next;
                }
                if (kind == BUS_SPEC_PLAN_OPTIONS && (streq(key, "RunTimeoutUSec") || streq(key, "OutputRoot"))) {
                        bool root = streq(key, "OutputRoot");

                        if (!streq(contents, root ? "s" : "t"))
                                return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                         "options: %s: must be of type '%s', got '%s'", key,
                                                         root ? "s" : "t", contents);
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r < 0)
                                return r;
                        r = root ? read_string(m, &x->output_root) :
                                   sd_bus_message_read_basic(m, 't', &x->run_timeout_usec);
                        if (r < 0)
                                return r;
                        goto next;
                }

                k = job_spec_key_find(key);
                if (!k)
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "%s: unknown key (see org.jobd1(5) for the spec keys)",
                                                 SHORT_STRING(key));
                id = (JobSpecKeyId) (k - job_spec_keys);
                if (x->keys & JOB_SPEC_KEY_BIT(id))
                        return invalid(error, k->name, "given more than once");
                x->keys |= JOB_SPEC_KEY_BIT(id);

                if (kind != BUS_SPEC_SUBMIT &&
                    (id == JOB_KEY_STDIN_FD || id == JOB_KEY_STDOUT_FD || id == JOB_KEY_STDERR_FD))
                        return invalid(error, k->name, "file descriptors cannot be given in a plan");
                if (kind == BUS_SPEC_PLAN_OPTIONS && (id == JOB_KEY_ARGV || id == JOB_KEY_AFTER ||
                                                      id == JOB_KEY_LOG_PATH || id == JOB_KEY_OUTPUT_DIRECTORY))
                        return invalid(error, k->name, "is for each job, not a default of the plan");

                if (kind == BUS_SPEC_PLAN_JOB && id == JOB_KEY_AFTER && streq(contents, "as")) {
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r < 0)
                                return r;
                        r = read_after_names(m, x, error);
                        if (r < 0)
                                return r;
                        goto next;
                }

                if (!streq(contents, k->signature)) {
                        const char *also = kind == BUS_SPEC_PLAN_JOB && id == JOB_KEY_AFTER ?
                                           " (ids) or 'as' (names of the plan's jobs)" : "";

                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "%s: must be of type '%s'%s, got '%s'",
                                                 k->name, k->signature, also, contents);
                }
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_value(m, k->name, spec, error);
                if (r < 0)
                        return r;
        next:
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

void bus_spec_extra_done(BusSpecExtra *x) {
        x->after_names = strv_free(x->after_names);
        x->name = mfree(x->name);
        x->output_root = mfree(x->output_root);
}

int bus_read_job_spec(sd_bus_message *m, JobSpec *spec, sd_bus_error *error) {
        BusSpecExtra x = {};
        int r;

        r = bus_read_job_spec_full(m, spec, BUS_SPEC_SUBMIT, &x, error);
        bus_spec_extra_done(&x);
        return r;
}
