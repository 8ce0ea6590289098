/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "state-dir.h"

int state_check_fd(int fd, uid_t uid, mode_t type) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if ((st.st_mode & S_IFMT) != type)
                return -EBADFD;
        if (st.st_uid != uid || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        if (type == S_IFREG && st.st_nlink != 1)
                return -EMLINK;
        return 0;
}

const char *state_strerror(int error) {
        switch (error) {
        case -EPERM:
                return "not owned by jobd's uid, or writable by its group or others";
        case -EBADFD:
                return "not of the expected type";
        case -EMLINK:
                return "a hard link";
        case -ELOOP:
                return "a symbolic link";
        default:
                return strerror(error < 0 ? -error : error);
        }
}

int state_open_subdir(int dir_fd, const char *name, uid_t uid, mode_t mode, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dir_fd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOTDIR ? -EBADFD : -errno;
        r = state_check_fd(fd, uid, S_IFDIR);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int state_open_file(int dir_fd, const char *name, uid_t uid, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        /* O_NONBLOCK: a FIFO put in its place must not hang the daemon before the type check. */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = state_check_fd(fd, uid, S_IFREG);
        if (r < 0)
                return r;
        r = fd_nonblock(fd, false);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

ssize_t state_read_file(int dir_fd, const char *name, uid_t uid, char *buf, size_t max) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        /* As state_open_file(), but O_NONBLOCK stays: it changes nothing for a regular file, which the
         * check makes sure this is (two fcntl() fewer for each job's status file). */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = state_check_fd(fd, uid, S_IFREG);
        if (r < 0)
                return r;
        return read_fd_full(fd, buf, max);
}

/* An ancestor of the state folder may be shared (/tmp, 1777) only if it is sticky: then nobody else can
 * rename or remove what we own in it. It must belong to root or to us. Group-writable is fine for our own
 * group or root's: a home of a user-private group with umask 002 (~/.local 0775) must not keep
 * `jobd --user` from starting. */
static bool ancestor_is_safe(const struct stat *st, uid_t uid, gid_t gid) {
        if (st->st_uid != 0 && st->st_uid != uid)
                return false;
        if (st->st_mode & S_ISVTX)
                return true;
        if (st->st_mode & S_IWOTH)
                return false;
        return !(st->st_mode & S_IWGRP) || st->st_gid == gid || st->st_gid == 0;
}

int state_dir_open(const char *path, uid_t uid, int *ret_fd) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        struct stat st;
        char *s, *name;

        if (!path || path[0] != '/')
                return log_error_errno(-EINVAL, "The state folder must be an absolute path: %s", strna(path));
        p = strdup(path);
        if (!p)
                return log_oom();
        /* Trailing slashes would make the last component empty. */
        for (size_t l = strlen(p); l > 1 && p[l - 1] == '/'; l--)
                p[l - 1] = 0;

        dir_fd = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(-errno, "Cannot open /: %m");

        /* Walks from / one component at a time, relative to the parent's fd: what is checked is what is
         * opened. Ancestors may be symlinks that root or we own (e.g. /home → /srv/home), never one a
         * stranger placed in a sticky folder. */
        for (name = p + 1; (s = strchr(name, '/')); name = s + 1) {
                _cleanup_close_ int fd = -EBADF;

                *s = 0;
                if (isempty(name) || streq(name, ".")) {
                        *s = '/';
                        continue;
                }
                if (mkdirat(dir_fd, name, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(-errno, "Cannot create %s for the state folder: %m", p);
                if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return log_error_errno(-errno, "Cannot check %s: %m", p);
                if (S_ISLNK(st.st_mode) && st.st_uid != 0 && st.st_uid != uid)
                        return log_error_errno(-EPERM, "Refusing the state folder %s: its ancestor %s is a "
                                               "symbolic link owned by uid %u.", path, p, (unsigned) st.st_uid);
                /* What was not a symlink when checked is opened without following one: a stranger who
                 * owns an entry of a sticky ancestor cannot swap it for a link in between. */
                fd = openat(dir_fd, name, O_DIRECTORY | O_PATH | O_CLOEXEC |
                                              (S_ISLNK(st.st_mode) ? 0 : O_NOFOLLOW));
                if (fd < 0)
                        return log_error_errno(-errno, "Cannot open %s: %m", p);
                if (fstat(fd, &st) < 0)
                        return log_error_errno(-errno, "Cannot check %s: %m", p);
                if (!ancestor_is_safe(&st, uid, getegid()))
                        return log_error_errno(-EPERM, "Refusing the state folder %s: its ancestor %s belongs to "
                                               "uid %u gid %u with mode %04o (it must belong to root or uid %u "
                                               "and not be writable by others, or by a group other than root's "
                                               "and jobd's, unless sticky).",
                                               path, p, (unsigned) st.st_uid, (unsigned) st.st_gid,
                                               (unsigned) (st.st_mode & 07777), (unsigned) uid);
                safe_close(dir_fd);
                dir_fd = TAKE_FD(fd);
                *s = '/';
        }

        if (isempty(name))
                return log_error_errno(-EINVAL, "Refusing / as the state folder.");
        if (mkdirat(dir_fd, name, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create the state folder %s: %m", path);
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(-errno, "Cannot check the state folder %s: %m", path);
        if (S_ISLNK(st.st_mode))
                return log_error_errno(-EPERM, "Refusing the state folder %s: it is a symbolic link (give the "
                                       "folder it points to).", path);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR, "Refusing the state folder %s: not a directory.", path);

        {
                _cleanup_close_ int fd = openat(dir_fd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (fd < 0)
                        return log_error_errno(-errno, "Cannot open the state folder %s: %m", path);
                if (fstat(fd, &st) < 0)
                        return log_error_errno(-errno, "Cannot check the state folder %s: %m", path);
                if (st.st_uid != uid)
                        return log_error_errno(-EPERM, "Refusing the state folder %s: it belongs to uid %u, not "
                                               "to jobd's uid %u (another user could have put a journal "
                                               "there).", path, (unsigned) st.st_uid, (unsigned) uid);
                if (st.st_mode & (S_IWGRP | S_IWOTH))
                        return log_error_errno(-EPERM, "Refusing the state folder %s: its mode %04o lets its "
                                               "group or others write it.", path,
                                               (unsigned) (st.st_mode & 07777));
                *ret_fd = TAKE_FD(fd);
        }
        return 0;
}

int state_replace_file(int dir_fd, int fd, const char *tmp, const char *name) {
        if (fsync(fd) < 0)
                return -errno;
        if (renameat(dir_fd, tmp, dir_fd, name) < 0)
                return -errno;
        /* The rename itself is only durable once the folder is. */
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}

int state_write_file_atomic(int dir_fd, const char *name, const char *s, mode_t mode) {
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];
        size_t l = strlen(s);
        ssize_t n;
        int r;

        r = snprintf(tmp, sizeof(tmp), "%s.tmp", name);
        if (r < 0 || (size_t) r >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        n = write(fd, s, l);
        r = n < 0 ? -errno : (size_t) n != l ? -EIO : state_replace_file(dir_fd, fd, tmp, name);
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}
