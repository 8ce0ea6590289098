/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "as-user.h"
#include "cgroup-util.h"
#include "exec-args.h"
#include "escape-util.h"
#include "exec-env.h"
#include "fd-util.h"
#include "journal.h"
#include "job.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"
#include "quota.h"
#include "run.h"
#include "seccomp-filter.h"
#include "jobserver.h"
#include "job-slurm.h"
#include "spawn.h"
#include "state-dir.h"
#include "strv.h"
#include "user-util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static bool endswith_slash(const char *s) {
        size_t l = strlen(s);

        return l > 0 && s[l - 1] == '/';
}

int job_new(Manager *m, uint64_t id, JobSpec *spec, uid_t owner, Job **ret) {
        Job *j;

        j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        j->manager = m;
        j->id = id;
        j->spec = *spec;
        job_spec_init(spec);
        if (j->spec.log_max_bytes == JOB_LOG_MAX_BYTES_UNSET)
                j->spec.log_max_bytes = m ? m->default_log_max_bytes : 0;
        if (j->spec.output_directory && !j->spec.log_path &&
            asprintf(&j->spec.log_path, "%s%s" JOB_OUTPUT_LOG_NAME, j->spec.output_directory,
                     endswith_slash(j->spec.output_directory) ? "" : "/") < 0) {
                j->spec.log_path = NULL;
                job_spec_done(&j->spec);
                free(j);
                return -ENOMEM;
        }
        j->owner = owner;
        j->held = j->spec.hold;
        job_set_state(j, JOB_WAITING, JOB_CHANGE_QUIET);
        j->result = JOB_RESULT_NONE;
        j->exit_code = -1;
        j->state_dir_fd = -EBADF;
        j->hold_fd = -EBADF;
        j->log_fd = -EBADF;
        j->submit_usec = now(CLOCK_REALTIME);
        *ret = j;
        return 0;
}

static void job_unwatch_dir(Job *j);

int job_control_group(Job *j, char **ret) {
        int r;

        if (j->control_group) {
                *ret = strdup(j->control_group);
                return *ret ? 0 : -ENOMEM;
        }
        *ret = NULL;
        if (j->start_usec == 0)
                return 0;
        r = backend_job_cgroup_path(j->manager->backend, j->id, ret);
        return r == -ENODATA ? 0 : r;
}

static void job_release_runtime(Job *j) {
        j->child_source = sd_event_source_disable_unref(j->child_source);
        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
        j->kill_source = sd_event_source_disable_unref(j->kill_source);
        j->events_source = sd_event_source_disable_unref(j->events_source);
        job_unwatch_dir(j);
        j->state_dir_fd = safe_close(j->state_dir_fd);
        j->hold_fd = safe_close(j->hold_fd);
        j->log_source = sd_event_source_disable_unref(j->log_source);
        j->log_fd = safe_close(j->log_fd);
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        if (j->manager) {
                manager_quota_uncount(j->manager, j);
                manager_quota_release_bytes(j->manager, j);
        }
        job_release_runtime(j);
        job_scan_abandon(j);
        /* A job still running when the daemon exits keeps its cgroup: rmdir fails on a busy cgroup and
         * the v1 mirrors are deleted only when empty. */
        backend_job_free(j->cgroup);
        job_spec_done(&j->spec);
        free(j->reason);
        free(j->unit);
        free(j->control_group);
        free(j->attempts);
        strv_free(j->slots);
        free(j->log_offsets);
        sd_event_source_disable_unref(j->not_before_source);
        sd_event_source_disable_unref(j->retry_source);
        free(j);
        return NULL;
}

void job_set_state(Job *j, JobState state, JobChange also) {
        JobChange changed = also & _JOB_CHANGE_ALL;

        if (j->state != state) {
                if (state == JOB_DONE || j->state == JOB_DONE)
                        manager_note_done(j->manager, j->id, state == JOB_DONE);
                j->state = state;
                changed |= JOB_CHANGE_STATE;
        }
        /* Done, whether by the scheduler or a cancel: no retry can follow any more. */
        if (state == JOB_DONE)
                j->retry_source = sd_event_source_disable_unref(j->retry_source);
        if (changed == 0 || (also & JOB_CHANGE_QUIET))
                return;
        manager_job_changed(j->manager, j, changed);
}

void job_set_reason(Job *j, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        /* Reason goes on the bus, which takes only UTF-8: whatever it quotes (a path, what the exec
         * helper recorded) is escaped if it is not. */
        if (!utf8_is_valid(s)) {
                char *e = escape_non_printable(s);

                free(s);
                if (!e)
                        return;
                s = e;
        }
        free(j->reason);
        j->reason = s;
}

static void job_set_done(Job *j, JobResult result) {
        j->result = result;
        j->finish_usec = now(CLOCK_REALTIME);
        /* Announced below, once the journal and the quotas know. */
        job_set_state(j, JOB_DONE, JOB_CHANGE_QUIET);
        for (size_t i = 0; i < 3; i++)
                if (j->spec.stdio_fds[i] >= 0) {
                        j->spec.stdio_fds[i] = safe_close(j->spec.stdio_fds[i]);
                        j->manager->n_client_fds--;
                }
        journal_done(&j->manager->journal, j);
        manager_quota_uncount(j->manager, j);
        job_trim_done(j);
        manager_job_changed(j->manager, j, JOB_CHANGE_STATE | JOB_CHANGE_RESULT | JOB_CHANGE_EXIT_CODE |
                            JOB_CHANGE_EXIT_SIGNAL | JOB_CHANGE_REASON | JOB_CHANGE_FINISH_USEC |
                            JOB_CHANGE_STRAY_PROCESSES_KILLED);
}

void job_trim_done(Job *j) {
        uint64_t before;

        /* A run's Retry() starts its done jobs again with their whole spec. */
        if (j->state != JOB_DONE || manager_run_of_job(j->manager, j->id))
                return;
        before = job_spec_bytes(&j->spec);
        job_spec_trim_done(&j->spec);
        manager_quota_release_bytes(j->manager, j);
        manager_note_freed(j->manager, before - MIN(before, job_spec_bytes(&j->spec)));
}

void job_finish_unstarted(Job *j, JobResult result, const char *reason) {
        if (reason)
                job_set_reason(j, "%s", reason);
        job_set_done(j, result);
}

/* LogMaxBytes cut the log: the Reason says so, after what it already says. */
void job_reason_add_log_truncated(Job *j) {
        if (!j->log_truncated)
                return;
        if (j->reason)
                job_set_reason(j, "%s; log truncated at %llu bytes (LogMaxBytes)", j->reason,
                               (unsigned long long) j->spec.log_max_bytes);
        else
                job_set_reason(j, "Log truncated at %llu bytes (LogMaxBytes)",
                               (unsigned long long) j->spec.log_max_bytes);
}

/* The end of every started job: computes the result from why it ended and hands it to the manager
 * (which may retry it). */
static void job_finalize(Job *j) {
        Manager *m = j->manager;
        JobResult result;

        if (j->cgroup) {
                backend_job_stats(j->cgroup, &j->stats);
                j->cgroup = backend_job_free(j->cgroup);
        }
        /* Nothing of the job writes any more: what the rate limit let through is capped now. */
        (void) job_enforce_log_cap(j, false);
        if (j->reason_is_log_note)
                j->reason = mfree(j->reason);
        j->reason_is_log_note = false;
        job_release_runtime(j);

        if (j->have_exec_status) {
                switch (j->exec_status.outcome) {
                case EXEC_EXITED:
                        j->exit_code = j->exec_status.value;
                        break;
                case EXEC_SIGNALED:
                        j->exit_signal = j->exec_status.value;
                        break;
                case EXEC_SETUP_FAILED:
                        j->exit_code = 127;
                        if (streq(j->exec_status.stage, "chdir"))
                                job_set_reason(j, "Cannot change to WorkingDirectory %s: %s",
                                               strna(j->spec.working_directory), strerror(j->exec_status.value));
                        else if (streq(j->exec_status.stage, "env"))
                                job_set_reason(j, "Cannot pass the environment to the job: %s",
                                               strerror(j->exec_status.value));
                        else if (streq(j->exec_status.stage, "seccomp"))
                                job_set_reason(j, "Cannot apply the SystemCallFilter: %s",
                                               strerror(j->exec_status.value));
                        else
                                job_set_reason(j, "Cannot %s %s: %s",
                                               streq(j->exec_status.stage, "exec") ? "execute" : j->exec_status.stage,
                                               j->spec.argv[0], strerror(j->exec_status.value));
                        break;
                }
        }

        if (j->stop_reason == JOB_STOP_TIMEOUT)
                result = JOB_TIMEOUT;
        else if (j->stats.oom)
                result = JOB_OOM;
        else if (j->stop_reason == JOB_STOP_CANCEL)
                result = JOB_CANCELLED;
        else if (j->exit_signal > 0)
                result = JOB_KILLED;
        else if (j->exit_code == 0)
                result = JOB_SUCCESS;
        else
                result = JOB_FAILED;

        if (result == JOB_TIMEOUT && !j->reason) {
                char buf[64];
                job_set_reason(j, "Timed out after %s", format_timespan(buf, sizeof(buf), j->spec.timeout_usec));
        } else if (result == JOB_OOM && !j->reason)
                job_set_reason(j, "Killed by the OOM killer (MemoryMax=%llu)",
                               (unsigned long long) j->spec.limits.memory_max);
        else if (result == JOB_FAILED && !j->reason && j->exit_code < 0)
                job_set_reason(j, "The job's exec helper ended without recording an exit status");

        job_reason_add_log_truncated(j);

        if (j->stray_processes > 0)
                log_info("Job %llu: killed %u stray process(es) left behind by its main process.",
                         (unsigned long long) j->id, j->stray_processes);

        j->result = result;
        /* The verdict of the patterns follows from the scan of the log, off the event loop. */
        if (job_scan_wanted(j) && job_scan_start(j) >= 0)
                return;
        manager_job_done(m, j);
}

