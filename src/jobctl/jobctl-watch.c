/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "jobctl-util.h"
#include "jobctl-watch.h"
#include "jobd-bus.h"
#include "log.h"

static void watched_job_done(WatchedJob *j) {
        free(j->path);
        free(j->state);
        free(j->result);
        free(j->reason);
        free(j->name);
}

Watch *watch_free(Watch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->slot_changed);
        sd_bus_slot_unref(w->slot_removed);
        sd_bus_slot_unref(w->slot_new);
        sd_bus_slot_unref(w->slot_owner);
        sd_bus_slot_unref(w->slot_disconnected);
        free(w->daemon);
        for (size_t i = 0; i < w->n_jobs; i++)
                watched_job_done(&w->jobs[i]);
        free(w->jobs);
        sd_bus_unref(w->bus);
        sd_event_unref(w->event);
        return mfree(w);
}

static int cmp_job(const void *a, const void *b) {
        const WatchedJob *x = a, *y = b;

        return x->id < y->id ? -1 : x->id > y->id;
}

WatchedJob *watch_find(Watch *w, uint64_t id) {
        WatchedJob key = { .id = id };

        if (!w->started) {
                for (size_t i = 0; i < w->n_jobs; i++)
                        if (w->jobs[i].id == id)
                                return &w->jobs[i];
                return NULL;
        }
        return bsearch(&key, w->jobs, w->n_jobs, sizeof(WatchedJob), cmp_job);
}

static int set_string(char **s, const char *v) {
        char *c = strdup(strempty(v));

        if (!c)
                return -ENOMEM;
        free(*s);
        *s = c;
        return 0;
}

static void watch_check_all_done(Watch *w) {
        if (w->started && !w->follow && w->n_done >= w->n_jobs)
                (void) sd_event_exit(w->event, 0);
}

static void watch_notify(Watch *w, WatchedJob *j) {
        if (w->on_state)
                w->on_state(w, j, w->userdata);
}

/* The end of a signal handler that changed j (r < 0: it failed, which ends the wait). */
static int watch_signal_handled(Watch *w, WatchedJob *j, int r) {
        if (r < 0) {
                (void) sd_event_exit(w->event, r);
                return 0;
        }
        watch_notify(w, j);
        watch_check_all_done(w);
        return 0;
}

static int job_get_int(Watch *w, WatchedJob *j, const char *property, int *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_trivial(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, property,
                                        &error, 'i', ret);
        if (r < 0)
                log_warning("Failed to read %s of job %" PRIu64 ", ignoring: %s", property, j->id,
                            error.message ?: strerror(-r));
        return r;
}

/* The job is done: note how it ended. Reading the details is best effort, the result is what counts. */
static int job_set_done(Watch *w, WatchedJob *j, const char *result) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (j->done)
                return 0;

        r = set_string(&j->state, "done");
        if (r < 0)
                return log_oom();
        r = set_string(&j->result, result);
        if (r < 0)
                return log_oom();
        j->done = true;
        w->n_done++;

        if (w->want_details && j->path) {
                char *reason = NULL;

                (void) job_get_int(w, j, "ExitCode", &j->exit_code);
                (void) job_get_int(w, j, "ExitSignal", &j->exit_signal);
                r = sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "Reason",
                                               &error, &reason);
                if (r < 0)
                        log_warning("Failed to read Reason of job %" PRIu64 ", ignoring: %s", j->id,
                                    error.message ?: strerror(-r));
                else {
                        free(j->reason);
                        j->reason = reason;
                }
        }
        return 0;
}

/* Reads State (and Result if done) of a job still pending. After a daemon restart, a job the new instance
 * cannot tell us about is counted as lost rather than failing the whole wait. */
static int job_refresh(Watch *w, WatchedJob *j, bool after_restart) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL, *result = NULL;
        int r;

        if (!j->path) {
                r = jobctl_get_job_path(w->bus, j->id, &j->path);
                if (r < 0)
                        return r;
        }

        r = sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "State",
                                       &error, &state);
        if (r < 0 && after_restart) {
                log_warning("The restarted jobd cannot tell about job %" PRIu64 ", counting it as lost: %s",
                            j->id, error.message ?: strerror(-r));
                r = job_set_done(w, j, "lost");
                if (r < 0)
                        return r;
                watch_notify(w, j);
                return 0;
        }
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read the state of job %" PRIu64, j->id);

        if (!streq(state, "done")) {
                if (!j->state || !streq(j->state, state)) {
                        if (set_string(&j->state, state) < 0)
                                return log_oom();
                        watch_notify(w, j);
                }
                return 0;
        }

        r = sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "Result",
                                       &error, &result);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read the result of job %" PRIu64, j->id);
        r = job_set_done(w, j, result);
        if (r < 0)
                return r;
        watch_notify(w, j);
        return 0;
}

