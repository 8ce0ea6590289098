/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plans as SubmitPlan() gets them: defaults, names, the checks made before anything is queued. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plan.h"
#include "strv.h"

static char **strv_make(const char *first, ...) {
        char **l = calloc(1, sizeof(char *));
        va_list ap;

        assert_non_null(l);
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&l, s), 0);
        va_end(ap);
        return l;
}

/* Adds a job "name" running true after the jobs named (NULL-terminated). */
static PlanJob *add(Plan *p, const char *name, ...) {
        PlanJob *j;
        va_list ap;

        assert_int_equal(plan_add_job(p, &j), 0);
        j->spec.argv = strv_make("true", NULL);
        j->keys |= JOB_SPEC_KEY_BIT(JOB_KEY_ARGV);
        if (name) {
                j->spec.name = strdup(name);
                j->keys |= JOB_SPEC_KEY_BIT(JOB_KEY_NAME);
        }
        va_start(ap, name);
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&j->after_names, s), 0);
        va_end(ap);
        return j;
}

/* plan_prepare() must refuse, with a message that starts with prefix and contains needle. */
static void expect_refused(Plan *p, const char *prefix, const char *needle) {
        char *msg = NULL;

        assert_int_equal(plan_prepare(p, 100, &msg), -EINVAL);
        assert_non_null(msg);
        if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, needle))
                fail_msg("message \"%s\" does not start with \"%s\" or lacks \"%s\"", msg, prefix, needle);
        free(msg);
}

static void test_names_resolve_to_ids(void **state) {
        char *msg = NULL;
        Plan p;

        plan_init(&p);
        add(&p, "build", NULL);
        add(&p, "test-1", "build", NULL);
        add(&p, "test-2", "build", NULL);
        add(&p, "merge", "test-1", "test-2", NULL);
        add(&p, NULL, "merge", NULL);                  /* nameless jobs are fine, just unreachable */
        p.jobs[3].spec.after = calloc(1, sizeof(uint64_t));
        p.jobs[3].spec.after[0] = 7;                    /* "After at": a job outside the plan */
        p.jobs[3].spec.n_after = 1;

        assert_int_equal(plan_prepare(&p, 100, &msg), 0);
        assert_null(msg);
        assert_int_equal(p.jobs[0].spec.n_after, 0);
        assert_int_equal(p.jobs[1].spec.n_after, 1);
        assert_int_equal(p.jobs[1].spec.after[0], 100);
        assert_int_equal(p.jobs[3].spec.n_after, 3);
        assert_int_equal(p.jobs[3].spec.after[0], 7);
        assert_int_equal(p.jobs[3].spec.after[1], 101);
        assert_int_equal(p.jobs[3].spec.after[2], 102);
        assert_int_equal(p.jobs[4].spec.after[0], 103);
        plan_done(&p);
}

static void test_refusals(void **state) {
        char *msg = NULL;
        Plan p;

        plan_init(&p);
        expect_refused(&p, "jobs: ", "at least one job");
        plan_done(&p);

        plan_init(&p);
        add(&p, "a", NULL);
        add(&p, "b", NULL);
        add(&p, "a", NULL);
        expect_refused(&p, "jobs[2] (a): Name: ", "already the name of jobs[0] (a)");
        plan_done(&p);

        plan_init(&p);
        add(&p, "a", NULL);
        add(&p, "b", "a", "nope", NULL);
        expect_refused(&p, "jobs[1] (b): After: ", "no job named \"nope\"");
        plan_done(&p);

        /* A job's own spec is checked too, and named. */
        plan_init(&p);
        add(&p, "a", NULL);
        add(&p, "rel", NULL)->spec.working_directory = strdup("relative/dir");
        expect_refused(&p, "jobs[1] (rel): WorkingDirectory: ", "absolute");
        plan_done(&p);

        /* A plan's MaxParallel is the run's own limit: its jobs may be in groups. */
        plan_init(&p);
        p.max_parallel = 4;
        add(&p, "a", NULL);
        add(&p, "b", NULL)->spec.group = strdup("build");
        assert_int_equal(plan_prepare(&p, 100, &msg), 0);
        assert_null(msg);
        plan_done(&p);

        /* Bad defaults are said once, as the defaults'. */
        plan_init(&p);
        add(&p, "a", NULL);
        p.defaults.retries = JOB_RETRIES_MAX + 1;
        p.default_keys |= JOB_SPEC_KEY_BIT(JOB_KEY_RETRIES);
        expect_refused(&p, "defaults: Retries: ", "at most");
        plan_done(&p);
}