void job_complete(Job *j) {
        job_set_done(j, j->result);
}

void job_reset_for_retry(Job *j) {
        j->result = JOB_RESULT_NONE;
        j->stray_processes = 0;
        j->sigkill_sent = false;
        j->stats = (JobStats) {};
        journal_retry(&j->manager->journal, j);
        job_set_state(j, JOB_WAITING, 0);
}

/* How often a job polls its cgroup when no inotify watch on it could be set. */
#define JOB_EVENTS_POLL_USEC (100 * USEC_PER_MSEC)

/* A folder that holds cgroups of jobs that wait for theirs to empty. A manager may remove an emptied cgroup
 * (a scope that stopped) before the kernel sends the rate-limited notification that it is empty: then that
 * never comes. cgroupfs tells nothing to a watch on the removed folder itself, nor on its cgroup.events,
 * only IN_DELETE to one on its parent. That parent is watched once for all the jobs waiting in it, not once
 * per job: each removal there (one per job that ends) would wake every one of them. */
typedef struct CgroupDirWatch {
        Manager *manager;
        char *path;
        sd_event_source *source;
        Job **jobs;
        size_t n_jobs, n_alloc;
        struct CgroupDirWatch *next;
} CgroupDirWatch;

static CgroupDirWatch *cgroup_dir_watch_free(CgroupDirWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        free(w->jobs);
        free(w->path);
        free(w);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CgroupDirWatch *, cgroup_dir_watch_free);

/* The cgroup of a job is .../<folder>/<name>/cgroup.events: where <name> starts, and its length. */
static const char *job_cgroup_name(Job *j, size_t *ret_len) {
        const char *p = j->cgroup->cgroup_events_path, *end, *start;

        end = strrchr(p, '/');
        if (!end || end == p)
                return NULL;
        for (start = end; start > p && start[-1] != '/'; start--)
                ;
        if (start == end || start - 1 == p)
                return NULL;
        *ret_len = end - start;
        return start;
}

static void job_check_emptied(Job *j) {
        int r;

        r = backend_job_populated(j->cgroup);
        if (r == 0 || r == -ENOENT)
                job_finalize(j);
}

static int on_events(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        /* Also on an overflow of the queue (IN_Q_OVERFLOW), which sd-event passes to every source. */
        job_check_emptied(userdata);
        return 0;
}

static int on_dir_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        CgroupDirWatch *w = userdata;

        /* An overflow reaches each job's own source as well (on_events()). */
        if (!(ev->mask & IN_DELETE) || ev->len == 0)
                return 0;
        for (size_t i = 0; i < w->n_jobs; i++) {
                Job *j = w->jobs[i];
                const char *name;
                size_t n;

                name = job_cgroup_name(j, &n);
                if (name && strneq(name, ev->name, n) && ev->name[n] == 0) {
                        /* May free w (its last job done): nothing touches it after. */
                        job_check_emptied(j);
                        break;
                }
        }
        return 0;
}

static void job_unwatch_dir(Job *j) {
        CgroupDirWatch *w = j->events_dir;

        if (!w)
                return;
        w->jobs[j->events_dir_index] = w->jobs[--w->n_jobs];
        w->jobs[j->events_dir_index]->events_dir_index = j->events_dir_index;
        j->events_dir = NULL;
        if (w->n_jobs > 0)
                return;
        for (CgroupDirWatch **p = &w->manager->cgroup_dir_watches; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        cgroup_dir_watch_free(w);
}

static int job_watch_dir(Job *j, const char *path) {
        Manager *m = j->manager;
        CgroupDirWatch *w;
        int r;

        for (w = m->cgroup_dir_watches; w; w = w->next)
                if (streq(w->path, path))
                        break;
        if (!w) {
                _cleanup_(cgroup_dir_watch_freep) CgroupDirWatch *n = calloc(1, sizeof(CgroupDirWatch));

                if (!n)
                        return -ENOMEM;
                n->manager = m;
                n->path = strdup(path);
                if (!n->path)
                        return -ENOMEM;
                r = sd_event_add_inotify(m->event, &n->source, path, IN_DELETE | IN_ONLYDIR, on_dir_event, n);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(n->source, "job-cgroup-folder");
                n->next = m->cgroup_dir_watches;
                w = m->cgroup_dir_watches = TAKE_PTR(n);
        }
        if (w->n_jobs == w->n_alloc) {
                size_t a = MAX(w->n_alloc * 2, (size_t) 8);
                Job **l = reallocarray(w->jobs, a, sizeof(Job *));

                if (!l) {
                        if (w->n_jobs == 0) {
                                m->cgroup_dir_watches = w->next;
                                cgroup_dir_watch_free(w);
                        }
                        return -ENOMEM;
                }
                w->jobs = l;
                w->n_alloc = a;
        }
        j->events_dir = w;
        j->events_dir_index = w->n_jobs;
        w->jobs[w->n_jobs++] = j;
        return 0;
}

static int on_events_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        int r;

        r = backend_job_populated(j->cgroup);
        if (r == 0 || r == -ENOENT) {
                job_finalize(j);
                return 0;
        }
        r = sd_event_source_set_time(s, now(CLOCK_MONOTONIC) + JOB_EVENTS_POLL_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot poll its cgroup again, waiting for the kill timer: %m",
                                  (unsigned long long) j->id);
        return 0;
}

/* Only while processes remain: the kernel rate-limits cgroup.events notifications (~10ms), so waiting
 * on inotify for every job would cap short jobs far below what they can do. Through sd-event, whose one
 * inotify instance holds the watches of all jobs: one instance per job ran into
 * fs.inotify.max_user_instances (128 by default) with that many jobs waiting for strays. Without a watch
 * the cgroup is polled: a job is done only when its cgroup is empty, never because it could not be
 * watched. */
static int job_watch_events(Job *j) {
        _cleanup_free_ char *dir = NULL;
        const char *name;
        size_t n;
        int r;

        if (j->events_source)
                return 0;
        name = job_cgroup_name(j, &n);
        dir = name ? strndup(j->cgroup->cgroup_events_path, name - 1 - j->cgroup->cgroup_events_path) : NULL;
        if (!dir)
                r = name ? -ENOMEM : -EINVAL;
        else
                r = sd_event_add_inotify(j->manager->event, &j->events_source, j->cgroup->cgroup_events_path,
                                         IN_MODIFY, on_events, j);
        if (r >= 0) {
                (void) sd_event_source_set_description(j->events_source, "job-cgroup-events");
                r = job_watch_dir(j, dir);
        }
        if (r < 0) {
                j->events_source = sd_event_source_disable_unref(j->events_source);
                job_unwatch_dir(j);
                if (r != -ENOENT)   /* the cgroup is gone: that is what the check below finds */
                        log_warning_errno(r, "Job %llu: no inotify watch on %s (%m): polling it every %llu ms",
                                          (unsigned long long) j->id, j->cgroup->cgroup_events_path,
                                          (unsigned long long) (JOB_EVENTS_POLL_USEC / USEC_PER_MSEC));
                r = job_add_timer(j, &j->events_source, JOB_EVENTS_POLL_USEC, on_events_poll,
                                  "job-cgroup-poll");
                if (r < 0)
                        return r;
        }

        /* It may have emptied before the watch existed. */
        job_check_emptied(j);
        return 0;
}

static int job_arm_kill_timer(Job *j, usec_t after, sd_event_time_handler_t cb);