/* JobChanged said "done": act on what the daemon says when asked (it may also have re-queued the job
 * meanwhile), not on the signal alone. */
static int job_confirm_done(Watch *w, WatchedJob *j, const char *signal_result) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL, *result = NULL;
        int r;

        if (!j->path)
                return job_set_done(w, j, signal_result);

        r = sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "State",
                                       &error, &state);
        if (r >= 0 && streq(state, "done"))
                r = sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "Result",
                                               &error, &result);
        if (r < 0) {
                /* Collected as soon as it was done (more jobs ended than the daemon keeps): the signal,
                 * which came from jobd itself, is all there is to go by. */
                if (sd_bus_error_has_names(&error, JOBD_ERROR_NO_SUCH_JOB, SD_BUS_ERROR_UNKNOWN_OBJECT))
                        return job_set_done(w, j, signal_result);
                return log_bus_error(r, &error, "Failed to read the state of job %" PRIu64, j->id);
        }
        if (!streq(state, "done"))
                return set_string(&j->state, state) < 0 ? log_oom() : 0;
        return job_set_done(w, j, result);
}

static int on_job_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path, *state, *result;
        WatchedJob *j;
        uint64_t id;
        int r;

        if (!jobctl_signal_from_daemon(m, w->daemon))
                return 0;

        /* The contract says "toss"; take the path as a string too, it is not used. */
        r = sd_bus_message_read(m, "t", &id);
        if (r >= 0)
                r = sd_bus_message_read_basic(m, sd_bus_message_has_signature(m, "tsss") ? 's' : 'o', &path);
        if (r >= 0)
                r = sd_bus_message_read(m, "ss", &state, &result);
        if (r < 0) {
                log_warning_errno(r, "Failed to parse JobChanged signal, ignoring: %m");
                return 0;
        }

        j = watch_find(w, id);
        if (!j || j->done)
                return 0;

        if (streq(state, "done"))
                r = job_confirm_done(w, j, result);
        else if (streq_ptr(j->state, state))
                return 0;   /* read already (watch_start()): not told twice */
        else
                r = set_string(&j->state, state);
        return watch_signal_handled(w, j, r);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path;
        WatchedJob *j;
        uint64_t id;
        int r;

        if (!jobctl_signal_from_daemon(m, w->daemon))
                return 0;

        r = sd_bus_message_read(m, "to", &id, &path);
        if (r < 0) {
                log_warning_errno(r, "Failed to parse JobRemoved signal, ignoring: %m");
                return 0;
        }

        j = watch_find(w, id);
        if (!j || j->done)
                return 0;

        /* Believed only if the daemon no longer knows the job either. */
        if (j->path) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *state = NULL;

                r = sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "State",
                                               &error, &state);
                if (r >= 0)
                        return watch_signal_handled(w, j, job_refresh(w, j, false));
        }

        /* Removed without ever being seen done: count it as lost. */
        log_warning("Job %" PRIu64 " was removed before it was done.", id);
        free(j->path);
        j->path = NULL;         /* nothing left to read details from */
        return watch_signal_handled(w, j, job_set_done(w, j, "lost"));
}

static int on_job_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path;
        uint64_t id;
        int r;

        if (!w->follow || !w->started || !w->on_new || !jobctl_signal_from_daemon(m, w->daemon))
                return 0;
        r = sd_bus_message_read(m, "to", &id, &path);
        if (r < 0) {
                log_warning_errno(r, "Failed to parse JobNew signal, ignoring: %m");
                return 0;
        }
        if (!watch_find(w, id))
                w->on_new(w, id, path, w->userdata);
        return 0;
}

