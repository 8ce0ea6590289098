/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files jobd-exec writes into a job's state folder, and how the daemon reads them back. Shared so
 * that writer and reader cannot disagree. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define EXEC_STATUS_FILE "status"
/* The exec helper finds the job's state folder at this fd. */
#define EXEC_STATE_FD    3

typedef enum ExecOutcome {
        EXEC_EXITED,           /* value: exit code */
        EXEC_SIGNALED,         /* value: signal */
        EXEC_SETUP_FAILED,     /* value: errno; stage names the step ("exec", "chdir", ...) */
} ExecOutcome;

typedef struct ExecStatus {
        ExecOutcome outcome;
        int value;
        pid_t pid;
        char stage[16];
} ExecStatus;

/* Appends str, or v in decimal, to buf (size l > 0) at *n, keeping it NUL-terminated; false once something
 * did not fit (what did is kept). Free of the C library: the helper without it formats with these too. */
static inline bool exec_fmt_str(char *buf, size_t l, size_t *n, const char *str) {
        for (; *str; str++) {
                if (*n + 1 >= l)
                        return false;
                buf[(*n)++] = *str;
                buf[*n] = 0;
        }
        return true;
}

static inline bool exec_fmt_int(char *buf, size_t l, size_t *n, long v) {
        unsigned long u = v < 0 ? -(unsigned long) v : (unsigned long) v;
        char t[24];
        size_t i = sizeof(t) - 1;

        t[i] = 0;
        do
                t[--i] = (char) ('0' + u % 10);
        while ((u /= 10) > 0);
        if (v < 0)
                t[--i] = '-';
        return exec_fmt_str(buf, l, n, t + i);
}

/* "exited 3 pid 1234\n", "signaled 9 pid 1234\n", "setup-failed 2 exec pid 1234\n" into buf (size l);
 * -ENOBUFS if it does not fit, -EINVAL for an unknown outcome. The one writer of the status file: both
 * builds of the helper use it, and the unit test holds it to exec_status_parse(). */
static inline int exec_status_format(const ExecStatus *s, char *buf, size_t l) {
        size_t n = 0;
        bool ok;

        if (l == 0)
                return -ENOBUFS;
        buf[0] = 0;
        switch (s->outcome) {
        case EXEC_EXITED:
                ok = exec_fmt_str(buf, l, &n, "exited ");
                break;
        case EXEC_SIGNALED:
                ok = exec_fmt_str(buf, l, &n, "signaled ");
                break;
        case EXEC_SETUP_FAILED:
                ok = exec_fmt_str(buf, l, &n, "setup-failed ");
                break;
        default:
                return -EINVAL;
        }
        ok = ok && exec_fmt_int(buf, l, &n, s->value);
        if (s->outcome == EXEC_SETUP_FAILED)
                ok = ok && exec_fmt_str(buf, l, &n, " ") && exec_fmt_str(buf, l, &n, s->stage);
        ok = ok && exec_fmt_str(buf, l, &n, " pid ") && exec_fmt_int(buf, l, &n, s->pid) &&
                exec_fmt_str(buf, l, &n, "\n");
        return ok ? 0 : -ENOBUFS;
}

/* Parses that back; -EBADMSG on anything else. The daemon's side (exec-status.c, C library). */
int exec_status_parse(const char *buf, ExecStatus *ret);
