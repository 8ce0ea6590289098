/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as-user.h"
#include "escape-util.h"
#include "journal.h"
#include "log.h"
#include "message-util.h"
#include "quota.h"
#include "resources.h"
#include "run.h"
#include "job-slurm.h"
#include "strv.h"
#include "user-util.h"

/* What a run last saw of a job: its state and result in one byte. */
#define RUN_STATUS(state, result) ((uint8_t) ((unsigned) (state) | ((unsigned) (result) << 3)))
#define RUN_STATUS_STATE(s) ((JobState) ((s) & 7))
#define RUN_STATUS_RESULT(s) ((JobResult) ((s) >> 3))

/* 0, or -ENOMEM if the message cannot be made. */
#define set_message(ret, ...) message_set(ret, 0, __VA_ARGS__)

static int cmp_run_id(const void *key, const void *elem) {
        uint64_t id = *(const uint64_t *) key;
        const Run *r = *(Run *const *) elem;

        return (id > r->id) - (id < r->id);
}

Run *manager_get_run(Manager *m, uint64_t id) {
        Run **r;

        if (m->n_runs == 0)
                return NULL;
        r = bsearch(&id, m->runs, m->n_runs, sizeof(Run *), cmp_run_id);
        return r ? *r : NULL;
}

static int cmp_run_range(const void *key, const void *elem) {
        uint64_t id = *(const uint64_t *) key;
        const Run *r = *(Run *const *) elem;

        if (id < r->first_job)
                return -1;
        return id >= r->first_job + r->n_jobs;
}

Run *manager_run_of_job(Manager *m, uint64_t job_id) {
        Run **r;

        /* Runs are in id order, and so in the order of their job ranges, which never overlap. */
        if (m->n_runs == 0)
                return NULL;
        r = bsearch(&job_id, m->runs, m->n_runs, sizeof(Run *), cmp_run_range);
        return r ? *r : NULL;
}

static Run *run_free(Run *r) {
        if (!r)
                return NULL;
        free(r->name);
        free(r->output_root);
        job_shared_env_unref(r->environment);
        sd_event_source_disable_unref(r->announce_source);
        sd_event_source_disable_unref(r->cancel_source);
        sd_event_source_disable_unref(r->retry_source);
        free(r->retry_ids);
        sd_event_source_disable_unref(r->timeout_source);
        sd_event_source_disable_unref(r->links_source);
        free(r->links_pending);
        free(r->job_status);
        free(r->first_result);
        free(r);
        return NULL;
}

void manager_runs_free(Manager *m) {
        for (size_t i = 0; i < m->n_runs; i++)
                run_free(m->runs[i]);
        m->runs = mfree(m->runs);
        m->n_runs = 0;
        m->runs_source = sd_event_source_disable_unref(m->runs_source);
}

JobResult run_job_result(const Run *r, uint32_t k) {
        return RUN_STATUS_RESULT(r->job_status[k]);
}

JobResult run_job_first_result(const Run *r, uint32_t k) {
        return r->first_result ? (JobResult) r->first_result[k] : JOB_RESULT_NONE;
}

/* Until the run first finished, a job's first result is what it is once done; Retry() changes nothing
 * of it after. */
static void run_note_first(Run *r, uint32_t k, JobResult result) {
        if (r->first_pass_done || !r->first_result || r->first_result[k] != JOB_RESULT_NONE ||
            result == JOB_RESULT_NONE)
                return;
        r->first_result[k] = (uint8_t) result;
        r->first_result_counts[result]++;
}

static void run_first_recount(Run *r) {
        memset(r->first_result_counts, 0, sizeof(r->first_result_counts));
        for (uint32_t k = 0; k < r->n_jobs; k++)
                if (r->first_result[k] < _JOB_RESULT_MAX)
                        r->first_result_counts[r->first_result[k]]++;
                else
                        r->first_result[k] = JOB_RESULT_NONE;
}

static bool run_is_done(const Run *r) {
        return r->state_counts[JOB_DONE] == r->n_jobs;
}

const char *run_state(const Run *r) {
        return run_is_done(r) ? "done" : r->paused ? "paused" : "running";
}

const char *run_result(const Run *r) {
        if (!run_is_done(r))
                return "";
        if (r->timed_out)
                return "timeout";
        if (r->cancelled)
                return "cancelled";
        return r->result_counts[JOB_SUCCESS] == r->n_jobs ? "success" : "failed";
}

/* The run's MaxParallel in the scheduler, on top of every other limit (whatever groups its jobs are in),
 * while it has jobs to start. */
static int run_set_limit(Run *r, bool on) {
        if (r->max_parallel == 0)
                return 0;
        return sched_set_run_limit(r->manager->sched, r->id, on ? r->max_parallel : SCHED_UNLIMITED);
}

static void run_mark_changed(Run *r) {
        r->changed = true;
        (void) sd_event_source_set_enabled(r->manager->runs_source, SD_EVENT_ONESHOT);
}

/* JobNew for the run's jobs up to (not including) index end. */
static void run_announce(Run *r, uint32_t end) {
        Manager *m = r->manager;

        for (; r->n_announced < MIN(end, r->n_jobs); r->n_announced++) {
                Job *j = manager_get_job(m, r->first_job + r->n_announced);

                if (j && j->announced)
                        continue;       /* ahead of its batch, by run_job_changed() */
                manager_notify(m, job_new, r->first_job + r->n_announced, true);
        }
        if (r->n_announced >= r->n_jobs)
                r->announce_source = sd_event_source_disable_unref(r->announce_source);
}

/* A plan's JobNew signals go out in batches, one per loop iteration after the reply, so that the bus
 * connection's queue stays short (sd-bus moves the whole queue for every message it writes). A job that
 * changes before its turn is announced first (run_job_changed()). */
#define RUN_ANNOUNCE_BATCH 1024U

static int on_announce(sd_event_source *s, void *userdata) {
        Run *r = userdata;

        run_announce(r, r->n_announced + RUN_ANNOUNCE_BATCH);
        return 0;
}

static int run_announce_later(Run *r) {
        int q;

        q = sd_event_add_defer(r->manager->event, &r->announce_source, on_announce, r);
        if (q < 0) {
                run_announce(r, r->n_jobs);
                return q;
        }
        (void) sd_event_source_set_description(r->announce_source, "run-announce");
        /* Every iteration until all are announced (run_announce() drops the source then): a defer source
         * is one-shot by default, which left all but the first batch to be announced only when the jobs
         * changed, the whole rest at once when the last job did (a Cancel() of the run: a second's stall
         * at 100k jobs). */
        (void) sd_event_source_set_enabled(r->announce_source, SD_EVENT_ON);
        /* Before the scheduler's pass: the jobs it starts are announced already, as a rule. */
        (void) sd_event_source_set_priority(r->announce_source, SD_EVENT_PRIORITY_NORMAL + 5);
        return 0;
}

