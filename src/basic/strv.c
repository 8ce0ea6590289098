/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        for (; l && *l; l++)
                n++;
        return n;
}

char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        char **c;

        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

int strv_extend(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char *c, **t;

        c = strdup(s);
        if (!c)
                return -ENOMEM;
        t = reallocarray(*l, n + 2, sizeof(char *));
        if (!t) {
                free(c);
                return -ENOMEM;
        }
        t[n] = c;
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

size_t strv_bytes(char *const *l) {
        size_t b = 0;

        for (; l && *l; l++)
                b += strlen(*l) + 1;
        return b;
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

char *strv_env_get(char *const *l, const char *key) {
        size_t k = strlen(key);

        for (; l && *l; l++)
                if (strneq(*l, key, k) && (*l)[k] == '=')
                        return *l;
        return NULL;
}
