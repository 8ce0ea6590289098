/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "user-util.h"

UserRecord *user_record_free(UserRecord *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->home);
        free(u->shell);
        free(u->groups);
        free(u);
        return NULL;
}

int user_record_get(uid_t uid, UserRecord **ret) {
        _cleanup_(user_record_freep) UserRecord *u = NULL;
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *found = NULL;
        long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
        size_t bufsz = sz > 0 ? (size_t) sz : 4096;
        int n, r;

        /* ERANGE: a longer entry than the hint (NSS modules may return any size); grow, bounded. */
        for (;;) {
                free(buf);
                buf = malloc(bufsz);
                if (!buf)
                        return -ENOMEM;
                errno = 0;
                r = getpwuid_r(uid, &pw, buf, bufsz, &found);
                if (r != ERANGE)
                        break;
                if (bufsz >= 1024 * 1024)
                        return -E2BIG;
                bufsz *= 2;
        }
        if (r != 0)
                return -r;
        if (!found)
                return -ESRCH;

        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->uid = uid;
        u->gid = pw.pw_gid;
        u->name = strdup(pw.pw_name ?: "");
        u->home = strdup(pw.pw_dir && pw.pw_dir[0] ? pw.pw_dir : "/");
        u->shell = strdup(pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
        if (!u->name || !u->home || !u->shell)
                return -ENOMEM;

        /* One more than the bound, so that "too many" can be told from "exactly the bound". */
        n = USER_GROUPS_MAX + 1;
        u->groups = calloc(n, sizeof(gid_t));
        if (!u->groups)
                return -ENOMEM;
        if (getgrouplist(u->name, u->gid, u->groups, &n) < 0)
                return -E2BIG;
        if (n > USER_GROUPS_MAX)
                return -E2BIG;
        u->n_groups = n;

        *ret = TAKE_PTR(u);
        return 0;
}

bool user_record_in_group(const UserRecord *u, gid_t gid) {
        if (u->gid == gid)
                return true;
        for (int i = 0; i < u->n_groups; i++)
                if (u->groups[i] == gid)
                        return true;
        return false;
}