/* The folders of links under a run's OutputRoot, by result. */
static const char *const output_folders[] = { "passing", "failed", "killed", "skipped" };

static unsigned output_folder_of(JobResult res) {
        switch (res) {
        case JOB_SUCCESS:
                return 0;
        case JOB_KILLED:
        case JOB_CANCELLED:
                return 2;
        case JOB_SKIPPED:
                return 3;
        default:
                return 1;
        }
}

/* A job's link name: its name as one path component ('/' as '_'), or job-<id>. */
static void output_link_name(const Job *j, char *buf, size_t l) {
        const char *n = j->spec.name;

        bool reserved = false;

        /* Not one of the folders of links beside the jobs' folders. */
        for (size_t i = 0; n && i < ELEMENTSOF(output_folders); i++)
                reserved = reserved || streq(n, output_folders[i]);
        if (isempty(n) || streq(n, ".") || streq(n, "..") || reserved) {
                snprintf(buf, l, "job-%llu", (unsigned long long) j->id);
                return;
        }
        snprintf(buf, l, "%s", n);
        for (char *c = buf; *c; c++)
                if (*c == '/')
                        *c = '_';
}

/* Made as the run's owner (src/core/as-user.c): never by root in a user's folder. Once per loop
 * iteration for the jobs that finished in it. */
static int on_links_pending(sd_event_source *s, void *userdata) {
        Run *r = userdata;
        Manager *m = r->manager;
        _cleanup_(user_record_freep) UserRecord *user = NULL;
        _cleanup_free_ OutputLink *links = NULL;
        _cleanup_free_ char *names = NULL;
        AsUser u = { .uid = m->system_mode ? r->owner : m->uid, .gid = (gid_t) -1 };
        size_t n = 0;
        int q;

        r->links_source = sd_event_source_disable_unref(r->links_source);
        links = calloc(MAX(r->n_links_pending, (size_t) 1), sizeof(OutputLink));
        names = calloc(MAX(r->n_links_pending, (size_t) 1), JOB_NAME_MAX + 1);
        if (!links || !names)
                goto finish;
        for (size_t i = 0; i < r->n_links_pending; i++) {
                Job *j = manager_get_job(m, r->links_pending[i]);
                char *name = names + n * (JOB_NAME_MAX + 1);

                if (!j || j->state != JOB_DONE || !j->spec.output_directory)
                        continue;
                output_link_name(j, name, JOB_NAME_MAX + 1);
                links[n++] = (OutputLink) { .name = name, .target = j->spec.output_directory,
                                            .folder = output_folder_of(j->result) };
        }
        if (n == 0 || !r->output_root)
                goto finish;
        if (u.uid != geteuid()) {
                q = user_record_get(u.uid, &user);
                if (q < 0) {
                        log_warning_errno(q, "Run %llu: cannot look up uid %u for its output folders: %m",
                                          (unsigned long long) r->id, (unsigned) u.uid);
                        goto finish;
                }
                u.gid = user->gid;
                u.groups = user->groups;
                u.n_groups = user->n_groups;
        }
        q = output_links_as_user(&u, r->output_root, output_folders, ELEMENTSOF(output_folders), links, n);
        if (q < 0)
                log_warning_errno(q, "Run %llu: cannot update the links under %s: %m", (unsigned long long) r->id,
                                  r->output_root);
finish:
        r->n_links_pending = 0;
        return 0;
}

static void run_queue_link(Run *r, Job *j) {
        int q;

        if (!r->output_root || !j->spec.output_directory)
                return;
        if (r->n_links_pending >= r->n_links_alloc) {
                size_t n = MAX(r->n_links_alloc * 2, (size_t) 16);
                uint64_t *t = reallocarray(r->links_pending, n, sizeof(uint64_t));

                if (!t) {
                        log_oom();
                        return;
                }
                r->links_pending = t;
                r->n_links_alloc = n;
        }
        r->links_pending[r->n_links_pending++] = j->id;
        if (r->links_source)
                return;
        q = sd_event_add_defer(r->manager->event, &r->links_source, on_links_pending, r);
        if (q < 0) {
                log_warning_errno(q, "Run %llu: cannot update its output folders: %m", (unsigned long long) r->id);
                r->n_links_pending = 0;
                return;
        }
        (void) sd_event_source_set_description(r->links_source, "run-output-links");
}

void run_job_changed(Manager *m, Job *j) {
        uint8_t old, new;
        Run *r;

        r = manager_run_of_job(m, j->id);
        if (!r)
                return;
        /* Its JobNew before what tells the change, and only its own: announcing all the jobs before it as
         * well would send a whole plan's JobNew at once when its last job changes first (a Cancel() goes
         * from the last job to the first). */
        if (j->id - r->first_job >= r->n_announced && !j->announced) {
                manager_notify(m, job_new, j->id, true);
                j->announced = true;
        }
        old = r->job_status[j->id - r->first_job];
        new = RUN_STATUS(j->state, j->state == JOB_DONE ? j->result : JOB_RESULT_NONE);
        if (old == new)
                return;
        r->job_status[j->id - r->first_job] = new;

        r->state_counts[RUN_STATUS_STATE(old)]--;
        if (RUN_STATUS_STATE(old) == JOB_DONE)
                r->result_counts[RUN_STATUS_RESULT(old)]--;
        r->state_counts[j->state]++;
        if (j->state == JOB_DONE) {
                r->result_counts[j->result]++;
                run_queue_link(r, j);
                run_note_first(r, j->id - r->first_job, j->result);
        }

        if (r->paused && j->state == JOB_RUNNING)
                r->pause_pending = true;
        if (run_is_done(r) && r->finish_usec == 0) {
                r->finish_usec = now(CLOCK_REALTIME);
                r->finished_pending = true;
                r->first_pass_done = true;
                log_info("Run %llu%s%s%s finished: %s, %u of %u jobs succeeded.", (unsigned long long) r->id,
                         r->name ? " (" : "", strempty(r->name), r->name ? ")" : "", run_result(r),
                         r->result_counts[JOB_SUCCESS], r->n_jobs);
                r->timeout_source = sd_event_source_disable_unref(r->timeout_source);
        } else if (!run_is_done(r))
                r->finish_usec = 0;
        run_mark_changed(r);
}

static int on_run_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Run *r = userdata;
        int q;

        r->timeout_source = sd_event_source_disable_unref(r->timeout_source);
        if (run_is_done(r))
                return 0;
        log_info("Run %llu%s%s%s: RunTimeoutUSec passed, cancelling its unfinished jobs.", (unsigned long long) r->id,
                 r->name ? " (" : "", strempty(r->name), r->name ? ")" : "");
        r->timed_out = true;
        q = run_cancel(r);
        if (q < 0 && q != -EALREADY)
                log_warning_errno(q, "Run %llu: cannot cancel it: %m", (unsigned long long) r->id);
        return 0;
}

