/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SystemCallFilter groups, RestrictAddressFamilies parsing, and the compiled program, loaded in a child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "seccomp-filter.h"
#include "strv.h"

static const char *const groups[] = {
        "@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug", "@default", "@file-system",
        "@io-event", "@io-uring", "@ipc", "@keyring", "@memlock", "@module", "@mount", "@network-io",
        "@obsolete", "@pkey", "@privileged", "@process", "@raw-io", "@reboot", "@resources", "@setuid",
        "@signal", "@swap", "@sync", "@system-service", "@timer",
};

static char **list(const char *first, ...) {
        char **l = calloc(1, sizeof(char *));
        va_list ap;

        assert_non_null(l);
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&l, s), 0);
        va_end(ap);
        return l;
}

static void test_group_expand(void **state) {
        _cleanup_strv_free_ char **uring = NULL, **priv = NULL, **svc = NULL;
        char **l = NULL;

        assert_int_equal(seccomp_syscall_group_expand("@io-uring", &uring), 0);
        assert_int_equal(strv_length(uring), 3);
        assert_true(strv_contains(uring, "io_uring_setup"));
        assert_true(strv_contains(uring, "io_uring_enter"));
        assert_true(strv_contains(uring, "io_uring_register"));

        /* Groups within groups. */
        assert_int_equal(seccomp_syscall_group_expand("@privileged", &priv), 0);
        assert_true(strv_contains(priv, "reboot"));         /* @reboot */
        assert_true(strv_contains(priv, "fchownat"));       /* @chown */
        assert_true(strv_contains(priv, "settimeofday"));   /* @clock */
        assert_true(strv_contains(priv, "setuid"));
        assert_false(strv_contains(priv, "read"));
        assert_int_equal(seccomp_syscall_group_expand("@system-service", &svc), 0);
        assert_true(strv_contains(svc, "socket"));          /* @network-io */
        assert_true(strv_contains(svc, "io_uring_setup"));  /* @aio */
        assert_true(strv_contains(svc, "execve"));          /* @default */
        assert_true(strv_contains(svc, "openat"));          /* @file-system */
        assert_false(strv_contains(svc, "reboot"));
        assert_false(strv_contains(svc, "mount"));

        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                assert_true(seccomp_syscall_group_exists(groups[i]));
                assert_int_equal(seccomp_syscall_group_expand(groups[i], &l), 0);
                assert_true(strv_length(l) > 0);
                STRV_FOREACH(n, l) {
                        assert_true((*n)[0] != '@');
                        for (char **m = n + 1; *m; m++)
                                assert_string_not_equal(*n, *m);
                }
                l = strv_free(l);
        }

        assert_false(seccomp_syscall_group_exists("@nonesuch"));
        assert_false(seccomp_syscall_group_exists("@known"));
        assert_false(seccomp_syscall_group_exists("network-io"));
        assert_int_equal(seccomp_syscall_group_expand("@nonesuch", &l), -ENOENT);
}

static void check_list(bool families, char **l, const char *message) {
        char *msg = NULL;
        int r = families ? seccomp_address_families_check(l, &msg) : seccomp_filter_check(l, &msg);

        if (!message) {
                assert_int_equal(r, 0);
                assert_null(msg);
        } else {
                assert_int_equal(r, -EINVAL);
                assert_non_null(msg);
                assert_non_null(strstr(msg, message));
                free(msg);
        }
        strv_free(l);
}

