/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Retries: a job whose attempt failed in a way it retries goes back to WAITING (retry_pending) until the
 * daemon calls sched_job_retry_now(), after its delay. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

#define RETRY_NEVER_RESULTS \
        ((1U << SCHED_RESULT_SUCCESS) | (1U << SCHED_RESULT_SKIPPED) | (1U << SCHED_RESULT_CANCELLED))

bool sched_job_should_retry(const SchedJob *j, SchedResult result, int exit_code) {
        uint32_t mask = j->retry_on ?: SCHED_RETRY_DEFAULT_RESULTS;

        if (j->attempts > j->retries)
                return false;
        if (j->n_retry_exit_codes > 0)
                mask |= 1U << SCHED_RESULT_FAILED;
        if (!(mask & ~RETRY_NEVER_RESULTS & (1U << result)))
                return false;

        if (result == SCHED_RESULT_FAILED && j->n_retry_exit_codes > 0) {
                for (uint32_t i = 0; i < j->n_retry_exit_codes; i++)
                        if (j->retry_exit_codes[i] == exit_code)
                                return true;
                return false;
        }
        return true;
}

int sched_job_retry_now(Sched *s, uint64_t id) {
        SchedJob *j;

        if (!s)
                return -EINVAL;

        j = sched_job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state != SCHED_WAITING || !j->retry_pending)
                return -ESTALE;

        j->retry_pending = false;
        /* Held meanwhile: it is queued when it is let go. */
        if (!j->on_hold)
                sched_job_enqueue(s, j);
        return 0;
}

int sched_job_set_held(Sched *s, uint64_t id, bool held) {
        SchedJob *j;
        int r;

        r = sched_job_get_unstarted(s, id, &j);
        if (r < 0)
                return r;
        if (j->on_hold == held)
                return 0;

        j->on_hold = held;
        if (held) {
                if (j->state == SCHED_QUEUED) {
                        sched_job_unpark(s, j);
                        sched_job_set_state(s, j, SCHED_WAITING);
                }
        } else if (j->state == SCHED_WAITING && !j->retry_pending && j->n_unfinished == 0)
                sched_job_enqueue(s, j);
        return 1;
}

bool sched_job_held(Sched *s, uint64_t id) {
        SchedJob *j = s ? sched_job_get(s, id) : NULL;

        return j && j->on_hold;
}

int sched_job_set_priority(Sched *s, uint64_t id, int32_t priority) {
        SchedJob *j;
        Lane *l, *old;
        bool queued;
        int r;

        r = sched_job_get_unstarted(s, id, &j);
        if (r < 0)
                return r;
        if (j->priority == priority)
                return 0;

        r = sched_lane_acquire(s, priority, j->owner->uid, &l);
        if (r < 0)
                return r;
        /* Out of its heap and lane, and back in with the new key. */
        queued = j->state == SCHED_QUEUED;
        if (queued) {
                sched_job_unpark(s, j);
                sched_job_set_state(s, j, SCHED_WAITING);
        }
        old = j->lane;
        j->lane = l;
        j->priority = priority;
        sched_lane_unref(s, old);
        if (queued)
                sched_job_enqueue(s, j);
        return 1;
}

uint32_t sched_job_attempts(Sched *s, uint64_t id) {
        SchedJob *j = s ? sched_job_get(s, id) : NULL;

        return j ? j->attempts : 0;
}