/* The watchdog of a run with a RunTimeoutUSec, at its deadline (CLOCK_REALTIME: it holds across a
 * restart of the daemon; one already past fires at once). */
static int run_arm_timeout(Run *r) {
        int q;

        r->timeout_source = sd_event_source_disable_unref(r->timeout_source);
        if (r->timeout_usec == 0 || r->deadline_usec == 0 || run_is_done(r))
                return 0;
        q = sd_event_add_time(r->manager->event, &r->timeout_source, CLOCK_REALTIME, r->deadline_usec,
                              USEC_PER_SEC / 100, on_run_timeout, r);
        if (q < 0)
                return log_warning_errno(q, "Run %llu: cannot arm its RunTimeoutUSec, ignoring: %m",
                                         (unsigned long long) r->id);
        (void) sd_event_source_set_description(r->timeout_source, "run-timeout");
        return 0;
}

/* Counts from scratch, from the jobs the table has and, for the others, from gone (per result, jobs
 * forgotten before a restart: which of them had which result no longer matters). */
static void run_recount(Run *r, const uint32_t *gone) {
        uint32_t left[_JOB_RESULT_MAX] = {};

        if (gone)
                memcpy(left, gone, sizeof(left));
        memset(r->state_counts, 0, sizeof(r->state_counts));
        memset(r->result_counts, 0, sizeof(r->result_counts));
        for (uint32_t k = 0; k < r->n_jobs; k++) {
                Job *j = manager_get_job(r->manager, r->first_job + k);

                if (j)
                        r->job_status[k] = RUN_STATUS(j->state, j->state == JOB_DONE ? j->result :
                                                                                      JOB_RESULT_NONE);
                else if (gone) {
                        JobResult g = JOB_SUCCESS;

                        while (g < _JOB_RESULT_MAX && left[g] == 0)
                                g++;
                        if (g < _JOB_RESULT_MAX)
                                left[g]--;
                        else
                                g = JOB_LOST;   /* more gone than the journal counted: damage */
                        r->job_status[k] = RUN_STATUS(JOB_DONE, g);
                }
                r->state_counts[RUN_STATUS_STATE(r->job_status[k])]++;
                if (RUN_STATUS_STATE(r->job_status[k]) == JOB_DONE)
                        r->result_counts[RUN_STATUS_RESULT(r->job_status[k])]++;
        }
        /* Before the first pass ended nothing was retried: what is done is its first result. */
        if (!r->first_pass_done)
                for (uint32_t k = 0; k < r->n_jobs; k++)
                        if (RUN_STATUS_STATE(r->job_status[k]) == JOB_DONE &&
                            r->first_result[k] == JOB_RESULT_NONE)
                                r->first_result[k] = RUN_STATUS_RESULT(r->job_status[k]);
        run_first_recount(r);
        if (run_is_done(r))
                r->first_pass_done = true;
        if (run_is_done(r) && r->finish_usec == 0) {
                r->finish_usec = now(CLOCK_REALTIME);
                r->finished_pending = true;
        } else if (!run_is_done(r))
                r->finish_usec = 0;
        run_mark_changed(r);
}

static void run_send_removed(Run *r) {
        manager_notify(r->manager, run_removed, r->id);
}

/* KeepRuns=: marks the newest keep_runs runs of each name (finished or not) as kept. Runs are in id order,
 * newest last. Quadratic in the runs, which are at most MANAGER_RUNS_MAX: done when runs come or go. */
static void runs_mark_kept(Manager *m) {
        for (size_t i = m->n_runs; i > 0; i--) {
                Run *r = m->runs[i - 1];
                unsigned newer = 0;

                r->kept = false;
                if (m->keep_runs == 0 || !r->name)
                        continue;
                for (size_t k = i; k < m->n_runs && newer < m->keep_runs; k++)
                        if (m->runs[k]->name && streq(m->runs[k]->name, r->name))
                                newer++;
                r->kept = newer < m->keep_runs;
        }
}

uint64_t manager_job_kept_until(Manager *m, uint64_t job_id) {
        Run *r;

        if (m->keep_runs == 0)
                return 0;
        r = manager_run_of_job(m, job_id);
        return r && r->kept ? r->first_job + r->n_jobs - 1 : 0;
}

/* Forgets the oldest finished runs beyond MANAGER_RUNS_MAX (their jobs stay, as jobs of no run), and with
 * KeepRuns= the finished runs of a name beyond its newest KeepRuns. */
static void runs_gc(Manager *m) {
        size_t w = 0, excess;

        if (m->keep_runs > 0 && m->runs_history_changed) {
                m->runs_history_changed = false;
                for (size_t i = 0; i < m->n_runs; i++) {
                        Run *r = m->runs[i];

                        if (r->name && !r->kept && run_is_done(r) && !r->finished_pending) {
                                log_debug("Run %llu (%s): beyond KeepRuns=%u of its name, forgotten.",
                                          (unsigned long long) r->id, r->name, m->keep_runs);
                                run_send_removed(r);
                                run_free(r);
                                continue;
                        }
                        m->runs[w++] = r;
                }
                m->n_runs = w;
                w = 0;
        }
        if (m->n_runs <= MANAGER_RUNS_MAX)
                return;
        excess = m->n_runs - MANAGER_RUNS_MAX;
        for (size_t i = 0; i < m->n_runs; i++) {
                Run *r = m->runs[i];

                if (excess > 0 && run_is_done(r) && !r->finished_pending) {
                        run_send_removed(r);
                        run_free(r);
                        excess--;
                        continue;
                }
                m->runs[w++] = r;
        }
        m->n_runs = w;
}

static int on_runs_changed(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_runs; i++) {
                Run *r = m->runs[i];

                if (r->pause_pending) {
                        r->pause_pending = false;
                        for (uint32_t k = 0; k < r->n_jobs && r->paused; k++) {
                                Job *j = manager_get_job(m, r->first_job + k);
                                if (j && j->state == JOB_RUNNING)
                                        (void) job_pause(j);
                        }
                }
                if (!r->changed)
                        continue;
                r->changed = false;
                manager_notify(m, run_changed, r);
                if (!r->finished_pending)
                        continue;
                r->finished_pending = false;
                /* Nothing left to hold: a Retry() of it must not start paused. */
                r->paused = r->pause_pending = false;
                journal_run(&m->journal, r);
                m->runs_history_changed = true;
                /* Let the scheduler forget the run's limit and hold. */
                run_set_limit(r, false);
                (void) sched_set_run_held(m->sched, r->id, false);
                manager_notify(m, run_finished, r);
        }
        runs_gc(m);
        return 0;
}

typedef struct PoolCheck {
        const char *name;
        bool found;
} PoolCheck;

static int pool_check(void *userdata, const SchedPoolInfo *p) {
        PoolCheck *c = userdata;

        if (streq(p->name, c->name)) {
                c->found = true;
                return 1;
        }
        return 0;
}

