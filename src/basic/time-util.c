/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "time-util.h"

usec_t now(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

char *format_timespan(char *buf, size_t l, usec_t t) {
        if (t == USEC_INFINITY)
                snprintf(buf, l, "infinity");
        else if (t < USEC_PER_MSEC)
                snprintf(buf, l, "%lluus", (unsigned long long) t);
        else if (t < USEC_PER_SEC)
                snprintf(buf, l, "%.1fms", (double) t / USEC_PER_MSEC);
        else if (t < 60 * USEC_PER_SEC)
                snprintf(buf, l, "%.3fs", (double) t / USEC_PER_SEC);
        else {
                unsigned long long s = t / USEC_PER_SEC;
                if (s < 3600)
                        snprintf(buf, l, "%llumin %llus", s / 60, s % 60);
                else
                        snprintf(buf, l, "%lluh %llumin %llus", s / 3600, (s / 60) % 60, s % 60);
        }
        return buf;
}

char *format_timestamp(char *buf, size_t l, usec_t t) {
        struct tm tm;
        time_t sec;

        if (t == 0) {
                snprintf(buf, l, "n/a");
                return buf;
        }
        sec = (time_t) (t / USEC_PER_SEC);
        if (!localtime_r(&sec, &tm) || strftime(buf, l, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, l, "@%llu", (unsigned long long) sec);
        return buf;
}
