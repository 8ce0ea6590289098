/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* message_set(): the one way a function that refuses something says why in its "char **ret_message". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "message-util.h"

_printf_(3, 4)
static int with_prefix(char **ret, const char *prefix, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = message_setv(ret, -EDQUOT, prefix, fmt, ap);
        va_end(ap);
        return r;
}

static void test_message_set(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(message_set(&a, -EINVAL, "Argv: %s %u", "too long", 7U), -EINVAL);
        assert_string_equal(a, "Argv: too long 7");
        /* 0 is an error code like any other: "said why, nothing failed". */
        assert_int_equal(message_set(&b, 0, "%s", ""), 0);
        assert_string_equal(b, "");
}

static void test_message_setv_prefix(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(with_prefix(&a, "jobd.conf:3", "unknown key %s", "Foo"), -EDQUOT);
        assert_string_equal(a, "jobd.conf:3: unknown key Foo");
        assert_int_equal(with_prefix(&b, NULL, "no prefix %d", -1), -EDQUOT);
        assert_string_equal(b, "no prefix -1");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_message_set),
                cmocka_unit_test(test_message_setv_prefix),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
