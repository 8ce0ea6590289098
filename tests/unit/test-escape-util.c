/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What jobctl shows of strings other users chose: no control character reaches the terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "escape-util.h"

static void check(const char *in, const char *want) {
        _cleanup_free_ char *out = escape_non_printable(in);

        assert_non_null(out);
        assert_string_equal(out, want);
        assert_true(string_is_printable(out));
        assert_int_equal(string_is_printable(in), streq(in, want));
}

static void test_printable_unchanged(void **state) {
        check("", "");
        check("build-a", "build-a");
        check("/home/alice/My Files/~x", "/home/alice/My Files/~x");
        check("a\\x1b", "a\\x1b");                      /* a backslash stays */
        check("gr\xc3\xbc\xc3\x9f", "gr\xc3\xbc\xc3\x9f");        /* U+00FC U+00DF */
        check("\xc2\xa0", "\xc2\xa0");                  /* U+00A0, the first after C1 */
        check("\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80");     /* U+20AC U+1F600 */
        check("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");  /* U+10FFFF */
        assert_true(string_is_printable(NULL));
        assert_null(escape_non_printable(NULL));
}

static void test_c0_and_del(void **state) {
        check("\033]0;pwned\007\033[2J", "\\x1b]0;pwned\\a\\x1b[2J");
        check("a\nb\tc\rd", "a\\nb\\tc\\rd");
        check("\b\v\f", "\\b\\v\\f");
        check("\x01\x1f", "\\x01\\x1f");
        check("x\x7fy", "x\\x7fy");
}

static void test_c1(void **state) {
        /* U+009B is CSI: "\u009b2J" clears the screen of a terminal that takes 8-bit controls. */
        check("\xc2\x9b" "2J", "\\xc2\\x9b2J");
        check("\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
        check("\xc2\x9d" "0;t\xc2\x9c", "\\xc2\\x9d0;t\\xc2\\x9c");      /* OSC ... ST */
}

static void test_invalid_utf8(void **state) {
        check("\x9b" "2J", "\\x9b2J");                   /* a lone continuation byte (8-bit CSI) */
        check("\xff\xfe", "\\xff\\xfe");
        check("\xc3", "\\xc3");                          /* cut short by the end */
        check("\xc3(", "\\xc3(");                        /* cut short, what follows is kept */
        check("\xe2\x82", "\\xe2\\x82");
        check("\xc0\xaf", "\\xc0\\xaf");                 /* overlong "/" */
        check("\xe0\x80\xaf", "\\xe0\\x80\\xaf");        /* overlong */
        check("\xed\xa0\x80", "\\xed\\xa0\\x80");        /* surrogate U+D800 */
        check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
        check("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
        /* An invalid lead byte followed by a C1 control: both escaped, nothing swallowed. */
        check("\xe2\xc2\x9b", "\\xe2\\xc2\\x9b");
}

static void test_char_len(void **state) {
        assert_int_equal(utf8_printable_char_len("a"), 1);
        assert_int_equal(utf8_printable_char_len("\xc3\xbc"), 2);
        assert_int_equal(utf8_printable_char_len("\xe2\x82\xac"), 3);
        assert_int_equal(utf8_printable_char_len("\xf0\x9f\x98\x80"), 4);
        assert_int_equal(utf8_printable_char_len(""), 0);
        assert_int_equal(utf8_printable_char_len("\033"), 0);
        assert_int_equal(utf8_printable_char_len("\x7f"), 0);
        assert_int_equal(utf8_printable_char_len("\xc2\x85"), 0);
        assert_int_equal(utf8_printable_char_len("\x85"), 0);
}

static void test_json_escape_c1(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        a = json_escape_c1("{\"Name\":\"x\xc2\x9b" "2J\x7f\\u001b\xc3\xbc\"}");
        assert_non_null(a);
        assert_string_equal(a, "{\"Name\":\"x\\u009b2J\\u007f\\u001b\xc3\xbc\"}");
        b = json_escape_c1("[\"\x7f\x7f\x7f\"]");
        assert_string_equal(b, "[\"\\u007f\\u007f\\u007f\"]");
        c = json_escape_c1("{\"a\":1}");
        assert_string_equal(c, "{\"a\":1}");
}

/* SHORT_STRING(): at most 64 bytes of the input, never half a character, always valid UTF-8. */
static void test_short_string(void **state) {
        char a63[64], in[256], want[256];

        memset(a63, 'a', 63);
        a63[63] = 0;
        assert_string_equal(SHORT_STRING(NULL), "");
        assert_string_equal(SHORT_STRING("build"), "build");
        /* 63 bytes and a 2-byte character: "%.64s" would keep half of it. */
        snprintf(in, sizeof(in), "%s\xc3\xa9", a63);
        snprintf(want, sizeof(want), "%s...", a63);
        assert_string_equal(SHORT_STRING(in), want);
        assert_true(utf8_is_valid(SHORT_STRING(in)));
        /* Exactly 64 bytes: whole, no "...". */
        snprintf(in, sizeof(in), "%sb", a63);
        assert_string_equal(SHORT_STRING(in), in);
        /* A 4-byte character across the limit. */
        snprintf(in, sizeof(in), "%s\xf0\x9f\x98\x80zz", a63 + 2);
        snprintf(want, sizeof(want), "%s...", a63 + 2);
        assert_string_equal(SHORT_STRING(in), want);
        /* Invalid bytes and controls are escaped, counted as the bytes they were. */
        assert_string_equal(SHORT_STRING("x\xff\ny\xc3"), "x\\xff\\ny\\xc3");
        memset(in, 0xff, 100);
        in[100] = 0;
        assert_int_equal(strlen(SHORT_STRING(in)), 64 * 4 + 3);
        assert_true(utf8_is_valid(SHORT_STRING(in)));
        assert_false(utf8_is_valid("a\xc3"));
        assert_true(utf8_is_valid("a\x01\xc3\xa9"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_printable_unchanged),
                cmocka_unit_test(test_c0_and_del),
                cmocka_unit_test(test_c1),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_char_len),
                cmocka_unit_test(test_json_escape_c1),
                cmocka_unit_test(test_short_string),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
