/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plan files (jobd.plan(5)) through jobctl's parser: any text either parses or is refused with a message
 * that says where, and that message is valid UTF-8 (jobctl prints it; the daemon's own messages quote the
 * same names). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "plan-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *error = NULL;
        PlanFile p;
        int r;

        if (size > 1024 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        r = plan_file_parse(text, size, "fuzz.plan", "/srv/fuzz", &p, &error);
        if (r >= 0)
                plan_file_done(&p);
        else if (!error || !strstr(error, "fuzz.plan"))
                abort();        /* a refusal names the file */
        free(error);
        free(text);
        return 0;
}
