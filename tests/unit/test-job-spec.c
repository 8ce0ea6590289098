/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "job-spec.h"
#include "seccomp-filter.h"
#include "strv.h"

static char **make_argv(const char *a0, const char *a1) {
        char **l = NULL;

        if (a0)
                assert_int_equal(strv_extend(&l, a0), 0);
        if (a1)
                assert_int_equal(strv_extend(&l, a1), 0);
        if (!l)
                l = calloc(1, sizeof(char *));
        return l;
}

/* Validates spec and checks that the message names the key. */
static void expect_invalid(JobSpec *s, const char *key) {
        char *msg = NULL;

        assert_int_equal(job_spec_validate(s, &msg), -EINVAL);
        assert_non_null(msg);
        if (strncmp(msg, key, strlen(key)) != 0 || msg[strlen(key)] != ':')
                fail_msg("message \"%s\" does not start with \"%s:\"", msg, key);
        free(msg);
}

static void test_valid_minimal(void **state) {
        JobSpec s;
        char *msg = NULL;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);
        assert_int_equal(job_spec_validate(&s, &msg), 0);
        assert_null(msg);
        assert_int_equal(s.stdio_fds[0], -EBADF);
        job_spec_done(&s);
        assert_null(s.argv);
}

static void test_argv(void **state) {
        JobSpec s;

        job_spec_init(&s);
        expect_invalid(&s, "Argv");                      /* missing */
        s.argv = make_argv(NULL, NULL);
        expect_invalid(&s, "Argv");                      /* empty */
        strv_free(s.argv);
        s.argv = make_argv("", "x");
        expect_invalid(&s, "Argv");                      /* empty command */
        strv_free(s.argv);

        /* Oversized: one argument beyond the byte bound. */
        char *big = malloc(JOB_ARGV_BYTES_MAX + 1);
        memset(big, 'a', JOB_ARGV_BYTES_MAX);
        big[JOB_ARGV_BYTES_MAX] = 0;
        s.argv = make_argv("echo", big);
        free(big);
        expect_invalid(&s, "Argv");
        strv_free(s.argv);

        /* Too many arguments, each small. */
        s.argv = NULL;
        for (unsigned i = 0; i <= JOB_ARGV_MAX; i++)
                assert_int_equal(strv_extend(&s.argv, "x"), 0);
        expect_invalid(&s, "Argv");
        job_spec_done(&s);
}

static void test_paths_and_names(void **state) {
        JobSpec s;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);
        s.working_directory = strdup("relative/dir");
        expect_invalid(&s, "WorkingDirectory");
        free(s.working_directory);
        s.working_directory = strdup("/tmp");
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);

        s.name = strdup("bad\nname");
        expect_invalid(&s, "Name");
        free(s.name);
        s.name = calloc(1, JOB_NAME_MAX + 2);
        memset(s.name, 'n', JOB_NAME_MAX + 1);
        expect_invalid(&s, "Name");
        free(s.name);
        s.name = strdup("build: linux (x86_64)");
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);

        s.group = strdup("has space");
        expect_invalid(&s, "Group");
        free(s.group);
        s.group = strdup("sim.vcs-2");
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);
        job_spec_done(&s);
}

static void test_environment(void **state) {
        JobSpec s;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);
        s.environment = make_argv("A=1", "NOEQUALS");
        expect_invalid(&s, "Environment");
        strv_free(s.environment);
        s.environment = make_argv("A=1", "=value");
        expect_invalid(&s, "Environment");
        strv_free(s.environment);
        s.environment = make_argv("A=", "B=x=y");
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);
        strv_free(s.environment);
        s.environment = NULL;
        for (unsigned i = 0; i <= JOB_ENV_MAX; i++)
                assert_int_equal(strv_extend(&s.environment, "K=V"), 0);
        expect_invalid(&s, "Environment");
        job_spec_done(&s);
}

