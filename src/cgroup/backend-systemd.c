/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The systemd backend: every job is a transient scope unit jobd-<id>.scope of the system manager (in
 * jobd.slice) or of the user manager (in app-jobd.slice, i.e. app.slice/app-jobd.slice), so systemctl,
 * systemd-cgls and resource control see it, and it outlives a restart of jobd.
 *
 * The core spawns the job's first process (the exec helper) held in the daemon's own cgroup and hands
 * us its pid. We ask the manager for the scope with that pid (StartTransientUnit, asynchronously: the
 * event loop never waits for systemd), follow JobRemoved for the start job, then read where the scope
 * is from its ControlGroup property (never guessed) and open that cgroup v2 directory. From then on the
 * job is an ordinary cgroup for the core: cgroup.kill, cgroup.freeze, cgroup.events, cpu.stat, which
 * work on the unit's directory on pure v2 and on the v2 hierarchy of hybrid hosts alike. Once the
 * cgroup is empty systemd stops the scope and, with CollectMode=inactive-or-failed, forgets it: finished
 * scopes do not pile up, and we never remove the cgroup ourselves.
 *
 * This is the only file that builds org.freedesktop.systemd1 calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "cgroup-util.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"

#define SD_DESTINATION "org.freedesktop.systemd1"
#define SD_PATH        "/org/freedesktop/systemd1"
#define SD_MANAGER     "org.freedesktop.systemd1.Manager"

/* A manager that does not answer the probe within this long at start-up does not count as present. */
#define SYSTEMD_PROBE_TIMEOUT_USEC (5ULL * 1000000ULL)

typedef struct SystemdJob SystemdJob;

typedef struct SystemdBackend {
        Backend base;
        sd_bus *bus;
        sd_event *event;
        bool system;                  /* the system manager, else the user manager */
        bool direct;                  /* the manager's private socket: no bus daemon, no sender names */
        bool no_pidfds;               /* the manager refused PIDFDs (scopes before systemd 253): use PIDs */
        char *mount;                  /* the cgroup v2 mount */
        char *memory_v1;              /* the v1 memory hierarchy of hybrid hosts, else NULL */
        bool memory, pids, cpu;       /* controllers the host has, v2 or v1 */
        bool memory_v2;               /* the memory controller is in the v2 hierarchy (memory.peak) */
        sd_bus_slot *job_removed_slot;
        sd_bus_slot *disconnected_slot;
        SystemdJob *placing;          /* list of placements in progress */
} SystemdBackend;

struct SystemdJob {
        SystemdBackend *backend;
        BackendJob *job;
        JobLimits limits;
        char *description;
        pid_t pid;
        int pidfd;                    /* the core's, borrowed while placing */
        bool use_pidfd;
        char *start_job;              /* object path of the manager's start job, once it replied */
        char *removed_job, *removed_result;   /* a JobRemoved seen before that reply */
        sd_bus_slot *slot;            /* the call in flight */
        backend_placed_t cb;
        void *userdata;
        SystemdJob *prev, *next;      /* in backend->placing */
        bool linked;
        sd_event_source *end_source;  /* the released helper says its command has ended */
        sd_event_source *fail_source; /* a placement that failed before it was sent, reported from here */
        int fail_error;
        char *fail_message;
        JobStats last;                /* the figures read then, before systemd removes the cgroup */
};

static void systemd_job_unlink(SystemdJob *s) {
        SystemdBackend *b = s->backend;

        if (!s->linked)
                return;
        if (s->prev)
                s->prev->next = s->next;
        else
                b->placing = s->next;
        if (s->next)
                s->next->prev = s->prev;
        s->prev = s->next = NULL;
        s->linked = false;
}

