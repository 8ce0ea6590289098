/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FailPatterns/PassPatterns scanner (src/core/log-scan.c) on logs in memory files: line numbers across
 * its buffer, lines longer than the buffer, the fail list as one alternation (which must keep each
 * pattern's meaning), pass patterns, an offset, what a Reason quotes, PCRE2's messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log-scan.h"
#include "strv.h"

static JobPatterns *patterns(const char *const *fail, const char *const *pass) {
        JobPatterns *p = job_patterns_new();
        char *why = NULL;

        assert_non_null(p);
        for (; fail && *fail; fail++)
                assert_true(strv_extend(&p->fail, *fail) >= 0);
        for (; pass && *pass; pass++)
                assert_true(strv_extend(&p->pass, *pass) >= 0);
        assert_int_equal(job_patterns_compile(p, &why), 0);
        assert_null(why);
        return p;
}

static int memfd_with(const char *s, size_t l) {
        int fd = memfd_create("log", MFD_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, s, l), (ssize_t) l);
        return fd;
}

static void scan(JobPatterns *p, const char *s, size_t l, uint64_t offset, LogScanResult *res) {
        int fd = memfd_with(s, l);

        log_scan_fd(p, fd, offset, NULL, res);
        close(fd);
        assert_int_equal(res->error, 0);
}

static void test_line_numbers_across_the_buffer(void **state) {
        const char *fail[] = { "UVM_(ERROR|FATAL)", "^Error-", NULL };
        JobPatterns *p = patterns(fail, NULL);
        size_t lines = 300000, l = lines * 10 + 64;   /* 3 MB: three buffers */
        char *s = malloc(l), *reason;
        LogScanResult res;
        size_t n = 0;

        for (size_t i = 0; i < lines; i++)
                n += sprintf(s + n, "line %04zu\n", i % 10000);
        n += sprintf(s + n, "Error-[X] here\nUVM_ERROR later\n");
        scan(p, s, n, 0, &res);
        assert_true(res.fail_matched);
        assert_int_equal(res.fail_index, 1);
        assert_int_equal(res.fail_line, lines + 1);
        assert_string_equal(res.fail_quote, "Error-[X] here");
        reason = log_scan_reason(p, &res);
        assert_string_equal(reason, "FailPatterns: \"^Error-\" matched line 300001: Error-[X] here");
        free(reason);
        free(s);
        job_patterns_unref(p);
}

static void test_long_line(void **state) {
        const char *fail[] = { "NEEDLE", NULL };
        JobPatterns *p = patterns(fail, NULL);
        size_t l = 2 * LOG_SCAN_BUFFER + 100;
        char *s = malloc(l);
        LogScanResult res;

        memset(s, 'a', l);
        memcpy(s, "short\n", 6);
        memcpy(s + LOG_SCAN_BUFFER + LOG_SCAN_BUFFER / 2, "NEEDLE", 6);
        s[l - 1] = '\n';
        scan(p, s, l, 0, &res);
        assert_true(res.fail_matched);
        assert_int_equal(res.fail_line, 2);
        /* Cut to the quote's maximum. */
        assert_int_equal(strlen(res.fail_quote), LOG_SCAN_QUOTE_MAX + 3);
        assert_memory_equal(res.fail_quote + LOG_SCAN_QUOTE_MAX, "...", 3);
        free(s);
        job_patterns_unref(p);
}

static void test_alternation_keeps_each_pattern(void **state) {
        /* \Q without \E, and a back reference in the second pattern (its own group 1). */
        const char *fail[] = { "(q)\\Qa.b", "(z)\\1", NULL };
        JobPatterns *p = patterns(fail, NULL);
        const char log[] = "qaxb\nzy\nzz\n";
        LogScanResult res;

        assert_non_null(p->fail_any);
        scan(p, log, sizeof(log) - 1, 0, &res);
        assert_true(res.fail_matched);
        assert_int_equal(res.fail_index, 1);
        assert_int_equal(res.fail_line, 3);
        assert_string_equal(res.fail_quote, "zz");
        job_patterns_unref(p);
}