static void test_numbers(void **state) {
        JobSpec s;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);

        s.timeout_usec = JOB_TIMEOUT_MAX + 1;
        expect_invalid(&s, "TimeoutUSec");
        s.timeout_usec = UINT64_MAX;    /* infinity */
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);
        s.timeout_usec = 0;

        s.limits.memory_max = 0;
        expect_invalid(&s, "MemoryMax");
        s.limits.memory_max = JOB_MEMORY_MAX_MIN;
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);
        s.limits.memory_max = LIMIT_UNSET;

        s.limits.tasks_max = 0;
        expect_invalid(&s, "TasksMax");
        s.limits.tasks_max = JOB_TASKS_MAX_MAX + 1;
        expect_invalid(&s, "TasksMax");
        s.limits.tasks_max = 10;
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);

        s.limits.cpu_weight = 0;
        expect_invalid(&s, "CPUWeight");
        s.limits.cpu_weight = JOB_CPU_WEIGHT_MAX + 1;
        expect_invalid(&s, "CPUWeight");
        s.limits.cpu_weight = JOB_CPU_WEIGHT_MAX;
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);

        s.retries = JOB_RETRIES_MAX + 1;
        expect_invalid(&s, "Retries");
        job_spec_done(&s);
}

static void test_deps_and_resources(void **state) {
        JobSpec s;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);
        s.after = calloc(2, sizeof(uint64_t));
        s.after[0] = 5;
        s.n_after = 2;          /* second is 0 */
        expect_invalid(&s, "After");
        s.after[1] = 7;
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);

        s.resources = calloc(1, sizeof(JobResourceRequest));
        s.resources[0].pool = strdup("vcs_license");
        s.n_resources = 1;
        expect_invalid(&s, "Resources");                 /* amount 0 */
        s.resources[0].amount = 1;
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);
        free(s.resources[0].pool);
        s.resources[0].pool = strdup("bad/pool");
        expect_invalid(&s, "Resources");
        job_spec_done(&s);
}

static void test_keys(void **state) {
        assert_non_null(job_spec_key_find("Argv"));
        assert_string_equal(job_spec_key_find("Argv")->signature, "as");
        assert_string_equal(job_spec_key_find("Resources")->signature, "a{su}");
        assert_null(job_spec_key_find("argv"));
        assert_null(job_spec_key_find("Bogus"));
        assert_true(env_assignment_is_valid("PATH=/bin"));
        assert_false(env_assignment_is_valid("A B=1"));
        assert_true(identifier_is_valid("gpu", 64));
        assert_false(identifier_is_valid("", 64));
        assert_false(identifier_is_valid("abcdef", 5));
}

static void test_retry_on(void **state) {
        char *msg = NULL, **l;
        SchedRetryPolicy p;
        JobSpec s;

        job_spec_init(&s);
        s.retries = 2;
        p = job_spec_retry_policy(&s);
        assert_int_equal(p.retries, 2);
        assert_true(p.on_results & (1U << SCHED_RESULT_FAILED));      /* the default set */
        assert_true(p.on_results & (1U << SCHED_RESULT_TIMEOUT));
        assert_false(p.on_results & (1U << SCHED_RESULT_LOST));
        assert_int_equal(p.n_on_exit_codes, 0);

        char *words[] = { (char *) "timeout", (char *) "lost", NULL };
        assert_int_equal(job_spec_set_retry_on(&s, words, &msg), 0);
        p = job_spec_retry_policy(&s);
        assert_int_equal(p.on_results, (1U << SCHED_RESULT_TIMEOUT) | (1U << SCHED_RESULT_LOST));

        /* Exit codes imply "failed", restricted to them. */
        char *codes[] = { (char *) "3", (char *) "75", (char *) "3", NULL };
        assert_int_equal(job_spec_set_retry_on(&s, codes, &msg), 0);
        p = job_spec_retry_policy(&s);
        assert_int_equal(p.on_results, 1U << SCHED_RESULT_FAILED);
        assert_int_equal(p.n_on_exit_codes, 2);
        assert_int_equal(p.on_exit_codes[1], 75);
        l = job_spec_retry_on_strv(&s);
        assert_int_equal(strv_length(l), 2);
        assert_string_equal(l[0], "3");
        strv_free(l);

        static const char *const bad[] = { "sometimes", "0", "256", "-1", "3x", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *word[] = { (char *) bad[i], NULL };

                assert_int_equal(job_spec_set_retry_on(&s, word, &msg), -EINVAL);
                assert_non_null(msg);
                assert_true(strncmp(msg, "RetryOn: ", 9) == 0);
                free(msg);
                msg = NULL;
        }
        s.retry_delay_usec = 25 * 3600 * USEC_PER_SEC;
        s.argv = make_argv("true", NULL);
        expect_invalid(&s, "RetryDelayUSec");
        job_spec_done(&s);
}

