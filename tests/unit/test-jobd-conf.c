/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobd.conf(5): what it sets up, and that every mistake names the file and the line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf-parse.h"
#include "strv.h"
#include "time-util.h"

static void test_example(void **state) {
        const char *text =
                "# Licences and boards of the lab\n"
                "[Pool vcs_license]\n"
                "Capacity = 2\n"
                "\n"
                "; slots have names\n"
                "[SlotPool board]\n"
                "Slots=board0 board1,  board2\n"
                "QuarantineAfter=3\n"
                "[Group build]\n"
                "Limit=2\n"
                "[Group sim]\n"
                "Limit=infinity\n"
                "[Group slow]\n"
                "TimeoutSec=2h\n";
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse(text, "lab.conf", &c, &error), 0);
        assert_null(error);
        assert_int_equal(c.n_entries, 5);
        assert_int_equal(c.entries[0].kind, CONF_POOL);
        assert_string_equal(c.entries[0].name, "vcs_license");
        assert_int_equal(c.entries[0].value, 2);
        assert_int_equal(c.entries[0].line, 2);
        assert_int_equal(c.entries[1].kind, CONF_SLOT_POOL);
        assert_int_equal(strv_length(c.entries[1].slots), 3);
        assert_string_equal(c.entries[1].slots[2], "board2");
        assert_int_equal(c.entries[1].quarantine_after, 3);
        assert_int_equal(c.entries[2].kind, CONF_GROUP);
        assert_int_equal(c.entries[2].value, 2);
        assert_int_equal(c.entries[3].value, 0);        /* no limit */
        assert_true(c.entries[3].have_limit);
        assert_int_equal(c.entries[3].timeout_usec, 0);
        assert_false(c.entries[4].have_limit);          /* only a default timeout */
        assert_int_equal(c.entries[4].timeout_usec, 2 * 3600 * USEC_PER_SEC);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("", "empty.conf", &c, &error), 0);
        assert_int_equal(c.n_entries, 0);
        jobd_conf_done(&c);
}

static void test_access(void **state) {
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse("[Pool p]\nCapacity=1\n[Access]\nOperatorGroup = jobd-operators\n"
                                         "[Group g]\nLimit=1\n", "a.conf", &c, &error), 0);
        assert_string_equal(c.operator_group, "jobd-operators");
        assert_int_equal(c.n_entries, 2);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("[Access]\nOperatorGroup=1234\n", "a.conf", &c, &error), 0);
        assert_string_equal(c.operator_group, "1234");
        jobd_conf_done(&c);

        /* Empty takes an earlier line back. */
        assert_int_equal(jobd_conf_parse("[Access]\nOperatorGroup=wheel\nOperatorGroup=\n", "a.conf", &c,
                                         &error), 0);
        assert_null(c.operator_group);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("", "a.conf", &c, &error), 0);
        assert_null(c.operator_group);
        jobd_conf_done(&c);
}

static void expect_error(const char *text, const char *want) {
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse(text, "x.conf", &c, &error), -EINVAL);
        assert_non_null(error);
        if (strncmp(error, want, strlen(want)) != 0)
                fail_msg("error \"%s\" does not start with \"%s\"", error, want);
        free(error);
}

static void test_mistakes(void **state) {
        expect_error("Capacity=2\n", "x.conf:1: Capacity= outside of a section");
        expect_error("[Pool]\nCapacity=2\n", "x.conf:1: [Pool ]: the name must be");
        expect_error("[Pool a/b]\n", "x.conf:1: [Pool a/b]: the name must be");
        expect_error("[Licence x]\n", "x.conf:1: unknown section [Licence]");
        expect_error("[Pool x]\n", "x.conf:1: [Pool x] needs Capacity=");
        expect_error("[Pool x]\nCapacity=two\n", "x.conf:2: Capacity=two: expected a number");
        expect_error("[Pool x]\nCapacity=1\nLimit=3\n", "x.conf:3: unknown key Limit= in a [Pool] section");
        expect_error("[Pool x]\nCapacity=1\n[SlotPool x]\nSlots=a\n", "x.conf:3: SlotPool x is defined "
                                                                      "already");
        expect_error("[SlotPool b]\nQuarantineAfter=1\n", "x.conf:1: [SlotPool b] needs Slots=");
        expect_error("[SlotPool b]\nSlots=a a\n", "x.conf:2: Slots: \"a\" is listed twice");
        expect_error("[SlotPool b]\nSlots=x=y\n", "x.conf:2: Slots: \"x=y\" is not a valid slot name");
        expect_error("[Group g]\nLimit=-1\n", "x.conf:2: Limit=-1: expected a number or infinity");
        expect_error("[Group g]\n", "x.conf:1: [Group g] needs Limit= or TimeoutSec=");
        expect_error("[Group g]\nTimeoutSec=soon\n", "x.conf:2: TimeoutSec=soon: expected a time span");
        expect_error("[Group g]\nLimit=1\n[Pool p]\nCapacity=1\njunk\n", "x.conf:5: expected KEY=VALUE");
        expect_error("[Group g] x\n", "x.conf:1: a section header is");
        expect_error("[Access ops]\n", "x.conf:1: [Access] takes no name");
        expect_error("[Access]\nOperatorGroup=a b\n", "x.conf:2: OperatorGroup=a b: expected a group name");
        expect_error("[Access]\nOperatorGroup=-x\n", "x.conf:2: OperatorGroup=-x: expected a group name");
        expect_error("[Access]\nOperators=x\n", "x.conf:2: unknown key Operators= in the [Access] section");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_example),
                cmocka_unit_test(test_mistakes),
                cmocka_unit_test(test_access),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
