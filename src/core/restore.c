/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-util.h"
#include "fd-util.h"
#include "log.h"
#include "manager.h"
#include "quota.h"
#include "restore.h"
#include "job-slurm.h"
#include "run.h"

/* What the steps of a restart share: the records read back, and the scheduler's view of the jobs that
 * are queued again (one array of resource requests for all). */
typedef struct Restore {
        Manager *m;
        JournalRecord *recs;
        int n;
        SchedJobSpec *specs;
        size_t n_specs;
        SchedResourceRequest *res;
        size_t n_res;
        size_t n_adopted;
} Restore;

/* Whether a dependency that ended before the restart satisfies the condition (it is not known to the
 * scheduler any more, so the scheduler cannot judge it). */
static bool condition_met(SchedCondition c, JobResult r) {
        return c == SCHED_AFTER_ANY || (c == SCHED_AFTER_SUCCESS) == (r == JOB_SUCCESS);
}

/* How much of its retry delay a job that waited for its next attempt has still to wait. */
static usec_t retry_remaining(Job *j) {
        const JobAttempt *last = job_last_attempt(j);
        usec_t n = now(CLOCK_REALTIME), due;

        if (!last || j->spec.retry_delay_usec == 0)
                return 0;
        due = last->finish_usec + j->spec.retry_delay_usec;
        /* At most the whole delay, whatever the clock did meanwhile. */
        return due > n ? MIN(due - n, j->spec.retry_delay_usec) : 0;
}

static bool rec_started(const JournalRecord *rec) {
        return !rec->done && rec->started;
}

static bool rec_unstarted(const JournalRecord *rec) {
        return !rec->done && !rec->started;
}

/* Step 1: the jobs into the manager's table, counted; then the runs, which count their jobs. */
static int restore_jobs_and_runs(Restore *x) {
        Manager *m = x->m;
        int r;

        for (int i = 0; i < x->n; i++) {
                r = manager_grow(m, x->recs[i].id);
                if (r < 0)
                        return log_error_errno(r, "Cannot make room for job %llu of %s/%s: %m",
                                               (unsigned long long) x->recs[i].id, m->state_dir, JOURNAL_FILE);
                m->jobs[x->recs[i].id] = x->recs[i].job;
                /* Replayed before there was room for it: job_set_state() could not note it. */
                manager_note_done(m, x->recs[i].id, x->recs[i].job->state == JOB_DONE);
                m->n_jobs++;
                if (x->recs[i].done)
                        m->n_done++;
                else
                        manager_quota_count(m, x->recs[i].job);
                m->next_id = MAX(m->next_id, x->recs[i].id + 1);
                m->gc_cursor = MIN(m->gc_cursor, x->recs[i].id);
        }
        r = manager_restore_runs(m);
        if (r < 0)
                return log_error_errno(r, "Cannot restore the runs of %s: %m", JOURNAL_FILE);
        for (int i = 0; i < x->n; i++)
                if (x->recs[i].done)
                        job_trim_done(x->recs[i].job);
        return 0;
}

static int restore_alloc(Restore *x) {
        size_t n_res = 0;

        for (int i = 0; i < x->n; i++)
                n_res += x->recs[i].job->spec.n_resources;
        x->specs = calloc(MAX(x->n, 1), sizeof(SchedJobSpec));
        x->res = calloc(MAX(n_res, (size_t) 1), sizeof(SchedResourceRequest));
        if (!x->specs || !x->res)
                return log_oom();
        return 0;
}

/* Step 2: started jobs enter the scheduler RUNNING, holding their resources and group slots: added alone,
 * with no limit on parallel jobs, and all handed out. */
static void restore_started_into_sched(Restore *x) {
        Manager *m = x->m;
        uint64_t id;
        int r;

        for (int i = 0; i < x->n; i++) {
                JournalRecord *rec = &x->recs[i];
                SchedJobSpec s;

                if (!rec_started(rec))
                        continue;
                s = manager_job_sched_spec(m, rec->job, x->res + x->n_res);
                x->n_res += rec->job->spec.n_resources;
                s.after = NULL;
                s.n_after = 0;
                s.attempts = rec->tries;
                s.slots = rec->slots;   /* the devices its environment names */
                r = sched_add(m->sched, &s, NULL);
                if (r < 0)
                        log_debug_errno(r, "Job %llu: cannot restore it with its resources: %m",
                                        (unsigned long long) rec->id);
        }
        while (sched_next(m->sched, &id) > 0)
                x->n_adopted++;
}

