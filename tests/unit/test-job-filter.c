/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "job-filter.h"

static char *labels_ab[] = { (char *) "nightly", (char *) "gpu", NULL };

static JobFilterItem item(void) {
        return (JobFilterItem) {
                .id = 10, .owner = 1000, .run = 0, .state = JOB_DONE, .result = JOB_FAILED,
                .group = "build", .labels = labels_ab, .submit_usec = 5000,
        };
}

static void test_empty_matches_all(void **state) {
        JobFilter f = {};
        JobFilterItem i = item();

        assert_true(job_filter_match(&f, &i));
        i.group = NULL;
        i.labels = NULL;
        assert_true(job_filter_match(&f, &i));
}

static void test_owner_run(void **state) {
        JobFilter f = { .owner_set = true, .owner = 1000 };
        JobFilterItem i = item();

        assert_true(job_filter_match(&f, &i));
        i.owner = 0;
        assert_false(job_filter_match(&f, &i));

        /* Owner 0 is root, not "any". */
        f.owner = 0;
        assert_true(job_filter_match(&f, &i));

        /* Run 0: jobs of no run. */
        f = (JobFilter) { .run_set = true, .run = 0 };
        assert_true(job_filter_match(&f, &i));
        i.run = 3;
        assert_false(job_filter_match(&f, &i));
        f.run = 3;
        assert_true(job_filter_match(&f, &i));
}

static void test_states_results(void **state) {
        JobFilter f = {};
        JobFilterItem i = item();

        assert_int_equal(job_filter_add_state(&f, "running"), 0);
        assert_false(job_filter_match(&f, &i));
        assert_int_equal(job_filter_add_state(&f, "done"), 0);
        assert_true(job_filter_match(&f, &i));
        assert_int_equal(job_filter_add_state(&f, "finished"), -EINVAL);
        assert_int_equal(job_filter_add_state(&f, ""), -EINVAL);

        assert_int_equal(job_filter_add_result(&f, "success"), 0);
        assert_false(job_filter_match(&f, &i));
        assert_int_equal(job_filter_add_result(&f, "failed"), 0);
        assert_true(job_filter_match(&f, &i));
        assert_int_equal(job_filter_add_result(&f, "fail"), -EINVAL);

        /* "" is the result of a job that is not done. */
        f = (JobFilter) {};
        assert_int_equal(job_filter_add_result(&f, ""), 0);
        assert_false(job_filter_match(&f, &i));
        i.state = JOB_RUNNING;
        i.result = JOB_RESULT_NONE;
        assert_true(job_filter_match(&f, &i));
}

static void test_group_label(void **state) {
        JobFilter f = { .group = (char *) "build" };
        JobFilterItem i = item();

        assert_true(job_filter_match(&f, &i));
        i.group = "builds";
        assert_false(job_filter_match(&f, &i));
        /* "": jobs of no group. */
        f.group = (char *) "";
        assert_false(job_filter_match(&f, &i));
        i.group = NULL;
        assert_true(job_filter_match(&f, &i));

        f = (JobFilter) { .label = (char *) "gpu" };
        assert_true(job_filter_match(&f, &i));
        f.label = (char *) "gp";
        assert_false(job_filter_match(&f, &i));
        i.labels = NULL;
        f.label = (char *) "gpu";
        assert_false(job_filter_match(&f, &i));
}

static void test_ids_and_time(void **state) {
        JobFilter f = { .min_id = 10, .max_id = 10 };
        JobFilterItem i = item();

        assert_true(job_filter_match(&f, &i));
        i.id = 11;
        assert_false(job_filter_match(&f, &i));
        i.id = 9;
        assert_false(job_filter_match(&f, &i));

        /* Strictly after. */
        f = (JobFilter) { .submitted_after = 5000 };
        i = item();
        assert_false(job_filter_match(&f, &i));
        f.submitted_after = 4999;
        assert_true(job_filter_match(&f, &i));
}

static void test_limit_and_range(void **state) {
        JobFilter f = {};
        uint64_t first, end;

        assert_int_equal(job_filter_limit(0), JOB_FILTER_LIMIT_DEFAULT);
        assert_int_equal(job_filter_limit(5), 5);
        assert_int_equal(job_filter_limit(10000), 10000);
        assert_int_equal(job_filter_limit(10001), JOB_FILTER_LIMIT_MAX);
        assert_int_equal(job_filter_limit(UINT32_MAX), JOB_FILTER_LIMIT_MAX);

        job_filter_id_range(&f, 0, &first, &end);
        assert_int_equal(first, 1);
        assert_true(end == UINT64_MAX);
        job_filter_id_range(&f, 41, &first, &end);
        assert_int_equal(first, 42);

        f.min_id = 100;
        f.max_id = 200;
        job_filter_id_range(&f, 41, &first, &end);
        assert_int_equal(first, 100);
        assert_int_equal(end, 201);
        job_filter_id_range(&f, 150, &first, &end);
        assert_int_equal(first, 151);
        job_filter_id_range(&f, 300, &first, &end);
        assert_true(first >= end);

        /* No overflow at the ends. */
        f = (JobFilter) { .max_id = UINT64_MAX };
        job_filter_id_range(&f, UINT64_MAX, &first, &end);
        assert_true(first >= end);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty_matches_all),
                cmocka_unit_test(test_owner_run),
                cmocka_unit_test(test_states_results),
                cmocka_unit_test(test_group_label),
                cmocka_unit_test(test_ids_and_time),
                cmocka_unit_test(test_limit_and_range),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
