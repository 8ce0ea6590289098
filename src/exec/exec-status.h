/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files jobd-exec writes into a job's state folder, and how the daemon reads them back. Shared so
 * that writer and reader cannot disagree. */

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

/* "exited 3 pid 1234\n", "signaled 9 pid 1234\n", "setup-failed 2 exec pid 1234\n". */
int exec_status_format(const ExecStatus *s, char *buf, size_t l);
/* Parses that back; -EBADMSG on anything else. */
int exec_status_parse(const char *buf, ExecStatus *ret);
