/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exec-status.h"
#include "macro.h"

int exec_status_format(const ExecStatus *s, char *buf, size_t l) {
        int n;

        switch (s->outcome) {
        case EXEC_EXITED:
                n = snprintf(buf, l, "exited %i pid %i\n", s->value, (int) s->pid);
                break;
        case EXEC_SIGNALED:
                n = snprintf(buf, l, "signaled %i pid %i\n", s->value, (int) s->pid);
                break;
        case EXEC_SETUP_FAILED:
                n = snprintf(buf, l, "setup-failed %i %s pid %i\n", s->value, s->stage, (int) s->pid);
                break;
        default:
                return -EINVAL;
        }
        return n < 0 || (size_t) n >= l ? -ENOBUFS : 0;
}

int exec_status_parse(const char *buf, ExecStatus *ret) {
        ExecStatus s = {};
        int pid = 0;

        if (sscanf(buf, "exited %i pid %i", &s.value, &pid) == 2)
                s.outcome = EXEC_EXITED;
        else if (sscanf(buf, "signaled %i pid %i", &s.value, &pid) == 2)
                s.outcome = EXEC_SIGNALED;
        else if (sscanf(buf, "setup-failed %i %15s pid %i", &s.value, s.stage, &pid) == 3)
                s.outcome = EXEC_SETUP_FAILED;
        else
                return -EBADMSG;
        if (s.value < 0 || pid < 0)
                return -EBADMSG;
        s.pid = pid;
        *ret = s;
        return 0;
}
