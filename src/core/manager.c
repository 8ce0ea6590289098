/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controls.h"
#include "fd-util.h"
#include "jobserver.h"
#include "job-slurm.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"
#include "quota.h"
#include "resources.h"
#include "restore.h"
#include "run.h"
#include "state-dir.h"
#include "strv.h"

static SchedResult job_result_to_sched(JobResult r) {
        switch (r) {
        case JOB_SUCCESS:
                return SCHED_RESULT_SUCCESS;
        case JOB_KILLED:
                return SCHED_RESULT_KILLED;
        case JOB_TIMEOUT:
                return SCHED_RESULT_TIMEOUT;
        case JOB_OOM:
                return SCHED_RESULT_OOM;
        case JOB_SKIPPED:
                return SCHED_RESULT_SKIPPED;
        case JOB_CANCELLED:
                return SCHED_RESULT_CANCELLED;
        case JOB_LOST:
                return SCHED_RESULT_LOST;
        default:
                return SCHED_RESULT_FAILED;
        }
}

Job *manager_get_job(Manager *m, uint64_t id) {
        if (id == 0 || id >= m->n_jobs_alloc)
                return NULL;
        return m->jobs[id];
}

void manager_get_counts(Manager *m, SchedCounts *ret) {
        sched_get_counts(m->sched, ret);
}

uint32_t manager_get_max_parallel(Manager *m) {
        uint32_t v = sched_get_max_parallel(m->sched);
        return v == SCHED_UNLIMITED ? 0 : v;
}

int manager_foreach_group(Manager *m, int (*f)(void *userdata, const SchedGroupInfo *g), void *userdata) {
        return sched_foreach_group(m->sched, f, userdata);
}

int manager_foreach_pool(Manager *m, int (*f)(void *userdata, const SchedPoolInfo *p), void *userdata) {
        return sched_foreach_pool(m->sched, f, userdata);
}

int manager_foreach_slot(Manager *m, const char *pool, int (*f)(void *userdata, const SchedSlotInfo *i),
                         void *userdata) {
        return sched_foreach_slot(m->sched, pool, f, userdata);
}

void manager_set_observers(Manager *m, const ManagerObservers *observers, void *userdata) {
        m->observers = observers;
        m->observers_userdata = userdata;
}

void manager_job_changed(Manager *m, Job *j, JobChange changed) {
        run_job_changed(m, j);
        manager_notify(m, job_changed, j, changed);
}

static void manager_send_counts(Manager *m) {
        ManagerChange what = 0;
        SchedCounts c;
        uint32_t mp;

        if (!m->observers)
                return;
        sched_get_counts(m->sched, &c);
        mp = sched_get_max_parallel(m->sched);
        if (!m->counts_sent || c.running != m->last_counts.running)
                what |= MANAGER_CHANGE_JOBS_RUNNING;
        if (!m->counts_sent || c.queued != m->last_counts.queued)
                what |= MANAGER_CHANGE_JOBS_QUEUED;
        if (!m->counts_sent || c.waiting != m->last_counts.waiting)
                what |= MANAGER_CHANGE_JOBS_WAITING;
        if (!m->counts_sent || mp != m->last_max_parallel)
                what |= MANAGER_CHANGE_MAX_PARALLEL;
        m->last_counts = c;
        m->last_max_parallel = mp;
        m->counts_sent = true;
        if (what != 0)
                manager_notify(m, changed, what);
}

/* One scheduler pass serves many changes: it runs once the bus has nothing more for us (a lower priority
 * than the bus), but after RESCHEDULE_BATCH requests it runs at the bus's priority, so that a flood of
 * pipelined Submits does not keep every job waiting until the last one is answered. */
#define RESCHEDULE_BATCH 32U
#define RESCHEDULE_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 10)

static int on_root_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_reschedule(userdata);
        return 0;
}

