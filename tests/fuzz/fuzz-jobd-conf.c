/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobd.conf(5) through the daemon's parser: any text parses or is refused with "FILE:LINE: ..." */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf-parse.h"
#include "escape-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *error = NULL;
        JobdConf c;
        int r;

        if (size > 1024 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        r = jobd_conf_parse(text, "fuzz.conf", &c, &error);
        if (r >= 0)
                jobd_conf_done(&c);
        else if (!error || strncmp(error, "fuzz.conf:", 10) != 0)
                abort();
        free(error);
        free(text);
        return 0;
}
