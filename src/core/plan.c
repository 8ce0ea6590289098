/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "message-util.h"
#include "plan.h"
#include "strv.h"

void plan_init(Plan *p) {
        *p = (Plan) {};
        job_spec_init(&p->defaults);
}

void plan_done(Plan *p) {
        for (size_t i = 0; i < p->n_jobs; i++) {
                job_spec_done(&p->jobs[i].spec);
                strv_free(p->jobs[i].after_names);
        }
        free(p->jobs);
        free(p->name);
        free(p->output_root);
        job_spec_done(&p->defaults);
        plan_init(p);
}

int plan_add_job(Plan *p, PlanJob **ret) {
        if (p->n_jobs >= PLAN_JOBS_MAX)
                return -E2BIG;
        if (p->n_jobs >= p->n_allocated) {
                size_t n = MAX(p->n_allocated * 2, (size_t) 64);
                PlanJob *t = reallocarray(p->jobs, n, sizeof(PlanJob));

                if (!t)
                        return -ENOMEM;
                p->jobs = t;
                p->n_allocated = n;
        }
        p->jobs[p->n_jobs] = (PlanJob) {};
        job_spec_init(&p->jobs[p->n_jobs].spec);
        *ret = &p->jobs[p->n_jobs++];
        return 0;
}

const char *plan_job_label(const Plan *p, size_t i, char *buf, size_t l) {
        const char *name = i < p->n_jobs ? p->jobs[i].spec.name : NULL;

        if (name)
                snprintf(buf, l, "jobs[%zu] (%s)", i, SHORT_STRING(name));
        else
                snprintf(buf, l, "jobs[%zu]", i);
        return buf;
}