/* Step 3: a pool or group made smaller meanwhile (or gone) may not let them all through: those run on
 * outside the limits until they end, rather than being disowned. */
static void restore_started_beyond_limits(Restore *x) {
        Manager *m = x->m;
        uint64_t id;
        int r;

        for (int i = 0; i < x->n; i++) {
                JournalRecord *rec = &x->recs[i];
                SchedState st;

                if (!rec_started(rec))
                        continue;
                st = sched_job_state(m->sched, rec->id);
                if (st == SCHED_RUNNING)
                        continue;
                if (st >= 0) {
                        (void) sched_cancel(m->sched, rec->id);
                        (void) sched_forget(m->sched, rec->id);
                }
                r = sched_add(m->sched, &(SchedJobSpec) {
                                .id = rec->id,
                                .priority = rec->job->spec.priority,
                                .owner = rec->job->owner,
                                .attempts = rec->tries,
                              }, NULL);
                if (r < 0)
                        log_warning_errno(r, "Job %llu: cannot restore it in the scheduler: %m",
                                          (unsigned long long) rec->id);
                else
                        log_warning("Job %llu: its pool or group has no room for it any more; it runs on "
                                    "outside the limits.", (unsigned long long) rec->id);
        }
        while (sched_next(m->sched, &id) > 0)
                x->n_adopted++;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t l = strlen(s), k = strlen(suffix);

        return l >= k && streq(s + l - k, suffix);
}

/* Whether the cgroup of a start line is the job's own: below the backend's root and named for the job
 * (cgroupfs: exactly the path it gives the job; systemd: the job's own scope). A damaged or forged line
 * must not make the daemon watch, freeze or kill a process elsewhere. */
static bool cgroup_is_jobs(Manager *m, uint64_t id, const char *cgroup, const char *unit) {
        _cleanup_free_ char *own = NULL;
        char prefix[64];
        const char *base;
        size_t l;
        int r;

        r = backend_job_cgroup_path(m->backend, id, &own);
        if (r >= 0)
                return streq(cgroup, own);
        if (r != -ENODATA || !unit)
                return false;
        /* jobd-ID.scope or jobd-ID-ATTEMPT.scope, and the cgroup ends in it. */
        l = (size_t) snprintf(prefix, sizeof(prefix), "jobd-%llu", (unsigned long long) id);
        if (strncmp(unit, prefix, l) != 0 || !ends_with(unit, ".scope") || strchr(unit, '/'))
                return false;
        if (unit[l] == '-') {
                const char *p = unit + l + 1;

                if (!(*p >= '1' && *p <= '9'))
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
                if (!streq(p, ".scope"))
                        return false;
        } else if (!streq(unit + l, ".scope"))
                return false;
        base = strrchr(cgroup, '/');
        return base && streq(base + 1, unit) && !strstr(cgroup, "/../") && !ends_with(cgroup, "/..");
}

/* A start line written before the helper was spawned has no pid: the helper is the process of the cgroup
 * whose parent is outside it (the command and its children are its descendants). 0 if there is none. */
