/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one reader of /proc/self/mountinfo: both the cgroup2 mount and the v1 hierarchies come from it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "cgroup-util.h"
#include "macro.h"

static void check(const char *in, int want_r, const char *want_path, const char *want_type,
                  const char *want_opts) {
        _cleanup_free_ char *line = strdup(in);
        const char *path, *fstype, *opts;

        assert_non_null(line);
        assert_int_equal(cg_parse_mountinfo_line(line, &path, &fstype, &opts), want_r);
        if (want_r < 0)
                return;
        assert_string_equal(path, want_path);
        assert_string_equal(fstype, want_type);
        assert_string_equal(opts, want_opts);
}

static void test_parse_line(void **state) {
        check("41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n", 0,
              "/sys/fs/cgroup/unified", "cgroup2", "rw,nsdelegate");
        /* No optional fields. */
        check("35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory", 0,
              "/sys/fs/cgroup/memory", "cgroup", "rw,memory");
        /* Several optional fields. */
        check("1 2 0:1 / /a rw shared:1 master:2 propagate_from:3 - tmpfs none rw,size=1k", 0, "/a", "tmpfs",
              "rw,size=1k");
        /* No super options. */
        check("1 2 0:1 / /a rw - tmpfs none", 0, "/a", "tmpfs", "");
        check("", -EINVAL, NULL, NULL, NULL);
        check("1 2 0:1 / /a rw shared:1", -EINVAL, NULL, NULL, NULL);
        check("1 2 0:1 / /a rw - tmpfs", -EINVAL, NULL, NULL, NULL);
}

static void test_parse_escapes(void **state) {
        /* A mount point with a space, a tab, a newline and a backslash, as the kernel writes them. */
        check("50 41 0:38 /x /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw", 0, "/mnt/my cgroups", "cgroup2",
              "rw");
        check("50 41 0:38 / /m\\011t\\012n\\134b rw - cgroup2 cgroup2 rw", 0, "/m\tt\nn\\b", "cgroup2", "rw");
        /* Not an escape: left as it is. */
        check("50 41 0:38 / /a\\8b\\04 rw - cgroup2 cgroup2 rw", 0, "/a\\8b\\04", "cgroup2", "rw");
}

static int collect(const char *path, const char *fstype, const char *options, void *userdata) {
        char *buf = userdata;

        strcat(buf, fstype);
        strcat(buf, "@");
        strcat(buf, path);
        strcat(buf, ";");
        return streq(fstype, "stop") ? -ENOTRECOVERABLE : 0;
}

static void test_foreach(void **state) {
        char text[] = "1 0 0:1 / / rw - ext4 /dev/sda rw\n"
                      "garbage\n"
                      "41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw - cgroup2 cgroup2 rw\n"
                      "42 31 0:39 / /x rw - stop none rw\n"
                      "43 31 0:40 / /y rw - cgroup cgroup rw,pids\n";
        char seen[256] = "";
        FILE *f;

        f = fmemopen(text, strlen(text), "r");
        assert_non_null(f);
        assert_int_equal(cg_mountinfo_foreach(f, collect, seen), -ENOTRECOVERABLE);
        fclose(f);
        assert_string_equal(seen, "ext4@/;cgroup2@/sys/fs/cgroup/uni fied;stop@/x;");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_line),
                cmocka_unit_test(test_parse_escapes),
                cmocka_unit_test(test_foreach),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
