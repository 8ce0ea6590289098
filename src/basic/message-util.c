/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "message-util.h"

int message_setv(char **ret, int error, const char *prefix, const char *fmt, va_list ap) {
        _cleanup_free_ char *what = NULL;

        *ret = NULL;
        if (vasprintf(&what, fmt, ap) < 0) {
                what = NULL;
                return -ENOMEM;
        }
        if (!prefix) {
                *ret = TAKE_PTR(what);
                return error;
        }
        if (asprintf(ret, "%s: %s", prefix, what) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return error;
}

int message_set(char **ret, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = message_setv(ret, error, NULL, fmt, ap);
        va_end(ap);
        return r;
}
