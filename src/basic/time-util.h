/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stddef.h>
#include <time.h>

typedef uint64_t usec_t;
typedef uint64_t nsec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC  ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define NSEC_PER_USEC ((nsec_t) 1000ULL)

usec_t now(clockid_t clock);

/* "1h 2min 3.250s"-style formatting of a duration; returns buf. */
char *format_timespan(char *buf, size_t l, usec_t t);
/* "2026-11-22 03:18:50" (local time) of a CLOCK_REALTIME µs value; "n/a" for 0. */
char *format_timestamp(char *buf, size_t l, usec_t t);
