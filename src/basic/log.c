/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool prefix_level = false;
static const char *log_ident = NULL;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

bool log_get_journal(void) {
        return prefix_level;
}

void log_setup(const char *ident) {
        const char *e;

        log_ident = ident;

        /* Under systemd, stderr is a journal stream: "<N>" prefixes carry the priority. */
        e = getenv("JOURNAL_STREAM");
        if (e) {
                struct stat st;
                unsigned long long dev, ino;

                if (sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
                    fstat(STDERR_FILENO, &st) >= 0 &&
                    (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino)
                        prefix_level = true;
        }

        e = getenv("JOBD_LOG_LEVEL");
        if (e) {
                static const char *const names[] = { "emerg", "alert", "crit", "err",
                                                     "warning", "notice", "info", "debug" };
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (streq(e, names[i]))
                                max_level = (int) i;
        }
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...) {
        char buf[2048], msg[2048];
        const char *p, *end;
        char *q = buf;
        int saved_errno = errno;
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        /* Expand %m ourselves so it refers to the error argument, not errno. */
        for (p = fmt, end = buf + sizeof(buf) - 1; *p && q < end; p++) {
                if (p[0] == '%' && p[1] == '%') {
                        if (q + 2 > end)
                                break;
                        *q++ = '%';
                        *q++ = '%';
                        p++;
                } else if (p[0] == '%' && p[1] == 'm') {
                        const char *s = strerror(error);
                        for (; *s && q < end; s++)
                                *q++ = *s == '%' ? '_' : *s;
                        p++;
                } else
                        *q++ = *p;
        }
        *q = 0;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), buf, ap);
        va_end(ap);

        if (prefix_level)
                fprintf(stderr, "<%i>%s\n", level, msg);
        else if (max_level >= LOG_DEBUG)
                fprintf(stderr, "%s%s%s:%i: %s\n", log_ident ?: "", log_ident ? ": " : "", file, line, msg);
        else
                fprintf(stderr, "%s%s%s\n", log_ident ?: "", log_ident ? ": " : "", msg);

        errno = saved_errno;
        (void) func;
        return -error;
}