/* Whether jobs can be started: the cgroup root may have been removed (and made again) while jobd runs.
 * Until it is back, no job is started (they would all fail); checked at each scheduler pass, and every
 * second while it is gone. */
static bool manager_root_ok(Manager *m) {
        int r;

        if (!m->backend || !m->backend->ops->root_check)
                return true;
        r = m->backend->ops->root_check(m->backend);
        if (r > 0) {
                if (m->root_missing) {
                        log_notice("The cgroup root %s is there again: starting jobs again.", m->backend->root_path);
                        m->root_missing = false;
                        m->root_retry_source = sd_event_source_disable_unref(m->root_retry_source);
                }
                return true;
        }
        if (!m->root_missing) {
                log_error("The cgroup root %s was removed: starting no jobs until it is there again (jobs "
                          "stay queued).", m->backend->root_path);
                m->root_missing = true;
        }
        if (!m->root_retry_source)
                r = sd_event_add_time_relative(m->event, &m->root_retry_source, CLOCK_MONOTONIC, USEC_PER_SEC,
                                               0, on_root_retry, m);
        else
                r = sd_event_source_set_time_relative(m->root_retry_source, USEC_PER_SEC);
        if (r >= 0)
                (void) sd_event_source_set_enabled(m->root_retry_source, SD_EVENT_ONESHOT);
        return false;
}

static int on_reschedule(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        uint64_t id;

        if (m->reschedule_requests >= RESCHEDULE_BATCH)
                (void) sd_event_source_set_priority(s, RESCHEDULE_PRIORITY);
        m->reschedule_requests = 0;

        manager_jobservers_collect(m);
        /* A job is started only once its start line can be written (read-only mode: none). */
        if (!manager_root_ok(m))
                goto counts;
        while (!m->journal.read_only && sched_next(m->sched, &id) > 0) {
                Job *j = manager_get_job(m, id);

                if (!j) {
                        (void) sched_job_finished(m->sched, id, SCHED_RESULT_LOST, -1);
                        continue;
                }
                (void) job_start(j);
        }
        manager_update_slot_reasons(m);
        manager_jobservers_refill(m);
counts:
        manager_send_counts(m);
        return 0;
}

void manager_reschedule(Manager *m) {
        if (++m->reschedule_requests == RESCHEDULE_BATCH)
                (void) sd_event_source_set_priority(m->reschedule_source, SD_EVENT_PRIORITY_NORMAL);
        (void) sd_event_source_set_enabled(m->reschedule_source, SD_EVENT_ONESHOT);
}

/* The first id >= from (and < end) whose done bit is set, or end. */
static uint64_t next_done(Manager *m, uint64_t from, uint64_t end) {
        end = MIN(end, m->n_jobs_alloc);
        while (from < end) {
                uint64_t w = m->done_bits[from / 64] >> (from % 64);

                if (w != 0)
                        return MIN(from + (uint64_t) __builtin_ctzll(w), end);
                from = (from / 64 + 1) * 64;
        }
        return end;
}

/* Finished jobs a GC pass looks at, at most (those that must stay, depended on or kept, are looked at on
 * every sweep): a sweep from the oldest job to the newest takes as many passes, one per loop iteration,
 * as it needs. The jobs not done yet it steps over 64 at a time (Manager.done_bits): 200k of them queued
 * behind short jobs that keep finishing were read one by one on every completion. */
#define GC_SCAN_MAX 4096U