/* LogMaxBytes: unset (jobd.conf's default) and 0 (none) pass; a cap must be at least a page and at most
 * JOB_LOG_MAX_BYTES_MAX. */
static void test_log_max_bytes(void **state) {
        JobSpec s;
        char *msg = NULL;

        job_spec_init(&s);
        assert_true(s.log_max_bytes == JOB_LOG_MAX_BYTES_UNSET);
        s.argv = make_argv("true", NULL);
        assert_int_equal(job_spec_validate(&s, &msg), 0);
        s.log_max_bytes = 0;
        assert_int_equal(job_spec_validate(&s, &msg), 0);
        s.log_max_bytes = JOB_LOG_MAX_BYTES_MIN;
        assert_int_equal(job_spec_validate(&s, &msg), 0);
        s.log_max_bytes = JOB_LOG_MAX_BYTES_MIN - 1;
        expect_invalid(&s, "LogMaxBytes");
        /* Above the maximum: the cap plus the note would wrap, and ftruncate() fail on every write. */
        s.log_max_bytes = JOB_LOG_MAX_BYTES_MAX;
        assert_int_equal(job_spec_validate(&s, &msg), 0);
        s.log_max_bytes = JOB_LOG_MAX_BYTES_UNSET - 1;
        expect_invalid(&s, "LogMaxBytes");
        assert_non_null(job_spec_key_find("LogMaxBytes"));
        assert_string_equal(job_spec_key_find("LogMaxBytes")->signature, "t");
        job_spec_done(&s);
}

static void expect_filter(char **filter, bool valid) {
        JobSpec s;
        char *msg = NULL;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);
        s.system_call_filter = seccomp_filter_new(filter);
        assert_non_null(s.system_call_filter);
        if (valid) {
                assert_int_equal(job_spec_validate(&s, &msg), 0);
                assert_null(msg);
        } else
                expect_invalid(&s, "SystemCallFilter");
        job_spec_done(&s);
}

static char **strv_of(const char *a, const char *b, const char *c) {
        const char *in[] = { a, b, c };
        char **l = calloc(1, sizeof(char *));

        assert_non_null(l);
        for (size_t i = 0; i < ELEMENTSOF(in) && in[i]; i++)
                assert_int_equal(strv_extend(&l, in[i]), 0);
        return l;
}

static void test_system_call_filter(void **state) {
        char **big = NULL;

        expect_filter(NULL, true);
        expect_filter(strv_of(NULL, NULL, NULL), true);                 /* empty: none */
        expect_filter(strv_of("read", "write", "exit_group"), true);    /* allow list */
        expect_filter(strv_of("~socket", "connect", NULL), true);       /* deny list */
        expect_filter(strv_of("~", "socket", NULL), true);              /* the marker alone, first */
        expect_filter(strv_of("socketcall", NULL, NULL), true);         /* another architecture's */
        expect_filter(strv_of("read", "nonesuch", NULL), false);
        expect_filter(strv_of("read", "~write", NULL), false);          /* ~ only first */
        expect_filter(strv_of("~", NULL, NULL), false);                 /* ~ and nothing */
        expect_filter(strv_of("~~socket", NULL, NULL), false);
        expect_filter(strv_of("", NULL, NULL), false);
        {
                JobSpec s;
                char *msg = NULL;

                job_spec_init(&s);
                s.argv = make_argv("true", NULL);
                s.system_call_filter = seccomp_filter_new(
                        strv_of("read", "a_name_longer_than_any_system_call_has_and_longer_than_sixty_four", NULL));
                assert_int_equal(job_spec_validate(&s, &msg), -EINVAL);
                assert_non_null(strstr(msg, "too long"));
                free(msg);
                job_spec_done(&s);
        }
        for (unsigned i = 0; i <= 1024; i++)
                assert_int_equal(strv_extend(&big, "read"), 0);
        expect_filter(big, false);                                      /* 1025 entries */
        assert_false(seccomp_filter_is_deny_list(NULL));
}

