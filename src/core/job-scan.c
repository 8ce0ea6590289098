/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FailPatterns and PassPatterns: when a job's command has ended, its log is scanned in a thread of its own
 * (a log may be gigabytes: the event loop keeps answering meanwhile), at most JOB_SCANS_MAX at once, the
 * rest queued in the order they ended. The thread tells the loop through a pipe; the job, meanwhile
 * stopping, gets its verdict and goes to manager_job_done() as any other job that ended. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "job.h"
#include "log-scan.h"
#include "log.h"
#include "manager.h"
#include "strv.h"
#include "thread-util.h"

typedef struct JobScan {
        unsigned n_ref;                /* the job's and the thread's; atomic */
        bool cancel;                   /* atomic: the job is gone, stop */
        JobPatterns *patterns;
        int log_fd;
        int notify_fd;                 /* the thread's end of the pipe: closed when it is done */
        uint64_t offset;               /* where this attempt's output begins */
        usec_t start_usec;
        LogScanResult res;
} JobScan;

static void job_scan_unref(JobScan *s) {
        if (!s || __atomic_sub_fetch(&s->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return;
        safe_close(s->log_fd);
        safe_close(s->notify_fd);
        job_patterns_unref(s->patterns);
        free(s);
}

static void *scan_thread(void *userdata) {
        JobScan *s = userdata;
        int fd;

        log_scan_fd(s->patterns, s->log_fd, s->offset, &s->cancel, &s->res);
        /* Closing the pipe is the signal: the loop reads EOF once everything above is written. */
        fd = s->notify_fd;
        s->notify_fd = -EBADF;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        safe_close(fd);
        job_scan_unref(s);
        return NULL;
}

bool job_scan_wanted(Job *j) {
        if (job_patterns_is_empty(j->spec.patterns))
                return false;
        if (j->have_exec_status && j->exec_status.outcome == EXEC_SETUP_FAILED)
                return false;
        /* A failure is scanned only for the line to quote. */
        return j->result == JOB_SUCCESS ||
               (j->result == JOB_FAILED && j->exit_code > 0 && !strv_isempty(j->spec.patterns->fail));
}

static void job_scan_finish(Job *j, JobScan *s) {
        _cleanup_free_ char *why = NULL;
        bool verdict_fails = s->res.fail_matched || s->res.pass_missing || s->res.error < 0;

        why = log_scan_reason(s->patterns, &s->res);
        log_debug("Job %llu: log scanned (%llu bytes in %llu ms)%s%s.", (unsigned long long) j->id,
                  (unsigned long long) s->res.bytes,
                  (unsigned long long) ((now(CLOCK_MONOTONIC) - s->start_usec) / USEC_PER_MSEC),
                  why ? ": " : "", strempty(why));
        if (j->result == JOB_SUCCESS && verdict_fails) {
                j->result = JOB_FAILED;
                if (!why)
                        why = strdup("The log did not pass FailPatterns/PassPatterns");
        } else if (!(j->result == JOB_FAILED && s->res.fail_matched))
                why = mfree(why);
        if (why) {
                /* Beside what the ending said already (the log was cut at LogMaxBytes). */
                if (j->reason) {
                        char *t = NULL;

                        if (asprintf(&t, "%s; %s", why, j->reason) >= 0) {
                                free(why);
                                why = t;
                        }
                }
                free(j->reason);
                j->reason = TAKE_PTR(why);
        }
        manager_job_done(j->manager, j);
}

static void job_scan_next(Manager *m);

static int on_scan_done(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;
        Manager *m = j->manager;
        JobScan *s = TAKE_PTR(j->scan);

        j->scan_source = sd_event_source_disable_unref(j->scan_source);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        m->n_scans--;
        job_scan_finish(j, s);
        job_scan_unref(s);
        job_scan_next(m);
        return 0;
}

/* Starts the scan of a job with a free thread slot. < 0: the job is left as it was. */
static int job_scan_run(Job *j) {
        Manager *m = j->manager;
        _cleanup_close_ int logfd = -EBADF;
        _cleanup_close_ int p0 = -EBADF, p1 = -EBADF;
        int p[2];
        _cleanup_free_ char *why = NULL;
        JobScan *s;
        int r;

        /* Patterns read back from the state log are compiled on first use. */
        r = job_patterns_compile(j->spec.patterns, &why);
        if (r < 0)
                return log_warning_errno(r, "Job %llu: cannot compile its patterns: %s", (unsigned long long) j->id,
                                         strna(why));
        r = job_open_log_for_scan(j, &logfd);
        if (r < 0)
                return log_warning_errno(r, "Job %llu: cannot open its log to scan it: %m", (unsigned long long) j->id);
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        p0 = p[0];
        p1 = p[1];

        s = calloc(1, sizeof(JobScan));
        if (!s)
                return -ENOMEM;
        *s = (JobScan) {
                .n_ref = 2,
                .patterns = job_patterns_ref(j->spec.patterns),
                .log_fd = TAKE_FD(logfd),
                .notify_fd = TAKE_FD(p1),
                .offset = j->log_offset,
                .start_usec = now(CLOCK_MONOTONIC),
        };
        r = sd_event_add_io(m->event, &j->scan_source, p0, EPOLLIN | EPOLLHUP, on_scan_done, j);
        if (r < 0) {
                s->n_ref = 1;
                job_scan_unref(s);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(j->scan_source, true);
        TAKE_FD(p0);
        (void) sd_event_source_set_description(j->scan_source, "job-log-scan");

        r = thread_spawn_detached(scan_thread, s);
        if (r < 0) {
                j->scan_source = sd_event_source_disable_unref(j->scan_source);
                s->n_ref = 1;
                job_scan_unref(s);
                return log_warning_errno(r, "Job %llu: cannot start a thread to scan its log: %m",
                                         (unsigned long long) j->id);
        }
        j->scan = s;
        m->n_scans++;
        return 0;
}

/* A scan that cannot run fails the job (it was to be judged by its log and cannot be). */
static void job_scan_failed(Job *j, int error) {
        char *t = NULL;

        if (j->result == JOB_SUCCESS) {
                j->result = JOB_FAILED;
                if (asprintf(&t, "Cannot scan the log for FailPatterns/PassPatterns: %s", strerror(-error)) >= 0) {
                        free(j->reason);
                        j->reason = t;
                }
        }
        manager_job_done(j->manager, j);
}

static void job_scan_next(Manager *m) {
        while (m->scan_queue_head && m->n_scans < JOB_SCANS_MAX) {
                Job *j = m->scan_queue_head;
                int r;

                m->scan_queue_head = j->scan_next;
                if (!m->scan_queue_head)
                        m->scan_queue_tail = NULL;
                j->scan_next = NULL;
                j->scan_queued = false;
                r = job_scan_run(j);
                if (r < 0)
                        job_scan_failed(j, r);
        }
}

int job_scan_start(Job *j) {
        Manager *m = j->manager;

        if (j->state != JOB_STOPPING)
                job_set_state(j, JOB_STOPPING, 0);
        if (m->n_scans < JOB_SCANS_MAX && !m->scan_queue_head) {
                int r = job_scan_run(j);
                if (r < 0) {
                        job_scan_failed(j, r);
                        return 0;
                }
                return 0;
        }
        j->scan_queued = true;
        if (m->scan_queue_tail)
                m->scan_queue_tail->scan_next = j;
        else
                m->scan_queue_head = j;
        m->scan_queue_tail = j;
        return 0;
}

void job_scan_abandon(Job *j) {
        Manager *m = j->manager;

        if (j->scan_queued) {
                Job **q = &m->scan_queue_head, *prev = NULL;

                for (; *q && *q != j; q = &(*q)->scan_next)
                        prev = *q;
                if (*q)
                        *q = j->scan_next;
                if (m->scan_queue_tail == j)
                        m->scan_queue_tail = prev;
                j->scan_queued = false;
        }
        if (j->scan) {
                __atomic_store_n(&j->scan->cancel, true, __ATOMIC_RELAXED);
                j->scan_source = sd_event_source_disable_unref(j->scan_source);
                job_scan_unref(TAKE_PTR(j->scan));
                m->n_scans--;
        }
}
