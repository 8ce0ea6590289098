/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [Slurm] ExtraOptions=: the supported sbatch options, and a clear word on every other one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <slurm/slurm.h>

#include "macro.h"
#include "slurm-util.h"

static void good(const char *o) {
        const char *why = NULL;

        assert_int_equal(slurm_extra_option_check(o, &why), 0);
        assert_null(why);
}

static void bad(const char *o, const char *why_part) {
        const char *why = NULL;

        assert_int_equal(slurm_extra_option_check(o, &why), -EINVAL);
        assert_non_null(why);
        assert_non_null(strstr(why, why_part));
}

static void test_check(void **state) {
        good("--constraint=avx2&bigmem");
        good("--nodelist=node[1-4]");
        good("--exclude=node7");
        good("--gres=gpu:2");
        good("--reservation=maint");
        good("--comment=nightly regression");
        good("--exclusive");
        good("--hold");
        good("--cpus-per-task=4");
        good("--time-min=30");
        good("--time-min=1-12:00:00");

        bad("--bogus=1", "not a supported option");
        bad("--array=1-10", "not a supported option");
        bad("-w", "long option");
        bad("constraint=x", "long option");
        bad("--", "long option");
        bad("", "long option");
        bad(NULL, "long option");
        bad("--constraint", "value");
        bad("--constraint=", "value");
        bad("--nodelist=a b", "blanks");
        bad("--gres=gpu\n", "blanks");
        bad("--comment=a\nb", "control");
        bad("--exclusive=user", "no value");
        bad("--hold=1", "no value");
        bad("--cpus-per-task=0", "positive");
        bad("--cpus-per-task=-1", "positive");
        bad("--cpus-per-task=x", "positive");
        bad("--cpus-per-task", "positive");
        bad("--cpus-per-task=70000", "positive");
        bad("--time-min=soon", "time");
        bad("--time-min=1:2:3:4", "time");
        bad("--time-min=", "time");
        bad("--partition=debug", "Partition=");
        bad("--qos=high", "QOS=");
        bad("--time=10", "TimeoutUSec");
        bad("--mem=1G", "MemoryMax");
        bad("--licenses=sim:1", "pools");
        bad("--output=/tmp/x", "logs");
}

static void test_parse(void **state) {
        _cleanup_free_ char *tres = NULL;
        const char *bad_option = NULL, *why = NULL;
        SlurmExtra e = {};

        assert_int_equal(slurm_extra_parse(&e, (char *[]) { (char *) "--gres=gpu:1", (char *) "--exclusive",
                                                            (char *) "--cpus-per-task=2",
                                                            (char *) "--gres=gpu:2,nic",
                                                            (char *) "--time-min=2:30", NULL },
                                           &bad_option, &why), 0);
        assert_string_equal(e.gres, "gpu:2,nic");
        assert_true(e.exclusive);
        assert_false(e.hold);
        assert_int_equal(e.cpus_per_task, 2);
        assert_int_equal(e.time_min, 3);
        tres = slurm_gres_to_tres(e.gres);
        assert_string_equal(tres, "gres:gpu:2,gres:nic");
        slurm_extra_done(&e);
        assert_null(e.gres);

        assert_int_equal(slurm_extra_parse(&e, (char *[]) { (char *) "--hold", (char *) "--mem=2G",
                                                            (char *) "--exclusive", NULL },
                                           &bad_option, &why), -EINVAL);
        assert_string_equal(bad_option, "--mem=2G");
        slurm_extra_done(&e);

        assert_int_equal(slurm_extra_parse(&e, NULL, &bad_option, &why), 0);
}

static void test_time(void **state) {
        uint32_t m;

        assert_int_equal(slurm_parse_time_minutes("45", &m), 0);
        assert_int_equal(m, 45);
        assert_int_equal(slurm_parse_time_minutes("0:30", &m), 0);
        assert_int_equal(m, 1);
        assert_int_equal(slurm_parse_time_minutes("10:00", &m), 0);
        assert_int_equal(m, 10);
        assert_int_equal(slurm_parse_time_minutes("1:00:01", &m), 0);
        assert_int_equal(m, 61);
        assert_int_equal(slurm_parse_time_minutes("2-0", &m), 0);
        assert_int_equal(m, 2880);
        assert_int_equal(slurm_parse_time_minutes("1-2:3", &m), 0);
        assert_int_equal(m, 1440 + 120 + 3);
        assert_int_equal(slurm_parse_time_minutes("1-2:3:4", &m), 0);
        assert_int_equal(m, 1440 + 120 + 4);
        assert_int_equal(slurm_parse_time_minutes("", &m), -EINVAL);
        assert_int_equal(slurm_parse_time_minutes("-5", &m), -EINVAL);
        assert_int_equal(slurm_parse_time_minutes("1-", &m), -EINVAL);
        assert_int_equal(slurm_parse_time_minutes("1::2", &m), -EINVAL);
        assert_int_equal(slurm_parse_time_minutes("1-2-3", &m), -EINVAL);
        assert_int_equal(slurm_parse_time_minutes("99999999999", &m), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