static int on_gc(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        uint64_t kept_until, id;
        unsigned n = 0;
        bool more = false;
        int r;

        /* Jobs forgotten before: the lowest id that may still be collected moves past them. */
        while (m->gc_cursor < m->next_id && !m->jobs[m->gc_cursor])
                m->gc_cursor++;

        /* Oldest finished jobs first; a job others still depend on stays until they are done. */
        for (id = next_done(m, MAX(m->gc_scan, m->gc_cursor), m->next_id);
             id < m->next_id && m->n_done > m->keep_finished;
             id = next_done(m, id + 1, m->next_id)) {
                Job *j = m->jobs[id];

                if (++n > GC_SCAN_MAX) {
                        /* The sweep goes on from here on the next iteration. */
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                        more = true;
                        break;
                }
                if (!j || j->state != JOB_DONE) {
                        manager_note_done(m, id, false);        /* a stale hint */
                        continue;
                }
                /* KeepRuns=: the jobs of the newest runs of each name stay, for comparisons; the whole
                 * run is stepped over, so that a pass costs per run kept, not per job kept. */
                kept_until = manager_job_kept_until(m, id);
                if (kept_until > id) {
                        id = kept_until;
                        continue;
                }
                /* Jobs that ended before a restart are not known to the scheduler (-ENOENT). */
                if (kept_until == id || ((r = sched_forget(m->sched, id)) < 0 && r != -ENOENT))
                        continue;
                if (id == m->gc_cursor)
                        m->gc_cursor++;
                manager_notify(m, job_removed, id);
                manager_note_done(m, id, false);
                m->jobs[id] = job_free(j);
                m->n_jobs--;
                m->n_done--;
                m->forgotten_since_compact++;
        }
        /* Done (nothing more to forget, or the newest job reached): the next sweep starts from the oldest
         * job again, so that the oldest finished job is always the first forgotten. */
        m->gc_scan = more ? id : 0;

        /* The journal still has every forgotten job's lines: rewrite it once as many were forgotten as are
         * kept, so its size stays proportional to what is kept and the cost per job stays constant. */
        if ((m->forgotten_since_compact >= m->keep_finished + JOURNAL_COMPACT_SLACK || m->removed_since_compact) &&
            m->journal.compact_pid <= 0) {
                /* In a child process: the event loop goes on meanwhile. A job removed while one runs is in
                 * that child's copy: on_compact_done() brings us back here for another. */
                r = journal_compact_start(&m->journal);
                if (r < 0)
                        log_warning_errno(r, "Cannot rewrite the journal in %s, ignoring: %m", m->state_dir);
                m->forgotten_since_compact = 0;
                m->removed_since_compact = false;
        }
        return 0;
}

int manager_remove_job(Manager *m, Job *j) {
        char name[32];
        uint64_t id = j->id;
        int fd, r;

        if (j->state != JOB_DONE)
                return -EBUSY;
        if (manager_run_of_job(m, id))
                return -EXDEV;
        /* Jobs that ended before a restart are not known to the scheduler (-ENOENT); -EBUSY: a job that
         * is not done yet depends on it. */
        r = sched_forget(m->sched, id);
        if (r < 0 && r != -ENOENT)
                return r;

        /* Its log goes with it: in its owner's folder, which they may change at will, so only that
         * name there is removed. */
        snprintf(name, sizeof(name), "%u", (unsigned) (m->system_mode ? j->owner : m->uid));
        fd = openat(m->logs_dir_fd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                snprintf(name, sizeof(name), "%llu.log", (unsigned long long) id);
                if (unlinkat(fd, name, 0) < 0 && errno != ENOENT)
                        log_debug_errno(-errno, "Job %llu: cannot remove its log, ignoring: %m",
                                        (unsigned long long) id);
                safe_close(fd);
        }
        job_slurm_remove_log(j);

        /* A restart takes the next id from the folders in DIR/jobs (and the journal): the newest job, if it
         * never started, leaves its folder, so that its id is not given out again. */
        if (id + 1 == m->next_id && j->state_dir_fd < 0) {
                snprintf(name, sizeof(name), "%llu", (unsigned long long) id);
                if (state_open_subdir(m->jobs_dir_fd, name, m->uid, 0755, &fd) >= 0)
                        safe_close(fd);
        }

        manager_notify(m, job_removed, id);
        manager_note_done(m, id, false);
        m->jobs[id] = job_free(j);
        m->n_jobs--;
        m->n_done--;
        /* The journal still has its lines: rewritten once this loop iteration's removals are done, so
         * that a removed job does not come back after a restart. */
        m->forgotten_since_compact++;
        m->removed_since_compact = true;
        (void) sd_event_source_set_enabled(m->gc_source, SD_EVENT_ONESHOT);
        return 0;
}

