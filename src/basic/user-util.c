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

/* getpwuid_r()/getgrnam_r() into a buffer that grows on ERANGE (an NSS module may return an entry of
 * any size), bounded: call may use _sz, the size of buf. Returns 0 with found set, -ESRCH for no entry,
 * or -errno. */
#define NSS_LOOKUP(call, buf, found)                                            \
        ({                                                                      \
                size_t _sz = 4096;                                              \
                int _r;                                                         \
                for (;;) {                                                      \
                        free(buf);                                              \
                        (buf) = malloc(_sz);                                    \
                        if (!(buf)) {                                           \
                                _r = ENOMEM;                                    \
                                break;                                          \
                        }                                                       \
                        _r = (call);                                            \
                        if (_r != ERANGE)                                       \
                                break;                                          \
                        if (_sz >= 1024 * 1024) {                               \
                                _r = E2BIG;                                     \
                                break;                                          \
                        }                                                       \
                        _sz *= 2;                                               \
                }                                                               \
                _r != 0 ? -_r : !(found) ? -ESRCH : 0;                          \
        })

int user_record_get(uid_t uid, UserRecord **ret) {
        _cleanup_(user_record_freep) UserRecord *u = NULL;
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *found = NULL;
        int n, r;

        r = NSS_LOOKUP(getpwuid_r(uid, &pw, buf, _sz, &found), buf, found);
        if (r < 0)
                return r;

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

int group_lookup(const char *s, gid_t *ret) {
        _cleanup_free_ char *buf = NULL;
        struct group gr, *found = NULL;
        char *end;
        unsigned long u;
        int r;

        errno = 0;
        u = strtoul(s, &end, 10);
        if (*s >= '0' && *s <= '9' && !*end && errno == 0 && u < (gid_t) -1) {
                *ret = (gid_t) u;
                return 0;
        }
        r = NSS_LOOKUP(getgrnam_r(s, &gr, buf, _sz, &found), buf, found);
        if (r < 0)
                return r;
        *ret = gr.gr_gid;
        return 0;
}
