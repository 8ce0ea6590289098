/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

/* Closes fd if valid, keeps errno, returns -EBADF: "fd = safe_close(fd);". */
int safe_close(int fd);

static inline void closep(int *fd) {
        safe_close(*fd);
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Reads a whole small file relative to dirfd into a NUL-terminated buffer. Returns the size read or
 * -errno; -EFBIG if it is larger than max. */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t max);
/* The same for an open fd, read from its current offset to the end. */
ssize_t read_fd_full(int fd, char *buf, size_t max);

/* Writes a string to an existing file relative to dirfd (no O_CREAT), as one write(). */
int write_string_file_at(int dirfd, const char *path, const char *s);

int fd_nonblock(int fd, bool nonblock);

/* Closes every fd from "from" up. Returns 0 or -errno. */
int close_all_fds(int from);