static int on_stuck(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        char buf[64];
        int n;

        n = backend_job_count(j->cgroup);
        if (n == 0 || n == -ENOENT) {
                /* Empty, or removed, without a word from inotify: done all the same. */
                if (j->main_exited)
                        job_finalize(j);
                return 0;
        }
        if (n < 0)
                return 0;
        /* Look again later: they may die while nobody can tell us (see job_watch_events()). */
        (void) job_arm_kill_timer(j, JOB_STUCK_USEC, on_stuck);
        if (j->reason && strstr(j->reason, "after SIGKILL"))
                return 0;   /* said once */
        job_set_reason(j, "%i process(es) did not exit %s after SIGKILL (uninterruptible sleep?); "
                       "the job ends when they do", n, format_timespan(buf, sizeof(buf), JOB_STUCK_USEC));
        log_warning("Job %llu: %s", (unsigned long long) j->id, j->reason);
        manager_job_changed(j->manager, j, JOB_CHANGE_REASON);
        return 0;
}

/* A timer that fires `after` from now. Not sd_event_add_time_relative(): that counts from the start of
 * the current loop iteration, so after a long iteration a 1 s timeout fired 0.12 s early. */
int job_add_timer(Job *j, sd_event_source **ret, usec_t after, sd_event_time_handler_t cb,
                  const char *description) {
        int r;

        r = sd_event_add_time(j->manager->event, ret, CLOCK_MONOTONIC, now(CLOCK_MONOTONIC) + after,
                              USEC_PER_MSEC, cb, j);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(*ret, description);
        return 0;
}

static int job_arm_kill_timer(Job *j, usec_t after, sd_event_time_handler_t cb) {
        j->kill_source = sd_event_source_disable_unref(j->kill_source);
        return job_add_timer(j, &j->kill_source, after, cb, "job-kill-timer");
}

static int job_sigkill(Job *j) {
        int r;

        /* Still being placed: the command never ran; ending the held helper ends the job. */
        if (j->hold_fd >= 0 && j->child_source)
                return sd_event_source_send_child_signal(j->child_source, SIGKILL, NULL, 0);

        r = backend_job_kill(j->cgroup, SIGKILL);
        if (r < 0)
                return log_warning_errno(r, "Job %llu: cannot kill its cgroup: %m", (unsigned long long) j->id);
        j->sigkill_sent = true;
        return job_arm_kill_timer(j, JOB_STUCK_USEC, on_stuck);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata);
static int job_open_state_dir(Job *j);

/* "TOTAL SINCE": µs paused in this attempt before, and since when it is paused (0: it is not). */
#define JOB_PAUSE_FILE "pause"

static void job_save_pause(Job *j) {
        char buf[64];
        int r;

        if (j->state_dir_fd < 0)
                return;
        snprintf(buf, sizeof(buf), "%llu %llu\n", (unsigned long long) j->paused_total_usec,
                 (unsigned long long) j->paused_since_usec);
        r = state_write_file_atomic(j->state_dir_fd, JOB_PAUSE_FILE, buf, 0644);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot record its time paused, ignoring: %m",
                                  (unsigned long long) j->id);
}

static void job_load_pause(Job *j) {
        unsigned long long total, since;
        char buf[64];
        ssize_t n;

        if (j->state_dir_fd < 0)
                return;
        n = state_read_file(j->state_dir_fd, JOB_PAUSE_FILE, j->manager->uid, buf, sizeof(buf) - 1);
        if (n <= 0)
                return;
        buf[n] = 0;
        if (sscanf(buf, "%llu %llu", &total, &since) != 2)
                return;
        j->paused_total_usec = total;
        j->paused_since_usec = since;
}

/* Reads what jobd-exec recorded; false if it recorded nothing (it was killed, or never ran). */
static bool job_read_exec_status(Job *j) {
        char buf[256];

        if (j->state_dir_fd < 0 ||
            state_read_file(j->state_dir_fd, EXEC_STATUS_FILE, j->manager->uid, buf, sizeof(buf) - 1) <= 0 ||
            exec_status_parse(buf, &j->exec_status) < 0)
                return false;
        j->have_exec_status = true;
        j->command_pid = j->exec_status.pid;
        return true;
}

/* The job's main process (jobd-exec) has ended: done if nothing remains, else the rest are strays. */
static void job_main_exited(Job *j) {
        int r;

        j->main_exited = true;
        /* cgroupfs: rmdir tells whether processes remain (EBUSY), no read of cgroup.events first. */
        r = backend_job_finish(j->cgroup);
        if (r < 0)
                r = backend_job_populated(j->cgroup) <= 0;
        if (r > 0) {
                job_finalize(j);
                return;
        }

        /* The main process is gone but others remain: they are strays, unless we are killing the job
         * anyway. Kill them all; the job is done when the cgroup is empty. job_watch_events() may find
         * it empty already and finalize the job: nothing may touch j->cgroup after it. */
        if (!j->kill_source) {
                r = backend_job_count(j->cgroup);
                if (r > 0)
                        j->stray_processes += r;
                (void) job_sigkill(j);
        }
        job_set_state(j, JOB_STOPPING, 0);
        /* On failure the job stays: done only once its cgroup is empty, which the kill timer still
         * checks (on_stuck()). */
        r = job_watch_events(j);
        if (r < 0)
                log_error_errno(r, "Job %llu: cannot wait for %s: %m", (unsigned long long) j->id,
                                j->cgroup->cgroup_events_path);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Job *j = userdata;

        j->child_source = sd_event_source_disable_unref(j->child_source);
        if (!job_read_exec_status(j)) {
                if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED)
                        /* The helper itself was killed (SIGKILL to the whole cgroup). */
                        j->exit_signal = si->si_status;
                else
                        j->exit_code = si->si_status;
        }
        job_main_exited(j);
        return 0;
}

/* A re-adopted job's helper is not our child: its pidfd turns readable when it exits, and its status
 * comes only from the file it wrote. */
static int on_adopted_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;

        j->child_source = sd_event_source_disable_unref(j->child_source);
        if (!job_read_exec_status(j)) {
                /* Not our child, so no siginfo: but if jobd SIGKILLed the whole cgroup, that is what ended
                 * the helper before it could record anything (on_child learns the same from siginfo). */
                if (j->sigkill_sent)
                        j->exit_signal = SIGKILL;
                else if (!j->reason)
                        job_set_reason(j, "The exec helper ended while jobd was not watching, without "
                                       "recording an exit status");
        }
        job_main_exited(j);
        return 0;
}

/* Where this attempt's output starts in the log (the log is appended to by each attempt): what
 * "jobctl logs --attempt=K" reads. Best effort: without it the property has fewer entries. */
void job_note_log_offset(Job *j, const struct stat *st) {
        uint64_t *t;

        /* Retries append: the patterns judge this attempt's output only (log_offset), and
         * AttemptLogOffsets tells where each attempt began. */
        j->log_offset = (uint64_t) st->st_size;
        if (j->n_log_offsets >= JOB_ATTEMPTS_MAX)
                return;
        t = reallocarray(j->log_offsets, j->n_log_offsets + 1, sizeof(uint64_t));
        if (!t)
                return;
        j->log_offsets = t;
        j->log_offsets[j->n_log_offsets++] = (uint64_t) st->st_size;
}

/* The slots the scheduler handed out, kept for the Slots property after the job is done. Without memory
 * the property is empty: nothing else depends on the copy. */
void job_copy_slots(Job *j) {
        char *const *s = sched_job_slots(j->manager->sched, j->id);

        j->slots = strv_free(j->slots);
        if (s)
                j->slots = strv_copy(s);
}

/* After a restart: LogMaxBytes holds for a job adopted while it runs, as it did before. */
void job_watch_log_restored(Job *j) {
        _cleanup_close_ int logfd = -EBADF;
        int r;

        if (j->spec.log_max_bytes == 0)
                return;
        r = job_open_log_file(j, true, (gid_t) -1, &logfd);
        if (r >= 0)
                r = job_watch_log(j, logfd);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot watch its log for LogMaxBytes, ignoring: %m",
                                  (unsigned long long) j->id);
}