static bool pool_exists(Manager *m, const char *name) {
        PoolCheck c = { .name = name };

        (void) sched_foreach_pool(m->sched, pool_check, &c);
        return c.found;
}

bool manager_pool_exists(Manager *m, const char *name) {
        return pool_exists(m, name);
}

SchedJobSpec manager_job_sched_spec(Manager *m, Job *j, SchedResourceRequest *res) {
        Run *r = manager_run_of_job(m, j->id);

        for (size_t k = 0; k < j->spec.n_resources; k++)
                res[k] = (SchedResourceRequest) { j->spec.resources[k].pool, j->spec.resources[k].amount };
        return (SchedJobSpec) {
                .id = j->id,
                .priority = j->spec.priority,
                .owner = j->owner,
                .group = j->spec.group,
                .run = r ? r->id : 0,
                .after = j->spec.after,
                .n_after = j->spec.n_after,
                .after_condition = j->spec.after_condition,
                .resources = res,
                .n_resources = j->spec.n_resources,
                .retry = job_spec_retry_policy(&j->spec),
                .held = job_wants_hold(j),
        };
}

/* Adds the jobs of sel (ids of the run's jobs, each with its Job) to the scheduler as one batch. On
 * failure *ret_bad_id and the cycle are as sched_add_batch() says. */
static int run_sched_add(Run *r, const uint64_t *sel, size_t n, uint64_t *ret_bad_id, uint64_t **ret_cycle,
                         size_t *ret_n_cycle) {
        Manager *m = r->manager;
        _cleanup_free_ SchedResourceRequest *res = NULL;
        _cleanup_free_ SchedJobSpec *specs = NULL;
        size_t n_res = 0;

        for (size_t i = 0; i < n; i++)
                n_res += manager_get_job(m, sel[i])->spec.n_resources;
        specs = calloc(n, sizeof(SchedJobSpec));
        res = calloc(MAX(n_res, (size_t) 1), sizeof(SchedResourceRequest));
        if (!specs || !res)
                return -ENOMEM;
        n_res = 0;
        for (size_t i = 0; i < n; i++) {
                Job *j = manager_get_job(m, sel[i]);

                specs[i] = manager_job_sched_spec(m, j, res + n_res);
                n_res += j->spec.n_resources;
        }
        return sched_add_batch(m->sched, specs, n, ret_bad_id, ret_cycle, ret_n_cycle);
}

/* The job states the scheduler gave after an add: skips were reported already (job_finish_unstarted).
 * Quietly: the caller counts the run afresh and announces the jobs. */
static void run_take_sched_states(Run *r, const uint64_t *sel, size_t n) {
        Manager *m = r->manager;

        for (size_t i = 0; i < n; i++) {
                Job *j = manager_get_job(m, sel[i]);

                if (j->state == JOB_DONE)
                        continue;
                switch (sched_job_state(m->sched, j->id)) {
                case SCHED_QUEUED:
                        job_set_state(j, JOB_QUEUED, JOB_CHANGE_QUIET);
                        break;
                default:
                        job_set_state(j, JOB_WAITING, JOB_CHANGE_QUIET);
                        break;
                }
                /* Hold or NotBeforeUSec (a plan's default, say): the Reason, and the timer. */
                if (job_wants_hold(j)) {
                        (void) job_apply_hold(j);
                        (void) job_arm_not_before(j);
                }
        }
}

/* Says why sched_add_batch() refused the plan, naming the job. */
static int explain_refusal(Manager *m, const Plan *p, uint64_t first, int error, uint64_t bad,
                           const uint64_t *cycle, size_t n_cycle, char **ret) {
        char label[PLAN_LABEL_MAX];
        size_t i = bad - first;

        switch (error) {
        case -ELOOP:
                *ret = plan_format_cycle(p, first, cycle, n_cycle);
                return *ret ? -ELOOP : -ENOMEM;
        case -ENOENT:
                /* bad is the unknown id: find who asked for it. */
                for (i = 0; i < p->n_jobs; i++)
                        for (size_t k = 0; k < p->jobs[i].spec.n_after; k++)
                                if (p->jobs[i].spec.after[k] == bad)
                                        goto found;
        found:
                if (set_message(ret, "%s: After: no job with id %llu",
                                plan_job_label(p, i, label, sizeof(label)), (unsigned long long) bad) < 0)
                        return -ENOMEM;
                return -ENOENT;
        case -ENXIO:
        case -ENOSPC:
                if (i >= p->n_jobs)
                        break;
                for (size_t k = 0; k < p->jobs[i].spec.n_resources; k++) {
                        const JobResourceRequest *q = &p->jobs[i].spec.resources[k];

                        if (error == -ENXIO && !pool_exists(m, q->pool)) {
                                if (set_message(ret,
                                                "%s: Resources: no pool named \"%s\" (see jobctl pools)",
                                                plan_job_label(p, i, label, sizeof(label)), q->pool) < 0)
                                        return -ENOMEM;
                                return error;
                        }
                }
                if (set_message(ret, "%s: Resources: %s", plan_job_label(p, i, label, sizeof(label)),
                                error == -ENXIO ? "unknown pool" :
                                "asks for more than a pool has (the job could never start)") < 0)
                        return -ENOMEM;
                return error;
        case -E2BIG:
                if (set_message(ret, "%s: After/Resources: too many entries",
                                plan_job_label(p, i < p->n_jobs ? i : 0, label, sizeof(label))) < 0)
                        return -ENOMEM;
                return -EINVAL;
        default:
                break;
        }
        return error;
}

static int runs_ensure_source(Manager *m) {
        int r;

        if (m->runs_source)
                return 0;
        r = sd_event_add_defer(m->event, &m->runs_source, on_runs_changed, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->runs_source, "runs-changed");
        (void) sd_event_source_set_enabled(m->runs_source, SD_EVENT_OFF);
        /* After the scheduler pass of the same iteration: one announcement for all of it. */
        (void) sd_event_source_set_priority(m->runs_source, SD_EVENT_PRIORITY_NORMAL + 20);
        return 0;
}

