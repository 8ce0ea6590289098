/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

/* The most supplementary groups a job may get: jobd-exec's bound (its argv grammar), and far above what
 * real accounts have. A user in more is refused rather than silently cut. */
#define USER_GROUPS_MAX 256

/* What the user database says about one uid: the only source of a job's gid, groups and login fields
 * (the bus gives just the uid; anything from /proc of a client is the client's to forge). */
typedef struct UserRecord {
        uid_t uid;
        gid_t gid;              /* primary group (pw_gid) */
        char *name;
        char *home;
        char *shell;
        gid_t *groups;          /* getgrouplist(): the primary group first, then the others */
        int n_groups;
} UserRecord;

/* Looks uid up with getpwuid_r() and getgrouplist(). Returns 0, -ESRCH if the uid has no passwd entry,
 * -E2BIG if it is in more than USER_GROUPS_MAX groups, or another -errno. Blocks on NSS (files, or
 * whatever nsswitch.conf names): call it where a caller's uid is first seen, not per message. */
int user_record_get(uid_t uid, UserRecord **ret);

UserRecord *user_record_free(UserRecord *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(UserRecord *, user_record_free);

/* Is gid the user's primary group or one of its supplementary groups? */
bool user_record_in_group(const UserRecord *u, gid_t gid);

/* A group given as a gid, or as a name looked up in the group database (getgrnam_r(); blocks on NSS).
 * Returns 0, -ESRCH if there is no such group, or another -errno. */
int group_lookup(const char *s, gid_t *ret);