int job_adopt(Job *j, const char *cgroup_path, const char *unit, pid_t main_pid) {
        _cleanup_close_ int pidfd = -EBADF;
        int r;

        /* A restore: nobody to tell yet. */
        job_set_state(j, JOB_RUNNING, JOB_CHANGE_QUIET);
        j->main_pid = main_pid;
        j->control_group = cgroup_path ? strdup(cgroup_path) : NULL;
        j->unit = unit ? strdup(unit) : NULL;
        j->start_monotonic = now(CLOCK_MONOTONIC);
        job_copy_slots(j);
        (void) job_open_state_dir(j);
        job_watch_log_restored(j);

        r = cgroup_path ? backend_job_adopt(j->manager->backend, j->id, cgroup_path, &j->cgroup) : -ENOENT;
        if (r < 0) {
                /* The cgroup is gone: the job ended and someone removed it. Its status file tells how. */
                /* Killed for its timeout or a cancel (a stop line): its helper recorded nothing. */
                if (!job_read_exec_status(j) && j->stop_reason == JOB_STOP_NONE)
                        job_set_reason(j, "Lost while jobd was not running: no cgroup and no exit status");
                j->main_exited = true;
                job_finalize(j);
                return 0;
        }

        if (main_pid > 0) {
                pidfd = pidfd_open(main_pid, 0);
                /* Only the same process: still in the job's cgroup (pids are reused). */
                if (pidfd >= 0 && !cg_pid_in_cgroup(main_pid, cgroup_path))
                        pidfd = safe_close(pidfd);
        }
        if (pidfd < 0) {
                if (!job_read_exec_status(j) && !j->reason && j->stop_reason == JOB_STOP_NONE)
                        job_set_reason(j, "The exec helper ended while jobd was not running, without "
                                       "recording an exit status");
                job_main_exited(j);
                return 0;
        }

        r = sd_event_add_io(j->manager->event, &j->child_source, pidfd, EPOLLIN, on_adopted_exit, j);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(j->child_source, true);
        TAKE_FD(pidfd);
        (void) sd_event_source_set_description(j->child_source, "job-adopted-main-process");
        job_load_pause(j);
        if (j->spec.timeout_usec > 0 && j->spec.timeout_usec != USEC_INFINITY) {
                usec_t n = now(CLOCK_REALTIME), paused = j->paused_total_usec, ran;

                /* Time paused, before the restart and since, is not counted. */
                if (j->paused_since_usec > 0 && n > j->paused_since_usec)
                        paused += n - j->paused_since_usec;
                ran = n - j->start_usec;
                ran = ran > paused ? ran - paused : 0;
                r = job_add_timer(j, &j->timeout_source, ran < j->spec.timeout_usec ? j->spec.timeout_usec - ran : 0,
                                  on_timeout, "job-timeout");
                if (r < 0)
                        log_warning_errno(r, "Job %llu: cannot arm its timeout, ignoring: %m",
                                          (unsigned long long) j->id);
        }
        /* Paused before the restart: its cgroup is frozen still. */
        if (backend_job_frozen(j->cgroup) > 0) {
                uint64_t at = 0;

                job_set_state(j, JOB_PAUSED, JOB_CHANGE_QUIET);
                /* Its timeout waits for Resume. */
                if (j->timeout_source && sd_event_source_get_time(j->timeout_source, &at) >= 0) {
                        usec_t n = now(CLOCK_MONOTONIC);

                        j->timeout_left = at > n ? at - n : 0;
                        j->timeout_paused = true;
                        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
                }
        }
        log_info("Job %llu: re-adopted%s, main process %i in %s.", (unsigned long long) j->id,
                 j->state == JOB_PAUSED ? " (paused)" : "", (int) main_pid, cgroup_path);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        log_info("Job %llu: timed out, killing it.", (unsigned long long) j->id);
        j->stop_reason = JOB_STOP_TIMEOUT;
        (void) journal_stop(&j->manager->journal, j);
        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
        job_set_state(j, JOB_STOPPING, 0);
        (void) job_sigkill(j);
        return 0;
}

static int job_open_state_dir(Job *j) {
        char name[32];

        if (j->state_dir_fd >= 0)
                return 0;
        snprintf(name, sizeof(name), "%llu", (unsigned long long) j->id);
        return state_open_subdir(j->manager->jobs_dir_fd, name, j->manager->uid, 0755, &j->state_dir_fd);
}

/* Whose the log is: the job's owner's in system mode. A user instance runs every job as its own user and
 * cannot give a file away, whoever called it (root may call a user's instance). */
uid_t job_log_uid(Job *j) {
        return j->manager->system_mode ? j->owner : j->manager->uid;
}

/* DIR/logs/<uid>: the folder of the owner's logs, made theirs (0700; group gid, the user database's
 * primary group at start, or left as it is when (gid_t) -1) on first use, so that they may follow
 * and delete their logs and the logs count against their quota. Nobody else can create or rename anything
 * in DIR/logs, so an entry there that is not the owner's was made by the daemon and not handed over yet.
 * The last one used stays open (Manager.log_dir_fd): a run of one user's jobs costs no mkdir, open and
 * fstat each. *ret_fd is borrowed: the caller does not close it. */