static void test_check(void **state) {
        check_list(false, list("@network-io", NULL), NULL);
        check_list(false, list("~@privileged", "@mount", "ptrace", NULL), NULL);
        check_list(false, list("~", "@io-uring", NULL), NULL);
        check_list(false, list("read", "@nonesuch", NULL), "SystemCallFilter: \"@nonesuch\" is not a group");
        check_list(false, list("~@nonesuch", NULL), "\"@nonesuch\"");
        check_list(false, list("@", NULL), "\"@\" is not a group");
        check_list(false, list("nonesuch", NULL), "\"nonesuch\" is not a system call");

        check_list(true, NULL, NULL);
        check_list(true, list("AF_UNIX", "AF_INET", "AF_INET6", NULL), NULL);
        check_list(true, list("~AF_INET6", "AF_PACKET", NULL), NULL);
        check_list(true, list("~", "AF_NETLINK", NULL), NULL);
        check_list(true, list("none", NULL), NULL);
        check_list(true, list("AF_UNIX", "none", NULL), "\"none\" must be the only entry");
        check_list(true, list("AF_NONESUCH", NULL), "RestrictAddressFamilies: \"AF_NONESUCH\" is not");
        check_list(true, list("AF_UNIX", "~AF_INET", NULL), "may only come first");
        check_list(true, list("~", NULL), "must be followed");
        check_list(true, list("unix", NULL), "\"unix\"");

        assert_int_equal(seccomp_address_family_from_string("AF_UNIX"), AF_UNIX);
        assert_int_equal(seccomp_address_family_from_string("AF_INET6"), AF_INET6);
        assert_int_equal(seccomp_address_family_from_string("AF_LOCAL"), AF_UNIX);
        assert_int_equal(seccomp_address_family_from_string("AF_UNSPEC"), -EINVAL);
}

static void test_copy_on_write(void **state) {
        SeccompFilter *shared = seccomp_filter_new(list("~socket", NULL)), *mine = seccomp_filter_ref(shared);

        assert_int_equal(seccomp_filter_set_address_families(&mine, list("AF_UNIX", NULL)), 0);
        assert_ptr_not_equal(mine, shared);
        assert_null(shared->address_families);
        assert_string_equal(mine->names[0], "~socket");
        assert_string_equal(mine->address_families[0], "AF_UNIX");
        assert_true(seccomp_filter_is_set(mine));
        assert_int_equal(shared->n_ref, 1);
        seccomp_filter_unref(shared);
        seccomp_filter_unref(mine);

        mine = NULL;
        assert_int_equal(seccomp_filter_set_address_families(&mine, list("AF_INET", NULL)), 0);
        assert_non_null(mine);
        assert_null(mine->names);
        assert_true(seccomp_filter_is_set(mine));
        assert_int_equal(seccomp_filter_set_address_families(&mine, NULL), 0);
        assert_false(seccomp_filter_is_set(mine));
        seccomp_filter_unref(mine);
}

/* Compiles, loads the program in a child and returns what the child saw for each probe, as a string of
 * letters: 'y' (the call worked) or the errno's first letter ('P' EPERM, 'A' EAFNOSUPPORT, ...). */
static void run_filter(char **names, char **families, char out[static 8]) {
        char dir[] = "/tmp/test-seccomp-XXXXXX";
        SeccompFilter *f = seccomp_filter_new(names);
        int dfd, p[2], status;
        pid_t pid;

        assert_non_null(mkdtemp(dir));
        dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        f->address_families = families;
        assert_int_equal(seccomp_filter_write(f, dfd), 0);
        assert_true(f->program_size > 0 && f->program_size % sizeof(struct sock_filter) == 0);
        assert_int_equal(pipe(p), 0);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct sock_fprog prog = {
                        .len = f->program_size / sizeof(struct sock_filter),
                        .filter = f->program,
                };
                /* socket(AF_UNIX), socket(AF_INET), the same with bits above the int the kernel reads,
                 * socketpair(AF_UNIX), io_uring_setup, getpid. */
                long r[6];
                char res[8] = {};

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                        _exit(2);
                r[0] = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
                r[0] = r[0] < 0 ? -errno : 0;
                r[1] = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
                r[1] = r[1] < 0 ? -errno : 0;
                r[2] = syscall(SYS_socket, (1UL << 32) | AF_INET, SOCK_STREAM, 0);
                r[2] = r[2] < 0 ? -errno : 0;
                {
                        int sv[2];
                        r[3] = socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ? -errno : 0;
                }
                r[4] = syscall(SYS_io_uring_setup, 1, NULL);
                r[4] = r[4] < 0 && errno != EFAULT ? -errno : 0;
                r[5] = syscall(SYS_getpid) < 0 ? -errno : 0;
                for (size_t i = 0; i < ELEMENTSOF(r); i++)
                        res[i] = r[i] == 0 ? 'y' : r[i] == -EPERM ? 'P' : r[i] == -EAFNOSUPPORT ? 'A' : '?';
                (void) !write(p[1], res, 6);
                /* Not _exit(): a sanitizer's leak check at exit needs system calls the filter refuses. */
                syscall(SYS_exit_group, 0);
        }
        close(p[1]);
        memset(out, 0, 8);
        if (read(p[0], out, 7) != 6) {
                (void) waitpid(pid, &status, 0);
                fail_msg("the child did not report: status %#x", status);
        }
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        seccomp_filter_unref(f);
        (void) unlinkat(dfd, SECCOMP_FILTER_FILE, 0);
        close(dfd);
        (void) rmdir(dir);
}

