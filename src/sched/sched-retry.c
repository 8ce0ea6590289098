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
        sched_job_enqueue(s, j);
        return 0;
}

uint32_t sched_job_attempts(Sched *s, uint64_t id) {
        SchedJob *j = s ? sched_job_get(s, id) : NULL;

        return j ? j->attempts : 0;
}
