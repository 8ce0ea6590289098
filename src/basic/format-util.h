/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FORMAT_BYTES_MAX 24

/* "512B", "64K", "1.5M", "2G" (1024 based, truncated to one decimal, ".0" dropped), "infinity" for
 * UINT64_MAX; the inverse of parse_size(). Returns buf. */
char *format_bytes(char *buf, size_t l, uint64_t t);
