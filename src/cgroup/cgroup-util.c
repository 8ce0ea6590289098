/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"

/* The kernel writes a space, tab, newline or backslash in a path of mountinfo as a backslash and three octal
 * digits ("\040"): undone in place. */
static void unescape_octal(char *s) {
        char *w = s;

        for (const char *p = s; *p; ) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *w++ = (char) (((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
                        p += 4;
                } else
                        *w++ = *p++;
        }
        *w = 0;
}

int cg_parse_mountinfo_line(char *line, const char **ret_path, const char **ret_fstype,
                            const char **ret_options) {
        char *fields[5], *fstype, *options, *save = NULL, *t;
        size_t n = 0;

        /* "36 25 0:31 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw": mount id, parent
         * id, device, root, mount point, mount options, optional fields up to "-", then the file system
         * type, the source and the super options. */
        for (t = strtok_r(line, " \n", &save); t && n < ELEMENTSOF(fields); t = strtok_r(NULL, " \n", &save))
                fields[n++] = t;
        if (n < ELEMENTSOF(fields))
                return -EINVAL;
        while (t && !streq(t, "-"))
                t = strtok_r(NULL, " \n", &save);
        if (!t)
                return -EINVAL;
        fstype = strtok_r(NULL, " \n", &save);
        if (!fstype || !strtok_r(NULL, " \n", &save))
                return -EINVAL;
        options = strtok_r(NULL, " \n", &save);
        unescape_octal(fields[4]);
        *ret_path = fields[4];
        *ret_fstype = fstype;
        *ret_options = options ?: "";
        return 0;
}

int cg_mountinfo_foreach(FILE *f, cg_mount_func_t func, void *userdata) {
        _cleanup_fclose_ FILE *own = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0;

        if (!f) {
                f = own = fopen("/proc/self/mountinfo", "re");
                if (!f)
                        return -errno;
        }
        while (getline(&line, &n, f) > 0) {
                const char *path, *fstype, *options;
                int r;

                if (cg_parse_mountinfo_line(line, &path, &fstype, &options) < 0)
                        continue;
                r = func(path, fstype, options, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int find_cgroup2(const char *path, const char *fstype, const char *options, void *userdata) {
        char **ret = userdata;

        if (!streq(fstype, "cgroup2"))
                return 0;
        *ret = strdup(path);
        return *ret ? 1 : -ENOMEM;
}

int cg_find_unified_mount(char **ret) {
        int r;

        r = cg_mountinfo_foreach(NULL, find_cgroup2, ret);
        if (r < 0)
                return r;
        return r > 0 ? 0 : -ENOMEDIUM;
}

int cg_pid_get_path(pid_t pid, char **ret) {
        char path[64], buf[8192];
        char *p, *e;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%i/cgroup", pid == 0 ? getpid() : pid);
        n = read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1);
        if (n < 0)
                return (int) n;

        /* The v2 entry is the one with hierarchy id 0: "0::/path". */
        for (p = buf; p && *p; p = e ? e + 1 : NULL) {
                e = strchr(p, '\n');
                if (e)
                        *e = 0;
                if (strneq(p, "0::", 3)) {
                        *ret = strdup(p + 3);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENOMEDIUM;
}

int cg_pid_in_cgroup(pid_t pid, const char *path) {
        _cleanup_free_ char *p = NULL;
        int r;

        r = cg_pid_get_path(pid, &p);
        if (r < 0)
                return r;
        return streq(p, path);
}

int cg_read_events(int cgfd, bool *ret_populated, bool *ret_frozen) {
        char buf[256];
        const char *p;
        ssize_t n;

        n = read_file_at(cgfd, "cgroup.events", buf, sizeof(buf) - 1);
        if (n < 0)
                return (int) n;
        if (ret_populated) {
                p = strstr(buf, "populated ");
                if (!p)
                        return -EBADMSG;
                *ret_populated = p[strlen("populated ")] == '1';
        }
        if (ret_frozen) {
                p = strstr(buf, "frozen ");
                *ret_frozen = p && p[strlen("frozen ")] == '1';
        }
        return 0;
}

int cg_kill_all(int cgfd) {
        int r;

        r = write_string_file_at(cgfd, "cgroup.kill", "1");
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        return r;
}

/* Small open-addressing set of pids, enough for the few passes of cg_signal_all(). */
typedef struct PidSet {
        pid_t *v;
        size_t size, n;
} PidSet;

static bool pidset_add(PidSet *s, pid_t pid) {
        size_t i;

        if ((s->n + 1) * 2 > s->size) {
                PidSet t = { .size = s->size ? s->size * 2 : 64 };
                t.v = calloc(t.size, sizeof(pid_t));
                if (!t.v)
                        return true; /* Out of memory: treat as new, at worst signals twice. */
                for (i = 0; i < s->size; i++)
                        if (s->v[i] > 0)
                                (void) pidset_add(&t, s->v[i]);
                free(s->v);
                *s = t;
        }
        for (i = (size_t) pid % s->size; s->v[i] > 0; i = (i + 1) % s->size)
                if (s->v[i] == pid)
                        return false;
        s->v[i] = pid;
        s->n++;
        return true;
}

int cg_signal_all(int cgfd, int sig) {
        PidSet done = {};
        int count = 0, r = 0;
        bool again;

        do {
                _cleanup_close_ int fd = -EBADF;
                _cleanup_fclose_ FILE *f = NULL;
                char line[32];

                again = false;
                fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        r = -errno;
                        break;
                }
                f = fdopen(TAKE_FD(fd), "r");
                if (!f) {
                        r = -errno;
                        break;
                }
                while (fgets(line, sizeof(line), f)) {
                        int pid;

                        if (safe_atoi(strtok(line, "\n") ?: "", &pid) < 0 || pid <= 0)
                                continue;
                        if (!pidset_add(&done, pid))
                                continue;
                        if (kill(pid, sig) >= 0)
                                count++;
                        again = true;
                }
        } while (again);

        free(done.v);
        return r < 0 ? r : count;
}

int cg_count_procs(int cgfd) {
        char buf[65536];
        _cleanup_close_ int fd = -EBADF;
        int count = 0;
        ssize_t n;

        fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                for (ssize_t i = 0; i < n; i++)
                        count += buf[i] == '\n';
        if (n < 0)
                return -errno;
        return count;
}

int cg_freeze(int cgfd, bool freeze) {
        return write_string_file_at(cgfd, "cgroup.freeze", freeze ? "1" : "0");
}

int cg_get_freeze(int cgfd) {
        char buf[8];
        ssize_t n;

        n = read_file_at(cgfd, "cgroup.freeze", buf, sizeof(buf) - 1);
        if (n < 0)
                return (int) n;
        if (n == 0)
                return -EBADMSG;
        return buf[0] == '1';
}

int cg_read_keyed(int cgfd, const char *file, const char *key, uint64_t *ret) {
        char buf[4096];
        size_t kl = strlen(key);
        ssize_t n;

        n = read_file_at(cgfd, file, buf, sizeof(buf) - 1);
        if (n < 0)
                return (int) n;
        for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strneq(p, key, kl) && p[kl] == ' ') {
                        unsigned long long v;
                        if (sscanf(p + kl + 1, "%llu", &v) != 1)
                                return -EBADMSG;
                        *ret = v;
                        return 0;
                }
        return -ENOENT;
}

int cg_cpu_usage(int cgfd, uint64_t *ret_nsec) {
        uint64_t usec;
        int r;

        r = cg_read_keyed(cgfd, "cpu.stat", "usage_usec", &usec);
        if (r < 0)
                return r;
        *ret_nsec = usec * 1000;
        return 0;
}

int cg_attach_path(const char *dir, pid_t pid) {
        _cleanup_close_ int fd = -EBADF;
        char buf[32];

        fd = open(dir, O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        snprintf(buf, sizeof(buf), "%i", (int) pid);
        return write_string_file_at(fd, "cgroup.procs", buf);
}

int cg_migrate_all(int from_fd, int to_fd) {
        char buf[65536], *p, *e;
        ssize_t n;
        int r;

        for (;;) {
                bool any = false;

                n = read_file_at(from_fd, "cgroup.procs", buf, sizeof(buf) - 1);
                if (n < 0)
                        return (int) n;
                for (p = buf; *p; p = e + 1) {
                        e = strchr(p, '\n');
                        if (!e)
                                break;
                        *e = 0;
                        r = write_string_file_at(to_fd, "cgroup.procs", p);
                        if (r < 0 && r != -ESRCH)
                                return r;
                        any = true;
                }
                if (!any)
                        return 0;
        }
}