int watch_follow(Watch *w, uint64_t id, const char *path) {
        WatchedJob *j;
        size_t i;
        int r;

        if (watch_find(w, id))
                return 0;
        r = watch_add(w, id, path, NULL, NULL);
        if (r < 0)
                return r;
        /* Kept sorted: new ids are the largest, but a restarted daemon may tell of older ones. */
        for (i = w->n_jobs - 1; i > 0 && w->jobs[i - 1].id > id; i--) {
                WatchedJob t = w->jobs[i];

                w->jobs[i] = w->jobs[i - 1];
                w->jobs[i - 1] = t;
        }
        j = &w->jobs[i];
        r = job_refresh(w, j, false);
        if (r == -ENXIO || r == -ENOENT)
                return 0;   /* gone already */
        return r;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        int r;

        r = jobctl_daemon_owner_changed(m, &w->daemon);
        if (r < 0) {
                (void) sd_event_exit(w->event, log_oom());
                return 0;
        }
        if (r == 0)
                return 0;

        if (!w->daemon) {
                if (!w->warned_gone)
                        log_warning("jobd left the bus; waiting for it to come back.");
                w->warned_gone = true;
                return 0;
        }
        if (!w->started)
                return 0;

        /* A restarted daemon re-adopts its jobs: whatever finished meanwhile sent its signal to nobody. */
        if (w->warned_gone)
                log_info("jobd is back on the bus.");
        w->warned_gone = false;
        for (size_t i = 0; i < w->n_jobs; i++) {
                WatchedJob *j = &w->jobs[i];

                if (j->done)
                        continue;
                r = job_refresh(w, j, true);
                if (r < 0) {
                        (void) sd_event_exit(w->event, r);
                        return 0;
                }
        }
        watch_check_all_done(w);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;

        log_error("Lost the connection to the bus.");
        (void) sd_event_exit(w->event, -ECONNRESET);
        return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e) {
                (void) sd_event_exit(w->event, log_bus_error(-sd_bus_error_get_errno(e), e,
                                                             "Failed to subscribe to jobd's signals"));
        }
        return 0;
}

