/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape-util.h"

/* The code point of the UTF-8 sequence at s and its length in *ret_len, or -1 if it is not a valid one. */
static int32_t utf8_decode(const unsigned char *s, size_t *ret_len) {
        uint32_t c, min;
        size_t n;

        if (s[0] < 0x80) {
                *ret_len = 1;
                return s[0];
        }
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2, c = s[0] & 0x1f, min = 0x80;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3, c = s[0] & 0x0f, min = 0x800;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4, c = s[0] & 0x07, min = 0x10000;
        } else
                return -1;      /* a continuation byte, or 0xf8 and above */

        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return -1;      /* cut short (this also stops at the NUL) */
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return -1;
        *ret_len = n;
        return (int32_t) c;
}

size_t utf8_printable_char_len(const char *s) {
        size_t n;
        int32_t c;

        c = utf8_decode((const unsigned char *) s, &n);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
                return 0;       /* also -1 (invalid) and NUL */
        return n;
}

size_t utf8_first_invalid(const char *s) {
        const char *p;
        size_t n;

        for (p = s; *p; p += n)
                if (utf8_decode((const unsigned char *) p, &n) < 0)
                        break;
        return (size_t) (p - s);
}

bool utf8_is_valid(const char *s) {
        return !s || !s[utf8_first_invalid(s)];
}

bool string_is_printable(const char *s) {
        size_t n;

        if (!s)
                return true;
        for (; *s; s += n) {
                n = utf8_printable_char_len(s);
                if (n == 0)
                        return false;
        }
        return true;
}

char *escape_byte(char *p, unsigned char c) {
        static const char hex[] = "0123456789abcdef";
        static const char *const names = "\aa\bb\tt\nn\vv\ff\rr";

        *p++ = '\\';
        for (const char *e = names; *e; e += 2)
                if ((unsigned char) *e == c) {
                        *p++ = e[1];
                        return p;
                }
        *p++ = 'x';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 15];
        return p;
}

char *escape_non_printable(const char *s) {
        char *buf, *p;
        size_t n;

        if (!s)
                return NULL;
        buf = p = malloc(strlen(s) * ESCAPE_BYTE_MAX + 1);
        if (!buf)
                return NULL;

        while (*s) {
                n = utf8_printable_char_len(s);
                if (n > 0) {
                        memcpy(p, s, n);
                        p += n;
                        s += n;
                        continue;
                }
                /* A control character that is valid UTF-8 (C1: two bytes) is escaped whole, byte by
                 * byte; an invalid sequence one byte at a time, so that what follows it is seen again. */
                size_t l = 1;
                if (utf8_decode((const unsigned char *) s, &l) < 0)
                        l = 1;
                for (size_t i = 0; i < l; i++)
                        p = escape_byte(p, (unsigned char) s[i]);
                s += l;
        }
        *p = 0;
        return buf;
}

const char *string_shorten(char buf[static SHORT_STRING_BUF], const char *s) {
        const char *start = s;
        char *p = buf;
        size_t n;

        if (!s) {
                buf[0] = 0;
                return buf;
        }
        while (*s) {
                n = utf8_printable_char_len(s);
                if (n == 0) {
                        size_t l = 1;

                        /* As escape_non_printable(): a C1 control whole, an invalid byte alone. */
                        if (utf8_decode((const unsigned char *) s, &l) < 0)
                                l = 1;
                        if ((size_t) (s - start) + l > SHORT_STRING_MAX)
                                break;
                        for (size_t i = 0; i < l; i++)
                                p = escape_byte(p, (unsigned char) s[i]);
                        s += l;
                        continue;
                }
                if ((size_t) (s - start) + n > SHORT_STRING_MAX)
                        break;
                memcpy(p, s, n);
                p += n;
                s += n;
        }
        if (*s)
                p = stpcpy(p, "...");
        *p = 0;
        return buf;
}

char *json_escape_c1(const char *json) {
        const unsigned char *s = (const unsigned char *) json;
        char *buf, *p;

        buf = p = malloc(strlen(json) * 6 + 1);      /* DEL: 1 byte becomes 6 */
        if (!buf)
                return NULL;
        for (; *s; s++) {
                unsigned c;

                if (*s == 0x7f)
                        c = 0x7f;
                else if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
                        c = *++s;
                else {
                        *p++ = (char) *s;
                        continue;
                }
                p += sprintf(p, "\\u%04x", c);
        }
        *p = 0;
        return buf;
}
