/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GNU make jobservers: what and why in jobserver.h. */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "job.h"
#include "jobserver.h"
#include "log.h"
#include "manager.h"
#include "sched.h"
#include "user-util.h"

/* Longest group name used as is in the FIFO's name; longer ones are named by a hash. */
#define JOBSERVER_NAME_MAX 200U

struct Jobserver {
        Manager *manager;
        char *group;                    /* NULL: the global limit */
        uid_t uid;                      /* whose jobs use it */
        int fd;                         /* jobd's own: O_RDWR | O_NONBLOCK */
        char *path;
        sd_event_source *source;        /* EPOLLIN | EPOLLET: a make gave a token back */
        uint32_t total;                 /* tokens written and not read back */
        uint32_t held;                  /* of those, out of the FIFO when last looked */
        uint32_t users;                 /* running jobs that got it */
        bool wrote;                     /* we wrote tokens: the next wake-up is (also) ours */
};

static Jobserver *jobserver_free(Jobserver *js) {
        Manager *m;

        if (!js)
                return NULL;
        m = js->manager;
        sd_event_source_disable_unref(js->source);
        safe_close(js->fd);
        if (js->path && m->jobserver_dir_fd >= 0) {
                char name[32];
                _cleanup_close_ int dfd = -EBADF;

                snprintf(name, sizeof(name), "%u", (unsigned) js->uid);
                dfd = openat(m->jobserver_dir_fd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd >= 0)
                        (void) unlinkat(dfd, strrchr(js->path, '/') + 1, 0);
        }
        free(js->path);
        free(js->group);
        return mfree(js);
}

/* How many bytes are waiting in the FIFO. */
static uint32_t jobserver_readable(Jobserver *js) {
        int n = 0;

        if (ioctl(js->fd, FIONREAD, &n) < 0 || n < 0)
                return 0;
        return (uint32_t) n;
}

static uint32_t jobserver_held_now(Jobserver *js) {
        uint32_t n = jobserver_readable(js);

        return js->total > n ? js->total - n : 0;
}

static int64_t scope_room_full(Manager *m, const char *group, bool count_free);
static int64_t scope_room(Manager *m, const char *group);

/* Something was written to the FIFO: a make gave tokens back, or we refilled it. */
static int on_token_returned(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Jobserver *js = userdata;
        Manager *m = js->manager;
        uint32_t held = jobserver_held_now(js);
        int64_t excess;
        bool news;
        SchedCounts c;

        /* Our own write wakes us too: that is news only if fewer tokens are held than we knew of (makes
         * took tokens since we last looked, which wakes nobody, and gave some back). A write coinciding
         * with ours is then seen at the next wake-up or pass. */
        news = !js->wrote || held < js->held;
        js->wrote = false;
        js->held = held;
        if (!news)
                return 0;
        /* The limit was cut below what is out: take what came back at once, before a make takes it again
         * (a make gives a token back and asks for one for its next recipe right away). */
        excess = scope_room_full(m, NULL, true);
        if (js->group)
                excess = MIN(excess, scope_room_full(m, js->group, true));
        if (excess < 0) {
                char buf[512];
                ssize_t n = read(js->fd, buf, (size_t) MIN(-excess, (int64_t) sizeof(buf)));

                if (n > 0) {
                        js->total = (uint32_t) n >= js->total ? 0 : js->total - (uint32_t) n;
                        js->held = jobserver_held_now(js);
                }
        }
        /* A pass takes the token back and hands it on: needed if a job waits for a slot, or if another
         * jobserver may want it. Else it stays with the makes, where it is. */
        sched_get_counts(m->sched, &c);
        if (c.queued > 0 || m->n_jobservers > 1)
                manager_reschedule(m);
        return 0;
}

static bool group_eq(const char *a, const char *b) {
        return (!a && !b) || (a && b && streq(a, b));
}

/* DIR/jobserver/<uid>: its owner's alone (0700), made by us and handed to the owner. What the owner puts
 * there is never opened: the FIFO is made new, opened without following links and must be ours. */