static SystemdJob *systemd_job_free(SystemdJob *s) {
        if (!s)
                return NULL;
        systemd_job_unlink(s);
        sd_bus_slot_unref(s->slot);
        sd_event_source_disable_unref(s->end_source);
        sd_event_source_disable_unref(s->fail_source);
        free(s->fail_message);
        free(s->description);
        free(s->start_job);
        free(s->removed_job);
        free(s->removed_result);
        free(s);
        return NULL;
}

/* Ends a placement: the callback may free the BackendJob (and so s), so nothing touches s after it. */
_printf_(3, 4)
static int systemd_place_done(SystemdJob *s, int error, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        backend_placed_t cb = s->cb;
        void *userdata = s->userdata;
        BackendJob *j = s->job;

        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                if (vasprintf(&msg, fmt, ap) < 0)
                        msg = NULL;
                va_end(ap);
        }
        systemd_job_unlink(s);
        s->slot = sd_bus_slot_unref(s->slot);
        s->cb = NULL;
        s->pidfd = -EBADF;
        if (cb)
                cb(j, error, msg ?: (error < 0 ? "Cannot place the job in its scope" : NULL), userdata);
        return 0;
}

static const char *systemd_manager_name(SystemdBackend *b) {
        return b->system ? "system" : "user";
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

static int systemd_send_start(SystemdJob *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        SystemdBackend *b = s->backend;
        const JobLimits *l = &s->limits;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, SD_DESTINATION, SD_PATH, SD_MANAGER, "StartTransientUnit");
        if (r < 0)
                return r;
        /* "fail": a unit of that name that is still there (a clash) fails the job instead of being
         * replaced. */
        r = sd_bus_message_append(m, "ss", s->job->unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Description", "s", s->description, "Slice", "s",
                                  b->base.root_path, "CollectMode", "s", "inactive-or-failed");
        if (r < 0)
                return r;
        if (s->use_pidfd)
                r = sd_bus_message_append(m, "(sv)", "PIDFDs", "ah", 1, s->pidfd);
        else
                r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t) s->pid);
        if (r < 0)
                return r;
        /* The manager's defaults (DefaultTasksAccounting=yes and DefaultTasksMax, which alone turns
         * the pids controller on, DefaultMemoryAccounting=yes) would give every scope a cgroup in the v1
         * pids and memory hierarchies of hybrid hosts too: a mkdir and an rmdir per hierarchy and job, a
         * large part of what a scope costs the manager. A job without limits gets neither, as with
         * cgroupfs (TasksMax unset means no limit), except memory accounting where memory is a v2
         * controller: there it is cheap and gives MemoryPeakBytes. */
        if (l->memory_max != LIMIT_UNSET)
                r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", l->memory_max);
        else if (!b->memory_v2)
                r = sd_bus_message_append(m, "(sv)", "MemoryAccounting", "b", 0);
        if (r < 0)
                return r;
        if (l->tasks_max != LIMIT_UNSET)
                r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", l->tasks_max);
        else
                r = sd_bus_message_append(m, "(sv)(sv)", "TasksAccounting", "b", 0, "TasksMax", "t", UINT64_MAX);
        if (r < 0)
                return r;
        if (l->cpu_weight != LIMIT_UNSET) {
                r = sd_bus_message_append(m, "(sv)", "CPUWeight", "t", l->cpu_weight);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;

        s->slot = sd_bus_slot_unref(s->slot);
        return sd_bus_call_async(b->bus, &s->slot, m, on_start_reply, s, 0);
}

/* The scope's cgroup is known: open it and end the placement. */
static int systemd_job_open_cgroup(SystemdJob *s, const char *cg) {
        SystemdBackend *b = s->backend;
        _cleanup_free_ char *dir = NULL;
        BackendJob *j = s->job;

        j->cgroup_path = strdup(cg);
        if (!j->cgroup_path || asprintf(&dir, "%s%s", b->mount, cg) < 0 ||
            asprintf(&j->cgroup_events_path, "%s/cgroup.events", dir) < 0)
                return systemd_place_done(s, -ENOMEM, "Out of memory");
        /* On hybrid hosts too: systemd keeps its units' cgroups in the v2 hierarchy as well. */
        j->cgroup_fd = open(dir, O_DIRECTORY | O_CLOEXEC);
        if (j->cgroup_fd < 0)
                return systemd_place_done(s, -errno, "Cannot open the cgroup %s%s of %s: %s", b->mount, cg,
                                          j->unit, strerror(errno));
        return systemd_place_done(s, 0, NULL);
}