static void expect_filter(char **names, char **families, const char *want) {
        char out[8];

        run_filter(names, families, out);
        assert_string_equal(out, want);
}

static void test_enforced(void **state) {
        /*                                             unix inet inet|2^32 pair uring getpid */
        expect_filter(list("~getppid", NULL), NULL,                 "yyyyPy");
        expect_filter(list("~socket", NULL), NULL,                  "PPPyPy");
        expect_filter(list("~@network-io", NULL), NULL,             "PPPPPy");
        expect_filter(list("~@io-uring", NULL), NULL,               "yyyyPy");
        expect_filter(NULL, list("AF_UNIX", NULL),                  "yAAyPy");
        expect_filter(NULL, list("~AF_INET", NULL),                 "yAAyPy");
        expect_filter(NULL, list("~AF_INET6", NULL),                "yyAyPy");
        expect_filter(NULL, list("none", NULL),                     "AAAAPy");
        expect_filter(list("@system-service", NULL), NULL,          "yyyyyy");
        expect_filter(list("@system-service", NULL), list("AF_UNIX", NULL), "yAAyPy");
        expect_filter(list("~socket", NULL), list("AF_INET", NULL), "PPPAPy");
        expect_filter(list("@default", "write", "socket", NULL), list("AF_INET", NULL), "AyAPPy");
        expect_filter(list("~connect", NULL), list("AF_UNIX", "AF_INET", NULL), "yyAyPy");
}

/* Every group compiles, as an allow list and as a deny list, with and without families: no name of the
 * table breaks the program. */
static void test_all_groups_compile(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                for (int k = 0; k < 4; k++) {
                        _cleanup_free_ char *deny = NULL;
                        SeccompFilter *f;
                        char dir[] = "/tmp/test-seccomp-XXXXXX";
                        int dfd;

                        assert_non_null(mkdtemp(dir));
                        dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
                        assert_true(dfd >= 0);
                        assert_true(asprintf(&deny, "~%s", groups[i]) > 0);
                        f = seccomp_filter_new(list(k & 1 ? deny : groups[i], NULL));
                        if (k & 2)
                                f->address_families = list("AF_UNIX", "AF_INET", NULL);
                        assert_int_equal(seccomp_filter_write(f, dfd), 0);
                        assert_true(f->program_size / sizeof(struct sock_filter) <= 4096);
                        seccomp_filter_unref(f);
                        assert_int_equal(unlinkat(dfd, SECCOMP_FILTER_FILE, 0), 0);
                        close(dfd);
                        assert_int_equal(rmdir(dir), 0);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group_expand),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_copy_on_write),
                cmocka_unit_test(test_enforced),
                cmocka_unit_test(test_all_groups_compile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
