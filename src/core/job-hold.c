/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Holding a job that has not started: Job.Hold()/Release() (pueue's stash/enqueue), the Hold key, and
 * NotBeforeUSec (jobctl --delay=/--at=), which holds it until a CLOCK_REALTIME timer lets it go. And
 * Job.SetPriority() of a job that waits. The scheduler holds (sched_job_set_held()); this keeps the
 * job's state and Reason in step with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"
#include "journal.h"
#include "manager.h"

bool job_wants_hold(Job *j) {
        if (j->held)
                return true;
        return j->spec.not_before_usec > 0 && j->spec.not_before_usec > now(CLOCK_REALTIME);
}

static bool job_unstarted(Job *j) {
        return j->state == JOB_WAITING || j->state == JOB_QUEUED;
}

static int apply_hold(Job *j, bool quiet) {
        Manager *m = j->manager;
        bool want = job_wants_hold(j);
        JobChange changed = JOB_CHANGE_HELD;
        char *reason = NULL;
        SchedState st;
        int r;

        if (j->state == JOB_DONE)
                return -EALREADY;
        if (!job_unstarted(j))
                return -EBUSY;
        r = sched_job_set_held(m->sched, j->id, want);
        if (r < 0)
                return r;

        if (j->held)
                reason = strdup("held: it starts once released (Job.Release(), jobctl release)");
        else if (want) {
                char t[64];

                if (asprintf(&reason, "not before %s", format_timestamp(t, sizeof(t), j->spec.not_before_usec)) < 0)
                        reason = NULL;
        }
        /* A reason that was the hold's goes with it; another one (the daemon's) stays. */
        if (reason || (j->reason && (strneq(j->reason, "held: ", 6) || strneq(j->reason, "not before ", 11)))) {
                free(j->reason);
                j->reason = reason;
                changed |= JOB_CHANGE_REASON;
        }

        st = sched_job_state(m->sched, j->id);
        job_set_state(j, st == SCHED_QUEUED ? JOB_QUEUED : JOB_WAITING, changed | (quiet ? JOB_CHANGE_QUIET : 0));
        if (!want)
                manager_reschedule(m);
        return 0;
}

int job_apply_hold(Job *j) {
        /* Only for a job not announced yet (submit, restore): nobody is told. */
        return apply_hold(j, true);
}

static int on_not_before(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        int r;

        j->not_before_source = sd_event_source_disable_unref(j->not_before_source);
        if (!job_unstarted(j))
                return 0;
        r = apply_hold(j, false);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot let it go at its NotBeforeUSec: %m",
                                  (unsigned long long) j->id);
        return 0;
}

int job_arm_not_before(Job *j) {
        int r;

        if (j->not_before_source || !job_unstarted(j) || j->spec.not_before_usec == 0 ||
            j->spec.not_before_usec <= now(CLOCK_REALTIME))
                return 0;
        /* CLOCK_REALTIME: a time of day the user gave, which follows clock changes; no polling. */
        r = sd_event_add_time(j->manager->event, &j->not_before_source, CLOCK_REALTIME, j->spec.not_before_usec,
                              USEC_PER_SEC / 10, on_not_before, j);
        if (r < 0)
                return log_warning_errno(r, "Job %llu: cannot arm the timer of its NotBeforeUSec: %m",
                                         (unsigned long long) j->id);
        (void) sd_event_source_set_description(j->not_before_source, "job-not-before");
        return 0;
}

int job_set_held(Job *j, bool held) {
        bool old = j->held;
        int r;

        if (j->state == JOB_DONE)
                return -EALREADY;
        if (!job_unstarted(j))
                return -EBUSY;
        /* On file before the reply and before the scheduler lets it go: a restart keeps what was said. */
        r = journal_hold(&j->manager->journal, j, held);
        if (r < 0)
                return r;
        j->held = held;
        r = apply_hold(j, false);
        if (r < 0) {
                j->held = old;
                (void) journal_hold(&j->manager->journal, j, old);
        }
        return r;
}

int job_set_priority(Job *j, int32_t priority) {
        int r;

        if (j->state == JOB_DONE)
                return -EALREADY;
        if (!job_unstarted(j))
                return -EBUSY;
        r = sched_job_set_priority(j->manager->sched, j->id, priority);
        if (r < 0)
                return r;
        if (r > 0) {
                j->spec.priority = priority;
                manager_job_changed(j->manager, j, JOB_CHANGE_PRIORITY);
                manager_reschedule(j->manager);
        }
        return 0;
}

void manager_arm_not_before(Manager *m) {
        Job *j;

        /* After a restore: the jobs still held by their NotBeforeUSec get their timer and Reason. */
        MANAGER_FOREACH_JOB(j, m)
                if (job_unstarted(j) && job_wants_hold(j)) {
                        (void) apply_hold(j, true);
                        (void) job_arm_not_before(j);
                }
}
