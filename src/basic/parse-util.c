/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
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
        double factor;
} Unit;

static int parse_scaled(const char *s, const Unit *units, size_t n_units, double default_factor, uint64_t *ret) {
        double v, f = default_factor;
        char *e;

        if (isempty(s) || !(isdigit((unsigned char) s[0]) || s[0] == '.'))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &e);
        if (errno == ERANGE || !isfinite(v) || v < 0)
                return -ERANGE;
        while (*e == ' ')
                e++;
        if (*e) {
                size_t i;
                for (i = 0; i < n_units; i++)
                        if (streq(e, units[i].suffix))
                                break;
                if (i >= n_units)
                        return -EINVAL;
                f = units[i].factor;
        }
        v *= f;
        if (v >= 18446744073709551615.0)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

int parse_sec(const char *s, usec_t *ret) {
        static const Unit units[] = {
                { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "sec", 1e6 },
                { "m", 60e6 }, { "min", 60e6 }, { "h", 3600e6 }, { "d", 86400e6 },
        };

        if (s && streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }
        return parse_scaled(s, units, ELEMENTSOF(units), 1e6, ret);
}

int parse_size(const char *s, uint64_t *ret) {
        static const Unit units[] = {
                { "B", 1 }, { "K", 1024.0 }, { "M", 1048576.0 }, { "G", 1073741824.0 },
                { "T", 1099511627776.0 },
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