static pid_t find_helper(const char *cgroup) {
        _cleanup_free_ char *mount = NULL, *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        pid_t pids[256];
        size_t n = 0;
        long v;

        if (cg_find_unified_mount(&mount) < 0 || asprintf(&path, "%s%s/cgroup.procs", mount, cgroup) < 0)
                return 0;
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (n < ELEMENTSOF(pids) && fscanf(f, "%ld", &v) == 1)
                if (v > 0 && v <= INT32_MAX)
                        pids[n++] = (pid_t) v;
        for (size_t i = 0; i < n; i++) {
                char stat_path[64], buf[512], *e;
                _cleanup_fclose_ FILE *s = NULL;
                long ppid = 0;
                bool inside = false;

                snprintf(stat_path, sizeof(stat_path), "/proc/%i/stat", (int) pids[i]);
                s = fopen(stat_path, "re");
                if (!s || !fgets(buf, sizeof(buf), s))
                        continue;
                /* "pid (comm) state ppid ...": comm may hold anything, the last ')' ends it. */
                e = strrchr(buf, ')');
                if (!e || sscanf(e + 1, " %*c %ld", &ppid) != 1)
                        continue;
                for (size_t k = 0; k < n && !inside; k++)
                        inside = pids[k] == (pid_t) ppid;
                if (!inside)
                        return pids[i];
        }
        return 0;
}

/* Step 4: the started jobs watched again through their cgroups (or lost, if the scheduler has no room). */
static void restore_adopt_started(Restore *x) {
        Manager *m = x->m;
        int r;

        for (int i = 0; i < x->n; i++) {
                JournalRecord *rec = &x->recs[i];
                Job *j = rec->job;

                if (!rec_started(rec))
                        continue;
                if (sched_job_state(m->sched, j->id) != SCHED_RUNNING) {
                        job_finish_unstarted(j, JOB_LOST, "Could not be re-adopted after a restart of jobd");
                        m->n_done++;
                        continue;
                }
                /* On the cluster: followed again by its Slurm id (src/core/job-slurm.c). */
                if (job_is_slurm(j)) {
                        j->stop_reason = rec->stop_reason;
                        (void) job_slurm_adopt(j, rec->slurm_id);
                        continue;
                }
                if (rec->cgroup && !cgroup_is_jobs(m, j->id, rec->cgroup, rec->unit)) {
                        log_warning("Job %llu: its start line names the cgroup %s (unit %s), not one of its "
                                    "own below %s: not re-adopting that.", (unsigned long long) j->id,
                                    rec->cgroup, strna(rec->unit), m->backend->root_path);
                        rec->cgroup = mfree(rec->cgroup);
                        rec->unit = mfree(rec->unit);
                }
                if (rec->main_pid == 0 && rec->cgroup)
                        rec->main_pid = find_helper(rec->cgroup);
                j->stop_reason = rec->stop_reason;
                r = job_adopt(j, rec->cgroup, rec->unit, rec->main_pid);
                if (r < 0)
                        log_warning_errno(r, "Job %llu: cannot watch it after the restart: %m",
                                          (unsigned long long) j->id);
                else if (j->stop_reason == JOB_STOP_CANCEL && job_state_is_active(j->state)) {
                        /* Cancelled before the restart and still there: cancelled again (SIGTERM, then
                         * SIGKILL after the grace period). */
                        j->stop_reason = JOB_STOP_NONE;
                        (void) job_cancel(j);
                }
        }
}

/* Step 5, for each unstarted job: dependencies that ended before the restart are settled here (skipped if
 * one ended the wrong way), the others left to the scheduler. false: the job is done (skipped). */
static bool restore_settle_dependencies(Manager *m, Job *j) {
        size_t k = 0;

        for (size_t d = 0; d < j->spec.n_after; d++) {
                Job *dep = manager_get_job(m, j->spec.after[d]);

                if (dep && dep->state == JOB_DONE && sched_job_state(m->sched, dep->id) < 0) {
                        if (!condition_met(j->spec.after_condition, dep->result)) {
                                char reason[256];

                                snprintf(reason, sizeof(reason), "Dependency %llu ended with result %s",
                                         (unsigned long long) dep->id, job_result_to_string(dep->result));
                                job_finish_unstarted(j, JOB_SKIPPED, reason);
                                m->n_done++;
                                return false;
                        }
                        continue;
                }
                if (!dep)
                        continue; /* forgotten long ago: it had ended */
                j->spec.after[k++] = j->spec.after[d];
        }
        j->spec.n_after = k;
        return true;
}

/* Step 5: the unstarted jobs as one batch, with their run, group, resources and retry policy (the pools
 * are set up already); their retries are not given anew. */