static void test_pass_patterns(void **state) {
        const char *pass[] = { "^TEST PASSED$", "coverage: \\d+%", NULL };
        JobPatterns *p = patterns(NULL, pass);
        const char ok[] = "start\ncoverage: 93%\nTEST PASSED\n", missing[] = "TEST PASSED\n";
        LogScanResult res;
        char *reason;

        scan(p, ok, sizeof(ok) - 1, 0, &res);
        assert_false(res.fail_matched);
        assert_false(res.pass_missing);
        assert_null(log_scan_reason(p, &res));
        scan(p, missing, sizeof(missing) - 1, 0, &res);
        assert_true(res.pass_missing);
        assert_int_equal(res.pass_index, 1);
        reason = log_scan_reason(p, &res);
        assert_string_equal(reason, "PassPatterns: \"coverage: \\d+%\" never matched the log");
        free(reason);
        /* ^ and $ are a line's, also without a final newline. */
        scan(p, "coverage: 1%\nxTEST PASSED", 25, 0, &res);
        assert_true(res.pass_missing);
        assert_int_equal(res.pass_index, 0);
        job_patterns_unref(p);
}

static void test_offset_and_quote(void **state) {
        const char *fail[] = { "ERR", NULL };
        JobPatterns *p = patterns(fail, NULL);
        const char log[] = "ERR old attempt\nnew\nERR \x1b[2J\tgr\xc3\xbc\xc3\x9f \xff end\n";
        LogScanResult res;

        scan(p, log, sizeof(log) - 1, 16, &res);
        assert_true(res.fail_matched);
        /* Lines count from the offset: this attempt's output. */
        assert_int_equal(res.fail_line, 2);
        /* Controls and invalid UTF-8 as '?', a tab as a space, printable UTF-8 kept. */
        assert_string_equal(res.fail_quote, "ERR ?[2J gr\xc3\xbc\xc3\x9f ? end");
        job_patterns_unref(p);
}

static void test_sparse_log(void **state) {
        const char *fail[] = { "ERR", NULL };
        JobPatterns *p = patterns(fail, NULL);
        uint64_t size = 64ULL << 30;   /* 64 GiB of hole: never read */
        LogScanResult res;
        int fd = memfd_with("a\nb", 3);

        assert_int_equal(ftruncate(fd, (off_t) size), 0);
        assert_int_equal(pwrite(fd, "ERR here\n", 9, (off_t) size), 9);
        log_scan_fd(p, fd, 0, NULL, &res);
        close(fd);
        assert_int_equal(res.error, 0);
        assert_true(res.fail_matched);
        /* The hole ends the line "b". */
        assert_int_equal(res.fail_line, 3);
        assert_string_equal(res.fail_quote, "ERR here");
        assert_int_equal(res.bytes, size + 9);
        job_patterns_unref(p);
}

static void test_compile_errors(void **state) {
        JobPatterns *p = job_patterns_new();
        char *why = NULL;

        assert_true(strv_extend(&p->fail, "ok") >= 0);
        assert_true(strv_extend(&p->fail, "a(b") >= 0);
        assert_int_equal(job_patterns_compile(p, &why), -EINVAL);
        assert_string_equal(why, "FailPatterns: \"a(b\": missing closing parenthesis at offset 3");
        assert_false(p->compiled);
        free(why);
        why = NULL;
        strv_free(p->fail);
        p->fail = NULL;
        assert_true(strv_extend(&p->pass, "") >= 0);
        assert_int_equal(job_patterns_compile(p, &why), -EINVAL);
        assert_string_equal(why, "PassPatterns: a pattern must not be empty");
        free(why);
        job_patterns_unref(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_line_numbers_across_the_buffer),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_alternation_keeps_each_pattern),
                cmocka_unit_test(test_pass_patterns),
                cmocka_unit_test(test_offset_and_quote),
                cmocka_unit_test(test_sparse_log),
                cmocka_unit_test(test_compile_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