void manager_count_done(Manager *m) {
        m->n_done++;
        if (m->n_done > m->keep_finished)
                (void) sd_event_source_set_enabled(m->gc_source, SD_EVENT_ONESHOT);
}

void manager_job_done(Manager *m, Job *j) {
        int r;

        /* Nothing of the job runs any more: neither do its makes. */
        jobserver_release(TAKE_PTR(j->jobserver));
        r = sched_job_finished(m->sched, j->id, job_result_to_sched(j->result), j->exit_code);
        if (r < 0)
                log_warning_errno(r, "Job %llu: scheduler does not know it as running, ignoring: %m",
                                  (unsigned long long) j->id);
        (void) job_record_attempt(j);
        if (r == SCHED_FINISH_RETRY) {
                job_retry_later(j);
        } else {
                job_complete(j);
                manager_count_done(m);
        }
        manager_reschedule(m);
}

static void on_sched_state_changed(void *userdata, uint64_t id, SchedState state, SchedResult result,
                                   uint64_t cause_id, SchedResult cause_result) {
        Manager *m = userdata;
        Job *j = manager_get_job(m, id);
        char reason[512];

        if (!j)
                return;
        switch (state) {
        case SCHED_WAITING:
                job_set_state(j, JOB_WAITING, 0);
                break;
        case SCHED_QUEUED:
                job_set_state(j, JOB_QUEUED, 0);
                break;
        case SCHED_DONE:
                if (j->state == JOB_DONE)
                        break;
                if (result == SCHED_RESULT_SKIPPED) {
                        Job *cause = manager_get_job(m, cause_id);
                        snprintf(reason, sizeof(reason), "Dependency %llu%s%s%s ended with result %s",
                                 (unsigned long long) cause_id, cause && cause->spec.name ? " (" : "",
                                 cause && cause->spec.name ? cause->spec.name : "",
                                 cause && cause->spec.name ? ")" : "", sched_result_to_string(cause_result));
                        job_finish_unstarted(j, JOB_SKIPPED, reason);
                } else
                        job_finish_unstarted(j, result == SCHED_RESULT_CANCELLED ? JOB_CANCELLED : JOB_LOST, NULL);
                manager_count_done(m);
                break;
        default:
                break;
        }
}

static void on_slot_quarantined(void *userdata, const char *pool, const char *slot) {
        manager_send_slot_quarantined(userdata, pool, slot);
}

static const SchedCallbacks sched_callbacks = {
        .state_changed = on_sched_state_changed,
        .slot_quarantined = on_slot_quarantined,
};

#define DONE_WORDS(n) (((n) + 63) / 64)

int manager_grow(Manager *m, uint64_t id) {
        if (id < m->n_jobs_alloc)
                return 0;
        /* Doubling may not be enough: a plan, or ids restored after a gap, jump ahead. */
        uint64_t n = MAX(MAX(m->n_jobs_alloc * 2, (uint64_t) 1024), id + 1);
        uint64_t *b = reallocarray(m->done_bits, DONE_WORDS(n), sizeof(uint64_t));
        if (!b)
                return -ENOMEM;
        memset(b + DONE_WORDS(m->n_jobs_alloc), 0,
               (DONE_WORDS(n) - DONE_WORDS(m->n_jobs_alloc)) * sizeof(uint64_t));
        m->done_bits = b;
        Job **t = reallocarray(m->jobs, n, sizeof(Job *));
        if (!t)
                return -ENOMEM;
        memset(t + m->n_jobs_alloc, 0, (n - m->n_jobs_alloc) * sizeof(Job *));
        m->jobs = t;
        m->n_jobs_alloc = n;
        return 0;
}

