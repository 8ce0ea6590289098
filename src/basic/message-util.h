/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>

#include "macro.h"

/* For functions that refuse something and say why in a "char **ret_message": sets *ret to the formatted
 * message, "PREFIX: message" if prefix is not NULL, and returns error. If it cannot be formatted, *ret is
 * NULL and the return value -ENOMEM. */
_printf_(4, 0) int message_setv(char **ret, int error, const char *prefix, const char *fmt, va_list ap);
_printf_(3, 4) int message_set(char **ret, int error, const char *fmt, ...);