static int on_cgroup_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SystemdJob *s = userdata;
        BackendJob *j = s->job;
        const sd_bus_error *e;
        const char *cg = NULL;
        int r;

        s->slot = sd_bus_slot_unref(s->slot);
        e = sd_bus_message_get_error(reply);
        if (e)
                return systemd_place_done(s, -EIO, "Cannot read ControlGroup of %s: %s", j->unit,
                                          e->message ?: e->name);
        r = sd_bus_message_read(reply, "v", "s", &cg);
        if (r < 0 || isempty(cg) || cg[0] != '/')
                return systemd_place_done(s, r < 0 ? r : -EIO, "Scope %s has no ControlGroup (\"%s\")",
                                          j->unit, strempty(cg));
        return systemd_job_open_cgroup(s, cg);
}

/* The start job of the scope is gone: "done" means the held process is in the scope. */
static int systemd_start_finished(SystemdJob *s, const char *result) {
        SystemdBackend *b = s->backend;
        _cleanup_free_ char *unit_path = NULL, *cg = NULL;
        int r;

        if (!streq(result, "done"))
                return systemd_place_done(s, -EIO, "The manager's job to start %s ended with result \"%s\"",
                                          s->job->unit, result);

        /* The manager has moved the held process (it cannot move itself, nor exit unseen: we hold its
         * pidfd and reap it) into the scope's cgroup: that is where the kernel now shows it. Reading it
         * there saves a round trip to the manager per job; should it not end in the unit's name (a
         * cgroup namespace between us, say), the unit's ControlGroup property says. */
        r = cg_pid_get_path(s->pid, &cg);
        if (r >= 0 && cg[0] == '/' && streq(strrchr(cg, '/') + 1, s->job->unit))
                return systemd_job_open_cgroup(s, cg);

        r = sd_bus_path_encode(SD_PATH "/unit", s->job->unit, &unit_path);
        if (r >= 0)
                r = sd_bus_call_method_async(b->bus, &s->slot, SD_DESTINATION, unit_path,
                                             "org.freedesktop.DBus.Properties", "Get", on_cgroup_reply, s, "ss",
                                             "org.freedesktop.systemd1.Scope", "ControlGroup");
        if (r < 0)
                return systemd_place_done(s, r, "Cannot ask for ControlGroup of %s: %s", s->job->unit,
                                          strerror(-r));
        return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SystemdJob *s = userdata;
        SystemdBackend *b = s->backend;
        const sd_bus_error *e;
        const char *path;
        int r;

        s->slot = sd_bus_slot_unref(s->slot);
        e = sd_bus_message_get_error(reply);
        if (e) {
                /* Like systemd-machined: a manager that cannot take PIDFDs (systemd < 253 for scopes) says
                 * the property is unknown or read-only; then PIDs, for this and every later job. */
                if (s->use_pidfd && (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY) ||
                                     sd_bus_error_has_name(e, SD_BUS_ERROR_PROPERTY_READ_ONLY))) {
                        log_debug("Manager refuses PIDFDs for scopes (%s), using PIDs.", e->message ?: e->name);
                        b->no_pidfds = true;
                        s->use_pidfd = false;
                        r = systemd_send_start(s);
                        if (r < 0)
                                return systemd_place_done(s, r, "Cannot ask the manager for %s: %s",
                                                          s->job->unit, strerror(-r));
                        return 0;
                }
                /* sd-bus answers the calls in flight itself when the connection closes. */
                if (sd_bus_is_open(b->bus) <= 0)
                        return systemd_place_done(s, -ECONNRESET, "The systemd %s manager closed the connection "
                                                  "while creating scope %s", systemd_manager_name(b),
                                                  s->job->unit);
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists"))
                        return systemd_place_done(s, -EEXIST, "Cannot create scope %s: a unit of that name "
                                                  "exists already (another jobd on this manager?)",
                                                  s->job->unit);
                return systemd_place_done(s, -EIO, "Cannot create scope %s through the systemd %s manager: %s",
                                          s->job->unit, systemd_manager_name(b), e->message ?: e->name);
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return systemd_place_done(s, r, "Unexpected reply to StartTransientUnit for %s", s->job->unit);
        s->start_job = strdup(path);
        if (!s->start_job)
                return systemd_place_done(s, -ENOMEM, "Out of memory");

        /* Messages of one connection arrive in order and the manager replies before it finishes the job,
         * but should the signal ever come first, it was kept. */
        if (s->removed_result && streq(s->removed_job, path))
                return systemd_start_finished(s, s->removed_result);
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdBackend *b = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0 || !strneq(unit, "jobd-", 5))
                return 0;

        for (SystemdJob *s = b->placing; s; s = s->next) {
                if (!streq(s->job->unit, unit))
                        continue;
                if (!s->start_job) {
                        free(s->removed_job);
                        free(s->removed_result);
                        s->removed_job = strdup(path);
                        s->removed_result = strdup(result);
                        return 0;
                }
                if (!streq(s->start_job, path) || s->slot)
                        return 0;
                return systemd_start_finished(s, result);
        }
        return 0;
}

