/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The batch script a Slurm job runs: the job's argv, without a shell of its own, whatever the words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "macro.h"
#include "slurm-util.h"

static void check_script(char **argv, const char *want) {
        _cleanup_free_ char *s = slurm_batch_script(argv);

        assert_non_null(s);
        assert_string_equal(s, want);
}

static void test_quoting(void **state) {
        check_script((char *[]) { (char *) "true", NULL }, "#!/bin/sh\nexec 'true'\n");
        check_script((char *[]) { (char *) "echo", (char *) "a b", (char *) "", NULL },
                     "#!/bin/sh\nexec 'echo' 'a b' ''\n");
        check_script((char *[]) { (char *) "echo", (char *) "it's", (char *) "'", (char *) "''", NULL },
                     "#!/bin/sh\nexec 'echo' 'it'\\''s' ''\\''' ''\\'''\\'''\n");
        check_script((char *[]) { (char *) "echo", (char *) "a\nb", (char *) "$HOME `id` \\ \"x\" *", NULL },
                     "#!/bin/sh\nexec 'echo' 'a\nb' '$HOME `id` \\ \"x\" *'\n");
        assert_null(slurm_batch_script((char *[]) { NULL }));
        assert_null(slurm_batch_script(NULL));
}

/* The words /bin/sh hands to the program are exactly the argv: run the script with printf standing in
 * for the program, each word framed. */
static void run_script(char **words) {
        _cleanup_free_ char *script = NULL, *want = NULL, *got = NULL;
        size_t want_len = 0, got_len = 0;
        char **argv;
        int p[2], status;
        FILE *f;
        pid_t pid;
        size_t n = 0;

        while (words[n])
                n++;
        argv = calloc(n + 3, sizeof(char *));
        assert_non_null(argv);
        argv[0] = (char *) "printf";
        argv[1] = (char *) "<%s>";
        memcpy(argv + 2, words, n * sizeof(char *));
        script = slurm_batch_script(argv);
        free(argv);
        assert_non_null(script);

        f = open_memstream(&want, &want_len);
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "<%s>", words[i]);
        fclose(f);

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(p[1], STDOUT_FILENO);
                close(p[0]);
                execl("/bin/sh", "sh", "-c", script, (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        f = open_memstream(&got, &got_len);
        assert_non_null(f);
        for (;;) {
                char buf[256];
                ssize_t l = read(p[0], buf, sizeof(buf));
                if (l <= 0)
                        break;
                fwrite(buf, 1, l, f);
        }
        fclose(f);
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_string_equal(got, want);
}

static void test_through_sh(void **state) {
        run_script((char *[]) { (char *) "plain", NULL });
        run_script((char *[]) { (char *) "", (char *) "a b", (char *) "  ", NULL });
        run_script((char *[]) { (char *) "it's", (char *) "'", (char *) "''x''", NULL });
        run_script((char *[]) { (char *) "line1\nline2\n", (char *) "\t", NULL });
        run_script((char *[]) { (char *) "$HOME", (char *) "`id`", (char *) "$(id)", (char *) "\\",
                                (char *) "\"", (char *) "*", (char *) "~", (char *) "#x", (char *) ";",
                                (char *) "|",
                                (char *) "&&", (char *) "-n", (char *) "--", (char *) "!", NULL });
}

static void test_units(void **state) {
        assert_int_equal(slurm_time_limit_minutes(0), NO_VAL);
        assert_int_equal(slurm_time_limit_minutes(USEC_INFINITY), NO_VAL);
        assert_int_equal(slurm_time_limit_minutes(1), 1);
        assert_int_equal(slurm_time_limit_minutes(60 * USEC_PER_SEC), 1);
        assert_int_equal(slurm_time_limit_minutes(60 * USEC_PER_SEC + 1), 2);
        assert_int_equal(slurm_time_limit_minutes(90 * USEC_PER_SEC), 2);
        assert_int_equal(slurm_time_limit_minutes(3600 * USEC_PER_SEC), 60);
        assert_int_equal(slurm_time_limit_minutes(UINT64_MAX - 1), NO_VAL - 1);

        assert_true(slurm_memory_mib(UINT64_MAX) == NO_VAL64);
        assert_true(slurm_memory_mib(0) == 1);
        assert_true(slurm_memory_mib(1) == 1);
        assert_true(slurm_memory_mib(1024 * 1024) == 1);
        assert_true(slurm_memory_mib(1024 * 1024 + 1) == 2);
        assert_true(slurm_memory_mib(UINT64_C(4) << 30) == 4096);

        assert_int_equal(slurm_nice_from_cpu_weight(UINT64_MAX, true), NICE_OFFSET);
        assert_int_equal(slurm_nice_from_cpu_weight(100, true), NICE_OFFSET);
        assert_int_equal(slurm_nice_from_cpu_weight(1, true), NICE_OFFSET + 99);
        assert_int_equal(slurm_nice_from_cpu_weight(50, false), NICE_OFFSET + 50);
        assert_int_equal(slurm_nice_from_cpu_weight(10000, true), NICE_OFFSET - 9900);
        assert_int_equal(slurm_nice_from_cpu_weight(10000, false), NICE_OFFSET);
        assert_int_equal(slurm_nice_from_cpu_weight(200, true), NICE_OFFSET - 100);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quoting),
                cmocka_unit_test(test_through_sh),
                cmocka_unit_test(test_units),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