int manager_submit_plan(Manager *m, Plan *p, uid_t owner, Run **ret, char **ret_message) {
        _cleanup_free_ uint64_t *ids = NULL, *cycle = NULL;
        uint64_t first = m->next_id, bad = 0, size_before;
        size_t n = p->n_jobs, n_unfinished_runs = 0, n_unfinished_own = 0, n_cycle = 0;
        uint64_t bytes = 0;
        char label[PLAN_LABEL_MAX];
        Run *run = NULL, **t;
        int r;

        *ret_message = NULL;
        if (m->journal.read_only)
                return manager_refuse_state_full(m, ret_message);
        r = plan_prepare(p, first, ret_message);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *why = NULL;

                manager_apply_defaults(m, &p->jobs[i].spec);
                r = manager_resolve_backend(m, &p->jobs[i].spec, &why);
                if (r >= 0)
                        r = manager_check_user_limits(m, owner, &p->jobs[i].spec, &why);
                if (r < 0) {
                        (void) set_message(ret_message, "%s: %s", plan_job_label(p, i, label, sizeof(label)),
                                           strna(why));
                        return r;
                }
                bytes += job_spec_bytes(&p->jobs[i].spec);
        }

        for (size_t i = 0; i < n; i++) {
                const char *why = NULL;

                /* A cluster job's limits are Slurm's requests, not this machine's cgroup's. */
                if (p->jobs[i].spec.backend == JOB_BACKEND_SLURM)
                        continue;
                r = m->backend->ops->check_limits(m->backend, &p->jobs[i].spec.limits, &why);
                if (r < 0) {
                        (void) set_message(ret_message, "%s: %s", plan_job_label(p, i, label, sizeof(label)),
                                           strna(why));
                        return r;
                }
        }

        if (m->n_jobs + n > MANAGER_JOBS_MAX ||
            manager_quota_unfinished(m, owner) + n > MANAGER_JOBS_PER_USER_MAX) {
                (void) set_message(ret_message,
                                   "The plan's %zu jobs would be more than the %u unfinished jobs "
                                   "a user may have (or the %u jobs the daemon keeps)",
                                   n, MANAGER_JOBS_PER_USER_MAX, MANAGER_JOBS_MAX);
                return -EDQUOT;
        }
        r = manager_check_quota(m, owner, n, bytes, ret_message);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_runs; i++)
                if (!run_is_done(m->runs[i])) {
                        n_unfinished_runs++;
                        if (m->runs[i]->owner == owner)
                                n_unfinished_own++;
                }
        if (n_unfinished_own >= MANAGER_RUNS_PER_USER_MAX) {
                (void) set_message(ret_message, "uid %u has %zu unfinished runs, at most %u are allowed",
                                   (unsigned) owner, n_unfinished_own, MANAGER_RUNS_PER_USER_MAX);
                return -EDQUOT;
        }
        if (n_unfinished_runs >= MANAGER_RUNS_MAX) {
                (void) set_message(ret_message, "%zu runs are unfinished, at most %u are allowed",
                                   n_unfinished_runs, MANAGER_RUNS_MAX);
                return -EDQUOT;
        }

        r = runs_ensure_source(m);
        if (r < 0)
                return r;
        r = manager_grow(m, first + n);
        if (r < 0)
                return r;
        t = reallocarray(m->runs, m->n_runs + 1, sizeof(Run *));
        if (!t)
                return -ENOMEM;
        m->runs = t;

        run = calloc(1, sizeof(Run));
        ids = calloc(n, sizeof(uint64_t));
        if (!run || !ids) {
                free(run);
                return -ENOMEM;
        }
        *run = (Run) {
                .manager = m,
                .id = m->next_run_id > 0 ? m->next_run_id : 1,
                .owner = owner,
                .first_job = first,
                .n_jobs = (uint32_t) n,
                .max_parallel = p->max_parallel,
                .name = TAKE_PTR(p->name),
                .submit_usec = now(CLOCK_REALTIME),
                .timeout_usec = p->timeout_usec,
                .output_root = TAKE_PTR(p->output_root),
        };
        if (run->timeout_usec > 0)
                run->deadline_usec = run->submit_usec + run->timeout_usec;
        run->job_status = calloc(n, sizeof(uint8_t));
        run->first_result = calloc(n, sizeof(uint8_t));
        if (!run->job_status || !run->first_result) {
                run_free(run);
                return -ENOMEM;
        }
        r = run_set_limit(run, true);
        if (r < 0) {
                run_free(run);
                return r;
        }

        /* The jobs and their run exist before the scheduler sees them: it reports skips of the batch's own
         * jobs, and takes their run and group from it. They are all WAITING (status 0) so far. */
        /* Under an OutputRoot, each job's output folder is its name's there, unless it gave one. */
        for (size_t i = 0; run->output_root && i < n; i++) {
                JobSpec *s = &p->jobs[i].spec;
                char name[JOB_NAME_MAX + 1];
                Job tmp = { .id = first + i, .spec = { .name = s->name } };

                if (s->output_directory)
                        continue;
                output_link_name(&tmp, name, sizeof(name));
                if (asprintf(&s->output_directory, "%s/%s", run->output_root, name) < 0) {
                        s->output_directory = NULL;
                        (void) run_set_limit(run, false);
                        run_free(run);
                        return -ENOMEM;
                }
        }
        run->environment = job_shared_env_ref(p->defaults.base_environment);
        run->state_counts[JOB_WAITING] = (uint32_t) n;
        m->runs[m->n_runs++] = run;
        m->runs_history_changed = true;
        runs_mark_kept(m);
        for (size_t i = 0; i < n; i++) {
                Job *j;

                r = job_new(m, first + i, &p->jobs[i].spec, owner, &j);
                if (r < 0)
                        goto fail;
                m->jobs[first + i] = j;
                ids[i] = first + i;
        }

        /* The plan into the file first, whole (a commit line ends it): the reply means it is there, and
         * what the scheduler decides at once (skips) comes after it. Cut off again on a refusal. */
        size_before = m->journal.size;
        r = journal_submit_run(&m->journal, run);
        if (r < 0) {
                for (size_t i = 0; i < n; i++) {
                        Job *j = m->jobs[first + i];

                        p->jobs[i].spec = j->spec;
                        job_spec_init(&j->spec);
                }
                r = manager_refuse_state_full(m, ret_message);
                goto fail;
        }
        r = run_sched_add(run, ids, n, &bad, &cycle, &n_cycle);
        if (r < 0) {
                journal_truncate(&m->journal, size_before);
                /* The specs went to the jobs: give them back, so the messages can name the jobs. */
                for (size_t i = 0; i < n; i++) {
                        Job *j = m->jobs[first + i];

                        p->jobs[i].spec = j->spec;
                        job_spec_init(&j->spec);
                }
                r = explain_refusal(m, p, first, r, bad, cycle, n_cycle, ret_message);
                goto fail;
        }

        m->next_id += n;
        m->n_jobs += n;
        m->next_run_id = run->id + 1;
        for (size_t i = 0; i < n; i++)
                manager_quota_count(m, manager_get_job(m, first + i));
        run_take_sched_states(run, ids, n);
        run_recount(run, NULL);

        (void) run_arm_timeout(run);

        r = run_announce_later(run);
        if (r < 0)
                log_warning_errno(r, "Run %llu: cannot defer the JobNew signals, sending them now: %m",
                                  (unsigned long long) run->id);
        manager_notify(m, run_new, run);
        log_info("Run %llu%s%s%s: %zu jobs (%llu-%llu) submitted by uid %u.", (unsigned long long) run->id,
                 run->name ? " (" : "", strempty(run->name), run->name ? ")" : "", n,
                 (unsigned long long) first, (unsigned long long) (first + n - 1), (unsigned) owner);
        manager_reschedule(m);
        *ret = run;
        return 0;