/* The manager exited or re-executed itself (daemon-reexec, as on an upgrade of systemd). Calls in flight
 * were answered with errors by sd-bus; placements waiting for their JobRemoved would wait forever. The
 * next job connects again. */
static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdBackend *b = userdata;

        log_warning("The systemd %s manager closed the connection; connecting again for the next job.",
                    systemd_manager_name(b));
        while (b->placing)
                (void) systemd_place_done(b->placing, -ECONNRESET, "The systemd %s manager closed the "
                                          "connection while creating scope %s", systemd_manager_name(b),
                                          b->placing->job->unit);
        return 0;
}

static int on_place_failed(sd_event_source *source, void *userdata) {
        SystemdJob *s = userdata;

        s->fail_source = sd_event_source_disable_unref(s->fail_source);
        return systemd_place_done(s, s->fail_error, "%s", s->fail_message);
}

/* The callback must not run from within job_place_async(): the failure is reported from the event loop. */
_printf_(3, 4)
static int systemd_place_fail_later(SystemdJob *s, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s->fail_message, fmt, ap);
        va_end(ap);
        if (r < 0) {
                s->fail_message = NULL;
                return -ENOMEM;
        }
        s->fail_error = error;
        r = sd_event_add_defer(s->backend->event, &s->fail_source, on_place_failed, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->fail_source, "systemd-place-failed");
        return 0;
}

static int systemd_bus_open(SystemdBackend *b, int level);

