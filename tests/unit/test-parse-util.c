/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Times and sizes as users write them (Submit, jobctl, jobd.conf): a number with an optional fraction and
 * unit, in integers, so that nothing strtod() accepts besides ("0x10", "1e3") gets in and nothing above
 * 2^53 loses its last digits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parse-util.h"

static void sec_ok(const char *s, usec_t want) {
        usec_t v = 0;

        assert_int_equal(parse_sec(s, &v), 0);
        assert_true(v == want);
}

static void sec_bad(const char *s, int want) {
        usec_t v = 4711;

        assert_int_equal(parse_sec(s, &v), want);
        assert_true(v == 4711);
}

static void size_ok(const char *s, uint64_t want) {
        uint64_t v = 0;

        assert_int_equal(parse_size(s, &v), 0);
        assert_true(v == want);
}

static void size_bad(const char *s, int want) {
        uint64_t v = 4711;

        assert_int_equal(parse_size(s, &v), want);
        assert_true(v == 4711);
}

static void test_parse_sec(void **state) {
        sec_ok("90", 90 * USEC_PER_SEC);
        sec_ok("0", 0);
        sec_ok("1.5s", 1500 * USEC_PER_MSEC);
        sec_ok("1.5", 1500 * USEC_PER_MSEC);
        sec_ok(".5s", 500 * USEC_PER_MSEC);
        sec_ok("2.s", 2 * USEC_PER_SEC);
        sec_ok("200ms", 200 * USEC_PER_MSEC);
        sec_ok("200 ms", 200 * USEC_PER_MSEC);
        sec_ok("7us", 7);
        sec_ok("2min", 120 * USEC_PER_SEC);
        sec_ok("2m", 120 * USEC_PER_SEC);
        sec_ok("1h", 3600 * USEC_PER_SEC);
        sec_ok("1.25d", 108000 * USEC_PER_SEC);
        sec_ok("3sec", 3 * USEC_PER_SEC);
        sec_ok("infinity", USEC_INFINITY);
        /* The fraction is exact and rounded down, however many digits it has. */
        sec_ok("1.0000001s", USEC_PER_SEC);
        sec_ok("0.0000015s", 1);
        sec_ok("0.999999999999999999999999s", USEC_PER_SEC - 1);
        /* The largest finite value; one more is what "infinity" means. */
        sec_ok("18446744073709551614us", UINT64_MAX - 1);
        sec_bad("18446744073709551615us", -ERANGE);
        sec_bad("18446744073709551616", -ERANGE);
        sec_bad("213503982336d", -ERANGE);

        sec_bad("0x10", -EINVAL);
        sec_bad("1e3ms", -EINVAL);
        sec_bad("1e3", -EINVAL);
        sec_bad("inf", -EINVAL);
        sec_bad("nan", -EINVAL);
        sec_bad("", -EINVAL);
        sec_bad(".", -EINVAL);
        sec_bad("s", -EINVAL);
        sec_bad("-1", -EINVAL);
        sec_bad("+1", -EINVAL);
        sec_bad(" 1", -EINVAL);
        sec_bad("1.5.2", -EINVAL);
        sec_bad("1,5s", -EINVAL);
        sec_bad("5 parsecs", -EINVAL);
        sec_bad("1s ", -EINVAL);
        assert_int_equal(parse_sec(NULL, &(usec_t) { 0 }), -EINVAL);
}

static void test_parse_size(void **state) {
        size_ok("512", 512);
        size_ok("512B", 512);
        size_ok("64K", 64 * 1024);
        size_ok("1.5M", 1572864);
        size_ok("0.5K", 512);
        size_ok("1.1K", 1126);                 /* 1126.4, rounded down */
        size_ok("2G", UINT64_C(2) << 30);
        size_ok("1T", UINT64_C(1) << 40);
        size_ok("infinity", UINT64_MAX);
        /* Above 2^53 every byte counts. */
        size_ok("9007199254740993", UINT64_C(9007199254740993));
        size_ok("18446744073709551614", UINT64_MAX - 1);
        size_ok("16777215.99999999999T", UINT64_C(18446744073709551605));
        size_bad("16777215.999999999999999999999T", -ERANGE);       /* 2^64 - 1: "infinity" */
        size_bad("18446744073709551615", -ERANGE);
        size_bad("16777216T", -ERANGE);
        size_bad("99999999999999999999", -ERANGE);

        size_bad("0x10", -EINVAL);
        size_bad("1e3", -EINVAL);
        size_bad("1e3K", -EINVAL);
        size_bad("", -EINVAL);
        size_bad("-1", -EINVAL);
        size_bad("1KB", -EINVAL);
        size_bad("1k", -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_sec),
                cmocka_unit_test(test_parse_size),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
