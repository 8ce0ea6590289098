/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plan files (jobd.plan(5)): what a file says; every mistake names the file, the job and the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plan-file.h"
#include "strv.h"

static int parse(const char *text, PlanFile *p, char **error) {
        return plan_file_parse(text, strlen(text), "p.json", "/srv/plans", p, error);
}

static void test_full(void **state) {
        const char *text =
                "{\n"
                "  \"name\": \"nightly\", \"max_parallel\": 64,\n"
                "  \"defaults\": { \"cwd\": \"work\", \"env\": { \"SEED\": 1, \"MODE\": \"fast\" },\n"
                "                \"timeout\": \"2h\", \"retries\": 1, \"retry_on\": [\"timeout\", 3],\n"
                "                \"retry_delay\": 1.5, \"group\": \"sim\", \"log_max_bytes\": \"1M\",\n"
                "                \"resources\": { \"lic\": 1 } },\n"
                "  \"jobs\": [\n"
                "    { \"name\": \"build\", \"command\": [\"make\", \"-j8\"], \"group\": \"build\",\n"
                "      \"memory_max\": \"2G\", \"tasks_max\": \"infinity\", \"cpu_weight\": 200,\n"
                "      \"priority\": -5, \"labels\": [\"nightly\", \"gpu\"], \"jobserver\": true },\n"
                "    { \"name\": \"test\", \"command\": \"./run 1 && echo ok\", \"after\": \"build\",\n"
                "      \"after_condition\": \"any\", \"cwd\": \"/abs\", \"env\": [\"X=1\"],\n"
                "      \"timeout\": 90, \"log_max_bytes\": 0 }\n"
                "  ]\n"
                "}\n";
        char *error = NULL;
        PlanFile p;

        assert_int_equal(parse(text, &p, &error), 0);
        assert_null(error);
        assert_string_equal(p.name, "nightly");
        assert_true(p.max_parallel_set);
        assert_int_equal(p.max_parallel, 64);
        assert_true(p.inherit_environment);

        assert_string_equal(p.defaults.cwd, "/srv/plans/work");       /* relative to the file */
        assert_int_equal(strv_length(p.defaults.env), 2);
        assert_string_equal(p.defaults.env[0], "SEED=1");
        assert_int_equal(p.defaults.timeout, 2 * 3600 * USEC_PER_SEC);
        assert_int_equal(p.defaults.retries, 1);
        assert_string_equal(p.defaults.retry_on[1], "3");
        assert_int_equal(p.defaults.retry_delay, 1500 * USEC_PER_MSEC);
        assert_true(p.defaults.log_max_bytes_set);
        assert_int_equal(p.defaults.log_max_bytes, 1048576);
        assert_int_equal(p.defaults.n_resources, 1);
        assert_int_equal(p.defaults.resources[0].amount, 1);

        assert_int_equal(p.n_jobs, 2);
        assert_string_equal(p.jobs[0].command[1], "-j8");
        assert_int_equal(p.jobs[0].memory_max, 2ULL << 30);
        assert_int_equal(p.jobs[0].tasks_max, UINT64_MAX);
        assert_int_equal(strv_length(p.jobs[0].labels), 2);
        assert_string_equal(p.jobs[0].labels[1], "gpu");
        assert_null(p.jobs[1].labels);
        assert_int_equal(p.jobs[0].cpu_weight, 200);
        assert_int_equal(p.jobs[0].priority, -5);
        assert_true(p.jobs[0].jobserver_set);
        assert_true(p.jobs[0].jobserver);
        assert_false(p.jobs[1].jobserver_set);
        assert_null(p.jobs[0].jobserver_style);
        assert_false(p.jobs[0].log_max_bytes_set);
        assert_true(p.jobs[1].log_max_bytes_set);           /* 0: no cap, not even the default's */
        assert_int_equal(p.jobs[1].log_max_bytes, 0);
        assert_false(p.jobs[0].timeout_set);

        assert_string_equal(p.jobs[1].command[0], "/bin/sh");
        assert_string_equal(p.jobs[1].command[2], "./run 1 && echo ok");
        assert_string_equal(p.jobs[1].after[0], "build");
        assert_string_equal(p.jobs[1].after_condition, "any");
        assert_string_equal(p.jobs[1].cwd, "/abs");
        assert_int_equal(p.jobs[1].timeout, 90 * USEC_PER_SEC);
        plan_file_done(&p);
}