static void test_defaults(void **state) {
        char *retry_on[] = { (char *) "timeout", (char *) "3", NULL };
        char *msg = NULL, **env;
        PlanJob *own;
        Plan p;

        plan_init(&p);
        p.defaults.working_directory = strdup("/srv/regress");
        p.defaults.environment = strv_make("SEED=1", "MODE=nightly", NULL);
        p.defaults.timeout_usec = 3600 * USEC_PER_SEC;
        p.defaults.retries = 2;
        p.defaults.group = strdup("sim");
        p.defaults.resources = calloc(1, sizeof(JobResourceRequest));
        p.defaults.resources[0] = (JobResourceRequest) { strdup("vcs_license"), 1 };
        p.defaults.n_resources = 1;
        assert_int_equal(job_spec_set_retry_on(&p.defaults, retry_on, &msg), 0);
        p.default_keys = JOB_SPEC_KEY_BIT(JOB_KEY_WORKING_DIRECTORY) |
                         JOB_SPEC_KEY_BIT(JOB_KEY_ENVIRONMENT) | JOB_SPEC_KEY_BIT(JOB_KEY_TIMEOUT_USEC) |
                         JOB_SPEC_KEY_BIT(JOB_KEY_RETRIES) | JOB_SPEC_KEY_BIT(JOB_KEY_GROUP) |
                         JOB_SPEC_KEY_BIT(JOB_KEY_RESOURCES) | JOB_SPEC_KEY_BIT(JOB_KEY_RETRY_ON);

        add(&p, "inherits", NULL);
        own = add(&p, "overrides", NULL);
        own->spec.retries = 0;                          /* given explicitly: 0 wins over the default */
        own->spec.group = strdup("build");
        own->spec.environment = strv_make("SEED=42", NULL);
        own->keys |= JOB_SPEC_KEY_BIT(JOB_KEY_RETRIES) | JOB_SPEC_KEY_BIT(JOB_KEY_GROUP) |
                     JOB_SPEC_KEY_BIT(JOB_KEY_ENVIRONMENT);

        assert_int_equal(plan_prepare(&p, 1, &msg), 0);

        assert_string_equal(p.jobs[0].spec.working_directory, "/srv/regress");
        assert_int_equal(p.jobs[0].spec.timeout_usec, 3600 * USEC_PER_SEC);
        assert_int_equal(p.jobs[0].spec.retries, 2);
        assert_string_equal(p.jobs[0].spec.group, "sim");
        assert_int_equal(p.jobs[0].spec.n_resources, 1);
        assert_string_equal(p.jobs[0].spec.resources[0].pool, "vcs_license");
        assert_int_equal(p.jobs[0].spec.n_retry_on_exit_codes, 1);
        assert_int_equal(p.jobs[0].spec.retry_on_exit_codes[0], 3);

        assert_int_equal(p.jobs[1].spec.retries, 0);
        assert_string_equal(p.jobs[1].spec.group, "build");
        assert_string_equal(p.jobs[1].spec.working_directory, "/srv/regress");

        /* One environment for all: shared, not copied; a job's own variables win. */
        assert_non_null(p.jobs[0].spec.base_environment);
        assert_ptr_equal(p.jobs[0].spec.base_environment, p.jobs[1].spec.base_environment);
        assert_null(p.jobs[0].spec.environment);
        env = job_spec_environment(&p.jobs[1].spec);
        assert_int_equal(strv_length(env), 2);
        assert_string_equal(strv_env_get(env, "SEED"), "SEED=42");
        assert_string_equal(strv_env_get(env, "MODE"), "MODE=nightly");
        strv_free(env);
        env = job_spec_environment(&p.jobs[0].spec);
        assert_string_equal(strv_env_get(env, "SEED"), "SEED=1");
        strv_free(env);

        plan_done(&p);
}

static void test_cycle_message(void **state) {
        uint64_t cycle[] = { 11, 12, 10 };   /* 11 after 12, 12 after 10, 10 after 11 */
        char *msg;
        Plan p;

        plan_init(&p);
        add(&p, "build", NULL);
        add(&p, "test", NULL);
        add(&p, NULL, NULL);
        msg = plan_format_cycle(&p, 10, cycle, 3);
        assert_non_null(msg);
        assert_string_equal(msg, "Dependency cycle: test → build → jobs[2] → test "
                                 "(each runs after the one before it)");
        free(msg);

        msg = plan_format_cycle(&p, 10, (uint64_t[]) { 10 }, 1);
        assert_string_equal(msg, "Dependency cycle: build → build (each runs after the one before it)");
        free(msg);
        plan_done(&p);
}

static void test_long_cycle_message(void **state) {
        enum { N = 100000 };
        uint64_t *cycle = calloc(N, sizeof(uint64_t));
        char *msg, name[32];
        Plan p;

        /* A cycle through every job of a huge plan: the message names a few and counts the rest, and is
         * built in linear time (it was quadratic: 20000 jobs took a minute). */
        plan_init(&p);
        for (unsigned i = 0; i < N; i++) {
                snprintf(name, sizeof(name), "job-%u", i);
                add(&p, name, NULL);
                cycle[i] = 1 + i;
        }
        msg = plan_format_cycle(&p, 1, cycle, N);
        assert_non_null(msg);
        assert_true(strlen(msg) < 1024);
        assert_non_null(strstr(msg, "Dependency cycle: job-0 → job-99999 → "));
        assert_non_null(strstr(msg, "… 99980 more … → job-0 (each runs after the one before it)"));
        free(msg);
        free(cycle);
        plan_done(&p);
}

static void test_many_jobs(void **state) {
        char *msg = NULL, name[32], dep[32];
        Plan p;

        /* Names are sorted once, not compared pairwise: 20000 jobs in a chain are quick. */
        plan_init(&p);
        for (unsigned i = 0; i < 20000; i++) {
                snprintf(name, sizeof(name), "job-%u", i);
                snprintf(dep, sizeof(dep), "job-%u", i - 1);
                add(&p, name, i > 0 ? dep : NULL, NULL);
        }
        assert_int_equal(plan_prepare(&p, 1, &msg), 0);
        assert_int_equal(p.jobs[19999].spec.after[0], 19999);
        plan_done(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names_resolve_to_ids),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_cycle_message),
                cmocka_unit_test(test_long_cycle_message),
                cmocka_unit_test(test_many_jobs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
