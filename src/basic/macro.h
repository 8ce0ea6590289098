/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _pure_ __attribute__((pure))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define _public_ __attribute__((visibility("default")))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* x is one of the (integer) values listed; x is evaluated once. */
#define IN_SET(x, ...)                                                  \
        ({                                                              \
                const typeof(x) _x = (x);                               \
                const typeof(x) _set[] = { __VA_ARGS__ };               \
                bool _found = false;                                    \
                for (size_t _i = 0; _i < ELEMENTSOF(_set); _i++)        \
                        if (_set[_i] == _x) {                           \
                                _found = true;                          \
                                break;                                  \
                        }                                               \
                _found;                                                 \
        })
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand over ownership of a pointer or fd held by a _cleanup_ variable. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                typeof(p) *_pp = &(p);                  \
                typeof(p) _p = *_pp;                    \
                *_pp = NULL;                            \
                _p;                                     \
        })
#define TAKE_FD(fd)                                     \
        ({                                              \
                int *_fdp = &(fd);                      \
                int _fd = *_fdp;                        \
                *_fdp = -EBADF;                         \
                _fd;                                    \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        *p = func(*p);                          \
        }

/* For destructors that return void. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(type, func)            \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        func(*p);                               \
        }

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void freep(void *p) {
        free(*(void **) p);
}

#define _cleanup_free_ _cleanup_(freep)

#define zero(x) memset(&(x), 0, sizeof(x))

/* Negative errno helpers: returns -errno, never 0 even if errno was clobbered. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

#define RET_NERRNO(expr)                                \
        ({                                              \
                typeof(expr) _r = (expr);               \
                _r < 0 ? negative_errno() : _r;         \
        })

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define streq_ptr(a, b) ((a) && (b) ? streq((a), (b)) : (a) == (b))
#define isempty(s) (!(s) || !(s)[0])
#define strempty(s) ((s) ?: "")
#define strna(s) ((s) ?: "n/a")
