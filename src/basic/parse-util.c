/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"

int safe_atou64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *e;

        if (isempty(s) || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*e)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int safe_atoi(const char *s, int *ret) {
        long v;
        char *e;

        if (isempty(s))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &e, 10);
        if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        if (*e || isspace((unsigned char) s[0]))
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

typedef struct Unit {
        const char *suffix;
        uint64_t factor;
} Unit;

/* An integer part and a fraction, times the unit, in integers as systemd's parse_time() does: not through
 * a double, which took "0x10" and "1e3" for numbers and cannot hold every value above 2^53. The fraction
 * is exact, rounded down. */
static int parse_scaled(const char *s, const Unit *units, size_t n_units, uint64_t default_factor,
                        uint64_t *ret) {
        uint64_t v = 0, f = default_factor, frac = 0;
        const char *p = s, *frac_start = NULL, *frac_end = NULL;
        bool digits = false;

        if (isempty(s))
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
                digits = true;
        }
        if (*p == '.') {
                frac_start = ++p;
                while (*p >= '0' && *p <= '9')
                        p++;
                frac_end = p;
                digits = digits || frac_end > frac_start;
        }
        if (!digits)
                return -EINVAL;
        while (*p == ' ')
                p++;
        if (*p) {
                size_t i;

                for (i = 0; i < n_units; i++)
                        if (streq(p, units[i].suffix))
                                break;
                if (i >= n_units)
                        return -EINVAL;
                f = units[i].factor;
        }

        /* f × 0.d1d2…dk from the last digit to the first: r = (d × f + r) / 10 keeps r < f and floors
         * exactly (every factor is below 2^60). */
        for (const char *d = frac_end; frac_start && d > frac_start; d--)
                frac = ((uint64_t) (d[-1] - '0') * f + frac) / 10;

        if (f != 0 && v > (UINT64_MAX - 1 - frac) / f)
                return -ERANGE;
        *ret = v * f + frac;
        return 0;
}

int parse_sec(const char *s, usec_t *ret) {
        static const Unit units[] = {
                { "us", 1 }, { "ms", USEC_PER_MSEC }, { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC }, { "h", 3600 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC },
        };

        if (s && streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }
        return parse_scaled(s, units, ELEMENTSOF(units), USEC_PER_SEC, ret);
}

int parse_size(const char *s, uint64_t *ret) {
        static const Unit units[] = {
                { "B", 1 }, { "K", UINT64_C(1) << 10 }, { "M", UINT64_C(1) << 20 }, { "G", UINT64_C(1) << 30 },
                { "T", UINT64_C(1) << 40 },
        };

        if (s && streq(s, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_scaled(s, units, ELEMENTSOF(units), 1, ret);
}

static const char *const signal_names[] = {
        [SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL", [SIGTRAP] = "TRAP",
        [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE", [SIGKILL] = "KILL", [SIGUSR1] = "USR1",
        [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2", [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM",
        [SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP",
        [SIGTSTP] = "TSTP", [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
        [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
        [SIGIO] = "IO", [SIGPWR] = "PWR", [SIGSYS] = "SYS",
};

const char *signal_to_string(int sig) {
        if (sig <= 0 || (size_t) sig >= ELEMENTSOF(signal_names))
                return NULL;
        return signal_names[sig];
}

int parse_signal(const char *s, int *ret) {
        int v;

        if (isempty(s))
                return -EINVAL;
        if (safe_atoi(s, &v) >= 0) {
                if (v <= 0 || v >= _NSIG)
                        return -ERANGE;
                *ret = v;
                return 0;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 1; i < ELEMENTSOF(signal_names); i++)
                if (signal_names[i] && strcasecmp(s, signal_names[i]) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        return -EINVAL;
}