static int job_open_log_dir(Job *j, gid_t gid, int *ret_fd) {
        Manager *m = j->manager;
        _cleanup_close_ int fd = -EBADF;
        char name[32];
        struct stat st;

        if (m->log_dir_fd >= 0 && m->log_dir_uid == job_log_uid(j)) {
                *ret_fd = m->log_dir_fd;
                return 0;
        }
        snprintf(name, sizeof(name), "%u", (unsigned) job_log_uid(j));
        if (mkdirat(m->logs_dir_fd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(m->logs_dir_fd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != job_log_uid(j)) {
                if (st.st_uid != m->uid)
                        return -EPERM;
                if (fchmod(fd, 0700) < 0 || fchown(fd, job_log_uid(j), gid) < 0)
                        return -errno;
        }
        safe_close(m->log_dir_fd);
        m->log_dir_fd = TAKE_FD(fd);
        m->log_dir_uid = job_log_uid(j);
        *ret_fd = m->log_dir_fd;
        return 0;
}

/* The kept folder was removed (only root can: DIR/logs is the daemon's): open it afresh next time. */
static bool job_log_dir_forget(Job *j, int dir_fd) {
        if (dir_fd != j->manager->log_dir_fd || errno != ENOENT)
                return false;
        j->manager->log_dir_fd = safe_close(j->manager->log_dir_fd);
        return true;
}

/* What a job's log must be whoever may have put something in its place: a regular file of the log's
 * owner with one link (never another file reached through a link). */
static int job_log_file_check(Job *j, int fd, struct stat *st) {
        if (fstat(fd, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode))
                return -EBADFD;
        if (st->st_uid != job_log_uid(j))
                return -EPERM;
        if (st->st_nlink != 1)
                return -EMLINK;
        return 0;
}

/* A LogPath of the job's own, or a Slurm job's log in the shared folder: opened (and created, with its
 * folders) with its owner's credentials (src/core/as-user.c), never through a symlink in its last
 * component; then, as in the state folder, it must be a regular file of the owner's with one link, and
 * once jobd created it, that same file. */
static int job_open_log_path(Job *j, bool for_writing, const UserRecord *user, int *ret_fd) {
        _cleanup_(user_record_freep) UserRecord *looked_up = NULL;
        char buf[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        AsUser u = { .uid = job_log_uid(j), .gid = (gid_t) -1 };
        struct stat st;
        int r;

        if (u.uid != geteuid()) {
                if (!user) {
                        r = user_record_get(u.uid, &looked_up);
                        if (r < 0)
                                return r;
                        user = looked_up;
                }
                u.gid = user->gid;
                u.groups = user->groups;
                u.n_groups = user->n_groups;
        }
        r = open_as_user(&u, job_log_path(j, buf, sizeof(buf)),
                         for_writing ? O_WRONLY | O_APPEND | O_CREAT : O_RDONLY, 0644, for_writing, &fd);
        if (r < 0)
                return r;
        r = job_log_file_check(j, fd, &st);
        if (r < 0)
                return r;
        if (!for_writing && j->log_ino != 0 && (st.st_dev != j->log_dev || st.st_ino != j->log_ino))
                return -ESTALE;
        r = fd_nonblock(fd, false);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The job's log in its owner's folder: for writing (O_APPEND, created as the owner's if missing: retries
 * append to it) or for reading. The owner may have put anything there under that name, so it is opened
 * without following a symlink, without blocking on a FIFO, and then it must be a regular file of the
 * owner's with one link: never another file (root's or someone else's) reached through a link. */
static int job_open_log_file_full(Job *j, bool for_writing, gid_t gid, const UserRecord *user, int *ret_fd,
                                  struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;
        int dir_fd = -EBADF;
        bool retried = false;
        char name[32];
        struct stat st;
        int r;

        if (j->spec.log_path || job_is_slurm(j)) {
                /* A Slurm job's log is in the shared folder, where the node writes it (job-slurm.c). */
                if (!j->spec.log_path && for_writing) {
                        r = job_slurm_make_log_dir(j, gid);
                        if (r < 0)
                                return r;
                }
                r = job_open_log_path(j, for_writing, user, &fd);
                if (r < 0)
                        return r;
                if (ret_st && fstat(fd, ret_st) < 0)
                        return -errno;
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
again:
        r = job_open_log_dir(j, gid, &dir_fd);
        if (r < 0)
                return r;
        snprintf(name, sizeof(name), "%llu.log", (unsigned long long) j->id);
        if (for_writing) {
                fd = openat(dir_fd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
                            O_CLOEXEC, 0600);
                if (fd >= 0 && job_log_uid(j) != j->manager->uid && fchown(fd, job_log_uid(j), gid) < 0) {
                        r = -errno;
                        (void) unlinkat(dir_fd, name, 0);
                        return r;
                }
                if (fd < 0 && !retried && job_log_dir_forget(j, dir_fd)) {
                        retried = true;
                        goto again;
                }
                if (fd < 0 && errno != EEXIST)
                        return -errno;
                if (fd >= 0) {
                        /* Made just now by us (O_EXCL, not O_NONBLOCK): a regular file of the owner's
                         * with one link, what job_log_file_check() asks of one found there; whatever the
                         * owner does to the name from now on, this fd writes to that file. */
                        if (fstat(fd, &st) < 0)
                                return -errno;
                        if (ret_st)
                                *ret_st = st;
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
        }
        fd = openat(dir_fd, name, (for_writing ? O_WRONLY | O_APPEND : O_RDONLY) | O_NOFOLLOW |
                    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && !retried && job_log_dir_forget(j, dir_fd)) {
                retried = true;
                goto again;
        }
        if (fd < 0)
                return -errno;
        r = job_log_file_check(j, fd, &st);
        if (r < 0)
                return r;
        r = fd_nonblock(fd, false);
        if (r < 0)
                return r;
        if (ret_st)
                *ret_st = st;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int job_open_log_file(Job *j, bool for_writing, gid_t gid, int *ret_fd) {
        return job_open_log_file_full(j, for_writing, gid, NULL, ret_fd, NULL);
}

/* st: the log's, for job_note_log_offset(). */
int job_open_log_for_writing(Job *j, const UserRecord *user, struct stat *st) {
        int fd = -EBADF, r;

        r = job_open_log_file_full(j, true, user ? user->gid : (gid_t) -1, user, &fd, st);
        if (r < 0)
                return r;
        /* The file this job writes: scanned (and, for a LogPath, read back) only if it is still that one. */
        j->log_dev = st->st_dev;
        j->log_ino = st->st_ino;
        return fd;
}

#define LOG_NOTE_MAX 80

static size_t job_log_note(Job *j, char *buf, size_t l) {
        int n = snprintf(buf, l, "\njobd: log truncated at %llu bytes\n",
                         (unsigned long long) j->spec.log_max_bytes);

        return n < 0 ? 0 : MIN((size_t) n, l - 1);
}

/* LogMaxBytes: a log grown beyond it keeps its first LogMaxBytes bytes and a note; what the job writes
 * later is cut off again each time. The daemon's fd has no O_APPEND (the note goes at a fixed offset);
 * the job's own fd appends, so its writes land after the note and the final ftruncate() removes them,
 * whatever raced with the first two steps. announce: publish the Reason at once (not while finishing). */
int job_enforce_log_cap(Job *j, bool announce) {
        char note[LOG_NOTE_MAX];
        uint64_t cap = j->spec.log_max_bytes;
        size_t l;
        struct stat st;

        if (j->log_fd < 0 || cap == 0)
                return 0;
        if (fstat(j->log_fd, &st) < 0)
                return -errno;
        l = job_log_note(j, note, sizeof(note));
        /* cap <= JOB_LOG_MAX_BYTES_MAX (validated): cap + l cannot wrap. */
        if ((uint64_t) st.st_size <= cap + l && (j->log_truncated || (uint64_t) st.st_size <= cap))
                return 0;
        errno = EIO;   /* a short pwrite() sets none */
        if (ftruncate(j->log_fd, (off_t) cap) < 0 ||
            pwrite(j->log_fd, note, l, (off_t) cap) != (ssize_t) l ||
            ftruncate(j->log_fd, (off_t) (cap + l)) < 0) {
                int r = -errno;

                if (j->log_cap_failed)
                        return r;
                j->log_cap_failed = true;
                return log_warning_errno(r, "Job %llu: cannot truncate its log: %m", (unsigned long long) j->id);
        }
        if (j->log_truncated)
                return 0;
        j->log_truncated = true;
        log_info("Job %llu: log truncated at %llu bytes (LogMaxBytes); later output is dropped.",
                 (unsigned long long) j->id, (unsigned long long) cap);
        if (announce && !j->reason) {
                job_set_reason(j, "Log truncated at %llu bytes (LogMaxBytes); later output is dropped",
                               (unsigned long long) cap);
                j->reason_is_log_note = true;
                manager_job_changed(j->manager, j, JOB_CHANGE_REASON);
        }
        return 0;
}

static int on_log_modified(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        (void) job_enforce_log_cap(userdata, true);
        return 0;
}

/* While rate limited, modifications go unseen: look once when that ends. */
static int on_log_ratelimit_expired(sd_event_source *s, void *userdata) {
        (void) job_enforce_log_cap(userdata, true);
        return 0;
}

/* Only jobs with a cap whose output goes to the log are watched, through sd-event's inotify (one
 * inotify instance for all of them), at most LOG_WATCH_BURST callbacks per LOG_WATCH_INTERVAL. */
#define LOG_WATCH_INTERVAL (100 * USEC_PER_MSEC)
#define LOG_WATCH_BURST 10U

int job_watch_log(Job *j, int logfd) {
        char path[64];
        int r;

        if (j->spec.log_max_bytes == 0 || j->log_fd >= 0 ||
            (j->spec.stdio_fds[1] >= 0 && j->spec.stdio_fds[2] >= 0))
                return 0;
        /* A description of the file of its own, without O_APPEND: a reopen of the inode, not of the
         * name (the owner may have changed what the name points to). */
        snprintf(path, sizeof(path), "/proc/self/fd/%i", logfd);
        j->log_fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (j->log_fd < 0)
                return -errno;
        r = sd_event_add_inotify_fd(j->manager->event, &j->log_source, j->log_fd, IN_MODIFY, on_log_modified, j);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(j->log_source, "job-log-cap");
        (void) sd_event_source_set_ratelimit(j->log_source, LOG_WATCH_INTERVAL, LOG_WATCH_BURST);
        (void) sd_event_source_set_ratelimit_expire_callback(j->log_source, on_log_ratelimit_expired);
        return job_enforce_log_cap(j, true);
}

/* user: the owner's record (system mode, owner not root), NULL otherwise. */
static char **job_build_helper_argv(Job *j, const UserRecord *user) {
        _cleanup_strv_free_ char **a = NULL;
        char buf[64];

        if (strv_extend(&a, j->manager->exec_path) < 0)
                return NULL;
        if (j->spec.working_directory) {
                _cleanup_free_ char *c = NULL;
                if (asprintf(&c, EXEC_ARG_CHDIR "%s", j->spec.working_directory) < 0 || strv_extend(&a, c) < 0)
                        return NULL;
        }
        if (user) {
                _cleanup_free_ char *g = NULL;
                size_t l = 0;

                snprintf(buf, sizeof(buf), EXEC_ARG_UID "%u", (unsigned) user->uid);
                if (strv_extend(&a, buf) < 0)
                        return NULL;
                snprintf(buf, sizeof(buf), EXEC_ARG_GID "%u", (unsigned) user->gid);
                if (strv_extend(&a, buf) < 0)
                        return NULL;
                g = malloc(16 + 12 * (size_t) user->n_groups);
                if (!g)
                        return NULL;
                l = sprintf(g, EXEC_ARG_GROUPS);
                for (int i = 0; i < user->n_groups; i++)
                        l += sprintf(g + l, "%s%u", i > 0 ? "," : "", (unsigned) user->groups[i]);
                if (user->n_groups > 0 && strv_extend(&a, g) < 0)
                        return NULL;
        }
        if (seccomp_filter_is_set(j->spec.system_call_filter) &&
            strv_extend(&a, EXEC_ARG_SECCOMP SECCOMP_FILTER_FILE) < 0)
                return NULL;
        /* The job's environment, as data: the helper itself runs with none (exec-env.h). */
        if (strv_extend(&a, EXEC_ARG_ENV_FD "4") < 0)
                return NULL;
        /* Held until the backend has put it into the job's cgroup (fd 5: see job_start()). */
        if (j->manager->backend->ops->job_place_async && strv_extend(&a, EXEC_ARG_WAIT_FD "5") < 0)
                return NULL;
        /* The jobserver's read and write ends (fds 6 and 7: see job_start()). */
        if (j->jobserver && !j->spec.jobserver_fifo && strv_extend(&a, EXEC_ARG_JOBSERVER_FDS "6,7") < 0)
                return NULL;
        if (strv_extend(&a, "--") < 0)
                return NULL;
        STRV_FOREACH(s, j->spec.argv)
                if (strv_extend(&a, *s) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

/* A -j word of MAKEFLAGS: -j, -jN, --jobs, --jobs=N. */
static bool makeflags_word_is_jobs(const char *w, size_t n) {
        size_t k;

        if (n >= 2 && strneq(w, "-j", 2))
                k = 2;
        else if (n >= 6 && strneq(w, "--jobs", 6))
                k = n > 6 && w[6] == '=' ? 7 : 6;
        else
                return false;
        for (; k < n; k++)
                if (w[k] < '0' || w[k] > '9')
                        return false;
        return true;
}

/* MAKEFLAGS names the jobserver after whatever the spec put there (its -k, -O, ...; a later
 * --jobserver-auth wins over an earlier one), without the spec's -jN: with a jobserver, GNU make takes a
 * -jN from MAKEFLAGS or its command line as its own limit and leaves the jobserver ("-jN forced in
 * makefile/submake: resetting jobserver mode"). */
static int job_env_add_makeflags(char ***e, const char *fifo) {
        _cleanup_free_ char *v = NULL;
        const char *entry = strv_env_get(*e, "MAKEFLAGS"), *old = entry ? entry + strlen("MAKEFLAGS=") : NULL;
        size_t l = 0;

        v = malloc(strlen("MAKEFLAGS=") + strlen(strempty(old)) + strlen(strempty(fifo)) + 64);
        if (!v)
                return -ENOMEM;
        l = sprintf(v, "MAKEFLAGS=");
        for (const char *p = strempty(old); *p; ) {
                size_t n;

                p += strspn(p, " \t");
                n = strcspn(p, " \t");
                if (n > 0 && !makeflags_word_is_jobs(p, n)) {
                        memcpy(v + l, p, n);
                        l += n;
                        v[l++] = ' ';
                }
                p += n;
        }
        if (fifo)
                sprintf(v + l, "-j --jobserver-auth=fifo:%s", fifo);
        else
                sprintf(v + l, "-j --jobserver-auth=%i,%i", EXEC_JOBSERVER_READ_FD, EXEC_JOBSERVER_WRITE_FD);
        if (old) {
                STRV_FOREACH(s, *e)
                        if (strneq(*s, "MAKEFLAGS=", strlen("MAKEFLAGS="))) {
                                free(*s);
                                *s = TAKE_PTR(v);
                                return 0;
                        }
        }
        return strv_extend(e, v);
}

char **job_build_env(Job *j, const UserRecord *user) {
        _cleanup_strv_free_ char **e = NULL;
        char *const *slots;
        char buf[64];

        e = job_spec_environment(&j->spec);
        if (!e)
                return NULL;
        /* As systemd's User=: the login variables of the job's user, unless the spec has its own. */
        if (user) {
                const struct {
                        const char *name, *value;
                } login[] = {
                        { "HOME", user->home },
                        { "USER", user->name },
                        { "LOGNAME", user->name },
                        { "SHELL", user->shell },
                };

                for (size_t i = 0; i < ELEMENTSOF(login); i++) {
                        _cleanup_free_ char *v = NULL;

                        if (strv_env_get(e, login[i].name))
                                continue;
                        if (asprintf(&v, "%s=%s", login[i].name, login[i].value) < 0 ||
                            strv_extend(&e, v) < 0)
                                return NULL;
                }
        }
        snprintf(buf, sizeof(buf), "JOBD_JOB_ID=%llu", (unsigned long long) j->id);
        if (strv_extend(&e, buf) < 0)
                return NULL;
        if (j->jobserver &&
            job_env_add_makeflags(&e, j->spec.jobserver_fifo ? jobserver_path(j->jobserver) : NULL) < 0)
                return NULL;

        /* "POOL=SLOT" → JOBD_SLOT_POOL=SLOT, the pool name upper-cased with '.'/'-' as '_'. */
        slots = sched_job_slots(j->manager->sched, j->id);
        STRV_FOREACH(s, (char **) slots) {
                _cleanup_free_ char *v = NULL;
                if (asprintf(&v, "JOBD_SLOT_%s", *s) < 0)
                        return NULL;
                for (char *p = v + strlen("JOBD_SLOT_"); *p && *p != '='; p++)
                        *p = *p == '.' || *p == '-' ? '_' : (char) toupper((unsigned char) *p);
                if (strv_extend(&e, v) < 0)
                        return NULL;
        }
        return TAKE_PTR(e);
}

/* A helper still held (it never ran the command) is ended and reaped here: nothing else will wait for
 * it once its event source is gone. */
static void job_kill_held(Job *j) {
        int pidfd;

        if (j->hold_fd < 0 || !j->child_source)
                return;
        pidfd = sd_event_source_get_child_pidfd(j->child_source);
        if (sd_event_source_send_child_signal(j->child_source, SIGKILL, NULL, 0) >= 0 && pidfd >= 0)
                (void) waitid(P_PIDFD, pidfd, NULL, WEXITED);
        j->hold_fd = safe_close(j->hold_fd);
}

/* reason: the whole Reason (a backend's message); else what failed, and the errno says why. */
int job_fail_start_full(Job *j, int error, const char *what, const char *reason) {
        if (reason) {
                log_warning("Job %llu: %s", (unsigned long long) j->id, reason);
                job_set_reason(j, "%s", reason);
        } else {
                log_warning_errno(error, "Job %llu: %s: %m", (unsigned long long) j->id, what);
                job_set_reason(j, "%s: %s", what, strerror(error < 0 ? -error : error));
        }
        job_kill_held(j);
        j->cgroup = backend_job_free(j->cgroup);
        job_release_runtime(j);
        j->result = JOB_FAILED;
        manager_job_done(j->manager, j);
        return error;
}

static int job_fail_start(Job *j, int error, const char *what) {
        return job_fail_start_full(j, error, what, NULL);
}

/* The job's first process is in its cgroup and runs the command: the job is running. */
/* The start line, written before the command can run (before the helper is spawned, or released once
 * placed): after a crash, a job whose process may have started is re-adopted through its cgroup or
 * reported, never started again. Without the line, nothing was started. */
static int job_record_start(Job *j) {
        int r;

        free(j->unit);
        free(j->control_group);
        j->unit = j->cgroup->unit ? strdup(j->cgroup->unit) : NULL;
        j->control_group = j->cgroup->cgroup_path ? strdup(j->cgroup->cgroup_path) : NULL;
        j->start_usec = now(CLOCK_REALTIME);
        r = journal_start(&j->manager->journal, j);
        if (r < 0)
                return job_fail_start(j, r, "Cannot record its start in the state folder's " JOURNAL_FILE);
        return 0;
}

static int job_enter_running(Job *j) {
        Manager *m = j->manager;
        int r;

        if (j->spec.timeout_usec > 0 && j->spec.timeout_usec != USEC_INFINITY) {
                r = job_add_timer(j, &j->timeout_source, j->spec.timeout_usec, on_timeout, "job-timeout");
                if (r < 0)
                        log_warning_errno(r, "Job %llu: cannot arm its timeout, ignoring: %m",
                                          (unsigned long long) j->id);
        }

        j->start_monotonic = now(CLOCK_MONOTONIC);
        job_set_state(j, JOB_RUNNING, JOB_CHANGE_QUIET);
        manager_job_changed(m, j, JOB_CHANGE_STATE | JOB_CHANGE_START_USEC | JOB_CHANGE_CONTROL_GROUP |
                            JOB_CHANGE_UNIT | JOB_CHANGE_REASON);
        log_debug("Job %llu: started as pid %i in %s.", (unsigned long long) j->id, (int) j->main_pid,
                  j->cgroup->cgroup_path);
        return 0;
}

static void on_placed(BackendJob *bj, int error, const char *message, void *userdata) {
        Job *j = userdata;

        if (error < 0) {
                (void) job_fail_start_full(j, error, NULL, message);
                return;
        }
        if (job_record_start(j) < 0)
                return;
        /* Release the helper: it runs the command only now that it is in the job's cgroup. */
        if (write(j->hold_fd, "1", 1) != 1) {
                (void) job_fail_start(j, -errno, "Cannot release the exec helper");
                return;
        }
        if (j->manager->backend->ops->job_watch_end)
                j->manager->backend->ops->job_watch_end(j->manager->backend, j->cgroup, TAKE_FD(j->hold_fd));
        else
                j->hold_fd = safe_close(j->hold_fd);
        (void) job_enter_running(j);
}

int job_start(Job *j) {
        Manager *m = j->manager;
        _cleanup_(user_record_freep) UserRecord *user = NULL;
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_close_ int logfd = -EBADF, held = -EBADF, envfd = -EBADF, js_read = -EBADF,
                js_write = -EBADF;
        bool place = m->backend->ops->job_place_async;
        struct stat log_st;
        char *no_env[] = { NULL };
        char description[256];
        int fds[8];
        pid_t pid;
        int r;

        j->stop_reason = JOB_STOP_NONE;
        j->timeout_paused = false;
        j->paused_total_usec = j->paused_since_usec = 0;
        j->main_exited = j->have_exec_status = false;
        j->exit_code = -1;
        j->exit_signal = 0;
        j->command_pid = 0;
        j->reason = mfree(j->reason);
        j->reason_is_log_note = j->log_truncated = j->log_cap_failed = false;
        /* Announced where it lasts: a backend that places the job asynchronously (systemd, Slurm) leaves it
         * starting across loop iterations, where a client can Get it, so JobChanged says so first. The
         * cgroupfs backend goes on to running (or done) within this call, before any client is read: no
         * client can see starting there, and a JobChanged for it would cost every listener and the bus a
         * message per job. */
        job_set_state(j, JOB_STARTING, place || job_is_slurm(j) ? JOB_CHANGE_REASON : JOB_CHANGE_QUIET);
        job_copy_slots(j);

        /* Gid and groups from the user database at each start, not from submit time: a user removed from a
         * group (or deleted) since then does not keep it. Root's jobs keep the daemon's own credentials, and
         * a --user daemon runs everything as itself: no lookup (NSS may block) for those. */
        if (m->system_mode && j->owner != 0) {
                char why[160];

                r = user_record_get(j->owner, &user);
                if (r == -ESRCH) {
                        snprintf(why, sizeof(why), "uid %u no longer has an entry in the user database "
                                 "(deleted since the job was submitted?)", (unsigned) j->owner);
                        return job_fail_start_full(j, r, NULL, why);
                }
                if (r == -E2BIG) {
                        snprintf(why, sizeof(why), "uid %u is in more than %u groups in the user database",
                                 (unsigned) j->owner, USER_GROUPS_MAX);
                        return job_fail_start_full(j, r, NULL, why);
                }
                if (r < 0) {
                        snprintf(why, sizeof(why), "Cannot look up uid %u in the user database",
                                 (unsigned) j->owner);
                        return job_fail_start(j, r, why);
                }
        }
        /* The cluster runs it: no cgroup, no exec helper here. */
        if (job_is_slurm(j))
                return job_slurm_start(j, user);

        r = job_open_state_dir(j);
        if (r < 0)
                return job_fail_start(j, r, "Cannot create the job's state folder");
        /* A fresh folder has no status file; only a retry must not read the previous attempt's. */
        if (j->start_usec > 0) {
                (void) unlinkat(j->state_dir_fd, EXEC_STATUS_FILE, 0);
                (void) unlinkat(j->state_dir_fd, JOB_PAUSE_FILE, 0);
        }
        logfd = job_open_log_for_writing(j, user, &log_st);
        if (logfd < 0)
                return job_fail_start(j, logfd, logfd == -EPERM || logfd == -EBADFD || logfd == -EMLINK ?
                                      "Cannot open the job's log (not a regular file of its owner's with one "
                                      "link)" : "Cannot open the job's log");
        r = job_watch_log(j, logfd);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot watch its log for LogMaxBytes, ignoring: %m",
                                  (unsigned long long) j->id);
        job_note_log_offset(j, &log_st);

        r = backend_job_new(m->backend, j->id, &j->cgroup);
        if (r < 0)
                return job_fail_start(j, r, "Cannot allocate the job's cgroup");
        j->cgroup->attempt = MAX(sched_job_attempts(m->sched, j->id), 1U);
        r = m->backend->ops->job_create(m->backend, j->cgroup, &j->spec.limits);
        if (r < 0)
                return job_fail_start(j, r, "Cannot create the job's cgroup");

        if (seccomp_filter_is_set(j->spec.system_call_filter)) {
                r = seccomp_filter_write(j->spec.system_call_filter, j->state_dir_fd);
                if (r < 0)
                        return job_fail_start(j, r, "Cannot compile the job's SystemCallFilter");
        }
        if (j->spec.jobserver) {
                r = jobserver_acquire(m, j, &j->jobserver);
                if (r > 0 && !j->spec.jobserver_fifo)
                        r = jobserver_open_job_fds(j->jobserver, &js_read, &js_write);
                if (r < 0)
                        return job_fail_start(j, r, "Cannot set up the job's make jobserver");
        }
        argv = job_build_helper_argv(j, user);
        env = argv ? job_build_env(j, user) : NULL;
        if (!env)
                return job_fail_start(j, -ENOMEM, "Cannot prepare the command");
        envfd = exec_env_memfd(env);
        if (envfd < 0)
                return job_fail_start(j, envfd, "Cannot pass the job's environment to the exec helper");

        fds[0] = j->spec.stdio_fds[0];
        fds[1] = j->spec.stdio_fds[1] >= 0 ? j->spec.stdio_fds[1] : logfd;
        fds[2] = j->spec.stdio_fds[2] >= 0 ? j->spec.stdio_fds[2] : logfd;
        fds[3] = j->state_dir_fd;
        fds[4] = envfd;
        fds[5] = -EBADF;
        fds[6] = js_read;
        fds[7] = js_write;
        if (place) {
                int p[2];

                /* The helper blocks reading fds[5] until we write a byte (or exits at EOF). */
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
                        return job_fail_start(j, -errno, "Cannot create the exec helper's hold pipe");
                held = p[0];
                j->hold_fd = p[1];
                fds[5] = held;
        }

        if (!place) {
                /* The helper runs the command at once: its start line first (its pid is not known yet:
                 * a restore finds it in the cgroup). */
                j->main_pid = 0;
                r = job_record_start(j);
                if (r < 0)
                        return r;
        }
        r = spawn(&(SpawnParams) {
                        .path = m->exec_path,
                        .argv = argv,
                        .envp = no_env,
                        .fds = fds,
                        .n_fds = js_read >= 0 ? 8 : place ? 6 : 5,
                        .cgroup_fd = j->cgroup->cgroup_fd,
                        .attach_fds = j->cgroup->attach_fds,
                        .n_attach_fds = j->cgroup->n_attach_fds,
                  }, &pid, NULL);
        if (r < 0)
                return job_fail_start(j, r, "Cannot start the exec helper");

        j->main_pid = pid;
        /* By pid: sd-event opens the pidfd it watches (spawn() makes none: two would be one too many), and
         * sd_event_add_child_pidfd() would read /proc/self/fdinfo to learn the pid (4 system calls and a
         * seq_file). Our child cannot be reaped by anyone else meanwhile, so the pid is that process. */
        r = sd_event_add_child(m->event, &j->child_source, pid, WEXITED, on_child, j);
        if (r < 0) {
                (void) backend_job_kill(j->cgroup, SIGKILL);
                if (place) {
                        j->hold_fd = safe_close(j->hold_fd);   /* the held helper exits at EOF */
                        (void) waitid(P_PID, (id_t) pid, NULL, WEXITED);
                }
                return job_fail_start(j, r, "Cannot watch the job's main process");
        }
        (void) sd_event_source_set_description(j->child_source, "job-main-process");

        if (place) {
                snprintf(description, sizeof(description), "jobd job %llu%s%s", (unsigned long long) j->id,
                         j->spec.name ? ": " : "", strempty(j->spec.name));
                r = m->backend->ops->job_place_async(m->backend, j->cgroup, description, pid,
                                                     sd_event_source_get_child_pidfd(j->child_source),
                                                     on_placed, j);
                if (r < 0)
                        return job_fail_start(j, r, "Cannot ask for the job's cgroup");
                log_debug("Job %llu: exec helper %i held until the backend has placed it.",
                          (unsigned long long) j->id, (int) pid);
                return 0;
        }
        return job_enter_running(j);
}

/* The backend's answer when the cgroup is no more (removed by someone else: jobd removes it only once the
 * job is done). */
static int job_cgroup_error(Job *j, int r) {
        if (r == -ENOENT || r == -ENODEV) {
                log_warning("Job %llu: its cgroup %s is gone (removed by another process?).",
                            (unsigned long long) j->id, strna(j->control_group));
                return -EIDRM;
        }
        return r;
}

int job_kill(Job *j, int sig) {
        int r;

        if (job_is_slurm(j))
                return job_slurm_kill(j, sig);
        if (!job_state_is_active(j->state) || !j->cgroup)
                return -ESRCH;
        if (sig == SIGKILL) {
                j->killed_by_user = true;
                r = job_sigkill(j);
                if (r < 0) {
                        j->killed_by_user = false;
                        return job_cgroup_error(j, r);
                }
                if (j->state != JOB_STOPPING)
                        job_set_state(j, JOB_STOPPING, 0);
                return 0;
        }
        r = backend_job_kill(j->cgroup, sig);
        if (r < 0)
                return job_cgroup_error(j, r);
        return 0;
}

static int on_grace_over(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        log_info("Job %llu: still running after the kill grace period, sending SIGKILL.",
                 (unsigned long long) j->id);
        (void) job_sigkill(j);
        return 0;
}

int job_cancel(Job *j) {
        Manager *m = j->manager;
        int r;

        if (j->state == JOB_DONE)
                return -EALREADY;
        if (j->state == JOB_WAITING || j->state == JOB_QUEUED) {
                r = sched_cancel(m->sched, j->id);
                if (r < 0 && r != -EALREADY)
                        return r;
                job_finish_unstarted(j, JOB_CANCELLED, "Cancelled before it started");
                manager_count_done(m);
                manager_reschedule(m);
                return 0;
        }
        if (j->stop_reason == JOB_STOP_CANCEL)
                return 0;
        /* Its command has ended; only the verdict of its log is to come. */
        if (j->scan || j->scan_queued)
                return 0;
        if (job_is_slurm(j))
                return job_slurm_cancel(j);

        if (j->hold_fd < 0) {
                /* First, so that a cancel that cannot act says so and changes nothing. */
                r = backend_job_kill(j->cgroup, SIGTERM);
                if (r < 0)
                        return job_cgroup_error(j, r);
        }
        j->stop_reason = JOB_STOP_CANCEL;
        (void) journal_stop(&m->journal, j);
        job_set_state(j, JOB_STOPPING, 0);
        if (j->hold_fd >= 0)
                return job_sigkill(j);          /* not placed yet: the command never ran */
        /* Frozen processes would not act on SIGTERM. */
        (void) backend_job_freeze(j->cgroup, false);
        if (j->kill_source)
                return 0; /* SIGKILL already sent */
        r = job_arm_kill_timer(j, m->kill_grace, on_grace_over);
        if (r < 0)
                return r;
        /* What happens during the grace period; a note like the log's, dropped once the job is done. */
        {
                char at[64], grace[64];

                job_set_reason(j, "stopping: SIGTERM sent at %s, SIGKILL in %s",
                               format_timestamp(at, sizeof(at), now(CLOCK_REALTIME)),
                               format_timespan(grace, sizeof(grace), m->kill_grace));
                j->reason_is_log_note = true;
                manager_job_changed(m, j, JOB_CHANGE_REASON);
        }
        return 0;
}

void job_sync_cgroup(Job *j) {
        int r;

        if (!IN_SET(j->state, JOB_RUNNING, JOB_PAUSED) || !j->cgroup)
                return;
        r = backend_job_frozen(j->cgroup);
        if (r < 0)
                return;
        if (r > 0 && j->state == JOB_RUNNING) {
                j->frozen_by_other = true;
                job_set_reason(j, "Frozen by another process (cgroup.freeze of %s is 1); Resume() thaws it",
                               strna(j->control_group));
                job_set_state(j, JOB_PAUSED, JOB_CHANGE_REASON);
        } else if (r == 0 && j->state == JOB_PAUSED && j->frozen_by_other) {
                j->frozen_by_other = false;
                j->reason = mfree(j->reason);
                job_set_state(j, JOB_RUNNING, JOB_CHANGE_REASON);
        }
}

/* Pause() of a paused job and Resume() of a running one succeed (the job is as asked), see
 * org.jobd1(5); NotRunning (-ESRCH) for a job that is neither. */
int job_pause(Job *j) {
        int r;

        if (job_is_slurm(j))
                return job_state_is_active(j->state) ? -EOPNOTSUPP : -ESRCH;
        job_sync_cgroup(j);
        if (j->state == JOB_PAUSED)
                return 0;
        if (j->state != JOB_RUNNING)
                return -ESRCH;
        r = backend_job_freeze(j->cgroup, true);
        if (r < 0)
                return job_cgroup_error(j, r);
        j->paused_since_usec = now(CLOCK_REALTIME);
        job_save_pause(j);
        /* Time spent paused does not count toward TimeoutUSec: the timer stops with the job. */
        if (j->timeout_source) {
                uint64_t at = 0;
                usec_t n = now(CLOCK_MONOTONIC);

                if (sd_event_source_get_time(j->timeout_source, &at) >= 0) {
                        j->timeout_left = at > n ? at - n : 0;
                        j->timeout_paused = true;
                        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
                }
        }
        job_set_state(j, JOB_PAUSED, 0);
        return 0;
}

/* A paused job's timeout goes on from where it stopped. */
static void job_resume_timeout(Job *j) {
        int r;

        if (!j->timeout_paused)
                return;
        j->timeout_paused = false;
        r = job_add_timer(j, &j->timeout_source, j->timeout_left, on_timeout, "job-timeout");
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot arm its timeout again, ignoring: %m",
                                  (unsigned long long) j->id);
}

int job_resume(Job *j) {
        bool other;
        int r;

        if (job_is_slurm(j))
                return job_state_is_active(j->state) ? -EOPNOTSUPP : -ESRCH;
        job_sync_cgroup(j);
        if (j->state == JOB_RUNNING)
                return 0;
        if (j->state != JOB_PAUSED)
                return -ESRCH;
        r = backend_job_freeze(j->cgroup, false);
        if (r < 0)
                return job_cgroup_error(j, r);
        other = j->frozen_by_other;
        j->frozen_by_other = false;
        if (other)
                j->reason = mfree(j->reason);
        if (j->paused_since_usec > 0) {
                usec_t n = now(CLOCK_REALTIME);

                j->paused_total_usec += n > j->paused_since_usec ? n - j->paused_since_usec : 0;
                j->paused_since_usec = 0;
                job_save_pause(j);
        }
        job_resume_timeout(j);
        job_set_state(j, JOB_RUNNING, other ? JOB_CHANGE_REASON : 0);
        return 0;
}

int job_open_log(Job *j) {
        int fd = -EBADF, r;

        r = job_open_log_file(j, false, (gid_t) -1, &fd);
        if (r == -ENOENT && j->state == JOB_DONE && !j->spec.log_path) {
                char old[64];

                /* A job that ended before jobd kept logs in DIR/logs: its log is where it was, the
                 * daemon's. */
                snprintf(old, sizeof(old), "%llu/log", (unsigned long long) j->id);
                r = state_open_file(j->manager->jobs_dir_fd, old, j->manager->uid, &fd);
                return r < 0 ? -ENOENT : fd;
        }
        if (r != -ENOENT || j->state == JOB_DONE)
                return r < 0 ? r : fd;

        /* Created on demand, so a client can start following before the job starts. */
        r = job_open_log_file(j, true, (gid_t) -1, &fd);
        if (r < 0)
                return r;
        safe_close(fd);
        r = job_open_log_file(j, false, (gid_t) -1, &fd);
        return r < 0 ? r : fd;
}

const char *job_log_path(Job *j, char *buf, size_t l) {
        if (j->spec.log_path)
                return j->spec.log_path;
        if (job_is_slurm(j))
                return job_slurm_log_path(j, buf, l);
        snprintf(buf, l, "%s/logs/%u/%llu.log", j->manager->state_dir, (unsigned) job_log_uid(j),
                 (unsigned long long) j->id);
        return buf;
}

int job_open_log_for_scan(Job *j, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = job_open_log_file(j, false, (gid_t) -1, &fd);
        if (r < 0)
                return r;
        /* Its owner may replace the log in their folder: the scan reads only the file the job wrote. */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (j->log_ino != 0 && (st.st_dev != j->log_dev || st.st_ino != j->log_ino))
                return -ESTALE;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

pid_t job_main_pid(Job *j) {
        char path[64], buf[64];
        int pid;

        if (j->command_pid > 0)
                return j->command_pid;
        /* The command is jobd-exec's only child; asked only when someone reads MainPID. */
        snprintf(path, sizeof(path), "/proc/%i/task/%i/children", (int) j->main_pid, (int) j->main_pid);
        if (j->main_pid > 0 && !j->main_exited && read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1) > 0 &&
            safe_atoi(strtok(buf, " \n") ?: "", &pid) >= 0 && pid > 0)
                j->command_pid = pid;
        return j->command_pid > 0 ? j->command_pid : j->main_exited ? 0 : j->main_pid;
}

uint64_t job_cpu_usage(Job *j) {
        uint64_t v;

        if (j->cgroup && j->cgroup->cgroup_fd >= 0 && cg_cpu_usage(j->cgroup->cgroup_fd, &v) >= 0)
                return v;
        return j->stats.cpu_nsec;
}
