/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The few macros the scheduler needs. It must not depend on src/basic: it links alone. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define TAKE_PTR(p)                                     \
        ({                                              \
                typeof(p) *_pp = &(p);                  \
                typeof(p) _p = *_pp;                    \
                *_pp = NULL;                            \
                _p;                                     \
        })

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define streq(a, b) (strcmp((a), (b)) == 0)
#define isempty(s) (!(s) || !(s)[0])

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void freep(void *p) {
        free(*(void **) p);
}

/* Grows *p (of *allocated elements of size sz) to hold at least need elements. */
static inline int greedy_realloc(void **p, size_t *allocated, size_t need, size_t sz) {
        size_t n;
        void *q;

        if (need <= *allocated)
                return 0;
        n = MAX(need, MAX(*allocated * 2, (size_t) 4));
        if (n > SIZE_MAX / sz)
                return -ENOMEM;
        q = realloc(*p, n * sz);
        if (!q)
                return -ENOMEM;
        *p = q;
        *allocated = n;
        return 0;
}

#define GREEDY_REALLOC(p, allocated, need) \
        greedy_realloc((void **) &(p), &(allocated), (need), sizeof((p)[0]))