static int systemd_job_place_async(Backend *base, BackendJob *j, const char *description, pid_t pid, int pidfd,
                                   backend_placed_t cb, void *userdata) {
        SystemdBackend *b = (SystemdBackend *) base;
        SystemdJob *s = j->data;
        int r;

        if (!s || s->cb)
                return -EINVAL;
        s->description = strdup(description);
        if (!s->description)
                return -ENOMEM;
        s->pid = pid;
        s->pidfd = pidfd;
        s->use_pidfd = pidfd >= 0 && !b->no_pidfds;
        s->cb = cb;
        s->userdata = userdata;

        if (!b->bus || sd_bus_is_open(b->bus) <= 0)
                r = -ENOTCONN;
        else
                r = systemd_send_start(s);
        /* The manager may have gone before sd-bus noticed: the write of this call is what finds out. */
        if (IN_SET(r, -ENOTCONN, -ECONNRESET, -EPIPE, -ESHUTDOWN)) {
                r = systemd_bus_open(b, LOG_WARNING);
                if (r >= 0) {
                        log_info("Connected to the systemd %s manager again.", systemd_manager_name(b));
                        r = systemd_send_start(s);
                }
        }
        if (r < 0) {
                r = systemd_place_fail_later(s, r, "Cannot ask the systemd %s manager for scope %s: %s",
                                             systemd_manager_name(b), s->job->unit, strerror(-r));
                if (r < 0)
                        s->cb = NULL;
                return r;
        }
        s->next = b->placing;
        if (b->placing)
                b->placing->prev = s;
        b->placing = s;
        s->linked = true;
        return 0;
}

