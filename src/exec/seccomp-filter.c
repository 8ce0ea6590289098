/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "seccomp-filter.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(scmp_filter_ctx, seccomp_release);

_printf_(2, 3)
static int refuse(char **ret, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return -EINVAL;
}

bool seccomp_filter_is_deny_list(char *const *l) {
        return l && l[0] && l[0][0] == '~';
}

/* The name of entry i, without the deny marker; NULL for the marker entry "~" itself. */
static const char *entry_name(char *const *l, size_t i) {
        if (i == 0 && l[0][0] == '~')
                return l[0][1] ? l[0] + 1 : NULL;
        return l[i];
}

int seccomp_filter_check(char *const *l, char **ret) {
        size_t n = 0;

        *ret = NULL;
        for (; l && l[n]; n++) {
                const char *name = entry_name(l, n);

                if (n >= SECCOMP_FILTER_NAMES_MAX)
                        return refuse(ret, "SystemCallFilter: more than %u entries", SECCOMP_FILTER_NAMES_MAX);
                if (!name) {
                        if (!l[1])
                                return refuse(ret, "SystemCallFilter: \"~\" must be followed by system call "
                                              "names");
                        continue;
                }
                if (name[0] == '~')
                        return refuse(ret, "SystemCallFilter: \"%.64s\": \"~\" (deny the names that follow) "
                                      "may only come first", name);
                if (strlen(name) > SECCOMP_FILTER_NAME_MAX)
                        return refuse(ret, "SystemCallFilter: \"%.64s...\" is too long for a system call name",
                                      name);
                if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
                        return refuse(ret, "SystemCallFilter: \"%s\" is not a system call libseccomp knows",
                                      name);
        }
        return 0;
}

SeccompFilter *seccomp_filter_new(char **names) {
        SeccompFilter *f = malloc(sizeof(SeccompFilter));

        if (!f) {
                strv_free(names);
                return NULL;
        }
        *f = (SeccompFilter) { .n_ref = 1, .names = names };
        return f;
}

SeccompFilter *seccomp_filter_ref(SeccompFilter *f) {
        if (f)
                f->n_ref++;
        return f;
}

SeccompFilter *seccomp_filter_unref(SeccompFilter *f) {
        if (!f || --f->n_ref > 0)
                return NULL;
        strv_free(f->names);
        free(f->program);
        return mfree(f);
}

/* The architectures whose system calls a process of ours can make: without them in the filter, libseccomp
 * kills a process that makes a 32-bit call instead of refusing it. */
static int add_compat_arches(scmp_filter_ctx ctx) {
        static const struct {
                uint32_t native, compat;
        } table[] = {
                { SCMP_ARCH_X86_64, SCMP_ARCH_X86 },
                { SCMP_ARCH_X86_64, SCMP_ARCH_X32 },
                { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM },
        };
        uint32_t native = seccomp_arch_native();
        int r;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (table[i].native != native)
                        continue;
                r = seccomp_arch_add(ctx, table[i].compat);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        return 0;
}

static int compile(SeccompFilter *f) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_close_ int fd = -EBADF;
        char **l = f->names;
        bool deny = seccomp_filter_is_deny_list(l);
        uint32_t refuse_action = SCMP_ACT_ERRNO(EPERM);
        struct stat st;
        void *p;
        int r;

        ctx = seccomp_init(deny ? SCMP_ACT_ALLOW : refuse_action);
        if (!ctx)
                return -ENOMEM;
        r = add_compat_arches(ctx);
        if (r < 0)
                return r;
        for (size_t i = 0; l && l[i]; i++) {
                const char *name = entry_name(l, i);
                int nr;

                if (!name)
                        continue;
                nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR)
                        return -EINVAL;
                r = seccomp_rule_add(ctx, deny ? refuse_action : SCMP_ACT_ALLOW, nr, 0);
                /* A name of another architecture (socketcall on x86-64) has nothing to filter here. */
                if (r < 0 && !(nr < 0 && r == -EDOM) && r != -EEXIST)
                        return r;
        }
        if (!deny) {
                /* The helper executes the command under the filter. */
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0);
                if (r >= 0 || r == -EEXIST)
                        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 0);
                if (r < 0 && r != -EEXIST)
                        return r;
        }

        /* libseccomp 2.5 exports to an fd only. */
        fd = memfd_create("seccomp-filter", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0)
                return -EBADMSG;
        p = malloc(st.st_size);
        if (!p)
                return -ENOMEM;
        if (pread(fd, p, st.st_size, 0) != st.st_size) {
                free(p);
                return -EIO;
        }
        f->program = p;
        f->program_size = st.st_size;
        return 0;
}

int seccomp_filter_write(SeccompFilter *f, int dir_fd) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        int r;

        if (!f->program) {
                r = compile(f);
                if (r < 0)
                        return r;
        }
        fd = openat(dir_fd, SECCOMP_FILTER_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        n = write(fd, f->program, f->program_size);
        if (n < 0)
                return -errno;
        return (size_t) n == f->program_size ? 0 : -EIO;
}
