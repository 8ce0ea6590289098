/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec-args.h"
#include "exec-env.h"
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

/* The exact lines: the helper's writer (exec-status.h, both builds) is the format the daemon reads. */
static void test_format_exact(void **state) {
        char buf[128];

        assert_int_equal(exec_status_format(&(ExecStatus) { .outcome = EXEC_EXITED, .value = 3,
                                                            .pid = 1234 }, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "exited 3 pid 1234\n");
        assert_int_equal(exec_status_format(&(ExecStatus) { .outcome = EXEC_SIGNALED, .value = 9, .pid = 7 },
                                            buf, sizeof(buf)), 0);
        assert_string_equal(buf, "signaled 9 pid 7\n");
        assert_int_equal(exec_status_format(&(ExecStatus) { .outcome = EXEC_SETUP_FAILED, .value = 2,
                                                            .stage = "exec" }, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "setup-failed 2 exec pid 0\n");
        assert_int_equal(exec_status_format(&(ExecStatus) { .outcome = EXEC_EXITED, .value = -2147483647 - 1,
                                                            .pid = 2147483647 }, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "exited -2147483648 pid 2147483647\n");
        assert_int_equal(exec_status_format(&(ExecStatus) { .outcome = 42 }, buf, sizeof(buf)), -EINVAL);
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
        const ExecStatus s = { .outcome = EXEC_EXITED, .value = 1, .pid = 123456 };
        char buf[32];

        assert_int_equal(exec_status_format(&s, buf, 8), -ENOBUFS);
        assert_int_equal(exec_status_format(&s, buf, 0), -ENOBUFS);
        /* "exited 1 pid 123456\n" is 20 bytes: it needs 21 with the NUL. */
        assert_int_equal(exec_status_format(&s, buf, 20), -ENOBUFS);
        assert_int_equal(exec_status_format(&s, buf, 21), 0);
        assert_string_equal(buf, "exited 1 pid 123456\n");
}

/* Parses the NULL-terminated arguments; a->cmd points into a static array, valid until the next call. */
static int parse(ExecArgs *a, ...) {
        static char *argv[32] = { (char *) "jobd-exec" };
        int argc = 1;
        va_list ap;

        va_start(ap, a);
        for (char *s; (s = va_arg(ap, char *)); )
                argv[argc++] = s;
        va_end(ap);
        argv[argc] = NULL;
        return exec_args_parse(argc, argv, a);
}

/* The helper's command line (exec-args.h), as core/job.c writes it. */
static void test_args(void **state) {
        ExecArgs a;

        assert_int_equal(parse(&a, "--chdir=/tmp", "--uid=1000", "--gid=100", "--groups=100,27,",
                               "--seccomp=filter", "--env-fd=5", "--wait-fd=4", "--", "ls", "-l", NULL), 0);
        assert_string_equal(a.chdir, "/tmp");
        assert_true(a.set_ids);
        assert_int_equal(a.uid, 1000);
        assert_int_equal(a.gid, 100);
        assert_int_equal(a.n_groups, 2);
        assert_int_equal(a.groups[0], 100);
        assert_int_equal(a.groups[1], 27);
        assert_string_equal(a.seccomp, "filter");
        assert_int_equal(a.env_fd, 5);
        assert_int_equal(a.wait_fd, 4);
        assert_string_equal(a.cmd[0], "ls");
        assert_string_equal(a.cmd[1], "-l");
        assert_null(a.cmd[2]);

        assert_int_equal(parse(&a, "--", "true", NULL), 0);
        assert_false(a.set_ids);
        assert_null(a.chdir);
        assert_null(a.seccomp);
        assert_int_equal(a.wait_fd, -1);
        assert_int_equal(a.env_fd, -1);
        /* What follows "--" is the command's, even if it looks like ours. */
        assert_int_equal(parse(&a, "--", "--uid=0", NULL), 0);
        assert_false(a.set_ids);
        assert_string_equal(a.cmd[0], "--uid=0");
        assert_int_equal(parse(&a, "--uid=4294967294", "--", "x", NULL), 0);
        assert_int_equal(a.uid, 4294967294U);

        assert_int_equal(parse(&a, NULL), -EINVAL);
        assert_int_equal(parse(&a, "--", NULL), -EINVAL);
        assert_int_equal(parse(&a, "true", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--uid=4294967295", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--uid=-1", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--uid= 1", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--uid=", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--uid=0x10", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--groups=1,,2", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--groups=1,a", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--wait-fd=2", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--env-fd=1024", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--seccomp=", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--nope", "--", "x", NULL), -EINVAL);

        /* The jobserver's fds: two distinct ones above the numbers the command gets them at. */
        assert_int_equal(parse(&a, "--", "x", NULL), 0);
        assert_int_equal(a.jobserver_fds[0], -1);
        assert_int_equal(a.jobserver_fds[1], -1);
        assert_int_equal(parse(&a, "--jobserver-fds=6,7", "--", "make", NULL), 0);
        assert_int_equal(a.jobserver_fds[0], 6);
        assert_int_equal(a.jobserver_fds[1], 7);
        assert_int_equal(parse(&a, "--jobserver-fds=4,7", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--jobserver-fds=6,3", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--jobserver-fds=6,6", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--jobserver-fds=6", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--jobserver-fds=6,", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--jobserver-fds=,7", "--", "x", NULL), -EINVAL);
        assert_int_equal(parse(&a, "--jobserver-fds=6,1024", "--", "x", NULL), -EINVAL);
}

/* At most USER_GROUPS_MAX groups: the daemon's bound on what it takes from the user database (user-util.h)
 * is the helper's, so the daemon never writes a line the helper refuses. */
static void test_args_groups_bound(void **state) {
        char *argv[] = { (char *) "jobd-exec", NULL, (char *) "--", (char *) "x", NULL };
        char list[USER_GROUPS_MAX * 12 + 32];
        size_t n = 0;
        ExecArgs a;

        n += (size_t) snprintf(list, sizeof(list), "--groups=");
        for (unsigned i = 0; i < USER_GROUPS_MAX; i++)
                n += (size_t) snprintf(list + n, sizeof(list) - n, "%s%u", i ? "," : "", 4294967294U - i);
        argv[1] = list;
        assert_int_equal(exec_args_parse(4, argv, &a), 0);
        assert_int_equal(a.n_groups, USER_GROUPS_MAX);
        assert_int_equal(a.groups[USER_GROUPS_MAX - 1], 4294967294U - (USER_GROUPS_MAX - 1));
        (void) snprintf(list + n, sizeof(list) - n, ",1");
        assert_int_equal(exec_args_parse(4, argv, &a), -EINVAL);
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

/* The job's environment as data (exec-env.h): what the daemon packs, the helper splits back, exactly. */
static void test_env_roundtrip(void **state) {
        char *env[] = { "A=1", "PATH=/usr/bin:/bin", "EMPTY=", "EQ==x=", "LD_PRELOAD=/tmp/x.so", NULL };
        char *out[8], *buf = NULL;
        size_t size;

        assert_int_equal(exec_env_pack(env, &buf, &size), 0);
        assert_int_equal(size, strlen("A=1PATH=/usr/bin:/binEMPTY=EQ==x=LD_PRELOAD=/tmp/x.so") + 5);
        assert_int_equal(exec_env_split(buf, size, out, 7), 5);
        for (int i = 0; i < 5; i++)
                assert_string_equal(out[i], env[i]);
        assert_null(out[5]);
        /* One entry short of room: too many. */
        assert_int_equal(exec_env_split(buf, size, out, 4), -E2BIG);
        free(buf);

        /* Nothing at all: an empty environment. */
        assert_int_equal(exec_env_pack((char *[]) { NULL }, &buf, &size), 0);
        assert_int_equal(size, 0);
        assert_int_equal(exec_env_split(buf, size, out, 7), 0);
        assert_null(out[0]);
        free(buf);
        assert_int_equal(exec_env_pack(NULL, &buf, &size), 0);
        assert_int_equal(size, 0);
        free(buf);
}

static void test_env_garbage(void **state) {
        char *out[4];
        char b1[] = "A=1\0B=2";            /* the last entry is not terminated */
        char b2[] = "A=1\0\0";             /* an empty entry */
        char b3[] = "=1\0";                 /* an empty name */
        char b4[] = "NOEQUALS\0";
        char b5[] = "A=1\0=B\0";

        assert_int_equal(exec_env_split(b1, sizeof(b1) - 1, out, 3), -EBADMSG);
        assert_int_equal(exec_env_split(b2, sizeof(b2) - 1, out, 3), -EBADMSG);
        assert_int_equal(exec_env_split(b3, sizeof(b3) - 1, out, 3), -EBADMSG);
        assert_int_equal(exec_env_split(b4, sizeof(b4) - 1, out, 3), -EBADMSG);
        assert_int_equal(exec_env_split(b5, sizeof(b5) - 1, out, 3), -EBADMSG);
        assert_int_equal(exec_env_split(b4, EXEC_ENV_BYTES_MAX + 1, out, 3), -E2BIG);
}

/* The daemon refuses to pack what the helper would refuse to read. */
static void test_env_bounds(void **state) {
        size_t n = EXEC_ENV_ENTRIES_MAX + 1, size;
        char **env = calloc(n + 1, sizeof(char *)), *big, *buf = NULL;

        assert_non_null(env);
        for (size_t i = 0; i < n; i++)
                env[i] = (char *) "X=1";
        assert_int_equal(exec_env_pack(env, &buf, &size), -E2BIG);
        env[n - 1] = NULL;
        assert_int_equal(exec_env_pack(env, &buf, &size), 0);
        free(buf);

        big = malloc(EXEC_ENV_BYTES_MAX + 1);
        assert_non_null(big);
        memset(big, 'v', EXEC_ENV_BYTES_MAX);
        memcpy(big, "BIG=", 4);
        big[EXEC_ENV_BYTES_MAX] = 0;    /* with its NUL one byte more than the helper takes */
        env[0] = big;
        env[1] = NULL;
        assert_int_equal(exec_env_pack(env, &buf, &size), -E2BIG);
        big[EXEC_ENV_BYTES_MAX - 1] = 0;
        assert_int_equal(exec_env_pack(env, &buf, &size), 0);
        free(buf);
        free(big);
        free(env);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_format_exact),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_buffer_too_small),
                cmocka_unit_test(test_args),
                cmocka_unit_test(test_args_groups_bound),
                cmocka_unit_test(test_parse_util),
                cmocka_unit_test(test_env_roundtrip),
                cmocka_unit_test(test_env_garbage),
                cmocka_unit_test(test_env_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
