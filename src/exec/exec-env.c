/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exec-env.h"
#include "fd-util.h"
#include "macro.h"

int exec_env_pack(char *const *env, char **ret, size_t *ret_size) {
        size_t n = 0, size = 0, l;
        char *buf, *p;

        for (char *const *e = env; e && *e; e++) {
                size += strlen(*e) + 1;
                n++;
        }
        if (n > EXEC_ENV_ENTRIES_MAX || size > EXEC_ENV_BYTES_MAX)
                return -E2BIG;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        p = buf;
        for (char *const *e = env; e && *e; e++) {
                l = strlen(*e) + 1;
                memcpy(p, *e, l);
                p += l;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}

int exec_env_memfd(char *const *env) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        ssize_t k;
        int r;

        r = exec_env_pack(env, &buf, &size);
        if (r < 0)
                return r;
        fd = memfd_create("jobd-environment", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* A memfd takes a whole write at once (no short writes short of ENOSPC/ENOMEM). */
        k = write(fd, buf, size);
        if (k < 0)
                return -errno;
        if ((size_t) k != size)
                return -EIO;
        return TAKE_FD(fd);
}
