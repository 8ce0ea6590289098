/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "as-user.h"
#include "fd-util.h"
#include "macro.h"

static bool is_self(const AsUser *u) {
        return u->uid == geteuid();
}

/* In the child: the user's credentials, for good (saved ids too). */
static int drop_to(const AsUser *u) {
        if (setgroups(u->n_groups > 0 ? (size_t) u->n_groups : 0, u->groups) < 0 ||
            setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        return 0;
}

/* mkdir -p of the folder that holds path (its last component is not made). */
static int make_parents_of(const char *path) {
        char buf[PATH_MAX];
        size_t l = strlen(path);

        if (l >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, l + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return 0;
}

static int open_here(const char *path, int flags, mode_t mode, bool make_parents) {
        int r, fd;

        if (make_parents) {
                r = make_parents_of(path);
                if (r < 0)
                        return r;
        }
        fd = open(path, flags | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, mode);
        return fd < 0 ? -errno : fd;
}

static int send_result(int sock, int error, int fd) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof(error) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *c;

                mh.msg_control = control;
                mh.msg_controllen = sizeof(control);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int recv_result(int sock, int *ret_fd) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        int error = -EIO;
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof(error) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof(control) };
        ssize_t n;

        *ret_fd = -EBADF;
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        if (n != sizeof(error))
                return -EIO;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        if (error < 0) {
                *ret_fd = safe_close(*ret_fd);
                return error;
        }
        return 0;
}

typedef int (*AsUserFn)(void *userdata, int sock);

/* Runs fn in a child with the user's credentials; fn reports through sock (send_result()). */
static int run_as_user(const AsUser *u, AsUserFn fn, void *userdata, int *ret_fd) {
        int p[2], r, status;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(p[0]);
                safe_close(p[1]);
                return r;
        }
        if (pid == 0) {
                safe_close(p[0]);
                r = drop_to(u);
                if (r < 0)
                        (void) send_result(p[1], r, -EBADF);
                else
                        (void) fn(userdata, p[1]);
                _exit(0);
        }
        safe_close(p[1]);
        r = recv_result(p[0], ret_fd);
        safe_close(p[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return r;
}

typedef struct OpenArgs {
        const char *path;
        int flags;
        mode_t mode;
        bool make_parents;
} OpenArgs;

static int open_child(void *userdata, int sock) {
        OpenArgs *a = userdata;
        int fd = open_here(a->path, a->flags, a->mode, a->make_parents);

        /* Success always comes with the fd: open_as_user() checks it is there. */
        return send_result(sock, fd < 0 ? fd : 0, fd);
}

int open_as_user(const AsUser *u, const char *path, int flags, mode_t mode, bool make_parents, int *ret_fd) {
        OpenArgs a = { .path = path, .flags = flags, .mode = mode, .make_parents = make_parents };
        int fd, r;

        if (is_self(u)) {
                fd = open_here(path, flags, mode, make_parents);
                if (fd < 0)
                        return fd;
                *ret_fd = fd;
                return 0;
        }
        r = run_as_user(u, open_child, &a, ret_fd);
        if (r >= 0 && *ret_fd < 0)
                return -EIO;
        return r;
}

typedef struct LinkArgs {
        const char *root;
        const char *const *folders;
        unsigned n_folders;
        const OutputLink *links;
        size_t n_links;
} LinkArgs;

static int links_here(const LinkArgs *a) {
        char path[PATH_MAX];
        int r = 0;

        if (make_parents_of(a->root) < 0 || (mkdir(a->root, 0755) < 0 && errno != EEXIST))
                return -errno;
        for (unsigned f = 0; f < a->n_folders; f++) {
                snprintf(path, sizeof(path), "%s/%s", a->root, a->folders[f]);
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        for (size_t i = 0; i < a->n_links; i++) {
                const OutputLink *l = &a->links[i];

                for (unsigned f = 0; f < a->n_folders; f++) {
                        struct stat st;

                        /* Only a link is replaced, never a file or folder put there. */
                        snprintf(path, sizeof(path), "%s/%s/%s", a->root, a->folders[f], l->name);
                        if (lstat(path, &st) >= 0 && S_ISLNK(st.st_mode) && unlink(path) < 0 && r == 0)
                                r = -errno;
                }
                snprintf(path, sizeof(path), "%s/%s/%s", a->root, a->folders[l->folder], l->name);
                if (symlink(l->target, path) < 0 && r == 0)
                        r = -errno;
        }
        return r;
}

static int links_child(void *userdata, int sock) {
        return send_result(sock, links_here(userdata), -EBADF);
}

int output_links_as_user(const AsUser *u, const char *root, const char *const *folders, unsigned n_folders,
                         const OutputLink *links, size_t n_links) {
        LinkArgs a = { .root = root, .folders = folders, .n_folders = n_folders, .links = links,
                       .n_links = n_links };
        int fd = -EBADF, r;

        if (is_self(u))
                return links_here(&a);
        r = run_as_user(u, links_child, &a, &fd);
        safe_close(fd);
        return r;
}
