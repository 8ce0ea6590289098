/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arbitrary state-log text through the decoder the daemon uses (journal_line_parse() for every line, the
 * submit field table for submit lines). What a line decodes to must encode again and decode to the same
 * line: a field the table writes but cannot read back (or reads out of range) aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal-line.h"
#include "macro.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_submit(json_object *o) {
        const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
        JournalSubmit s, t;
        const char *field;
        json_object *a, *b;
        char *first;

        if (journal_submit_from_json(o, &s, &field) < 0) {
                journal_submit_done(&s);
                return;
        }
        a = journal_submit_to_json(&s);
        if (!a)
                abort();
        first = strdup(json_object_to_json_string_ext(a, flags));
        if (!first || journal_submit_from_json(a, &t, &field) < 0) {
                fprintf(stderr, "A decoded submit line does not decode again (\"%s\"): %s\n", field ?: "",
                        first ?: "");
                abort();
        }
        b = journal_submit_to_json(&t);
        if (!b || strcmp(first, json_object_to_json_string_ext(b, flags)) != 0) {
                fprintf(stderr, "A submit line changes on its second round trip: %s\n", first);
                abort();
        }
        free(first);
        json_object_put(a);
        json_object_put(b);
        journal_submit_done(&s);
        journal_submit_done(&t);
}

/* The tolerant accessors of the hand-written lines, with the bounds journal.c gives them. */
static void check_event(json_object *o) {
        char **l = NULL;

        (void) journal_get_uint(o, "pid", 0, INT32_MAX);
        (void) journal_get_uint(o, "n", 0, UINT32_MAX);
        (void) journal_get_int(o, "code", -1, INT32_MIN, INT32_MAX);
        (void) journal_get_str(o, "result");
        if (journal_get_strv(o, "slots", &l) == 0)
                strv_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *line, *next;

        if (size > 1024 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        for (line = text; line; line = next) {
                JournalLineKind kind;
                json_object *o;
                uint64_t id;
                unsigned version;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (journal_line_parse(line, &o, &kind, &id, &version) < 0)
                        continue;
                if (kind == JOURNAL_LINE_SUBMIT)
                        check_submit(o);
                else if (kind != JOURNAL_LINE_HEADER)
                        check_event(o);
                json_object_put(o);
        }
        free(text);
        return 0;
}
