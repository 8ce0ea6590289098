/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's state folder and what it creates in it, trusted only if nobody but the daemon's uid (and
 * root) could have put it there: a folder that another user owns or may write, or a symlink, would let
 * that user feed the daemon a journal (commands that run as any uid) or redirect its writes. */

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Opens (creating what is missing, 0755) the state folder at path and returns its fd. Refused with a
 * logged error that names the path and why: path itself is a symlink, is not owned by uid, or is writable
 * by its group or others; an ancestor is not owned by root or uid, or is writable by others or by a group
 * other than root's and the daemon's without the sticky bit, or is a symlink that neither root nor uid
 * owns. Returns -EPERM for those, or -errno. */
int state_dir_open(const char *path, uid_t uid, int *ret_fd);

/* Checks an opened component of the state folder: of type (S_IFREG, S_IFDIR), owned by uid, one link
 * (files), not writable by group or others. 0 if it holds; -EPERM (wrong owner or mode), -EBADFD (wrong
 * type), -EMLINK (a hard link) or -errno. */
int state_check_fd(int fd, uid_t uid, mode_t type);

/* mkdirat() name with mode if missing, opens it with O_NOFOLLOW and checks it (state_check_fd()). */
int state_open_subdir(int dir_fd, const char *name, uid_t uid, mode_t mode, int *ret_fd);

/* Opens a file of the state folder for reading with O_NOFOLLOW and checks it (state_check_fd()). */
int state_open_file(int dir_fd, const char *name, uid_t uid, int *ret_fd);

/* Reads a whole small file of the state folder (checked as state_open_file() does) into a NUL-terminated
 * buffer. Returns the size read or -errno; -EFBIG if it is larger than max. */
ssize_t state_read_file(int dir_fd, const char *name, uid_t uid, char *buf, size_t max);

/* Puts the file fd (written as tmp in dir_fd) in place of name: fsync() of the file, renameat(), fsync() of
 * the folder, so that after a power loss name is the old file or the whole new one. The caller closes fd
 * and removes tmp on failure. 0 or -errno. */
int state_replace_file(int dir_fd, int fd, const char *tmp, const char *name);

/* Writes s as name in dir_fd (mode, O_NOFOLLOW) through name.tmp and state_replace_file(). 0 or -errno. */
int state_write_file_atomic(int dir_fd, const char *name, const char *s, mode_t mode);

/* A human-readable reason for the errors above. */
const char *state_strerror(int error);