fail:
        for (size_t i = 0; i < n; i++)
                m->jobs[first + i] = job_free(m->jobs[first + i]);
        m->n_runs--;
        (void) run_set_limit(run, false);
        p->name = TAKE_PTR(run->name);
        p->output_root = TAKE_PTR(run->output_root);
        run_free(run);
        return r;
}

#define RUN_CANCEL_SLICE_USEC (5 * USEC_PER_MSEC)

/* Cancels jobs from cancel_next down for at most RUN_CANCEL_SLICE_USEC; true once all are. */
static bool run_cancel_slice(Run *r) {
        Manager *m = r->manager;
        usec_t until = now(CLOCK_MONOTONIC) + RUN_CANCEL_SLICE_USEC;
        unsigned n = 0;

        /* Last to first: dependents usually come after what they depend on, so they end up cancelled
         * rather than skipped. */
        for (; r->cancel_next > 0; r->cancel_next--) {
                Job *j = manager_get_job(m, r->first_job + r->cancel_next - 1);
                int q;

                if (!j || j->state == JOB_DONE)
                        continue;
                if (++n % 32 == 0 && (now(CLOCK_MONOTONIC) >= until || manager_observers_backlogged(m)))
                        return false;
                q = job_cancel(j);
                if (q < 0 && q != -EALREADY)
                        log_warning_errno(q, "Run %llu: cannot cancel job %llu, ignoring: %m",
                                          (unsigned long long) r->id, (unsigned long long) j->id);
        }
        return true;
}

static void run_cancel_done(Run *r) {
        r->cancel_source = sd_event_source_disable_unref(r->cancel_source);
        /* Held while its jobs were being cancelled, so that none started meanwhile; a Retry() may run
         * them again. */
        (void) sched_set_run_held(r->manager->sched, r->id, false);
        run_mark_changed(r);
        manager_reschedule(r->manager);
}

/* Next slice: on the next iteration, or in 1 ms while the bus has enough to write (the replies to others
 * would queue behind what the cancels tell). */
static int run_cancel_rearm(Run *r) {
        int q;

        q = sd_event_source_set_time_relative(r->cancel_source,
                                              manager_observers_backlogged(r->manager) ? USEC_PER_MSEC : 0);
        if (q >= 0)
                q = sd_event_source_set_enabled(r->cancel_source, SD_EVENT_ONESHOT);
        return q;
}

static int on_cancel_slice(sd_event_source *s, uint64_t usec, void *userdata) {
        Run *r = userdata;

        if (manager_observers_backlogged(r->manager) || !run_cancel_slice(r)) {
                run_mark_changed(r);
                if (run_cancel_rearm(r) < 0)
                        while (!run_cancel_slice(r))
                                ;
                else
                        return 0;
        }
        run_cancel_done(r);
        return 0;
}

static int run_cancel_start(Run *r) {
        Manager *m = r->manager;
        int q;

        r->paused = false;
        q = sched_set_run_held(m->sched, r->id, true);
        if (q < 0)
                return q;
        r->cancel_next = r->n_jobs;
        if (run_cancel_slice(r)) {
                run_cancel_done(r);
                return 0;
        }
        q = sd_event_add_time_relative(m->event, &r->cancel_source, CLOCK_MONOTONIC, 0, 1, on_cancel_slice, r);
        if (q >= 0)
                q = run_cancel_rearm(r);
        if (q < 0) {
                /* No slices: all at once, as before. */
                r->cancel_source = sd_event_source_disable_unref(r->cancel_source);
                while (!run_cancel_slice(r))
                        ;
                run_cancel_done(r);
                return 0;
        }
        (void) sd_event_source_set_description(r->cancel_source, "run-cancel");
        log_info("Run %llu: cancelling its %u jobs over the next loop iterations.", (unsigned long long) r->id,
                 r->n_jobs);
        run_mark_changed(r);
        manager_reschedule(m);
        return 0;
}

int run_cancel(Run *r) {
        Manager *m = r->manager;

        if (run_is_done(r))
                return -EALREADY;
        if (r->cancel_source)
                return 0;       /* being cancelled */
        /* Requeued by a Retry() and not all announced yet: cancelled as they are (each job cancelled is
         * announced). */
        if (r->retry_source) {
                r->retry_source = sd_event_source_disable_unref(r->retry_source);
                r->retry_ids = mfree(r->retry_ids);
                r->n_retry = r->retry_next = 0;
        }
        r->cancelled = true;
        r->paused = false;
        journal_run(&m->journal, r);
        return run_cancel_start(r);
}

int run_pause(Run *r) {
        Manager *m = r->manager;
        int q;

        if (run_is_done(r))
                return -EALREADY;
        q = sched_set_run_held(m->sched, r->id, true);
        if (q < 0)
                return q;
        r->paused = true;
        journal_run(&m->journal, r);   /* a restart keeps it paused */
        for (uint32_t k = 0; k < r->n_jobs; k++) {
                Job *j = manager_get_job(m, r->first_job + k);

                if (!j)
                        continue;
                if (j->state == JOB_STARTING)
                        r->pause_pending = true;
                else if (j->state == JOB_RUNNING) {
                        q = job_pause(j);
                        if (q < 0)
                                log_warning_errno(q, "Run %llu: cannot freeze job %llu, ignoring: %m",
                                                  (unsigned long long) r->id, (unsigned long long) j->id);
                }
        }
        run_mark_changed(r);
        return 0;
}

int run_resume(Run *r) {
        Manager *m = r->manager;
        int q;

        q = sched_set_run_held(m->sched, r->id, false);
        if (q < 0)
                return q;
        if (r->paused) {
                r->paused = false;
                journal_run(&m->journal, r);
        }
        r->pause_pending = false;
        for (uint32_t k = 0; k < r->n_jobs; k++) {
                Job *j = manager_get_job(m, r->first_job + k);

                if (j && j->state == JOB_PAUSED) {
                        q = job_resume(j);
                        if (q < 0)
                                log_warning_errno(q, "Run %llu: cannot thaw job %llu, ignoring: %m",
                                                  (unsigned long long) r->id, (unsigned long long) j->id);
                }
        }
        run_mark_changed(r);
        manager_reschedule(m);
        return 0;
}

static bool in_run(const Run *r, uint64_t id) {
        return id >= r->first_job && id - r->first_job < r->n_jobs;
}

/* Back to the state of a job never run; its attempts stay on record. */
static void job_reset_for_rerun(Job *j) {
        Manager *m = j->manager;

        /* Announced by the caller, once the scheduler has placed it. */
        job_set_state(j, JOB_WAITING, JOB_CHANGE_QUIET);
        j->result = JOB_RESULT_NONE;
        j->exit_code = -1;
        j->exit_signal = 0;
        j->reason = mfree(j->reason);
        j->start_usec = j->finish_usec = 0;
        j->stop_reason = JOB_STOP_NONE;
        j->killed_by_user = false;
        j->stray_processes = 0;
        j->stats = (JobStats) {};
        m->n_done--;
        manager_quota_count(m, j);
}