void manager_note_done(Manager *m, uint64_t id, bool done) {
        if (id >= m->n_jobs_alloc)
                return;
        if (done)
                m->done_bits[id / 64] |= UINT64_C(1) << (id % 64);
        else
                m->done_bits[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

int manager_refuse_state_full(Manager *m, char **ret_message) {
        errno = -(m->journal.error ?: -EROFS);
        if (asprintf(ret_message, "The state folder %s cannot be written (%m): jobd accepts no jobs until "
                     "it can", m->state_dir) < 0)
                *ret_message = NULL;
        return -EROFS;
}

int manager_submit(Manager *m, JobSpec *spec, uid_t owner, Job **ret, char **ret_message) {
        SchedResourceRequest res[SCHED_RESOURCES_MAX];
        uint64_t size_before;
        const char *why = NULL;
        uint64_t id, bad = 0;
        unsigned n_fds;
        Job *j;
        int r;

        manager_apply_defaults(m, spec);
        r = job_spec_validate(spec, ret_message);
        if (r < 0)
                return r;
        r = manager_resolve_backend(m, spec, ret_message);
        if (r < 0)
                return r;
        r = manager_check_user_limits(m, owner, spec, ret_message);
        if (r < 0)
                return r;
        /* A cluster job's limits are Slurm's requests, not this machine's cgroup's. */
        r = spec->backend == JOB_BACKEND_SLURM ? 0 : m->backend->ops->check_limits(m->backend, &spec->limits, &why);
        if (r < 0) {
                *ret_message = strdup(why);
                return r;
        }
        if (m->n_jobs >= MANAGER_JOBS_MAX ||
            manager_quota_unfinished(m, owner) >= MANAGER_JOBS_PER_USER_MAX) {
                if (asprintf(ret_message, "Too many unfinished jobs for uid %u (at most %u)", (unsigned) owner,
                             MANAGER_JOBS_PER_USER_MAX) < 0)
                        *ret_message = NULL;
                return -EDQUOT;
        }
        r = manager_check_quota(m, owner, 1, job_spec_bytes(spec), ret_message);
        if (r < 0)
                return r;

        if (m->journal.read_only)
                return manager_refuse_state_full(m, ret_message);

        n_fds = (spec->stdio_fds[0] >= 0) + (spec->stdio_fds[1] >= 0) + (spec->stdio_fds[2] >= 0);
        if (n_fds > 0 && m->n_client_fds + n_fds > MANAGER_CLIENT_FDS_MAX) {
                if (asprintf(ret_message, "StdinFD/StdoutFD/StderrFD: unfinished jobs hold %u client file "
                             "descriptors already (at most %u); submit without them or later",
                             m->n_client_fds, MANAGER_CLIENT_FDS_MAX) < 0)
                        *ret_message = NULL;
                return -EDQUOT;
        }

        id = m->next_id;
        r = manager_grow(m, id);
        if (r < 0)
                return r;
        r = job_new(m, id, spec, owner, &j);
        if (r < 0)
                return r;

        for (size_t i = 0; i < j->spec.n_resources; i++)
                res[i] = (SchedResourceRequest) { j->spec.resources[i].pool, j->spec.resources[i].amount };

        m->jobs[id] = j;
        /* Its line first: a reply means it is in the file, and whatever the scheduler decides at once (a
         * skip) comes after it. Cut off again if the scheduler refuses the job. */
        size_before = m->journal.size;
        r = journal_submit(&m->journal, j);
        if (r < 0) {
                m->jobs[id] = NULL;
                *spec = j->spec;
                job_spec_init(&j->spec);
                job_free(j);
                return manager_refuse_state_full(m, ret_message);
        }
        r = sched_add(m->sched, &(SchedJobSpec) {
                        .id = id,
                        .priority = j->spec.priority,
                        .owner = owner,
                        .group = j->spec.group,
                        .after = j->spec.after,
                        .n_after = j->spec.n_after,
                        .after_condition = j->spec.after_condition,
                        .resources = res,
                        .n_resources = j->spec.n_resources,
                        .retry = job_spec_retry_policy(&j->spec),
                        .held = job_wants_hold(j),
                      }, &bad);
        if (r < 0) {
                journal_truncate(&m->journal, size_before);
                m->jobs[id] = NULL;
                /* Give the spec back so the caller's cleanup closes the fds once. */
                *spec = j->spec;
                job_spec_init(&j->spec);
                job_free(j);
                if (r == -ENOENT)
                        r = asprintf(ret_message, "After: no job with id %llu", (unsigned long long) bad) < 0
                                ? -ENOMEM : -ENOENT;
                else if (r == -ENXIO || r == -ENOSPC) {
                        const char *pool = NULL;

                        /* Name the pool: the first that does not exist, else the first asked for. */
                        for (size_t i = 0; i < spec->n_resources && !pool; i++)
                                if (r == -ENXIO ? !manager_pool_exists(m, spec->resources[i].pool) :
                                                  spec->n_resources == 1)
                                        pool = spec->resources[i].pool;
                        if (r == -ENXIO)
                                r = asprintf(ret_message, "Resources: no pool named \"%s\" (see jobctl pools)",
                                             strna(pool)) < 0 ? -ENOMEM : r;
                        else
                                r = asprintf(ret_message, "Resources: asks for more than the capacity of %s%s%s",
                                             pool ? "pool \"" : "a pool", strempty(pool), pool ? "\"" : "") < 0
                                        ? -ENOMEM : r;
                }
                else if (r == -E2BIG)
                        r = asprintf(ret_message, "After/Resources: too many entries") < 0 ? -ENOMEM : -EINVAL;
                return r;
        }
        m->next_id++;
        m->n_jobs++;
        m->n_client_fds += n_fds;
        manager_quota_count(m, j);
        /* A job that asks for slots: its pool may have none but quarantined ones (its Reason says so). */
        if (j->spec.n_resources > 0)
                m->slot_reasons_dirty = true;
        /* Held (Hold, NotBeforeUSec): the Reason says until when; announced with JobNew. */
        if (job_wants_hold(j)) {
                (void) job_apply_hold(j);
                (void) job_arm_not_before(j);
        }
        /* Not announced yet: JobNew follows. */
        if (r == SCHED_QUEUED)
                job_set_state(j, JOB_QUEUED, JOB_CHANGE_QUIET);
        else if (r == SCHED_WAITING)
                job_set_state(j, JOB_WAITING, JOB_CHANGE_QUIET);

        manager_notify(m, job_new, id, false);
        manager_reschedule(m);
        *ret = j;
        return 0;
}

void manager_set_max_parallel(Manager *m, unsigned n) {
        sched_set_max_parallel(m->sched, n == 0 ? SCHED_UNLIMITED : n);
        manager_log_control_globals(m);
        manager_reschedule(m);
}

/* Job ids continue after the highest one found in the state folder, so a restarted daemon never
 * reuses a folder (and log) of an earlier job. */
static uint64_t scan_next_id(int dir_fd) {
        uint64_t max = 0;
        DIR *d;
        int fd;

        fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return 1;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return 1;
        }
        for (struct dirent *de; (de = readdir(d));) {
                uint64_t v;
                if (safe_atou64(de->d_name, &v) >= 0 && v > max && v < UINT64_MAX / 2)
                        max = v;
        }
        closedir(d);
        return max + 1;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received SIG%s, exiting; running jobs keep running in their cgroups.",
                 signal_to_string((int) si->ssi_signo) ?: "?");
        manager_save_controls(m);   /* with the slots' failure counts, which are not saved as they change */
        return sd_event_exit(m->event, 0);
}