_printf_(4, 5)
static int fail_job(const Plan *p, size_t i, char **ret, const char *fmt, ...) {
        char label[PLAN_LABEL_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = message_setv(ret, -EINVAL, plan_job_label(p, i, label, sizeof(label)), fmt, ap);
        va_end(ap);
        return r;
}

static int copy_resources(JobSpec *to, const JobSpec *from) {
        if (from->n_resources == 0)
                return 0;
        to->resources = calloc(from->n_resources, sizeof(JobResourceRequest));
        if (!to->resources)
                return -ENOMEM;
        for (size_t i = 0; i < from->n_resources; i++) {
                to->resources[i].pool = strdup(from->resources[i].pool);
                if (!to->resources[i].pool)
                        return -ENOMEM;
                to->resources[i].amount = from->resources[i].amount;
                to->n_resources++;
        }
        return 0;
}

#define GIVEN(keys, id) (((keys) & JOB_SPEC_KEY_BIT(id)) != 0)

/* The defaults for every key the job did not give. Environment is not here: it is shared. */
static int apply_defaults(JobSpec *s, uint64_t keys, const JobSpec *d, uint64_t dkeys) {
        uint64_t want = dkeys & ~keys;

        if (GIVEN(want, JOB_KEY_WORKING_DIRECTORY) && d->working_directory) {
                s->working_directory = strdup(d->working_directory);
                if (!s->working_directory)
                        return -ENOMEM;
        }
        if (GIVEN(want, JOB_KEY_PRIORITY))
                s->priority = d->priority;
        if (GIVEN(want, JOB_KEY_TIMEOUT_USEC))
                s->timeout_usec = d->timeout_usec;
        if (GIVEN(want, JOB_KEY_MEMORY_MAX))
                s->limits.memory_max = d->limits.memory_max;
        if (GIVEN(want, JOB_KEY_TASKS_MAX))
                s->limits.tasks_max = d->limits.tasks_max;
        if (GIVEN(want, JOB_KEY_CPU_WEIGHT))
                s->limits.cpu_weight = d->limits.cpu_weight;
        if (GIVEN(want, JOB_KEY_AFTER_CONDITION))
                s->after_condition = d->after_condition;
        if (GIVEN(want, JOB_KEY_GROUP) && d->group) {
                s->group = strdup(d->group);
                if (!s->group)
                        return -ENOMEM;
        }
        if (GIVEN(want, JOB_KEY_RESOURCES)) {
                int r = copy_resources(s, d);
                if (r < 0)
                        return r;
        }
        if (GIVEN(want, JOB_KEY_RETRIES))
                s->retries = d->retries;
        if (GIVEN(want, JOB_KEY_RETRY_ON)) {
                s->retry_on = d->retry_on;
                if (d->n_retry_on_exit_codes > 0) {
                        s->retry_on_exit_codes = calloc(d->n_retry_on_exit_codes, sizeof(int));
                        if (!s->retry_on_exit_codes)
                                return -ENOMEM;
                        memcpy(s->retry_on_exit_codes, d->retry_on_exit_codes,
                               d->n_retry_on_exit_codes * sizeof(int));
                        s->n_retry_on_exit_codes = d->n_retry_on_exit_codes;
                }
        }
        if (GIVEN(want, JOB_KEY_RETRY_DELAY_USEC))
                s->retry_delay_usec = d->retry_delay_usec;
        if (GIVEN(want, JOB_KEY_LOG_MAX_BYTES))
                s->log_max_bytes = d->log_max_bytes;
        if (GIVEN(want, JOB_KEY_HOLD))
                s->hold = d->hold;
        if (GIVEN(want, JOB_KEY_NOT_BEFORE_USEC))
                s->not_before_usec = d->not_before_usec;
        if (GIVEN(want, JOB_KEY_LABELS) && d->labels) {
                s->labels = strv_copy(d->labels);
                if (!s->labels)
                        return -ENOMEM;
        }
        /* FailPatterns and PassPatterns: the defaults' (one compilation for the plan) when the job gave
         * neither, the missing list copied into the job's own when it gave one. */
        if (d->patterns && (GIVEN(want, JOB_KEY_FAIL_PATTERNS) || GIVEN(want, JOB_KEY_PASS_PATTERNS))) {
                if (!s->patterns)
                        s->patterns = job_patterns_ref(d->patterns);
                else {
                        char ***to = GIVEN(want, JOB_KEY_FAIL_PATTERNS) ? &s->patterns->fail : &s->patterns->pass;
                        char **from = GIVEN(want, JOB_KEY_FAIL_PATTERNS) ? d->patterns->fail : d->patterns->pass;

                        if (from) {
                                char **l = strv_copy(from);

                                if (!l)
                                        return -ENOMEM;
                                strv_free(*to);
                                *to = l;
                        }
                }
        }
        if (GIVEN(want, JOB_KEY_JOBSERVER))
                s->jobserver = d->jobserver;
        if (GIVEN(want, JOB_KEY_JOBSERVER_STYLE))
                s->jobserver_fifo = d->jobserver_fifo;
        if (GIVEN(want, JOB_KEY_BACKEND))
                s->backend = d->backend;
        if (!d->system_call_filter || !(want & (JOB_SPEC_KEY_BIT(JOB_KEY_SYSTEM_CALL_FILTER) |
                                               JOB_SPEC_KEY_BIT(JOB_KEY_RESTRICT_ADDRESS_FAMILIES))))
                return 0;
        /* SystemCallFilter and RestrictAddressFamilies are one filter: shared (one for the plan) when the
         * job gave neither, merged into the job's own when it gave one. */
        if (!s->system_call_filter)
                s->system_call_filter = seccomp_filter_ref(d->system_call_filter);
        else if (GIVEN(want, JOB_KEY_SYSTEM_CALL_FILTER) || GIVEN(want, JOB_KEY_RESTRICT_ADDRESS_FAMILIES)) {
                bool names = GIVEN(want, JOB_KEY_SYSTEM_CALL_FILTER);
                char *const *from = names ? d->system_call_filter->names :
                                            d->system_call_filter->address_families;
                char **l = NULL;
                int r;

                if (from) {
                        l = strv_copy(from);
                        if (!l)
                                return -ENOMEM;
                }
                r = names ? seccomp_filter_set_names(&s->system_call_filter, l) :
                            seccomp_filter_set_address_families(&s->system_call_filter, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct NameIndex {
        const char *name;
        uint32_t idx;
} NameIndex;

static int cmp_name_index(const void *a, const void *b) {
        const NameIndex *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_name_key(const void *key, const void *elem) {
        return strcmp(key, ((const NameIndex *) elem)->name);
}

int plan_prepare(Plan *p, uint64_t first_id, char **ret) {
        _cleanup_free_ NameIndex *names = NULL;
        JobSharedEnv *shared = NULL;
        size_t n_names = 0;
        int r;

        *ret = NULL;
        if (p->n_jobs == 0) {
                *ret = strdup("jobs: a plan needs at least one job");
                return -EINVAL;
        }

        /* One copy of the default environment for all jobs of the plan. */
        if (GIVEN(p->default_keys, JOB_KEY_ENVIRONMENT)) {
                shared = job_shared_env_new(p->defaults.environment);
                p->defaults.environment = NULL;
                if (!shared)
                        return -ENOMEM;
                p->defaults.base_environment = shared;
        }

        /* Bad defaults are said once, not as a fault of every job. */
        if (p->default_keys != 0) {
                _cleanup_free_ char *why = NULL;
                char *argv[] = { (char *) "-", NULL };

                p->defaults.argv = argv;
                r = job_spec_validate(&p->defaults, &why);
                p->defaults.argv = NULL;
                if (r == -EINVAL) {
                        if (asprintf(ret, "defaults: %s", strna(why)) < 0)
                                return -ENOMEM;
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }

        names = calloc(p->n_jobs, sizeof(NameIndex));
        if (!names)
                return -ENOMEM;

        for (size_t i = 0; i < p->n_jobs; i++) {
                PlanJob *j = &p->jobs[i];
                _cleanup_free_ char *why = NULL;

                r = apply_defaults(&j->spec, j->keys, &p->defaults, p->default_keys);
                if (r < 0)
                        return r;
                if (shared && !j->spec.base_environment)
                        j->spec.base_environment = job_shared_env_ref(shared);

                r = job_spec_validate(&j->spec, &why);
                if (r == -EINVAL)
                        return fail_job(p, i, ret, "%s", strna(why));
                if (r < 0)
                        return r;
                if (j->spec.name)
                        names[n_names++] = (NameIndex) { j->spec.name, (uint32_t) i };
        }

        qsort(names, n_names, sizeof(NameIndex), cmp_name_index);
        for (size_t k = 1; k < n_names; k++)
                if (streq(names[k].name, names[k - 1].name)) {
                        char first[PLAN_LABEL_MAX];
                        return fail_job(p, names[k].idx, ret, "Name: \"%s\" is already the name of %s",
                                        names[k].name, plan_job_label(p, names[k - 1].idx, first,
                                                                      sizeof(first)));
                }

        for (size_t i = 0; i < p->n_jobs; i++) {
                PlanJob *j = &p->jobs[i];
                size_t n_names_after = strv_length(j->after_names), n;
                uint64_t *a;

                if (n_names_after == 0)
                        continue;
                n = j->spec.n_after + n_names_after;
                if (n > SCHED_DEPS_MAX)
                        return fail_job(p, i, ret, "After: %zu dependencies, at most %u are allowed", n,
                                        SCHED_DEPS_MAX);
                a = reallocarray(j->spec.after, n, sizeof(uint64_t));
                if (!a)
                        return -ENOMEM;
                j->spec.after = a;
                STRV_FOREACH(name, j->after_names) {
                        const NameIndex *x = bsearch(*name, names, n_names, sizeof(NameIndex), cmp_name_key);

                        if (!x)
                                return fail_job(p, i, ret, "After: no job named \"%s\" in the plan",
                                                SHORT_STRING(*name));
                        a[j->spec.n_after++] = first_id + x->idx;
                }
        }
        return 0;
}

/* Names at most this many jobs of a cycle: the message must stay small however long the cycle is. */
#define PLAN_CYCLE_SHOWN 20U

static void cycle_label(const Plan *p, uint64_t first_id, uint64_t id, char *label, size_t l) {
        size_t i = id - first_id;

        if (id >= first_id && i < p->n_jobs) {
                if (p->jobs[i].spec.name)
                        snprintf(label, l, "%s", SHORT_STRING(p->jobs[i].spec.name));
                else
                        plan_job_label(p, i, label, l);
        } else
                snprintf(label, l, "job %llu", (unsigned long long) id);
}

char *plan_format_cycle(const Plan *p, uint64_t first_id, const uint64_t *cycle, size_t n) {
        char *s = NULL, label[PLAN_LABEL_MAX];
        size_t size = 0, shown;
        FILE *f;

        f = open_memstream(&s, &size);
        if (!f)
                return NULL;
        fputs("Dependency cycle: ", f);
        /* The cycle runs each after the next: print it in the order things would have to run, back to
         * where it started; a long one as its first jobs, how many more, and the start again. */
        shown = MIN(n, (size_t) PLAN_CYCLE_SHOWN);
        for (size_t k = 0; n > 0 && k <= shown; k++) {
                uint64_t id = cycle[(n - ((k == shown ? n : k) % n)) % n];

                if (k == shown && shown < n)
                        fprintf(f, " → … %zu more …", n - shown);
                cycle_label(p, first_id, id, label, sizeof(label));
                fprintf(f, "%s%s", k > 0 ? " → " : "", label);
        }
        fputs(" (each runs after the one before it)", f);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}