#define RUN_RETRY_SLICE_USEC (5 * USEC_PER_MSEC)
/* At most this many JobChanged per slice, and a pause between slices: dbus-daemon relays a signal in
 * some 25 us, and a reply to another client waits behind every signal jobd wrote before it, which
 * jobd's own write queue does not show (100k at once kept other clients waiting 0.1-0.4 s). */
#define RUN_RETRY_SLICE_JOBS 128U
#define RUN_RETRY_PAUSE_USEC (5 * USEC_PER_MSEC)

static void run_retry_announce(Run *r, Job *j) {
        Manager *m = r->manager;

        /* As reset by job_reset_for_rerun(), unless something acted on it since (a Cancel(), a Resume()
         * of the run that let it start). */
        if (j->state == JOB_WAITING)
                run_take_sched_states(r, &j->id, 1);
        manager_job_changed(m, j,
                            JOB_CHANGE_STATE | JOB_CHANGE_RESULT | JOB_CHANGE_EXIT_CODE |
                            JOB_CHANGE_EXIT_SIGNAL | JOB_CHANGE_REASON | JOB_CHANGE_START_USEC |
                            JOB_CHANGE_FINISH_USEC | JOB_CHANGE_STRAY_PROCESSES_KILLED);
}

/* Announces the requeued jobs from retry_next on for at most RUN_RETRY_SLICE_USEC; true once all are. */
static bool run_retry_slice(Run *r) {
        Manager *m = r->manager;
        usec_t until = now(CLOCK_MONOTONIC) + RUN_RETRY_SLICE_USEC;
        unsigned n = 0;

        for (; r->retry_next < r->n_retry; r->retry_next++) {
                Job *j = manager_get_job(m, r->retry_ids[r->retry_next]);

                if (!j)
                        continue;
                if (n >= RUN_RETRY_SLICE_JOBS ||
                    (++n % 32 == 0 && (now(CLOCK_MONOTONIC) >= until || manager_observers_backlogged(m))))
                        return false;
                run_retry_announce(r, j);
        }
        return true;
}

static void run_retry_done(Run *r) {
        Manager *m = r->manager;

        r->retry_source = sd_event_source_disable_unref(r->retry_source);
        r->retry_ids = mfree(r->retry_ids);
        r->n_retry = r->retry_next = 0;
        /* Still held by a Pause() or a Cancel() since: theirs to release. */
        if (!r->paused && !r->cancel_source)
                (void) sched_set_run_held(m->sched, r->id, false);
        (void) run_arm_timeout(r);
        run_mark_changed(r);
        manager_reschedule(m);
}

static int run_retry_rearm(Run *r) {
        int q;

        q = sd_event_source_set_time_relative(r->retry_source, RUN_RETRY_PAUSE_USEC);
        if (q >= 0)
                q = sd_event_source_set_enabled(r->retry_source, SD_EVENT_ONESHOT);
        return q;
}

static int on_retry_slice(sd_event_source *s, uint64_t usec, void *userdata) {
        Run *r = userdata;

        if (manager_observers_backlogged(r->manager) || !run_retry_slice(r)) {
                run_mark_changed(r);
                if (run_retry_rearm(r) >= 0)
                        return 0;
                while (!run_retry_slice(r))
                        ;
        }
        run_retry_done(r);
        return 0;
}

/* The first slice now (the run is no longer done when Retry() replies), the rest on the next loop
 * iterations. */
static void run_retry_start(Run *r) {
        Manager *m = r->manager;
        int q;

        if (run_retry_slice(r)) {
                run_retry_done(r);
                return;
        }
        q = sd_event_add_time_relative(m->event, &r->retry_source, CLOCK_MONOTONIC, 0, 1, on_retry_slice, r);
        if (q >= 0)
                q = run_retry_rearm(r);
        if (q < 0) {
                r->retry_source = sd_event_source_disable_unref(r->retry_source);
                while (!run_retry_slice(r))
                        ;
                run_retry_done(r);
                return;
        }
        (void) sd_event_source_set_description(r->retry_source, "run-retry");
        run_mark_changed(r);
}

int run_retry(Run *r, const char *which, char **ret_message) {
        Manager *m = r->manager;
        _cleanup_free_ uint64_t *sel = NULL;
        _cleanup_free_ uint8_t *picked = NULL;
        uint64_t bad = 0;
        size_t n = 0;
        bool all;
        int q;

        *ret_message = NULL;
        if (streq(which, "all"))
                all = true;
        else if (streq(which, "failed"))
                all = false;
        else {
                (void) set_message(ret_message, "Retry: \"%s\" is not one of failed, all",
                                   SHORT_STRING(which));
                return -EINVAL;
        }
        if (!run_is_done(r)) {
                (void) set_message(ret_message, "Run %llu has not finished yet (cancel it, or wait for it)",
                                   (unsigned long long) r->id);
                return -EBUSY;
        }

        sel = calloc(r->n_jobs, sizeof(uint64_t));
        picked = calloc(r->n_jobs, sizeof(uint8_t));
        if (!sel || !picked)
                return -ENOMEM;
        for (uint32_t k = 0; k < r->n_jobs; k++) {
                uint64_t id = r->first_job + k;

                if (!all && RUN_STATUS_RESULT(r->job_status[k]) == JOB_SUCCESS)
                        continue;
                if (!manager_get_job(m, id)) {
                        (void) set_message(ret_message,
                                           "Job %llu of run %llu was forgotten already (the daemon "
                                           "keeps a bounded number of finished jobs: jobd --keep-finished=)",
                                           (unsigned long long) id, (unsigned long long) r->id);
                        return -ESTALE;
                }
                picked[k] = 1;
                sel[n++] = id;
        }
        if (n == 0)
                return 0;

        /* Check first, so that nothing changes if it cannot be done: a job still waiting on one of them
         * (it is not of this run: they are all done), a dependency the scheduler forgot. */
        for (uint64_t id = m->gc_cursor; id < m->next_id; id++) {
                Job *j = m->jobs[id];

                if (!j || j->state == JOB_DONE || in_run(r, id))
                        continue;
                for (size_t k = 0; k < j->spec.n_after; k++)
                        if (in_run(r, j->spec.after[k]) && picked[j->spec.after[k] - r->first_job]) {
                                (void) set_message(ret_message,
                                                   "Job %llu still waits for job %llu of the run",
                                                   (unsigned long long) id,
                                                   (unsigned long long) j->spec.after[k]);
                                return -ESTALE;
                        }
        }
        for (size_t i = 0; i < n; i++) {
                Job *j = manager_get_job(m, sel[i]);

                for (size_t k = 0; k < j->spec.n_after; k++) {
                        uint64_t d = j->spec.after[k];

                        if (in_run(r, d) && picked[d - r->first_job])
                                continue;
                        if (sched_job_state(m->sched, d) < 0) {
                                (void) set_message(ret_message, "Job %llu runs after job %llu, which was "
                                                   "forgotten already", (unsigned long long) j->id,
                                                   (unsigned long long) d);
                                return -ESTALE;
                        }
                }
        }

        /* Running them again holds them again: the owner's quota must have room. */
        {
                uint64_t bytes = 0;

                for (size_t i = 0; i < n; i++)
                        bytes += job_spec_bytes(&manager_get_job(m, sel[i])->spec);
                q = manager_check_quota(m, r->owner, n, bytes, ret_message);
                if (q < 0)
                        return q;
        }

        r->cancelled = false;
        /* A done run holds nothing: a Pause() from before it finished must not keep the requeued jobs held
         * (on_runs_changed() clears it too, but may not have run yet). */
        r->paused = r->pause_pending = false;
        /* The watchdog counts afresh from the Retry(). */
        r->timed_out = false;
        if (r->timeout_usec > 0)
                r->deadline_usec = now(CLOCK_REALTIME) + r->timeout_usec;
        journal_run(&m->journal, r);
        for (size_t i = 0; i < n; i++) {
                q = sched_forget(m->sched, sel[i]);
                if (q < 0)
                        log_warning_errno(q, "Run %llu: the scheduler cannot forget job %llu, ignoring: %m",
                                          (unsigned long long) r->id, (unsigned long long) sel[i]);
                job_reset_for_rerun(manager_get_job(m, sel[i]));
                journal_rerun(&m->journal, manager_get_job(m, sel[i]));
        }
        (void) run_set_limit(r, true);
        /* Held until all are announced (run_retry_done()): none starts before its JobChanged. */
        (void) sched_set_run_held(m->sched, r->id, true);

        q = run_sched_add(r, sel, n, &bad, NULL, NULL);
        if (q < 0) {
                /* Checked above: only running out of memory gets here. */
                log_error_errno(q, "Run %llu: cannot queue its jobs again: %m", (unsigned long long) r->id);
                for (size_t i = 0; i < n; i++) {
                        Job *j = manager_get_job(m, sel[i]);
                        if (j->state != JOB_DONE)
                                job_finish_unstarted(j, JOB_LOST, "Could not be queued again");
                }
                (void) sched_set_run_held(m->sched, r->id, false);
                return q;
        }
        r->retry_ids = TAKE_PTR(sel);
        r->n_retry = n;
        r->retry_next = 0;
        log_info("Run %llu: %zu jobs queued again (%s).", (unsigned long long) r->id, n, which);
        run_retry_start(r);
        return (int) MIN(n, (size_t) INT32_MAX);
}

