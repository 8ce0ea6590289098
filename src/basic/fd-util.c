/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "parse-util.h"

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}

ssize_t read_fd_full(int fd, char *buf, size_t max) {
        size_t n = 0;

        for (;;) {
                ssize_t k;

                if (n >= max)
                        return -EFBIG;
                k = read(fd, buf + n, max - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += k;
        }
        buf[n] = 0;
        return (ssize_t) n;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t max) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_full(fd, buf, max);
}

int write_string_file_at(int dirfd, const char *path, const char *s) {
        _cleanup_close_ int fd = -EBADF;
        size_t l = strlen(s);
        ssize_t k;

        fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        k = write(fd, s, l);
        if (k < 0)
                return -errno;
        if ((size_t) k != l)
                return -EIO;
        return 0;
}

int fd_nonblock(int fd, bool nonblock) {
        int flags, nflags;

        flags = fcntl(fd, F_GETFL, 0);
        if (flags < 0)
                return -errno;
        nflags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (nflags == flags)
                return 0;
        return RET_NERRNO(fcntl(fd, F_SETFL, nflags));
}

int close_all_fds(int from) {
        DIR *d;
        struct dirent *de;

        if (syscall(__NR_close_range, (unsigned) from, ~0U, 0U) >= 0)
                return 0;
        /* Before Linux 5.9 (or where a sandbox denies it): what /proc says is open. */
        d = opendir("/proc/self/fd");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                int fd;

                if (safe_atoi(de->d_name, &fd) >= 0 && fd >= from && fd != dirfd(d))
                        (void) close(fd);
        }
        closedir(d);
        return 0;
}