static int jobserver_open_user_dir(Manager *m, uid_t uid, gid_t gid, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        char name[32];
        struct stat st;

        snprintf(name, sizeof(name), "%u", (unsigned) uid);
        if (mkdirat(m->jobserver_dir_fd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(m->jobserver_dir_fd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != uid && st.st_uid != m->uid)
                return -EPERM;
        if (st.st_uid == m->uid && uid != m->uid && (fchmod(fd, 0700) < 0 || fchown(fd, uid, gid) < 0))
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

static int jobserver_new(Manager *m, const char *group, uid_t uid, gid_t gid, Jobserver **ret) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        char name[JOBSERVER_NAME_MAX + 16];
        Jobserver *js;
        struct stat st;
        int r;

        if (m->jobserver_dir_fd < 0)
                return -ENOTDIR;
        if (!group)
                snprintf(name, sizeof(name), "global");
        else if (strlen(group) <= JOBSERVER_NAME_MAX)
                snprintf(name, sizeof(name), "group.%s", group);
        else {
                uint64_t h = UINT64_C(14695981039346656037);

                for (const char *p = group; *p; p++)
                        h = (h ^ (uint8_t) *p) * UINT64_C(1099511628211);
                snprintf(name, sizeof(name), "group-%016llx", (unsigned long long) h);
        }

        r = jobserver_open_user_dir(m, uid, gid, &dfd);
        if (r < 0)
                return r;
        /* A FIFO of our own, new: whatever has the name now (a FIFO of a previous run, or anything the
         * owner put there) goes first. unlinkat() follows no link. */
        (void) unlinkat(dfd, name, 0);
        if (mkfifoat(dfd, name, 0600) < 0)
                return -errno;
        fd = openat(dfd, name, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Only we can make a file ours: one the owner slipped in between is refused. */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISFIFO(st.st_mode) || st.st_uid != m->uid)
                return -EPERM;
        if (uid != m->uid && fchown(fd, uid, gid) < 0)
                return -errno;

        js = calloc(1, sizeof(Jobserver));
        if (!js)
                return -ENOMEM;
        js->manager = m;
        js->uid = uid;
        js->fd = TAKE_FD(fd);
        if ((group && !(js->group = strdup(group))) ||
            asprintf(&js->path, "%s/" JOBSERVER_DIR "/%u/%s", m->state_dir, (unsigned) uid, name) < 0) {
                js->path = NULL;
                jobserver_free(js);
                return -ENOMEM;
        }
        r = sd_event_add_io(m->event, &js->source, js->fd, EPOLLIN | EPOLLET, on_token_returned, js);
        if (r < 0) {
                jobserver_free(js);
                return r;
        }
        (void) sd_event_source_set_description(js->source, "jobserver");
        /* Before anything else: a make that gave a token back may take it again soon (see above). */
        (void) sd_event_source_set_priority(js->source, SD_EVENT_PRIORITY_IMPORTANT);

        {
                Jobserver **a = reallocarray(m->jobservers, m->n_jobservers + 1, sizeof(Jobserver *));

                if (!a) {
                        jobserver_free(js);
                        return -ENOMEM;
                }
                m->jobservers = a;
        }
        m->jobservers[m->n_jobservers++] = js;
        *ret = js;
        return 0;
}

int jobserver_acquire(Manager *m, Job *j, Jobserver **ret) {
        const char *group = NULL;
        SchedGroupInfo gi;
        uid_t uid = m->system_mode ? j->owner : m->uid;
        gid_t gid = (gid_t) -1;
        Jobserver *js = NULL;
        int r;

        if (!isempty(j->spec.group) && sched_get_group(m->sched, j->spec.group, &gi) > 0 &&
            gi.limit != SCHED_UNLIMITED)
                group = j->spec.group;
        else if (sched_get_max_parallel(m->sched) == SCHED_UNLIMITED) {
                *ret = NULL;
                return 0;
        }

        for (size_t i = 0; i < m->n_jobservers; i++)
                if (m->jobservers[i]->uid == uid && group_eq(m->jobservers[i]->group, group)) {
                        js = m->jobservers[i];
                        break;
                }
        if (!js) {
                if (uid != m->uid) {
                        _cleanup_(user_record_freep) UserRecord *u = NULL;

                        if (user_record_get(uid, &u) >= 0)
                                gid = u->gid;
                }
                r = jobserver_new(m, group, uid, gid, &js);
                if (r < 0)
                        return r;
        }
        js->users++;
        *ret = js;
        return 1;
}

void jobserver_release(Jobserver *js) {
        if (!js)
                return;
        assert(js->users > 0);
        js->users--;
        manager_reschedule(js->manager);
}

int jobserver_open_job_fds(Jobserver *js, int *ret_read, int *ret_write) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        char path[64];

        /* A reopen of the FIFO we hold: no path the owner could have changed is followed. jobd holds it
         * for reading and writing, so neither open waits. */
        snprintf(path, sizeof(path), "/proc/self/fd/%i", js->fd);
        rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (rfd < 0)
                return -errno;
        wfd = open(path, O_WRONLY | O_CLOEXEC);
        if (wfd < 0)
                return -errno;
        *ret_read = TAKE_FD(rfd);
        *ret_write = TAKE_FD(wfd);
        return 0;
}

const char *jobserver_path(Jobserver *js) {
        return js->path;
}

/* Held tokens of all jobservers of a group (of any owner); with count_free, those in their FIFOs too. */
static uint32_t group_held_full(Manager *m, const char *group, bool count_free) {
        uint64_t n = 0;

        for (size_t i = 0; i < m->n_jobservers; i++)
                if (group_eq(m->jobservers[i]->group, group))
                        n += count_free ? m->jobservers[i]->total : m->jobservers[i]->held;
        return (uint32_t) MIN(n, (uint64_t) UINT32_MAX);
}

static uint32_t group_held(Manager *m, const char *group) {
        return group_held_full(m, group, false);
}

void manager_jobservers_collect(Manager *m) {
        uint64_t all = 0;
        size_t k = 0;

        for (size_t i = 0; i < m->n_jobservers; i++) {
                Jobserver *js = m->jobservers[i];
                uint64_t got = 0;
                char buf[512];
                ssize_t n;

                /* Every unused token back: the scheduler sees free slots, not tokens in a FIFO. */
                while ((n = read(js->fd, buf, sizeof(buf))) > 0)
                        got += (uint64_t) n;
                js->total = got >= js->total ? 0 : js->total - (uint32_t) got;
                /* Nobody uses it any more: what makes held and never gave back (killed) is written off. */
                if (js->users == 0)
                        js->total = 0;
                js->held = js->total;
                all += js->held;
        }
        sched_set_tokens(m->sched, (uint32_t) MIN(all, (uint64_t) UINT32_MAX));

        /* Group counts, and the jobservers nobody uses go (their group's count first). */
        for (size_t i = 0; i < m->n_jobservers; i++) {
                Jobserver *js = m->jobservers[i];
                bool first = true;

                if (!js->group)
                        continue;
                for (size_t l = 0; l < i && first; l++)
                        first = !group_eq(m->jobservers[l]->group, js->group);
                if (first)
                        (void) sched_set_group_tokens(m->sched, js->group, group_held(m, js->group));
        }
        for (size_t i = 0; i < m->n_jobservers; i++) {
                Jobserver *js = m->jobservers[i];

                if (js->users == 0)
                        jobserver_free(js);
                else
                        m->jobservers[k++] = js;
        }
        m->n_jobservers = k;
}

/* Room left in a scope: limit - running - held (with count_free: - every token out, held or in a FIFO);
 * may be negative after a cut. */
static int64_t scope_room_full(Manager *m, const char *group, bool count_free) {
        if (group) {
                SchedGroupInfo gi;

                if (sched_get_group(m->sched, group, &gi) < 0 || gi.limit == SCHED_UNLIMITED)
                        return INT64_MAX;
                return (int64_t) gi.limit - gi.running - group_held_full(m, group, count_free);
        } else {
                uint32_t limit = sched_get_max_parallel(m->sched);
                SchedCounts c;
                uint64_t all = 0;

                if (limit == SCHED_UNLIMITED)
                        return INT64_MAX;
                sched_get_counts(m->sched, &c);
                for (size_t i = 0; i < m->n_jobservers; i++)
                        all += count_free ? m->jobservers[i]->total : m->jobservers[i]->held;
                return (int64_t) limit - c.running - (int64_t) all;
        }
}

static int64_t scope_room(Manager *m, const char *group) {
        return scope_room_full(m, group, false);
}

void manager_jobservers_refill(Manager *m) {
        _cleanup_free_ int64_t *room = NULL;
        _cleanup_free_ size_t *at = NULL;
        _cleanup_free_ uint32_t *give = NULL;
        int64_t global;
        bool progress = true;

        if (m->n_jobservers == 0)
                return;
        global = scope_room(m, NULL);
        if (global <= 0)
                return;
        room = calloc(m->n_jobservers, sizeof(int64_t));
        at = calloc(m->n_jobservers, sizeof(size_t));
        give = calloc(m->n_jobservers, sizeof(uint32_t));
        if (!room || !at || !give)
                return;
        /* A group's room is shared by its jobservers (one per owner): kept at the first of them. */
        for (size_t i = 0; i < m->n_jobservers; i++) {
                const char *g = m->jobservers[i]->group;

                at[i] = i;
                for (size_t l = 0; l < i && at[i] == i; l++)
                        if (group_eq(m->jobservers[l]->group, g))
                                at[i] = l;
                if (at[i] == i)
                        room[i] = scope_room(m, g);
        }
        /* One token per jobserver in turn, so that no owner or group takes all. */
        while (global > 0 && progress) {
                progress = false;
                for (size_t i = 0; i < m->n_jobservers && global > 0; i++) {
                        if (room[at[i]] <= 0 || give[i] >= 65536U)
                                continue;
                        room[at[i]]--;
                        give[i]++;
                        global--;
                        progress = true;
                }
        }
        for (size_t i = 0; i < m->n_jobservers; i++) {
                Jobserver *js = m->jobservers[i];
                char buf[4096];
                uint32_t left = give[i];

                memset(buf, '+', sizeof(buf));
                while (left > 0) {
                        ssize_t n = write(js->fd, buf, MIN(left, (uint32_t) sizeof(buf)));

                        if (n <= 0)
                                break;  /* full: a FIFO holds 64 KiB, more than any limit here */
                        js->total += (uint32_t) n;
                        js->wrote = true;
                        left -= (uint32_t) n;
                }
        }
}

void manager_jobservers_free(Manager *m) {
        for (size_t i = 0; i < m->n_jobservers; i++)
                jobserver_free(m->jobservers[i]);
        m->jobservers = mfree(m->jobservers);
        m->n_jobservers = 0;
}