int watch_new(sd_bus *bus, sd_event *event, bool want_details, Watch **ret) {
        _cleanup_(watch_freep) Watch *w = NULL;
        int r;

        w = calloc(1, sizeof(Watch));
        if (!w)
                return log_oom();
        w->bus = sd_bus_ref(bus);
        w->event = sd_event_ref(event);
        w->want_details = want_details;

        r = sd_bus_match_signal_async(bus, &w->slot_changed, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                      JOBD_MANAGER_INTERFACE, "JobChanged", on_job_changed,
                                      on_match_installed, w);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to JobChanged: %m");
        r = sd_bus_match_signal_async(bus, &w->slot_removed, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                      JOBD_MANAGER_INTERFACE, "JobRemoved", on_job_removed,
                                      on_match_installed, w);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to JobRemoved: %m");
        r = sd_bus_match_signal_async(bus, &w->slot_new, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                      JOBD_MANAGER_INTERFACE, "JobNew", on_job_new, on_match_installed, w);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to JobNew: %m");
        r = sd_bus_add_match_async(bus, &w->slot_owner, JOBD_OWNER_CHANGED_MATCH, on_name_owner_changed,
                                   on_match_installed, w);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to NameOwnerChanged: %m");
        r = sd_bus_match_signal(bus, &w->slot_disconnected, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for the bus connection going away: %m");

        /* Asked after subscribing: a change of owner from now on reaches us as NameOwnerChanged. */
        r = jobctl_get_daemon_owner(bus, &w->daemon);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(w);
        return 0;
}

int watch_add(Watch *w, uint64_t id, const char *path, const char *state, const char *result) {
        WatchedJob j = {
                .id = id,
                .exit_code = -1,
        }, *a;

        if ((path && !(j.path = strdup(path))) ||
            (state && !(j.state = strdup(state))) ||
            (result && !(j.result = strdup(result)))) {
                watched_job_done(&j);
                return log_oom();
        }
        a = reallocarray(w->jobs, w->n_jobs + 1, sizeof(WatchedJob));
        if (!a) {
                watched_job_done(&j);
                return log_oom();
        }
        w->jobs = a;
        w->jobs[w->n_jobs++] = j;
        return 0;
}

int watch_start(Watch *w) {
        size_t n = 0;
        int r;

        qsort(w->jobs, w->n_jobs, sizeof(WatchedJob), cmp_job);
        for (size_t i = 0; i < w->n_jobs; i++) {
                if (n > 0 && w->jobs[n - 1].id == w->jobs[i].id) {
                        watched_job_done(&w->jobs[i]);
                        continue;
                }
                w->jobs[n++] = w->jobs[i];
        }
        w->n_jobs = n;
        w->started = true;

        for (size_t i = 0; i < w->n_jobs; i++) {
                WatchedJob *j = &w->jobs[i];

                if (j->done)
                        continue;
                if (!j->state)
                        r = job_refresh(w, j, false);
                else if (streq(j->state, "done"))
                        r = job_set_done(w, j, j->result);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

int watch_run(Watch *w) {
        if (!w->follow && w->n_done >= w->n_jobs)
                return 0;
        return sd_event_loop(w->event);
}

LogFollow *log_follow_free(LogFollow *f) {
        if (!f)
                return NULL;
        sd_event_source_disable_unref(f->inotify);
        safe_close(f->fd);
        sd_event_unref(f->event);
        return mfree(f);
}

int log_follow_drain(LogFollow *f) {
        struct stat st;
        off_t pos;
        int r;

        /* Rotated by copying and truncating (copytruncate): the file is now shorter than what was read.
         * Read it again from its start, or what it gets until it passes the old length would be lost. */
        pos = lseek(f->fd, 0, SEEK_CUR);
        if (pos > 0 && fstat(f->fd, &st) >= 0 && st.st_size < pos) {
                log_warning("The job's log was truncated (rotated?); following it from its start again.");
                if (lseek(f->fd, 0, SEEK_SET) < 0)
                        return log_error_errno(-errno, "Failed to seek in the job's log: %m");
        }

        r = copy_to_stdout(f->fd);
        if (r < 0)
                return log_error_errno(r, "Failed to copy the job's log to stdout: %m");
        return 0;
}

static int on_log_modified(sd_event_source *s, const struct inotify_event *event, void *userdata) {
        LogFollow *f = userdata;
        int r;

        r = log_follow_drain(f);
        if (r < 0)
                (void) sd_event_exit(f->event, r);
        return 0;
}

int log_follow_new(sd_event *event, int fd, bool follow, LogFollow **ret) {
        _cleanup_(log_follow_freep) LogFollow *f = NULL;
        int r;

        f = calloc(1, sizeof(LogFollow));
        if (!f) {
                safe_close(fd);
                return log_oom();
        }
        f->fd = fd;
        f->event = sd_event_ref(event);

        /* Watch first, then copy: whatever is written after the copy reached EOF triggers IN_MODIFY.
         * sd-event watches the file through /proc/self/fd/N, so it need not have a reachable path. */
        if (follow) {
                r = sd_event_add_inotify_fd(event, &f->inotify, fd, IN_MODIFY, on_log_modified, f);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the job's log: %m");
                (void) sd_event_source_set_description(f->inotify, "log-follow");
        }

        r = log_follow_drain(f);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(f);
        return 0;
}

int log_seek_last_lines(int fd, unsigned n) {
        char buf[4096];
        struct stat st;
        off_t end, pos;
        unsigned seen = 0;

        if (n == 0)
                return lseek(fd, 0, SEEK_END) < 0 ? -errno : 0;
        if (fstat(fd, &st) < 0)
                return -errno;
        end = pos = st.st_size;
        /* Backwards a block at a time; the newline that ends the last line does not count. */
        while (pos > 0) {
                size_t k = (size_t) MIN((off_t) sizeof(buf), pos);
                ssize_t l;

                pos -= (off_t) k;
                l = pread(fd, buf, k, pos);
                if (l < 0)
                        return -errno;
                for (ssize_t i = l - 1; i >= 0; i--) {
                        if (buf[i] != '\n' || pos + i == end - 1)
                                continue;
                        if (++seen >= n) {
                                if (lseek(fd, pos + i + 1, SEEK_SET) < 0)
                                        return -errno;
                                return 0;
                        }
                }
        }
        return lseek(fd, 0, SEEK_SET) < 0 ? -errno : 0;
}

int jobctl_open_log(sd_bus *bus, const char *path, uint64_t id, bool quiet, int *ret_fd) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int fd, r;

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "OpenLog", &error, &reply, "");
        if (r < 0) {
                if (quiet) {
                        log_debug("Failed to open the log of job %" PRIu64 ": %s", id,
                                  error.message ?: error.name ?: strerror(-r));
                        return r;
                }
                return log_bus_error(r, &error, "Failed to open the log of job %" PRIu64, id);
        }

        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return log_error_errno(r, "Failed to parse OpenLog() reply: %m");

        /* The fd belongs to the message: keep our own copy. */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to duplicate the log fd: %m");
        *ret_fd = fd;
        return 0;
}
