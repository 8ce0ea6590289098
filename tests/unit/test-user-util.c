/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* user_record_get(): gid and groups come from the user database, a uid without an entry is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "user-util.h"

static void test_root(void **state) {
        _cleanup_(user_record_freep) UserRecord *u = NULL;

        assert_int_equal(user_record_get(0, &u), 0);
        assert_int_equal(u->uid, 0);
        assert_int_equal(u->gid, getpwuid(0)->pw_gid);
        assert_string_equal(u->name, getpwuid(0)->pw_name);
        assert_non_null(u->home);
        assert_non_null(u->shell);
        assert_true(u->n_groups >= 1);
        /* getgrouplist() puts the primary group in the list. */
        assert_true(user_record_in_group(u, u->gid));
}

static void test_no_entry(void **state) {
        UserRecord *u = NULL;

        /* A uid no account has (the largest valid one before (uid_t) -1 is reserved). */
        if (getpwuid((uid_t) 4294967294U))
                skip();
        assert_int_equal(user_record_get((uid_t) 4294967294U, &u), -ESRCH);
        assert_null(u);
}

static void test_nobody_not_in_root_group(void **state) {
        _cleanup_(user_record_freep) UserRecord *u = NULL;
        struct passwd *pw = getpwnam("nobody");

        if (!pw)
                skip();
        assert_int_equal(user_record_get(pw->pw_uid, &u), 0);
        assert_false(user_record_in_group(u, 0));
        for (int i = 0; i < u->n_groups; i++)
                assert_int_not_equal(u->groups[i], 0);
}

static void test_group_lookup(void **state) {
        gid_t g = 1;

        assert_int_equal(group_lookup("0", &g), 0);
        assert_int_equal(g, 0);
        assert_int_equal(group_lookup("4711", &g), 0);
        assert_int_equal(g, 4711);
        g = 1;
        assert_int_equal(group_lookup(getgrgid(0)->gr_name, &g), 0);
        assert_int_equal(g, 0);
        assert_int_equal(group_lookup("no-such-group-jobd-test", &g), -ESRCH);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root),
                cmocka_unit_test(test_no_entry),
                cmocka_unit_test(test_nobody_not_in_root_group),
                cmocka_unit_test(test_group_lookup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