static void restore_queue_unstarted(Restore *x) {
        Manager *m = x->m;
        int r;

        for (int i = 0; i < x->n; i++) {
                JournalRecord *rec = &x->recs[i];
                Job *j = rec->job;

                if (!rec_unstarted(rec) || !restore_settle_dependencies(m, j))
                        continue;
                x->specs[x->n_specs] = manager_job_sched_spec(m, j, x->res + x->n_res);
                x->specs[x->n_specs].attempts = rec->tries;
                /* It waited for its next attempt: the rest of the delay still holds. */
                x->specs[x->n_specs++].retry_pending = rec->retry_pending && rec->tries > 0 &&
                                                       retry_remaining(j) > 0;
                x->n_res += j->spec.n_resources;
        }
        if (x->n_specs == 0)
                return;

        r = sched_add_batch(m->sched, x->specs, x->n_specs, NULL, NULL, NULL);
        /* One job the scheduler refuses (its pool left the configuration) must not take the others with
         * it: one by one then, in id order (a job runs after earlier ones only). */
        if (r < 0 && r != -ENOMEM)
                for (size_t i = 0; i < x->n_specs; i++)
                        if (sched_add(m->sched, &x->specs[i], NULL) < 0)
                                log_warning("Job %llu: the scheduler refuses it after the restart.",
                                            (unsigned long long) x->specs[i].id);
        for (size_t i = 0; i < x->n_specs; i++) {
                Job *j = manager_get_job(m, x->specs[i].id);
                SchedState st = sched_job_state(m->sched, j->id);

                /* The runs are counted afresh once all is restored (manager_recount_runs()). */
                if (st == SCHED_QUEUED)
                        job_set_state(j, JOB_QUEUED, JOB_CHANGE_QUIET);
                else if (st == SCHED_WAITING) {
                        job_set_state(j, JOB_WAITING, JOB_CHANGE_QUIET);
                        if (x->specs[i].retry_pending)
                                job_retry_restored(j, retry_remaining(j));
                } else if (j->state != JOB_DONE) {
                        job_finish_unstarted(j, JOB_LOST, "Could not be queued again after a restart");
                        m->n_done++;
                }
        }
}

int manager_restore(Manager *m) {
        Restore x = { .m = m };
        uint32_t max_parallel;
        int r;

        x.n = journal_replay(&m->journal, m, &x.recs);
        if (x.n < 0)
                return x.n;   /* logged, naming the file */

        r = restore_jobs_and_runs(&x);
        if (r < 0)
                goto finish;
        r = restore_alloc(&x);
        if (r < 0)
                goto finish;

        max_parallel = sched_get_max_parallel(m->sched);
        sched_set_max_parallel(m->sched, SCHED_UNLIMITED);
        manager_enforce_running_limits(m, false);
        restore_started_into_sched(&x);
        restore_started_beyond_limits(&x);
        sched_set_max_parallel(m->sched, max_parallel);
        manager_enforce_running_limits(m, true);
        restore_adopt_started(&x);

        /* Holds now: they would have kept the started jobs of paused runs from the scheduler. */
        manager_hold_paused_runs(m);

        restore_queue_unstarted(&x);

        manager_recount_runs(m);
        if (x.n > 0)
                log_info("Restored %i job(s) from %s: %zu re-adopted, %zu queued again.", x.n, JOURNAL_FILE,
                         x.n_adopted, x.n_specs);
        manager_arm_not_before(m);
        manager_reschedule(m);
        r = 0;
finish:
        /* The jobs now belong to the table. */
        for (int i = 0; i < x.n; i++)
                x.recs[i].job = NULL;
        journal_records_free(x.recs, MAX(x.n, 0));
        journal_runs_free(&m->journal);
        free(x.specs);
        free(x.res);
        if (r < 0)
                return r;
        r = journal_compact(&m->journal, m);
        if (r < 0)
                /* A full disk must not keep the daemon from starting: the jobs it has are watched, new
                 * ones refused until the file can be written. */
                journal_enter_read_only(&m->journal, r);
        return 0;
}
