/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Text that others chose (another user's job name, argv, directory, the reason a job failed), made safe to
 * show on a terminal: a terminal acts on control characters (ESC starts sequences that clear the screen,
 * set the window title, move the cursor; in UTF-8 the C1 controls U+0080-U+009F can do the same), and a
 * newline forges extra lines. Each such character, and each byte that is not valid UTF-8, is written as a
 * C escape; everything else, any printable UTF-8, stays as it is. Backslashes stay as they are, as
 * systemd's utf8_escape_non_printable() does: the result is for reading, not for parsing. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* At most this many bytes an escaped byte takes ("\xNN"). */
#define ESCAPE_BYTE_MAX 4

/* The length (1-4) of the character at s if it is valid UTF-8 and printable, 0 if it is a control
 * character (C0, DEL, C1), is not valid UTF-8 (overlong, surrogate, above U+10FFFF, cut short), or *s is
 * NUL. */
size_t utf8_printable_char_len(const char *s) _pure_;
/* Whether s is valid UTF-8 (what a D-Bus string must be); control characters are valid. NULL is. */
bool utf8_is_valid(const char *s) _pure_;
/* The offset of the first byte of s that does not start a valid UTF-8 character, strlen(s) if none. */
size_t utf8_first_invalid(const char *s) _pure_;
/* Whether every character of s passes utf8_printable_char_len(). NULL counts as printable. */
bool string_is_printable(const char *s) _pure_;
/* Writes the escape of byte c at p: \a \b \t \n \v \f \r, else \xNN (lower-case hex). Returns the end, at
 * most ESCAPE_BYTE_MAX bytes further. Writes no NUL. */
char *escape_byte(char *p, unsigned char c);
/* A copy of s in which each byte of every character that is not printable (see above) is escaped with
 * escape_byte(): "\033]0;x\a" -> "\x1b]0;x\a", U+009B -> "\xc2\x9b". NULL in, NULL out; NULL on OOM. */
char *escape_non_printable(const char *s);

/* For a message that echoes a string someone else chose (an error reply on the bus, a line of the log): at
 * most SHORT_STRING_MAX bytes of s, cut at a character boundary, with every byte that is not printable
 * UTF-8 escaped as escape_non_printable() does, and "..." after it if something was left out. The result
 * is always valid UTF-8, so that sd-bus can send it (it refuses a message holding half a character, and
 * the caller would wait for its timeout). Writes into buf; NULL gives "". Use it through SHORT_STRING(),
 * in place of "%.64s". */
#define SHORT_STRING_MAX 64
#define SHORT_STRING_BUF (SHORT_STRING_MAX * ESCAPE_BYTE_MAX + 3 + 1)   /* + "..." + NUL */
const char *string_shorten(char buf[static SHORT_STRING_BUF], const char *s);
#define SHORT_STRING(s) string_shorten((char[SHORT_STRING_BUF]) {}, (s))

/* For serialized JSON of valid UTF-8 (json-c escapes C0 controls in strings, not DEL nor C1): a copy in
 * which DEL and every C1 control are written \u007f and \u0080-\u009f. The JSON decodes to exactly the same
 * strings. NULL on OOM. */
char *json_escape_c1(const char *json);
