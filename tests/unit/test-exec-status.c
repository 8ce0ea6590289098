/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "exec-status.h"
#include "parse-util.h"

static void roundtrip(const ExecStatus *in) {
        ExecStatus out;
        char buf[128];

        assert_int_equal(exec_status_format(in, buf, sizeof(buf)), 0);
        assert_int_equal(exec_status_parse(buf, &out), 0);
        assert_int_equal(out.outcome, in->outcome);
        assert_int_equal(out.value, in->value);
        assert_int_equal(out.pid, in->pid);
        if (in->outcome == EXEC_SETUP_FAILED)
                assert_string_equal(out.stage, in->stage);
}

static void test_roundtrip(void **state) {
        roundtrip(&(ExecStatus) { .outcome = EXEC_EXITED, .value = 0, .pid = 1 });
        roundtrip(&(ExecStatus) { .outcome = EXEC_EXITED, .value = 255, .pid = 4194304 });
        roundtrip(&(ExecStatus) { .outcome = EXEC_SIGNALED, .value = 9, .pid = 77 });
        roundtrip(&(ExecStatus) { .outcome = EXEC_SETUP_FAILED, .value = 2, .pid = 5, .stage = "exec" });
        roundtrip(&(ExecStatus) { .outcome = EXEC_SETUP_FAILED, .value = 13, .pid = 5, .stage = "chdir" });
}

static void test_garbage(void **state) {
        ExecStatus out;

        assert_int_equal(exec_status_parse("", &out), -EBADMSG);
        assert_int_equal(exec_status_parse("exited", &out), -EBADMSG);
        assert_int_equal(exec_status_parse("exited -1 pid 3", &out), -EBADMSG);
        assert_int_equal(exec_status_parse("killed 9 pid 3", &out), -EBADMSG);
        assert_int_equal(exec_status_parse("exited 1 pid -4", &out), -EBADMSG);
}

static void test_buffer_too_small(void **state) {
        char buf[8];

        assert_int_equal(exec_status_format(&(ExecStatus) { .outcome = EXEC_EXITED, .value = 1, .pid = 123456 },
                                            buf, sizeof(buf)), -ENOBUFS);
}

static void test_parse_util(void **state) {
        uint64_t v;
        int sig, i;

        assert_int_equal(parse_sec("1.5s", &v), 0);
        assert_int_equal(v, 1500000);
        assert_int_equal(parse_sec("500ms", &v), 0);
        assert_int_equal(v, 500000);
        assert_int_equal(parse_sec("2", &v), 0);
        assert_int_equal(v, 2000000);
        assert_int_equal(parse_sec("1min", &v), 0);
        assert_int_equal(v, 60000000);
        assert_int_equal(parse_sec("-1", &v), -EINVAL);
        assert_int_equal(parse_sec("5 parsecs", &v), -EINVAL);
        assert_int_equal(parse_size("1.5M", &v), 0);
        assert_int_equal(v, 1572864);
        assert_int_equal(parse_size("64K", &v), 0);
        assert_int_equal(v, 65536);
        assert_int_equal(parse_size("x", &v), -EINVAL);
        assert_int_equal(parse_signal("KILL", &sig), 0);
        assert_int_equal(sig, 9);
        assert_int_equal(parse_signal("sigterm", &sig), 0);
        assert_int_equal(sig, 15);
        assert_int_equal(parse_signal("0", &sig), -ERANGE);
        assert_int_equal(parse_signal("NOPE", &sig), -EINVAL);
        assert_int_equal(safe_atoi("12x", &i), -EINVAL);
        assert_int_equal(safe_atou64("-1", &v), -EINVAL);
        assert_int_equal(safe_atou64("18446744073709551616", &v), -ERANGE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_buffer_too_small),
                cmocka_unit_test(test_parse_util),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
