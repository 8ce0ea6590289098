/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "time-util.h"

/* Strict decimal parsers: no sign for unsigned, no trailing garbage, range checked. 0 or -EINVAL/-ERANGE. */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atou(const char *s, unsigned *ret);
int safe_atoi(const char *s, int *ret);

/* "90", "1.5s", "200ms", "2min", "1h", "infinity" → µs. A bare number is in seconds. */
int parse_sec(const char *s, usec_t *ret);

/* "512", "64K", "1.5M", "2G", "infinity" → bytes (1024 based). */
int parse_size(const char *s, uint64_t *ret);

/* "9", "KILL", "SIGKILL" → signal number. */
int parse_signal(const char *s, int *ret);
/* "KILL" for 9, or NULL. */
const char *signal_to_string(int sig);
