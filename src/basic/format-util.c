/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "format-util.h"
#include "macro.h"

char *format_bytes(char *buf, size_t l, uint64_t t) {
        static const char suffixes[] = "KMGTPE";
        uint64_t factor = 1024;
        size_t i;

        if (t == UINT64_MAX) {
                snprintf(buf, l, "infinity");
                return buf;
        }
        if (t < 1024) {
                snprintf(buf, l, "%lluB", (unsigned long long) t);
                return buf;
        }

        /* Largest unit not greater than t: t / factor is then in 1..1023. */
        for (i = 0; i < ELEMENTSOF(suffixes) - 2 && t / factor >= 1024; i++)
                factor *= 1024;

        if (t % factor * 10 / factor == 0)
                snprintf(buf, l, "%llu%c", (unsigned long long) (t / factor), suffixes[i]);
        else
                snprintf(buf, l, "%llu.%llu%c", (unsigned long long) (t / factor),
                         (unsigned long long) (t % factor * 10 / factor), suffixes[i]);
        return buf;
}