static int systemd_job_create(Backend *base, BackendJob *j, const JobLimits *l) {
        SystemdBackend *b = (SystemdBackend *) base;
        SystemdJob *s;

        s = calloc(1, sizeof(SystemdJob));
        if (!s)
                return -ENOMEM;
        s->backend = b;
        s->job = j;
        s->limits = *l;
        s->pidfd = -EBADF;
        j->data = s;
        /* A retry gets a scope of its own: the previous attempt's is collected asynchronously, once its
         * cgroup is empty, and may still exist when an immediate retry starts. */
        if ((j->attempt <= 1 ? asprintf(&j->unit, "jobd-%llu.scope", (unsigned long long) j->id)
                             : asprintf(&j->unit, "jobd-%llu-%u.scope", (unsigned long long) j->id, j->attempt)) < 0) {
                j->unit = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Never removes the cgroup: systemd does, once the scope's cgroup is empty. A scope whose processes
 * still run (the daemon exits) stays and runs on. A placement in progress is cancelled; the core kills
 * the held process, so a scope the manager might still create for it ends at once and is collected. */
static int systemd_job_destroy(Backend *base, BackendJob *j) {
        j->data = systemd_job_free(j->data);
        j->cgroup_fd = safe_close(j->cgroup_fd);
        return 0;
}

static void systemd_job_stats_read(SystemdBackend *b, BackendJob *j, JobStats *ret) {
        char buf[32];
        uint64_t v;

        *ret = (JobStats) {};
        if (j->cgroup_fd < 0)
                return;
        (void) cg_cpu_usage(j->cgroup_fd, &ret->cpu_nsec);
        if (cg_read_keyed(j->cgroup_fd, "memory.events", "oom_kill", &v) >= 0) {
                ret->oom = v > 0;
                if (read_file_at(j->cgroup_fd, "memory.peak", buf, sizeof(buf) - 1) > 0)
                        ret->memory_peak = strtoull(buf, NULL, 10);
        } else if (b->memory_v1 && j->cgroup_path) {
                _cleanup_free_ char *path = NULL;
                _cleanup_close_ int fd = -EBADF;

                /* Hybrid hosts: systemd mirrors the unit's cgroup in the v1 memory hierarchy when the
                 * unit uses the memory controller. */
                if (asprintf(&path, "%s%s", b->memory_v1, j->cgroup_path) < 0)
                        return;
                fd = open(path, O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return;
                if (cg_read_keyed(fd, "memory.oom_control", "oom_kill", &v) >= 0)
                        ret->oom = v > 0;
                if (read_file_at(fd, "memory.max_usage_in_bytes", buf, sizeof(buf) - 1) > 0)
                        ret->memory_peak = strtoull(buf, NULL, 10);
        }
}

/* Once the scope's cgroup is empty systemd removes it, often before the core asks: so the figures read
 * while the helper still kept it populated count too (all of them only grow). */
static void systemd_job_stats(Backend *base, BackendJob *j, JobStats *ret) {
        SystemdJob *s = j->data;

        systemd_job_stats_read((SystemdBackend *) base, j, ret);
        if (!s)
                return;
        ret->cpu_nsec = MAX(ret->cpu_nsec, s->last.cpu_nsec);
        ret->memory_peak = MAX(ret->memory_peak, s->last.memory_peak);
        ret->oom = ret->oom || s->last.oom;
}

static int on_helper_end(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        SystemdJob *s = userdata;

        systemd_job_stats_read(s->backend, s->job, &s->last);
        /* Closing the socket lets the helper exit. */
        s->end_source = sd_event_source_disable_unref(s->end_source);
        return 0;
}

static void systemd_job_watch_end(Backend *base, BackendJob *j, int fd) {
        SystemdBackend *b = (SystemdBackend *) base;
        SystemdJob *s = j->data;
        int r;

        if (!s || s->end_source) {
                safe_close(fd);
                return;
        }
        r = sd_event_add_io(b->event, &s->end_source, fd, EPOLLIN, on_helper_end, s);
        if (r < 0) {
                log_debug_errno(r, "Cannot watch the end of %s, its final figures may be lost: %m", j->unit);
                safe_close(fd);
                return;
        }
        (void) sd_event_source_set_io_fd_own(s->end_source, true);
        (void) sd_event_source_set_description(s->end_source, "job-helper-end");
}

static int systemd_check_limits(Backend *base, const JobLimits *l, const char **ret_why) {
        SystemdBackend *b = (SystemdBackend *) base;

        if (l->memory_max != LIMIT_UNSET && !b->memory) {
                *ret_why = "MemoryMax: no memory controller is available on this host";
                return -EOPNOTSUPP;
        }
        if (l->tasks_max != LIMIT_UNSET && !b->pids) {
                *ret_why = "TasksMax: no pids controller is available on this host";
                return -EOPNOTSUPP;
        }
        if (l->cpu_weight != LIMIT_UNSET && !b->cpu) {
                *ret_why = "CPUWeight: no cpu controller is available on this host";
                return -EOPNOTSUPP;
        }
        return 0;
}

static void systemd_done(Backend *base) {
        SystemdBackend *b = (SystemdBackend *) base;

        /* Jobs are freed before the backend; whatever is left only loses its callback. */
        while (b->placing)
                systemd_job_unlink(b->placing);
        sd_bus_slot_unref(b->job_removed_slot);
        sd_bus_slot_unref(b->disconnected_slot);
        sd_bus_flush_close_unref(b->bus);
        sd_event_unref(b->event);
        free(b->mount);
        free(b->memory_v1);
}

static int on_kill_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* The scope may be gone already (its processes ended meanwhile): nothing to do either way, the
         * core waits for the cgroup to be empty. */
        if (e)
                log_debug("KillUnit failed, the job is killed through its cgroup: %s", e->message ?: e->name);
        return 0;
}

static int systemd_job_kill(Backend *base, BackendJob *j, int sig) {
        SystemdBackend *b = (SystemdBackend *) base;

        if (!j->unit || !b->bus || sd_bus_is_open(b->bus) <= 0)
                return -ENOTCONN;
        log_debug("Asking the systemd %s manager to send signal %i to every process of %s.",
                  systemd_manager_name(b), sig, j->unit);
        return sd_bus_call_method_async(b->bus, NULL, SD_DESTINATION, SD_PATH, SD_MANAGER, "KillUnit",
                                        on_kill_reply, NULL, "ssi", j->unit, "all", (int32_t) sig);
}

static const BackendOps systemd_ops = {
        .name = "systemd",
        .done = systemd_done,
        .check_limits = systemd_check_limits,
        .job_create = systemd_job_create,
        .job_destroy = systemd_job_destroy,
        .job_stats = systemd_job_stats,
        .job_place_async = systemd_job_place_async,
        .job_watch_end = systemd_job_watch_end,
        .job_kill = systemd_job_kill,
};

/* "35 25 0:30 / /sys/fs/cgroup/memory rw,... - cgroup cgroup rw,memory" */
static int find_v1_controllers(const char *path, const char *fstype, const char *options, void *userdata) {
        _cleanup_free_ char *opts = NULL;
        SystemdBackend *b = userdata;
        char *save = NULL;

        if (!streq(fstype, "cgroup"))
                return 0;
        opts = strdup(options);
        if (!opts)
                return -ENOMEM;
        for (char *w = strtok_r(opts, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (streq(w, "memory")) {
                        b->memory = true;
                        if (!b->memory_v1) {
                                b->memory_v1 = strdup(path);
                                if (!b->memory_v1)
                                        return -ENOMEM;
                        }
                }
                b->pids = b->pids || streq(w, "pids");
                b->cpu = b->cpu || streq(w, "cpu");
        }
        return 0;
}

/* Which controllers the host has (in the v2 root, or as v1 hierarchies), and the v1 memory mount. */
static void systemd_find_controllers(SystemdBackend *b) {
        char buf[1024];
        int fd;

        fd = open(b->mount, O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                if (read_file_at(fd, "cgroup.controllers", buf, sizeof(buf) - 1) > 0) {
                        for (char *w = strtok(buf, " \n"); w; w = strtok(NULL, " \n")) {
                                b->memory_v2 = b->memory_v2 || streq(w, "memory");
                                b->memory = b->memory || streq(w, "memory");
                                b->pids = b->pids || streq(w, "pids");
                                b->cpu = b->cpu || streq(w, "cpu");
                        }
                }
                safe_close(fd);
        }

        (void) cg_mountinfo_foreach(NULL, find_v1_controllers, b);
}

/* The manager's private socket first (no bus daemon between us, and it exists before the bus does),
 * then the system or session bus, as systemctl does. */
static int systemd_connect(bool system, sd_bus **ret, bool *ret_direct) {
        _cleanup_free_ char *address = NULL;
        sd_bus *bus = NULL;
        const char *e;
        int r = 0;

        if (system)
                address = strdup("unix:path=/run/systemd/private");
        else if ((e = getenv("XDG_RUNTIME_DIR")) && e[0] == '/')
                r = asprintf(&address, "unix:path=%s/systemd/private", e) < 0 ? -ENOMEM : 0;
        if (r < 0)
                return r;
        if (address) {
                r = sd_bus_new(&bus);
                if (r < 0)
                        return r;
                (void) sd_bus_set_description(bus, "systemd-manager");
                r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_start(bus);
                if (r >= 0) {
                        *ret = bus;
                        *ret_direct = true;
                        return 0;
                }
                log_debug_errno(r, "Cannot connect to %s: %m", address);
                bus = sd_bus_unref(bus);
        }
        r = system ? sd_bus_open_system_with_description(&bus, "systemd-manager")
                   : sd_bus_open_user_with_description(&bus, "systemd-manager");
        if (r < 0)
                return r;
        *ret = bus;
        *ret_direct = false;
        return 0;
}

/* Before any StartTransientUnit, in this order on the connection: the JobRemoved match, so that no
 * JobRemoved can slip past. No Subscribe(): the manager sends the JobNew/JobRemoved of a job to the client
 * that queued it anyway (on a bus it tracks the client; on the private socket every signal goes to every
 * connection), and a Subscribe() would make it build every unit's PropertiesChanged for us as well
 * (measured on systemd 252 over a bus: ~15% more of its CPU per scope). Then the event loop. */
static int systemd_bus_setup(SystemdBackend *b, int level) {
        int r;

        r = sd_bus_match_signal_async(b->bus, &b->job_removed_slot, b->direct ? NULL : SD_DESTINATION, SD_PATH,
                                      SD_MANAGER, "JobRemoved", on_job_removed, NULL, b);
        if (r >= 0)
                r = sd_bus_match_signal(b->bus, &b->disconnected_slot, "org.freedesktop.DBus.Local",
                                        "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                        "Disconnected", on_disconnected, b);
        if (r < 0)
                return log_full_errno(level, r, "Cannot subscribe to the systemd %s manager's signals: %m",
                                      systemd_manager_name(b));
        r = sd_bus_attach_event(b->bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_full_errno(level, r, "Cannot attach the systemd connection to the event loop: %m");
        return 0;
}

/* A new connection in place of one the manager closed; non-blocking (connect() on a unix socket, the
 * authentication and Hello go through the event loop). The old one may still be closing (sd-bus hands out
 * its last answers from the event loop): its placements end here, reported from the event loop. */
static int systemd_bus_open(SystemdBackend *b, int level) {
        int r;

        while (b->placing) {
                SystemdJob *s = b->placing;

                systemd_job_unlink(s);
                s->slot = sd_bus_slot_unref(s->slot);
                if (systemd_place_fail_later(s, -ECONNRESET, "The systemd %s manager closed the connection while "
                                             "creating scope %s", systemd_manager_name(b), s->job->unit) < 0)
                        (void) systemd_place_done(s, -ECONNRESET, NULL);
        }
        b->job_removed_slot = sd_bus_slot_unref(b->job_removed_slot);
        b->disconnected_slot = sd_bus_slot_unref(b->disconnected_slot);
        b->bus = sd_bus_flush_close_unref(b->bus);
        r = systemd_connect(b->system, &b->bus, &b->direct);
        if (r < 0)
                return log_full_errno(level, r, "Cannot connect to the systemd %s manager: %m",
                                      systemd_manager_name(b));
        return systemd_bus_setup(b, level);
}

int backend_systemd_new(sd_event *event, bool system, bool quiet, Backend **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int level = quiet ? LOG_DEBUG : LOG_ERR;
        const char *version = NULL;
        SystemdBackend *b;
        int r;

        b = calloc(1, sizeof(SystemdBackend));
        if (!b)
                return log_oom();
        b->base.ops = &systemd_ops;
        b->system = system;
        b->base.root_path = strdup(system ? "jobd.slice" : "app-jobd.slice");
        if (!b->base.root_path) {
                r = log_oom();
                goto fail;
        }

        r = cg_find_unified_mount(&b->mount);
        if (r < 0) {
                r = log_full_errno(level, r, "No cgroup v2 hierarchy is mounted (needed to follow scopes): %m");
                goto fail;
        }
        systemd_find_controllers(b);

        r = systemd_connect(system, &b->bus, &b->direct);
        if (r < 0) {
                r = log_full_errno(level, r, "Cannot connect to the systemd %s manager: %m",
                                   systemd_manager_name(b));
                goto fail;
        }

        /* Start-up only, before the event loop serves anyone: is a manager there at all? */
        r = sd_bus_message_new_method_call(b->bus, &m, SD_DESTINATION, SD_PATH, "org.freedesktop.DBus.Properties",
                                           "Get");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", SD_MANAGER, "Version");
        if (r >= 0)
                r = sd_bus_call(b->bus, m, SYSTEMD_PROBE_TIMEOUT_USEC, &error, &reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "v", "s", &version);
        if (r < 0) {
                r = log_full_errno(level, r, "No systemd %s manager answers%s%s: %m",
                                   system ? "system" : "user", error.message ? ": " : "", strempty(error.message));
                goto fail;
        }

        b->event = sd_event_ref(event);
        r = systemd_bus_setup(b, level);
        if (r < 0)
                goto fail;

        log_debug("systemd %s manager %s answers on %s; jobs go to %s.", system ? "system" : "user", version,
                  b->direct ? "its private socket" : "the bus", b->base.root_path);
        *ret = &b->base;
        return 0;

fail:
        backend_free(&b->base);
        return r;
}