static void expect_error(const char *text, const char *want) {
        char *error = NULL;
        PlanFile p;

        assert_int_equal(parse(text, &p, &error), -EINVAL);
        assert_non_null(error);
        if (!strstr(error, want))
                fail_msg("error \"%s\" does not contain \"%s\"", error, want);
        free(error);
}

static void test_mistakes(void **state) {
        expect_error("{\"jobs\": [ {\"name\": \"a\", \"command\": \"x\",} ]}", "p.json:1:");
        expect_error("{\"jobs\": [\n {\"name\": \"a\",\n \"command\": [\"x\" }\n]}", "p.json:3:");
        expect_error("[1, 2]", "p.json: a plan is a JSON object");
        expect_error("{}", "p.json: jobs: is required");
        expect_error("{\"jobs\": []}", "p.json: jobs: a plan needs at least one job");
        expect_error("{\"jobs\": [{\"command\": \"x\"}], \"job\": 1}", "p.json: job: unknown key");
        expect_error("{\"jobs\": [{\"name\": \"a\"}]}", "p.json: jobs[0] (a): command: is required");
        expect_error("{\"jobs\": [{\"command\": \"x\"}, {\"name\": \"t\", \"command\": \"x\", \"retries\": "
                     "\"three\"}]}",
                     "p.json: jobs[1] (t): retries: expected an integer, got \"three\"");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"name\": \"late\", \"timeout\": true}]}",
                     "p.json: jobs[0] (late): timeout: expected a number of seconds");
        expect_error("{\"jobs\": [{\"command\": [\"x\", 1]}]}", "p.json: jobs[0]: command: element 1: "
                                                                "expected a string");
        expect_error("{\"jobs\": [{\"command\": []}]}", "p.json: jobs[0]: command: must not be empty");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"after\": [\"a\", 3]}]}", "jobs[0]: after: element "
                                                                                  "1");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"resources\": {\"lic\": 0}}]}",
                     "jobs[0]: resources: lic: expected a positive integer");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"env\": {\"A\": [1]}}]}", "jobs[0]: env: A: "
                                                                                  "expected a string");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"env\": [\"NOEQUALS\"]}]}", "is not of the form "
                                                                                    "NAME=VALUE");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"after_condition\": \"maybe\"}]}",
                     "after_condition: \"maybe\" is not one of success, failure, any");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"memory_max\": \"lots\"}]}", "memory_max: expected "
                                                                                     "a number");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"retires\": 1}]}", "jobs[0]: retires: unknown key");
        expect_error("{\"defaults\": {\"command\": \"x\"}, \"jobs\": [{\"command\": \"x\"}]}",
                     "p.json: defaults: command: is for each job");
        expect_error("{\"max_parallel\": 0, \"jobs\": [{\"command\": \"x\"}]}", "p.json: max_parallel: ");
        expect_error("{\"inherit_environment\": \"no\", \"jobs\": [{\"command\": \"x\"}]}",
                     "inherit_environment: expected true or false");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"jobserver\": 1}]}",
                     "jobs[0]: jobserver: expected true, false, \"pipe\" or \"fifo\"");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"jobserver\": \"fast\"}]}",
                     "jobs[0]: jobserver: expected true, false");
        expect_error("{\"jobs\": [{\"command\": \"x\"}]} trailing", "p.json:1:30: JSON syntax error");
        expect_error("{\"jobs\": [{\"command\": \"x\", \"priority\": 3000000000}]}", "priority: 3000000000 "
                                                                                     "is out of range");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_mistakes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
