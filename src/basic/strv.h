/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
static inline bool strv_isempty(char *const *l) {
        return !l || !l[0];
}
/* Deep copy; NULL in, empty strv out. Returns NULL on OOM. */
char **strv_copy(char *const *l);
/* Appends a copy of s; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Total bytes of all strings, including their NULs. */
size_t strv_bytes(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Returns the entry that starts with "key=", or NULL. */
char *strv_env_get(char *const *l, const char *key);