static int cmp_journal_run(const void *a, const void *b) {
        const JournalRun *x = a, *y = b;

        return (x->id > y->id) - (x->id < y->id);
}

int manager_restore_runs(Manager *m) {
        Journal *jr = &m->journal;
        Run **t;
        int r;

        if (jr->n_runs == 0)
                return 0;
        r = runs_ensure_source(m);
        if (r < 0)
                return r;
        t = reallocarray(m->runs, m->n_runs + jr->n_runs, sizeof(Run *));
        if (!t)
                return -ENOMEM;
        m->runs = t;

        qsort(jr->runs, jr->n_runs, sizeof(JournalRun), cmp_journal_run);
        for (size_t i = 0; i < jr->n_runs; i++) {
                const JournalRun *x = &jr->runs[i];
                Run *run;

                if (x->id == 0 || x->n_jobs == 0 || manager_get_run(m, x->id) ||
                    (m->n_runs > 0 && x->first_job < m->runs[m->n_runs - 1]->first_job +
                                                     m->runs[m->n_runs - 1]->n_jobs)) {
                        log_warning("Journal: run %llu overlaps another, ignoring it.",
                                    (unsigned long long) x->id);
                        continue;
                }
                run = calloc(1, sizeof(Run));
                if (!run)
                        return -ENOMEM;
                *run = (Run) {
                        .manager = m,
                        .id = x->id,
                        .owner = x->owner,
                        .first_job = x->first_job,
                        .n_jobs = x->n_jobs,
                        .max_parallel = x->max_parallel,
                        .submit_usec = x->submit_usec,
                        .finish_usec = x->finish_usec,
                        .cancelled = x->cancelled,
                        .paused = x->paused && !x->cancelled,
                        .timed_out = x->timed_out,
                        .timeout_usec = x->timeout_usec,
                        .deadline_usec = x->deadline_usec,
                        .n_announced = x->n_jobs,
                        .name = x->name ? strdup(x->name) : NULL,
                        .environment = job_shared_env_ref(x->environment),
                        .job_status = calloc(x->n_jobs, sizeof(uint8_t)),
                        .first_result = calloc(x->n_jobs, sizeof(uint8_t)),
                };
                if (x->output_root) {
                        run->output_root = strdup(x->output_root);
                        if (!run->output_root) {
                                run_free(run);
                                return -ENOMEM;
                        }
                }
                if (!run->job_status || !run->first_result || (x->name && !run->name)) {
                        run_free(run);
                        return -ENOMEM;
                }
                /* The first pass as the run line recorded it once it was over (one letter per job). */
                if (x->first && strlen(x->first) == x->n_jobs) {
                        for (uint32_t k = 0; k < x->n_jobs; k++) {
                                JobResult f = (JobResult) (x->first[k] - 'a');
                                run->first_result[k] = f > JOB_RESULT_NONE && f < _JOB_RESULT_MAX ?
                                                       f : JOB_RESULT_NONE;
                        }
                        run->first_pass_done = true;
                }
                m->runs[m->n_runs++] = run;
                m->runs_history_changed = true;
                m->next_run_id = MAX(m->next_run_id, x->id + 1);
                run_recount(run, x->gone);
                if (!run_is_done(run)) {
                        (void) run_set_limit(run, true);
                        (void) run_arm_timeout(run);
                }
                /* Held once its running jobs are re-adopted (a hold would keep them from the scheduler);
                 * they are frozen still, and those that were starting are frozen then. */
                if (run->paused && !run_is_done(run)) {
                        run->pause_pending = true;
                        run_mark_changed(run);
                }
                /* It finished before the restart: it was announced then. */
                if (run_is_done(run))
                        run->finished_pending = false;
        }
        runs_mark_kept(m);
        return 0;
}

void manager_hold_paused_runs(Manager *m) {
        for (size_t i = 0; i < m->n_runs; i++) {
                Run *r = m->runs[i];

                if (run_is_done(r))
                        continue;
                if (r->cancelled)
                        /* A Cancel() the daemon stopped in the middle of: carried on. */
                        (void) run_cancel_start(r);
                else if (r->paused)
                        (void) sched_set_run_held(m->sched, r->id, true);
        }
}

void manager_recount_runs(Manager *m) {
        for (size_t i = 0; i < m->n_runs; i++)
                run_recount(m->runs[i], NULL);
}