static void test_shared_environment(void **state) {
        JobSharedEnv *e = job_shared_env_new(make_argv("A=1", "B=2"));
        char **l;
        JobSpec s;

        job_spec_init(&s);
        s.argv = make_argv("true", NULL);
        s.base_environment = job_shared_env_ref(e);
        s.environment = make_argv("B=3", "C=4");
        l = job_spec_environment(&s);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "A=1");
        assert_string_equal(l[1], "B=3");
        assert_string_equal(l[2], "C=4");
        strv_free(l);
        assert_int_equal(job_spec_validate(&s, &(char *) { NULL }), 0);
        job_spec_done(&s);              /* drops its reference only */
        assert_int_equal(e->n_ref, 1);
        job_shared_env_unref(e);

        assert_true(slot_name_is_valid("/dev/ttyUSB0"));
        assert_true(slot_name_is_valid("gpu3"));
        assert_false(slot_name_is_valid("a=b"));
        assert_false(slot_name_is_valid("a b"));
        assert_false(slot_name_is_valid(""));
}

static char **list(const char *a, const char *b) {
        char *const l[] = { (char *) a, (char *) b, NULL };

        return strv_copy(l);
}

static void test_spec_bytes_and_trim(void **state) {
        JobSpec s;
        char big[1000], *huge;

        job_spec_init(&s);
        s.argv = list("echo", "hello");
        s.environment = list("A=1", NULL);
        s.name = strdup("n");
        s.working_directory = strdup("/tmp");
        s.n_after = 2;
        s.after = calloc(2, sizeof(uint64_t));
        assert_non_null(s.after);
        /* "echo" "hello" "A=1" "n" "/tmp", each with its NUL, and two ids. */
        assert_int_equal(job_spec_bytes(&s), 5 + 6 + 4 + 2 + 5 + 16);

        /* A short Argv stays; the environment goes. */
        job_spec_trim_done(&s);
        assert_null(s.environment);
        assert_int_equal(strv_length(s.argv), 2);
        assert_string_equal(s.argv[1], "hello");
        assert_int_equal(job_spec_bytes(&s), 5 + 6 + 2 + 5 + 16);
        job_spec_done(&s);

        /* A long one keeps its first arguments and says that more were there. */
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        s.argv = list("cmd", NULL);
        for (int i = 0; i < 100; i++)
                assert_int_equal(strv_extend(&s.argv, big), 0);
        job_spec_trim_done(&s);
        assert_int_equal(strv_length(s.argv), 6);   /* 4 + 4 × 1000 bytes, and the mark */
        assert_string_equal(s.argv[0], "cmd");
        assert_string_equal(s.argv[4], big);
        assert_string_equal(s.argv[5], "…");
        assert_true(strv_bytes(s.argv) <= JOB_DONE_ARGV_BYTES_MAX);
        job_spec_done(&s);

        /* A command longer than the bound stays; what follows it goes. */
        huge = calloc(1, 5000);
        assert_non_null(huge);
        memset(huge, 'y', 4999);
        s.argv = list(huge, "arg");
        job_spec_trim_done(&s);
        assert_int_equal(strv_length(s.argv), 2);
        assert_string_equal(s.argv[0], huge);
        assert_string_equal(s.argv[1], "…");
        job_spec_done(&s);
        s.argv = list(huge, NULL);
        job_spec_trim_done(&s);
        assert_int_equal(strv_length(s.argv), 1);
        job_spec_done(&s);
        free(huge);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_max_bytes),
                cmocka_unit_test(test_valid_minimal),
                cmocka_unit_test(test_argv),
                cmocka_unit_test(test_paths_and_names),
                cmocka_unit_test(test_environment),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_deps_and_resources),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_retry_on),
                cmocka_unit_test(test_system_call_filter),
                cmocka_unit_test(test_shared_environment),
                cmocka_unit_test(test_spec_bytes_and_trim),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