int manager_new(const ManagerConfig *c, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *c_backend = c->backend;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_oom();
        m->jobs_dir_fd = m->logs_dir_fd = m->jobserver_dir_fd = -EBADF;
        m->log_dir_fd = -EBADF;
        m->controls_log_fd = -EBADF;
        journal_init(&m->journal, -EBADF);
        journal_init_manager(&m->journal, m);
        m->system_mode = c->system_mode;
        m->uid = getuid();
        m->kill_grace = c->kill_grace;
        m->keep_finished = c->keep_finished;

        m->state_dir = strdup(c->state_dir);
        m->exec_path = strdup(c->exec_path);
        if (!m->state_dir || !m->exec_path)
                return log_oom();

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot allocate the event loop: %m");
        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_exit_signal, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch SIGTERM/SIGINT: %m");

        r = sd_event_add_defer(m->event, &m->reschedule_source, on_reschedule, m);
        if (r < 0)
                return log_error_errno(r, "Cannot allocate the scheduler event source: %m");
        (void) sd_event_source_set_description(m->reschedule_source, "reschedule");
        (void) sd_event_source_set_enabled(m->reschedule_source, SD_EVENT_OFF);
        /* After the bus and job events of an iteration, so many changes make one pass. */
        (void) sd_event_source_set_priority(m->reschedule_source, RESCHEDULE_PRIORITY);

        r = sd_event_add_defer(m->event, &m->gc_source, on_gc, m);
        if (r < 0)
                return log_error_errno(r, "Cannot allocate the GC event source: %m");
        (void) sd_event_source_set_description(m->gc_source, "gc");
        (void) sd_event_source_set_enabled(m->gc_source, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(m->gc_source, SD_EVENT_PRIORITY_IDLE);

        r = sched_new(&sched_callbacks, m, &m->sched);
        if (r < 0)
                return log_error_errno(r, "Cannot allocate the scheduler: %m");
        sched_set_max_parallel(m->sched, c->max_parallel == 0 ? SCHED_UNLIMITED : c->max_parallel);

        /* The journal holds commands the daemon runs as any uid: a state folder (or a part of it) that
         * someone else could have written is refused, not trusted. */
        {
                _cleanup_close_ int sfd = -EBADF;

                r = state_dir_open(c->state_dir, m->uid, &sfd);
                if (r < 0)
                        return r;
                r = state_open_subdir(sfd, "jobs", m->uid, 0755, &m->jobs_dir_fd);
                if (r < 0)
                        return log_error_errno(r, "Refusing the state folder %s: its jobs/ is %s.",
                                               c->state_dir, state_strerror(r));
                /* Where each user's folder of logs lives (job.c): searchable by all, each folder in it
                 * its user's alone. */
                r = state_open_subdir(sfd, "logs", m->uid, 0755, &m->logs_dir_fd);
                if (r < 0)
                        return log_error_errno(r, "Refusing the state folder %s: its logs/ is %s.",
                                               c->state_dir, state_strerror(r));
                /* The jobservers' FIFOs (jobserver.c): searchable by all, each folder in it its user's
                 * alone, like logs/. */
                r = state_open_subdir(sfd, JOBSERVER_DIR, m->uid, 0755, &m->jobserver_dir_fd);
                if (r < 0)
                        log_warning_errno(r, "No jobservers: the state folder's " JOBSERVER_DIR "/ is %s.",
                                          state_strerror(r));
                journal_init(&m->journal, TAKE_FD(sfd));
                journal_init_manager(&m->journal, m);
        }
        m->next_id = scan_next_id(m->jobs_dir_fd);
        m->gc_cursor = m->next_id;

        /* slurm: jobs go to the cluster unless they ask for Backend "local", which runs them on the backend
         * auto picks. */
        if (streq(c->backend, "slurm")) {
                m->slurm_default = true;
                c_backend = "auto";
        }
        /* auto: systemd if a manager answers, unless a cgroup root was given (that asks for cgroupfs). */
        if (streq(c_backend, "systemd") || (streq(c_backend, "auto") && !c->cgroup_root)) {
                if (c->cgroup_root && streq(c_backend, "systemd"))
                        return log_error_errno(-EINVAL, "--cgroup-root= is for the cgroupfs backend; systemd "
                                               "places jobs in scopes of its own slice.");
                r = backend_systemd_new(m->event, c->system_mode, streq(c_backend, "auto"), &m->backend);
                if (r < 0 && streq(c_backend, "systemd"))
                        return r;
        }
        if (m->backend)
                ;
        else if (streq(c_backend, "auto") || streq(c_backend, "cgroupfs")) {
                r = backend_cgroupfs_new(c->cgroup_root, &m->backend);
                if (r < 0) {
                        /* With --cgroup-root= no systemd manager was asked: the backend said why the
                         * folder does not do. */
                        if (c->cgroup_root) {
                                log_error("Cannot put the jobs' cgroups below --cgroup-root=%s: it must be a "
                                          "writable, delegated cgroup v2 folder.", c->cgroup_root);
                                return r;
                        }
                        if (streq(c_backend, "auto"))
                                log_error("No backend can isolate jobs here: no systemd manager answers and no "
                                          "writable delegated cgroup; jobd does not run jobs unisolated.");
                        return r;
                }
        } else
                return log_error_errno(-EINVAL, "Unknown backend \"%s\" (known: auto, systemd, cgroupfs, "
                                       "slurm).", c_backend);
        log_debug("Backend %s, job cgroups below %s.", m->backend->ops->name, m->backend->root_path);

        /* Pools and groups first: the restored jobs ask for them. The built-in per-user limits hold unless
         * jobd.conf says otherwise. */
        r = manager_setup_user_limits(m, NULL, NULL);
        if (r < 0)
                return r;
        r = manager_load_config(m, c->config_path);
        if (r < 0)
                return r;
        if (m->slurm_default && !m->slurm)
                return log_error_errno(-EINVAL, "--backend=slurm needs a [Slurm] section in jobd.conf (%s): "
                                       "where the cluster is, and its shared folder (see jobd.conf(5)).",
                                       c->config_path ?: "the default one");
        m->max_parallel_option = c->max_parallel_set ? (int64_t) c->max_parallel : -1;
        r = manager_load_controls(m);
        if (r < 0)
                return r;
        r = manager_restore(m);
        if (r < 0)
                return r;
        manager_apply_saved_holds(m);
        m->controls_ready = true;
        manager_save_controls(m);   /* what jobd.conf changed, and its digest */

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (uint64_t id = 0; id < m->n_jobs_alloc; id++)
                job_free(m->jobs[id]);
        free(m->jobs);
        free(m->done_bits);
        manager_runs_free(m);
        manager_resources_free(m);
        manager_quota_free(m);
        /* Its worker thread and event sources go before the event loop. */
        manager_slurm_free(m);
        strv_free(m->held_groups);
        strv_free(m->config_groups);
        sched_free(m->sched);
        backend_free(m->backend);
        sd_event_source_disable_unref(m->reschedule_source);
        sd_event_source_disable_unref(m->gc_source);
        sd_event_source_disable_unref(m->root_retry_source);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        if (m->observers && m->observers->detach)
                m->observers->detach(m, m->observers_userdata);
        sd_event_unref(m->event);
        journal_close(&m->journal);
        safe_close(m->journal.dir_fd);
        safe_close(m->jobs_dir_fd);
        safe_close(m->logs_dir_fd);
        safe_close(m->log_dir_fd);
        safe_close(m->controls_log_fd);
        manager_jobservers_free(m);
        safe_close(m->jobserver_dir_fd);
        free(m->state_dir);
        free(m->exec_path);
        free(m);
        return NULL;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
