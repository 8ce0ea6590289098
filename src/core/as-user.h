/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Touching a user's files as that user. In system mode the daemon is root and every other local user is
 * hostile: a path a user chose (a LogPath, an output root) is opened, created and linked only with that
 * user's credentials, by a short-lived child that drops to them first, so that the kernel's permission
 * checks are the user's and a symlink or a swapped folder gets the user nothing the user could not reach
 * anyway. When the daemon already is that user (a --user daemon, root's own jobs) it is done in-process. */

#include <stdbool.h>
#include <sys/types.h>

typedef struct AsUser {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;           /* supplementary groups; NULL: none */
        int n_groups;
} AsUser;

/* Opens path (flags as open(2); O_NOFOLLOW, O_NOCTTY, O_NONBLOCK and O_CLOEXEC are added: the last
 * component is never a symlink, a FIFO does not block) as the user; with make_parents, the missing
 * folders above it are created first (0755). 0 and *ret_fd, or a negative errno. */
int open_as_user(const AsUser *u, const char *path, int flags, mode_t mode, bool make_parents, int *ret_fd);

/* A symlink folder entry: in root/folders[folder], a link named name to target; the same name is removed
 * from the other folders first. */
typedef struct OutputLink {
        const char *name;
        const char *target;
        unsigned folder;
} OutputLink;

/* Updates the links under root (created, with its folders, as needed) as the user. 0 or the first error
 * (the others are still tried). */
int output_links_as_user(const AsUser *u, const char *root, const char *const *folders, unsigned n_folders,
                         const OutputLink *links, size_t n_links);
