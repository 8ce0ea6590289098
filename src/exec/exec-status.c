/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "exec-status.h"
#include "macro.h"

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
